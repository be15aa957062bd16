"""vmodels ConvNeXt and MNASNet against torchvision's: state dicts interchange, outputs agree in
eval and in training (same random draws), graph node names match, and MNASNet's version-1
checkpoints load the same way."""

from collections import OrderedDict

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes
from torch import nn

import vmodels
from vmodels.classification.convnext import CNBlockConfig, ConvNeXt
from vmodels.classification.mnasnet import MNASNet
from vmodels.feature_extraction import get_graph_node_names

torchvision = pytest.importorskip("torchvision")

BUILDERS = [
    "convnext_tiny",
    "convnext_small",
    "convnext_base",
    "convnext_large",
    "mnasnet0_5",
    "mnasnet0_75",
    "mnasnet1_0",
    "mnasnet1_3",
]


def _randomize_layer_norms(model: nn.Module, generator: torch.Generator) -> None:
    """Give every layer norm and layer scale values far from their initial ones (1, 0 and
    1e-6), so that each block's branch shows in the logits."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("layer_scale"):
                parameter.copy_(0.5 + 0.5 * torch.rand(parameter.shape, generator=generator))
        for module in model.modules():
            if isinstance(module, nn.LayerNorm):
                c = module.normalized_shape
                module.weight.copy_(0.5 + torch.rand(c, generator=generator))
                module.bias.copy_(0.1 * torch.randn(c, generator=generator))


@pytest.mark.parametrize("name", BUILDERS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = vmodels.get_model(name)
        theirs = getattr(torchvision.models, name)(weights=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("mnasnet0_5", 64),
        ("mnasnet0_75", 64),
        ("mnasnet1_0", 64),
        ("mnasnet1_3", 64),
        ("convnext_tiny", 32),
        pytest.param("convnext_small", 32, marks=pytest.mark.slow),
        pytest.param("convnext_base", 32, marks=pytest.mark.slow),
        pytest.param("convnext_large", 32, marks=pytest.mark.slow),
    ],
)
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(name, size):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, num_classes=10).eval()
    randomize_norm_statistics(theirs, generator)
    _randomize_layer_norms(theirs, generator)
    # Built on the meta device and materialised empty: every value comes from the load.
    with torch.device("meta"):
        ours = vmodels.get_model(name, num_classes=10)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)

    image = torch.randn(2, 3, size, size, generator=generator)
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0


def test_training_outputs_equal_torchvision_with_the_same_random_draws():
    """Stochastic depth (ConvNeXt) and dropout (MNASNet) draw as torchvision's do."""
    tv_convnext = torchvision.models.convnext
    setting = [(8, 16, 2), (16, None, 2)]
    pairs = [
        (
            ConvNeXt([CNBlockConfig(*row) for row in setting], stochastic_depth_prob=0.7),
            tv_convnext.ConvNeXt(
                [tv_convnext.CNBlockConfig(*row) for row in setting], stochastic_depth_prob=0.7
            ),
        ),
        (MNASNet(0.5, num_classes=10, dropout=0.5), torchvision.models.MNASNet(0.5, 10, 0.5)),
    ]
    generator = torch.Generator().manual_seed(0)
    for ours, theirs in pairs:
        _randomize_layer_norms(theirs, generator)
        ours.load_state_dict(theirs.state_dict(), strict=True)
        ours.train()
        theirs.train()
        image = torch.randn(8, 3, 32, 32, generator=generator)
        torch.manual_seed(1)
        expected = theirs(image)
        torch.manual_seed(1)
        torch.testing.assert_close(ours(image), expected)


@pytest.mark.parametrize("name", ["convnext_tiny", "mnasnet0_5"])
def test_graph_node_names_equal_torchvision(name):
    from torchvision.models.feature_extraction import get_graph_node_names as theirs_names

    with torch.device("meta"):
        ours = vmodels.get_model(name)
        theirs = getattr(torchvision.models, name)(weights=None)
    assert get_graph_node_names(ours) == theirs_names(theirs)


def test_version_1_checkpoint_loads_as_torchvision_loads_it():
    torch.manual_seed(0)
    # An alpha-0.5 model as version 1 saved it: alpha 1.0's stem (32 and 16 channels), a first
    # stack from 16 to 16 channels (alpha 0.7's) and alpha 0.5's rest.
    sources = {alpha: torchvision.models.MNASNet(alpha).state_dict() for alpha in (1.0, 0.7, 0.5)}
    state = OrderedDict()
    for key in sources[0.5]:
        index = int(key.split(".")[1]) if key.startswith("layers.") else None
        alpha = 1.0 if index is not None and index < 8 else 0.7 if index == 8 else 0.5
        state[key] = sources[alpha][key]
    state._metadata = OrderedDict({"": {"version": 1}})

    theirs = torchvision.models.MNASNet(0.5)
    ours = MNASNet(0.5)
    with pytest.warns(UserWarning):
        theirs.load_state_dict(state)
    with pytest.warns(UserWarning, match="version-1"):
        ours.load_state_dict(state)
    generator = torch.Generator().manual_seed(0)
    randomize_norm_statistics(theirs, generator)
    with pytest.warns(UserWarning, match="version-1"):  # saved as version 1 again
        ours.load_state_dict(theirs.state_dict())
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    assert ours.state_dict()._metadata[""] == theirs.state_dict()._metadata[""]
    image = torch.randn(2, 3, 64, 64, generator=generator)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(image), theirs.eval()(image))
