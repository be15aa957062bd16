"""The v2 functionals: one function per operation, for every input type (plain tensors and PIL
images as images, and each typed tensor), with torchvision 0.29's names.

Each dispatches on the input's type to a kernel; :func:`register_kernel` adds one for a new
type. Typed inputs come back typed, with their metadata updated (a crop's boxes get the crop's
canvas size).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import PIL.Image
import torch
from torch import Tensor

from ... import tv_tensors
from .. import functional as F1
from .._geometry import _resized_output_size, parse_padding
from .._image import InterpolationMode, interpolation_mode
from . import _boxes
from ._dispatch import _dispatch, _plain, _register_images, register_kernel


def get_size(inpt: Any) -> list[int]:
    """``[height, width]`` of an image, video, mask, or of the canvas of boxes or points."""
    return _dispatch(get_size, inpt)


def _size_of_image(inpt: Any) -> list[int]:
    if isinstance(inpt, PIL.Image.Image):
        return [inpt.height, inpt.width]
    return list(inpt.shape[-2:])


for _cls in (Tensor, PIL.Image.Image, tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask):
    register_kernel(get_size, _cls)(_size_of_image)
register_kernel(get_size, tv_tensors.BoundingBoxes)(lambda boxes: list(boxes.canvas_size))
register_kernel(get_size, tv_tensors.KeyPoints)(lambda points: list(points.canvas_size))


def horizontal_flip(inpt: Any) -> Any:
    """Mirror left to right."""
    return _dispatch(horizontal_flip, inpt)


def vertical_flip(inpt: Any) -> Any:
    """Mirror top to bottom."""
    return _dispatch(vertical_flip, inpt)


_register_images(horizontal_flip, F1.hflip)
_register_images(vertical_flip, F1.vflip)


@register_kernel(horizontal_flip, tv_tensors.BoundingBoxes)
def _hflip_boxes(boxes: tv_tensors.BoundingBoxes) -> tv_tensors.BoundingBoxes:
    return tv_tensors.wrap(_boxes.hflip(_plain(boxes), boxes.format, boxes.canvas_size), like=boxes)


@register_kernel(vertical_flip, tv_tensors.BoundingBoxes)
def _vflip_boxes(boxes: tv_tensors.BoundingBoxes) -> tv_tensors.BoundingBoxes:
    return tv_tensors.wrap(_boxes.vflip(_plain(boxes), boxes.format, boxes.canvas_size), like=boxes)


@register_kernel(horizontal_flip, tv_tensors.KeyPoints)
def _hflip_points(points: tv_tensors.KeyPoints) -> tv_tensors.KeyPoints:
    return tv_tensors.wrap(_boxes.points_hflip(_plain(points), points.canvas_size), like=points)


@register_kernel(vertical_flip, tv_tensors.KeyPoints)
def _vflip_points(points: tv_tensors.KeyPoints) -> tv_tensors.KeyPoints:
    return tv_tensors.wrap(_boxes.points_vflip(_plain(points), points.canvas_size), like=points)


def _output_size(
    canvas: Sequence[int], size: int | Sequence[int] | None, max_size: int | None
) -> tuple[int, int]:
    height, width = canvas
    if size is None:
        if max_size is None:
            raise ValueError("size can only be None if max_size is also given")
        short, long = sorted((height, width))
        new_short, new_long = int(max_size * short / long), max_size
        return (new_short, new_long) if height <= width else (new_long, new_short)
    return _resized_output_size(height, width, size, max_size)


def resize(
    inpt: Any,
    size: int | Sequence[int] | None,
    interpolation: Any = "bilinear",
    max_size: int | None = None,
    antialias: bool = True,
) -> Any:
    """Resize to ``size`` (``(h, w)``, or the smaller edge's length keeping the aspect ratio;
    None with ``max_size``: the larger edge's). Masks are resized with nearest neighbours."""
    return _dispatch(resize, inpt, size, interpolation, max_size, antialias)


def _resize_image(inpt, size, interpolation, max_size, antialias):
    out_size = _output_size(_size_of_image(inpt), size, max_size)
    return F1.resize(inpt, list(out_size), interpolation, None, antialias)


def _resize_mask(inpt, size, interpolation, max_size, antialias):
    # Nearest neighbours: "nearest-exact" if asked for, any other mode becomes "nearest".
    mode = interpolation_mode(interpolation)
    if mode is not InterpolationMode.NEAREST_EXACT:
        mode = InterpolationMode.NEAREST
    return _resize_image(inpt, size, mode, max_size, False)


_register_images(resize, _resize_image, _resize_mask)


@register_kernel(resize, tv_tensors.BoundingBoxes)
def _resize_boxes(boxes, size, interpolation=None, max_size=None, antialias=True):
    new_size = _output_size(boxes.canvas_size, size, max_size)
    canvas = boxes.canvas_size
    out = _boxes.resize(_plain(boxes), boxes.format, canvas, new_size, boxes.clamping_mode)
    return tv_tensors.wrap(out, like=boxes, canvas_size=new_size)


@register_kernel(resize, tv_tensors.KeyPoints)
def _resize_points(points, size, interpolation=None, max_size=None, antialias=True):
    new_size = _output_size(points.canvas_size, size, max_size)
    out = _boxes.points_resize(_plain(points), points.canvas_size, new_size)
    return tv_tensors.wrap(out, like=points, canvas_size=new_size)


def crop(inpt: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height x width`` region from ``(top, left)``; boxes are clamped to it."""
    return _dispatch(crop, inpt, top, left, height, width)


_register_images(crop, F1.crop)


@register_kernel(crop, tv_tensors.BoundingBoxes)
def _crop_boxes(boxes, top, left, height, width):
    size = (height, width)
    out = _boxes.crop(_plain(boxes), boxes.format, top, left, size, boxes.clamping_mode)
    return tv_tensors.wrap(out, like=boxes, canvas_size=size)


@register_kernel(crop, tv_tensors.KeyPoints)
def _crop_points(points, top, left, height, width):
    out = _boxes.points_shift(_plain(points), -left, -top)
    return tv_tensors.wrap(out, like=points, canvas_size=(height, width))


def _center_crop_origin(canvas: Sequence[int], output_size: Sequence[int]) -> tuple[int, int]:
    (height, width), (crop_height, crop_width) = canvas, output_size
    return round((height - crop_height) / 2.0), round((width - crop_width) / 2.0)


def center_crop(inpt: Any, output_size: int | Sequence[int]) -> Any:
    """The central ``output_size`` region (padded with zeros where larger than the input)."""
    return _dispatch(center_crop, inpt, output_size)


def _crop_size(output_size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(output_size, int):
        return output_size, output_size
    sizes = tuple(output_size)
    return (sizes[0], sizes[0]) if len(sizes) == 1 else (sizes[0], sizes[1])


_register_images(center_crop, F1.center_crop)


@register_kernel(center_crop, tv_tensors.BoundingBoxes)
@register_kernel(center_crop, tv_tensors.KeyPoints)
def _center_crop_geometry(inpt, output_size):
    size = _crop_size(output_size)
    top, left = _center_crop_origin(inpt.canvas_size, size)
    return crop(inpt, top, left, *size)


def pad(
    inpt: Any, padding: int | Sequence[int], fill: Any = None, padding_mode: str = "constant"
) -> Any:
    """Pad the borders (``padding`` as for the classic ``pad``; ``fill=None`` is 0); boxes and
    points move with the image, and need ``padding_mode="constant"``."""
    return _dispatch(pad, inpt, padding, fill, padding_mode)


_register_images(pad, F1.pad)


def _pad_geometry(inpt, padding, padding_mode: str) -> tuple[int, int, tuple[int, int]]:
    if padding_mode != "constant":
        raise ValueError(
            f"Padding mode '{padding_mode}' is not supported with bounding boxes or key points"
        )
    left, top, right, bottom = parse_padding(padding)
    height, width = inpt.canvas_size
    return left, top, (height + top + bottom, width + left + right)


@register_kernel(pad, tv_tensors.BoundingBoxes)
def _pad_boxes(boxes, padding, fill=0, padding_mode="constant"):
    left, top, size = _pad_geometry(boxes, padding, padding_mode)
    out = _boxes.pad(_plain(boxes), boxes.format, left, top, size, boxes.clamping_mode)
    return tv_tensors.wrap(out, like=boxes, canvas_size=size)


@register_kernel(pad, tv_tensors.KeyPoints)
def _pad_points(points, padding, fill=0, padding_mode="constant"):
    left, top, size = _pad_geometry(points, padding, padding_mode)
    return tv_tensors.wrap(
        _boxes.points_shift(_plain(points), left, top), like=points, canvas_size=size
    )


def convert_bounding_box_format(
    inpt: Tensor,
    old_format: tv_tensors.BoundingBoxFormat | str | None = None,
    new_format: tv_tensors.BoundingBoxFormat | str | None = None,
    inplace: bool = False,
) -> Tensor:
    """Boxes in ``new_format``: a ``BoundingBoxes`` (``old_format`` not given) or a plain
    tensor in ``old_format``. ``inplace`` is accepted for torchvision's signature; the result is
    always a new tensor."""
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    new_format = _boxes.as_format(new_format)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        out = _boxes.convert_format(_plain(inpt), inpt.format, new_format)
        return tv_tensors.wrap(out, like=inpt, format=new_format)
    if type(inpt) is not Tensor:
        raise TypeError(
            "Input can either be a plain tensor or a bounding box tv_tensor, but got "
            f"{type(inpt)} instead."
        )
    if old_format is None:
        raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
    return _boxes.convert_format(inpt, _boxes.as_format(old_format), new_format)


def clamp_bounding_boxes(
    inpt: Tensor,
    format: tv_tensors.BoundingBoxFormat | str | None = None,
    canvas_size: tuple[int, int] | None = None,
    clamping_mode: str | None = "auto",
) -> Tensor:
    """Boxes clamped to their canvas: a ``BoundingBoxes`` (its own format and canvas; its own
    clamping mode with ``"auto"``), or a plain tensor with ``format``, ``canvas_size`` and a
    ``clamping_mode`` of ``"soft"``, ``"hard"`` or None."""
    if clamping_mode not in (None, "soft", "hard", "auto"):
        raise ValueError(f"clamping_mode must be soft, hard, auto or None, got {clamping_mode}")
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError(
                "For bounding box tv_tensor inputs, `format` and `canvas_size` must not be passed."
            )
        mode = inpt.clamping_mode if clamping_mode == "auto" else clamping_mode
        out = _boxes.clamp(_plain(inpt), inpt.format, inpt.canvas_size, mode)
        return tv_tensors.wrap(out, like=inpt)
    if format is None or canvas_size is None or clamping_mode == "auto":
        raise ValueError(
            "For pure tensor inputs, `format`, `canvas_size` and `clamping_mode` have to be passed."
        )
    return _boxes.clamp(inpt, _boxes.as_format(format), canvas_size, clamping_mode)


def clamp_keypoints(inpt: Tensor, canvas_size: tuple[int, int] | None = None) -> Tensor:
    """Points clamped to ``[0, width - 1] x [0, height - 1]`` of their canvas."""
    if isinstance(inpt, tv_tensors.KeyPoints):
        if canvas_size is not None:
            raise ValueError("For keypoints tv_tensor inputs, `canvas_size` must not be passed.")
        return tv_tensors.wrap(_boxes.points_clamp(_plain(inpt), inpt.canvas_size), like=inpt)
    if canvas_size is None:
        raise ValueError("For pure tensor inputs, `canvas_size` has to be passed.")
    return _boxes.points_clamp(inpt, canvas_size)


def sanitize_bounding_boxes(
    bounding_boxes: Tensor,
    format: tv_tensors.BoundingBoxFormat | str | None = None,
    canvas_size: tuple[int, int] | None = None,
    min_size: float = 1.0,
    min_area: float = 1.0,
) -> tuple[Tensor, Tensor]:
    """``(kept boxes, mask)``: the boxes at least ``min_size`` wide and high, of at least
    ``min_area``, and inside their canvas, and which they were."""
    if isinstance(bounding_boxes, tv_tensors.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError(
                "format and canvas_size must be None when bounding_boxes is a "
                "tv_tensors.BoundingBoxes instance."
            )
        valid = _boxes.sanitize_mask(
            _plain(bounding_boxes),
            bounding_boxes.format,
            bounding_boxes.canvas_size,
            min_size,
            min_area,
        )
        return tv_tensors.wrap(_plain(bounding_boxes)[valid], like=bounding_boxes), valid
    if format is None or canvas_size is None:
        raise ValueError(
            "format and canvas_size cannot be None if bounding_boxes is a pure tensor. "
            f"Got format={format} and canvas_size={canvas_size}."
        )
    valid = _boxes.sanitize_mask(
        bounding_boxes, _boxes.as_format(format), canvas_size, min_size, min_area
    )
    return bounding_boxes[valid], valid


def to_image(inpt: Any) -> tv_tensors.Image:
    """An ``Image`` from a PIL image (uint8, unscaled), an ndarray ``[H, W, C]`` or a tensor."""
    if isinstance(inpt, np.ndarray):
        inpt = torch.from_numpy(inpt).permute((2, 0, 1) if inpt.ndim == 3 else (0, 1)).contiguous()
    elif isinstance(inpt, PIL.Image.Image):
        inpt = pil_to_tensor(inpt)
    elif not isinstance(inpt, Tensor):
        raise TypeError(
            "Input can either be a pure Tensor, a numpy array, or a PIL image, but got "
            f"{type(inpt)} instead."
        )
    return tv_tensors.Image(_plain(inpt))


def to_dtype(inpt: Tensor, dtype: torch.dtype = torch.float32, scale: bool = False) -> Tensor:
    """``inpt`` in ``dtype``; with ``scale``, images and videos have their value range
    converted too (uint8 255 is float 1.0), as ``convert_image_dtype`` does."""
    return _dispatch(to_dtype, inpt, dtype, scale)


def _in_memory_order(inpt: Tensor, op: Callable[[Tensor], Tensor]) -> Tensor:
    """``op``, elementwise, on ``inpt`` permuted to its memory order and permuted back: torch
    converts the channel-interleaved views of PIL images several times slower as they are."""
    order = sorted(range(inpt.ndim), key=lambda dim: -inpt.stride(dim))
    dense = inpt.permute(order)
    if inpt.is_contiguous() or not dense.is_contiguous():
        return op(inpt)
    return op(dense).permute([order.index(dim) for dim in range(inpt.ndim)])


def _to_dtype_image(inpt: Tensor, dtype: torch.dtype, scale: bool) -> Tensor:
    if not scale or inpt.dtype == dtype:
        return _in_memory_order(inpt, lambda dense: dense.to(dtype))
    if dtype.is_floating_point and not inpt.is_floating_point():
        # v2 multiplies by the reciprocal of the largest value (v1 divides by it).
        reciprocal = 1.0 / torch.iinfo(inpt.dtype).max
        return _in_memory_order(inpt, lambda dense: dense.to(dtype).mul_(reciprocal))
    if not dtype.is_floating_point and not inpt.is_floating_point():
        return _shift_value_bits(inpt, dtype)
    return F1.convert_image_dtype(inpt, dtype)


def _value_bits(dtype: torch.dtype) -> int:
    return 1 if dtype == torch.bool else torch.iinfo(dtype).bits - int(torch.iinfo(dtype).min < 0)


def _shift_value_bits(inpt: Tensor, dtype: torch.dtype) -> Tensor:
    """Integer to integer by whole bits, as v2 scales (any widths, uint16 and uint32 too)."""
    shift = _value_bits(inpt.dtype) - _value_bits(dtype)
    # In int64: torch has no shifts for uint16 and uint32, and every value fits.
    wide = inpt.to(torch.int64)
    shifted = wide.bitwise_right_shift(shift) if shift > 0 else wide.bitwise_left_shift(-shift)
    return shifted.to(dtype)


@register_kernel(to_dtype, Tensor)
@register_kernel(to_dtype, tv_tensors.Image)
@register_kernel(to_dtype, tv_tensors.Video)
def _to_dtype_images(inpt, dtype=torch.float32, scale=False):
    out = _to_dtype_image(_plain(inpt), dtype, scale)
    return out if type(inpt) is Tensor else tv_tensors.wrap(out, like=inpt)


@register_kernel(to_dtype, tv_tensors.Mask)
@register_kernel(to_dtype, tv_tensors.BoundingBoxes)
@register_kernel(to_dtype, tv_tensors.KeyPoints)
def _to_dtype_values(inpt, dtype=torch.float32, scale=False):
    return inpt.to(dtype)  # `to` keeps the type and metadata; values are never scaled


def pil_to_tensor(pic: PIL.Image.Image) -> Tensor:
    """A PIL image as a ``Tensor[C, H, W]`` of its own dtype, values unscaled: a channel-last
    view of the pixels, as torchvision's v2 returns it (the classic ``pil_to_tensor`` copies it
    to channel-first memory)."""
    if not isinstance(pic, PIL.Image.Image):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    pixels = torch.from_numpy(np.array(pic, copy=True))
    return pixels.view(pic.height, pic.width, -1).permute(2, 0, 1)


def to_pure_tensor(inpt: Tensor) -> Tensor:
    """A typed tensor as a plain ``torch.Tensor``."""
    return _plain(inpt)


# The colour, crop and warp functionals live in their own modules, which build on the ones above:
# imported last, they join this namespace as torchvision's do.
from ..functional import to_pil_image  # noqa: E402
from ._augment import erase, jpeg  # noqa: E402
from ._color_functional import (  # noqa: E402
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    adjust_sharpness,
    autocontrast,
    equalize,
    gaussian_blur,
    gaussian_noise,
    grayscale_to_rgb,
    invert,
    normalize,
    permute_channels,
    posterize,
    rgb_to_grayscale,
    solarize,
    to_grayscale,
)
from ._conversions import to_tensor  # noqa: E402
from ._crop_functional import five_crop, resized_crop, ten_crop  # noqa: E402
from ._kernels import (  # noqa: E402
    adjust_brightness_image,
    adjust_brightness_video,
    adjust_contrast_image,
    adjust_contrast_video,
    adjust_gamma_image,
    adjust_gamma_video,
    adjust_hue_image,
    adjust_hue_video,
    adjust_saturation_image,
    adjust_saturation_video,
    adjust_sharpness_image,
    adjust_sharpness_video,
    autocontrast_image,
    autocontrast_video,
    center_crop_bounding_boxes,
    center_crop_image,
    center_crop_keypoints,
    center_crop_mask,
    center_crop_video,
    convert_image_dtype,
    crop_bounding_boxes,
    crop_image,
    crop_keypoints,
    crop_mask,
    crop_video,
    equalize_image,
    equalize_video,
    erase_image,
    erase_video,
    five_crop_image,
    five_crop_video,
    gaussian_blur_image,
    gaussian_blur_video,
    gaussian_noise_image,
    gaussian_noise_video,
    grayscale_to_rgb_image,
    horizontal_flip_bounding_boxes,
    horizontal_flip_image,
    horizontal_flip_keypoints,
    horizontal_flip_mask,
    horizontal_flip_video,
    invert_image,
    invert_video,
    jpeg_image,
    jpeg_video,
    normalize_image,
    normalize_video,
    pad_bounding_boxes,
    pad_image,
    pad_keypoints,
    pad_mask,
    pad_video,
    permute_channels_image,
    permute_channels_video,
    posterize_image,
    posterize_video,
    resize_bounding_boxes,
    resize_image,
    resize_keypoints,
    resize_mask,
    resize_video,
    resized_crop_bounding_boxes,
    resized_crop_image,
    resized_crop_keypoints,
    resized_crop_mask,
    resized_crop_video,
    rgb_to_grayscale_image,
    solarize_image,
    solarize_video,
    ten_crop_image,
    ten_crop_video,
    to_dtype_image,
    to_dtype_video,
    vertical_flip_bounding_boxes,
    vertical_flip_image,
    vertical_flip_keypoints,
    vertical_flip_mask,
    vertical_flip_video,
)
from ._keypoint_meta import sanitize_keypoints  # noqa: E402
from ._meta_functional import (  # noqa: E402
    get_dimensions,
    get_dimensions_image,
    get_dimensions_video,
    get_image_num_channels,
    get_image_size,
    get_num_channels,
    get_num_channels_image,
    get_num_channels_video,
    get_num_frames,
    get_num_frames_video,
    get_size_bounding_boxes,
    get_size_image,
    get_size_keypoints,
    get_size_mask,
    get_size_video,
)
from ._temporal import uniform_temporal_subsample, uniform_temporal_subsample_video  # noqa: E402
from ._transform import is_pure_tensor  # noqa: E402
from ._warp_functional import (  # noqa: E402
    affine,
    elastic,
    elastic_transform,
    perspective,
    rotate,
)
from ._warp_kernels import (  # noqa: E402
    affine_bounding_boxes,
    affine_image,
    affine_keypoints,
    affine_mask,
    affine_video,
    elastic_bounding_boxes,
    elastic_image,
    elastic_keypoints,
    elastic_mask,
    elastic_video,
    perspective_bounding_boxes,
    perspective_image,
    perspective_keypoints,
    perspective_mask,
    perspective_video,
    rotate_bounding_boxes,
    rotate_image,
    rotate_keypoints,
    rotate_mask,
    rotate_video,
)

# torchvision's shorter names of the flips, kept as aliases.
hflip, vflip = horizontal_flip, vertical_flip

__all__ = [
    "InterpolationMode",
    "adjust_brightness",
    "adjust_brightness_image",
    "adjust_brightness_video",
    "adjust_contrast",
    "adjust_contrast_image",
    "adjust_contrast_video",
    "adjust_gamma",
    "adjust_gamma_image",
    "adjust_gamma_video",
    "adjust_hue",
    "adjust_hue_image",
    "adjust_hue_video",
    "adjust_saturation",
    "adjust_saturation_image",
    "adjust_saturation_video",
    "adjust_sharpness",
    "adjust_sharpness_image",
    "adjust_sharpness_video",
    "affine",
    "affine_bounding_boxes",
    "affine_image",
    "affine_keypoints",
    "affine_mask",
    "affine_video",
    "autocontrast",
    "autocontrast_image",
    "autocontrast_video",
    "center_crop",
    "center_crop_bounding_boxes",
    "center_crop_image",
    "center_crop_keypoints",
    "center_crop_mask",
    "center_crop_video",
    "clamp_bounding_boxes",
    "clamp_keypoints",
    "convert_bounding_box_format",
    "convert_image_dtype",
    "crop",
    "crop_bounding_boxes",
    "crop_image",
    "crop_keypoints",
    "crop_mask",
    "crop_video",
    "elastic",
    "elastic_bounding_boxes",
    "elastic_image",
    "elastic_keypoints",
    "elastic_mask",
    "elastic_transform",
    "elastic_video",
    "equalize",
    "equalize_image",
    "equalize_video",
    "erase",
    "erase_image",
    "erase_video",
    "five_crop",
    "five_crop_image",
    "five_crop_video",
    "gaussian_blur",
    "gaussian_blur_image",
    "gaussian_blur_video",
    "gaussian_noise",
    "gaussian_noise_image",
    "gaussian_noise_video",
    "get_dimensions",
    "get_dimensions_image",
    "get_dimensions_video",
    "get_image_num_channels",
    "get_image_size",
    "get_num_channels",
    "get_num_channels_image",
    "get_num_channels_video",
    "get_num_frames",
    "get_num_frames_video",
    "get_size",
    "get_size_bounding_boxes",
    "get_size_image",
    "get_size_keypoints",
    "get_size_mask",
    "get_size_video",
    "grayscale_to_rgb",
    "grayscale_to_rgb_image",
    "hflip",
    "horizontal_flip",
    "horizontal_flip_bounding_boxes",
    "horizontal_flip_image",
    "horizontal_flip_keypoints",
    "horizontal_flip_mask",
    "horizontal_flip_video",
    "invert",
    "invert_image",
    "invert_video",
    "is_pure_tensor",
    "jpeg",
    "jpeg_image",
    "jpeg_video",
    "normalize",
    "normalize_image",
    "normalize_video",
    "pad",
    "pad_bounding_boxes",
    "pad_image",
    "pad_keypoints",
    "pad_mask",
    "pad_video",
    "permute_channels",
    "permute_channels_image",
    "permute_channels_video",
    "perspective",
    "perspective_bounding_boxes",
    "perspective_image",
    "perspective_keypoints",
    "perspective_mask",
    "perspective_video",
    "pil_to_tensor",
    "posterize",
    "posterize_image",
    "posterize_video",
    "register_kernel",
    "resize",
    "resize_bounding_boxes",
    "resize_image",
    "resize_keypoints",
    "resize_mask",
    "resize_video",
    "resized_crop",
    "resized_crop_bounding_boxes",
    "resized_crop_image",
    "resized_crop_keypoints",
    "resized_crop_mask",
    "resized_crop_video",
    "rgb_to_grayscale",
    "rgb_to_grayscale_image",
    "rotate",
    "rotate_bounding_boxes",
    "rotate_image",
    "rotate_keypoints",
    "rotate_mask",
    "rotate_video",
    "sanitize_bounding_boxes",
    "sanitize_keypoints",
    "solarize",
    "solarize_image",
    "solarize_video",
    "ten_crop",
    "ten_crop_image",
    "ten_crop_video",
    "to_dtype",
    "to_dtype_image",
    "to_dtype_video",
    "to_grayscale",
    "to_image",
    "to_pil_image",
    "to_pure_tensor",
    "to_tensor",
    "uniform_temporal_subsample",
    "uniform_temporal_subsample_video",
    "vertical_flip",
    "vertical_flip_bounding_boxes",
    "vertical_flip_image",
    "vertical_flip_keypoints",
    "vertical_flip_mask",
    "vertical_flip_video",
    "vflip",
]
