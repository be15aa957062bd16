"""SSD: default boxes, matching, hard negative mining and the loss on hand-made cases; a tiny SSD
and ssd300_vgg16 in training, evaluation, TorchScript and torch.export."""

import math

import pytest
import torch
from torch import nn

import vmodels
from vmodels.detection.default_boxes import DefaultBoxGenerator
from vmodels.detection.ssd import SSD, SSDMatcher, hard_negative_mask
from vmodels.detection.transform import ImageList


class TinyBackbone(nn.Module):
    """Two feature maps, 1/4 and 1/8 of the input."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Conv2d(3, 8, 3, stride=4, padding=1)
        self.second = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.out_channels = [8, 8]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        first = torch.relu(self.first(x))
        return {"0": first, "1": torch.relu(self.second(first))}


def _tiny_ssd(**kwargs) -> SSD:
    torch.manual_seed(0)
    boxes = DefaultBoxGenerator([[2], [2, 3]])
    return SSD(TinyBackbone(), boxes, (64, 64), 3, detections_per_img=20, **kwargs)


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 120, 160, generator=generator),
        torch.rand(3, 90, 70, generator=generator),
    ]


def _targets(second_empty: bool = True) -> list[dict[str, torch.Tensor]]:
    first = {"boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": torch.tensor([1])}
    second = {"boxes": torch.tensor([[5.0, 5.0, 50.0, 40.0]]), "labels": torch.tensor([2])}
    if second_empty:
        second = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    return [first, second]


def _xyxy(cx: float, cy: float, w: float, h: float, width: int, height: int) -> list[float]:
    w, h = min(w, 1.0), min(h, 1.0)  # clip=True clamps the sizes, not the corners
    return [
        (cx - w / 2) * width,
        (cy - h / 2) * height,
        (cx + w / 2) * width,
        (cy + h / 2) * height,
    ]


@pytest.mark.parametrize(
    ("steps", "centres_x", "centres_y", "centre_1x1"),
    [
        (None, [0.25, 0.75], [0.25, 0.75], (0.5, 0.5)),
        ([50, 100], [0.125, 0.375], [0.25, 0.75], (0.25, 0.5)),
    ],
)
def test_default_boxes_of_a_tiny_config_match_hand_computed_ones(
    steps, centres_x, centres_y, centre_1x1
):
    # Batch 100 high, 200 wide; a 2x2 map (ratio 2) and a 1x1 map (no ratio), scales 0.2, 0.9
    # and 1.2: the 1x1 map's second square, sqrt(0.9 * 1.2) = 1.039, is clipped to 1.
    generator = DefaultBoxGenerator([[2], []], scales=[0.2, 0.9, 1.2], steps=steps)
    assert generator.num_anchors_per_location() == [4, 2]
    images = ImageList(torch.zeros(2, 3, 100, 200), [(100, 200), (90, 180)])
    boxes = generator(images, [torch.zeros(2, 1, 2, 2), torch.zeros(2, 1, 1, 1)])
    r2 = math.sqrt(2.0)
    shapes = [(0.2, 0.2), (math.sqrt(0.18),) * 2, (0.2 * r2, 0.2 / r2), (0.2 / r2, 0.2 * r2)]
    expected = [
        _xyxy(cx, cy, w, h, 200, 100) for cy in centres_y for cx in centres_x for w, h in shapes
    ]
    expected += [_xyxy(*centre_1x1, w, w, 200, 100) for w in (0.9, math.sqrt(1.08))]
    assert len(boxes) == 2 and boxes[0] is boxes[1]
    torch.testing.assert_close(boxes[0], torch.tensor(expected))


def test_default_scales_are_spread_between_min_and_max_ratio_then_one():
    assert DefaultBoxGenerator([[2]] * 3, min_ratio=0.2, max_ratio=0.8).scales == pytest.approx(
        [0.2, 0.5, 0.8, 1.0]
    )
    assert DefaultBoxGenerator([[2]]).scales == [0.15, 0.9]


def test_ssd_matcher_forces_each_boxes_best_anchor_positive():
    quality = torch.tensor([[0.3, 0.2, 0.1, 0.0, 0.0], [0.1, 0.6, 0.4, 0.45, 0.55]])
    # Box 0 reaches 0.5 nowhere, yet keeps its best anchor 0; anchors 1 and 4 pass for box 1.
    assert SSDMatcher(0.5)(quality).tolist() == [0, 1, -1, -1, 1]


def test_hard_negative_mining_keeps_the_highest_loss_negatives():
    loss = torch.tensor([[0.1, 0.9, 0.5, 0.3, 0.7, 0.2], [0.4, 0.8, 0.1, 0.6, 0.2, 0.3]])
    positive = torch.tensor([[False, True, False, False, False, False], [False] * 6])
    kept = hard_negative_mask(loss, positive, 3.0)
    # 3 negatives per positive: 0.7, 0.5 and 0.3 in the first image; none without positives.
    assert kept.tolist() == [[False, False, True, True, True, False], [False] * 6]


@pytest.mark.parametrize(
    ("positive_fraction", "negatives"),
    [(0.5, [2.0]), (0.25, [2.0, 1.0, -1.0])],  # ratio 1: the hardest one; ratio 3: all three
)
def test_ssd_loss_of_a_tiny_case(positive_fraction, negatives):
    model = SSD(
        nn.Identity(),
        DefaultBoxGenerator([[]]),
        (64, 64),
        2,
        head=nn.Identity(),
        positive_fraction=positive_fraction,
    )
    anchors = torch.tensor(
        [[0.0, 0.0, 10.0, 10.0], [20.0, 20.0, 30.0, 30.0], [40.0, 40.0, 50.0, 50.0], [60.0] * 4]
    )
    anchors[3, 2:] = 70.0
    logits = torch.tensor([[[0.0, 0.0], [0.0, 2.0], [0.0, 1.0], [0.0, -1.0]]])
    codes = torch.zeros(1, 4, 4)
    codes[0, 0, 0] = 0.5
    targets = [{"boxes": torch.tensor([[0.0, 0.0, 10.0, 10.0]]), "labels": torch.tensor([1])}]
    losses = model.compute_loss(
        targets, {"bbox_regression": codes, "cls_logits": logits}, [anchors], [4]
    )
    # Cross entropy of background against logits (0, z) is log(1 + e^z); the positive's log 2.
    expected = math.log(2.0) + sum(math.log1p(math.exp(z)) for z in negatives)
    torch.testing.assert_close(losses["classification"], torch.tensor(expected))
    torch.testing.assert_close(losses["bbox_regression"], torch.tensor(0.5 * 0.5**2))


def test_tiny_ssd_trains_with_an_image_without_objects():
    model = _tiny_ssd().train()
    losses = model(_images(), _targets(second_empty=True))
    assert set(losses) == {"bbox_regression", "classification"}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.head.parameters())
    empty = model(_images()[:1], _targets()[1:])
    assert empty["bbox_regression"] == 0 and torch.isfinite(empty["classification"])


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_tiny_ssd_scripted_and_exported_evaluation_equal_eager():
    model = _tiny_ssd(score_thresh=0.0).eval()
    scripted = torch.jit.script(model)
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    program = torch.export.export(
        model, ([torch.rand(3, 120, 150)],), dynamic_shapes=([sides],), strict=False
    )
    generator = torch.Generator().manual_seed(1)
    for shape in [(3, 120, 150), (3, 64, 64), (3, 90, 200), (3, 333, 250)]:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        for got in (scripted(images)[1], program.module()(images)):
            for key in ("boxes", "scores", "labels"):
                torch.testing.assert_close(got[0][key], expected[0][key], rtol=0, atol=0)


def test_skip_resize_keeps_training_images_as_given_and_evaluation_still_resizes():
    """torchvision's SSD recipes resize in the data pipeline and pass _skip_resize=True."""
    model = _tiny_ssd(_skip_resize=True)
    images = _images()
    batch, _ = model.transform(images)
    assert batch.image_sizes == [(120, 160), (90, 70)]
    batch, _ = model.transform.eval()(images)
    assert batch.image_sizes == [(64, 64), (64, 64)]


def test_bad_arguments_name_the_argument():
    boxes = DefaultBoxGenerator([[2], [2, 3]])
    with pytest.raises(ValueError, match="steps must have one entry per feature map"):
        DefaultBoxGenerator([[2], [2]], steps=[8])
    with pytest.raises(ValueError, match="scales must have one entry per feature map plus one"):
        DefaultBoxGenerator([[2], [2]], scales=[0.1, 0.2])
    with pytest.raises(ValueError, match="positive_fraction must be in"):
        SSD(TinyBackbone(), boxes, (64, 64), 3, positive_fraction=0.0)
    with pytest.raises(ValueError, match="size must be"):
        SSD(TinyBackbone(), boxes, (64,), 3)
    with pytest.raises(ValueError, match="backbone returns 2 feature maps"):
        SSD(TinyBackbone(), DefaultBoxGenerator([[2]]), (64, 64), 3)
    with pytest.raises(ValueError, match="trainable_backbone_layers must be an int in"):
        vmodels.get_model("ssd300_vgg16", trainable_backbone_layers=6)
    with pytest.raises(ValueError, match="fixed size"):
        vmodels.get_model("ssd300_vgg16", size=(512, 512))
    with pytest.raises(ValueError, match="num_classes must be an int >= 2"):
        vmodels.get_model("ssd300_vgg16", num_classes=1)


def test_out_channels_are_probed_when_the_backbone_has_none():
    backbone = TinyBackbone()
    del backbone.out_channels
    model = SSD(backbone, DefaultBoxGenerator([[2], [2, 3]]), (64, 64), 3)
    assert [m.in_channels for m in model.head.regression_head.module_list] == [8, 8]


def test_parameter_count_equals_torchvision():
    with torch.device("meta"):
        model = vmodels.get_model("ssd300_vgg16")
    assert sum(p.numel() for p in model.parameters()) == 35_641_826


@pytest.mark.parametrize(("layers", "frozen_convs"), [(0, 13), (3, 4), (5, 0)])
def test_trainable_backbone_layers_freeze_vgg_stages_from_the_first(layers, frozen_convs):
    with torch.device("meta"):
        model = vmodels.get_model("ssd300_vgg16", trainable_backbone_layers=layers)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    # conv1_1 .. conv5_3 are the 13 VGG convolutions; fc6, fc7, the extras and heads all train.
    assert len(frozen) == 2 * frozen_convs
    assert all(n.startswith(("backbone.features.", "backbone.extra.0.")) for n in frozen)


@pytest.fixture(scope="module")
def ssd300():
    torch.manual_seed(0)
    return vmodels.get_model("ssd300_vgg16", num_classes=3, detections_per_img=10)


def test_ssd300_trains_with_an_image_without_objects(ssd300):
    losses = ssd300.train()(_images(), _targets(second_empty=True))
    assert set(losses) == {"bbox_regression", "classification"}
    assert all(torch.isfinite(v) and v.dim() == 0 and v > 0 for v in losses.values())


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_ssd300_evaluation_in_image_coordinates_and_scripted_equals_eager(ssd300):
    model = ssd300.eval()
    images = _images()[1:]
    with torch.no_grad():
        detections = model(images)
    scripted = torch.jit.script(model)(images)[1]
    count = len(detections[0]["boxes"])
    assert 0 < count <= 10
    assert detections[0]["boxes"].dtype == torch.float32
    assert detections[0]["scores"].shape == (count,)
    assert detections[0]["labels"].dtype == torch.int64 and (detections[0]["labels"] >= 1).all()
    assert (detections[0]["boxes"][:, 0::2] <= 70).all()
    assert (detections[0]["boxes"][:, 1::2] <= 90).all()
    for key in ("boxes", "scores", "labels"):
        torch.testing.assert_close(scripted[0][key], detections[0][key], rtol=0, atol=0)


@pytest.mark.slow
def test_ssd300_exported_evaluation_equals_eager_for_other_image_sizes(ssd300):
    model = ssd300.eval()
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    program = torch.export.export(
        model, ([torch.rand(3, 120, 150)],), dynamic_shapes=([sides],), strict=False
    )
    generator = torch.Generator().manual_seed(1)
    for shape in [(3, 64, 64), (3, 90, 200), (3, 333, 250)]:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        got = program.module()(images)
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(got[0][key], expected[0][key], rtol=0, atol=0)
