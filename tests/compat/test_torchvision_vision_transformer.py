"""vmodels' Vision Transformers against torchvision's: state dicts interchange, outputs agree,
feature-extraction node names match outside the attention module, and torchvision's
position-embedding helper gives the same result."""

import re
from collections import OrderedDict

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes

from vmodels.classification import vision_transformer as vit
from vmodels.feature_extraction import create_feature_extractor, get_graph_node_names

torchvision = pytest.importorskip("torchvision")
from torchvision.models import feature_extraction as tv_extraction  # noqa: E402
from torchvision.models import vision_transformer as tv_vit  # noqa: E402

BUILDERS = ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"]
SMALL = {"patch_size": 8, "num_layers": 2, "num_heads": 2, "hidden_dim": 16, "mlp_dim": 32}


def _randomize_zero_initialised(model: torch.nn.Module, generator: torch.Generator) -> None:
    """The class token and the head start at zero: give them values, so outputs depend on each
    tensor landing in the right place."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name == "class_token" or name.startswith("heads."):
                parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))


@pytest.mark.parametrize("name", BUILDERS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = getattr(vit, name)()
        theirs = getattr(torchvision.models, name)(weights=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


def _stem(module):
    return [module.ConvStemConfig(8, 3, 2), module.ConvStemConfig(12, 3, 4)]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"representation_size": 12}, {"conv_stem": True, "num_classes": 7}],
    ids=["plain", "representation_size", "conv_stem"],
)
def test_custom_vision_transformer_loads_torchvisions_and_agrees(kwargs):
    kwargs = dict(kwargs)
    conv_stem = kwargs.pop("conv_stem", False)
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    stem = {"conv_stem_configs": _stem(tv_vit)} if conv_stem else {}
    theirs = tv_vit.VisionTransformer(image_size=32, **SMALL, **stem, **kwargs).eval()
    randomize_norm_statistics(theirs, generator)
    _randomize_zero_initialised(theirs, generator)
    stem = {"conv_stem_configs": _stem(vit)} if conv_stem else {}
    with torch.device("meta"):
        ours = vit.VisionTransformer(image_size=32, **SMALL, **stem, **kwargs)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    image = torch.randn(2, 3, 32, 32, generator=generator)
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0


def _check_builder_agrees(name: str, image_size: int) -> None:
    """torchvision's randomly initialised model, in float64 (float32 rounding over a dozen
    blocks is near the 1e-5 tolerance), loaded strictly into ours built on the meta device."""
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, image_size=image_size, num_classes=10)
    _randomize_zero_initialised(theirs, generator)
    theirs = theirs.double().eval()
    with torch.device("meta"):
        ours = getattr(vit, name)(image_size=image_size, num_classes=10)
    ours = ours.to_empty(device="cpu").double().eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    image = torch.randn(2, 3, image_size, image_size, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0


@pytest.mark.parametrize("name", ["vit_b_16", "vit_b_32"])
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(name):
    _check_builder_agrees(name, image_size=32)


@pytest.mark.slow
def test_vit_l_16_loads_torchvisions_and_agrees():
    _check_builder_agrees("vit_l_16", image_size=32)


def _small_pair() -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    theirs = tv_vit.VisionTransformer(image_size=32, dropout=0.1, **SMALL)
    _randomize_zero_initialised(theirs, torch.Generator().manual_seed(1))
    ours = vit.VisionTransformer(image_size=32, dropout=0.1, **SMALL)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


_INSIDE_ATTENTION = re.compile(r"(encoder\.layers\.encoder_layer_\d+\.self_attention)\..+")
# torchvision's attention is one node returning (output, None), unpacked by two getitem nodes.
_UNPACKING = re.compile(r"encoder\.layers\.encoder_layer_\d+\.getitem(_1)?")


def test_node_names_equal_torchvision_outside_the_attention():
    ours, theirs = _small_pair()
    expected = tv_extraction.get_graph_node_names(theirs)
    names = get_graph_node_names(ours)
    for our_names, their_names in zip(names, expected, strict=True):
        collapsed = list(dict.fromkeys(_INSIDE_ATTENTION.sub(r"\1", n) for n in our_names))
        assert collapsed == [n for n in their_names if not _UNPACKING.fullmatch(n)]
        # The nodes users pick are the same nodes.
        for node in ("encoder.layers.encoder_layer_1.add_1", "encoder.ln", "getitem_5"):
            assert node in our_names and node in their_names
        assert our_names[-1] == their_names[-1] == "heads.head"


@pytest.mark.parametrize("mode", ["eval", "train"])
@torch.no_grad()
def test_features_equal_torchvision(mode):
    ours, theirs = _small_pair()
    return_nodes = {
        "conv_proj": "stem",
        "encoder.layers.encoder_layer_0": "block0",
        "encoder.layers.encoder_layer_1.ln_1": "norm",
        "encoder.layers.encoder_layer_1.mlp": "mlp",
        "encoder.ln": "tokens",
        "getitem_5": "class_token",
        "heads": "logits",
    }
    ours = create_feature_extractor(ours, return_nodes).train(mode == "train")
    theirs = tv_extraction.create_feature_extractor(theirs, return_nodes).train(mode == "train")
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(3)
    expected = theirs(x)
    torch.manual_seed(3)
    features = ours(x)
    assert set(features) == set(return_nodes.values())
    if mode == "train":
        # The same random draws, but torchvision's attention output is laid out (L, N, E) in
        # memory, so its dropout mask lands on other elements: compare up to that dropout.
        features, expected = features["stem"], expected["stem"]
    torch.testing.assert_close(features, expected)


def test_interpolate_embeddings_equals_torchvisions():
    torch.manual_seed(0)
    state = tv_vit.VisionTransformer(image_size=56, **SMALL).state_dict()
    for reset_heads in (False, True):
        expected = tv_vit.interpolate_embeddings(32, 8, OrderedDict(state), reset_heads=reset_heads)
        actual = vit.interpolate_embeddings(32, 8, OrderedDict(state), reset_heads=reset_heads)
        assert list(actual) == list(expected)
        torch.testing.assert_close(dict(actual), dict(expected))
    same = OrderedDict(state)
    assert vit.interpolate_embeddings(56, 8, same, reset_heads=True) is same


@torch.no_grad()
def test_legacy_mlp_names_load_as_in_torchvision():
    _, theirs = _small_pair()
    legacy = {
        k.replace("mlp.0.", "mlp.linear_1.").replace("mlp.3.", "mlp.linear_2."): v
        for k, v in theirs.state_dict().items()
    }
    fresh_ours = vit.VisionTransformer(image_size=32, **SMALL)
    fresh_theirs = tv_vit.VisionTransformer(image_size=32, **SMALL)
    fresh_ours.load_state_dict(legacy, strict=True)
    fresh_theirs.load_state_dict(legacy, strict=True)
    x = torch.randn(1, 3, 32, 32)
    torch.testing.assert_close(fresh_ours.eval()(x), fresh_theirs.eval()(x))
