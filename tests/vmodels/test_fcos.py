"""FCOS: centerness targets, centre-sampling assignment and the linear box coder on hand-made
cases; fcos_resnet50_fpn's size, training and evaluation; a tiny FCOS under TorchScript and
torch.export."""

import math

import pytest
import torch
from torch import nn

import vmodels
from vmodels import WeightsEnum, _weights
from vmodels.detection.anchors import AnchorGenerator
from vmodels.detection.box_coding import BoxLinearCoder
from vmodels.detection.fcos import (
    FCOS,
    FCOS_ResNet50_FPN_Weights,
    FCOSClassificationHead,
    FCOSRegressionHead,
    center_sampling_matches,
    centerness_targets,
)

# torchvision's published count, trained from weights (frozen batch norm holds no parameters).
PUBLISHED_PARAMETERS = 32_269_600


class TinyBackbone(nn.Module):
    """Two 32-channel feature maps, 1/8 and 1/16 of the input."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Conv2d(3, 32, 3, stride=8, padding=1)
        self.second = nn.Conv2d(32, 32, 3, stride=2, padding=1)
        self.out_channels = 32

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        first = torch.relu(self.first(x))
        return {"0": first, "1": torch.relu(self.second(first))}


def _tiny_fcos(**kwargs) -> FCOS:
    torch.manual_seed(0)
    anchors = AnchorGenerator(((8,), (16,)), ((1.0,), (1.0,)))
    return FCOS(TinyBackbone(), 3, 64, 96, anchor_generator=anchors, score_thresh=0.0, **kwargs)


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 128, 160, generator=generator),
        torch.rand(3, 96, 128, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    with_objects = {
        "boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0], [30.0, 30.0, 150.0, 120.0]]),
        "labels": torch.tensor([1, 2]),
    }
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    return [with_objects, empty]


def _points(centres: list[tuple[float, float]], size: float) -> torch.Tensor:
    """Square anchors of side ``size`` centred on ``centres``."""
    half = size / 2
    return torch.tensor([[x - half, y - half, x + half, y + half] for x, y in centres])


@pytest.mark.parametrize(
    ("distances", "expected"),
    [
        ((1.0, 1.0, 1.0, 1.0), 1.0),
        ((1.0, 2.0, 3.0, 4.0), math.sqrt(1 / 3 * 2 / 4)),
        ((4.0, 1.0, 1.0, 4.0), 0.25),
        ((2.0, 9.0, 8.0, 1.0), 1 / 6),
    ],
)
def test_centerness_target_of_hand_picked_distances(distances, expected):
    got = centerness_targets(torch.tensor([distances, distances]))
    torch.testing.assert_close(got, torch.tensor([expected, expected]))


def test_assignment_of_a_tiny_case_follows_the_radius_the_scale_range_and_the_inside_rules():
    # Level 0: side 4 (radius 6, distances in (0, 32)); level 1, the last: side 8 (radius 12,
    # distances above 32). The small box (60, 55) lies inside the big one (60, 60).
    big, small = [0.0, 0.0, 120.0, 120.0], [44.0, 40.0, 76.0, 70.0]
    level0 = _points([(60, 56), (50, 56), (130, 10)], 4)
    level1 = _points([(60, 56), (60, 74), (66, 66)], 8)
    matched = center_sampling_matches(
        torch.cat([level0, level1]), torch.tensor([big, small]), [3, 3], 1.5
    )
    assert matched.dtype == torch.int64
    # Level 0: at (60, 56) the big box is out of range (largest distance 64); (50, 56) is 10
    # from the small box's centre, beyond 6; (130, 10) is outside both.
    # Level 1: at (60, 56) the small box is too small (16); (60, 74) is 14 from the big box's
    # centre and outside the small one; (66, 66) is 6 from the big box's centre.
    assert matched.tolist() == [1, -1, -1, 0, -1, 0]


def test_assignment_radius_is_strict():
    # 12 from the centre is not within 1.5 * 8.
    boxes = torch.tensor([[0.0, 0.0, 64.0, 64.0]])
    matched = center_sampling_matches(_points([(20, 32), (21, 32)], 8), boxes, [2], 1.5)
    assert matched.tolist() == [-1, 0]


@pytest.mark.parametrize(("order", "expected"), [((0, 1), 1), ((1, 0), 0)])
def test_a_point_two_boxes_want_learns_the_smaller(order, expected):
    # One level: its distances are unbounded; both boxes hold (20, 20) near their centres.
    pair = torch.tensor([[0.0, 0.0, 40.0, 40.0], [8.0, 8.0, 36.0, 36.0]])
    matched = center_sampling_matches(_points([(20, 20)], 8), pair[list(order)], [1], 1.5)
    assert matched.tolist() == [expected]


def test_no_boxes_leave_every_point_background():
    matched = center_sampling_matches(_points([(4, 4), (12, 4)], 8), torch.zeros(0, 4), [2], 1.5)
    assert matched.tolist() == [-1, -1]


def test_box_linear_coder_of_a_hand_computed_case_and_round_trip():
    anchors = torch.tensor([[0.0, 0.0, 8.0, 8.0], [0.0, 0.0, 8.0, 4.0]])
    boxes = torch.tensor([[1.0, 2.0, 10.0, 14.0], [1.0, 0.0, 10.0, 5.0]])
    # Centres (4, 4) and (4, 2); distances (3, 2, 6, 10) and (3, 2, 6, 3).
    normalized = BoxLinearCoder()
    expected = torch.tensor([[3 / 8, 2 / 8, 6 / 8, 10 / 8], [3 / 8, 2 / 4, 6 / 8, 3 / 4]])
    torch.testing.assert_close(normalized.encode(anchors, boxes), expected)
    raw = BoxLinearCoder(normalize_by_size=False)
    torch.testing.assert_close(
        raw.encode(anchors, boxes), torch.tensor([[3.0, 2, 6, 10], [3, 2, 6, 3]])
    )
    for coder in (normalized, raw):
        torch.testing.assert_close(coder.decode(coder.encode(anchors, boxes), anchors), boxes)
    codes = torch.rand(2, 5, 4)
    batch = anchors[:, None].expand(2, 5, 4)
    torch.testing.assert_close(normalized.encode(batch, normalized.decode(codes, batch)), codes)


def test_heads_have_torchvisions_layout_and_initial_class_probability():
    classification = FCOSClassificationHead(32, 1, 5, num_convs=2)
    regression = FCOSRegressionHead(32, 1, num_convs=2)
    assert [type(m).__name__ for m in classification.conv] == ["Conv2d", "GroupNorm", "ReLU"] * 2
    assert classification.conv[1].num_groups == 32
    assert set(regression.state_dict()) == {
        f"conv.{i}.{kind}" for i in (0, 1, 3, 4) for kind in ("weight", "bias")
    } | {"bbox_reg.weight", "bbox_reg.bias", "bbox_ctrness.weight", "bbox_ctrness.bias"}
    probability = torch.sigmoid(classification.cls_logits.bias)
    torch.testing.assert_close(probability, torch.full((5,), 0.01))
    assert regression.bbox_reg.bias.abs().max() == 0 and regression.conv[0].bias.abs().max() == 0


@pytest.fixture
def fake_downloads(monkeypatch, tmp_path):
    """Published weights "load" an untrained state of their model's layout (on meta)."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))

    def untrained(self, progress=True, check_hash=True):
        with torch.device("meta"):
            return vmodels.get_model(_weights._owners[self]).state_dict()

    monkeypatch.setattr(WeightsEnum, "get_state_dict", untrained)


def test_with_its_weights_fcos_has_the_published_parameter_count(fake_downloads):
    with torch.device("meta"):
        model = vmodels.get_model("fcos_resnet50_fpn", weights="COCO_V1")
    assert sum(p.numel() for p in model.parameters()) == PUBLISHED_PARAMETERS
    assert FCOS_ResNet50_FPN_Weights.COCO_V1.meta["num_params"] == PUBLISHED_PARAMETERS
    assert model.head.classification_head.cls_logits.out_channels == 91


@pytest.fixture(scope="module")
def fcos():
    torch.manual_seed(0)
    return vmodels.get_model(
        "fcos_resnet50_fpn", num_classes=4, min_size=128, max_size=160, score_thresh=0.0
    )


def test_fcos_trains_with_an_image_without_objects(fcos):
    fcos.train()
    losses = fcos(_images(), _targets())
    assert set(losses) == {"classification", "bbox_regression", "bbox_ctrness"}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    assert losses["bbox_regression"] > 0 and losses["bbox_ctrness"] > 0
    empty = fcos(_images()[1:], _targets()[1:])
    assert empty["bbox_regression"] == 0 and empty["bbox_ctrness"] == 0
    assert torch.isfinite(empty["classification"])


def test_fcos_evaluation_gives_boxes_scores_and_labels_per_image(fcos):
    fcos.eval()
    with torch.no_grad():
        detections = fcos(_images())
    assert len(detections) == 2
    for detection, image in zip(detections, _images(), strict=True):
        boxes, scores, labels = detection["boxes"], detection["scores"], detection["labels"]
        assert 0 < len(boxes) <= fcos.detections_per_img
        assert boxes.shape == (len(scores), 4) and labels.shape == scores.shape
        assert boxes.dtype == scores.dtype == torch.float32 and labels.dtype == torch.int64
        assert (boxes[:, 2] <= image.shape[2]).all() and (boxes[:, 3] <= image.shape[1]).all()
        assert ((scores >= 0) & (scores <= 1)).all() and (labels < 4).all()


def test_tiny_fcos_trains_and_its_gradients_are_finite():
    model = _tiny_fcos().train()
    losses = model(_images(), _targets())
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.head.parameters())


OTHER_SHAPES = [(3, 120, 150), (3, 64, 64), (3, 90, 200), (3, 333, 250)]


def _assert_same_detections(run, model) -> None:
    """``run`` gives ``model``'s eager detections bit for bit on images of several sizes."""
    generator = torch.Generator().manual_seed(1)
    for shape in OTHER_SHAPES:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        assert len(expected[0]["boxes"]) > 0
        got = run(images)
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(got[0][key], expected[0][key], rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_tiny_fcos_scripted_evaluation_equals_eager():
    model = _tiny_fcos(topk_candidates=50).eval()
    scripted = torch.jit.script(model)
    _assert_same_detections(lambda images: scripted(images)[1], model)


@pytest.mark.slow  # torch.export alone takes about 11 s here
def test_tiny_fcos_exported_evaluation_equals_eager_for_other_image_sizes():
    model = _tiny_fcos(topk_candidates=50).eval()
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    program = torch.export.export(
        model, ([torch.rand(3, 120, 150)],), dynamic_shapes=([sides],), strict=False
    )
    _assert_same_detections(program.module(), model)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="num_classes must be given unless head is"):
        FCOS(TinyBackbone())
    with pytest.raises(ValueError, match="backbone must have an int attribute out_channels"):
        FCOS(nn.Identity(), 3)
    with pytest.raises(ValueError, match=r"one anchor per cell on every level .* got \[3\]"):
        FCOS(TinyBackbone(), 3, anchor_generator=AnchorGenerator(((8, 16, 32),), ((1.0,),)))
    with pytest.raises(ValueError, match="center_sampling_radius must be positive, got 0"):
        FCOS(TinyBackbone(), 3, center_sampling_radius=0)
    with pytest.raises(ValueError, match="topk_candidates must be a positive int, got 0"):
        FCOS(TinyBackbone(), 3, topk_candidates=0)
    with pytest.raises(ValueError, match="nms_thresh must be an IoU in"):
        FCOS(TinyBackbone(), 3, nms_thresh=1.5)
    with pytest.raises(ValueError, match="prior_probability must be in"):
        FCOSClassificationHead(32, 1, 3, prior_probability=1.0)
    with pytest.raises(ValueError, match="num_convs must be an int >= 0, got -1"):
        FCOSRegressionHead(32, 1, num_convs=-1)
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"), torch.device("meta"):
        vmodels.get_model("fcos_resnet50_fpn", num_classes=1)
    with pytest.raises(ValueError, match="trainable_backbone_layers"), torch.device("meta"):
        vmodels.get_model("fcos_resnet50_fpn", trainable_backbone_layers=6)
