"""Geometric transforms: resize, crop, pad and flip, and erasing a region; the warps are in
``_warp``."""

import numbers
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image
from torch import Tensor

from ._errors import ArgumentRuntimeError
from ._image import (
    PIL_FILTERS,
    Fill,
    ImageType,
    InterpolationLike,
    InterpolationMode,
    as_planes,
    check_image,
    check_interpolation,
    get_dimensions,
    pair_size,
    pil_fill,
    pil_from_array,
    restore,
    tensor_fill,
)

_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _resized_output_size(
    height: int, width: int, size: int | Sequence[int], max_size: int | None
) -> tuple[int, int]:
    if isinstance(size, int) or len(size) == 1:
        target = size if isinstance(size, int) else size[0]
        if not isinstance(target, int) or target <= 0:
            raise ValueError(f"size must be a positive int, got {size}")
        short, long = sorted((height, width))
        new_short, new_long = target, int(target * long / short)
        if max_size is not None:
            if max_size <= target:
                raise ValueError(f"max_size ({max_size}) must be greater than size ({target})")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if height <= width else (new_long, new_short)
    if max_size is not None:
        raise ValueError(f"max_size only applies when size is one int, got size={size}")
    return pair_size(size, "size")


def resize(
    img: ImageType,
    size: int | Sequence[int],
    interpolation: InterpolationLike = InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool = True,
) -> ImageType:
    """Resize an image.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        size: ``(h, w)``, or an int: the smaller edge becomes ``size`` and the larger keeps the
            aspect ratio (rounded down).
        interpolation: see the module docstring.
        max_size: with an int ``size``, the larger edge is capped at this, shrinking the smaller.
        antialias: low-pass filter tensors when downsampling with bilinear or bicubic
            interpolation; PIL always does.

    Returns:
        The resized image, of the input's type and dtype.
    """
    check_image(img)
    interpolation = check_interpolation(interpolation, img, list(PIL_FILTERS))
    _, height, width = get_dimensions(img)
    out_h, out_w = _resized_output_size(height, width, size, max_size)
    if (out_h, out_w) == (height, width):
        return img
    if isinstance(img, Image.Image):
        return img.resize((out_w, out_h), PIL_FILTERS[interpolation])
    smooth = interpolation in ("bilinear", "bicubic")
    x = nnf.interpolate(
        as_planes(img),
        size=(out_h, out_w),
        mode=interpolation,
        align_corners=False if smooth else None,
        antialias=antialias and smooth,
    )
    return restore(x, img)


def _pad_indices(size: int, before: int, after: int, mode: str) -> Tensor:
    """Source index of each position of a padded axis: ``arange(-before, size + after)`` folded
    back into ``[0, size)`` by ``mode``; folding repeats, so any amount of padding works."""
    positions = torch.arange(-before, size + after)
    if mode == "edge" or size == 1:
        return positions.clamp(0, size - 1)
    if mode == "reflect":  # mirror about the edge pixels: period 2 * (size - 1)
        positions = positions.remainder(2 * size - 2)
        return torch.where(positions < size, positions, 2 * size - 2 - positions)
    positions = positions.remainder(2 * size)  # symmetric: mirror about the edges themselves
    return torch.where(positions < size, positions, 2 * size - 1 - positions)


def parse_padding(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` from an int or a sequence of 1, 2 or 4 ints."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        values = [padding]
    elif isinstance(padding, (tuple, list)):
        values = list(padding)
    else:
        raise TypeError(f"padding must be an int or a sequence of ints, got {padding!r}")
    if len(values) not in (1, 2, 4):
        raise ValueError(
            "padding must be an int or a sequence of 1, 2 (left/right, top/bottom) or 4 (left, "
            f"top, right, bottom) ints, got {len(values)} values: {padding}"
        )
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(f"padding must hold ints, got {padding!r}")
    if len(values) < 4:
        values = values * 4 if len(values) == 1 else values * 2
    return values[0], values[1], values[2], values[3]


def pad(
    img: ImageType,
    padding: int | Sequence[int],
    fill: Fill = 0,
    padding_mode: str = "constant",
) -> ImageType:
    """Pad the borders of an image; negative padding crops that border instead.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        padding: one int for all sides, ``(all)``, ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``.
        fill: value (or one value per channel) of the padding in ``"constant"`` mode.
        padding_mode: ``"constant"``; ``"edge"`` repeats the border pixel; ``"reflect"`` mirrors
            about it (``[1, 2, 3]`` padded by 2 is ``[3, 2, 1, 2, 3, 2, 1]``); ``"symmetric"``
            mirrors about the border (``[2, 1, 1, 2, 3, 3, 2]``). Mirroring repeats, so any
            amount of padding works.

    Returns:
        The padded image, of the input's type, mode and dtype.

    Raises:
        TypeError: ``padding``, ``fill`` or ``padding_mode`` of the wrong type.
        ValueError: a ``padding`` sequence of another length, an unknown ``padding_mode``, or
            negative padding that crops the whole image.
    """
    check_image(img)
    if not isinstance(padding_mode, str):
        raise TypeError(f"padding_mode must be a str, got {type(padding_mode).__name__}")
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {list(_PAD_MODES)}, got {padding_mode!r}")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list, Tensor)):
        raise TypeError(f"fill must be a number or a sequence of numbers, got {fill!r}")
    sides = parse_padding(padding)
    if min(sides) < 0:
        _, height, width = get_dimensions(img)
        left, top, right, bottom = (max(-side, 0) for side in sides)
        if left + right >= width or top + bottom >= height:
            raise ValueError(f"negative padding {padding} crops all of a {height}x{width} image")
        img = crop(img, top, left, height - top - bottom, width - left - right)
    left, top, right, bottom = (max(side, 0) for side in sides)
    _, height, width = get_dimensions(img)
    out_h, out_w = height + top + bottom, width + left + right
    if isinstance(img, Image.Image):
        if padding_mode == "constant":
            out = Image.new(img.mode, (out_w, out_h), pil_fill(fill, img))
            if img.mode == "P":
                out.putpalette(img.getpalette())
            out.paste(img, (left, top))
            return out
        array = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
        return pil_from_array(np.pad(array, widths, mode=padding_mode), img)
    if padding_mode == "constant":
        value = tensor_fill(fill, img, torch.float64)
        _check_fill_fits(value, img.dtype, fill)
        out_shape = (*img.shape[:-2], out_h, out_w)
        if value.dim() == 0:
            # A filled canvas and one copy: as fast as torch's constant pad on small borders,
            # up to 2.5x faster on large ones (a zoom out).
            out = img.new_full(out_shape, value.item())
        else:
            out = img.new_empty(out_shape)
            out.copy_(value.expand_as(out))
        out[..., top : top + height, left : left + width] = img
        return out
    fits = max(top, bottom) < height and max(left, right) < width
    if (padding_mode == "edge" or (padding_mode == "reflect" and fits)) and (
        img.dtype != torch.bool and img.numel() > 0
    ):  # torch's own kernels, far faster than gathering; they reflect only once
        mode = "replicate" if padding_mode == "edge" else "reflect"
        out = nnf.pad(img.reshape(-1, height, width), [left, right, top, bottom], mode=mode)
        return out.reshape(*img.shape[:-2], out_h, out_w)
    rows = _pad_indices(height, top, bottom, padding_mode).to(img.device)
    cols = _pad_indices(width, left, right, padding_mode).to(img.device)
    return img.index_select(-2, rows).index_select(-1, cols)


def _check_fill_fits(value: Tensor, dtype: torch.dtype, fill: Fill) -> None:
    """A fill an integer image cannot hold would wrap around: refuse it, as torch does."""
    if dtype.is_floating_point or dtype == torch.bool:
        return
    info = torch.iinfo(dtype)
    if bool(((value < info.min) | (value > info.max)).any()):
        raise ArgumentRuntimeError(
            f"fill {fill} does not fit the image's dtype {dtype} ({info.min} to {info.max})"
        )


def crop(img: ImageType, top: int, left: int, height: int, width: int) -> ImageType:
    """The ``height x width`` region of an image whose top-left corner is ``(top, left)``; parts
    outside the image are zero."""
    check_image(img)
    if height <= 0 or width <= 0:
        raise ValueError(f"crop height and width must be positive, got {height} and {width}")
    if isinstance(img, Image.Image):
        return img.crop((left, top, left + width, top + height))
    _, image_h, image_w = get_dimensions(img)
    outside = [max(-left, 0), max(-top, 0), max(left + width - image_w, 0)]
    outside.append(max(top + height - image_h, 0))
    if any(outside):
        img = pad(img, outside)
        top, left = top + outside[1], left + outside[0]
    return img[..., top : top + height, left : left + width]


def center_crop(img: ImageType, output_size: int | Sequence[int]) -> ImageType:
    """The central ``output_size = (h, w)`` region of an image (zero-padded when larger); odd
    margins put the extra pixel after the crop."""
    crop_h, crop_w = pair_size(output_size, "output_size")
    _, height, width = get_dimensions(img)
    if crop_h > height or crop_w > width:
        grow_w, grow_h = max(crop_w - width, 0), max(crop_h - height, 0)
        img = pad(img, [grow_w // 2, grow_h // 2, (grow_w + 1) // 2, (grow_h + 1) // 2])
        _, height, width = get_dimensions(img)
    # round() as torchvision does: halves go to the even neighbour.
    top, left = round((height - crop_h) / 2.0), round((width - crop_w) / 2.0)
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(
    img: ImageType,
    top: int,
    left: int,
    height: int,
    width: int,
    size: int | Sequence[int],
    interpolation: InterpolationLike = InterpolationMode.BILINEAR,
    antialias: bool = True,
) -> ImageType:
    """:func:`crop` then :func:`resize` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def hflip(img: ImageType) -> ImageType:
    """Mirror an image left to right."""
    check_image(img)
    if isinstance(img, Image.Image):
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img: ImageType) -> ImageType:
    """Mirror an image top to bottom."""
    check_image(img)
    if isinstance(img, Image.Image):
        return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return img.flip(-2)


def five_crop(img: ImageType, size: int | Sequence[int]) -> tuple[ImageType, ...]:
    """The four corner crops and the central crop of ``size = (h, w)``: ``(top-left, top-right,
    bottom-left, bottom-right, centre)``."""
    crop_h, crop_w = pair_size(size, "size")
    _, height, width = get_dimensions(img)
    if crop_h > height or crop_w > width:
        raise ValueError(f"crop size {(crop_h, crop_w)} is larger than the image {(height, width)}")
    bottom, right = height - crop_h, width - crop_w
    corners = [(0, 0), (0, right), (bottom, 0), (bottom, right)]
    crops = [crop(img, top, left, crop_h, crop_w) for top, left in corners]
    return (*crops, center_crop(img, (crop_h, crop_w)))


def ten_crop(
    img: ImageType, size: int | Sequence[int], vertical_flip: bool = False
) -> tuple[ImageType, ...]:
    """:func:`five_crop` of the image, then of its mirror image (left-right, or top-bottom with
    ``vertical_flip``)."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


def erase(
    img: Tensor, i: int, j: int, h: int, w: int, v: Tensor | float, inplace: bool = False
) -> Tensor:
    """Set the ``h x w`` region of a tensor image whose top-left corner is ``(i, j)`` to ``v``
    (a number, or a tensor that broadcasts to ``[..., C, h, w]``).

    Args:
        img: ``Tensor[..., C, H, W]``.
        i, j: top row and left column of the region.
        h, w: its height and width.
        v: the erasing value.
        inplace: write into ``img`` instead of a copy.

    Returns:
        The erased image.
    """
    if not isinstance(img, Tensor):
        raise TypeError(f"img must be a Tensor, got {type(img).__name__}")
    check_image(img)
    if not inplace:
        img = img.clone()
    img[..., i : i + h, j : j + w] = v
    return img
