"""Rotated boxes in vdata.transforms.v2 (XYWHR, CXCYWHR, XYXYXYXY): conversions against hand-
computed corners, and every geometry kernel against the same motion applied to the corners as
points."""

import math

import pytest
import torch

from vdata import tv_tensors as tvt
from vdata.transforms import v2
from vdata.transforms.v2 import _boxes
from vdata.transforms.v2 import _rotated_boxes as R
from vdata.transforms.v2 import functional as F

Format = tvt.BoundingBoxFormat
ROTATED = [Format.XYWHR, Format.CXCYWHR, Format.XYXYXYXY]
CANVAS = (40, 50)  # height, width


def _cxcywhr(n: int = 64, seed: int = 0, inside: bool = True) -> torch.Tensor:
    """Random boxes ``Tensor[n, 5]`` (float64) of sides 1 to 9 and angles in (-180, 180); with
    ``inside``, centred far enough from the edges to lie wholly in ``CANVAS``, by 3 at least."""
    g = torch.Generator().manual_seed(seed)
    sides = torch.rand(n, 2, generator=g, dtype=torch.float64) * 8 + 1
    margin = 10.0 if inside else -10.0  # a box reaches 6.4 from its centre
    span = torch.tensor([CANVAS[1], CANVAS[0]], dtype=torch.float64) - 2 * margin
    centres = margin + torch.rand(n, 2, generator=g, dtype=torch.float64) * span
    angles = torch.rand(n, 1, generator=g, dtype=torch.float64) * 358 - 179
    return torch.cat([centres, sides, angles], dim=1)


def _boxes_in(format: Format, **kwargs) -> torch.Tensor:
    return _boxes.convert_format(_cxcywhr(**kwargs), Format.CXCYWHR, format)


def _corners(boxes: torch.Tensor, format: Format) -> torch.Tensor:
    return _boxes.convert_format(boxes, format, Format.XYXYXYXY).reshape(-1, 4, 2)


def assert_same_rectangles(actual: torch.Tensor, expected: torch.Tensor, atol=1e-9) -> None:
    """The same four corners ``Tensor[N, 4, 2]`` per box, in any order."""
    distances = torch.cdist(actual, expected)
    assert distances.amin(dim=2).max() <= atol and distances.amin(dim=1).max() <= atol


# --- conversions -------------------------------------------------------------------------------


def test_a_box_turned_90_degrees_has_known_corners():
    # 4 wide, 2 high, turned a quarter counter-clockwise about its first corner (10, 20): its
    # width side now points up the image (y decreasing), its height side to the right.
    xywhr = torch.tensor([[10.0, 20.0, 4.0, 2.0, 90.0]], dtype=torch.float64)
    corners = _boxes.convert_format(xywhr, Format.XYWHR, Format.XYXYXYXY)
    expected = torch.tensor([[10.0, 20.0, 10.0, 16.0, 12.0, 16.0, 12.0, 20.0]], dtype=torch.float64)
    torch.testing.assert_close(corners, expected, rtol=0, atol=1e-12)
    centre = _boxes.convert_format(xywhr, Format.XYWHR, Format.CXCYWHR)
    torch.testing.assert_close(centre, torch.tensor([[11.0, 18.0, 4.0, 2.0, 90.0]]).double())


def test_an_unturned_box_has_the_corners_of_its_axis_aligned_twin():
    xyxy = torch.tensor([[3.0, 4.0, 13.0, 10.0]])
    corners = _boxes.to_corners(xyxy, Format.XYXY)
    assert corners.tolist() == [[3.0, 4.0, 13.0, 4.0, 13.0, 10.0, 3.0, 10.0]]
    xywhr = torch.tensor([[3.0, 4.0, 10.0, 6.0, 0.0]])
    assert torch.equal(_boxes.convert_format(xywhr, Format.XYWHR, Format.XYXYXYXY), corners)
    cxcywhr = _boxes.convert_format(xywhr, Format.XYWHR, Format.CXCYWHR)
    assert cxcywhr.tolist() == [[8.0, 7.0, 10.0, 6.0, 0.0]]


@pytest.mark.parametrize("start", ROTATED, ids=lambda f: f.name)
@pytest.mark.parametrize("through", ROTATED, ids=lambda f: f.name)
def test_conversions_round_trip(start, through):
    boxes = _boxes_in(start)
    back = _boxes.convert_format(_boxes.convert_format(boxes, start, through), through, start)
    torch.testing.assert_close(back, boxes, rtol=0, atol=1e-9)


def test_the_angle_of_corners_is_that_of_their_first_side():
    # Corners of a 5 x 3 box at 30 degrees, written from the definition.
    cos, sin = math.cos(math.pi / 6), math.sin(math.pi / 6)
    x2, y2 = 1 + 5 * cos, 2 - 5 * sin
    corners = torch.tensor(
        [[1, 2, x2, y2, x2 + 3 * sin, y2 + 3 * cos, 1 + 3 * sin, 2 + 3 * cos]], dtype=torch.float64
    )
    xywhr = _boxes.convert_format(corners, Format.XYXYXYXY, Format.XYWHR)
    torch.testing.assert_close(xywhr, torch.tensor([[1.0, 2.0, 5.0, 3.0, 30.0]]).double())


def test_only_corners_to_xywhr_takes_integers_and_truncates():
    corners = torch.tensor([[10, 20, 15, 17, 12, 25, 7, 28]])
    # w = sqrt(34) = 5.83, h = sqrt(73) = 8.54, r = atan2(3, 5) = 30.96 degrees.
    assert _boxes.convert_format(corners, Format.XYXYXYXY, Format.XYWHR).tolist() == [
        [10, 20, 5, 8, 30]
    ]
    with pytest.raises(RuntimeError, match="needs a floating point tensor"):
        _boxes.convert_format(corners, Format.XYXYXYXY, Format.CXCYWHR)
    with pytest.raises(RuntimeError, match="needs a floating point tensor"):
        _boxes.convert_format(torch.tensor([[1, 2, 3, 4, 5]]), Format.XYWHR, Format.CXCYWHR)


def test_rotated_and_axis_aligned_formats_do_not_convert_into_each_other():
    with pytest.raises(ValueError, match="between rotated and unrotated"):
        _boxes.convert_format(torch.zeros(1, 5), Format.XYWHR, Format.XYXY)


def test_corner_helpers_round_trip_every_format():
    for format in ROTATED:
        boxes = _boxes_in(format)
        corners = _boxes.to_corners(boxes, format)
        assert corners.shape == (64, 8)
        torch.testing.assert_close(_boxes.from_corners(corners, format), boxes, rtol=0, atol=1e-9)
    xywh = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    assert torch.equal(_boxes.from_corners(_boxes.to_corners(xywh, Format.XYWH), Format.XYWH), xywh)


def test_moved_corners_make_the_smallest_axis_aligned_box_around_them():
    diamond = torch.tensor([[5.0, 0.0, 10.0, 5.0, 5.0, 10.0, 0.0, 5.0]])
    assert _boxes.from_corners(diamond, Format.XYXY).tolist() == [[0.0, 0.0, 10.0, 10.0]]
    assert _boxes.from_corners(diamond, Format.CXCYWH).tolist() == [[5.0, 5.0, 10.0, 10.0]]


def test_a_sheared_parallelogram_becomes_the_rectangle_around_it_along_its_long_side():
    # A 6 x 2 rectangle sheared along x: corners (0, 0), (6, 0), (7, 2), (1, 2). Along its
    # long side it spans x = 0 to 7, so the rectangle around it is (0, 0) to (7, 2).
    sheared = torch.tensor([[0.0, 0.0, 6.0, 0.0, 7.0, 2.0, 1.0, 2.0]], dtype=torch.float64)
    rectangle = R.rectangle_from_parallelogram(sheared)
    expected = torch.tensor([[0.0, 0.0, 7.0, 0.0, 7.0, 2.0, 0.0, 2.0]], dtype=torch.float64)
    torch.testing.assert_close(rectangle, expected, rtol=0, atol=1e-9)


def test_a_rectangle_is_its_own_nearest_rectangle():
    corners = _boxes_in(Format.XYXYXYXY)
    torch.testing.assert_close(R.rectangle_from_parallelogram(corners), corners, rtol=0, atol=1e-9)


# --- the geometry kernels against their motion of the corners ------------------------------------


@pytest.mark.parametrize("format", ROTATED, ids=lambda f: f.name)
@pytest.mark.parametrize("flip", [_boxes.hflip, _boxes.vflip], ids=["hflip", "vflip"])
def test_flipping_twice_gives_the_boxes_back(format, flip):
    boxes = _boxes_in(format)
    twice = flip(flip(boxes, format, CANVAS), format, CANVAS)
    if format != Format.XYXYXYXY:  # the angle comes back up to whole turns
        twice[:, 4] = (twice[:, 4] - boxes[:, 4] + 180) % 360 - 180 + boxes[:, 4]
    torch.testing.assert_close(twice, boxes, rtol=0, atol=1e-9)


@pytest.mark.parametrize("format", ROTATED, ids=lambda f: f.name)
def test_flips_mirror_the_corners(format):
    boxes = _boxes_in(format)
    height, width = CANVAS
    mirrored_x = _corners(boxes, format) * torch.tensor([-1.0, 1.0]).double()
    mirrored_x += torch.tensor([width, 0.0]).double()
    assert_same_rectangles(_corners(_boxes.hflip(boxes, format, CANVAS), format), mirrored_x)
    mirrored_y = _corners(boxes, format) * torch.tensor([1.0, -1.0]).double()
    mirrored_y += torch.tensor([0.0, height]).double()
    assert_same_rectangles(_corners(_boxes.vflip(boxes, format, CANVAS), format), mirrored_y)


def test_a_flip_keeps_the_corners_clockwise_and_negates_the_angle():
    xyxyxyxy = torch.tensor([[10.0, 20.0, 10.0, 16.0, 12.0, 16.0, 12.0, 20.0]])
    flipped = _boxes.hflip(xyxyxyxy, Format.XYXYXYXY, CANVAS)
    assert flipped.tolist() == [[40.0, 16.0, 40.0, 20.0, 38.0, 20.0, 38.0, 16.0]]
    cxcywhr = torch.tensor([[11.0, 18.0, 4.0, 2.0, 30.0]])
    assert _boxes.hflip(cxcywhr, Format.CXCYWHR, CANVAS).tolist() == [[39.0, 18.0, 4.0, 2.0, -30.0]]
    assert _boxes.vflip(cxcywhr, Format.CXCYWHR, CANVAS).tolist() == [[11.0, 22.0, 4.0, 2.0, 150.0]]


@pytest.mark.parametrize("format", ROTATED, ids=lambda f: f.name)
@pytest.mark.parametrize("mode", ["soft", "hard", None])
def test_a_uniform_resize_scales_the_corners(format, mode):
    boxes = _boxes_in(format)
    resized = _boxes.resize(boxes, format, CANVAS, (60, 75), mode)
    assert_same_rectangles(_corners(resized, format), _corners(boxes, format) * 1.5, atol=1e-6)


@pytest.mark.parametrize("format", ROTATED, ids=lambda f: f.name)
def test_a_stretch_scales_boxes_along_the_axes_exactly(format):
    # Unturned and quarter-turned boxes stay rectangles under any stretch of the axes.
    cxcywhr = torch.tensor([[20.0, 15.0, 8.0, 4.0, 0.0], [30.0, 20.0, 6.0, 2.0, 90.0]]).double()
    boxes = _boxes.convert_format(cxcywhr, Format.CXCYWHR, format)
    resized = _boxes.resize(boxes, format, CANVAS, (20, 100), "soft")
    stretch = torch.tensor([2.0, 0.5]).double()
    assert_same_rectangles(_corners(resized, format), _corners(boxes, format) * stretch, 1e-6)


@pytest.mark.parametrize("format", ROTATED, ids=lambda f: f.name)
@pytest.mark.parametrize("mode", ["soft", "hard", None])
def test_crop_and_pad_move_the_corners(format, mode):
    boxes = _boxes_in(format)
    corners = _corners(boxes, format)
    cropped = _boxes.crop(boxes, format, 2, 3, (36, 46), mode)  # every box lies in the crop
    offset = torch.tensor([3.0, 2.0]).double()
    assert_same_rectangles(_corners(cropped, format), corners - offset, atol=1e-6)
    padded = _boxes.pad(boxes, format, 3, 2, (45, 54), mode)
    assert_same_rectangles(_corners(padded, format), corners + offset, atol=1e-6)


@pytest.mark.parametrize("format", ROTATED, ids=lambda f: f.name)
def test_boxes_not_clamped_leave_the_canvas_where_the_motion_takes_them(format):
    boxes = _boxes_in(format, inside=False)
    cropped = _boxes.crop(boxes, format, 20, 25, (10, 10), None)
    offset = torch.tensor([25.0, 20.0]).double()
    assert_same_rectangles(_corners(cropped, format), _corners(boxes, format) - offset, 1e-6)


# --- clamping ----------------------------------------------------------------------------------


def _inside(points: torch.Tensor, corners: torch.Tensor, tol: float) -> torch.Tensor:
    """Which ``points`` ``[N, K, 2]`` lie in the rectangle of ``corners`` ``[N, 4, 2]``."""
    origin, side_a, side_b = corners[:, :1], corners[:, 1:2], corners[:, 3:4]
    side_a, side_b, offsets = side_a - origin, side_b - origin, points - origin
    inside = torch.ones(points.shape[:2], dtype=torch.bool)
    for side in (side_a, side_b):
        length = side.norm(dim=-1)
        along = (offsets * side).sum(-1) / length.clamp_min(1e-12)
        inside &= (along >= -tol) & (along <= length + tol)
    return inside


def _points_of(corners: torch.Tensor, seed: int) -> torch.Tensor:
    weights = torch.rand(corners.shape[0], 100, 2, generator=torch.Generator().manual_seed(seed))
    origin = corners[:, :1]
    return (
        origin
        + weights[..., :1].double() * (corners[:, 1:2] - origin)
        + weights[..., 1:].double() * (corners[:, 3:4] - origin)
    )


def _angles_kept(clamped: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    turn = (clamped[:, 4] - boxes[:, 4]) % 180
    return torch.minimum(turn, 180 - turn)


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_clamping_keeps_the_angle_and_stays_within_the_box(mode):
    boxes = _cxcywhr(400, seed=1, inside=False)
    clamped = _boxes.clamp(boxes, Format.CXCYWHR, CANVAS, mode)
    kept = (clamped[:, 2:4] > 0).all(dim=1)
    assert 0 < kept.sum() < len(boxes)
    assert _angles_kept(clamped[kept], boxes[kept]).max() < 1e-6
    clamped_corners = _corners(clamped[kept], Format.CXCYWHR)
    box_corners = _corners(boxes[kept], Format.CXCYWHR)
    assert _inside(_points_of(clamped_corners, 2), box_corners, 1e-6).all()


def test_hard_clamping_keeps_every_corner_in_the_canvas():
    boxes = _cxcywhr(400, seed=3, inside=False)
    corners = _corners(_boxes.clamp(boxes, Format.CXCYWHR, CANVAS, "hard"), Format.CXCYWHR)
    height, width = CANVAS
    assert corners.min() >= -1e-6
    assert corners[..., 0].max() <= width + 1e-6 and corners[..., 1].max() <= height + 1e-6


def test_soft_clamping_keeps_all_of_a_box_that_is_in_the_canvas():
    boxes = _cxcywhr(400, seed=4, inside=False)
    clamped = _corners(_boxes.clamp(boxes, Format.CXCYWHR, CANVAS, "soft"), Format.CXCYWHR)
    points = _points_of(_corners(boxes, Format.CXCYWHR), 5)
    height, width = CANVAS
    x, y = points[..., 0], points[..., 1]
    in_canvas = (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
    kept = (clamped != 0).any(dim=(1, 2))
    assert (_inside(points, clamped, 1e-6) | ~in_canvas)[kept].all()


def test_clamping_leaves_boxes_inside_and_shrinks_boxes_outside_to_nothing():
    boxes = torch.tensor([[25.0, 20.0, 8.0, 4.0, 30.0], [-30.0, 20.0, 8.0, 4.0, 30.0]]).double()
    for mode in ("soft", "hard"):
        clamped = _boxes.clamp(boxes, Format.CXCYWHR, CANVAS, mode)
        torch.testing.assert_close(clamped[0], boxes[0], rtol=0, atol=1e-9)
        assert clamped[1, 2:4].tolist() == [0.0, 0.0]  # no width, no height
    assert torch.equal(_boxes.clamp(boxes, Format.CXCYWHR, CANVAS, None), boxes)


def test_an_unturned_box_clamps_as_its_axis_aligned_twin():
    xyxy = torch.tensor([[-5.0, 10.0, 20.0, 50.0]]).double()  # out on the left and the bottom
    corners = _boxes.to_corners(xyxy, Format.XYXY)
    for mode in ("soft", "hard"):
        clamped = _boxes.clamp(corners, Format.XYXYXYXY, CANVAS, mode).reshape(1, 4, 2)
        expected = _boxes.to_corners(_boxes.clamp(xyxy, Format.XYXY, CANVAS, mode), Format.XYXY)
        assert_same_rectangles(clamped, expected.reshape(1, 4, 2))


# --- sanitizing --------------------------------------------------------------------------------


def test_sanitize_keeps_boxes_inside_and_drops_those_outside_or_small():
    cxcywhr = torch.tensor(
        [[25.0, 20.0, 8.0, 4.0, 30.0], [48.0, 20.0, 8.0, 4.0, 30.0], [25.0, 20.0, 0.5, 4.0, 30.0]]
    )
    boxes = tvt.BoundingBoxes(cxcywhr, format="CXCYWHR", canvas_size=CANVAS)
    kept, valid = F.sanitize_bounding_boxes(boxes)
    assert valid.tolist() == [True, False, False]
    assert isinstance(kept, tvt.BoundingBoxes) and kept.format == Format.CXCYWHR


def test_sanitize_measures_the_height_as_torchvision_does():
    # torchvision 0.29 takes the length of (y2 - y3, x3 - x4) for the height:
    # |cos r| * sqrt(w**2 + h**2). At 0 degrees a 4 x 0.5 box measures 4.03 high and passes
    # min_size=1; at 90 degrees any box measures 0 high and is dropped.
    cxcywhr = torch.tensor([[25.0, 20.0, 4.0, 0.5, 0.0], [25.0, 20.0, 8.0, 8.0, 90.0]])
    _, valid = F.sanitize_bounding_boxes(cxcywhr, format="CXCYWHR", canvas_size=CANVAS)
    assert valid.tolist() == [True, False]


# --- the typed functionals and transforms --------------------------------------------------------


def _sample():
    boxes = tvt.BoundingBoxes(
        [[10.0, 20.0, 8.0, 4.0, 30.0], [45.0, 5.0, 12.0, 6.0, -60.0]],
        format="CXCYWHR",
        canvas_size=CANVAS,
    )
    image = tvt.Image(torch.zeros(3, *CANVAS, dtype=torch.uint8))
    return {"image": image, "boxes": boxes, "labels": torch.tensor([1, 2])}


@pytest.mark.parametrize(
    "transform",
    [
        v2.RandomHorizontalFlip(p=1.0),
        v2.RandomVerticalFlip(p=1.0),
        v2.Resize((20, 30)),
        v2.CenterCrop(30),
        v2.Pad([1, 2, 3, 4]),
        v2.RandomResizedCrop(24),
        v2.RandomZoomOut(p=1.0),
        v2.ClampBoundingBoxes("hard"),
        v2.ConvertBoundingBoxFormat("XYXYXYXY"),
        v2.SanitizeBoundingBoxes(),
    ],
    ids=lambda t: type(t).__name__,
)
def test_transforms_keep_rotated_boxes_typed_on_the_image_canvas(transform):
    out = transform(_sample())
    assert isinstance(out["boxes"], tvt.BoundingBoxes)
    assert out["boxes"].canvas_size == tuple(out["image"].shape[-2:])
    assert out["boxes"].shape[-1] == (8 if out["boxes"].format == Format.XYXYXYXY else 5)
    assert out["boxes"].dtype == torch.float32


def test_sanitize_transform_drops_the_labels_of_dropped_rotated_boxes():
    sample = _sample()  # the second box sticks out of the canvas's top right corner
    out = v2.SanitizeBoundingBoxes()(sample)
    assert out["labels"].tolist() == [1] and out["boxes"].shape == (1, 5)


def test_random_iou_crop_refuses_rotated_boxes_as_torchvision_does():
    with pytest.raises(ValueError, match="Cannot convert between rotated and unrotated"):
        v2.RandomIoUCrop(sampler_options=[0.5])(_sample())
