"""vops' box formats (box_convert, box_area, box_iou in every format and dtype) against
torchvision.ops on the same inputs."""

import itertools

import pytest
import torch
from torch import Tensor

import vops

torchvision = pytest.importorskip("torchvision")

AXIS_ALIGNED = ["xyxy", "xywh", "cxcywh"]
ROTATED = ["xywhr", "cxcywhr", "xyxyxyxy"]
SAME_FAMILY_PAIRS = list(itertools.product(AXIS_ALIGNED, AXIS_ALIGNED)) + list(
    itertools.product(ROTATED, ROTATED)
)
ALL_DTYPES = [
    torch.float32,
    torch.float64,
    torch.float16,
    torch.bfloat16,
    torch.int64,
    torch.int32,
    torch.int16,
    torch.uint8,
]


def random_boxes(fmt: str, n: int, seed: int, dtype: torch.dtype) -> Tensor:
    """Boxes on a 200 x 200 image (integers fit uint8), overlapping often, in format ``fmt``."""
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=g, dtype=torch.float64) * 150
    sides = torch.rand(n, 2, generator=g, dtype=torch.float64) * 50 + 2
    if fmt in AXIS_ALIGNED:
        boxes = torchvision.ops.box_convert(torch.cat([corner, corner + sides], 1), "xyxy", fmt)
    else:
        angles = torch.rand(n, 1, generator=g, dtype=torch.float64) * 360 - 180
        xywhr = torch.cat([corner + 25, sides, angles], dim=1)
        boxes = torchvision.ops.box_convert(xywhr, "xywhr", fmt).clamp(min=0)
    return (boxes if dtype.is_floating_point else boxes.round()).to(dtype)


def assert_same(actual: Tensor, expected: Tensor, rtol: float = 0, atol: float = 0) -> None:
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=True)


# --- box_convert ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize(("in_fmt", "out_fmt"), SAME_FAMILY_PAIRS)
def test_box_convert_equals_torchvision(in_fmt, out_fmt, dtype):
    boxes = random_boxes(in_fmt, 40, seed=1, dtype=dtype).reshape(4, 10, -1)
    expected = torchvision.ops.box_convert(boxes, in_fmt, out_fmt)
    assert_same(vops.box_convert(boxes, in_fmt, out_fmt), expected)


@pytest.mark.parametrize(("in_fmt", "out_fmt"), SAME_FAMILY_PAIRS)
def test_box_convert_of_no_boxes_equals_torchvision(in_fmt, out_fmt):
    boxes = random_boxes(in_fmt, 0, seed=2, dtype=torch.int32)
    expected = torchvision.ops.box_convert(boxes, in_fmt, out_fmt)
    assert_same(vops.box_convert(boxes, in_fmt, out_fmt), expected)


@pytest.mark.parametrize(
    ("in_fmt", "out_fmt", "error"),
    [
        ("xyxy", "xyhw", ValueError),
        ("abc", "xyxy", ValueError),
        ("xyxy", "cxcywhr", NotImplementedError),
        ("xyxyxyxy", "xywh", NotImplementedError),
    ],
)
def test_box_convert_raises_what_torchvision_raises(in_fmt, out_fmt, error):
    boxes = torch.zeros(2, 8 if in_fmt == "xyxyxyxy" else 4)
    with pytest.raises(error):
        torchvision.ops.box_convert(boxes, in_fmt, out_fmt)
    with pytest.raises(error):
        vops.box_convert(boxes, in_fmt, out_fmt)


# --- box_area ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_box_area_equals_torchvision(fmt, dtype):
    boxes = random_boxes(fmt, 30, seed=3, dtype=dtype).reshape(3, 10, 4)
    assert_same(vops.box_area(boxes, fmt=fmt), torchvision.ops.box_area(boxes, fmt=fmt))


@pytest.mark.parametrize("fmt", ["xywhr", "nope"])
def test_box_area_rejects_the_formats_torchvision_rejects(fmt):
    with pytest.raises(ValueError):
        torchvision.ops.box_area(torch.zeros(2, 4), fmt=fmt)
    with pytest.raises(ValueError):
        vops.box_area(torch.zeros(2, 4), fmt=fmt)


# --- axis-aligned box_iou ------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.int32])
@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_box_iou_equals_torchvision_bit_for_bit(fmt, dtype):
    boxes1 = random_boxes(fmt, 60, seed=4, dtype=dtype)
    boxes2 = random_boxes(fmt, 45, seed=5, dtype=dtype)
    expected = torchvision.ops.box_iou(boxes1, boxes2, fmt=fmt)
    assert_same(vops.box_iou(boxes1, boxes2, fmt=fmt), expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int16, torch.uint8])
@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_box_iou_of_narrow_dtypes_is_close_to_torchvision(fmt, dtype):
    # torchvision subtracts corners in the narrow dtype before upcasting, vops upcasts first: with
    # (b)float16 the sides round differently, and uint8 corners of boxes that do not overlap wrap
    # around in torchvision, so only overlapping pairs are compared here.
    boxes1 = random_boxes(fmt, 30, seed=6, dtype=dtype)
    boxes2 = random_boxes(fmt, 20, seed=7, dtype=dtype)
    expected = torchvision.ops.box_iou(boxes1, boxes2, fmt=fmt)
    result = vops.box_iou(boxes1, boxes2, fmt=fmt)
    assert result.dtype == expected.dtype
    overlapping = result > 0
    tolerance = 5e-2 if dtype == torch.bfloat16 else 1e-2
    torch.testing.assert_close(result[overlapping], expected[overlapping], atol=tolerance, rtol=0)


@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_batched_box_iou_equals_torchvision(fmt):
    boxes1 = random_boxes(fmt, 2 * 7, seed=8, dtype=torch.float32).reshape(2, 1, 7, 4)
    boxes2 = random_boxes(fmt, 3 * 5, seed=9, dtype=torch.float32).reshape(3, 5, 4)
    expected = torchvision.ops.box_iou(boxes1, boxes2, fmt=fmt)
    assert_same(vops.box_iou(boxes1, boxes2, fmt=fmt), expected, rtol=1e-6, atol=1e-7)


def test_box_iou_gradient_equals_torchvision():
    boxes1 = random_boxes("xywh", 6, seed=10, dtype=torch.float64).requires_grad_()
    boxes2 = random_boxes("xywh", 5, seed=11, dtype=torch.float64).requires_grad_()
    weights = torch.rand(6, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = torch.autograd.grad(
        (torchvision.ops.box_iou(boxes1, boxes2, fmt="xywh") * weights).sum(), (boxes1, boxes2)
    )
    actual = torch.autograd.grad(
        (vops.box_iou(boxes1, boxes2, fmt="xywh") * weights).sum(), (boxes1, boxes2)
    )
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e)


@pytest.mark.parametrize(("n", "m"), [(0, 4), (3, 0)])
@pytest.mark.parametrize("fmt", AXIS_ALIGNED + ROTATED)
def test_box_iou_of_no_boxes_equals_torchvision(fmt, n, m):
    boxes1, boxes2 = (
        random_boxes(fmt, n, 12, torch.float32),
        random_boxes(fmt, m, 13, torch.float32),
    )
    expected = torchvision.ops.box_iou(boxes1, boxes2, fmt=fmt)
    assert_same(vops.box_iou(boxes1, boxes2, fmt=fmt), expected)


# --- rotated box_iou -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("fmt", ROTATED)
def test_rotated_box_iou_equals_torchvision(fmt, dtype):
    boxes1 = random_boxes(fmt, 50, seed=14, dtype=dtype)
    boxes2 = random_boxes(fmt, 40, seed=15, dtype=dtype)
    expected = torchvision.ops.box_iou(boxes1, boxes2, fmt=fmt)
    assert_same(vops.box_iou(boxes1, boxes2, fmt=fmt), expected, atol=1e-4)


# Pairs of (cx, cy, w, h, degrees) where clipping meets its edge cases.
DEGENERATE_PAIRS = {
    "identical": ([10, 10, 6, 3, 25], [10, 10, 6, 3, 25]),
    "identical_axis_aligned": ([10, 10, 6, 3, 0], [10, 10, 6, 3, 0]),
    "edge_touch": ([0, 0, 2, 2, 0], [2, 0, 2, 2, 0]),
    "edge_touch_rotated": ([0, 0, 2, 2, 45], [2**0.5 * 2, 0, 2, 2, 45]),
    "corner_touch": ([0, 0, 2, 2, 0], [2, 2, 2, 2, 0]),
    "contained": ([0, 0, 8, 8, 0], [1, 1, 2, 3, 37]),
    "contained_same_centre": ([5, 5, 8, 8, 10], [5, 5, 2, 2, 10]),
    "zero_width": ([0, 0, 0, 4, 20], [0, 0, 4, 4, 0]),
    "zero_area_both": ([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]),
    "angle_90": ([0, 0, 4, 2, 90], [1, 0, 4, 2, 0]),
    "angle_180": ([0, 0, 4, 2, 180], [1, 0, 4, 2, 0]),
    "angle_360": ([0, 0, 4, 2, 360], [1, 0, 4, 2, 0]),
    "angle_negative": ([0, 0, 4, 2, -90], [1, 0, 4, 2, 0]),
    "shared_edge_overlap": ([0, 0, 4, 2, 0], [2, 0, 4, 2, 0]),
    "far_apart": ([0, 0, 2, 2, 0], [100, 100, 2, 2, 30]),
    "cross": ([0, 0, 10, 1, 0], [0, 0, 10, 1, 90]),
    "thin_sliver": ([0, 0, 100, 0.01, 0], [0, 0, 100, 0.01, 0.5]),
    "large_coordinates": ([5000, 5000, 30, 20, 15], [5005, 5002, 30, 20, 40]),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", DEGENERATE_PAIRS, ids=list(DEGENERATE_PAIRS))
def test_rotated_box_iou_of_degenerate_pairs_equals_torchvision(case, dtype):
    a, b = DEGENERATE_PAIRS[case]
    boxes1, boxes2 = torch.tensor([a], dtype=dtype), torch.tensor([b], dtype=dtype)
    for first, second in ((boxes1, boxes2), (boxes2, boxes1)):
        expected = torchvision.ops.box_iou(first, second, fmt="cxcywhr")
        assert_same(vops.box_iou(first, second, fmt="cxcywhr"), expected, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float16, torch.int32])
def test_rotated_box_iou_rejects_the_dtypes_torchvision_rejects(dtype):
    boxes = torch.ones(2, 5, dtype=dtype)
    with pytest.raises(RuntimeError):
        torchvision.ops.box_iou(boxes, boxes, fmt="cxcywhr")
    with pytest.raises(RuntimeError):
        vops.box_iou(boxes, boxes, fmt="cxcywhr")


def test_box_iou_rejects_unknown_formats_as_torchvision_does():
    with pytest.raises(ValueError):
        torchvision.ops.box_iou(torch.zeros(1, 4), torch.zeros(1, 4), fmt="xy")
    with pytest.raises(ValueError):
        vops.box_iou(torch.zeros(1, 4), torch.zeros(1, 4), fmt="xy")
