"""Box formats in vops: box_convert between all of them, box_area and the axis-aligned box_iou in
every format and dtype, against hand-computed boxes and per-box Python references."""

import itertools
import math

import pytest
import torch
from torch import Tensor

import vops

AXIS_ALIGNED = ["xyxy", "xywh", "cxcywh"]
ROTATED = ["xywhr", "cxcywhr", "xyxyxyxy"]
INTEGER_DTYPES = [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]

# One box in each format: [1, 2] to [5, 8], and a 4 x 2 box centred at (10, 20) turned 90 degrees
# counter-clockwise on the image, so that its top edge runs up the image from (9, 22) to (9, 18).
HAND_BOX = {
    "xyxy": [1.0, 2.0, 5.0, 8.0],
    "xywh": [1.0, 2.0, 4.0, 6.0],
    "cxcywh": [3.0, 5.0, 4.0, 6.0],
    "cxcywhr": [10.0, 20.0, 4.0, 2.0, 90.0],
    "xywhr": [9.0, 22.0, 4.0, 2.0, 90.0],
    "xyxyxyxy": [9.0, 22.0, 9.0, 18.0, 11.0, 18.0, 11.0, 22.0],
}


def family(fmt: str) -> list[str]:
    return AXIS_ALIGNED if fmt in AXIS_ALIGNED else ROTATED


SAME_FAMILY_PAIRS = list(itertools.product(AXIS_ALIGNED, AXIS_ALIGNED)) + list(
    itertools.product(ROTATED, ROTATED)
)


def random_cxcywhr(n: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.cat(
        [
            torch.rand(n, 2, generator=g, dtype=torch.float64) * 100,
            torch.rand(n, 2, generator=g, dtype=torch.float64) * 30 + 1,
            torch.rand(n, 1, generator=g, dtype=torch.float64) * 360 - 180,
        ],
        dim=1,
    )


def random_xyxy(n: int, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=g, dtype=torch.float64) * 60
    sides = 1 + torch.rand(n, 2, generator=g, dtype=torch.float64) * 30
    return torch.cat([corner, corner + sides], dim=1)


def random_boxes(fmt: str, n: int, seed: int) -> Tensor:
    if fmt in AXIS_ALIGNED:
        return vops.box_convert(random_xyxy(n, seed), "xyxy", fmt)
    return vops.box_convert(random_cxcywhr(n, seed), "cxcywhr", fmt)


# --- box_convert ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("in_fmt", "out_fmt"), SAME_FAMILY_PAIRS)
def test_box_convert_hand_boxes(in_fmt, out_fmt):
    converted = vops.box_convert(
        torch.tensor([HAND_BOX[in_fmt]], dtype=torch.float64), in_fmt, out_fmt
    )
    torch.testing.assert_close(converted, torch.tensor([HAND_BOX[out_fmt]], dtype=torch.float64))


def test_xyxyxyxy_corners_are_the_rotated_rectangle():
    # Per-corner reference: centre + R (+-w/2, +-h/2), with y pointing down the image.
    boxes = random_cxcywhr(10, seed=1)
    corners = vops.box_convert(boxes, "cxcywhr", "xyxyxyxy").reshape(10, 4, 2)
    for box, got in zip(boxes.tolist(), corners.tolist(), strict=True):
        cx, cy, w, h, r = box
        c, s = math.cos(math.radians(r)), math.sin(math.radians(r))
        expected = [
            (cx + u * c + v * s, cy - u * s + v * c)
            for u, v in [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        ]
        torch.testing.assert_close(
            torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)
        )


@pytest.mark.parametrize(("in_fmt", "out_fmt"), SAME_FAMILY_PAIRS)
def test_box_convert_round_trip_restores_boxes(in_fmt, out_fmt):
    boxes = random_boxes(in_fmt, 24, seed=2).reshape(2, 3, 4, -1)
    there = vops.box_convert(boxes, in_fmt, out_fmt)
    assert there.shape[:3] == (2, 3, 4)
    torch.testing.assert_close(vops.box_convert(there, out_fmt, in_fmt), boxes)


@pytest.mark.parametrize("fmt", AXIS_ALIGNED + ROTATED)
def test_box_convert_to_the_same_format_returns_an_equal_copy(fmt):
    boxes = random_boxes(fmt, 5, seed=3)
    converted = vops.box_convert(boxes, fmt, fmt)
    assert torch.equal(converted, boxes) and converted.data_ptr() != boxes.data_ptr()


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize(
    ("in_fmt", "out_fmt", "float_result"),
    [
        ("xyxy", "xywh", False),
        ("xywh", "xyxy", False),
        ("xyxy", "cxcywh", True),
        ("cxcywh", "xyxy", True),
        ("xywh", "cxcywh", True),
        ("cxcywh", "xywh", True),
    ],
)
def test_axis_aligned_integer_boxes_stay_integers_unless_sides_are_halved(
    in_fmt, out_fmt, float_result, dtype
):
    boxes = torch.tensor([HAND_BOX[in_fmt]]).to(dtype)
    converted = vops.box_convert(boxes, in_fmt, out_fmt)
    assert converted.dtype == (torch.float32 if float_result else dtype)
    assert converted.tolist() == [HAND_BOX[out_fmt]]


@pytest.mark.parametrize("dtype", [torch.int16, torch.int32, torch.int64])
@pytest.mark.parametrize(("in_fmt", "out_fmt"), list(itertools.permutations(ROTATED, 2)))
def test_rotated_integer_boxes_are_rounded_to_their_dtype(in_fmt, out_fmt, dtype):
    boxes = random_boxes(in_fmt, 12, seed=4).round()
    converted = vops.box_convert(boxes.to(dtype), in_fmt, out_fmt)
    assert converted.dtype == dtype
    # Each step through xywhr rounds once: within one unit per step of the float conversion.
    steps = 2 if "xywhr" not in (in_fmt, out_fmt) else 1
    exact = vops.box_convert(boxes, in_fmt, out_fmt)
    assert (converted.double() - exact).abs().max() <= steps + 1e-6


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int32, torch.uint8])
@pytest.mark.parametrize(("in_fmt", "out_fmt"), SAME_FAMILY_PAIRS)
def test_box_convert_of_no_boxes_is_empty(in_fmt, out_fmt, dtype):
    k = len(HAND_BOX[in_fmt])
    converted = vops.box_convert(torch.zeros(0, k, dtype=dtype), in_fmt, out_fmt)
    assert converted.shape == (0, len(HAND_BOX[out_fmt]))


@pytest.mark.parametrize(
    ("in_fmt", "out_fmt", "name"),
    [("xyxy", "xyhw", "out_fmt"), ("XYXY", "xywh", "in_fmt"), ("cxcywha", "xywhr", "in_fmt")],
)
def test_box_convert_rejects_unknown_format_naming_the_argument(in_fmt, out_fmt, name):
    with pytest.raises(ValueError, match=rf"^{name} must be one of \[.*'xyxyxyxy'\], got"):
        vops.box_convert(torch.zeros(1, 4), in_fmt, out_fmt)


@pytest.mark.parametrize(("in_fmt", "out_fmt"), [("xyxy", "xywhr"), ("cxcywhr", "cxcywh")])
def test_box_convert_between_families_is_not_implemented(in_fmt, out_fmt):
    boxes = torch.zeros(1, len(HAND_BOX[in_fmt]))
    with pytest.raises(NotImplementedError, match="within the axis-aligned formats"):
        vops.box_convert(boxes, in_fmt, out_fmt)


@pytest.mark.parametrize(
    ("fmt", "shape"), [("xyxy", (2, 5)), ("xywhr", (2, 4)), ("xyxyxyxy", (2, 5)), ("xyxy", ())]
)
def test_box_convert_rejects_boxes_of_another_length(fmt, shape):
    k = len(HAND_BOX[fmt])
    with pytest.raises(ValueError, match=rf"^boxes must be a Tensor\[\.\.\., {k}\] for fmt"):
        vops.box_convert(torch.zeros(shape), fmt, family(fmt)[1 if fmt == family(fmt)[0] else 0])


# --- box_area ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_box_area_by_hand_in_each_format(fmt):
    boxes = torch.tensor([HAND_BOX[fmt], HAND_BOX[fmt]]).reshape(2, 1, 4)
    assert vops.box_area(boxes, fmt=fmt).tolist() == [[24.0], [24.0]]


@pytest.mark.parametrize(
    ("dtype", "area_dtype"),
    [
        (torch.uint8, torch.int32),
        (torch.int8, torch.int32),
        (torch.int16, torch.int32),
        (torch.int32, torch.int32),
        (torch.int64, torch.int64),
        (torch.float16, torch.float32),
        (torch.bfloat16, torch.float32),
        (torch.float64, torch.float64),
    ],
)
def test_box_area_upcasts_narrow_dtypes(dtype, area_dtype):
    # 200 x 220 overflows 8 and 16 bits.
    corners = [0, 0, 200, 220] if dtype == torch.uint8 else [-100, -100, 100, 120]
    area = vops.box_area(torch.tensor([corners]).to(dtype))
    assert area.dtype == area_dtype and area.item() == 44000


@pytest.mark.parametrize("fmt", ["xywhr", "cxcywhr", "xyxyxyxy", "XYXY"])
def test_box_area_rejects_other_formats(fmt):
    with pytest.raises(ValueError, match=r"^fmt must be one of \['xyxy', 'xywh', 'cxcywh'\]"):
        vops.box_area(torch.zeros(1, 4), fmt=fmt)


# --- axis-aligned box_iou ------------------------------------------------------------------------


def reference_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Per pair, in Python floats, from xyxy corners."""
    rows = []
    for a in boxes1.tolist():
        row = []
        for b in boxes2.tolist():
            w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
            union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
            row.append(w * h / union)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64).reshape(len(boxes1), len(boxes2))


@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
@pytest.mark.parametrize(
    ("dtype", "iou_dtype"),
    [
        (torch.float32, torch.float32),
        (torch.float64, torch.float64),
        (torch.float16, torch.float32),
        (torch.bfloat16, torch.float32),
        (torch.int64, torch.float32),
        (torch.int32, torch.float32),
        (torch.int16, torch.float32),
        (torch.uint8, torch.float32),
    ],
)
def test_box_iou_matches_per_pair_loop_in_each_format_and_dtype(fmt, dtype, iou_dtype):
    # Even integers, so that cxcywh's half sides are exact.
    xyxy1, xyxy2 = random_xyxy(17, seed=5).round() * 2, random_xyxy(11, seed=6).round() * 2
    boxes1 = vops.box_convert(xyxy1, "xyxy", fmt).to(dtype)
    boxes2 = vops.box_convert(xyxy2, "xyxy", fmt).to(dtype)
    result = vops.box_iou(boxes1, boxes2, fmt=fmt)
    assert result.shape == (17, 11) and result.dtype == iou_dtype
    expected = reference_iou(xyxy1, xyxy2)
    tolerance = 1e-2 if dtype in (torch.float16, torch.bfloat16) else 1e-6
    torch.testing.assert_close(result.double(), expected, atol=tolerance, rtol=0)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int8])
def test_box_iou_of_disjoint_narrow_integer_boxes_is_zero(dtype):
    # Their corner differences would wrap around without the upcast.
    boxes1, boxes2 = torch.tensor([[0, 0, 10, 10]], dtype=dtype), torch.tensor([[50, 50, 60, 60]])
    assert vops.box_iou(boxes1, boxes2.to(dtype)).item() == 0.0


@pytest.mark.parametrize(("n", "m"), [(0, 3), (4, 0), (0, 0)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.float16])
def test_box_iou_of_no_boxes_is_empty(n, m, dtype):
    result = vops.box_iou(torch.zeros(n, 4, dtype=dtype), torch.zeros(m, 4, dtype=dtype))
    assert result.shape == (n, m)
    assert result.dtype == (torch.float32 if dtype != torch.float64 else dtype)


def test_box_iou_broadcasts_leading_batch_dimensions():
    boxes1 = random_xyxy(2 * 5, seed=7).reshape(2, 1, 5, 4)
    boxes2 = random_xyxy(3 * 4, seed=8).reshape(3, 4, 4)
    result = vops.box_iou(boxes1, boxes2)
    assert result.shape == (2, 3, 5, 4)
    for i, j in itertools.product(range(2), range(3)):
        torch.testing.assert_close(result[i, j], reference_iou(boxes1[i, 0], boxes2[j]))


def test_box_iou_of_nan_boxes_is_nan():
    boxes = torch.tensor([[0.0, 0.0, float("nan"), 2.0], [0.0, 0.0, 2.0, 2.0]])
    iou = vops.box_iou(boxes, boxes)
    assert iou[0].isnan().all() and iou[:, 0].isnan().all() and iou[1, 1] == 1


def test_box_iou_does_not_depend_on_the_thread_count():
    boxes1, boxes2 = random_xyxy(300, seed=9).float(), random_xyxy(200, seed=10).float()
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        serial = vops.box_iou(boxes1, boxes2)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(vops.box_iou(boxes1, boxes2), serial)


@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_box_iou_gradient_flows_in_each_format(fmt):
    # Boxes apart from the kinks of min/max/clamp, so finite differences are valid.
    boxes1 = vops.box_convert(random_xyxy(4, seed=11), "xyxy", fmt).requires_grad_()
    boxes2 = vops.box_convert(random_xyxy(3, seed=12), "xyxy", fmt).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: vops.box_iou(a, b, fmt=fmt), (boxes1, boxes2))


def test_box_iou_rejects_unknown_format():
    with pytest.raises(ValueError, match=r"^fmt must be one of \['xyxy', .*'xyxyxyxy'\], got 'xy'"):
        vops.box_iou(torch.zeros(1, 4), torch.zeros(1, 4), fmt="xy")


# --- the op, TorchScript and torch.compile ------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.int32])
@pytest.mark.parametrize("fmt", AXIS_ALIGNED)
def test_box_iou_op_passes_opcheck(fmt, dtype):
    boxes1 = vops.box_convert(random_xyxy(5, seed=13), "xyxy", fmt).round().to(dtype)
    boxes2 = vops.box_convert(random_xyxy(4, seed=14), "xyxy", fmt).round().to(dtype)
    torch.library.opcheck(torch.ops.vops.box_iou.default, (boxes1, boxes2, fmt))


def test_box_ops_script_with_torchscript():
    with pytest.warns(FutureWarning, match="torch.jit.script"):
        area, iou, convert = (
            torch.jit.script(f) for f in (vops.box_area, vops.box_iou, vops.box_convert)
        )
    boxes = random_xyxy(6, seed=15)
    rotated = random_cxcywhr(4, seed=16)
    assert torch.equal(area(boxes, "xyxy"), vops.box_area(boxes))
    assert torch.equal(iou(boxes, boxes[:2], "xyxy"), vops.box_iou(boxes, boxes[:2]))
    assert torch.equal(
        iou(rotated, rotated, "cxcywhr"), vops.box_iou(rotated, rotated, fmt="cxcywhr")
    )
    assert torch.equal(
        convert(rotated, "cxcywhr", "xyxyxyxy"), vops.box_convert(rotated, "cxcywhr", "xyxyxyxy")
    )


def test_box_ops_compile_with_fullgraph():
    def geometry(boxes1: Tensor, boxes2: Tensor) -> Tensor:
        xywh = vops.box_convert(boxes1, "xyxy", "xywh")
        return vops.box_iou(xywh, boxes2, fmt="xywh") * vops.box_area(boxes1)[:, None]

    boxes1, boxes2 = random_xyxy(7, seed=17), random_xyxy(5, seed=18)
    expected = reference_iou(boxes1, boxes2) * vops.box_area(boxes1)[:, None]
    compiled = torch.compile(geometry, fullgraph=True)
    torch.testing.assert_close(compiled(boxes1, vops.box_convert(boxes2, "xyxy", "xywh")), expected)
