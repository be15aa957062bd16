"""IoU-based box regression losses against per-pair Python references and hand-computed
cases."""

import math

import pytest
import torch
from torch import Tensor

import vops

LOSSES = {
    "generalized_box_iou_loss": vops.generalized_box_iou_loss,
    "distance_box_iou_loss": vops.distance_box_iou_loss,
    "complete_box_iou_loss": vops.complete_box_iou_loss,
}


# --- references: one pair at a time, in Python floats -------------------------------------------


def overlap_of(a: list[float], b: list[float], eps: float) -> tuple[float, float, float, float]:
    """IoU with eps added to the union, union, and the enclosing box's width and height."""
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    hull_w = max(a[2], b[2]) - min(a[0], b[0])
    hull_h = max(a[3], b[3]) - min(a[1], b[1])
    return inter / (union + eps), union, hull_w, hull_h


def giou_loss_of(a: list[float], b: list[float], eps: float) -> float:
    iou, union, hull_w, hull_h = overlap_of(a, b, eps)
    hull = hull_w * hull_h
    return 1 - (iou - (hull - union) / (hull + eps))


def diou_loss_of(a: list[float], b: list[float], eps: float) -> float:
    iou, _, hull_w, hull_h = overlap_of(a, b, eps)
    centre_dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2
    centre_dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    return 1 - iou + (centre_dx**2 + centre_dy**2) / (hull_w**2 + hull_h**2 + eps)


def aspect_penalty_of(a: list[float], b: list[float]) -> float:
    slant_a = math.atan((a[2] - a[0]) / (a[3] - a[1]))
    slant_b = math.atan((b[2] - b[0]) / (b[3] - b[1]))
    return 4 / math.pi**2 * (slant_a - slant_b) ** 2


def aspect_weight_of(a: list[float], b: list[float], eps: float) -> float:
    v = aspect_penalty_of(a, b)
    return v / (1 - overlap_of(a, b, 1e-7)[0] + v + eps)


def ciou_loss_of(a: list[float], b: list[float], eps: float) -> float:
    # torchvision's eps reaches only the aspect weight; the DIoU part keeps 1e-7.
    return diou_loss_of(a, b, 1e-7) + aspect_weight_of(a, b, eps) * aspect_penalty_of(a, b)


REFERENCES = {
    "generalized_box_iou_loss": giou_loss_of,
    "distance_box_iou_loss": diou_loss_of,
    "complete_box_iou_loss": ciou_loss_of,
}


def reference_losses(name: str, boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    rows1 = boxes1.double().reshape(-1, 4).tolist()
    rows2 = boxes2.double().expand_as(boxes1).reshape(-1, 4).tolist()
    losses = [REFERENCES[name](a, b, eps) for a, b in zip(rows1, rows2, strict=True)]
    return torch.tensor(losses, dtype=torch.float64).reshape(boxes1.shape[:-1])


def random_boxes(n: int, seed: int, dtype=torch.float64) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=g, dtype=torch.float64) * 40
    size = torch.rand(n, 2, generator=g, dtype=torch.float64) * 30 + 1
    boxes = torch.cat([corner, corner + size], dim=1)
    return boxes.to(dtype) if dtype.is_floating_point else boxes.round().to(dtype)


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [1e-7, 0.5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_matches_per_pair_reference(name, dtype, eps):
    boxes1, boxes2 = random_boxes(30, seed=1, dtype=dtype), random_boxes(30, seed=2, dtype=dtype)
    boxes2[:3] = boxes1[:3]  # identical pairs too
    result = LOSSES[name](boxes1, boxes2, eps=eps)
    assert result.shape == (30,) and result.dtype == dtype
    torch.testing.assert_close(result, reference_losses(name, boxes1, boxes2, eps).to(dtype))


@pytest.mark.parametrize(
    ("dtype1", "dtype2", "result_dtype"),
    [
        (torch.int64, torch.int64, torch.float32),
        (torch.uint8, torch.int32, torch.float32),
        (torch.float16, torch.float16, torch.float32),
        (torch.bfloat16, torch.float32, torch.float32),
        (torch.float32, torch.float64, torch.float64),
        (torch.float64, torch.float32, torch.float64),
    ],
)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_result_dtype(name, dtype1, dtype2, result_dtype):
    boxes1, boxes2 = random_boxes(6, seed=3, dtype=dtype1), random_boxes(6, seed=4, dtype=dtype2)
    result = LOSSES[name](boxes1, boxes2)
    assert result.dtype == result_dtype
    torch.testing.assert_close(result, reference_losses(name, boxes1, boxes2).to(result_dtype))


@pytest.mark.parametrize("name", LOSSES)
def test_loss_is_elementwise_over_leading_dimensions_and_broadcasts_boxes2(name):
    boxes1 = random_boxes(2 * 5, seed=5).reshape(2, 5, 4)
    for boxes2 in (random_boxes(10, seed=6).reshape(2, 5, 4), random_boxes(1, seed=7)[0]):
        result = LOSSES[name](boxes1, boxes2)
        assert result.shape == (2, 5)
        torch.testing.assert_close(result, reference_losses(name, boxes1, boxes2))


@pytest.mark.parametrize("name", LOSSES)
def test_identical_boxes_lose_nothing_and_disjoint_ones_more_than_one(name):
    boxes = torch.tensor([[0.0, 0, 2, 2], [5, 5, 6, 9]])
    assert LOSSES[name](boxes, boxes).abs().max() < 1e-6
    far = torch.tensor([[10.0, 10, 12, 12], [20, 20, 21, 24]])
    assert (LOSSES[name](boxes, far) > 1).all()


def test_losses_by_hand():
    # Unit squares a gap of 1 apart: IoU 0; hull 3 x 1 with union 2; centres 2 apart, squared
    # diagonal 10; same aspect, so CIoU adds nothing.
    boxes1, boxes2 = torch.tensor([[0.0, 0, 1, 1]]), torch.tensor([[2.0, 0, 3, 1]])
    expected = {"generalized_box_iou_loss": 1 + 1 / 3, "distance_box_iou_loss": 1 + 0.4}
    expected["complete_box_iou_loss"] = expected["distance_box_iou_loss"]
    for name, loss in expected.items():
        assert LOSSES[name](boxes1, boxes2).item() == pytest.approx(loss, rel=1e-6)


# --- reductions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
def test_reductions_sum_and_average_the_per_pair_losses(name):
    boxes1, boxes2 = random_boxes(7, seed=8), random_boxes(7, seed=9)
    per_pair = reference_losses(name, boxes1, boxes2)
    torch.testing.assert_close(LOSSES[name](boxes1, boxes2, reduction="none"), per_pair)
    torch.testing.assert_close(LOSSES[name](boxes1, boxes2, reduction="sum"), per_pair.sum())
    torch.testing.assert_close(LOSSES[name](boxes1, boxes2, reduction="mean"), per_pair.mean())


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", LOSSES)
def test_reduced_loss_of_no_pairs_is_zero_and_back_propagates(name, reduction):
    boxes1 = torch.zeros(0, 4, requires_grad=True)
    loss = LOSSES[name](boxes1, torch.zeros(0, 4), reduction=reduction)
    assert loss.shape == () and loss.item() == 0
    loss.backward()
    assert boxes1.grad is not None and boxes1.grad.shape == (0, 4)


# --- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["generalized_box_iou_loss", "distance_box_iou_loss"])
def test_loss_gradients_match_finite_differences(name):
    # Random float64 boxes: apart from the kinks of min, max and relu.
    boxes1 = random_boxes(5, seed=10).requires_grad_()
    boxes2 = random_boxes(5, seed=11).requires_grad_()
    assert torch.autograd.gradcheck(LOSSES[name], (boxes1, boxes2))


def test_complete_loss_gradient_holds_the_aspect_weight_constant():
    boxes1, boxes2 = random_boxes(3, seed=12), random_boxes(3, seed=13)
    (grad1,) = torch.autograd.grad(
        vops.complete_box_iou_loss(boxes1.requires_grad_(), boxes2, reduction="sum"), boxes1
    )
    rows2 = boxes2.tolist()
    for i, a in enumerate(boxes1.tolist()):
        alpha = aspect_weight_of(a, rows2[i], 1e-7)

        def loss_at(box: list[float], b: list[float] = rows2[i], alpha: float = alpha) -> float:
            return diou_loss_of(box, b, 1e-7) + alpha * aspect_penalty_of(box, b)

        for k in range(4):
            up, down = list(a), list(a)
            up[k] += 1e-6
            down[k] -= 1e-6
            expected = (loss_at(up) - loss_at(down)) / 2e-6
            assert grad1[i, k].item() == pytest.approx(expected, rel=1e-5, abs=1e-8)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # d/dx2 of (hull - union) / hull, hull = 2 (its right side is boxes2's)
        ("generalized_box_iou_loss", -1 / 2),
        # d/dx2 of centre_dx^2 / diagonal^2: centre_dx = (x1 + x2) / 2 - 3 / 2 = -1, diagonal^2 = 5
        ("distance_box_iou_loss", 2 * -1 * 0.5 / 5),
        # equal aspects: the penalty v and its derivative vanish
        ("complete_box_iou_loss", 2 * -1 * 0.5 / 5),
    ],
)
def test_touching_boxes_pass_no_gradient_through_their_empty_intersection(name, expected):
    # The squares touch along x = 1, so the intersection has width 0 as boxes1's x2 moves
    # right; a clamp instead of a mask would add d IoU / d x2 = 1 / union = 1 / 2.
    boxes1 = torch.tensor([[0.0, 0, 1, 1]], dtype=torch.float64, requires_grad=True)
    boxes2 = torch.tensor([[1.0, 0, 2, 1]], dtype=torch.float64)
    (grad,) = torch.autograd.grad(LOSSES[name](boxes1, boxes2).sum(), boxes1)
    assert grad[0, 2].item() == pytest.approx(expected, rel=1e-6)


# --- TorchScript ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("name", LOSSES)
def test_loss_scripts_and_gives_the_eager_result(name):
    scripted = torch.jit.script(LOSSES[name])
    boxes1, boxes2 = random_boxes(6, seed=14), random_boxes(6, seed=15, dtype=torch.int64)
    for reduction in ("none", "mean", "sum"):
        expected = LOSSES[name](boxes1, boxes2, reduction=reduction)
        torch.testing.assert_close(scripted(boxes1, boxes2, reduction), expected)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOSSES)
def test_unknown_reduction_raises_value_error_naming_reduction(name):
    boxes = random_boxes(2, seed=16)
    with pytest.raises(ValueError, match=r"reduction must be 'none', 'mean' or 'sum', got 'avg'"):
        LOSSES[name](boxes, boxes, reduction="avg")


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(
    ("boxes1", "boxes2", "match"),
    [
        (torch.zeros(2, 3), torch.zeros(2, 3), r"boxes1 must be a Tensor\[\.\.\., 4\]"),
        (torch.zeros(2, 4), torch.zeros(2, 5), r"boxes2 must be a Tensor\[\.\.\., 4\]"),
        (torch.zeros(()), torch.zeros(2, 4), r"boxes1 .* got Tensor\[\]"),
        (torch.zeros(4), torch.zeros(2, 4), r"boxes2 must broadcast to the shape of boxes1"),
        (torch.zeros(2, 4), torch.zeros(3, 2, 4), r"got Tensor\[3, 2, 4\]"),
    ],
    ids=["3_columns", "5_columns", "0d", "boxes2_larger", "boxes2_more_dims"],
)
def test_bad_box_shapes_raise_value_error_that_is_also_an_index_error(name, boxes1, boxes2, match):
    with pytest.raises(ValueError, match=match) as raised:
        LOSSES[name](boxes1, boxes2)
    assert isinstance(raised.value, IndexError)
