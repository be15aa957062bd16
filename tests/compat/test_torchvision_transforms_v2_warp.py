"""The warps of vdata.transforms.v2 (affine, rotate, perspective, elastic and their random
transforms) against torchvision's: the same values to the last bit, types and metadata, for
images (uint8 and float, tensor and PIL), videos, masks, boxes (axis-aligned and rotated, in
every clamping mode) and key points, and under the same seed the same draws (and the generator
left in the same state).

Every comparison is exact: both sides build the same float32 sampling grids with the same
operations, solve the perspective in float64 with the same LAPACK driver, and blend the fill
with the same formula."""

import PIL.Image
import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours_tv
from vdata.transforms import v2 as ours

theirs = pytest.importorskip("torchvision.transforms.v2")
tv = pytest.importorskip("torchvision.tv_tensors")
ours_F, theirs_F = ours.functional, theirs.functional


pytestmark = pytest.mark.usefixtures("one_thread")


H, W = 16, 20
START = [[0, 0], [W - 1, 0], [W - 1, H - 1], [0, H - 1]]
END = [[2, 1], [W - 3, 0], [W - 1, H - 2], [1, H - 3]]
_noise = torch.Generator().manual_seed(7)
COEFFICIENTS = [1.1, 0.1, -2.0, 0.05, 0.9, 1.0, 1e-3, -2e-3]
SMOOTH = torch.randn(1, H, W, 2, generator=_noise) * 0.05
WILD = torch.rand(1, H, W, 2, generator=_noise) * 0.6 - 0.3

CASES = {
    "affine": [
        {"angle": 23.0, "translate": [2, -1], "scale": 1.2, "shear": [5.0, -3.0]},
        {"angle": -90, "translate": (0, 0), "scale": 1.0, "shear": 0.0},
        {"angle": 10.0, "translate": [1.5, 2.0], "scale": 0.7, "shear": [8.0], "center": [3, 4]},
    ],
    "rotate": [
        {"angle": 33.0},
        {"angle": -47.0, "expand": True},
        {"angle": 90.0, "expand": True},
        {"angle": 270.0},
        {"angle": -180.0},
        {"angle": 12.5, "center": [3, 4]},
        {"angle": -130.0, "expand": True, "center": [5.5, 2]},
        {"angle": 1.0, "expand": True},  # the boxes' canvas is a pixel smaller than the image
    ],
    "perspective": [
        {"startpoints": START, "endpoints": END},
        {"startpoints": None, "endpoints": None, "coefficients": COEFFICIENTS},
    ],
    "elastic": [{"displacement": SMOOTH}, {"displacement": WILD}],
}
FLAT = [(name, kwargs) for name, cases in CASES.items() for kwargs in cases]
IDS = [f"{name}-{i}" for name, cases in CASES.items() for i in range(len(cases))]
XYXY = torch.tensor([[2.0, 3.0, 10.0, 12.0], [0.0, 0.0, 20.0, 16.0], [15.5, 1.25, 19.0, 4.0]])
POINTS = torch.tensor([[1.0, 2.0], [19.0, 15.0], [10.5, 7.25], [0.0, 0.0], [-3.0, 30.0]])


def _error(call):
    try:
        call()
    except Exception as error:  # the type is what is compared
        return type(error)
    return None


def _call(module, name, inpt, kwargs, **extra):
    return getattr(module, name)(inpt, **kwargs, **extra)


def _image(kind, tv_module):
    pixels = torch.randint(0, 256, (3, H, W), dtype=torch.uint8, generator=torch.Generator())
    if kind == "uint8":
        return pixels
    if kind == "float32":
        return pixels.float() / 255
    if kind == "float64":
        return pixels.double() / 255
    if kind == "pil":
        return PIL.Image.fromarray(pixels.permute(1, 2, 0).numpy())
    if kind == "image":
        return tv_module.Image(pixels)
    return tv_module.Video(torch.stack([pixels, pixels.flip(-1)]))  # video


@pytest.mark.parametrize("kind", ["uint8", "float32", "pil", "image", "video"])
@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_images_as_torchvision(name, kwargs, kind):
    # None and 0 differ: any fill but None is blended with the in-image share
    fills = [None, 0, [0.25, 0.5, 1.0] if kind == "float32" else [1, 2, 3]]
    for interpolation in ("nearest", "bilinear"):
        for fill in fills:
            extra = {"interpolation": interpolation, "fill": fill}
            mine = _call(ours_F, name, _image(kind, ours_tv), kwargs, **extra)
            their = _call(theirs_F, name, _image(kind, tv), kwargs, **extra)
            assert_same_typed(mine, their)


@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_float64_images_and_scalar_fills_as_torchvision(name, kwargs):
    for kind, fill in (("float64", 0.5), ("uint8", 7)):
        extra = {"interpolation": "bilinear", "fill": fill}
        mine = _call(ours_F, name, _image(kind, ours_tv), kwargs, **extra)
        their = _call(theirs_F, name, _image(kind, tv), kwargs, **extra)
        assert_same_typed(mine, their)


@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_pil_filters_tensors_lack_as_torchvision(name, kwargs):
    for interpolation in ("bicubic", "nearest-exact", theirs.InterpolationMode.BICUBIC, 3):
        their = _error(
            lambda i=interpolation: _call(
                theirs_F, name, _image("pil", tv), kwargs, interpolation=i
            )
        )
        if their is not None:  # elastic warps PIL images as tensors, which lack nearest-exact
            assert (
                _error(
                    lambda i=interpolation: _call(
                        ours_F, name, _image("pil", ours_tv), kwargs, interpolation=i
                    )
                )
                is their
            )
            continue
        mine = _call(ours_F, name, _image("pil", ours_tv), kwargs, interpolation=interpolation)
        their = _call(theirs_F, name, _image("pil", tv), kwargs, interpolation=interpolation)
        assert_same_typed(mine, their)


@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_masks_as_torchvision_nearest_whatever_the_interpolation(name, kwargs):
    generator = torch.Generator().manual_seed(1)
    classes = torch.randint(0, 5, (H, W), dtype=torch.uint8, generator=generator)
    per_object = torch.rand(3, H, W, generator=generator) > 0.5
    for mask in (classes, classes.long()[None], per_object):
        for fill in (None, 1):
            mine = _call(ours_F, name, ours_tv.Mask(mask), kwargs, fill=fill, interpolation=2)
            their = _call(theirs_F, name, tv.Mask(mask), kwargs, fill=fill, interpolation=2)
            assert_same_typed(mine, their)


def _boxes(tv_module, format, dtype, clamping_mode):
    boxes = XYXY.clone()
    if format != "XYXY":
        sizes = boxes[:, 2:] - boxes[:, :2]
        boxes = torch.cat([boxes[:, :2] + (sizes / 2 if format == "CXCYWH" else 0), sizes], 1)
    boxes = boxes.round() if not dtype.is_floating_point else boxes
    return tv_module.BoundingBoxes(
        boxes.to(dtype), format=format, canvas_size=(H, W), clamping_mode=clamping_mode
    )


@pytest.mark.parametrize("format", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_boxes_as_torchvision(name, kwargs, format):
    for dtype in (torch.float32, torch.float64, torch.int64):
        for clamping_mode in ("soft", "hard", None):
            mine = _call(ours_F, name, _boxes(ours_tv, format, dtype, clamping_mode), kwargs)
            their = _call(theirs_F, name, _boxes(tv, format, dtype, clamping_mode), kwargs)
            assert_same_typed(mine, their)


@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_keypoints_as_torchvision(name, kwargs):
    for dtype, shape in (
        (torch.float32, (-1, 2)),
        (torch.float64, (-1, 1, 2)),
        (torch.int64, (-1, 2)),
    ):
        points = POINTS.to(dtype)
        mine = _call(
            ours_F, name, ours_tv.KeyPoints(points.reshape(shape), canvas_size=(H, W)), kwargs
        )
        their = _call(
            theirs_F, name, tv.KeyPoints(points.reshape(shape), canvas_size=(H, W)), kwargs
        )
        assert_same_typed(mine, their)


@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_empty_boxes_and_points_as_torchvision(name, kwargs):
    for module, tv_module in ((ours_F, ours_tv), (theirs_F, tv)):
        boxes = tv_module.BoundingBoxes(torch.zeros(0, 4), format="XYWH", canvas_size=(H, W))
        rotated = tv_module.BoundingBoxes(torch.zeros(0, 5), format="XYWHR", canvas_size=(H, W))
        points = tv_module.KeyPoints(torch.zeros(0, 2), canvas_size=(H, W))
        outputs = tuple(_call(module, name, x, kwargs) for x in (boxes, rotated, points))
        if module is ours_F:
            mine = outputs
        else:
            their = outputs
    assert_same_typed(mine, their)


def test_the_expanded_canvas_of_boxes_is_torchvisions_even_off_the_images():
    # torchvision sizes the boxes' canvas from the inverse map about the absolute centre, the
    # image from the centred one; the rounding of the two can differ by a pixel.
    image = ours_F.rotate(torch.zeros(1, H, W), 1.0, expand=True)
    boxes = ours_F.rotate(_boxes(ours_tv, "XYXY", torch.float32, "soft"), 1.0, expand=True)
    their = theirs_F.rotate(_boxes(tv, "XYXY", torch.float32, "soft"), 1.0, expand=True)
    assert tuple(image.shape[-2:]) == (18, 22) and boxes.canvas_size == their.canvas_size == (
        17,
        21,
    )


ROTATED = ["XYWHR", "CXCYWHR", "XYXYXYXY"]
EDGE_CXCYWHR = [
    [10, 8, 6, 3, 0],  # quarter turns
    [10, 8, 6, 3, 90],
    [10, 8, 6, 3, -180],
    [10, 8, 6, 3, 45],
    [0, 0, 4, 4, 30],  # centred on a corner of the canvas
    [10, 8, 20, 16, 0],  # the whole canvas
    [10, 8, 30, 2, 10],  # longer than the canvas
    [-10, -8, 3, 3, 20],  # outside
    [10, 8, 0, 0, 0],  # empty
]


def _scattered_cxcywhr(n: int = 12) -> torch.Tensor:
    """Random boxes ``Tensor[n, 5]`` around and across the canvas, then the edge cases."""
    g = torch.Generator().manual_seed(3)
    span = torch.tensor([W + 10.0, H + 10.0], dtype=torch.float64)
    centres = torch.rand(n, 2, generator=g, dtype=torch.float64) * span - 5
    sides = torch.rand(n, 2, generator=g, dtype=torch.float64) * 8 + 0.5
    angles = torch.rand(n, 1, generator=g, dtype=torch.float64) * 720 - 360
    edges = torch.tensor(EDGE_CXCYWHR, dtype=torch.float64)
    return torch.cat([torch.cat([centres, sides, angles], dim=1), edges])


CXCYWHR = _scattered_cxcywhr()


def _rotated(tv_module, format, dtype, clamping_mode):
    values = ours_F.convert_bounding_box_format(CXCYWHR, "CXCYWHR", format).to(dtype)
    return tv_module.BoundingBoxes(
        values, format=format, canvas_size=(H, W), clamping_mode=clamping_mode
    )


def _outcome(function, *args):
    """``function(*args)``, or the type of the error it raised."""
    try:
        return function(*args)
    except Exception as error:  # the type is what is compared
        return type(error)


def _assert_same_outcome(mine, their):
    if isinstance(their, type):
        assert mine is their
    else:
        assert_same_typed(mine, their)


@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize(("name", "kwargs"), FLAT, ids=IDS)
def test_rotated_boxes_as_torchvision(name, kwargs, format):
    # torchvision's perspective refuses half boxes (its float32 ones promote half corners to
    # float32, which matmul refuses to multiply by half rows): so does ours
    for dtype in (torch.float32, torch.float64, torch.float16):
        for clamping_mode in ("soft", "hard", None):
            mine_boxes = _rotated(ours_tv, format, dtype, clamping_mode)
            their_boxes = _rotated(tv, format, dtype, clamping_mode)
            mine = _outcome(_call, ours_F, name, mine_boxes, kwargs)
            their = _outcome(_call, theirs_F, name, their_boxes, kwargs)
            _assert_same_outcome(mine, their)


KERNEL_CALLS = {
    "affine": lambda F, b, f: F.affine_bounding_boxes(b, f, (H, W), 20.0, [1, 2], 1.1, 3.0),
    "rotate": lambda F, b, f: F.rotate_bounding_boxes(b, f, (H, W), 20.0, expand=True),
    "perspective": lambda F, b, f: F.perspective_bounding_boxes(b, f, (H, W), START, END),
    "elastic": lambda F, b, f: F.elastic_bounding_boxes(b, f, (H, W), SMOOTH, "hard"),
}


@pytest.mark.parametrize("name", KERNEL_CALLS)
def test_integer_and_string_formats_in_the_box_kernels_as_torchvision(name):
    # Integer corners: affine and rotate move them in float32 and truncate, perspective takes
    # them as they are, elastic goes through CXCYWHR, which integers cannot (RuntimeError).
    corners = torch.tensor([[10, 5, 15, 7, 12, 12, 7, 10], [1, 1, 30, 2, 29, 9, 0, 8]])
    for boxes, format in ((corners, "XYXYXYXY"), (CXCYWHR[:5].float(), "CXCYWHR")):
        mine = _outcome(KERNEL_CALLS[name], ours_F, boxes.clone(), format)
        their = _outcome(KERNEL_CALLS[name], theirs_F, boxes.clone(), format)
        _assert_same_outcome(mine, their)


def _sample(tv_module, kind="image"):
    masks = torch.zeros(2, H, W, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(XYXY[:2].long().tolist()):
        masks[k, y1:y2, x1:x2] = 1
    return {
        "image": _image(kind, tv_module),
        "boxes": _boxes(tv_module, "XYWH", torch.float32, "soft"),
        "masks": tv_module.Mask(masks),
        "keypoints": tv_module.KeyPoints(POINTS, canvas_size=(H, W)),
        "labels": torch.tensor([1, 2, 3]),
    }


def _tv_of(module):
    return ours_tv if module is ours else tv


TRANSFORMS = {
    "rotation": lambda m: m.RandomRotation(30),
    "rotation_expand": lambda m: m.RandomRotation(
        (-60, 10), "bilinear", expand=True, fill={_tv_of(m).Image: 9, "others": 1}
    ),
    "rotation_center": lambda m: m.RandomRotation([80, 100], center=[3, 4], fill=None),
    "affine": lambda m: m.RandomAffine(20, (0.2, 0.1), (0.8, 1.2), (-10, 10, -5, 5)),
    "affine_shear_x": lambda m: m.RandomAffine(
        (5, 40),
        shear=7,
        interpolation="bilinear",
        center=(3, 4),
        fill={_tv_of(m).Image: [1, 2, 3], _tv_of(m).Mask: 255},
    ),
    "affine_still": lambda m: m.RandomAffine(0),
    "perspective": lambda m: m.RandomPerspective(0.6, p=1.0, fill=None),
    "perspective_default": lambda m: m.RandomPerspective(),
    "elastic": lambda m: m.ElasticTransform(sigma=0.6),
    "elastic_per_axis": lambda m: m.ElasticTransform((30.0, 10.0), [1.0, 0.5], "nearest", 3),
    "elastic_unsmoothed": lambda m: m.ElasticTransform(alpha=4.0, sigma=0.0),
}


@pytest.mark.parametrize("kind", ["image", "uint8", "pil", "video"])
@pytest.mark.parametrize("name", TRANSFORMS)
def test_random_warps_as_torchvision_under_a_seed(name, kind):
    mine_t, their_t = TRANSFORMS[name](ours), TRANSFORMS[name](theirs)
    for seed in range(3):
        torch.manual_seed(seed)
        mine = mine_t(_sample(ours_tv, kind))
        mine_next = torch.rand(3)
        torch.manual_seed(seed)
        their = their_t(_sample(tv, kind))
        assert_same_typed(mine, their)
        assert torch.equal(mine_next, torch.rand(3))  # the same number of draws


@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize("name", TRANSFORMS)
def test_random_warps_move_rotated_boxes_as_torchvision_under_a_seed(name, format):
    mine_t, their_t = TRANSFORMS[name](ours), TRANSFORMS[name](theirs)
    for seed, clamping_mode in enumerate(("soft", "hard", None)):
        samples = [
            {
                "image": _image("image", tv_module),
                "boxes": _rotated(tv_module, format, torch.float32, clamping_mode),
                "labels": torch.arange(len(CXCYWHR)),
            }
            for tv_module in (ours_tv, tv)
        ]
        torch.manual_seed(seed)
        mine = mine_t(samples[0])
        torch.manual_seed(seed)
        their = their_t(samples[1])
        assert_same_typed(mine, their)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_same_parameters_as_torchvision(name):
    mine_t, their_t = TRANSFORMS[name](ours), TRANSFORMS[name](theirs)
    torch.manual_seed(3)
    mine = mine_t.make_params([_sample(ours_tv)["image"]])
    torch.manual_seed(3)
    their = their_t.make_params([_sample(tv)["image"]])
    assert mine.keys() == their.keys()
    for key in mine:
        if isinstance(mine[key], torch.Tensor):
            assert torch.equal(mine[key], their[key])
        else:
            assert mine[key] == their[key]


BAD_CALLS = {
    "affine_angle": lambda F, x: F.affine(x, "a", [0, 0], 1.0, 0.0),
    "affine_translate_type": lambda F, x: F.affine(x, 0.0, 1, 1.0, 0.0),
    "affine_translate_length": lambda F, x: F.affine(x, 0.0, [1], 1.0, 0.0),
    "affine_scale": lambda F, x: F.affine(x, 0.0, [0, 0], 0.0, 0.0),
    "affine_shear_type": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, "s"),
    "affine_shear_length": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, [1.0, 2.0, 3.0]),
    "affine_center": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, 0.0, center=3),
    "affine_bicubic": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, 0.0, interpolation="bicubic"),
    "affine_unknown_mode": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, 0.0, interpolation="x"),
    "affine_mode_type": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, 0.0, interpolation=1.5),
    "affine_fill_length": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, 0.0, fill=[1, 2]),
    "affine_fill_type": lambda F, x: F.affine(x, 0.0, [0, 0], 1.0, 0.0, fill="x"),
    "rotate_bicubic": lambda F, x: F.rotate(x, 10.0, interpolation="bicubic"),
    "perspective_both": lambda F, x: F.perspective(x, START, END, coefficients=[0.0] * 8),
    "perspective_neither": lambda F, x: F.perspective(x, None, END),
    "perspective_coefficients": lambda F, x: F.perspective(x, None, None, coefficients=[1.0]),
    "perspective_corners": lambda F, x: F.perspective(x, START[:3], END[:3]),
    "elastic_type": lambda F, x: F.elastic(x, 0.5),
    "elastic_shape": lambda F, x: F.elastic(x, torch.zeros(1, H, W + 1, 2)),
}


@pytest.mark.parametrize("name", BAD_CALLS)
def test_bad_functional_arguments_raise_as_torchvision(name):
    for kind in ("uint8", "pil"):
        mine = _error(lambda k=kind: BAD_CALLS[name](ours_F, _image(k, ours_tv)))
        their = _error(lambda k=kind: BAD_CALLS[name](theirs_F, _image(k, tv)))
        assert mine is their


@pytest.mark.parametrize("name", ["affine", "perspective", "elastic"])
def test_bad_arguments_for_boxes_and_points_raise_as_torchvision(name):
    calls = {k: v for k, v in BAD_CALLS.items() if k.startswith(name) and "fill" not in k}
    for call in calls.values():
        for kind in ("boxes", "keypoints"):
            mine = _error(lambda c=call, k=kind: c(ours_F, _sample(ours_tv)[k]))
            their = _error(lambda c=call, k=kind: c(theirs_F, _sample(tv)[k]))
            assert mine is their


BAD_TRANSFORMS = {
    "rotation_negative": lambda m: m.RandomRotation(-1),
    "rotation_length": lambda m: m.RandomRotation([1, 2, 3]),
    "rotation_type": lambda m: m.RandomRotation(None),
    "rotation_center": lambda m: m.RandomRotation(5, center=3),
    "rotation_center_length": lambda m: m.RandomRotation(5, center=[1, 2, 3]),
    "rotation_fill": lambda m: m.RandomRotation(5, fill="x"),
    "affine_translate_length": lambda m: m.RandomAffine(5, translate=[0.5]),
    "affine_translate_range": lambda m: m.RandomAffine(5, translate=[2, 0]),
    "affine_scale": lambda m: m.RandomAffine(5, scale=[0, 1]),
    "affine_scale_type": lambda m: m.RandomAffine(5, scale=2),
    "affine_shear_length": lambda m: m.RandomAffine(5, shear=[1, 2, 3]),
    "affine_shear_negative": lambda m: m.RandomAffine(5, shear=-1),
    "affine_fill_dict": lambda m: m.RandomAffine(5, fill={"others": "x"}),
    "perspective_scale": lambda m: m.RandomPerspective(distortion_scale=2),
    "perspective_p": lambda m: m.RandomPerspective(p=1.5),
    "elastic_alpha_type": lambda m: m.ElasticTransform(alpha=None),
    "elastic_alpha_length": lambda m: m.ElasticTransform(alpha=[1, 2, 3]),
    "elastic_sigma_items": lambda m: m.ElasticTransform(sigma=["a"]),
}


@pytest.mark.parametrize("name", BAD_TRANSFORMS)
def test_bad_transform_arguments_raise_as_torchvision(name):
    mine, their = (
        _error(lambda: BAD_TRANSFORMS[name](ours)),
        _error(lambda: BAD_TRANSFORMS[name](theirs)),
    )
    assert mine is not None and mine is their
