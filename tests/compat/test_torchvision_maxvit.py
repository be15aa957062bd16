"""vmodels MaxViT against torchvision's: state dicts interchange and give the same logits (MaxViT-T
at 224x224, a small configuration at 64x64, in evaluation and, seed for seed, in training), the
same graph node names and feature-extractor outputs."""

import re

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes
from torch import nn

from vmodels.classification import maxvit
from vmodels.feature_extraction import create_feature_extractor, get_graph_node_names

torchvision = pytest.importorskip("torchvision")
from torchvision.models import feature_extraction as tv_extraction  # noqa: E402
from torchvision.models import maxvit as tv_maxvit  # noqa: E402

# torchvision fixes the input size at construction; 2x2 partitions divide 64x64's maps.
SMALL = {
    "input_size": (64, 64),
    "stem_channels": 8,
    "partition_size": 2,
    "block_channels": [8, 16, 16, 32],
    "block_layers": [1, 2, 1, 1],
    "head_dim": 4,
    "stochastic_depth_prob": 0.5,
    "num_classes": 10,
}
# Computed differently inside (scaled_dot_product_attention; window shapes from each input):
# these nodes are compared as the module they run in.
_INSIDE = re.compile(r"(.*\.(?:attn_layer\.1|partition_op|departition_op))\..+")
# Ours only: the input-size check, and each attention layer's window shape from its input.
_OURS_ONLY = re.compile(r"check_input_size|.*_attention\.(getattr|getitem|floordiv)(_\d+)?")


def _randomize(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Batch-norm statistics, layer norms, relative position biases (of unit scale) and the
    classifier (logits of unit scale), so that outputs depend on each of them landing in the
    right place."""
    randomize_norm_statistics(model, generator)
    with torch.no_grad():
        for name, tensor in model.named_parameters():
            if "relative_position_bias_table" in name:
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
            elif name.startswith("classifier"):
                scale = tensor.shape[-1] ** -0.5 if tensor.dim() == 2 else 1.0
                tensor.copy_(scale * torch.randn(tensor.shape, generator=generator))
            elif isinstance(model.get_submodule(name.rpartition(".")[0]), nn.LayerNorm):
                tensor.add_(0.1 * torch.randn(tensor.shape, generator=generator))
    return model


def _ours_loaded_with(theirs: nn.Module, **kwargs) -> nn.Module:
    """Ours built on the meta device and materialised empty: every value comes from the load."""
    with torch.device("meta"):
        ours = maxvit.MaxVit(**kwargs)
    ours = ours.to_empty(device="cpu")
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.train(theirs.training)


@pytest.fixture(scope="module")
def maxvit_t_pair() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    theirs = _randomize(tv_maxvit.maxvit_t().eval(), torch.Generator().manual_seed(0))
    return _ours_loaded_with(theirs), theirs


@pytest.fixture(scope="module")
def small_pair() -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(0)
    theirs = _randomize(tv_maxvit.MaxVit(**SMALL).eval(), torch.Generator().manual_seed(1))
    return _ours_loaded_with(theirs, **SMALL), theirs


def test_state_dict_names_and_shapes_equal_torchvision():
    with torch.device("meta"):
        ours, theirs = maxvit.maxvit_t(), tv_maxvit.maxvit_t()
        small_ours, small_theirs = maxvit.MaxVit(**SMALL), tv_maxvit.MaxVit(**SMALL)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    assert list(state_dict_shapes(small_ours).items()) == list(
        state_dict_shapes(small_theirs).items()
    )


@torch.no_grad()
def test_maxvit_t_gives_torchvisions_logits_at_224(maxvit_t_pair):
    ours, theirs = maxvit_t_pair
    image = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(2))
    expected = theirs(image)
    torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0.1


@torch.no_grad()
def test_small_configuration_gives_torchvisions_logits(small_pair):
    ours, theirs = small_pair
    image = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(3))
    expected = theirs(image)
    torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0.1


@torch.no_grad()
def test_training_forward_matches_seed_for_seed(small_pair):
    """Stochastic depth draws the same random numbers in the same order as torchvision's."""
    ours, theirs = small_pair
    image = torch.randn(4, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    outputs = []
    for model in (theirs, ours):
        model.train()
        torch.manual_seed(5)
        outputs.append(model(image))
        model.eval()
    torch.testing.assert_close(outputs[1], outputs[0])


def _comparable(names: list[str]) -> list[str]:
    kept = [_INSIDE.sub(r"\1", name) for name in names if not _OURS_ONLY.fullmatch(name)]
    return list(dict.fromkeys(kept))


def test_graph_node_names_equal_torchvisions(maxvit_t_pair):
    ours, theirs = maxvit_t_pair
    expected = tv_extraction.get_graph_node_names(theirs)
    names = get_graph_node_names(ours)
    for our_names, their_names in zip(names, expected, strict=True):
        assert _comparable(our_names) == _comparable(their_names)
        # The nodes users pick are the same nodes.
        for node in (
            "stem.1",
            "blocks.1.layers.1.layers.MBconv.add",
            "blocks.2.layers.4.layers.window_attention.add_1",
            "blocks.3.layers.0.layers.grid_attention.mlp_layer.4",
            "classifier.3",
        ):
            assert node in our_names and node in their_names
        assert our_names[-1] == their_names[-1] == "classifier.5"


@pytest.mark.parametrize("mode", ["eval", "train"])
@torch.no_grad()
def test_feature_extractor_outputs_equal_torchvisions(small_pair, mode):
    ours, theirs = small_pair
    return_nodes = {
        "stem": "stem",
        "blocks.0.layers.0.layers.MBconv": "mbconv",
        "blocks.1.layers.1.layers.window_attention.add": "attention",
        "blocks.2.layers.0.layers.grid_attention": "grid",
        "blocks.3": "last",
    }
    ours_extractor = create_feature_extractor(ours, return_nodes)
    theirs_extractor = tv_extraction.create_feature_extractor(theirs, return_nodes)
    image = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(6))
    outputs = []
    for extractor in (theirs_extractor, ours_extractor):
        extractor.train(mode == "train")
        torch.manual_seed(7)
        outputs.append(extractor(image))
    assert list(outputs[1]) == list(return_nodes.values())
    torch.testing.assert_close(outputs[1], outputs[0])
