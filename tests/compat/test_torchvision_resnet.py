"""vmodels ResNets against torchvision's: state dicts interchange and outputs agree."""

import pytest
import torch
from torch import nn

from vmodels._registry import get_model

torchvision = pytest.importorskip("torchvision")

ALL_RESNETS = [
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "resnext50_32x4d",
    "resnext101_32x8d",
    "wide_resnet50_2",
    "wide_resnet101_2",
]
# Built for real (one of each block type / width scheme); the rest only on the meta device.
NUMERIC_RESNETS = ["resnet18", "resnext50_32x4d", "wide_resnet50_2"]


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


@pytest.mark.parametrize("name", ALL_RESNETS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = get_model(name)
        theirs = torchvision.models.get_model(name, weights=None)
    assert list(_shapes(ours).items()) == list(_shapes(theirs).items())


def _randomize_norm_statistics(model: nn.Module, generator: torch.Generator) -> None:
    """Give every batch norm non-trivial statistics and affine parameters, so that eval
    outputs depend on each buffer landing in the right place."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.running_mean.copy_(0.1 * torch.randn(c, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(c, generator=generator))
                module.weight.copy_(0.5 + torch.rand(c, generator=generator))
                module.bias.copy_(0.1 * torch.randn(c, generator=generator))


@pytest.mark.parametrize("name", NUMERIC_RESNETS)
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(name):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = torchvision.models.get_model(name, weights=None, num_classes=10).eval()
    _randomize_norm_statistics(theirs, generator)
    # Built on the meta device and materialised empty: every value comes from the load.
    with torch.device("meta"):
        ours = get_model(name, num_classes=10)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)

    image = torch.randn(2, 3, 64, 64, generator=generator)
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0
