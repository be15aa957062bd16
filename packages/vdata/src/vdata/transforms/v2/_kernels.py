"""The per-kind kernels of the v2 functionals, under torchvision 0.29's names and signatures:
``resize_image``, ``resize_mask``, ``resize_bounding_boxes``, ``adjust_hue_video``, ...

They take plain tensors and return plain tensors. Boxes and points come with the metadata a
typed tensor would carry (``format``, ``canvas_size``), and their geometry kernels return
``(output, canvas_size)``; the flips, which keep the canvas, return the output alone, as
torchvision's do.

A video kernel is its image kernel under another name (a video is images with a leading time
dimension), and so is a mask kernel wherever masks take the image operation unchanged; the
kernels are the operations the functionals dispatch to, not copies of them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ... import tv_tensors
from .. import functional as F1
from .._geometry import parse_padding
from .._image import InterpolationMode
from . import _boxes
from . import _color_functional as CF
from ._augment import _jpeg_tensor
from ._crop_functional import _five_crop, _ten_crop
from .functional import (
    _center_crop_origin,
    _crop_size,
    _output_size,
    _resize_image,
    _resize_mask,
    _to_dtype_image,
)

BoxFormat = tv_tensors.BoundingBoxFormat
Canvas = tuple[int, int]


def _renamed(operation: Callable, name: str, first: str, doc: str) -> Callable:
    """``operation`` published as ``name`` with its first parameter called ``first``
    (``image``, ``video``, ``mask``), so that it answers to that keyword as torchvision's
    kernels do."""
    signature = inspect.signature(operation)
    parameters = list(signature.parameters.values())
    parameters[0] = parameters[0].replace(name=first)

    def kernel(*args, **kwargs):
        if first in kwargs:
            args = (kwargs.pop(first), *args)
        return operation(*args, **kwargs)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__module__ = __name__
    kernel.__doc__ = doc
    kernel.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    kernel._operation = operation  # type: ignore[attr-defined]
    return kernel


def _image(operation: Callable, functional: str) -> Callable:
    """The image kernel of ``functional``: ``operation``, the tensor operation it dispatches to."""
    doc = f"Kernel of :func:`{functional}` for plain image tensors ``[..., C, H, W]``."
    return _renamed(operation, f"{functional}_image", "image", doc)


def _same_as_image(image_kernel: Callable, kind: str, shape: str) -> Callable:
    functional = image_kernel.__name__.removesuffix("_image")
    operation = getattr(image_kernel, "_operation", image_kernel)
    doc = f"Kernel of :func:`{functional}` for {kind}s ``{shape}``: the image kernel's operation."
    return _renamed(operation, f"{functional}_{kind}", kind, doc)


def _video(image_kernel: Callable) -> Callable:
    """The video kernel of an image kernel: the same operation on ``[..., T, C, H, W]``."""
    return _same_as_image(image_kernel, "video", "[..., T, C, H, W]")


def _mask(image_kernel: Callable) -> Callable:
    """The mask kernel of an image kernel whose operation masks share."""
    return _same_as_image(image_kernel, "mask", "[..., H, W]")


# --- flips ----------------------------------------------------------------------------------

horizontal_flip_image = _image(F1.hflip, "horizontal_flip")
horizontal_flip_video = _video(horizontal_flip_image)
horizontal_flip_mask = _mask(horizontal_flip_image)
vertical_flip_image = _image(F1.vflip, "vertical_flip")
vertical_flip_video = _video(vertical_flip_image)
vertical_flip_mask = _mask(vertical_flip_image)


def horizontal_flip_bounding_boxes(
    bounding_boxes: Tensor, format: BoxFormat, canvas_size: Canvas
) -> Tensor:
    """Boxes ``Tensor[..., 4]`` in ``format`` mirrored left to right on their canvas."""
    return _boxes.hflip(bounding_boxes, _boxes.as_format(format), canvas_size)


def vertical_flip_bounding_boxes(
    bounding_boxes: Tensor, format: BoxFormat, canvas_size: Canvas
) -> Tensor:
    """Boxes ``Tensor[..., 4]`` in ``format`` mirrored top to bottom on their canvas."""
    return _boxes.vflip(bounding_boxes, _boxes.as_format(format), canvas_size)


def horizontal_flip_keypoints(keypoints: Tensor, canvas_size: Canvas) -> Tensor:
    """Points ``Tensor[..., 2]`` mirrored left to right: ``x`` becomes ``width - 1 - x``."""
    return _boxes.points_hflip(keypoints, canvas_size)


def vertical_flip_keypoints(keypoints: Tensor, canvas_size: Canvas) -> Tensor:
    """Points ``Tensor[..., 2]`` mirrored top to bottom: ``y`` becomes ``height - 1 - y``."""
    return _boxes.points_vflip(keypoints, canvas_size)


# --- resize ---------------------------------------------------------------------------------


def resize_image(
    image: Tensor,
    size: Sequence[int] | int | None,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool | None = True,
) -> Tensor:
    """An image resized as :func:`resize` resizes it (``antialias=None`` is False)."""
    return _resize_image(image, size, interpolation, max_size, bool(antialias))


resize_video = _video(resize_image)


def resize_mask(
    mask: Tensor,
    size: Sequence[int] | int | None,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    max_size: int | None = None,
) -> Tensor:
    """A mask ``[..., H, W]`` resized by nearest neighbours: ``"nearest-exact"`` if asked for,
    else ``"nearest"`` (any other ``interpolation``, the default included, becomes it)."""
    return _resize_mask(mask, size, interpolation, max_size, False)


def resize_keypoints(
    keypoints: Tensor,
    size: Sequence[int] | int | None,
    canvas_size: Canvas,
    max_size: int | None = None,
) -> tuple[Tensor, Canvas]:
    """Points scaled with their canvas resized to ``size`` (as for :func:`resize`)."""
    new_size = _output_size(canvas_size, size, max_size)
    if new_size == tuple(canvas_size):
        return keypoints, canvas_size
    return _boxes.points_resize(keypoints, canvas_size, new_size), new_size


def resize_bounding_boxes(
    bounding_boxes: Tensor,
    canvas_size: Canvas,
    size: Sequence[int] | int | None,
    max_size: int | None = None,
    format: BoxFormat = BoxFormat.XYXY,
    clamping_mode: str | None = "soft",
) -> tuple[Tensor, Canvas]:
    """Boxes scaled with their canvas resized to ``size``. ``clamping_mode`` is torchvision's
    argument for rotated boxes; axis-aligned boxes stay inside a scaled canvas."""
    new_size = _output_size(canvas_size, size, max_size)
    if new_size == tuple(canvas_size):
        return bounding_boxes, canvas_size
    fmt = _boxes.as_format(format)
    return _boxes.resize(bounding_boxes, fmt, canvas_size, new_size, clamping_mode), new_size


# --- crops ----------------------------------------------------------------------------------

crop_image = _image(F1.crop, "crop")
crop_video = _video(crop_image)
crop_mask = _mask(crop_image)


def crop_keypoints(
    keypoints: Tensor, top: int, left: int, height: int, width: int
) -> tuple[Tensor, Canvas]:
    """Points moved to the ``height x width`` crop at ``(top, left)`` (not clamped)."""
    return _boxes.points_shift(keypoints, -left, -top), (height, width)


def crop_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    top: int,
    left: int,
    height: int,
    width: int,
    clamping_mode: str | None = "soft",
) -> tuple[Tensor, Canvas]:
    """Boxes moved to the ``height x width`` crop at ``(top, left)`` and clamped to it
    (``clamping_mode=None``: not clamped)."""
    size = (height, width)
    fmt = _boxes.as_format(format)
    return _boxes.crop(bounding_boxes, fmt, top, left, size, clamping_mode), size


center_crop_image = _image(F1.center_crop, "center_crop")
center_crop_video = _video(center_crop_image)
center_crop_mask = _mask(center_crop_image)


def _center_crop_box(canvas_size: Canvas, output_size: Sequence[int] | int) -> tuple[int, ...]:
    """``(top, left, height, width)`` of the central crop."""
    size = _crop_size(output_size)
    return (*_center_crop_origin(canvas_size, size), *size)


def center_crop_keypoints(
    inpt: Tensor, canvas_size: Canvas, output_size: Sequence[int] | int
) -> tuple[Tensor, Canvas]:
    """Points moved to the central ``output_size`` crop of their canvas."""
    return crop_keypoints(inpt, *_center_crop_box(canvas_size, output_size))


def center_crop_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    canvas_size: Canvas,
    output_size: Sequence[int] | int,
    clamping_mode: str | None = "soft",
) -> tuple[Tensor, Canvas]:
    """Boxes moved to the central ``output_size`` crop of their canvas and clamped to it."""
    box = _center_crop_box(canvas_size, output_size)
    return crop_bounding_boxes(bounding_boxes, format, *box, clamping_mode=clamping_mode)


def resized_crop_image(
    image: Tensor,
    top: int,
    left: int,
    height: int,
    width: int,
    size: Sequence[int] | int,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    antialias: bool | None = True,
) -> Tensor:
    """The ``height x width`` crop at ``(top, left)`` resized to ``size``."""
    cropped = crop_image(image, top, left, height, width)
    return resize_image(cropped, size, interpolation, antialias=antialias)


resized_crop_video = _video(resized_crop_image)


def resized_crop_mask(
    mask: Tensor, top: int, left: int, height: int, width: int, size: Sequence[int] | int
) -> Tensor:
    """The crop of a mask resized to ``size`` by nearest neighbours."""
    return resize_mask(crop_mask(mask, top, left, height, width), size)


def resized_crop_keypoints(
    keypoints: Tensor, top: int, left: int, height: int, width: int, size: Sequence[int] | int
) -> tuple[Tensor, Canvas]:
    """Points moved to the crop, then scaled with it to ``size``."""
    moved, canvas_size = crop_keypoints(keypoints, top, left, height, width)
    return resize_keypoints(moved, size, canvas_size)


def resized_crop_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    top: int,
    left: int,
    height: int,
    width: int,
    size: Sequence[int] | int,
    clamping_mode: str | None = "soft",
) -> tuple[Tensor, Canvas]:
    """Boxes moved to the crop and clamped to it, then scaled with it to ``size``."""
    moved, canvas_size = crop_bounding_boxes(
        bounding_boxes, format, top, left, height, width, clamping_mode
    )
    return resize_bounding_boxes(moved, canvas_size, size, format=format)


five_crop_image = _image(_five_crop, "five_crop")
five_crop_video = _video(five_crop_image)
ten_crop_image = _image(_ten_crop, "ten_crop")
ten_crop_video = _video(ten_crop_image)


# --- pad ------------------------------------------------------------------------------------


def pad_image(
    image: Tensor,
    padding: Sequence[int] | int,
    fill: float | Sequence[float] | None = None,
    padding_mode: str = "constant",
) -> Tensor:
    """An image padded as :func:`pad` pads it (``fill=None`` is 0)."""
    return F1.pad(image, padding, fill, padding_mode)


pad_video = _video(pad_image)


def pad_mask(
    mask: Tensor,
    padding: Sequence[int] | int,
    fill: float | None = None,
    padding_mode: str = "constant",
) -> Tensor:
    """A mask ``[..., H, W]`` padded with one ``fill`` value (a sequence is refused)."""
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    return pad_image(mask, padding, fill, padding_mode)


def _padded_canvas(
    canvas_size: Canvas, padding: Sequence[int] | int, padding_mode: str, what: str
) -> tuple[int, int, Canvas]:
    """``(left, top, canvas size)`` of a constant padding of the canvas."""
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with {what}")
    left, top, right, bottom = parse_padding(padding)
    height, width = canvas_size
    return left, top, (height + top + bottom, width + left + right)


def pad_keypoints(
    keypoints: Tensor,
    canvas_size: Canvas,
    padding: Sequence[int] | int,
    padding_mode: str = "constant",
) -> tuple[Tensor, Canvas]:
    """Points moved with their canvas padded (``padding_mode="constant"`` only)."""
    left, top, size = _padded_canvas(canvas_size, padding, padding_mode, "KeyPoints")
    return _boxes.points_shift(keypoints, left, top), size


def pad_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    canvas_size: Canvas,
    padding: Sequence[int] | int,
    padding_mode: str = "constant",
    clamping_mode: str | None = "soft",
) -> tuple[Tensor, Canvas]:
    """Boxes moved with their canvas padded (``padding_mode="constant"`` only), clamped to it."""
    left, top, size = _padded_canvas(canvas_size, padding, padding_mode, "bounding boxes")
    fmt = _boxes.as_format(format)
    return _boxes.pad(bounding_boxes, fmt, left, top, size, clamping_mode), size


# --- colour, blur, noise, normalisation, erasing, JPEG ---------------------------------------

adjust_brightness_image = _image(CF._brightness_tensor, "adjust_brightness")
adjust_brightness_video = _video(adjust_brightness_image)
adjust_contrast_image = _image(CF._contrast_tensor, "adjust_contrast")
adjust_contrast_video = _video(adjust_contrast_image)
adjust_saturation_image = _image(CF._saturation_tensor, "adjust_saturation")
adjust_saturation_video = _video(adjust_saturation_image)
adjust_hue_image = _image(CF._hue_tensor, "adjust_hue")
adjust_hue_video = _video(adjust_hue_image)
adjust_gamma_image = _image(CF._gamma_tensor, "adjust_gamma")
adjust_gamma_video = _video(adjust_gamma_image)
adjust_sharpness_image = _image(CF._sharpness_tensor, "adjust_sharpness")
adjust_sharpness_video = _video(adjust_sharpness_image)
autocontrast_image = _image(CF._autocontrast_tensor, "autocontrast")
autocontrast_video = _video(autocontrast_image)
equalize_image = _image(CF._equalize_tensor, "equalize")
equalize_video = _video(equalize_image)
invert_image = _image(CF._invert_tensor, "invert")
invert_video = _video(invert_image)
permute_channels_image = _image(CF._permute_tensor, "permute_channels")
permute_channels_video = _video(permute_channels_image)
posterize_image = _image(CF._posterize_tensor, "posterize")
posterize_video = _video(posterize_image)
solarize_image = _image(CF._solarize_tensor, "solarize")
solarize_video = _video(solarize_image)
rgb_to_grayscale_image = _image(CF._grayscale_tensor, "rgb_to_grayscale")
grayscale_to_rgb_image = _image(CF._grayscale_to_rgb_tensor, "grayscale_to_rgb")
gaussian_blur_image = _image(CF._blur_tensor, "gaussian_blur")
gaussian_blur_video = _video(gaussian_blur_image)
gaussian_noise_image = _image(CF._noise_tensor, "gaussian_noise")
gaussian_noise_video = _video(gaussian_noise_image)
normalize_image = _image(CF._normalize_tensor, "normalize")
normalize_video = _video(normalize_image)
erase_image = _image(F1.erase, "erase")
erase_video = _video(erase_image)
jpeg_image = _image(_jpeg_tensor, "jpeg")
jpeg_video = _video(jpeg_image)


# --- dtypes ---------------------------------------------------------------------------------


def to_dtype_image(
    image: Tensor, dtype: torch.dtype = torch.float32, scale: bool = False
) -> Tensor:
    """An image in ``dtype``; with ``scale``, its value range converted too, as :func:`to_dtype`
    converts it."""
    return _to_dtype_image(image, dtype, scale)


to_dtype_video = _video(to_dtype_image)


def convert_image_dtype(image: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Deprecated in torchvision for ``to_dtype(image, dtype, scale=True)``, which it is (v2's
    scaling: integers to floats by the reciprocal of the largest value, integers by bits)."""
    return to_dtype_image(image, dtype, scale=True)


__all__ = [
    "adjust_brightness_image",
    "adjust_brightness_video",
    "adjust_contrast_image",
    "adjust_contrast_video",
    "adjust_gamma_image",
    "adjust_gamma_video",
    "adjust_hue_image",
    "adjust_hue_video",
    "adjust_saturation_image",
    "adjust_saturation_video",
    "adjust_sharpness_image",
    "adjust_sharpness_video",
    "autocontrast_image",
    "autocontrast_video",
    "center_crop_bounding_boxes",
    "center_crop_image",
    "center_crop_keypoints",
    "center_crop_mask",
    "center_crop_video",
    "convert_image_dtype",
    "crop_bounding_boxes",
    "crop_image",
    "crop_keypoints",
    "crop_mask",
    "crop_video",
    "equalize_image",
    "equalize_video",
    "erase_image",
    "erase_video",
    "five_crop_image",
    "five_crop_video",
    "gaussian_blur_image",
    "gaussian_blur_video",
    "gaussian_noise_image",
    "gaussian_noise_video",
    "grayscale_to_rgb_image",
    "horizontal_flip_bounding_boxes",
    "horizontal_flip_image",
    "horizontal_flip_keypoints",
    "horizontal_flip_mask",
    "horizontal_flip_video",
    "invert_image",
    "invert_video",
    "jpeg_image",
    "jpeg_video",
    "normalize_image",
    "normalize_video",
    "pad_bounding_boxes",
    "pad_image",
    "pad_keypoints",
    "pad_mask",
    "pad_video",
    "permute_channels_image",
    "permute_channels_video",
    "posterize_image",
    "posterize_video",
    "resize_bounding_boxes",
    "resize_image",
    "resize_keypoints",
    "resize_mask",
    "resize_video",
    "resized_crop_bounding_boxes",
    "resized_crop_image",
    "resized_crop_keypoints",
    "resized_crop_mask",
    "resized_crop_video",
    "rgb_to_grayscale_image",
    "solarize_image",
    "solarize_video",
    "ten_crop_image",
    "ten_crop_video",
    "to_dtype_image",
    "to_dtype_video",
    "vertical_flip_bounding_boxes",
    "vertical_flip_image",
    "vertical_flip_keypoints",
    "vertical_flip_mask",
    "vertical_flip_video",
]
