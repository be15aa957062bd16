"""vmodels ResNets against torchvision's: state dicts interchange and outputs agree."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes

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


@pytest.mark.parametrize("name", ALL_RESNETS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = get_model(name)
        theirs = torchvision.models.get_model(name, weights=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.mark.parametrize("name", NUMERIC_RESNETS)
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(name):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = torchvision.models.get_model(name, weights=None, num_classes=10).eval()
    randomize_norm_statistics(theirs, generator)
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
