"""Geometric transforms: resize, crop, pad, flip, rotate and affine warps."""

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image
from torch import Tensor

from ._image import (
    PIL_FILTERS,
    Fill,
    ImageType,
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

_SAMPLE_MODES = ("nearest", "bilinear", "bicubic")  # rotate and affine, PIL and tensor alike
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
    interpolation: str = "bilinear",
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
    check_interpolation(interpolation, img, list(PIL_FILTERS))
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


def _parse_padding(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    values = [padding] if isinstance(padding, int) else list(padding)
    if len(values) in (1, 2):
        values = (values * 2) if len(values) == 2 else values * 4
    if len(values) != 4 or not all(isinstance(v, int) and v >= 0 for v in values):
        raise ValueError(
            "padding must be a non-negative int or a sequence of 2 (left/right, top/bottom) or "
            f"4 (left, top, right, bottom) non-negative ints, got {padding}"
        )
    return values[0], values[1], values[2], values[3]


def pad(
    img: ImageType,
    padding: int | Sequence[int],
    fill: Fill = 0,
    padding_mode: str = "constant",
) -> ImageType:
    """Pad the borders of an image.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        padding: one int for all sides, ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``.
        fill: value (or one value per channel) of the padding in ``"constant"`` mode.
        padding_mode: ``"constant"``; ``"edge"`` repeats the border pixel; ``"reflect"`` mirrors
            about it (``[1, 2, 3]`` padded by 2 is ``[3, 2, 1, 2, 3, 2, 1]``); ``"symmetric"``
            mirrors about the border (``[2, 1, 1, 2, 3, 3, 2]``).

    Returns:
        The padded image, of the input's type, mode and dtype.
    """
    check_image(img)
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {list(_PAD_MODES)}, got {padding_mode!r}")
    left, top, right, bottom = _parse_padding(padding)
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
        out = img.new_empty((*img.shape[:-2], out_h, out_w))
        out.copy_(tensor_fill(fill, img, torch.float64).expand_as(out))
        out[..., top : top + height, left : left + width] = img
        return out
    rows = _pad_indices(height, top, bottom, padding_mode).to(img.device)
    cols = _pad_indices(width, left, right, padding_mode).to(img.device)
    return img[..., rows[:, None], cols]


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
    interpolation: str = "bilinear",
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


def _inverse_affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> list[float]:
    """Coefficients ``(a, b, c, d, e, f)`` mapping an output point to its source:
    ``x_in = a x + b y + c``, ``y_in = d x + e y + f``.

    The forward map is ``p -> center + translate + scale * R(angle) Sy Sx (p - center)``, where R
    turns clockwise in image coordinates (y down) and ``Sx = [[1, -tan sx], [0, 1]]``,
    ``Sy = [[1, 0], [-tan sy, 1]]`` shear along x and y.
    """
    rot, shear_x, shear_y = (math.radians(a) for a in (angle, *shear))
    rotation = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    shear_x_matrix = np.array([[1.0, -math.tan(shear_x)], [0.0, 1.0]])
    shear_y_matrix = np.array([[1.0, 0.0], [-math.tan(shear_y), 1.0]])
    inverse = np.linalg.inv(scale * rotation @ shear_y_matrix @ shear_x_matrix)
    center_v = np.asarray(center, dtype=np.float64)
    offset = center_v - inverse @ (center_v + np.asarray(translate, dtype=np.float64))
    return [*inverse[0], offset[0], *inverse[1], offset[1]]


def _warp_tensor(
    img: Tensor,
    inverse: Sequence[float],
    out_size: tuple[int, int],
    interpolation: str,
    fill: Fill,
) -> Tensor:
    """Sample ``img`` at ``inverse`` applied to each output pixel centre, coordinates taken
    relative to the centres of the input and of the output image."""
    _, height, width = get_dimensions(img)
    out_h, out_w = out_size
    planes = as_planes(img)
    a, b, c, d, e, f = inverse
    xs = torch.arange(out_w, dtype=planes.dtype, device=img.device) + 0.5 - out_w / 2
    ys = torch.arange(out_h, dtype=planes.dtype, device=img.device)[:, None] + 0.5 - out_h / 2
    # align_corners=False: -1 and 1 are the outer edges of the border pixels.
    grid_x = (a * xs + b * ys + c) / (width / 2)
    grid_y = (d * xs + e * ys + f) / (height / 2)
    grid = torch.stack((grid_x, grid_y), dim=-1)[None]

    def sample(x: Tensor) -> Tensor:
        expanded = grid.expand(x.size(0), -1, -1, -1)
        return nnf.grid_sample(x, expanded, interpolation, "zeros", align_corners=False)

    # The share of each output pixel's sample inside the image; the rest takes the fill colour.
    inside = sample(planes.new_ones(1, 1, height, width))[0, 0]
    out = sample(planes).reshape(*img.shape[:-2], out_h, out_w)
    out = out + (1 - inside) * tensor_fill(fill, img, planes.dtype)
    return restore(out, img)


def rotate(
    img: ImageType,
    angle: float,
    interpolation: str = "nearest",
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Fill = None,
) -> ImageType:
    """Rotate an image counter-clockwise by ``angle`` degrees about ``center``.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        angle: degrees, counter-clockwise.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        expand: grow the output to hold the whole rotated image (as PIL does).
        center: ``(x, y)`` in pixels from the top-left corner; default the image centre.
        fill: colour of the area outside the source image; default 0.

    Returns:
        The rotated image, of the input's type and dtype.
    """
    check_image(img)
    check_interpolation(interpolation, img, _SAMPLE_MODES)
    if isinstance(img, Image.Image):
        filter_ = PIL_FILTERS[interpolation]
        return img.rotate(angle, filter_, expand, center, fillcolor=pil_fill(fill, img))
    _, height, width = get_dimensions(img)
    quarter_turns = angle / 90
    if (
        center is None
        and quarter_turns == int(quarter_turns)
        and (expand or height == width or quarter_turns % 2 == 0)
    ):  # a permutation of the pixels; PIL takes the same shortcut
        return img.rot90(int(quarter_turns) % 4, dims=(-2, -1))
    cx, cy = (width / 2, height / 2) if center is None else center
    out_size = (height, width)
    if expand:  # the bounding box of the corners, computed in the order PIL computes it
        radians = math.radians(angle)
        cos, sin = round(math.cos(radians), 15), round(math.sin(radians), 15)
        shift_x, shift_y = -cos * cx + sin * cy + cx, -sin * cx - cos * cy + cy
        corners = [(0, 0), (width, 0), (width, height), (0, height)]
        xs = [cos * x - sin * y + shift_x for x, y in corners]
        ys = [sin * x + cos * y + shift_y for x, y in corners]
        out_w = math.ceil(max(xs)) - math.floor(min(xs))
        out_size = (math.ceil(max(ys)) - math.floor(min(ys)), out_w)
    centered = (cx - width / 2, cy - height / 2)
    inverse = _inverse_affine_matrix(centered, -angle, (0.0, 0.0), 1.0, (0.0, 0.0))
    return _warp_tensor(img, inverse, out_size, interpolation, fill)


def affine(
    img: ImageType,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: str = "nearest",
    fill: Fill = None,
    center: Sequence[float] | None = None,
) -> ImageType:
    """Rotate, scale, shear and translate an image, keeping ``center`` in place.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        angle: rotation in degrees, clockwise.
        translate: ``(tx, ty)`` in pixels, applied after the rest.
        scale: overall scale, positive.
        shear: degrees; one value shears along x, ``(sx, sy)`` along x then y.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        fill: colour of the area outside the source image; default 0.
        center: ``(x, y)`` in pixels from the top-left corner; default the image centre.

    Returns:
        The transformed image, of the input's type, size and dtype.
    """
    check_image(img)
    check_interpolation(interpolation, img, _SAMPLE_MODES)
    if len(translate) != 2:
        raise ValueError(f"translate must be (tx, ty), got {translate}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    shears = [shear, 0.0] if isinstance(shear, (int, float)) else list(shear)
    if len(shears) != 2:
        raise ValueError(f"shear must be one angle or (sx, sy), got {shear}")
    _, height, width = get_dimensions(img)
    cx, cy = (width / 2, height / 2) if center is None else center
    if isinstance(img, Image.Image):
        inverse = _inverse_affine_matrix((cx, cy), angle, translate, scale, shears)
        return img.transform(
            img.size,
            Image.Transform.AFFINE,
            inverse,
            PIL_FILTERS[interpolation],
            fillcolor=pil_fill(fill, img),
        )
    centered = (cx - width / 2, cy - height / 2)
    inverse = _inverse_affine_matrix(centered, angle, translate, scale, shears)
    return _warp_tensor(img, inverse, (height, width), interpolation, fill)
