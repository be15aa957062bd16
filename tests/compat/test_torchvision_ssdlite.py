"""vmodels' SSDlite320 MobileNetV3-Large against torchvision's: state dicts interchange, and with
the same weights the detections and, under the same random seed, the training losses are the
same (also when training images keep their own sizes, ``_skip_resize``)."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes
from torch import nn

import vmodels

torchvision = pytest.importorskip("torchvision")
from torchvision.models import detection as tv_detection  # noqa: E402

NAME = "ssdlite320_mobilenet_v3_large"
# Few classes keep torchvision's per-class post-processing loop short.
NUM_CLASSES = 5


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 96, 128, generator=generator),
        torch.rand(3, 128, 96, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    return [
        {
            "boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0], [70.0, 10.0, 120.0, 50.0]]),
            "labels": torch.tensor([1, 4]),
        },
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]


def test_state_dict_names_and_shapes_equal_torchvision():
    with torch.device("meta"):
        ours = vmodels.get_model(NAME)
        theirs = tv_detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    trainable = [n for n, p in ours.named_parameters() if p.requires_grad]
    assert trainable == [n for n, p in theirs.named_parameters() if p.requires_grad]


def _calibrate(model: nn.Module) -> None:
    """Random batch-norm parameters, then the statistics of one training batch: untrained, the
    MobileNet's activations vanish and many boxes would tie in score, which the two
    post-processings may rank in different orders."""
    randomize_norm_statistics(model, torch.Generator().manual_seed(3))
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for norm in norms:
        norm.momentum = 1.0
    with torch.no_grad():
        model.train()(_images(), _targets())
    for norm in norms:
        norm.momentum = 0.03


@pytest.fixture(scope="module")
def model_pair():
    torch.manual_seed(0)
    ours = vmodels.get_model(NAME, num_classes=NUM_CLASSES)
    _calibrate(ours)
    theirs = tv_detection.ssdlite320_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=NUM_CLASSES
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
            torch.testing.assert_close(prediction[key], value, rtol=0.0, atol=0.0, msg=key)


@pytest.mark.parametrize("skip_resize", [False, True])
def test_training_losses_equal_torchvision_under_the_same_seed(model_pair, skip_resize):
    ours, theirs = model_pair
    for model in model_pair:
        model.transform._skip_resize = skip_resize
    try:
        torch.manual_seed(5)
        losses = ours.train()(_images(), _targets())
        torch.manual_seed(5)
        expected = theirs.train()(_images(), _targets())
    finally:
        for model in model_pair:
            model.transform._skip_resize = False
    assert losses.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(losses[key], value, msg=key)


def test_skip_resize_reaches_the_transform_as_in_torchvision():
    with torch.device("meta"):
        ours = vmodels.get_model(NAME, _skip_resize=True)
        theirs = tv_detection.ssdlite320_mobilenet_v3_large(
            weights=None, weights_backbone=None, _skip_resize=True
        )
    assert ours.transform._skip_resize and theirs.transform._skip_resize
