"""The warps of vdata.transforms.v2 (affine, rotate, perspective, elastic, RandomAffine,
RandomRotation, RandomPerspective, ElasticTransform): boxes drawn into masks and bright pixels
at key points move with the image, hand-computed cases, expanded canvases, fills, a seed that
fixes the draws, and arguments checked with errors that name them; rotated boxes against their
centres and corners moved as points, with their angles turned by hand; the per-kind kernels.

Key points are positions on the canvas like box corners: the centre of pixel ``(i, j)`` is
``(j + 0.5, i + 0.5)``; the elastic warp alone takes them at whole pixels (torchvision's)."""

import inspect
import math

import PIL.Image
import pytest
import torch

from vdata import tv_tensors
from vdata.transforms import v2
from vdata.transforms.v2 import functional as F

H, W = 16, 20
BOX = [4.0, 3.0, 9.0, 7.0]  # x1, y1, x2, y2: inside the canvas, off its centre
START = [[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]]


pytestmark = pytest.mark.usefixtures("one_thread")


def _box_sample(box=BOX):
    mask = torch.zeros(1, H, W, dtype=torch.uint8)
    x1, y1, x2, y2 = (int(v) for v in box)
    mask[:, y1:y2, x1:x2] = 1
    boxes = tv_tensors.BoundingBoxes([box], format="XYXY", canvas_size=(H, W))
    return {"masks": tv_tensors.Mask(mask), "boxes": boxes}


def _mask_box(mask):
    rows, cols = torch.nonzero(mask.as_subclass(torch.Tensor)[0], as_tuple=True)
    return torch.tensor([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]).float()


def _plain(x):
    return x.as_subclass(torch.Tensor)


def _each(functional, sample: dict) -> dict:
    return {key: functional(value) for key, value in sample.items()}


def _shift_field(dx_pixels: float, dy_pixels: float) -> torch.Tensor:
    """A constant displacement sampling ``(dx, dy)`` pixels away: the image moves by minus it."""
    field = torch.zeros(1, H, W, 2)
    field[..., 0], field[..., 1] = dx_pixels * 2 / W, dy_pixels * 2 / H
    return field


# Warps that keep axis-aligned rectangles axis-aligned: the mask's box is the moved box.
AXIS_PRESERVING = {
    "rotate_90_expand": lambda x: F.rotate(x, 90.0, expand=True),
    "rotate_270_expand": lambda x: F.rotate(x, -90.0, expand=True),
    "rotate_180": lambda x: F.rotate(x, 180.0),
    "affine_translate": lambda x: F.affine(x, 0.0, [3, -2], 1.0, 0.0),
    "affine_scale_up": lambda x: F.affine(x, 0.0, [0, 0], 1.6, 0.0),
    "affine_scale_down_about_a_point": lambda x: F.affine(x, 0.0, [1, 1], 0.5, 0.0, center=[2, 3]),
    "affine_quarter_turn": lambda x: F.affine(x, 90.0, [0, 0], 1.0, 0.0),
    "perspective_shift": lambda x: F.perspective(x, START, [[u + 2, v + 1] for u, v in START]),
    "elastic_shift": lambda x: F.elastic(x, _shift_field(-2.0, 1.0)),
}
EXACT = {"rotate_90_expand", "rotate_270_expand", "rotate_180", "affine_translate"}


@pytest.mark.parametrize("name", AXIS_PRESERVING)
def test_a_box_drawn_into_a_mask_moves_with_it(name):
    out = _each(AXIS_PRESERVING[name], _box_sample())
    assert tuple(out["boxes"].canvas_size) == tuple(out["masks"].shape[-2:])
    atol = 0.0 if name in EXACT else 1.0  # nearest neighbours take a pixel centre's side
    mine = _plain(out["boxes"])[0]
    torch.testing.assert_close(mine, _mask_box(out["masks"]), rtol=0, atol=atol)


GENERAL = {
    "rotate": lambda x: F.rotate(x, 30.0),
    "rotate_expand": lambda x: F.rotate(x, -50.0, expand=True),
    "rotate_about_a_point": lambda x: F.rotate(x, 70.0, center=[6, 5]),
    "affine": lambda x: F.affine(x, 20.0, [1, -1], 0.9, [10.0, 5.0]),
    "perspective": lambda x: F.perspective(x, START, [[2, 1], [17, 0], [19, 14], [1, 13]]),
}


@pytest.mark.parametrize("name", GENERAL)
def test_the_moved_box_encloses_the_moved_mask(name):
    out = _each(GENERAL[name], _box_sample())
    box, inside = _plain(out["boxes"])[0], _mask_box(out["masks"])
    # within a pixel: a mask pixel is in when its centre is
    assert (box[:2] <= inside[:2] + 1).all() and (box[2:] >= inside[2:] - 1).all()
    assert ((box[2:] - box[:2]) * 0.6 < (inside[2:] - inside[:2]) + 2).all()  # and hugs it


POINT_WARPS = {**AXIS_PRESERVING, **GENERAL}


@pytest.mark.parametrize("name", POINT_WARPS)
def test_a_bright_spot_at_a_key_point_lands_on_the_moved_key_point(name):
    row, col = 6, 7  # the key point at the centre of pixel (6, 7), of a 3 x 3 spot
    image = torch.zeros(1, H, W)
    image[0, row - 1 : row + 2, col - 1 : col + 2] = 1.0
    points = tv_tensors.KeyPoints([[col + 0.5, row + 0.5]], canvas_size=(H, W))
    out = _each(POINT_WARPS[name], {"image": tv_tensors.Image(image), "points": points})
    weights = _plain(out["image"])[0]
    rows, cols = torch.meshgrid(
        torch.arange(weights.shape[0]) + 0.5, torch.arange(weights.shape[1]) + 0.5, indexing="ij"
    )
    centroid = torch.stack([(cols * weights).sum(), (rows * weights).sum()]) / weights.sum()
    # the points' expanded canvas is sized by torchvision's other rounding, a pixel apart
    assert (torch.tensor(out["points"].canvas_size) - torch.tensor(weights.shape)).abs().max() <= 1
    torch.testing.assert_close(_plain(out["points"])[0], centroid, rtol=0, atol=1.0)


def test_rotate_by_a_quarter_turn_moves_pixels_boxes_and_points_counter_clockwise():
    image = torch.arange(H * W, dtype=torch.uint8).reshape(1, H, W)
    expected = image.transpose(-2, -1).flip(-2)  # out[i, j] = in[j, W - 1 - i]
    boxes = tv_tensors.BoundingBoxes([[2, 3, 10, 12]], format="XYXY", canvas_size=(H, W))
    points = tv_tensors.KeyPoints([[1.0, 2.0], [10.5, 7.25]], canvas_size=(H, W))
    sample = {"image": tv_tensors.Image(image), "boxes": boxes, "points": points}
    out = _each(lambda x: F.rotate(x, 90, expand=True), sample)
    assert type(out["image"]) is tv_tensors.Image and torch.equal(_plain(out["image"]), expected)
    # (x, y) -> (y, W - x) on the canvas
    assert _plain(out["boxes"]).tolist() == [[3, 10, 12, 18]] and out["boxes"].canvas_size == (W, H)
    assert _plain(out["points"]).tolist() == [[2.0, 19.0], [7.25, 9.5]]
    assert out["points"].canvas_size == (W, H)


def test_rotate_by_a_half_turn_and_back():
    image = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    boxes = tv_tensors.BoundingBoxes([[2, 3, 10, 12]], format="XYWH", canvas_size=(H, W))
    assert torch.equal(F.rotate(image, 180.0), image.flip(-1).flip(-2))
    assert torch.equal(F.rotate(image, -180.0, "bilinear"), image.flip(-1).flip(-2))
    # XYWH (2, 3, 10, 12) spans x 2..12, y 3..15; a half turn maps x -> 20 - x, y -> 16 - y
    assert _plain(F.rotate(boxes, 180.0)).tolist() == [[8, 1, 10, 12]]
    assert torch.equal(F.rotate(F.rotate(image, 90.0, expand=True), -90.0, expand=True), image)


def test_expand_grows_the_canvas_of_images_boxes_and_points():
    sample = {
        "image": tv_tensors.Image(torch.ones(3, H, W)),
        "boxes": tv_tensors.BoundingBoxes(
            [[0.0, 0.0, W, H]], format="XYXY", canvas_size=(H, W), clamping_mode="hard"
        ),
        "points": tv_tensors.KeyPoints([[0.0, 0.0]], canvas_size=(H, W)),
    }
    # corners at (+-10, +-8) from the centre turn to +-12.73 on both axes: x from 10 - 12.73
    # to 10 + 12.73, y from 8 - 12.73 to 8 + 12.73, each rounded outwards: 26 x 26
    out = _each(lambda x: F.rotate(x, 45.0, expand=True), sample)
    assert out["image"].shape == (3, 26, 26)
    # torchvision sizes the boxes' and points' canvas from the map about the absolute centre,
    # where the image's is about the centred one: rounded from other values, here a pixel more
    assert out["boxes"].canvas_size == out["points"].canvas_size == (26, 27)
    # the canvas turned by 45 degrees: (20 + 16) / sqrt(2) wide and high, from the origin
    side = (W + H) / 2**0.5
    assert torch.allclose(_plain(out["boxes"])[0], torch.tensor([0.0, 0.0, side, side]))
    assert torch.allclose(_plain(out["points"])[0], torch.tensor([0.0, W / 2**0.5]))
    assert F.rotate(sample["boxes"], 45.0).canvas_size == (H, W)  # no expand, no growth


def test_affine_translates_by_whole_pixels_and_fills():
    image = torch.arange(1, H * W + 1, dtype=torch.float32).reshape(1, H, W)
    expected = torch.full_like(image, -1.0)
    expected[:, :-2, 3:] = image[:, 2:, :-3]  # right by 3, up by 2
    for interpolation in ("nearest", "bilinear"):
        out = F.affine(image, 0.0, [3, -2], 1.0, 0.0, interpolation, fill=-1.0)
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    pil = PIL.Image.fromarray(image[0].to(torch.uint8).numpy())
    moved = F.affine(pil, 0.0, [3, -2], 1.0, 0.0, fill=0)
    assert isinstance(moved, PIL.Image.Image) and moved.mode == "L"
    assert torch.equal(F.pil_to_tensor(moved)[0], expected[0].clamp(min=0).to(torch.uint8))


def test_affine_scale_about_the_centre_by_hand():
    # Output pixel (r, c) samples the source at index (3.75 + r / 2, 4.75 + c / 2): the centre
    # (10, 8) stays, distances halve, and pixel centres sit 0.5 past their index.
    rows, cols = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    image = (rows * W + cols).float()[None]  # linear: bilinear sampling is exact inside
    out = F.affine(image, 0.0, [0, 0], 2.0, 0.0, "bilinear")
    expected = (3.75 + rows / 2) * W + (4.75 + cols / 2)
    torch.testing.assert_close(out[0], expected.float(), rtol=0, atol=1e-3)
    boxes = tv_tensors.BoundingBoxes([BOX], format="XYXY", canvas_size=(H, W))
    assert _plain(F.affine(boxes, 0.0, [0, 0], 2.0, 0.0)).tolist() == [[0, 0, 8, 6]]  # clamped
    unclamped = tv_tensors.BoundingBoxes(
        [BOX], format="XYXY", canvas_size=(H, W), clamping_mode=None
    )
    assert _plain(F.affine(unclamped, 0.0, [0, 0], 2.0, 0.0)).tolist() == [[-2, -2, 8, 6]]
    points = tv_tensors.KeyPoints([[4.0, 3.0]], canvas_size=(H, W))
    assert _plain(F.affine(points, 0.0, [0, 0], 2.0, 0.0)).tolist() == [[-2.0, -2.0]]  # as is


def test_the_fill_is_blended_as_torchvision_blends_it():
    # Half a pixel to the right: the first column samples half outside the image. None leaves
    # zeros there; any other fill, 0 too, is blended as (sample - fill) * share + fill.
    ones = torch.ones(1, 4, 4)
    first_column = {
        fill: F.affine(ones, 0.0, [0.5, 0.0], 1.0, 0.0, "bilinear", fill)[0, :, 0]
        for fill in (None, 0.0, 1.0)
    }
    assert first_column[None].tolist() == [0.5] * 4
    assert first_column[0.0].tolist() == [0.25] * 4
    assert first_column[1.0].tolist() == [0.75] * 4


def test_perspective_by_hand():
    image = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    boxes = tv_tensors.BoundingBoxes([BOX], format="XYXY", canvas_size=(H, W))
    points = tv_tensors.KeyPoints([[1.0, 2.0]], canvas_size=(H, W))
    assert torch.equal(F.perspective(image, START, START), image)
    assert torch.equal(_plain(F.perspective(boxes, START, START)), _plain(boxes))
    shifted = [[u + 2, v + 1] for u, v in START]
    expected = torch.full_like(image, 7)
    expected[:, 1:, 2:] = image[:, :-1, :-2]
    assert torch.equal(F.perspective(image, START, shifted, "nearest", fill=7), expected)
    torch.testing.assert_close(
        _plain(F.perspective(boxes, START, shifted))[0], torch.tensor([6.0, 4, 11, 8])
    )
    torch.testing.assert_close(
        _plain(F.perspective(points, START, shifted))[0], torch.tensor([3.0, 3.0])
    )


def test_elastic_by_hand():
    image = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    still = torch.zeros(1, H, W, 2)
    for interpolation in ("nearest", "bilinear"):
        assert torch.equal(F.elastic(image, still, interpolation), image)
        expected = torch.full_like(image, 9)
        expected[..., :-2] = image[..., 2:]  # each pixel shows the one two to its right
        assert torch.equal(
            F.elastic_transform(image, _shift_field(2.0, 0.0), interpolation, [9]), expected
        )
    boxes = tv_tensors.BoundingBoxes([[4.0, 3.0, 10.0, 12.0]], format="XYXY", canvas_size=(H, W))
    torch.testing.assert_close(
        _plain(F.elastic(boxes, _shift_field(2.0, 0.0)))[0], torch.tensor([2.0, 3, 8, 12])
    )
    # torchvision takes boxes at their corners rounded up and points rounded down
    odd = tv_tensors.BoundingBoxes([[2.5, 3.2, 10.1, 12.0]], format="XYXY", canvas_size=(H, W))
    torch.testing.assert_close(_plain(F.elastic(odd, still))[0], torch.tensor([3.0, 4, 11, 12]))
    points = tv_tensors.KeyPoints([[3.7, 2.2]], canvas_size=(H, W))
    torch.testing.assert_close(_plain(F.elastic(points, still))[0], torch.tensor([3.0, 2.0]))


def test_masks_are_resampled_with_nearest_neighbours_whatever_the_interpolation():
    mask = torch.zeros(H, W, dtype=torch.uint8)
    mask[4:12, 5:15] = 5
    for out in (
        F.rotate(tv_tensors.Mask(mask), 30.0, "bilinear"),
        F.affine(tv_tensors.Mask(mask), 10.0, [1, 0], 1.3, 4.0, "bilinear"),
        F.perspective(tv_tensors.Mask(mask), START, [[1, 1], [18, 0], [19, 15], [0, 14]]),
        F.elastic(tv_tensors.Mask(mask), torch.rand(1, H, W, 2) * 0.1, "bilinear"),
    ):
        assert type(out) is tv_tensors.Mask and out.shape == (H, W)
        assert set(out.unique().tolist()) == {0, 5}


@pytest.mark.parametrize("kind", ["tensor", "pil", "image", "video"])
def test_types_come_back_as_they_went_in(kind):
    pixels = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    inpt = {
        "tensor": pixels,
        "pil": PIL.Image.fromarray(pixels.permute(1, 2, 0).numpy()),
        "image": tv_tensors.Image(pixels),
        "video": tv_tensors.Video(pixels.expand(2, -1, -1, -1)),
    }[kind]
    for out in (
        F.affine(inpt, 10.0, [1, 0], 1.0, 0.0),
        F.rotate(inpt, 10.0),
        F.perspective(inpt, START, START),
        F.elastic(inpt, torch.zeros(1, H, W, 2)),
    ):
        assert type(out) is type(inpt)
        assert F.get_size(out) == [H, W]


TRANSFORMS = {
    "rotation": lambda: v2.RandomRotation(40, expand=True),
    "affine": lambda: v2.RandomAffine(20, (0.2, 0.1), (0.8, 1.2), (-10, 10, -5, 5)),
    "perspective": lambda: v2.RandomPerspective(0.5, p=1.0),
    "elastic": lambda: v2.ElasticTransform(alpha=20.0, sigma=1.0),
}


def _random_sample():
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, H, W), dtype=torch.uint8, generator=generator)
    return {"image": tv_tensors.Image(image), **_box_sample()}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_a_seed_fixes_the_output(name):
    transform = TRANSFORMS[name]()
    outputs = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        outputs.append(transform(_random_sample()))
    for key in ("image", "masks", "boxes"):
        assert torch.equal(outputs[0][key], outputs[1][key])
    assert not torch.equal(_plain(outputs[0]["image"]), _plain(outputs[2]["image"]))


@pytest.mark.parametrize("name", ["rotation", "affine", "perspective"])
def test_the_random_warps_keep_boxes_around_their_masks(name):
    transform = TRANSFORMS[name]()
    for seed in range(4):
        torch.manual_seed(seed)
        out = transform(_random_sample())
        box, inside = _plain(out["boxes"])[0], _mask_box(out["masks"])
        assert tuple(out["masks"].shape[-2:]) == tuple(out["image"].shape[-2:])
        assert (box[:2] <= inside[:2] + 1).all() and (box[2:] >= inside[2:] - 1).all()


def test_random_affine_draws_within_its_ranges():
    transform = v2.RandomAffine(
        (5, 15), translate=(0.2, 0.5), scale=(0.8, 0.9), shear=(1, 2, -4, -3)
    )
    for seed in range(10):
        torch.manual_seed(seed)
        params = transform.make_params([torch.zeros(3, H, W)])
        assert 5 <= params["angle"] <= 15 and 0.8 <= params["scale"] <= 0.9
        tx, ty = params["translate"]
        assert isinstance(tx, int) and abs(tx) <= 0.2 * W and abs(ty) <= 0.5 * H
        assert 1 <= params["shear"][0] <= 2 and -4 <= params["shear"][1] <= -3
    torch.manual_seed(0)
    assert v2.RandomAffine(0).make_params([torch.zeros(3, H, W)]) == {
        "angle": 0.0,
        "translate": (0, 0),
        "scale": 1.0,
        "shear": (0.0, 0.0),
    }


def test_random_perspective_without_distortion_or_chance_is_the_identity():
    image = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    assert torch.equal(v2.RandomPerspective(0.0, p=1.0, interpolation="nearest")(image), image)
    assert v2.RandomPerspective(p=0.0)(image) is image


def test_elastic_displacements_are_bounded_by_alpha():
    transform = v2.ElasticTransform(alpha=(8.0, 2.0), sigma=(1.0, 2.0))
    torch.manual_seed(0)
    displacement = transform.make_params([torch.zeros(3, H, W)])["displacement"]
    assert displacement.shape == (1, H, W, 2)
    assert (
        displacement[..., 0].abs().max() <= 8.0 / W and displacement[..., 1].abs().max() <= 2.0 / H
    )
    image = torch.randint(0, 256, (3, H, W), dtype=torch.uint8)
    assert torch.equal(v2.ElasticTransform(alpha=0.0, sigma=0.0)(image), image)


def test_fill_may_differ_by_type():
    sample = {
        "image": tv_tensors.Image(torch.full((3, H, W), 100, dtype=torch.uint8)),
        "masks": tv_tensors.Mask(torch.ones(1, H, W, dtype=torch.uint8)),
    }
    fill = {tv_tensors.Image: [1, 2, 3], tv_tensors.Mask: 255}
    out = v2.RandomRotation((45, 45), fill=fill)(sample)
    assert _plain(out["image"])[:, 0, 0].tolist() == [1, 2, 3]
    assert _plain(out["masks"])[0, 0, 0] == 255 and _plain(out["masks"])[0, 8, 10] == 1
    # a type the dict lacks (and no "others") gets no fill at all: zeros
    out = v2.RandomRotation((45, 45), fill={tv_tensors.Mask: 255})(sample)
    assert _plain(out["image"])[:, 0, 0].tolist() == [0, 0, 0]


IMAGE = torch.zeros(3, H, W)


def _affine(**changes):
    arguments = {"angle": 0.0, "translate": [0, 0], "scale": 1.0, "shear": 0.0, **changes}
    return lambda: F.affine(IMAGE, **arguments)


BAD_CALLS = {  # the call, the error, what its message names
    "affine-angle": (_affine(angle="a"), TypeError, "angle"),
    "affine-translate-type": (_affine(translate=1), TypeError, "translate"),
    "affine-translate-length": (_affine(translate=[1]), ValueError, "translate"),
    "affine-scale": (_affine(scale=0.0), ValueError, "scale"),
    "affine-shear-type": (_affine(shear="s"), TypeError, "shear"),
    "affine-shear-length": (_affine(shear=[1.0, 2.0, 3.0]), ValueError, "shear"),
    "affine-center": (_affine(center=3), TypeError, "center"),
    "affine-fill": (_affine(fill=[1, 2]), ValueError, "fill"),
    "affine-fill-type": (_affine(fill="x"), ValueError, "fill"),
    "rotate-bicubic": (lambda: F.rotate(IMAGE, 10.0, "bicubic"), ValueError, "bicubic"),
    "rotate-mode": (lambda: F.rotate(IMAGE, 10.0, "sideways"), ValueError, "interpolation"),
    "perspective-both": (
        lambda: F.perspective(IMAGE, START, START, coefficients=[0.0] * 8),
        ValueError,
        "coefficients",
    ),
    "perspective-coefficients": (
        lambda: F.perspective(IMAGE, None, None, coefficients=[1.0]),
        ValueError,
        "coefficients",
    ),
    "perspective-neither": (lambda: F.perspective(IMAGE, START, None), ValueError, "startpoints"),
    "perspective-corners": (lambda: F.perspective(IMAGE, START, START[:3]), ValueError, "four"),
    "elastic-type": (lambda: F.elastic(IMAGE, 0.5), TypeError, "displacement"),
    "elastic-shape": (
        lambda: F.elastic(IMAGE, torch.zeros(1, H, 3, 2)),
        ValueError,
        r"displacement should be Tensor\[1, 16, 20, 2\]",
    ),
    "rotation-negative": (lambda: v2.RandomRotation(-1), ValueError, "degrees"),
    "rotation-length": (lambda: v2.RandomRotation([1, 2, 3]), ValueError, "degrees"),
    "rotation-center": (lambda: v2.RandomRotation(5, center=[1]), ValueError, "center"),
    "rotation-fill": (lambda: v2.RandomRotation(5, fill="x"), TypeError, "fill"),
    "affine-translate-range": (
        lambda: v2.RandomAffine(5, translate=[2, 0]),
        ValueError,
        "translate",
    ),
    "affine-scale-range": (lambda: v2.RandomAffine(5, scale=[0, 1]), ValueError, "scale"),
    "affine-shear-ranges": (lambda: v2.RandomAffine(5, shear=[1, 2, 3]), ValueError, "shear"),
    "perspective-distortion": (
        lambda: v2.RandomPerspective(distortion_scale=2),
        ValueError,
        "distortion_scale",
    ),
    "perspective-p": (lambda: v2.RandomPerspective(p=2), ValueError, "`p`"),
    "elastic-alpha": (lambda: v2.ElasticTransform(alpha=None), TypeError, "alpha"),
    "elastic-sigma": (lambda: v2.ElasticTransform(sigma=[1, 2, 3]), ValueError, "sigma"),
}


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_arguments_raise_errors_that_name_them(case):
    call, error, match = BAD_CALLS[case]
    with pytest.raises(error, match=match):
        call()


# --- rotated boxes --------------------------------------------------------------------------

Format = tv_tensors.BoundingBoxFormat
ROTATED = ["XYWHR", "CXCYWHR", "XYXYXYXY"]
CENTRE = (W / 2, H / 2)  # of the canvas, (x, y)


def _rotated_boxes(cxcywhr, format, clamping_mode="soft", canvas_size=(H, W)):
    values = torch.tensor(cxcywhr, dtype=torch.float64)
    values = F.convert_bounding_box_format(values, "CXCYWHR", format)
    return tv_tensors.BoundingBoxes(
        values, format=format, canvas_size=canvas_size, clamping_mode=clamping_mode
    )


def _as_cxcywhr(boxes):
    return _plain(F.convert_bounding_box_format(boxes, new_format="CXCYWHR"))


def _corners(boxes):
    return _plain(F.convert_bounding_box_format(boxes, new_format="XYXYXYXY")).reshape(-1, 4, 2)


def _assert_same_boxes(actual, expected, atol=1e-6):
    """The same CXCYWHR boxes ``Tensor[N, 5]``, their angles equal modulo 360 degrees."""
    torch.testing.assert_close(actual[:, :4], expected[:, :4], rtol=0, atol=atol)
    turn = (actual[:, 4] - expected[:, 4] + 180).remainder(360) - 180
    torch.testing.assert_close(turn, torch.zeros_like(turn), rtol=0, atol=atol)


def _turned(x, y, degrees, about=CENTRE):
    """``(x, y)`` turned counter-clockwise on the image (whose y axis points down)."""
    radians = math.radians(degrees)
    dx, dy = x - about[0], y - about[1]
    cos, sin = math.cos(radians), math.sin(radians)
    return about[0] + dx * cos + dy * sin, about[1] - dx * sin + dy * cos


BOX_CXCYWHR = [[7.0, 6.0, 4.0, 2.0, 30.0], [12.5, 9.0, 3.0, 5.0, -75.0]]  # well inside


@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize("angle", [90.0, -90.0, 180.0, 37.0])
def test_rotating_a_rotated_box_adds_the_angle_and_moves_its_centre_as_a_point(angle, format):
    out = F.rotate(_rotated_boxes(BOX_CXCYWHR, format), angle)
    expected = [[*_turned(cx, cy, angle), w, h, r + angle] for cx, cy, w, h, r in BOX_CXCYWHR]
    assert out.format.name == format and out.canvas_size == (H, W)
    _assert_same_boxes(_as_cxcywhr(out), torch.tensor(expected, dtype=torch.float64))


@pytest.mark.parametrize("format", ROTATED)
def test_a_quarter_turn_with_expand_moves_rotated_boxes_onto_the_turned_canvas(format):
    # (x, y) -> (y, W - x) on the turned canvas, W wide becoming W high
    out = F.rotate(_rotated_boxes(BOX_CXCYWHR, format), 90.0, expand=True)
    expected = [[cy, W - cx, w, h, r + 90] for cx, cy, w, h, r in BOX_CXCYWHR]
    assert out.canvas_size == (W, H)
    _assert_same_boxes(_as_cxcywhr(out), torch.tensor(expected, dtype=torch.float64))


@pytest.mark.parametrize("format", ROTATED)
def test_the_corners_of_a_rotated_box_move_like_key_points(format):
    # Without shear the affine map keeps rectangles rectangles: the box's corners are its
    # corners moved as points; the angle turns back by the (clockwise) angle of the map, and
    # the sides scale.
    boxes = _rotated_boxes(BOX_CXCYWHR, format, clamping_mode=None)
    arguments = {"angle": 25.0, "translate": [2, -1], "scale": 1.3, "shear": 0.0}
    out = F.affine(boxes, **arguments, center=[6, 5])
    points = tv_tensors.KeyPoints(_corners(boxes), canvas_size=(H, W))
    moved = F.affine(points, **arguments, center=[6, 5])
    torch.testing.assert_close(_corners(out), _plain(moved), rtol=0, atol=1e-9)
    sides = torch.tensor(BOX_CXCYWHR, dtype=torch.float64)[:, 2:4] * 1.3
    torch.testing.assert_close(_as_cxcywhr(out)[:, 2:4], sides, rtol=0, atol=1e-9)
    turn = (_as_cxcywhr(out)[:, 4] - torch.tensor([30.0 - 25, -75.0 - 25]).double()) % 360
    assert torch.allclose(torch.minimum(turn, 360 - turn), torch.zeros(2).double(), atol=1e-9)


@pytest.mark.parametrize("format", ROTATED)
def test_a_sheared_rotated_box_becomes_a_rectangle_about_its_moved_centre(format):
    boxes = _rotated_boxes(BOX_CXCYWHR, format, clamping_mode=None)
    out = F.affine(boxes, 10.0, [1, 1], 1.0, [15.0, -5.0])
    centres = tv_tensors.KeyPoints(_as_cxcywhr(boxes)[:, :2], canvas_size=(H, W))
    moved = _plain(F.affine(centres, 10.0, [1, 1], 1.0, [15.0, -5.0]))
    torch.testing.assert_close(_as_cxcywhr(out)[:, :2], moved, rtol=0, atol=1e-9)
    corners = _corners(out)
    first, second = corners[:, 1] - corners[:, 0], corners[:, 3] - corners[:, 0]
    assert torch.allclose((first * second).sum(-1), torch.zeros(2).double(), atol=1e-9)


@pytest.mark.parametrize("format", ROTATED)
def test_a_perspective_shift_moves_rotated_boxes_whole(format):
    shifted = [[u + 2, v + 1] for u, v in START]
    out = F.perspective(_rotated_boxes(BOX_CXCYWHR, format), START, shifted)
    expected = [[cx + 2, cy + 1, w, h, r] for cx, cy, w, h, r in BOX_CXCYWHR]
    _assert_same_boxes(_as_cxcywhr(out), torch.tensor(expected, dtype=torch.float64), 1e-5)


@pytest.mark.parametrize("format", ROTATED)
def test_elastic_moves_a_rotated_box_by_its_centre_rounded_up(format):
    # torchvision moves a rotated box by its centre alone, taken at the pixel of its rounded
    # up coordinates; the sides and the angle stay
    box = [[10.3, 7.6, 4.0, 2.0, 30.0]]
    out = F.elastic(_rotated_boxes(box, format), _shift_field(2.0, -1.0))
    _assert_same_boxes(_as_cxcywhr(out), torch.tensor([[9.0, 9.0, 4.0, 2.0, 30.0]]).double())


def test_rotated_boxes_pushed_off_the_canvas_clamp_as_their_mode_says():
    box = [[3.0, 8.0, 8.0, 2.0, 30.0]]  # moved 3 left: its centre on the left edge
    out = {
        mode: F.affine(_rotated_boxes(box, "CXCYWHR", mode), 0.0, [-3, 0], 1.0, 0.0)
        for mode in ("soft", "hard", None)
    }
    _assert_same_boxes(_plain(out[None]), torch.tensor([[0.0, 8.0, 8.0, 2.0, 30.0]]).double())
    areas = {
        mode: (_plain(boxes)[0, 2] * _plain(boxes)[0, 3]).item() for mode, boxes in out.items()
    }
    # "soft" keeps the smallest box of that angle around the part inside (which may reach
    # out), "hard" the largest one inside the canvas
    assert areas["hard"] < areas["soft"] < areas[None]
    assert _corners(out["hard"])[..., 0].min() >= -1e-9
    for mode in ("soft", "hard"):
        side = _corners(out[mode])[0, 1] - _corners(out[mode])[0, 0]
        degrees = math.degrees(math.atan2(-side[1], side[0])) % 90  # whichever corner is first
        assert degrees == pytest.approx(30.0, abs=1e-6)


# --- per-kind kernels -----------------------------------------------------------------------


def test_the_box_and_point_kernels_take_plain_tensors_and_return_as_torchvisions():
    boxes, points = torch.tensor([[2.0, 3.0, 10.0, 12.0]]), torch.tensor([[1.0, 2.0]])
    shifted = [[u + 2, v + 1] for u, v in START]
    # rotate gives the canvas, which expand changes: (x, y) -> (y, W - x)
    out, canvas = F.rotate_bounding_boxes(boxes, "XYXY", (H, W), 90.0, expand=True)
    assert out.tolist() == [[3.0, 10.0, 12.0, 18.0]] and canvas == (W, H)
    out, canvas = F.rotate_keypoints(points, (H, W), 90.0, expand=True)
    assert out.tolist() == [[2.0, 19.0]] and canvas == (W, H)
    # affine gives the canvas for points only, perspective and elastic never
    moved = F.affine_bounding_boxes(boxes, Format.XYXY, (H, W), 0.0, [3, -2], 1.0, 0.0)
    assert moved.tolist() == [[5.0, 1.0, 13.0, 10.0]]
    out, canvas = F.affine_keypoints(points, (H, W), 0.0, [3, -2], 1.0, 0.0)
    assert out.tolist() == [[4.0, 0.0]] and canvas == (H, W)
    moved = F.perspective_bounding_boxes(boxes, "XYXY", (H, W), START, shifted)
    torch.testing.assert_close(moved, torch.tensor([[4.0, 4.0, 12.0, 13.0]]))
    moved = F.perspective_keypoints(points, (H, W), START, shifted)
    torch.testing.assert_close(moved, torch.tensor([[3.0, 3.0]]))
    moved = F.elastic_bounding_boxes(boxes, "XYXY", (H, W), _shift_field(2.0, 0.0))
    torch.testing.assert_close(moved, torch.tensor([[0.0, 3.0, 8.0, 12.0]]))
    moved = F.elastic_keypoints(points, (H, W), _shift_field(2.0, 0.0))
    torch.testing.assert_close(moved, torch.tensor([[-1.0, 2.0]]))
    unclamped = F.affine_bounding_boxes(boxes, "XYXY", (H, W), 0.0, [-3, 0], 1.0, 0.0, None, None)
    assert unclamped.tolist() == [[-1.0, 3.0, 7.0, 12.0]]


def test_the_mask_kernels_are_nearest_always_and_the_video_kernels_take_frames():
    mask = (torch.arange(H * W).reshape(H, W) % 7).to(torch.uint8)
    assert torch.equal(
        F.rotate_mask(mask=mask, angle=90.0, expand=True), mask.transpose(-2, -1).flip(-2)
    )
    expected = torch.full_like(mask, 9)
    expected[:-2, 3:] = mask[2:, :-3]  # right by 3, up by 2
    assert torch.equal(F.affine_mask(mask, 0.0, [3, -2], 1.0, 0.0, fill=9), expected)
    for kernel in (F.affine_mask, F.rotate_mask, F.perspective_mask, F.elastic_mask):
        assert "interpolation" not in inspect.signature(kernel).parameters
        assert next(iter(inspect.signature(kernel).parameters)) == "mask"
    frames = torch.randint(0, 256, (2, 3, H, W), dtype=torch.uint8)
    video = F.affine_video(video=frames, angle=0.0, translate=[3, -2], scale=1.0, shear=0.0)
    assert torch.equal(video[:, :, :-2, 3:], frames[:, :, 2:, :-3])
    assert F.rotate_video.__name__ == "rotate_video"
    assert torch.equal(F.rotate_video(frames, 180.0), frames.flip(-1).flip(-2))
