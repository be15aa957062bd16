"""vmodels' RetinaNets against torchvision's: state dicts interchange, and with the same weights
the detections and, under the same random seed, the training losses are the same."""

import pytest
import torch
from model_checks import state_dict_shapes

import vmodels

torchvision = pytest.importorskip("torchvision")
from torchvision.models import detection as tv_detection  # noqa: E402

RETINANETS = ["retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"]
# Untrained, every class starts at probability 0.01: a zero threshold keeps detections to compare.
SETTINGS = {"min_size": 128, "max_size": 160, "score_thresh": 0.0, "num_classes": 5}


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 128, 160, generator=generator),
        torch.rand(3, 96, 128, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    with_objects = {
        "boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0], [70.0, 30.0, 120.0, 90.0]]),
        "labels": torch.tensor([1, 4]),
    }
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    return [with_objects, empty]


@pytest.mark.parametrize("name", RETINANETS)
def test_state_dict_names_and_shapes_equal_torchvision(name):
    with torch.device("meta"):
        ours = vmodels.get_model(name)
        theirs = getattr(tv_detection, name)(weights=None, weights_backbone=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.fixture(scope="module", params=RETINANETS)
def model_pair(request):
    torch.manual_seed(0)
    ours = vmodels.get_model(request.param, **SETTINGS)
    for module in ours.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    theirs = getattr(tv_detection, request.param)(weights=None, weights_backbone=None, **SETTINGS)
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


def test_a_state_dict_in_torchvisions_v1_layout_loads_into_ours():
    # torchvision's published v1 weights name the head convolutions conv.0, conv.2, ...
    torch.manual_seed(0)
    tv_head = tv_detection.retinanet.RetinaNetHead(16, 9, 3)
    state = tv_head.state_dict()
    old = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[1] == "conv":
            key = ".".join([parts[0], "conv", str(2 * int(parts[2])), parts[4]])
        old[key] = value
    ours = vmodels.detection.retinanet.RetinaNetHead(16, 9, 3)
    ours.load_state_dict(old, strict=True)
    for key, value in ours.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0, msg=key)
