"""vmodels Swin Transformer V1 and V2 against torchvision's: state dicts interchange and give the
same logits (at window multiples and at sizes that need padding, in evaluation and, seed for
seed, in training) and gradients, the same graph node names and feature-extractor outputs."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes
from torch import Tensor, nn

from vmodels.classification import swin_transformer as swin
from vmodels.feature_extraction import create_feature_extractor, get_graph_node_names

torchvision = pytest.importorskip("torchvision")
from torchvision.models import feature_extraction as tv_extraction  # noqa: E402
from torchvision.models import swin_transformer as tv_swin  # noqa: E402

NAMES = ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]
SIZES = [(64, 64), (72, 56)]


def _randomize(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Layer norms, position bias tables and temperatures, and the head (logits of unit scale)
    randomized, so that outputs depend on each of them landing in the right place."""
    randomize_norm_statistics(model, generator)
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            noise = torch.randn(tensor.shape, generator=generator)
            if name.endswith(("relative_position_bias_table", "logit_scale")):
                tensor.add_(noise)
            elif name.startswith("head"):
                tensor.copy_(noise * (tensor.shape[-1] ** -0.5 if tensor.dim() == 2 else 1.0))
            elif isinstance(model.get_submodule(name.rpartition(".")[0]), nn.LayerNorm):
                tensor.add_(0.1 * noise)
    return model


def _pair(name: str) -> tuple[nn.Module, nn.Module]:
    """(ours, theirs): torchvision's randomly initialised model loaded strictly into ours, built
    on the meta device and materialised empty, so that every value comes from the load.

    V2 models are compared in float64: with temperatures up to 100 the cosine attention's
    float32 rounding (torchvision's own, against float64, is 1.5e-5) exceeds the tolerance.
    """
    dtype = torch.float64 if name.startswith("swin_v2") else torch.float32
    torch.manual_seed(0)
    theirs = getattr(tv_swin, name)(num_classes=10).to(dtype).eval()
    _randomize(theirs, torch.Generator().manual_seed(1))
    with torch.device("meta"):
        ours = getattr(swin, name)(num_classes=10)
    ours = ours.to_empty(device="cpu").to(dtype).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


@pytest.fixture(scope="module")
def swin_t_pair() -> tuple[nn.Module, nn.Module]:
    return _pair("swin_t")


@pytest.fixture(scope="module")
def swin_v2_t_pair() -> tuple[nn.Module, nn.Module]:
    return _pair("swin_v2_t")


def _image(model: nn.Module, n: int, size: tuple[int, int], seed: int) -> Tensor:
    image = torch.randn(n, 3, *size, generator=torch.Generator().manual_seed(seed))
    return image.to(model.head.weight.dtype)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours, theirs = getattr(swin, name)(), getattr(tv_swin, name)()
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


def test_custom_configuration_state_dicts_equal_torchvision():
    kwargs = {
        "patch_size": [2, 3],
        "embed_dim": 12,
        "depths": [1, 2, 1],
        "num_heads": [2, 3, 4],
        "window_size": [3, 5],
        "mlp_ratio": 2.5,
        "num_classes": 7,
    }
    for version in ({}, {"block": swin.SwinTransformerBlockV2}):
        tv_version = {"block": tv_swin.SwinTransformerBlockV2} if version else {}
        with torch.device("meta"):
            ours = swin.SwinTransformer(**kwargs, **version)
            theirs = tv_swin.SwinTransformer(**kwargs, **tv_version)
        assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.mark.parametrize("pair", ["swin_t_pair", "swin_v2_t_pair"])
@pytest.mark.parametrize("size", SIZES, ids=["64x64", "72x56"])
@torch.no_grad()
def test_tiny_models_give_torchvisions_logits(pair, size, request):
    ours, theirs = request.getfixturevalue(pair)
    image = _image(ours, 2, size, seed=2)
    expected = theirs(image)
    torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0.1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["swin_s", "swin_b", "swin_v2_s", "swin_v2_b"])
@torch.no_grad()
def test_larger_models_give_torchvisions_logits(name):
    ours, theirs = _pair(name)
    image = _image(ours, 1, SIZES[1], seed=3)
    expected = theirs(image)
    torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0.1


# float64 backward through swin_v2_t takes over 10 s here.
@pytest.mark.parametrize(
    "pair", ["swin_t_pair", pytest.param("swin_v2_t_pair", marks=pytest.mark.slow)]
)
def test_training_forward_and_gradients_match_seed_for_seed(pair, request):
    """Stochastic depth draws the same random numbers in the same order as torchvision's, and
    the gradients (through the attention mask to the position biases) agree."""
    ours, theirs = request.getfixturevalue(pair)
    image = _image(ours, 2, (32, 40), seed=4)
    gradients = []
    for model in (theirs, ours):
        model.train()
        torch.manual_seed(5)
        try:
            model(image).square().mean().backward()
            gradients.append({n: p.grad for n, p in model.named_parameters()})
        finally:
            model.eval().zero_grad(set_to_none=True)
    assert list(gradients[1]) == list(gradients[0])
    for key, expected in gradients[0].items():
        torch.testing.assert_close(gradients[1][key], expected, msg=key)


@pytest.mark.parametrize("pair", ["swin_t_pair", "swin_v2_t_pair"])
def test_graph_node_names_equal_torchvisions(pair, request):
    ours, theirs = request.getfixturevalue(pair)
    assert get_graph_node_names(ours) == tv_extraction.get_graph_node_names(theirs)


@pytest.mark.parametrize("mode", ["eval", "train"])
@torch.no_grad()
def test_feature_extractor_outputs_equal_torchvisions(swin_v2_t_pair, mode):
    ours, theirs = swin_v2_t_pair
    return_nodes = {
        "features.0": "embedding",
        "features.1.1.attn.shifted_window_attention": "attention",
        "features.2": "merged",
        "features.5.3.add_1": "block",
        "permute": "last",
    }
    extractors = [
        tv_extraction.create_feature_extractor(theirs, return_nodes),
        create_feature_extractor(ours, return_nodes),
    ]
    image = _image(ours, 2, SIZES[1], seed=6)
    outputs = []
    for extractor in extractors:
        extractor.train(mode == "train")
        torch.manual_seed(7)
        outputs.append(extractor(image))
    assert list(outputs[1]) == list(return_nodes.values())
    torch.testing.assert_close(outputs[1], outputs[0])
