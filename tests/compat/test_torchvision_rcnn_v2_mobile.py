"""vmodels' mobile and v2 R-CNNs against torchvision's: state dicts interchange, and with the
same weights the detections and, under the same random seed, the training losses are the same."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes
from torch import nn

import vmodels

torchvision = pytest.importorskip("torchvision")
from torchvision.models import detection as tv_detection  # noqa: E402

MODELS = [
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "maskrcnn_resnet50_fpn_v2",
]
# Few proposals: from untrained heads many objectness probabilities round to the same float
# near 0.5, and the two NMS implementations break such ties in different orders; with fewer
# proposals no tie reaches the sampled RoIs here.
FEW_ROIS = {
    "rpn_pre_nms_top_n_train": 300,
    "rpn_post_nms_top_n_train": 150,
    "box_batch_size_per_image": 64,
    "box_score_thresh": 0.0,
}


def _image_size(name: str) -> tuple[int, int]:
    # Sides that resize to multiples of 32 (320 x 384; 128 x 160), so that no padding gives
    # anchors equal scores.
    return (160, 192) if "320" in name else (128, 160)


# The 320 model keeps its own sizes and test-time proposal counts.
SMALL = {
    "min_size": 128,
    "max_size": 160,
    "rpn_pre_nms_top_n_test": 200,
    "rpn_post_nms_top_n_test": 100,
}


def _kwargs(name: str) -> dict:
    return {**FEW_ROIS, **({} if "320" in name else SMALL)}


def _images(name: str) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.rand(3, *_image_size(name), generator=generator) for _ in range(2)]


def _targets(name: str) -> list[dict[str, torch.Tensor]]:
    height, width = _image_size(name)
    masks = torch.zeros(2, height, width, dtype=torch.uint8)
    masks[0, 20:80, 10:60] = 1
    masks[1, 30:90, 70:120] = 1
    with_objects = {
        "boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0], [70.0, 30.0, 120.0, 90.0]]),
        "labels": torch.tensor([1, 2]),
        "masks": masks,
    }
    empty = {
        "boxes": torch.zeros(0, 4),
        "labels": torch.zeros(0, dtype=torch.int64),
        "masks": torch.zeros(0, height, width, dtype=torch.uint8),
    }
    return [with_objects, empty]


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = vmodels.get_model(name)
        theirs = getattr(tv_detection, name)(weights=None, weights_backbone=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    trainable = [n for n, p in ours.named_parameters() if p.requires_grad]
    assert trainable == [n for n, p in theirs.named_parameters() if p.requires_grad]


def _calibrate(model: nn.Module, name: str) -> None:
    """Random batch-norm parameters, then statistics of one training batch: untrained, the
    MobileNet's activations vanish and every RoI would score the same."""
    randomize_norm_statistics(model, torch.Generator().manual_seed(3))
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for norm in norms:
        norm.momentum = 1.0
    with torch.no_grad():
        model.train()(_images(name), _targets(name))
    for norm in norms:
        norm.momentum = 0.1
    # Spread class scores apart, so that the ranking of detections is not a tie.
    generator = torch.Generator().manual_seed(4)
    with torch.no_grad():
        model.roi_heads.box_predictor.cls_score.weight.normal_(0.0, 0.1, generator=generator)


@pytest.fixture(
    scope="module",
    params=[
        MODELS[1],
        MODELS[2],
        pytest.param(MODELS[3], marks=pytest.mark.slow),
    ],
)
def model_pair(request):
    name = request.param
    torch.manual_seed(0)
    ours = vmodels.get_model(name, **_kwargs(name))
    _calibrate(ours, name)
    theirs = getattr(tv_detection, name)(weights=None, weights_backbone=None, **_kwargs(name))
    theirs.load_state_dict(ours.state_dict(), strict=True)
    return name, ours, theirs


def test_detections_equal_torchvision_with_the_same_weights(model_pair):
    name, ours, theirs = model_pair
    with torch.no_grad():
        predictions, expected = ours.eval()(_images(name)), theirs.eval()(_images(name))
    for prediction, reference in zip(predictions, expected, strict=True):
        assert prediction.keys() == reference.keys()
        assert len(reference["boxes"]) > 0
        for key, value in reference.items():
            # Masks are pasted by a batched matrix product instead of one resize per mask.
            atol = 1e-5 if key == "masks" else 0.0
            torch.testing.assert_close(prediction[key], value, rtol=0.0, atol=atol, msg=key)


def test_training_losses_equal_torchvision_under_the_same_seed(model_pair):
    name, ours, theirs = model_pair
    torch.manual_seed(5)
    losses = ours.train()(_images(name), _targets(name))
    torch.manual_seed(5)
    expected = theirs.train()(_images(name), _targets(name))
    assert losses.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(losses[key], value, msg=key)
