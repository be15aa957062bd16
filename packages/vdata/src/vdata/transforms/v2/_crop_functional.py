"""The v2 functionals of the random crop transforms: a crop resized to a size, and the five and
ten fixed crops of test-time augmentation, as torchvision 0.29's ``transforms.v2.functional``
has them."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import PIL.Image
from torch import Tensor

from ... import tv_tensors
from . import functional as F
from ._dispatch import _dispatch, register_kernel

_IMAGE_TYPES = (Tensor, PIL.Image.Image, tv_tensors.Image, tv_tensors.Video)


def resized_crop(
    inpt: Any,
    top: int,
    left: int,
    height: int,
    width: int,
    size: Sequence[int],
    interpolation: Any = "bilinear",
    antialias: bool | None = True,
) -> Any:
    """The ``height x width`` region from ``(top, left)`` resized to ``size`` (as for
    :func:`resize`: ``(h, w)``, or ``[s]`` for the smaller edge). Masks are resized with
    nearest neighbours; boxes are clamped to the crop, then scaled."""
    return _dispatch(resized_crop, inpt, top, left, height, width, size, interpolation, antialias)


def _resized_crop(inpt, top, left, height, width, size, interpolation="bilinear", antialias=True):
    cropped = F.crop(inpt, top, left, height, width)
    return F.resize(cropped, size, interpolation, antialias=antialias)


for _cls in (*_IMAGE_TYPES, tv_tensors.Mask, tv_tensors.BoundingBoxes, tv_tensors.KeyPoints):
    register_kernel(resized_crop, _cls)(_resized_crop)


@register_kernel(resized_crop, PIL.Image.Image)
def _resized_crop_pil(
    inpt, top, left, height, width, size, interpolation="bilinear", antialias=True
):
    if antialias is False:
        warnings.warn(
            "Anti-alias option is always applied for PIL Image input. Argument antialias is "
            "ignored.",
            stacklevel=3,
        )
    return _resized_crop(inpt, top, left, height, width, size, interpolation)


def _five_crop_size(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size[0], size[1]


def five_crop(inpt: Any, size: int | Sequence[int]) -> tuple[Any, ...]:
    """The ``size`` crops at the four corners and the centre of an image or video:
    ``(top-left, top-right, bottom-left, bottom-right, centre)``. Boxes, masks and points have
    no five crop (TypeError), as in torchvision."""
    return _dispatch(five_crop, inpt, size)


def ten_crop(inpt: Any, size: int | Sequence[int], vertical_flip: bool = False) -> tuple[Any, ...]:
    """:func:`five_crop` of an image or video followed by the five crops of its mirror image
    (left to right, or top to bottom with ``vertical_flip``)."""
    return _dispatch(ten_crop, inpt, size, vertical_flip)


def _five_crop(inpt: Any, size: int | Sequence[int]) -> tuple[Any, ...]:
    crop_height, crop_width = _five_crop_size(size)
    height, width = F.get_size(inpt)
    if crop_width > width or crop_height > height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(height, width)}")
    bottom, right = height - crop_height, width - crop_width
    corners = ((0, 0), (0, right), (bottom, 0), (bottom, right))
    crops = tuple(F.crop(inpt, top, left, crop_height, crop_width) for top, left in corners)
    return (*crops, F.center_crop(inpt, [crop_height, crop_width]))


def _ten_crop(inpt: Any, size: int | Sequence[int], vertical_flip: bool = False) -> tuple:
    flipped = F.vertical_flip(inpt) if vertical_flip else F.horizontal_flip(inpt)
    return _five_crop(inpt, size) + _five_crop(flipped, size)


for _cls in _IMAGE_TYPES:
    register_kernel(five_crop, _cls)(_five_crop)
    register_kernel(ten_crop, _cls)(_ten_crop)
