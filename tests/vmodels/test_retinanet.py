"""RetinaNet: the heads' layout, the focal loss and the L1 and GIoU box losses against references
written here on hand-made cases; retinanet_resnet50_fpn in training and evaluation; the v1 and
v2 builders' heads; a tiny RetinaNet under torch.export."""

import math

import pytest
import torch
from torch import nn

import vmodels
from vmodels.detection.anchors import AnchorGenerator
from vmodels.detection.retinanet import (
    RetinaNet,
    RetinaNetClassificationHead,
    RetinaNetHead,
    RetinaNetRegressionHead,
)

ALPHA, GAMMA = 0.25, 2.0


class TinyBackbone(nn.Module):
    """Two 8-channel feature maps, 1/8 and 1/16 of the input."""

    def __init__(self) -> None:
        super().__init__()
        self.first = nn.Conv2d(3, 8, 3, stride=8, padding=1)
        self.second = nn.Conv2d(8, 8, 3, stride=2, padding=1)
        self.out_channels = 8

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        first = torch.relu(self.first(x))
        return {"0": first, "1": torch.relu(self.second(first))}


def _tiny_retinanet(**kwargs) -> RetinaNet:
    torch.manual_seed(0)
    anchors = AnchorGenerator(((16,), (32,)), ((0.5, 1.0),) * 2)
    return RetinaNet(TinyBackbone(), 3, 64, 96, anchor_generator=anchors, **kwargs)


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [
        torch.rand(3, 64, 80, generator=generator),
        torch.rand(3, 48, 64, generator=generator),
    ]


def _targets() -> list[dict[str, torch.Tensor]]:
    with_objects = {
        "boxes": torch.tensor([[5.0, 10.0, 30.0, 40.0], [15.0, 15.0, 75.0, 60.0]]),
        "labels": torch.tensor([1, 2]),
    }
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    return [with_objects, empty]


def _reference_focal_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Elementwise sigmoid focal loss, alpha 0.25 and gamma 2, from the paper's definition."""
    p = torch.sigmoid(logits)
    ce = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = ALPHA * targets + (1 - ALPHA) * (1 - targets)
    return alpha_t * (1 - p_t) ** GAMMA * ce


def _giou(a: list[float], b: list[float]) -> float:
    """Generalized IoU of two xyxy boxes, in plain Python."""
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = area_a + area_b - inter
    hull = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    return inter / union - (hull - union) / hull


def _decode(code: list[float], anchor: list[float]) -> list[float]:
    """A box from offsets (dx, dy, log dw, log dh) at an xyxy anchor, unit weights."""
    w, h = anchor[2] - anchor[0], anchor[3] - anchor[1]
    cx = anchor[0] + w / 2 + code[0] * w
    cy = anchor[1] + h / 2 + code[1] * h
    w, h = w * math.exp(code[2]), h * math.exp(code[3])
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


def test_classification_head_gives_per_anchor_logits_in_cell_then_anchor_order():
    torch.manual_seed(0)
    head = RetinaNetClassificationHead(8, 2, 3)
    features = [torch.rand(2, 8, 3, 2), torch.rand(2, 8, 1, 1)]
    logits = head(features)
    assert logits.shape == (2, (3 * 2 + 1) * 2, 3)
    # Anchor (y * W + x) * A + a of a level holds channels a * K .. a * K + K - 1 at (y, x).
    maps = head.cls_logits(head.conv(features[0]))
    for y in range(3):
        for x in range(2):
            for a in range(2):
                torch.testing.assert_close(
                    logits[:, (y * 2 + x) * 2 + a], maps[:, a * 3 : a * 3 + 3, y, x]
                )
    second = head.cls_logits(head.conv(features[1]))
    torch.testing.assert_close(logits[:, 12:], second[:, :, 0, 0].view(2, 2, 3))
    # The near-zero initial weights leave every class at about the prior probability.
    torch.testing.assert_close(
        torch.sigmoid(logits), torch.full_like(logits, 0.01), atol=1e-3, rtol=0
    )


def test_classification_loss_is_the_focal_loss_over_non_ignored_anchors_per_foreground_anchor():
    num_anchors, num_classes = 6, 4
    targets = [
        {"boxes": torch.rand(2, 4), "labels": torch.tensor([3, 1])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
        {"boxes": torch.rand(1, 4), "labels": torch.tensor([2])},
    ]
    matched_idxs = [
        torch.tensor([0, -1, 1, -2, 0, -1]),
        torch.full((num_anchors,), -1),
        torch.tensor([-2, -1, -1, 0, -2, -1]),
    ]
    generator = torch.Generator().manual_seed(0)
    logits = (3 * torch.randn(3, num_anchors, num_classes, generator=generator)).requires_grad_()
    head = RetinaNetClassificationHead(8, 1, num_classes)
    loss = head.compute_loss(targets, {"cls_logits": logits}, matched_idxs)

    per_image = []
    for i, (target, matched) in enumerate(zip(targets, matched_idxs, strict=True)):
        total, foreground = torch.tensor(0.0), 0
        for a, m in enumerate(matched.tolist()):
            if m == -2:
                continue
            one_hot = torch.zeros(num_classes)
            if m >= 0:
                one_hot[target["labels"][m]] = 1.0
                foreground += 1
            total = total + _reference_focal_loss(logits[i, a].detach(), one_hot).sum()
        per_image.append(total / max(foreground, 1))
    expected = sum(per_image) / 3
    torch.testing.assert_close(loss, expected)

    # Ignored anchors take no part: their logits get no gradient, every other anchor's does.
    loss.backward()
    ignored = torch.stack(matched_idxs) == -2
    assert (logits.grad[ignored] == 0).all()
    assert (logits.grad[~ignored].abs().sum(dim=1) > 0).all()


def test_classification_loss_of_an_image_without_boxes_is_the_background_focal_loss_summed():
    logits = torch.tensor([[[2.0, -1.0], [0.5, -3.0], [-0.2, 1.5]]])
    empty = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}]
    head = RetinaNetClassificationHead(8, 1, 2)
    loss = head.compute_loss(empty, {"cls_logits": logits}, [torch.full((3,), -1)])
    # Not divided by anything: the foreground count 0 counts as 1.
    torch.testing.assert_close(loss, _reference_focal_loss(logits, torch.zeros(1, 3, 2)).sum())


def _regression_case() -> tuple[list[dict], dict, list[torch.Tensor], list[torch.Tensor]]:
    """Two images of three anchors: the first with two foreground anchors of two boxes, the
    second with one; a third without boxes."""
    anchors = torch.tensor([[0.0, 0.0, 4.0, 4.0], [2.0, 1.0, 10.0, 5.0], [6.0, 6.0, 9.0, 12.0]])
    targets = [
        {
            "boxes": torch.tensor([[2.0, 2.0, 8.0, 6.0], [1.0, 0.0, 11.0, 7.0]]),
            "labels": torch.tensor([1, 2]),
        },
        {"boxes": torch.tensor([[5.0, 7.0, 10.0, 13.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    matched_idxs = [torch.tensor([0, 1, -2]), torch.tensor([-1, -1, 0]), torch.tensor([-1, -1, -1])]
    codes = torch.tensor(
        [
            [[0.5, 0.0, math.log(2.0), 0.0], [0.1, -0.2, 0.3, 0.2], [9.0, 9.0, 9.0, 9.0]],
            [[9.0, 9.0, 9.0, 9.0], [9.0, 9.0, 9.0, 9.0], [-0.1, 0.05, 0.2, -0.1]],
            [[9.0, 9.0, 9.0, 9.0]] * 3,
        ]
    )
    return targets, {"bbox_regression": codes}, [anchors] * 3, matched_idxs


def _per_image_mean_over_foreground(pair_loss) -> torch.Tensor:
    """The mean over images of each image's mean ``pair_loss(code, anchor, box)`` over its
    foreground anchors (0 for an image with none)."""
    targets, outputs, anchors, matched_idxs = _regression_case()
    per_image = []
    for i, (target, matched) in enumerate(zip(targets, matched_idxs, strict=True)):
        losses = [
            pair_loss(
                outputs["bbox_regression"][i, a].tolist(),
                anchors[i][a].tolist(),
                target["boxes"][m].tolist(),
            )
            for a, m in enumerate(matched.tolist())
            if m >= 0
        ]
        per_image.append(sum(losses) / max(len(losses), 1))
    return torch.tensor(sum(per_image) / len(targets))


def test_v1_box_loss_is_the_l1_distance_to_the_encoded_box():
    def l1(code, anchor, box):
        aw, ah = anchor[2] - anchor[0], anchor[3] - anchor[1]
        bw, bh = box[2] - box[0], box[3] - box[1]
        encoded = [
            (box[0] + bw / 2 - anchor[0] - aw / 2) / aw,
            (box[1] + bh / 2 - anchor[1] - ah / 2) / ah,
            math.log(bw / aw),
            math.log(bh / ah),
        ]
        return sum(abs(c - e) for c, e in zip(code, encoded, strict=True))

    head = RetinaNetRegressionHead(8, 1)
    assert head._loss_type == "l1"
    loss = head.compute_loss(*_regression_case())
    torch.testing.assert_close(loss, _per_image_mean_over_foreground(l1))


def test_v2_box_loss_is_one_minus_the_generalized_iou_of_the_decoded_box():
    # The reference itself, by hand: [0, 0, 4, 4] decoded with (0.5, 0, log 2, 0) is
    # [0, 0, 8, 4]; with [2, 2, 8, 6] it overlaps 12 of a union of 44 in a hull of 48.
    assert _giou(_decode([0.5, 0.0, math.log(2.0), 0.0], [0, 0, 4, 4]), [2, 2, 8, 6]) == (
        pytest.approx(12 / 44 - 4 / 48)
    )
    head = RetinaNetRegressionHead(8, 1)
    head._loss_type = "giou"
    loss = head.compute_loss(*_regression_case())
    expected = _per_image_mean_over_foreground(
        lambda code, anchor, box: 1 - _giou(_decode(code, anchor), box)
    )
    torch.testing.assert_close(loss, expected)


def test_box_loss_of_images_without_foreground_is_zero_and_backpropagates():
    head = RetinaNetRegressionHead(8, 1)
    targets, outputs, anchors, _ = _regression_case()
    codes = outputs["bbox_regression"].clone().requires_grad_()
    background = [torch.tensor([-1, -2, -1])] * 3
    loss = head.compute_loss(targets, {"bbox_regression": codes}, anchors, background)
    assert loss == 0
    loss.backward()
    assert (codes.grad == 0).all()


def test_retinanet_head_gives_both_outputs_and_both_losses():
    torch.manual_seed(0)
    head = RetinaNetHead(8, 2, 3)
    outputs = head([torch.rand(3, 8, 2, 2)])
    assert outputs["cls_logits"].shape == (3, 8, 3)
    assert outputs["bbox_regression"].shape == (3, 8, 4)
    targets, _, _, matched = _regression_case()
    anchors = [torch.rand(8, 2).repeat(1, 2).add(torch.tensor([0.0, 0.0, 1.0, 1.0]))] * 3
    matched = [torch.cat([m, torch.full((5,), -1)]) for m in matched]
    losses = head.compute_loss(targets, outputs, anchors, matched)
    assert set(losses) == {"classification", "bbox_regression"}
    torch.testing.assert_close(
        losses["classification"],
        head.classification_head.compute_loss(targets, outputs, matched),
    )
    torch.testing.assert_close(
        losses["bbox_regression"],
        head.regression_head.compute_loss(targets, outputs, anchors, matched),
    )


def test_v1_builder_has_plain_towers_and_the_l1_loss_v2_group_norm_and_giou():
    with torch.device("meta"):
        v1 = vmodels.get_model("retinanet_resnet50_fpn", num_classes=5)
        v2 = vmodels.get_model("retinanet_resnet50_fpn_v2", num_classes=5)
    for model in (v1, v2):
        assert model.head.classification_head.cls_logits.out_channels == 9 * 5
        assert model.head.regression_head.bbox_reg.out_channels == 9 * 4
    assert v1.head.regression_head._loss_type == "l1"
    assert v2.head.regression_head._loss_type == "giou"
    for tower in (v1.head.classification_head, v1.head.regression_head):
        assert not any(isinstance(m, nn.GroupNorm) for m in tower.modules())
    for tower in (v2.head.classification_head, v2.head.regression_head):
        norms = [m for m in tower.modules() if isinstance(m, nn.GroupNorm)]
        assert len(norms) == 4 and all(n.num_groups == 32 for n in norms)


@pytest.fixture(scope="module")
def retinanet():
    torch.manual_seed(0)
    return vmodels.get_model(
        "retinanet_resnet50_fpn",
        num_classes=3,
        min_size=64,
        max_size=64,
        score_thresh=0.0,
        detections_per_img=20,
        trainable_backbone_layers=0,  # backward through the FPN and heads only, for speed
    )


def test_retinanet_training_returns_two_finite_scalar_losses_that_backpropagate(retinanet):
    retinanet.train()
    retinanet.zero_grad()
    losses = retinanet(_images()[:1], _targets()[:1])
    assert set(losses) == {"classification", "bbox_regression"}
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    assert losses["classification"] > 0 and losses["bbox_regression"] > 0
    sum(losses.values()).backward()
    for module in (
        retinanet.head.classification_head,
        retinanet.head.regression_head,
        retinanet.backbone.fpn,
    ):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)


def test_tiny_retinanet_trains_with_an_image_without_objects():
    model = _tiny_retinanet().train()
    losses = model(_images(), _targets())
    assert losses["bbox_regression"] > 0
    sum(losses.values()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    # The image without objects alone: every anchor background, no box loss.
    empty = model(_images()[1:], _targets()[1:])
    assert empty["bbox_regression"] == 0
    assert torch.isfinite(empty["classification"]) and empty["classification"] > 0


def test_retinanet_evaluation_gives_sorted_boxes_scores_and_labels_per_image(retinanet):
    retinanet.eval()
    with torch.no_grad():
        detections = retinanet(_images())
    assert len(detections) == 2
    for detection, image in zip(detections, _images(), strict=True):
        boxes, scores, labels = detection["boxes"], detection["scores"], detection["labels"]
        assert 0 < len(scores) <= retinanet.detections_per_img
        assert boxes.shape == (len(scores), 4) and labels.shape == scores.shape
        assert boxes.dtype == scores.dtype == torch.float32 and labels.dtype == torch.int64
        assert (scores[:-1] >= scores[1:]).all()
        assert ((scores >= 0) & (scores <= 1)).all() and ((labels >= 0) & (labels < 3)).all()
        assert (boxes[:, 2] <= image.shape[2]).all() and (boxes[:, 3] <= image.shape[1]).all()
        assert (boxes[:, :2] >= 0).all() and (boxes[:, 2:] >= boxes[:, :2]).all()


@pytest.mark.slow  # torch.export alone takes several seconds
def test_tiny_retinanet_exported_evaluation_equals_eager_for_other_image_sizes():
    model = _tiny_retinanet(topk_candidates=50, score_thresh=0.0).eval()
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    program = torch.export.export(
        model, ([torch.rand(3, 120, 150)],), dynamic_shapes=([sides],), strict=False
    )
    generator = torch.Generator().manual_seed(1)
    for shape in [(3, 120, 150), (3, 64, 64), (3, 90, 200), (3, 333, 250)]:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        assert len(expected[0]["boxes"]) > 0
        got = program.module()(images)
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(got[0][key], expected[0][key], rtol=0, atol=0)
