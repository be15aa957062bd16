"""vmodels FCN and DeepLabV3 against torchvision's: state dicts interchange and outputs agree."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes

from vmodels._registry import get_model
from vmodels.segmentation.deeplabv3 import ASPP

torchvision = pytest.importorskip("torchvision")

SEGMENTATION_MODELS = ["fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101"]


@pytest.mark.parametrize("name", SEGMENTATION_MODELS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = get_model(name, aux_loss=True)
        theirs = torchvision.models.get_model(
            name, weights=None, weights_backbone=None, aux_loss=True
        )
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.mark.parametrize("name", ["fcn_resnet50", "deeplabv3_resnet50"])
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(name):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = torchvision.models.get_model(
        name, weights=None, weights_backbone=None, num_classes=3, aux_loss=True
    ).eval()
    randomize_norm_statistics(theirs, generator)
    # Built on the meta device and materialised empty: every value comes from the load.
    with torch.device("meta"):
        ours = get_model(name, num_classes=3, aux_loss=True)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)

    image = torch.randn(1, 3, 64, 64, generator=generator)
    with torch.no_grad():
        expected, actual = theirs(image), ours(image)
    assert list(actual) == list(expected) == ["out", "aux"]
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key])
        assert expected[key].std() > 0


def test_aspp_matches_torchvision_branch_by_branch():
    # A feature map larger than every rate, so each dilated branch sees its own neighbours and a
    # mix-up of the rates' order would change the output (at 8x8 and rates 12+ it would not).
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = torchvision.models.segmentation.deeplabv3.ASPP(16, [1, 2, 3], out_channels=8).eval()
    randomize_norm_statistics(theirs, generator)
    ours = ASPP(16, [1, 2, 3], out_channels=8).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x = torch.randn(2, 16, 9, 11, generator=generator)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))
