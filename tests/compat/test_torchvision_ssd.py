"""vmodels' SSD against torchvision's: default boxes, state dicts, and with the same weights the
same detections and, under the same random seed, the same training losses."""

import pytest
import torch
from model_checks import state_dict_shapes

import vmodels
from vmodels.detection.default_boxes import DefaultBoxGenerator
from vmodels.detection.transform import ImageList

torchvision = pytest.importorskip("torchvision")
from torchvision.models import detection as tv_detection  # noqa: E402
from torchvision.models.detection.anchor_utils import (  # noqa: E402
    DefaultBoxGenerator as TvDefaultBoxGenerator,
)
from torchvision.models.detection.image_list import ImageList as TvImageList  # noqa: E402

SSD_MODELS = ["ssd300_vgg16"]


@pytest.mark.parametrize(
    ("config", "sides"),
    [
        (
            {
                "aspect_ratios": [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
                "scales": [0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
                "steps": [8, 16, 32, 64, 100, 300],
            },
            [38, 19, 10, 5, 3, 1],
        ),
        (
            {"aspect_ratios": [[2, 3]] * 6, "min_ratio": 0.2, "max_ratio": 0.95},
            [20, 10, 5, 3, 2, 1],
        ),
        ({"aspect_ratios": [[2]], "clip": False}, [7]),
    ],
)
def test_default_boxes_equal_torchvision(config, sides):
    batch = torch.zeros(2, 3, 300, 300)
    features = [torch.zeros(2, 1, side, side) for side in sides]
    ours = DefaultBoxGenerator(**config)(ImageList(batch, [(300, 300)] * 2), features)
    theirs = TvDefaultBoxGenerator(**config)(TvImageList(batch, [(300, 300)] * 2), features)
    assert len(ours) == len(theirs)
    for got, expected in zip(ours, theirs, strict=True):
        torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("name", SSD_MODELS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = vmodels.get_model(name)
        theirs = getattr(tv_detection, name)(weights=None, weights_backbone=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.fixture(scope="module", params=SSD_MODELS)
def model_pair(request):
    torch.manual_seed(0)
    ours = vmodels.get_model(request.param, num_classes=5, detections_per_img=50)
    with torch.no_grad():  # peaked class scores, so that thresholds and NMS select
        for parameter in ours.head.parameters():
            parameter.normal_(0.0, 0.01)
    theirs = getattr(tv_detection, request.param)(
        weights=None, weights_backbone=None, num_classes=5, detections_per_img=50
    )
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 120, 160, generator=generator),
        torch.rand(3, 100, 90, generator=generator),
    ]


def test_detections_equal_torchvision(model_pair):
    ours, theirs = (model.eval() for model in model_pair)
    with torch.no_grad():
        got, expected = ours(_images()), theirs(_images())
    for image_got, image_expected in zip(got, expected, strict=True):
        assert len(image_expected["boxes"]) > 0
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(image_got[key], image_expected[key], rtol=0, atol=0)


def test_training_losses_equal_torchvision(model_pair):
    ours, theirs = (model.train() for model in model_pair)
    targets = [
        {
            "boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0], [50.0, 30.0, 150.0, 110.0]]),
            "labels": torch.tensor([1, 3]),
        },
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    torch.manual_seed(1)
    got = ours(_images(), targets)
    torch.manual_seed(1)
    expected = theirs(_images(), targets)
    assert got.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(got[key], expected[key])
