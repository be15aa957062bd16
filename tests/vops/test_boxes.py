"""Box geometry in vops.boxes against per-box Python loops and hand-computed cases."""

import itertools

import pytest
import torch
from torch import Tensor

import vops

FLOAT_DTYPES = [torch.float32, torch.float64]
FORMATS = ["xyxy", "xywh", "cxcywh"]


# --- references: one box or one pair at a time, in Python floats -------------------------------


def area_of(box: list[float]) -> float:
    x1, y1, x2, y2 = box
    return (x2 - x1) * (y2 - y1)


def iou_and_giou_of(a: list[float], b: list[float]) -> tuple[float, float]:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = area_of(a) + area_of(b) - inter
    hull = (max(a[2], b[2]) - min(a[0], b[0])) * (max(a[3], b[3]) - min(a[1], b[1]))
    iou = inter / union
    return iou, iou - (hull - union) / hull


def reference_pairwise(boxes1: Tensor, boxes2: Tensor, which: int) -> Tensor:
    rows = [[iou_and_giou_of(a, b)[which] for b in boxes2.tolist()] for a in boxes1.tolist()]
    return torch.tensor(rows, dtype=torch.float64).reshape(len(boxes1), len(boxes2))


def random_boxes(n: int, seed: int, dtype=torch.float64) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=g, dtype=torch.float64) * 50
    size = torch.rand(n, 2, generator=g, dtype=torch.float64) * 30 + 0.5
    return torch.cat([corner, corner + size], dim=1).to(dtype)


def as_boxes(rows, dtype=torch.float64) -> Tensor:
    return torch.tensor(rows, dtype=dtype).reshape(-1, 4)


# --- box_area ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("n", [0, 1, 37])
def test_box_area_matches_per_box_loop(n, dtype):
    boxes = random_boxes(n, seed=n, dtype=dtype)
    expected = torch.tensor([area_of(b) for b in boxes.tolist()], dtype=torch.float64)
    torch.testing.assert_close(vops.box_area(boxes), expected.to(dtype))


def test_box_area_by_hand():
    boxes = as_boxes([[0, 0, 2, 3], [1, 1, 1, 5], [-2, -2, 2, 2]])
    assert vops.box_area(boxes).tolist() == [6, 0, 16]


# --- box_iou and generalized_box_iou -----------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("n", "m"), [(0, 3), (4, 0), (1, 1), (13, 21)])
@pytest.mark.parametrize(("op", "which"), [(vops.box_iou, 0), (vops.generalized_box_iou, 1)])
def test_pairwise_iou_matches_per_pair_loop(op, which, n, m, dtype):
    boxes1, boxes2 = (
        random_boxes(n, seed=n, dtype=dtype),
        random_boxes(m, seed=100 + m, dtype=dtype),
    )
    result = op(boxes1, boxes2)
    assert result.shape == (n, m) and result.dtype == dtype
    torch.testing.assert_close(result, reference_pairwise(boxes1, boxes2, which).to(dtype))


@pytest.mark.parametrize(
    ("box1", "box2", "iou", "giou"),
    [
        ([0, 0, 2, 2], [0, 0, 2, 2], 1.0, 1.0),  # identical
        ([0, 0, 2, 2], [1, 0, 3, 2], 1 / 3, 1 / 3),  # hull equals union
        ([0, 0, 4, 4], [1, 1, 3, 3], 0.25, 0.25),  # contained
        ([0, 0, 1, 1], [2, 0, 3, 1], 0.0, -1 / 3),  # disjoint: hull 3, union 2
        ([0, 0, 1, 1], [1, 1, 2, 2], 0.0, -0.5),  # touching at a corner: hull 4, union 2
        ([0, 0, 1, 1], [99, 99, 100, 100], 0.0, 2 / 10000 - 1),  # far apart: towards -1
    ],
    ids=["identical", "side_by_side", "contained", "disjoint", "corner", "far_apart"],
)
def test_iou_and_generalized_iou_by_hand(box1, box2, iou, giou):
    boxes1, boxes2 = as_boxes([box1]), as_boxes([box2])
    torch.testing.assert_close(
        vops.box_iou(boxes1, boxes2), torch.tensor([[iou]], dtype=torch.float64)
    )
    torch.testing.assert_close(
        vops.generalized_box_iou(boxes1, boxes2), torch.tensor([[giou]], dtype=torch.float64)
    )


def test_generalized_iou_of_disjoint_boxes_is_negative_and_bounded():
    boxes1, boxes2 = random_boxes(20, seed=1), random_boxes(20, seed=2) + 200
    giou = vops.generalized_box_iou(boxes1, boxes2)
    assert (giou < 0).all() and (giou >= -1).all()
    assert (vops.box_iou(boxes1, boxes2) == 0).all()


def test_generalized_iou_of_a_box_with_itself_is_one():
    boxes = random_boxes(15, seed=3)
    torch.testing.assert_close(
        vops.generalized_box_iou(boxes, boxes).diagonal(), torch.ones(15).double()
    )


@pytest.mark.parametrize("op", [vops.box_iou, vops.generalized_box_iou])
def test_gradients_flow_through_pairwise_iou(op):
    # Boxes drawn apart from the kinks of min/max/clamp, so finite differences are valid.
    boxes1 = random_boxes(4, seed=5).requires_grad_()
    boxes2 = random_boxes(3, seed=6).requires_grad_()
    assert torch.autograd.gradcheck(op, (boxes1, boxes2))


# --- clip_boxes_to_image -----------------------------------------------------------------------


def test_clip_boxes_to_image_clamps_x_to_width_and_y_to_height():
    boxes = as_boxes([[-5, -5, 25, 15], [3, 4, 5, 6], [30, 12, 40, 20], [-3, 2, -1, 8]])
    clipped = vops.clip_boxes_to_image(boxes, (10, 20))  # (height, width)
    expected = as_boxes([[0, 0, 20, 10], [3, 4, 5, 6], [20, 10, 20, 10], [0, 2, 0, 8]])
    assert torch.equal(clipped, expected)


@pytest.mark.parametrize("shape", [(4,), (5, 4), (2, 3, 4), (0, 4)])
def test_clip_boxes_to_image_keeps_any_leading_shape(shape):
    boxes = torch.linspace(-30, 30, torch.Size(shape).numel()).reshape(shape)
    clipped = vops.clip_boxes_to_image(boxes, (7, 11))
    assert clipped.shape == shape
    flat, flat_clipped = boxes.reshape(-1, 4), clipped.reshape(-1, 4)
    for box, got in zip(flat.tolist(), flat_clipped.tolist(), strict=True):
        x1, y1, x2, y2 = box
        assert got == [
            min(max(x1, 0), 11),
            min(max(y1, 0), 7),
            min(max(x2, 0), 11),
            min(max(y2, 0), 7),
        ]


@pytest.mark.parametrize("shape", [(3,), (2, 5), ()])
def test_clip_boxes_to_image_rejects_last_dimension_other_than_four(shape):
    with pytest.raises(ValueError, match=r"boxes must be a Tensor\[\.\.\., 4\]"):
        vops.clip_boxes_to_image(torch.zeros(shape), (10, 10))


# --- remove_small_boxes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_size", "kept"), [(0.0, [0, 1, 2, 3, 4]), (1.0, [0, 2, 3]), (2.0, [2]), (3.5, [])]
)
def test_remove_small_boxes_keeps_boxes_with_both_sides_at_least_min_size(min_size, kept):
    boxes = as_boxes([[0, 0, 1, 1], [0, 0, 0.5, 5], [0, 0, 2, 3], [2, 2, 3, 4.5], [0, 0, 9, 0]])
    result = vops.remove_small_boxes(boxes, min_size)
    assert result.dtype == torch.int64 and result.tolist() == kept


def test_remove_small_boxes_drops_inverted_boxes():
    boxes = as_boxes([[5, 5, 0, 0], [0, 0, 5, 5], [0, 5, 5, 0]])
    assert vops.remove_small_boxes(boxes, 0.1).tolist() == [1]


def test_remove_small_boxes_of_no_boxes_is_empty():
    result = vops.remove_small_boxes(torch.zeros(0, 4), 1.0)
    assert result.shape == (0,) and result.dtype == torch.int64


# --- box_convert -------------------------------------------------------------------------------

# One box, [1, 2] to [5, 8], in each format.
HAND_BOX = {
    "xyxy": [1.0, 2.0, 5.0, 8.0],
    "xywh": [1.0, 2.0, 4.0, 6.0],
    "cxcywh": [3.0, 5.0, 4.0, 6.0],
}


@pytest.mark.parametrize(("in_fmt", "out_fmt"), list(itertools.product(FORMATS, FORMATS)))
def test_box_convert_by_hand(in_fmt, out_fmt):
    boxes = torch.tensor([HAND_BOX[in_fmt]])
    assert vops.box_convert(boxes, in_fmt, out_fmt).tolist() == [HAND_BOX[out_fmt]]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize(("in_fmt", "out_fmt"), list(itertools.permutations(FORMATS, 2)))
def test_box_convert_round_trip_restores_boxes(in_fmt, out_fmt, dtype):
    boxes = random_boxes(30, seed=7, dtype=dtype).reshape(5, 6, 4)
    there = vops.box_convert(boxes, in_fmt, out_fmt)
    assert there.shape == (5, 6, 4)
    torch.testing.assert_close(vops.box_convert(there, out_fmt, in_fmt), boxes)


@pytest.mark.parametrize("fmt", FORMATS)
def test_box_convert_to_the_same_format_returns_an_equal_copy(fmt):
    boxes = random_boxes(6, seed=8)
    converted = vops.box_convert(boxes, fmt, fmt)
    assert torch.equal(converted, boxes) and converted.data_ptr() != boxes.data_ptr()


def test_box_convert_matches_per_box_formulas():
    boxes = random_boxes(12, seed=9)
    xywh = [[x1, y1, x2 - x1, y2 - y1] for x1, y1, x2, y2 in boxes.tolist()]
    cxcywh = [[(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1] for x1, y1, x2, y2 in boxes.tolist()]
    torch.testing.assert_close(vops.box_convert(boxes, "xyxy", "xywh"), torch.tensor(xywh).double())
    torch.testing.assert_close(
        vops.box_convert(boxes, "xyxy", "cxcywh"), torch.tensor(cxcywh).double()
    )


@pytest.mark.parametrize(
    ("in_fmt", "out_fmt", "name"),
    [("xyxy", "xyhw", "out_fmt"), ("XYXY", "xywh", "in_fmt"), ("", "cxcywh", "in_fmt")],
)
def test_box_convert_rejects_unknown_format_naming_the_argument(in_fmt, out_fmt, name):
    with pytest.raises(
        ValueError, match=rf"{name} must be one of \['xyxy', 'xywh', 'cxcywh', 'xywhr'"
    ):
        vops.box_convert(torch.zeros(1, 4), in_fmt, out_fmt)


@pytest.mark.parametrize("shape", [(3,), (2, 5), ()])
def test_box_convert_rejects_last_dimension_other_than_four(shape):
    with pytest.raises(ValueError, match=r"boxes must be a Tensor\[\.\.\., 4\]"):
        vops.box_convert(torch.zeros(shape), "xyxy", "xywh")


# --- argument checks of box_area and box_iou -------------------------------------------------


@pytest.mark.parametrize(
    ("call", "bad", "message"),
    [
        (vops.box_area, torch.zeros(3, 5), r"boxes must be a Tensor\[\.\.\., 4\]"),
        (vops.box_area, torch.zeros(()), r"boxes must be a Tensor\[\.\.\., 4\]"),
        (lambda b: vops.box_iou(b, torch.zeros(2, 4)), torch.zeros(3, 3), r"boxes1 must be a"),
        (lambda b: vops.box_iou(b, torch.zeros(2, 4)), torch.zeros(4), r"boxes1 must be a"),
        (lambda b: vops.box_iou(torch.zeros(2, 4), b), torch.zeros(3, 5), r"boxes2 must be a"),
    ],
    ids=["area_5_columns", "area_0d", "iou_3_columns", "iou_1d", "iou_5_columns"],
)
def test_box_area_and_iou_reject_boxes_without_four_coordinates_naming_the_argument(
    call, bad, message
):
    # IndexError too: torchvision fails on such boxes by indexing past their end.
    with pytest.raises(IndexError, match=message) as raised:
        call(bad)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("dtype", [torch.bool, torch.complex64])
def test_box_area_and_iou_reject_non_real_boxes(dtype):
    boxes = torch.zeros(2, 4, dtype=dtype)
    with pytest.raises(ValueError, match="boxes must hold real numbers"):
        vops.box_area(boxes)
    with pytest.raises(ValueError, match="boxes2 must hold real numbers"):
        vops.box_iou(torch.zeros(2, 4), boxes)


def test_box_iou_of_mixed_dtypes_promotes_them():
    boxes1, boxes2 = random_boxes(5, seed=11, dtype=torch.float32), random_boxes(4, seed=12)
    result = vops.box_iou(boxes1, boxes2)
    assert result.dtype == torch.float64
    torch.testing.assert_close(result, reference_pairwise(boxes1.double(), boxes2, 0))
