"""IoU of rotated boxes (vops.box_iou with a rotated fmt) against hand-computed overlaps and a slow
pure-Python polygon intersection written here."""

import math

import pytest
import torch
from torch import Tensor

import vops

# --- reference: one pair at a time, in Python floats -------------------------------------------


def corners(box: list[float]) -> list[tuple[float, float]]:
    """Corners of (cx, cy, w, h, degrees) on the image (y down), counter-clockwise on screen."""
    cx, cy, w, h, degrees = box
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    local = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return [(cx + u * c + v * s, cy - u * s + v * c) for u, v in local]


def inside(point, polygon, tol=1e-9) -> bool:
    """Whether a point lies in a convex polygon (either orientation), boundary included."""
    signs = []
    for (ax, ay), (bx, by) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        signs.append((bx - ax) * (point[1] - ay) - (by - ay) * (point[0] - ax))
    return all(s >= -tol for s in signs) or all(s <= tol for s in signs)


def segment_crossings(p, q) -> list[tuple[float, float]]:
    points = []
    for a, b in zip(p, p[1:] + p[:1], strict=True):
        for c, d in zip(q, q[1:] + q[:1], strict=True):
            r = (b[0] - a[0], b[1] - a[1])
            s = (d[0] - c[0], d[1] - c[1])
            denom = r[0] * s[1] - r[1] * s[0]
            if abs(denom) < 1e-12:
                continue
            t = ((c[0] - a[0]) * s[1] - (c[1] - a[1]) * s[0]) / denom
            u = ((c[0] - a[0]) * r[1] - (c[1] - a[1]) * r[0]) / denom
            if -1e-12 <= t <= 1 + 1e-12 and -1e-12 <= u <= 1 + 1e-12:
                points.append((a[0] + t * r[0], a[1] + t * r[1]))
    return points


def intersection_area(p, q) -> float:
    """Area of the intersection of two convex polygons: the corners of each inside the other and
    the edge crossings, ordered by angle about their mean, then the shoelace formula."""
    points = [v for v in p if inside(v, q)] + [v for v in q if inside(v, p)]
    points += segment_crossings(p, q)
    if len(points) < 3:
        return 0.0
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    points.sort(key=lambda v: math.atan2(v[1] - my, v[0] - mx))
    twice = sum(
        x0 * y1 - x1 * y0
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
    )
    return abs(twice) / 2


def reference_iou(a: list[float], b: list[float]) -> float:
    area_a, area_b = a[2] * a[3], b[2] * b[3]
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = intersection_area(corners(a), corners(b))
    return inter / (area_a + area_b - inter)


def reference_pairwise(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    rows = [[reference_iou(a, b) for b in boxes2.tolist()] for a in boxes1.tolist()]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(boxes1), len(boxes2))


def random_rotated(n: int, seed: int, dtype=torch.float32) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(n, 2, generator=g, dtype=torch.float64) * 30
    sides = torch.rand(n, 2, generator=g, dtype=torch.float64) * 15 + 1
    angles = torch.rand(n, 1, generator=g, dtype=torch.float64) * 720 - 360
    return torch.cat([centres, sides, angles], dim=1).to(dtype)


def iou_of(a: list[float], b: list[float]) -> float:
    boxes1, boxes2 = torch.tensor([a], dtype=torch.float64), torch.tensor([b], dtype=torch.float64)
    return vops.box_iou(boxes1, boxes2, fmt="cxcywhr").item()


# --- hand-computed overlaps ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 4, 2, 30], [0, 0, 4, 2, 30], 1.0),  # identical
        ([5, 5, 2, 2, 0], [5, 5, 2, 2, 90], 1.0),  # a square turned a quarter is itself
        ([0, 0, 2, 2, 0], [0, 0, 2, 2, 45], 1 / math.sqrt(2)),  # octagon of area 8 (sqrt 2 - 1)
        ([0, 0, 4, 4, 0], [0, 0, 2, 2, 30], 0.25),  # contained
        ([0, 0, 2, 2, 0], [2, 0, 2, 2, 0], 0.0),  # touching along an edge
        ([0, 0, 2, 2, 0], [2, 2, 2, 2, 0], 0.0),  # touching at a corner
        ([0, 0, 2, 2, 0], [1, 0, 2, 2, 0], 1 / 3),  # half overlapping
        ([0, 0, 4, 2, 0], [1, 0, 4, 2, 0], 0.6),  # 3 x 2 overlap of two 4 x 2
        ([0, 0, 4, 2, 180], [1, 0, 4, 2, 0], 0.6),
        ([0, 0, 4, 2, 360], [1, 0, 4, 2, 0], 0.6),
        ([0, 0, 4, 2, -360], [1, 0, 4, 2, 0], 0.6),
        ([0, 0, 4, 2, 90], [1, 0, 4, 2, 0], 1 / 3),  # now 2 x 4: overlap 2 x 2
        ([0, 0, 4, 2, 270], [1, 0, 4, 2, 0], 1 / 3),
        ([0, 0, 0, 2, 10], [0, 0, 4, 2, 0], 0.0),  # zero width
        ([0, 0, 4, 2, 10], [0, 0, 4, 0, 0], 0.0),  # zero height
        ([0, 0, 2, 2, 0], [50, 50, 2, 2, 45], 0.0),  # far apart
    ],
    ids=[
        "identical",
        "square_quarter_turn",
        "square_45",
        "contained",
        "edge_touch",
        "corner_touch",
        "half",
        "shifted",
        "angle_180",
        "angle_360",
        "angle_minus_360",
        "angle_90",
        "angle_270",
        "zero_width",
        "zero_height",
        "far_apart",
    ],
)
def test_rotated_iou_by_hand(a, b, expected):
    assert iou_of(a, b) == pytest.approx(expected, abs=1e-6)
    assert iou_of(b, a) == pytest.approx(expected, abs=1e-6)


def test_rotation_is_counter_clockwise_on_the_image():
    # A 4 x 2 box centred at (0, 0) turned +30 degrees puts its right end up the image
    # (towards negative y): it overlaps a probe above-right more than one below-right.
    box = [0.0, 0.0, 4.0, 1.0, 30.0]
    above_right, below_right = [1.5, -0.9, 0.5, 0.5, 0.0], [1.5, 0.9, 0.5, 0.5, 0.0]
    assert iou_of(box, above_right) > 0 and iou_of(box, below_right) == 0


# --- against the reference -----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("n", "m"), [(1, 1), (9, 13)])
def test_rotated_iou_matches_polygon_reference(n, m, dtype):
    boxes1, boxes2 = random_rotated(n, seed=n, dtype=dtype), random_rotated(m, seed=50 + m)
    result = vops.box_iou(boxes1, boxes2.to(dtype), fmt="cxcywhr")
    assert result.shape == (n, m) and result.dtype == torch.float32
    expected = reference_pairwise(boxes1.double(), boxes2.double())
    torch.testing.assert_close(result, expected, atol=1e-5, rtol=0)


def test_rotated_iou_is_symmetric_and_one_on_the_diagonal():
    boxes = random_rotated(12, seed=3, dtype=torch.float64)
    iou = vops.box_iou(boxes, boxes, fmt="cxcywhr")
    torch.testing.assert_close(iou, iou.T, atol=1e-6, rtol=0)
    torch.testing.assert_close(iou.diagonal(), torch.ones(12), atol=1e-6, rtol=0)


def test_rotated_iou_of_axis_aligned_boxes_equals_the_axis_aligned_iou():
    g = torch.Generator().manual_seed(4)
    xywh = torch.cat(
        [torch.rand(10, 2, generator=g) * 20, torch.rand(10, 2, generator=g) * 8 + 1], 1
    )
    xywhr = torch.cat([xywh, torch.zeros(10, 1)], dim=1)
    torch.testing.assert_close(
        vops.box_iou(xywhr, xywhr, fmt="xywhr"),
        vops.box_iou(xywh, xywh, fmt="xywh"),
        atol=1e-6,
        rtol=0,
    )


@pytest.mark.parametrize("fmt", ["xywhr", "xyxyxyxy"])
def test_rotated_iou_in_other_rotated_formats_converts_first(fmt):
    boxes1, boxes2 = random_rotated(6, seed=5), random_rotated(7, seed=6)
    expected = vops.box_iou(boxes1, boxes2, fmt="cxcywhr")
    converted1 = vops.box_convert(boxes1, "cxcywhr", fmt)
    converted2 = vops.box_convert(boxes2, "cxcywhr", fmt)
    torch.testing.assert_close(
        vops.box_iou(converted1, converted2, fmt=fmt), expected, atol=1e-5, rtol=0
    )


def test_rotated_iou_of_negated_sides_is_that_of_the_absolute_sides():
    # (w, h) and (-w, -h) describe the same rectangle; one negative side is no rectangle.
    box, other = [3.0, 4.0, 5.0, 2.0, 20.0], [4.0, 4.0, 3.0, 3.0, -10.0]
    assert iou_of([3.0, 4.0, -5.0, -2.0, 20.0], other) == pytest.approx(iou_of(box, other))
    assert iou_of([3.0, 4.0, -5.0, 2.0, 20.0], other) == 0.0


def test_rotated_iou_of_a_nan_box_is_nan():
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0, float("nan")], [0.0, 0.0, 2.0, 2.0, 0.0]])
    iou = vops.box_iou(boxes, boxes[1:], fmt="cxcywhr")
    assert iou[0, 0].isnan() and iou[1, 0] == 1


@pytest.mark.parametrize(("n", "m"), [(0, 3), (3, 0), (0, 0)])
def test_rotated_iou_of_no_boxes_is_empty(n, m):
    result = vops.box_iou(torch.zeros(n, 5), torch.zeros(m, 5, dtype=torch.float32), fmt="cxcywhr")
    assert result.shape == (n, m) and result.dtype == torch.float32


def test_rotated_iou_does_not_depend_on_the_thread_count():
    boxes1, boxes2 = random_rotated(200, seed=7), random_rotated(150, seed=8)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        serial = vops.box_iou(boxes1, boxes2, fmt="cxcywhr")
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(vops.box_iou(boxes1, boxes2, fmt="cxcywhr"), serial)


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int32, torch.int64])
def test_rotated_iou_rejects_dtypes_other_than_float32_and_float64(dtype):
    boxes = torch.ones(2, 5, dtype=dtype)
    # NotImplementedError and RuntimeError too: what torch and torchvision raise for the dtype.
    with pytest.raises(NotImplementedError, match="boxes1 must be float32 or float64") as raised:
        vops.box_iou(boxes, torch.ones(2, 5), fmt="cxcywhr")
    assert isinstance(raised.value, (ValueError, RuntimeError))


def test_rotated_iou_rejects_mixed_dtypes():
    with pytest.raises(ValueError, match="boxes1 and boxes2 must have the same dtype"):
        vops.box_iou(torch.ones(2, 5), torch.ones(2, 5, dtype=torch.float64), fmt="cxcywhr")


@pytest.mark.parametrize(
    ("fmt", "shape", "message"),
    [
        ("cxcywhr", (2, 4), r"boxes1 must be a Tensor\[\.\.\., N, 5\]"),
        ("xyxyxyxy", (2, 5), r"boxes1 must be a Tensor\[\.\.\., N, 8\]"),
        ("cxcywhr", (2, 3, 5), r"boxes1 must be a Tensor\[N, 5\] for the rotated fmt"),
    ],
)
def test_rotated_iou_rejects_bad_shapes_naming_the_argument(fmt, shape, message):
    with pytest.raises(ValueError, match=message):
        vops.box_iou(torch.ones(shape), torch.ones(2, 5 if fmt != "xyxyxyxy" else 8), fmt=fmt)


# --- the op ---------------------------------------------------------------------------------


def test_box_iou_rotated_op_passes_opcheck():
    torch.library.opcheck(
        torch.ops.vops.box_iou_rotated.default,
        (random_rotated(5, seed=9), random_rotated(4, seed=10)),
    )


def test_rotated_iou_compiles_with_fullgraph():
    boxes1, boxes2 = random_rotated(5, seed=11), random_rotated(6, seed=12)
    compiled = torch.compile(lambda a, b: vops.box_iou(a, b, fmt="cxcywhr"), fullgraph=True)
    torch.testing.assert_close(
        compiled(boxes1, boxes2), vops.box_iou(boxes1, boxes2, fmt="cxcywhr")
    )
