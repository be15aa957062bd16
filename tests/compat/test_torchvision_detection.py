"""vmodels' R-CNNs against torchvision's: state dicts interchange, and with the same weights the
detections and, under the same random seed, the training losses are the same."""

import pytest
import torch
from model_checks import state_dict_shapes

import vmodels
from vmodels.detection import paste_masks_in_image

torchvision = pytest.importorskip("torchvision")
from torchvision.models import detection as tv_detection  # noqa: E402
from torchvision.models.detection.roi_heads import (  # noqa: E402
    paste_masks_in_image as tv_paste_masks_in_image,
)

DETECTION_MODELS = ["fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn"]
SMALL = {"min_size": 128, "max_size": 160}


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 128, 160, generator=generator),
        torch.rand(3, 96, 128, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(1)
    masks = torch.zeros(2, 128, 160, dtype=torch.uint8)
    masks[0, 20:80, 10:60] = 1
    masks[1, 30:90, 70:120] = 1
    keypoints = torch.rand(2, 17, 3, generator=generator) * 50 + torch.tensor([20.0, 30.0, 0.0])
    keypoints[..., 2] = 2
    with_objects = {
        "boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0], [70.0, 30.0, 120.0, 90.0]]),
        "labels": torch.tensor([1, 1]),
        "masks": masks,
        "keypoints": keypoints,
    }
    empty = {
        "boxes": torch.zeros(0, 4),
        "labels": torch.zeros(0, dtype=torch.int64),
        "masks": torch.zeros(0, 96, 128, dtype=torch.uint8),
        "keypoints": torch.zeros(0, 17, 3),
    }
    return [with_objects, empty]


@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = vmodels.get_model(name)
        theirs = getattr(tv_detection, name)(weights=None, weights_backbone=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.fixture(scope="module", params=DETECTION_MODELS)
def model_pair(request):
    torch.manual_seed(0)
    ours = vmodels.get_model(request.param, box_score_thresh=0.0, **SMALL)
    theirs = getattr(tv_detection, request.param)(
        weights=None, weights_backbone=None, box_score_thresh=0.0, **SMALL
    )
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
            # Masks are pasted by a batched matrix product instead of one resize per mask, and
            # keypoint scores read off the peak cells of the heatmaps instead of resized maps.
            close = 1e-5 if key in ("masks", "keypoints_scores") else 0.0
            torch.testing.assert_close(prediction[key], value, rtol=close, atol=close, msg=key)


def test_training_losses_equal_torchvision_under_the_same_seed(model_pair):
    ours, theirs = (m.train() for m in model_pair)
    torch.manual_seed(5)
    losses = ours(_images(), _targets())
    torch.manual_seed(5)
    expected = theirs(_images(), _targets())
    assert losses.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(losses[key], value, msg=key)


def test_mask_pasting_equals_torchvision():
    generator = torch.Generator().manual_seed(0)
    masks = torch.rand(20, 1, 28, 28, generator=generator)
    corners = torch.rand(20, 2, generator=generator) * torch.tensor([50.0, 30.0]) + 2
    sizes = torch.rand(20, 2, generator=generator) * 30 + 0.5
    boxes = torch.cat([corners, corners + sizes], dim=1)
    pasted = paste_masks_in_image(masks, boxes, [70, 90])
    torch.testing.assert_close(
        pasted, tv_paste_masks_in_image(masks, boxes, (70, 90)), atol=1e-5, rtol=0
    )
