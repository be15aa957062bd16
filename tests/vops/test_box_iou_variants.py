"""Pairwise generalized, distance and complete IoU against per-pair Python references and
hand-computed cases."""

import math

import pytest
import torch
from torch import Tensor

import vops

OPS = {
    "generalized_box_iou": vops.generalized_box_iou,
    "distance_box_iou": vops.distance_box_iou,
    "complete_box_iou": vops.complete_box_iou,
}
INTEGER_DTYPES = [torch.uint8, torch.int16, torch.int32, torch.int64]


# --- references: one pair at a time, in Python floats -------------------------------------------


def overlap_of(a: list[float], b: list[float]) -> tuple[float, float, float, float]:
    """IoU, union, and the enclosing box's width and height."""
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    hull_w = max(a[2], b[2]) - min(a[0], b[0])
    hull_h = max(a[3], b[3]) - min(a[1], b[1])
    return inter / union, union, hull_w, hull_h


def giou_of(a: list[float], b: list[float], eps: float) -> float:
    iou, union, hull_w, hull_h = overlap_of(a, b)
    return iou - (hull_w * hull_h - union) / (hull_w * hull_h)


def diou_of(a: list[float], b: list[float], eps: float) -> float:
    iou, _, hull_w, hull_h = overlap_of(a, b)
    centre_dx = (a[0] + a[2]) / 2 - (b[0] + b[2]) / 2
    centre_dy = (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    return iou - (centre_dx**2 + centre_dy**2) / (hull_w**2 + hull_h**2 + eps)


def aspect_penalty_of(a: list[float], b: list[float]) -> float:
    slant_a = math.atan((a[2] - a[0]) / (a[3] - a[1]))
    slant_b = math.atan((b[2] - b[0]) / (b[3] - b[1]))
    return 4 / math.pi**2 * (slant_a - slant_b) ** 2


def aspect_weight_of(a: list[float], b: list[float], eps: float = 1e-7) -> float:
    v = aspect_penalty_of(a, b)
    return v / (1 - overlap_of(a, b)[0] + v + eps)


def ciou_of(a: list[float], b: list[float], eps: float) -> float:
    return diou_of(a, b, eps) - aspect_weight_of(a, b, eps) * aspect_penalty_of(a, b)


REFERENCES = {
    "generalized_box_iou": giou_of,
    "distance_box_iou": diou_of,
    "complete_box_iou": ciou_of,
}


def reference_pairwise(name: str, boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    of = REFERENCES[name]
    rows = [[of(a, b, eps) for b in boxes2.double().tolist()] for a in boxes1.double().tolist()]
    return torch.tensor(rows, dtype=torch.float64).reshape(len(boxes1), len(boxes2))


def random_boxes(n: int, seed: int, dtype=torch.float64, scale: float = 50.0) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=g, dtype=torch.float64) * scale
    size = torch.rand(n, 2, generator=g, dtype=torch.float64) * scale * 0.6 + 1
    boxes = torch.cat([corner, corner + size], dim=1)
    return boxes.round().to(dtype) if not dtype.is_floating_point else boxes.to(dtype)


def call(name: str, boxes1: Tensor, boxes2: Tensor) -> Tensor:
    return OPS[name](boxes1, boxes2)


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("n", "m"), [(0, 3), (4, 0), (1, 1), (9, 7)])
@pytest.mark.parametrize("name", OPS)
def test_pairwise_variant_matches_per_pair_reference(name, n, m, dtype):
    boxes1, boxes2 = random_boxes(n, seed=n, dtype=dtype), random_boxes(m, seed=50 + m, dtype=dtype)
    result = call(name, boxes1, boxes2)
    assert result.shape == (n, m) and result.dtype == dtype
    torch.testing.assert_close(result, reference_pairwise(name, boxes1, boxes2).to(dtype))


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("name", OPS)
def test_integer_boxes_give_float32_and_disjoint_uint8_boxes_do_not_wrap(name, dtype):
    # Some pairs are disjoint, where a uint8 difference min(x2) - max(x1) < 0 would wrap around.
    boxes1, boxes2 = random_boxes(8, seed=1, dtype=dtype), random_boxes(6, seed=2, dtype=dtype)
    result = call(name, boxes1, boxes2)
    assert result.dtype == torch.float32
    rows1, rows2 = boxes1.double().tolist(), boxes2.double().tolist()
    assert any(overlap_of(a, b)[0] == 0 for a in rows1 for b in rows2)
    torch.testing.assert_close(result, reference_pairwise(name, boxes1, boxes2).float())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", OPS)
def test_half_precision_boxes_compute_in_float32(name, dtype):
    boxes1, boxes2 = random_boxes(5, seed=3, dtype=dtype), random_boxes(4, seed=4, dtype=dtype)
    result = call(name, boxes1, boxes2)
    assert result.dtype == torch.float32
    torch.testing.assert_close(result, reference_pairwise(name, boxes1, boxes2).float())


@pytest.mark.parametrize("name", OPS)
def test_float32_and_float64_boxes_promote_to_float64(name):
    boxes1, boxes2 = random_boxes(3, seed=5, dtype=torch.float32), random_boxes(4, seed=6)
    for result in (call(name, boxes1, boxes2), call(name, boxes2, boxes1).T):
        assert result.dtype == torch.float64
        torch.testing.assert_close(result, reference_pairwise(name, boxes1, boxes2))


@pytest.mark.parametrize("name", OPS)
def test_leading_batch_dimensions_broadcast(name):
    boxes1 = random_boxes(2 * 3 * 4, seed=7).reshape(2, 3, 4, 4)
    boxes2 = random_boxes(3 * 5, seed=8).reshape(3, 5, 4)
    result = call(name, boxes1, boxes2)
    assert result.shape == (2, 3, 4, 5)
    for i in range(2):
        for j in range(3):
            expected = reference_pairwise(name, boxes1[i, j], boxes2[j])
            torch.testing.assert_close(result[i, j], expected)


@pytest.mark.parametrize("name", OPS)
def test_empty_batch_gives_empty_result(name):
    result = call(name, torch.zeros(0, 3, 4), torch.zeros(1, 2, 4, dtype=torch.int64))
    assert result.shape == (0, 3, 2) and result.dtype == torch.float32


# --- hand-computed cases ------------------------------------------------------------------------


def one(row: list[float]) -> Tensor:
    return torch.tensor([row], dtype=torch.float64)


@pytest.mark.parametrize(
    ("box1", "box2", "giou", "diou", "ciou"),
    [
        # identical: IoU 1, no centre distance, same aspect
        ([0, 0, 2, 2], [0, 0, 2, 2], 1.0, 1.0, 1.0),
        # concentric, same aspect: IoU 1/4, centres coincide, hull = outer box
        ([0, 0, 4, 4], [1, 1, 3, 3], 0.25, 0.25, 0.25),
        # side by side unit squares, a gap of 1: hull 3 x 1, union 2; centres 2 apart,
        # squared diagonal 10
        ([0, 0, 1, 1], [2, 0, 3, 1], -1 / 3, -0.4, -0.4),
        # a 2 x 1 box over a 1 x 2 box at one corner: inter 1, union 3, hull 2 x 2 = 4;
        # centres (1, 0.5) and (0.5, 1): squared distance 0.5 over squared diagonal 8;
        # v = 4 / pi^2 (atan 2 - atan 1/2)^2, alpha = v / (1 - 1/3 + v)
        ([0, 0, 2, 1], [0, 0, 1, 2], 1 / 3 - 1 / 4, 1 / 3 - 0.5 / 8, None),
    ],
    ids=["identical", "concentric", "side_by_side", "crossed"],
)
def test_variants_by_hand(box1, box2, giou, diou, ciou):
    if ciou is None:
        v = 4 / math.pi**2 * (math.atan(2) - math.atan(0.5)) ** 2
        ciou = diou - v / (1 - 1 / 3 + v) * v
    boxes1, boxes2 = one(box1), one(box2)
    for name, expected in (
        ("generalized_box_iou", giou),
        ("distance_box_iou", diou),
        ("complete_box_iou", ciou),
    ):
        torch.testing.assert_close(call(name, boxes1, boxes2), one([expected]))


def test_distance_iou_adds_eps_to_the_squared_diagonal():
    # Unit squares a gap of 1 apart: centres 2 apart, squared diagonal 3^2 + 1^2.
    boxes1, boxes2 = one([0, 0, 1, 1]), one([2, 0, 3, 1])
    expected = -(2.0**2) / (9 + 1 + 0.5)
    torch.testing.assert_close(vops.distance_box_iou(boxes1, boxes2, eps=0.5), one([expected]))


# --- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["generalized_box_iou", "distance_box_iou"])
def test_gradients_match_finite_differences(name):
    # Boxes apart from the kinks of min/max/clamp, so finite differences are valid.
    boxes1 = random_boxes(4, seed=9).requires_grad_()
    boxes2 = random_boxes(3, seed=10).requires_grad_()
    assert torch.autograd.gradcheck(OPS[name], (boxes1, boxes2))


def test_complete_iou_gradient_holds_the_aspect_weight_constant():
    boxes1, boxes2 = random_boxes(3, seed=11), random_boxes(2, seed=12)
    weights = torch.rand(3, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    grad1, grad2 = torch.autograd.grad(
        (vops.complete_box_iou(boxes1.requires_grad_(), boxes2.requires_grad_()) * weights).sum(),
        (boxes1, boxes2),
    )
    # Reference: central differences of DIoU - alpha * v with alpha frozen at the input.
    rows1, rows2 = boxes1.tolist(), boxes2.tolist()
    alphas = [[aspect_weight_of(a, b) for b in rows2] for a in rows1]

    def objective(rows1: list[list[float]], rows2: list[list[float]]) -> float:
        return sum(
            weights[i, j].item() * (diou_of(a, b, 1e-7) - alphas[i][j] * aspect_penalty_of(a, b))
            for i, a in enumerate(rows1)
            for j, b in enumerate(rows2)
        )

    h = 1e-6
    for rows, grad, which in ((rows1, grad1, 0), (rows2, grad2, 1)):
        for i in range(len(rows)):
            for k in range(4):
                up = [list(r) for r in rows]
                down = [list(r) for r in rows]
                up[i][k] += h
                down[i][k] -= h
                args_up = (up, rows2) if which == 0 else (rows1, up)
                args_down = (down, rows2) if which == 0 else (rows1, down)
                expected = (objective(*args_up) - objective(*args_down)) / (2 * h)
                assert grad[i, k].item() == pytest.approx(expected, rel=1e-5, abs=1e-8)


# --- TorchScript ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("name", OPS)
def test_variant_scripts_and_gives_the_eager_result(name):
    scripted = torch.jit.script(OPS[name])
    boxes1 = random_boxes(6, seed=13).reshape(2, 3, 4)
    boxes2 = random_boxes(4, seed=14, dtype=torch.int32)
    torch.testing.assert_close(scripted(boxes1, boxes2), call(name, boxes1, boxes2))


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize(
    ("boxes1", "boxes2", "error", "match"),
    [
        (torch.zeros(4), torch.zeros(2, 4), IndexError, r"boxes1 must be a Tensor\[\.\.\., N, 4\]"),
        (torch.zeros(2, 4), torch.zeros(4), IndexError, r"boxes2 must be a Tensor\[\.\.\., N, 4\]"),
        (torch.zeros(2, 3), torch.zeros(2, 4), IndexError, r"got Tensor\[2, 3\]"),
        (torch.zeros(2, 4), torch.zeros(2, 5), RuntimeError, r"got Tensor\[2, 5\]"),
        (torch.zeros(2, 2, 4), torch.zeros(3, 2, 4), RuntimeError, "must broadcast"),
        (torch.zeros(2, 4, dtype=torch.bool), torch.zeros(2, 4), NotImplementedError, "dtype"),
        (torch.zeros(2, 4), torch.zeros(2, 4, dtype=torch.complex64), RuntimeError, "boxes2"),
    ],
    ids=["1d_boxes1", "1d_boxes2", "3_columns", "5_columns", "batch", "bool", "complex"],
)
def test_bad_boxes_raise_value_error_also_of_torchvisions_type(name, boxes1, boxes2, error, match):
    with pytest.raises(ValueError, match=match) as raised:
        call(name, boxes1, boxes2)
    assert isinstance(raised.value, error)
