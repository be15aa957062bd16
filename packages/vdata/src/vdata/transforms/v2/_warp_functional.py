"""The warping functionals of torchvision 0.29's ``transforms.v2``: ``affine``, ``rotate``,
``perspective`` and ``elastic``, and their operations on images, videos and masks.

Tensors are resampled on the grids of ``vdata.transforms._warp`` (torchvision's arithmetic, so
the outputs agree to the bit) with torchvision's v2 fill blend; masks with nearest neighbours;
PIL images by PIL. Boxes and key points move by the kernels of ``_warp_kernels``, which
registers them for ``BoundingBoxes`` and ``KeyPoints``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import PIL.Image
import torch
from torch import Tensor

from .._conversion import pil_to_tensor, to_pil_image
from .._image import PIL_FILTERS, InterpolationMode, interpolation_mode, pil_fill
from .._warp import (
    affine_grid,
    affine_matrix,
    identity_grid,
    perspective_coefficients,
    perspective_grid,
    sample_grid,
)
from ._dispatch import _dispatch, _register_images

NEAREST, BILINEAR = InterpolationMode.NEAREST, InterpolationMode.BILINEAR


# --- arguments ------------------------------------------------------------------------------


def _mode(interpolation: Any) -> str:
    """The name of ``interpolation``: a mode, its name or a PIL filter constant."""
    try:
        return interpolation_mode(interpolation).value
    except TypeError as error:  # torchvision raises ValueError for any bad interpolation
        raise ValueError(str(error)) from None


def _affine_arguments(
    angle: Any, translate: Any, scale: Any, shear: Any, center: Any
) -> tuple[float, list[float], list[float], list[float] | None]:
    """``(angle, translate, shear, center)`` checked and normalised: shear as ``[sx, sy]``."""
    if not isinstance(angle, (int, float)):
        raise TypeError(f"angle should be an int or a float, got {type(angle).__name__}")
    if not isinstance(translate, (list, tuple)):
        raise TypeError(f"translate should be a sequence (tx, ty), got {type(translate).__name__}")
    if len(translate) != 2:
        raise ValueError(f"translate should be a sequence of length 2, got {translate}")
    if scale <= 0.0:
        raise ValueError(f"scale should be positive, got {scale}")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    elif isinstance(shear, (list, tuple)):
        shear = [shear[0], shear[0]] if len(shear) == 1 else list(shear)
    else:
        raise TypeError(
            f"shear should be a number or a sequence of one or two, got {type(shear).__name__}"
        )
    if len(shear) != 2:
        raise ValueError(f"shear should be a sequence of one or two values, got {shear}")
    if center is not None:
        if not isinstance(center, (list, tuple)):
            raise TypeError(f"center should be a sequence (x, y), got {type(center).__name__}")
        center = [float(c) for c in center]
    return float(angle), list(translate), shear, center


def _check_grid_inputs(image: Tensor, mode: str, fill: Any) -> None:
    if isinstance(fill, (tuple, list)):
        channels = image.shape[-3] if image.ndim > 2 else 1
        if len(fill) > 1 and len(fill) != channels:
            raise ValueError(
                f"fill should have one value or one per channel ({channels}), got {len(fill)} "
                f"values: {fill}"
            )
    elif fill is not None and not isinstance(fill, (int, float)):
        raise ValueError(f"fill should be an int, a float, a tuple or a list, got {fill!r}")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(
            f"Interpolation mode '{mode}' is unsupported with Tensor input (nearest or bilinear)"
        )


def _grid_dtype(image: Tensor) -> torch.dtype:
    return image.dtype if image.is_floating_point() else torch.float32


def _pil_warp(image: PIL.Image.Image, method: Any, data: list[float], mode: str, fill: Any):
    filter_ = PIL_FILTERS[mode]
    return image.transform(image.size, method, data, filter_, fillcolor=pil_fill(fill, image))


def _as_mask_op(image_op):
    """The op on masks: ``image_op`` with nearest neighbours, on ``[1, H, W]`` for a 2-D mask."""

    def mask_op(mask: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        kwargs["interpolation"] = "nearest"
        if mask.ndim < 3:
            return image_op(mask.unsqueeze(0), *args, **kwargs).squeeze(0)
        return image_op(mask, *args, **kwargs)

    return mask_op


# --- affine and rotate ----------------------------------------------------------------------


def affine(
    inpt: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: Any = NEAREST,
    fill: Any = None,
    center: Sequence[float] | None = None,
) -> Any:
    """Rotate by ``angle`` degrees (clockwise), scale, shear (degrees; a number shears along
    x, ``[s]`` along both, ``[sx, sy]``) about ``center`` (``(x, y)`` in pixels, default the
    image centre), then translate by ``(tx, ty)`` pixels. The size stays; ``fill`` (a number or
    one per channel; None: zeros) colours what comes from outside the image. Masks use nearest
    neighbours; tensors take ``"nearest"`` or ``"bilinear"``. Boxes move by their corners (a
    rotated box becomes the rectangle fitted to them, its angle turned with the image) and are
    clamped as their ``clamping_mode`` says; key points move and are not clamped."""
    return _dispatch(
        affine,
        inpt,
        angle=angle,
        translate=translate,
        scale=scale,
        shear=shear,
        interpolation=interpolation,
        fill=fill,
        center=center,
    )


def _affine_image(
    image, angle, translate, scale, shear, interpolation=NEAREST, fill=None, center=None
):
    mode = _mode(interpolation)
    angle, translate, shear, center = _affine_arguments(angle, translate, scale, shear, center)
    if isinstance(image, PIL.Image.Image):
        pivot = [image.width * 0.5, image.height * 0.5] if center is None else center
        matrix = affine_matrix(pivot, angle, translate, scale, shear)
        return _pil_warp(image, PIL.Image.Transform.AFFINE, matrix, mode, fill)
    height, width = image.shape[-2:]
    # the centre in coordinates centred on the image, as the grid has them
    pivot = [0.0, 0.0] if center is None else [center[0] - width * 0.5, center[1] - height * 0.5]
    matrix = affine_matrix(pivot, angle, [float(t) for t in translate], scale, shear)
    _check_grid_inputs(image, mode, fill)
    return _warp(image, matrix, (height, width), mode, fill)


def _warp(image: Tensor, matrix: list[float], out_size: tuple[int, int], mode: str, fill: Any):
    grid = affine_grid(matrix, image.shape[-2:], out_size, _grid_dtype(image), image.device)
    return sample_grid(image, grid, mode, fill, blend="mask")


def _affine_output_size(matrix: list[float], width: int, height: int) -> tuple[int, int]:
    """``(width, height)`` holding the image's corners moved by the inverse ``matrix`` (in
    centred coordinates): float32, with the extent cut to 1e-4 before rounding outwards (so
    that a rounding error of 1e-15 does not add a pixel), as torchvision computes it."""
    half_w, half_h = 0.5 * width, 0.5 * height
    signs = [(-1, -1), (-1, 1), (1, 1), (1, -1)]
    corners = torch.tensor([[sx * half_w, sy * half_h, 1.0] for sx, sy in signs])
    moved = torch.matmul(corners, torch.tensor(matrix, dtype=torch.float).view(2, 3).T)
    low, high = moved.aminmax(dim=0)
    halves = torch.tensor((half_w, half_h))
    low.add_(halves)
    high.add_(halves)
    step = 1e-4
    high = high.mul_(1.0 / step).trunc_().mul_(step).ceil_()
    low = low.mul_(1.0 / step).trunc_().mul_(step).floor_()
    size = high.sub_(low)
    return int(size[0]), int(size[1])


_affine_mask = _as_mask_op(_affine_image)
_register_images(affine, _affine_image, _affine_mask)


def rotate(
    inpt: Any,
    angle: float,
    interpolation: Any = NEAREST,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Any = None,
) -> Any:
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (``(x, y)`` in pixels,
    default the image centre). ``expand`` grows the canvas to hold the whole rotated image
    (meant for the default centre); boxes and points then get the new canvas. Quarter turns
    about the centre are exact permutations of the pixels (``torch.rot90``). ``fill`` as for
    :func:`affine`."""
    return _dispatch(
        rotate,
        inpt,
        angle=angle,
        interpolation=interpolation,
        expand=expand,
        center=center,
        fill=fill,
    )


def _rotate_image(image, angle, interpolation=NEAREST, expand=False, center=None, fill=None):
    if isinstance(image, PIL.Image.Image):
        mode = _mode(interpolation)
        return image.rotate(
            angle, PIL_FILTERS[mode], expand, center, fillcolor=pil_fill(fill, image)
        )
    angle = angle % 360
    if center is None:  # as torchvision, before the arguments are looked at
        if angle == 0:
            return image.clone()
        if angle == 180:
            return torch.rot90(image, k=2, dims=(-2, -1))
        if (expand or image.shape[-1] == image.shape[-2]) and angle in (90, 270):
            return torch.rot90(image, k=int(angle) // 90, dims=(-2, -1))
    mode = _mode(interpolation)
    height, width = image.shape[-2:]
    pivot = [0.0, 0.0] if center is None else [center[0] - width * 0.5, center[1] - height * 0.5]
    # rotate turns counter-clockwise, affine clockwise
    matrix = affine_matrix(pivot, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    _check_grid_inputs(image, mode, fill)
    out_w, out_h = _affine_output_size(matrix, width, height) if expand else (width, height)
    return _warp(image, matrix, (out_h, out_w), mode, fill)


_rotate_mask = _as_mask_op(_rotate_image)
_register_images(rotate, _rotate_image, _rotate_mask)


# --- perspective ----------------------------------------------------------------------------


def perspective(
    inpt: Any,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    interpolation: Any = BILINEAR,
    fill: Any = None,
    coefficients: Sequence[float] | None = None,
) -> Any:
    """Warp so that the four ``startpoints`` (``[x, y]``: top-left, top-right, bottom-right,
    bottom-left) land on the ``endpoints``; or, with both None, by the eight ``coefficients``
    ``(a, b, c, d, e, f, g, h)`` of the map from an output point ``(x, y)`` to its source
    ``((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``. The size
    stays; ``fill`` as for :func:`affine`."""
    return _dispatch(
        perspective,
        inpt,
        startpoints=startpoints,
        endpoints=endpoints,
        interpolation=interpolation,
        fill=fill,
        coefficients=coefficients,
    )


def _coefficients(startpoints, endpoints, coefficients) -> list[float]:
    corners_given = startpoints is not None and endpoints is not None
    if coefficients is not None:
        if corners_given:
            raise ValueError(
                "Pass either startpoints and endpoints or coefficients to perspective, not both"
            )
        if len(coefficients) != 8:
            raise ValueError(f"coefficients should be 8 floats, got {len(coefficients)}")
        return list(coefficients)
    if not corners_given:
        raise ValueError("perspective needs startpoints and endpoints, or coefficients")
    return perspective_coefficients(startpoints, endpoints)


def _perspective_image(
    image, startpoints, endpoints, interpolation=BILINEAR, fill=None, coefficients=None
):
    coefficients = _coefficients(startpoints, endpoints, coefficients)
    mode = _mode(interpolation)
    if isinstance(image, PIL.Image.Image):
        return _pil_warp(image, PIL.Image.Transform.PERSPECTIVE, coefficients, mode, fill)
    _check_grid_inputs(image, mode, fill)
    grid = perspective_grid(coefficients, image.shape[-2:], _grid_dtype(image), image.device)
    return sample_grid(image, grid, mode, fill, blend="mask")


_perspective_mask = _as_mask_op(_perspective_image)
_register_images(perspective, _perspective_image, _perspective_mask)


# --- elastic --------------------------------------------------------------------------------


def elastic(
    inpt: Any, displacement: Tensor, interpolation: Any = BILINEAR, fill: Any = None
) -> Any:
    """Sample each output pixel at its own position plus ``displacement``, a
    ``Tensor[1, H, W, 2]`` of ``(dx, dy)`` in grid_sample's units (2 is the image's width or
    height); ``fill`` as for :func:`affine`. Boxes and points move the other way, by the
    displacement at the pixel they fall on (an approximate inverse: boxes take the pixel at
    their corners rounded up, a rotated box at its centre alone, keeping its sides and angle;
    points the one at their coordinates rounded down)."""
    return _dispatch(
        elastic, inpt, displacement=displacement, interpolation=interpolation, fill=fill
    )


elastic_transform = elastic


def _check_displacement(displacement: Any, size: Sequence[int]) -> None:
    if not isinstance(displacement, Tensor):
        raise TypeError(f"displacement should be a Tensor, got {type(displacement).__name__}")
    expected = (1, size[0], size[1], 2)
    if tuple(displacement.shape) != expected:
        raise ValueError(
            f"displacement should be Tensor{list(expected)} for a {size[0]}x{size[1]} input, "
            f"got Tensor{list(displacement.shape)}"
        )


def _elastic_image(image, displacement, interpolation=BILINEAR, fill=None):
    if isinstance(image, PIL.Image.Image):
        warped = _elastic_image(pil_to_tensor(image), displacement, interpolation, fill)
        return to_pil_image(warped, mode=image.mode)
    if not isinstance(displacement, Tensor):
        raise TypeError(f"displacement should be a Tensor, got {type(displacement).__name__}")
    mode = _mode(interpolation)
    dtype = _grid_dtype(image)
    half_on_cpu = image.device.type == "cpu" and dtype == torch.float16
    if half_on_cpu:  # grid_sample has no float16 kernel on the CPU
        image, dtype = image.to(torch.float32), torch.float32
    _check_displacement(displacement, image.shape[-2:])
    grid = identity_grid(image.shape[-2:], dtype, image.device)
    grid.add_(displacement.to(dtype=dtype, device=image.device))
    out = sample_grid(image, grid, mode, fill, blend="mask")
    return out.to(torch.float16) if half_on_cpu else out


_elastic_mask = _as_mask_op(_elastic_image)
_register_images(elastic, _elastic_image, _elastic_mask)
