"""The warping functionals of torchvision 0.29's ``transforms.v2``: ``affine``, ``rotate``,
``perspective`` and ``elastic``, for images, videos, masks, boxes and key points.

Tensors are resampled on the grids of ``vdata.transforms._warp`` (torchvision's arithmetic, so
the outputs agree to the bit) with torchvision's v2 fill blend; masks with nearest neighbours;
PIL images by PIL. Boxes move by their four corners and become the box enclosing them, clamped
as their ``clamping_mode`` says; key points move like box corners (coordinates on the canvas,
a pixel's centre ``0.5`` past its index) and are never clamped. Axis-aligned boxes only: rotated
ones raise NotImplementedError.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import PIL.Image
import torch
from torch import Tensor

from ... import tv_tensors
from .._conversion import pil_to_tensor, to_pil_image
from .._image import PIL_FILTERS, interpolation_mode, pil_fill
from .._warp import (
    affine_grid,
    affine_matrix,
    identity_grid,
    perspective_coefficients,
    perspective_grid,
    sample_grid,
)
from . import _boxes
from ._dispatch import _dispatch, _plain, _register_images, register_kernel

XYXY = tv_tensors.BoundingBoxFormat.XYXY
_CORNERS = [[0, 1], [2, 1], [2, 3], [0, 3]]  # of an XYXY box: the (x, y) of its four corners


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


_NO_MOTION = ([0.0, 0.0], 1.0, [0.0, 0.0])  # translate, scale and shear of a pure rotation


def _check_axis_aligned(format: tv_tensors.BoundingBoxFormat, operation: str) -> None:
    if tv_tensors.is_rotated_bounding_format(format):
        raise NotImplementedError(
            f"{operation} of rotated boxes ({format.name}) is not supported by vdata yet"
        )


def _wrap_points(out: Tensor, like: Any, canvas_size: Sequence[int] | None = None) -> Any:
    metadata = {} if canvas_size is None else {"canvas_size": tuple(canvas_size)}
    return tv_tensors.wrap(out, like=like, **metadata)


# --- affine and rotate ----------------------------------------------------------------------


def affine(
    inpt: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: Any = "nearest",
    fill: Any = None,
    center: Sequence[float] | None = None,
) -> Any:
    """Rotate by ``angle`` degrees (clockwise), scale, shear (degrees; a number shears along
    x, ``[s]`` along both, ``[sx, sy]``) about ``center`` (``(x, y)`` in pixels, default the
    image centre), then translate by ``(tx, ty)`` pixels. The size stays; ``fill`` (a number or
    one per channel; None: zeros) colours what comes from outside the image. Masks use nearest
    neighbours; tensors take ``"nearest"`` or ``"bilinear"``."""
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
    image, angle, translate, scale, shear, interpolation="nearest", fill=None, center=None
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


def _affine_forward(canvas_size, angle, translate, scale, shear, center, dtype, device):
    """The arguments checked, the centre resolved, and the forward map as a transposed
    ``Tensor[3, 2]`` for ``[x, y, 1] @ map``."""
    angle, translate, shear, center = _affine_arguments(angle, translate, scale, shear, center)
    if center is None:
        center = [canvas_size[1] * 0.5, canvas_size[0] * 0.5]
    forward = affine_matrix(center, angle, translate, scale, shear, inverse=False)
    matrix = torch.tensor(forward, dtype=dtype, device=device).reshape(2, 3).T
    return matrix, (center, angle, translate, scale, shear)


def _expanded_canvas(canvas_size, matrix: Tensor, arguments) -> tuple[Tensor, tuple[int, int]]:
    """The shift ``[1, 2]`` that brings the moved canvas to the origin, and its new size.

    torchvision sizes it from the inverse map about the absolute centre, where the expanded
    image's size comes from the map about the centred origin: the same extent rounded outwards
    from other values, so that boxes and points may get a canvas a pixel larger or smaller than
    the image's. Kept, to give torchvision's metadata."""
    height, width = canvas_size
    frame = [(0.0, 0.0), (0.0, float(height)), (float(width), float(height)), (float(width), 0.0)]
    frame = torch.tensor([[x, y, 1.0] for x, y in frame], dtype=matrix.dtype, device=matrix.device)
    shift = torch.amin(torch.matmul(frame, matrix), dim=0, keepdim=True)
    new_width, new_height = _affine_output_size(affine_matrix(*arguments), width, height)
    return shift, (new_height, new_width)


def _homogeneous(points: Tensor) -> Tensor:
    """``[N, 2]`` points as ``[N, 3]`` with a column of ones (integers promote to float)."""
    ones = torch.ones(points.shape[0], 1, device=points.device)
    return torch.cat([points, ones.to(points.dtype) if points.is_floating_point() else ones], -1)


def _affine_points(inpt, angle, translate, scale, shear, center, expand=False):
    """The moved points of a ``KeyPoints`` (plain) and their canvas size."""
    points, canvas_size = _plain(inpt), inpt.canvas_size
    if points.numel() == 0:
        return points, tuple(canvas_size)
    work = points.clone() if points.is_floating_point() else points.float()
    matrix, arguments = _affine_forward(
        canvas_size, angle, translate, scale, shear, center, work.dtype, work.device
    )
    moved = torch.matmul(_homogeneous(work.reshape(-1, 2)), matrix)
    if expand:
        shift, canvas_size = _expanded_canvas(canvas_size, matrix, arguments)
        moved.sub_(shift)
    return moved.reshape(points.shape).to(points.dtype), tuple(canvas_size)


def _enclosing(corners: Tensor) -> Tensor:
    """The XYXY boxes ``[N, 4]`` enclosing ``[N, 4, 2]`` corners."""
    low, high = torch.aminmax(corners, dim=1)
    return torch.cat([low, high], dim=1)


def _affine_boxes(inpt, angle, translate, scale, shear, center, expand=False):
    """The moved boxes of a ``BoundingBoxes`` (plain) and their canvas size."""
    boxes, format, canvas_size = _plain(inpt), inpt.format, inpt.canvas_size
    _check_axis_aligned(format, "affine")
    if boxes.numel() == 0:
        return boxes, tuple(canvas_size)
    work = boxes.clone() if boxes.is_floating_point() else boxes.float()
    corners = _boxes.convert_format(work, format, XYXY).reshape(-1, 4)
    matrix, arguments = _affine_forward(
        canvas_size, angle, translate, scale, shear, center, corners.dtype, corners.device
    )
    moved = torch.matmul(_homogeneous(corners[:, _CORNERS].reshape(-1, 2)), matrix)
    out = _enclosing(moved.reshape(-1, 4, 2))
    if expand:
        shift, canvas_size = _expanded_canvas(canvas_size, matrix, arguments)
        out.sub_(shift.repeat(1, 2))
    out = _boxes.clamp(out, XYXY, canvas_size, inpt.clamping_mode)
    out = _boxes.convert_format(out, XYXY, format).reshape(boxes.shape)
    return out.to(boxes.dtype), tuple(canvas_size)


_register_images(affine, _affine_image, _as_mask_op(_affine_image))


@register_kernel(affine, tv_tensors.BoundingBoxes)
def _affine_boxes_kernel(inpt, angle, translate, scale, shear, center=None, **kwargs):
    out, _ = _affine_boxes(inpt, angle, translate, scale, shear, center)
    return tv_tensors.wrap(out, like=inpt)


@register_kernel(affine, tv_tensors.KeyPoints)
def _affine_points_kernel(inpt, angle, translate, scale, shear, center=None, **kwargs):
    out, size = _affine_points(inpt, angle, translate, scale, shear, center)
    return _wrap_points(out, inpt, size)


def rotate(
    inpt: Any,
    angle: float,
    interpolation: Any = "nearest",
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


def _rotate_image(image, angle, interpolation="nearest", expand=False, center=None, fill=None):
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


_register_images(rotate, _rotate_image, _as_mask_op(_rotate_image))


# rotate turns counter-clockwise, affine clockwise
@register_kernel(rotate, tv_tensors.BoundingBoxes)
def _rotate_boxes_kernel(inpt, angle, expand=False, center=None, **kwargs):
    out, size = _affine_boxes(inpt, -angle, *_NO_MOTION, center, expand)
    return tv_tensors.wrap(out, like=inpt, canvas_size=size)


@register_kernel(rotate, tv_tensors.KeyPoints)
def _rotate_points_kernel(inpt, angle, expand=False, center=None, **kwargs):
    out, size = _affine_points(inpt, -angle, *_NO_MOTION, center, expand)
    return _wrap_points(out, inpt, size)


# --- perspective ----------------------------------------------------------------------------


def perspective(
    inpt: Any,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    interpolation: Any = "bilinear",
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
    image, startpoints, endpoints, interpolation="bilinear", fill=None, coefficients=None
):
    coefficients = _coefficients(startpoints, endpoints, coefficients)
    mode = _mode(interpolation)
    if isinstance(image, PIL.Image.Image):
        return _pil_warp(image, PIL.Image.Transform.PERSPECTIVE, coefficients, mode, fill)
    _check_grid_inputs(image, mode, fill)
    grid = perspective_grid(coefficients, image.shape[-2:], _grid_dtype(image), image.device)
    return sample_grid(image, grid, mode, fill, blend="mask")


def _inverse_perspective(coefficients: list[float], dtype, device) -> tuple[Tensor, Tensor]:
    """The map from a source point to where it lands, as numerator rows ``[2, 3]`` and the
    denominator row twice ``[2, 3]``, for ``[x, y, 1] @ rows.T``."""
    a, b, c, d, e, f, g, h = coefficients
    det = a * e - b * d
    if det == 0:
        raise RuntimeError(
            f"The perspective coefficients {coefficients} cannot be inverted to move boxes or "
            f"points: a * e - b * d is 0"
        )
    inverse = [
        (e - f * h) / det,
        (-b + c * h) / det,
        (b * f - c * e) / det,
        (-d + f * g) / det,
        (a - c * g) / det,
        (-a * f + c * d) / det,
        (-e * g + d * h) / det,
        (-a * h + b * g) / det,
    ]
    numerator = torch.tensor([inverse[0:3], inverse[3:6]], dtype=dtype, device=device)
    denominator = torch.tensor([[*inverse[6:8], 1.0]] * 2, dtype=dtype, device=device)
    return numerator, denominator


def _project(points: Tensor, coefficients: list[float], dtype: torch.dtype) -> Tensor:
    numerator, denominator = _inverse_perspective(coefficients, dtype, points.device)
    homogeneous = _homogeneous(points)
    moved = torch.matmul(homogeneous, numerator.T)
    return moved.div_(torch.matmul(homogeneous, denominator.T))


_register_images(perspective, _perspective_image, _as_mask_op(_perspective_image))


@register_kernel(perspective, tv_tensors.BoundingBoxes)
def _perspective_boxes_kernel(inpt, startpoints, endpoints, coefficients=None, **kwargs):
    boxes = _plain(inpt)
    _check_axis_aligned(inpt.format, "perspective")
    if boxes.numel() == 0:
        return inpt
    coefficients = _coefficients(startpoints, endpoints, coefficients)
    # converted in the boxes' own dtype (integers too), as torchvision converts them
    corners = _boxes.convert_format(boxes, inpt.format, XYXY).reshape(-1, 4)
    dtype = _grid_dtype(corners)
    moved = _project(corners[:, _CORNERS].reshape(-1, 2), coefficients, dtype)
    out = _enclosing(moved.reshape(-1, 4, 2))
    out = _boxes.clamp(out, XYXY, inpt.canvas_size, inpt.clamping_mode)
    out = _boxes.convert_format(out, XYXY, inpt.format).reshape(boxes.shape)
    return tv_tensors.wrap(out.to(boxes.dtype), like=inpt)


@register_kernel(perspective, tv_tensors.KeyPoints)
def _perspective_points_kernel(inpt, startpoints, endpoints, coefficients=None, **kwargs):
    points = _plain(inpt)
    if points.numel() == 0:
        return inpt
    coefficients = _coefficients(startpoints, endpoints, coefficients)
    moved = _project(points.reshape(-1, 2), coefficients, _grid_dtype(points))
    return _wrap_points(moved.to(points.dtype).reshape(points.shape), inpt)


# --- elastic --------------------------------------------------------------------------------


def elastic(
    inpt: Any, displacement: Tensor, interpolation: Any = "bilinear", fill: Any = None
) -> Any:
    """Sample each output pixel at its own position plus ``displacement``, a
    ``Tensor[1, H, W, 2]`` of ``(dx, dy)`` in grid_sample's units (2 is the image's width or
    height); ``fill`` as for :func:`affine`. Boxes and points move the other way, by the
    displacement at the pixel they fall on (an approximate inverse: boxes take the pixel at
    their corners rounded up, points the one at their coordinates rounded down)."""
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


def _elastic_image(image, displacement, interpolation="bilinear", fill=None):
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


_register_images(elastic, _elastic_image, _as_mask_op(_elastic_image))


def _elastic_move(points: Tensor, canvas_size, displacement: Tensor, dtype) -> Tensor:
    """``[N, 2]`` integer pixel positions moved by minus the displacement there (clamped to
    the canvas), in pixels."""
    inverse = identity_grid(canvas_size, dtype, displacement.device).sub_(displacement)
    index = points.to(dtype=torch.long)
    xs = index[:, 0].clamp(0, inverse.shape[2] - 1)
    ys = index[:, 1].clamp(0, inverse.shape[1] - 1)
    size = torch.tensor(canvas_size[::-1], device=displacement.device, dtype=displacement.dtype)
    return inverse[0, ys, xs, :].add_(1).mul_(0.5 * size).sub_(0.5)


@register_kernel(elastic, tv_tensors.BoundingBoxes)
def _elastic_boxes_kernel(inpt, displacement, **kwargs):
    boxes, canvas_size = _plain(inpt), tuple(inpt.canvas_size)
    _check_displacement(displacement, canvas_size)
    _check_axis_aligned(inpt.format, "elastic")
    if boxes.numel() == 0:
        return inpt
    dtype = _grid_dtype(boxes)
    displacement = displacement.to(dtype=dtype, device=boxes.device)
    corners = _boxes.convert_format(boxes.clone(), inpt.format, XYXY).reshape(-1, 4)
    points = corners[:, _CORNERS].reshape(-1, 2)
    if points.is_floating_point():
        points = points.ceil_()
    moved = _elastic_move(points, canvas_size, displacement, dtype)
    out = _enclosing(moved.reshape(-1, 4, 2)).to(corners.dtype)
    out = _boxes.clamp(out, XYXY, canvas_size, inpt.clamping_mode)
    out = _boxes.convert_format(out, XYXY, inpt.format).reshape(boxes.shape)
    return tv_tensors.wrap(out, like=inpt)


@register_kernel(elastic, tv_tensors.KeyPoints)
def _elastic_points_kernel(inpt, displacement, **kwargs):
    points, canvas_size = _plain(inpt), tuple(inpt.canvas_size)
    _check_displacement(displacement, canvas_size)
    if points.numel() == 0:
        return inpt
    dtype = _grid_dtype(points)
    displacement = displacement.to(dtype=dtype, device=points.device)
    moved = _elastic_move(points.reshape(-1, 2), canvas_size, displacement, dtype)
    return _wrap_points(moved.to(points.dtype).reshape(points.shape), inpt)
