"""vmodels' FCOS against torchvision's: state dicts interchange, and with the same weights the
detections, the box coder and, under the same random seed, the training losses are the same."""

import pytest
import torch
from model_checks import state_dict_shapes

import vmodels
from vmodels.detection.box_coding import BoxLinearCoder

torchvision = pytest.importorskip("torchvision")
from torchvision.models import detection as tv_detection  # noqa: E402
from torchvision.models.detection import _utils as tv_utils  # noqa: E402

# Untrained, scores start near sqrt(0.01 * 0.5): a zero threshold keeps detections to compare.
SETTINGS = {"min_size": 128, "max_size": 160, "score_thresh": 0.0, "num_classes": 5}


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 128, 160, generator=generator),
        torch.rand(3, 96, 128, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    # Overlapping boxes of several sizes, so that points go to several levels and some choose.
    with_objects = {
        "boxes": torch.tensor(
            [[10.0, 20.0, 60.0, 80.0], [30.0, 30.0, 150.0, 120.0], [5.0, 5.0, 25.0, 20.0]]
        ),
        "labels": torch.tensor([1, 4, 2]),
    }
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    return [with_objects, empty]


def test_state_dict_names_and_shapes_equal_torchvision():
    with torch.device("meta"):
        ours = vmodels.get_model("fcos_resnet50_fpn")
        theirs = tv_detection.fcos_resnet50_fpn(weights=None, weights_backbone=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.fixture(scope="module")
def model_pair():
    torch.manual_seed(0)
    ours = vmodels.get_model("fcos_resnet50_fpn", **SETTINGS)
    for module in ours.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    theirs = tv_detection.fcos_resnet50_fpn(weights=None, weights_backbone=None, **SETTINGS)
    theirs.load_state_dict(ours.state_dict(), strict=True)
    return ours, theirs


def test_detections_equal_torchvision_with_the_same_weights(model_pair):
    ours, theirs = (m.eval() for m in model_pair)
    with torch.no_grad():
        predictions, expected = ours(_images()), theirs(_images())
    for prediction, reference in zip(predictions, expected, strict=True):
        assert prediction.keys() == reference.keys()
        assert len(reference["boxes"]) > 0
        for key, value in reference.items():
            torch.testing.assert_close(prediction[key], value, rtol=0.0, atol=0.0, msg=key)


def test_training_losses_equal_torchvision_under_the_same_seed(model_pair):
    ours, theirs = (m.train() for m in model_pair)
    torch.manual_seed(5)
    losses = ours(_images(), _targets())
    torch.manual_seed(5)
    expected = theirs(_images(), _targets())
    assert losses.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(losses[key], value, msg=key)


@pytest.mark.parametrize("normalize_by_size", [True, False])
def test_box_linear_coder_equals_torchvisions(normalize_by_size):
    generator = torch.Generator().manual_seed(0)
    corners = torch.rand(2, 50, 2, generator=generator) * 100
    anchors = torch.cat([corners, corners + 1 + torch.rand(2, 50, 2, generator=generator) * 50], -1)
    boxes = anchors + torch.randn(2, 50, 4, generator=generator) * 5
    codes = torch.rand(2, 50, 4, generator=generator)
    ours = BoxLinearCoder(normalize_by_size=normalize_by_size)
    theirs = tv_utils.BoxLinearCoder(normalize_by_size=normalize_by_size)
    torch.testing.assert_close(
        ours.encode(anchors, boxes), theirs.encode(anchors, boxes), rtol=0, atol=0
    )
    torch.testing.assert_close(
        ours.decode(codes, anchors), theirs.decode(codes, anchors), rtol=0, atol=0
    )
