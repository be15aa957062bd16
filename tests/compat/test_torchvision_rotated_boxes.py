"""vdata.transforms.v2 against torchvision.transforms.v2 on rotated boxes (XYWHR, CXCYWHR,
XYXYXYXY): every functional and transform that moves boxes, in every format, clamping mode and
floating dtype, on random boxes and on edge cases (on the border, outside, empty, turned by
quarter turns, NaN and infinite values), equal to the bit.

No tolerance: vdata does torchvision's arithmetic in torchvision's order and dtype, so that even
the clamping, which turns the canvas four times and recomputes the corners from intersecting
lines, gives the same floats. Only resampled images differ, by one uint8 level.
"""

import itertools

import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours_tv
from vdata.transforms import v2 as ours
from vdata.transforms.v2 import _boxes

theirs = pytest.importorskip("torchvision.transforms.v2")
tv = pytest.importorskip("torchvision.tv_tensors")
theirs_geometry = pytest.importorskip("torchvision.transforms.v2.functional._geometry")

ROTATED = ["XYWHR", "CXCYWHR", "XYXYXYXY"]
MODES = ["soft", "hard", None]
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
CANVAS = (40, 50)
NAN, INF = float("nan"), float("inf")
EDGE_CXCYWHR = [
    [10, 10, 5, 5, 0],
    [10, 10, 5, 5, 90],
    [10, 10, 5, 5, -90],
    [10, 10, 5, 5, 180],
    [10, 10, 5, 5, 45],
    [10, 10, 5, 5, 360],
    [10, 10, 5, 5, 720.5],
    [0, 0, 5, 5, 0],  # centred on a corner of the canvas
    [50, 40, 5, 5, 0],
    [2.5, 2.5, 5, 5, 0],  # touching the border
    [2.5, 2.5, 5, 5, 1e-4],
    [25, 20, 50, 40, 0],  # the whole canvas
    [25, 20, 50, 40, 90],
    [25, 20, 60, 60, 30],  # larger than the canvas
    [-20, -20, 5, 5, 10],  # outside
    [100, 100, 5, 5, 10],
    [10, 10, 0, 0, 0],  # empty
    [10, 10, 0, 5, 30],
    [10, 10, 5, 0, 30],
    [10, 10, -5, 5, 0],  # a negative width
    [49, 39, 4, 4, 45],
    [0, 20, 10, 3, 89.99],
    [25, 0, 3, 10, 0.01],
    [10, 10, 1e6, 1, 30],
    [NAN, 1, 2, 3, 4],
    [1, 2, 3, 4, INF],
]


pytestmark = pytest.mark.usefixtures("one_thread")


def _cxcywhr(n: int = 40, seed: int = 0) -> torch.Tensor:
    """Random boxes around and across the canvas, then the edge cases (float64)."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(n, 2, generator=g, dtype=torch.float64) * 80 - 15
    sides = torch.rand(n, 2, generator=g, dtype=torch.float64) * 30
    angles = torch.rand(n, 1, generator=g, dtype=torch.float64) * 720 - 360
    edges = torch.tensor(EDGE_CXCYWHR, dtype=torch.float64)
    return torch.cat([torch.cat([centres, sides, angles], dim=1), edges])


def _values(format: str, dtype: torch.dtype) -> torch.Tensor:
    # Converted in float64 by torchvision's functional, so both libraries get the same input.
    values = theirs.functional.convert_bounding_box_format(_cxcywhr(), "CXCYWHR", format)
    return values.to(dtype)


def _boxes_of(lib, format, dtype, mode="soft"):
    return lib.BoundingBoxes(
        _values(format, dtype), format=format, canvas_size=CANVAS, clamping_mode=mode
    )


# ``F`` is the library's functional namespace, ``tvt`` its tv_tensors.
FUNCTIONALS = {
    "hflip": lambda F, b: F.horizontal_flip(b),
    "vflip": lambda F, b: F.vertical_flip(b),
    "resize_pair": lambda F, b: F.resize(b, [23, 77]),
    "resize_short_edge": lambda F, b: F.resize(b, 30),
    "resize_max_size": lambda F, b: F.resize(b, None, max_size=60),
    "crop": lambda F, b: F.crop(b, 3, 4, 30, 31),
    "crop_beyond": lambda F, b: F.crop(b, -5, -6, 50, 70),
    "pad": lambda F, b: F.pad(b, [3, 4, 5, 6]),
    "center_crop": lambda F, b: F.center_crop(b, [20, 31]),
    "center_crop_larger": lambda F, b: F.center_crop(b, [60, 70]),
    "resized_crop": lambda F, b: F.resized_crop(b, 2, 3, 30, 35, [25, 40]),
    "clamp_auto": lambda F, b: F.clamp_bounding_boxes(b),
    "clamp_soft": lambda F, b: F.clamp_bounding_boxes(b, clamping_mode="soft"),
    "clamp_hard": lambda F, b: F.clamp_bounding_boxes(b, clamping_mode="hard"),
    "clamp_none": lambda F, b: F.clamp_bounding_boxes(b, clamping_mode=None),
    **{
        f"to_{new}": lambda F, b, new=new: F.convert_bounding_box_format(b, new_format=new)
        for new in ROTATED
    },
    "sanitize": lambda F, b: F.sanitize_bounding_boxes(b),
    "sanitize_larger": lambda F, b: F.sanitize_bounding_boxes(b, min_size=3, min_area=10),
}
_RESIZES = {"resize_pair", "resize_short_edge", "resize_max_size", "resized_crop"}


# The operations that clamp with the boxes' own mode, run in every mode; the others once.
_OWN_MODE = {*_RESIZES, "crop", "crop_beyond", "pad", "center_crop", "center_crop_larger"}
_OWN_MODE.add("clamp_auto")


def _cases(names, own_mode):
    return [
        pytest.param(name, mode, id=f"{name}-{mode}")
        for name in names
        for mode in (MODES if name in own_mode else ["soft"])
    ]


@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize(("name", "mode"), _cases(FUNCTIONALS, _OWN_MODE))
def test_functional_equals_torchvisions(name, mode, format):
    mine = FUNCTIONALS[name](ours.functional, _boxes_of(ours_tv, format, torch.float32, mode))
    their = FUNCTIONALS[name](theirs.functional, _boxes_of(tv, format, torch.float32, mode))
    assert_same_typed(mine, their)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16], ids=str)
@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize("name", ["hflip", "vflip", "crop", "pad", "clamp_auto"])
def test_other_dtypes_equal_torchvisions(name, format, dtype):
    # torchvision computes half boxes in half precision, but for the corners-to-XYWHR
    # conversion, the rectangle of a parallelogram and a resize (tested below), in float32.
    for mode in MODES if name in _OWN_MODE else ["soft"]:
        mine = FUNCTIONALS[name](ours.functional, _boxes_of(ours_tv, format, dtype, mode))
        their = FUNCTIONALS[name](theirs.functional, _boxes_of(tv, format, dtype, mode))
        assert_same_typed(mine, their)


@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize("mode", MODES)
def test_the_resize_kernel_clamps_with_the_mode_as_torchvisions(format, mode):
    for dtype in DTYPES:
        values = _values(format, dtype)
        mine = _boxes.resize(values, _boxes.as_format(format), CANVAS, (23, 77), mode)
        their, _ = theirs_geometry.resize_bounding_boxes(
            values, CANVAS, [23, 77], format=tv.BoundingBoxFormat[format], clamping_mode=mode
        )
        assert_same_typed(mine, their)


@pytest.mark.parametrize("format", ROTATED)
def test_plain_tensor_functionals_equal_torchvisions(format):
    for dtype in DTYPES:
        values = _values(format, dtype)
        for new in ROTATED:
            assert_same_typed(
                ours.functional.convert_bounding_box_format(values, format, new),
                theirs.functional.convert_bounding_box_format(values.clone(), format, new),
            )
        for mode in MODES if dtype == torch.float32 else []:  # other dtypes: clamp_auto above
            assert_same_typed(
                ours.functional.clamp_bounding_boxes(values, format, CANVAS, mode),
                theirs.functional.clamp_bounding_boxes(values, format, CANVAS, mode),
            )
        assert_same_typed(
            ours.functional.sanitize_bounding_boxes(values, format, CANVAS, 2.0, 3.0),
            theirs.functional.sanitize_bounding_boxes(values, format, CANVAS, 2.0, 3.0),
        )


@pytest.mark.parametrize(
    "shape", [torch.Size([5]), torch.Size([0, 5]), torch.Size([2, 3, 5])], ids=str
)
def test_conversions_of_other_shapes_equal_torchvisions(shape):
    # One box comes back from XYWHR to corners as a row of one, as torchvision's does.
    values = _values("XYWHR", torch.float32)
    values = values[0] if len(shape) == 1 else values[: shape[:-1].numel()].reshape(shape)
    for old, new in itertools.product(ROTATED[:2], ROTATED):
        start = theirs.functional.convert_bounding_box_format(values.clone(), "XYWHR", old)
        assert_same_typed(
            ours.functional.convert_bounding_box_format(start, old, new),
            theirs.functional.convert_bounding_box_format(start.clone(), old, new),
        )


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(ROTATED, 2)))
@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8], ids=str)
def test_integer_conversions_truncate_or_raise_as_torchvisions(old, new, dtype):
    values = [[10, 20, 15, 17, 12, 25, 7, 28]] if old == "XYXYXYXY" else [[10, 20, 5, 7, 30]]
    values = torch.tensor(values, dtype=dtype)
    try:
        their = theirs.functional.convert_bounding_box_format(values.clone(), old, new)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            ours.functional.convert_bounding_box_format(values, old, new)
    else:
        assert_same_typed(ours.functional.convert_bounding_box_format(values, old, new), their)


def _sample(lib, format, mode):
    boxes = _boxes_of(lib, format, torch.float32, mode)
    image = torch.randint(0, 256, (3, *CANVAS), dtype=torch.uint8, generator=torch.Generator())
    return {"image": lib.Image(image), "boxes": boxes, "labels": torch.arange(len(boxes))}


TRANSFORMS = {
    "hflip": lambda v2: v2.RandomHorizontalFlip(p=1.0),
    "vflip": lambda v2: v2.RandomVerticalFlip(p=1.0),
    "resize": lambda v2: v2.Resize((23, 77)),
    "center_crop": lambda v2: v2.CenterCrop(30),
    "pad": lambda v2: v2.Pad([1, 2, 3, 4]),
    "random_crop_padding": lambda v2: v2.RandomCrop(30, padding=3),
    "random_crop_pad_if_needed": lambda v2: v2.RandomCrop((50, 60), pad_if_needed=True),
    "random_resized_crop": lambda v2: v2.RandomResizedCrop((25, 40)),
    "random_zoom_out": lambda v2: v2.RandomZoomOut(p=1.0),
    "scale_jitter": lambda v2: v2.ScaleJitter((40, 50)),
    "random_shortest_size": lambda v2: v2.RandomShortestSize([20, 30], max_size=60),
    "random_resize": lambda v2: v2.RandomResize(20, 60),
    "clamp": lambda v2: v2.ClampBoundingBoxes(),
    "clamp_hard": lambda v2: v2.ClampBoundingBoxes("hard"),
    "to_xyxyxyxy": lambda v2: v2.ConvertBoundingBoxFormat("XYXYXYXY"),
    "to_cxcywhr": lambda v2: v2.ConvertBoundingBoxFormat("CXCYWHR"),
    "sanitize": lambda v2: v2.SanitizeBoundingBoxes(),
    "hard_then_crop": lambda v2: v2.Compose([v2.SetClampingMode("hard"), v2.CenterCrop(25)]),
}
_TRANSFORM_RESIZES = {
    "resize",
    "random_resized_crop",
    "scale_jitter",
    "random_shortest_size",
    "random_resize",
}
_TRANSFORM_OWN_MODE = {*_TRANSFORM_RESIZES, "center_crop", "pad", "random_zoom_out", "clamp"}
_TRANSFORM_OWN_MODE |= {"random_crop_padding", "random_crop_pad_if_needed"}


@pytest.mark.parametrize("format", ROTATED)
@pytest.mark.parametrize(("name", "mode"), _cases(TRANSFORMS, _TRANSFORM_OWN_MODE))
def test_transform_equals_torchvisions_under_a_seed(name, mode, format):
    mine_t, their_t = TRANSFORMS[name](ours), TRANSFORMS[name](theirs)
    for seed in range(2 if name.startswith(("random", "scale")) else 1):
        torch.manual_seed(seed)
        mine = mine_t(_sample(ours_tv, format, mode))
        torch.manual_seed(seed)
        their = their_t(_sample(tv, format, mode))
        assert_same_typed(mine, their, image_atol=1 if name in _TRANSFORM_RESIZES else 0)


def test_random_iou_crop_refuses_rotated_boxes_as_torchvision():
    for v2, lib in ((ours, ours_tv), (theirs, tv)):
        with pytest.raises(ValueError, match="Cannot convert between rotated and unrotated"):
            v2.RandomIoUCrop(sampler_options=[0.5])(_sample(lib, "CXCYWHR", "soft"))
