"""The per-kind kernels of the warps, under torchvision 0.29's names and signatures:
``affine_image``, ``affine_video``, ``affine_mask``, ``affine_bounding_boxes``,
``affine_keypoints``, and the same for ``rotate``, ``perspective`` and ``elastic``.

As those of ``_kernels``, they take and return plain tensors. The image and video kernels are
the operations of ``_warp_functional``; the mask kernels take no interpolation (always nearest
neighbours). Boxes and points come with their metadata, and are moved here, where the
functionals' ``BoundingBoxes`` and ``KeyPoints`` kernels are registered. The returns are
torchvision's: ``rotate_bounding_boxes``, ``rotate_keypoints`` and ``affine_keypoints`` give
``(output, canvas_size)``, the other box and point kernels the output alone.

Boxes move by their four corners (``_boxes.to_corners``) and are clamped with their
``clamping_mode``: an axis-aligned box becomes the box enclosing its moved corners, a rotated
one (``XYWHR``, ``CXCYWHR``, ``XYXYXYXY``) the rectangle nearest their parallelogram
(``_rotated_boxes.rectangle_from_parallelogram``), which turns its angle with the warp, clamped
as corners. The elastic warp moves an axis-aligned box's corners but a rotated box's centre
alone, keeping its sides and angle. Key points move like box corners (positions on the canvas,
a pixel's centre ``0.5`` past its index) and are never clamped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from ... import tv_tensors
from .._warp import affine_matrix, identity_grid
from . import _boxes
from . import _warp_functional as WF
from ._dispatch import _plain, register_kernel
from ._kernels import _image, _video
from ._warp_functional import affine, elastic, perspective, rotate

BoxFormat = tv_tensors.BoundingBoxFormat
Canvas = tuple[int, int]
XYXY, XYXYXYXY, CXCYWHR = BoxFormat.XYXY, BoxFormat.XYXYXYXY, BoxFormat.CXCYWHR
Fill = float | Sequence[float] | None


def _corners_format(format: BoxFormat) -> BoxFormat:
    """The format boxes are moved in: their corners, ``XYXYXYXY``, if rotated, else ``XYXY``."""
    return XYXYXYXY if tv_tensors.is_rotated_bounding_format(format) else XYXY


def _wrap(out: Tensor, like: Any, canvas_size: Sequence[int] | None = None) -> Any:
    metadata = {} if canvas_size is None else {"canvas_size": tuple(canvas_size)}
    return tv_tensors.wrap(out, like=like, **metadata)


# --- images, videos and masks ---------------------------------------------------------------

affine_image = _image(WF._affine_image, "affine")
affine_video = _video(affine_image)
rotate_image = _image(WF._rotate_image, "rotate")
rotate_video = _video(rotate_image)
perspective_image = _image(WF._perspective_image, "perspective")
perspective_video = _video(perspective_image)
elastic_image = _image(WF._elastic_image, "elastic")
elastic_video = _video(elastic_image)


def affine_mask(
    mask: Tensor,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    fill: Fill = None,
    center: Sequence[float] | None = None,
) -> Tensor:
    """A mask ``[..., H, W]`` warped as :func:`affine` warps it, by nearest neighbours."""
    return WF._affine_mask(mask, angle, translate, scale, shear, fill=fill, center=center)


def rotate_mask(
    mask: Tensor,
    angle: float,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Fill = None,
) -> Tensor:
    """A mask ``[..., H, W]`` rotated as :func:`rotate` rotates it, by nearest neighbours."""
    return WF._rotate_mask(mask, angle, expand=expand, center=center, fill=fill)


def perspective_mask(
    mask: Tensor,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    fill: Fill = None,
    coefficients: Sequence[float] | None = None,
) -> Tensor:
    """A mask ``[..., H, W]`` warped as :func:`perspective` warps it, by nearest neighbours."""
    return WF._perspective_mask(mask, startpoints, endpoints, fill=fill, coefficients=coefficients)


def elastic_mask(mask: Tensor, displacement: Tensor, fill: Fill = None) -> Tensor:
    """A mask ``[..., H, W]`` warped as :func:`elastic` warps it, by nearest neighbours."""
    return WF._elastic_mask(mask, displacement, fill=fill)


# --- affine and rotate of boxes and points --------------------------------------------------

_NO_MOTION = ([0.0, 0.0], 1.0, [0.0, 0.0])  # translate, scale and shear of a pure rotation


def _affine_forward(canvas_size, angle, translate, scale, shear, center, dtype, device):
    """The arguments checked, the centre resolved, and the forward map as a transposed
    ``Tensor[3, 2]`` for ``[x, y, 1] @ map``."""
    angle, translate, shear, center = WF._affine_arguments(angle, translate, scale, shear, center)
    if center is None:
        center = [canvas_size[1] * 0.5, canvas_size[0] * 0.5]
    forward = affine_matrix(center, angle, translate, scale, shear, inverse=False)
    matrix = torch.tensor(forward, dtype=dtype, device=device).reshape(2, 3).T
    return matrix, (center, angle, translate, scale, shear)


def _expanded_canvas(canvas_size, matrix: Tensor, arguments) -> tuple[Tensor, Canvas]:
    """The shift ``[1, 2]`` that brings the moved canvas to the origin, and its new size.

    torchvision sizes it from the inverse map about the absolute centre, where the expanded
    image's size comes from the map about the centred origin: the same extent rounded outwards
    from other values, so that boxes and points may get a canvas a pixel larger or smaller than
    the image's. Kept, to give torchvision's metadata."""
    height, width = canvas_size
    frame = [(0.0, 0.0), (0.0, float(height)), (float(width), float(height)), (float(width), 0.0)]
    frame = torch.tensor([[x, y, 1.0] for x, y in frame], dtype=matrix.dtype, device=matrix.device)
    shift = torch.amin(torch.matmul(frame, matrix), dim=0, keepdim=True)
    new_width, new_height = WF._affine_output_size(affine_matrix(*arguments), width, height)
    return shift, (new_height, new_width)


def _homogeneous(points: Tensor) -> Tensor:
    """``[N, 2]`` points as ``[N, 3]`` with a column of ones of their dtype."""
    ones = torch.ones(points.shape[0], 1, device=points.device, dtype=points.dtype)
    return torch.cat([points, ones], dim=-1)


def _affine_points(
    points: Tensor, canvas_size: Canvas, angle, translate, scale, shear, center, expand
) -> tuple[Tensor, Canvas]:
    if points.numel() == 0:
        return points, canvas_size
    work = points.clone() if points.is_floating_point() else points.float()
    matrix, arguments = _affine_forward(
        canvas_size, angle, translate, scale, shear, center, work.dtype, work.device
    )
    moved = torch.matmul(_homogeneous(work.reshape(-1, 2)), matrix)
    if expand:
        shift, canvas_size = _expanded_canvas(canvas_size, matrix, arguments)
        moved.sub_(shift)
    return moved.reshape(points.shape).to(points.dtype), canvas_size


def _affine_boxes(
    boxes: Tensor,
    format: BoxFormat | str,
    canvas_size: Canvas,
    angle,
    translate,
    scale,
    shear,
    center,
    expand,
    clamping_mode: str | None,
) -> tuple[Tensor, Canvas]:
    if boxes.numel() == 0:
        return boxes, canvas_size
    format = _boxes.as_format(format)
    work = boxes.clone() if boxes.is_floating_point() else boxes.float()  # integers truncate
    moving = _corners_format(format)
    corners = _boxes.to_corners(work, format).reshape(-1, 8)
    matrix, arguments = _affine_forward(
        canvas_size, angle, translate, scale, shear, center, corners.dtype, corners.device
    )
    moved = torch.matmul(_homogeneous(corners.reshape(-1, 2)), matrix)
    out = _boxes.from_corners(moved.reshape(-1, 8), moving)
    if expand:
        shift, canvas_size = _expanded_canvas(canvas_size, matrix, arguments)
        out.sub_(shift.repeat(1, out.shape[-1] // 2))
    out = _boxes.clamp(out, moving, canvas_size, clamping_mode)
    out = _boxes.convert_format(out, moving, format).reshape(boxes.shape)
    return out.to(boxes.dtype), canvas_size


def affine_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    canvas_size: Canvas,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    center: Sequence[float] | None = None,
    clamping_mode: str | None = "soft",
) -> Tensor:
    """Boxes ``Tensor[..., K]`` in ``format`` moved as :func:`affine` moves the image and
    clamped to the canvas with ``clamping_mode`` (None: not clamped)."""
    motion = (angle, translate, scale, shear, center)
    out, _ = _affine_boxes(bounding_boxes, format, canvas_size, *motion, False, clamping_mode)
    return out


def affine_keypoints(
    keypoints: Tensor,
    canvas_size: Canvas,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    center: Sequence[float] | None = None,
) -> tuple[Tensor, Canvas]:
    """Points ``Tensor[..., 2]`` moved as :func:`affine` moves the image, and the canvas."""
    return _affine_points(keypoints, canvas_size, angle, translate, scale, shear, center, False)


# rotate turns counter-clockwise, affine clockwise
def rotate_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    canvas_size: Canvas,
    angle: float,
    expand: bool = False,
    center: Sequence[float] | None = None,
    clamping_mode: str | None = "soft",
) -> tuple[Tensor, Canvas]:
    """Boxes rotated as :func:`rotate` rotates the image, clamped to the canvas (expanded with
    ``expand``, see ``_expanded_canvas``), and the canvas's size."""
    return _affine_boxes(
        bounding_boxes, format, canvas_size, -angle, *_NO_MOTION, center, expand, clamping_mode
    )


def rotate_keypoints(
    keypoints: Tensor,
    canvas_size: Canvas,
    angle: float,
    expand: bool = False,
    center: Sequence[float] | None = None,
) -> tuple[Tensor, Canvas]:
    """Points rotated as :func:`rotate` rotates the image, and the (expanded) canvas's size."""
    return _affine_points(keypoints, canvas_size, -angle, *_NO_MOTION, center, expand)


@register_kernel(affine, tv_tensors.BoundingBoxes)
def _affine_boxes_kernel(inpt, angle, translate, scale, shear, center=None, **kwargs):
    boxes, format, canvas_size = _plain(inpt), inpt.format, inpt.canvas_size
    motion = (angle, translate, scale, shear, center)
    out = affine_bounding_boxes(boxes, format, canvas_size, *motion, inpt.clamping_mode)
    return _wrap(out, inpt)


@register_kernel(affine, tv_tensors.KeyPoints)
def _affine_points_kernel(inpt, angle, translate, scale, shear, center=None, **kwargs):
    motion = (angle, translate, scale, shear, center)
    out, size = affine_keypoints(_plain(inpt), inpt.canvas_size, *motion)
    return _wrap(out, inpt, size)


@register_kernel(rotate, tv_tensors.BoundingBoxes)
def _rotate_boxes_kernel(inpt, angle, expand=False, center=None, **kwargs):
    boxes, format, canvas_size = _plain(inpt), inpt.format, inpt.canvas_size
    out, size = rotate_bounding_boxes(
        boxes, format, canvas_size, angle, expand, center, inpt.clamping_mode
    )
    return _wrap(out, inpt, size)


@register_kernel(rotate, tv_tensors.KeyPoints)
def _rotate_points_kernel(inpt, angle, expand=False, center=None, **kwargs):
    out, size = rotate_keypoints(_plain(inpt), inpt.canvas_size, angle, expand, center)
    return _wrap(out, inpt, size)


# --- perspective of boxes and points --------------------------------------------------------


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
    # float32 ones, as torchvision's: float64 points promote them; half points do not, and
    # matmul then refuses their half rows, as it refuses torchvision's
    ones = torch.ones(points.shape[0], 1, device=points.device)
    homogeneous = torch.cat([points, ones], dim=-1)
    moved = torch.matmul(homogeneous, numerator.T)
    return moved.div_(torch.matmul(homogeneous, denominator.T))


def perspective_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    canvas_size: Canvas,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    coefficients: Sequence[float] | None = None,
    clamping_mode: str | None = "soft",
) -> Tensor:
    """Boxes ``Tensor[..., K]`` in ``format`` moved as :func:`perspective` moves the image and
    clamped to the canvas with ``clamping_mode``."""
    if bounding_boxes.numel() == 0:
        return bounding_boxes
    format = _boxes.as_format(format)
    coefficients = WF._coefficients(startpoints, endpoints, coefficients)
    # in the boxes' own dtype (integers too), as torchvision converts them
    corners = _boxes.to_corners(bounding_boxes, format).reshape(-1, 8)
    moved = _project(corners.reshape(-1, 2), coefficients, WF._grid_dtype(corners))
    moving = _corners_format(format)
    out = _boxes.from_corners(moved.reshape(-1, 8), moving)
    out = _boxes.clamp(out, moving, canvas_size, clamping_mode)
    out = _boxes.convert_format(out, moving, format).reshape(bounding_boxes.shape)
    return out.to(bounding_boxes.dtype)


def perspective_keypoints(
    keypoints: Tensor,
    canvas_size: Canvas,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    coefficients: Sequence[float] | None = None,
) -> Tensor:
    """Points ``Tensor[..., 2]`` moved as :func:`perspective` moves the image."""
    if keypoints.numel() == 0:
        return keypoints
    coefficients = WF._coefficients(startpoints, endpoints, coefficients)
    moved = _project(keypoints.reshape(-1, 2), coefficients, WF._grid_dtype(keypoints))
    return moved.to(keypoints.dtype).reshape(keypoints.shape)


@register_kernel(perspective, tv_tensors.BoundingBoxes)
def _perspective_boxes_kernel(inpt, startpoints, endpoints, coefficients=None, **kwargs):
    boxes, format, canvas_size = _plain(inpt), inpt.format, inpt.canvas_size
    out = perspective_bounding_boxes(
        boxes, format, canvas_size, startpoints, endpoints, coefficients, inpt.clamping_mode
    )
    return _wrap(out, inpt)


@register_kernel(perspective, tv_tensors.KeyPoints)
def _perspective_points_kernel(inpt, startpoints, endpoints, coefficients=None, **kwargs):
    args = (startpoints, endpoints, coefficients)
    return _wrap(perspective_keypoints(_plain(inpt), inpt.canvas_size, *args), inpt)


# --- elastic of boxes and points ------------------------------------------------------------


def _elastic_move(points: Tensor, canvas_size, displacement: Tensor, dtype) -> Tensor:
    """``[N, 2]`` integer pixel positions moved by minus the displacement there (clamped to
    the canvas), in pixels."""
    inverse = identity_grid(canvas_size, dtype, displacement.device).sub_(displacement)
    index = points.to(dtype=torch.long)
    xs = index[:, 0].clamp(0, inverse.shape[2] - 1)
    ys = index[:, 1].clamp(0, inverse.shape[1] - 1)
    size = torch.tensor(canvas_size[::-1], device=displacement.device, dtype=displacement.dtype)
    return inverse[0, ys, xs, :].add_(1).mul_(0.5 * size).sub_(0.5)


def elastic_bounding_boxes(
    bounding_boxes: Tensor,
    format: BoxFormat,
    canvas_size: Canvas,
    displacement: Tensor,
    clamping_mode: str | None = "soft",
) -> Tensor:
    """Boxes ``Tensor[..., K]`` in ``format`` moved against ``displacement`` (an approximate
    inverse of :func:`elastic`) at their corners rounded up, an axis-aligned box by its four
    corners, a rotated one by its centre alone; clamped to the canvas with ``clamping_mode``."""
    WF._check_displacement(displacement, canvas_size)
    if bounding_boxes.numel() == 0:
        return bounding_boxes
    format = _boxes.as_format(format)
    dtype = WF._grid_dtype(bounding_boxes)
    displacement = displacement.to(dtype=dtype, device=bounding_boxes.device)
    rotated = tv_tensors.is_rotated_bounding_format(format)
    moving = CXCYWHR if rotated else XYXY
    converted = _boxes.convert_format(bounding_boxes.clone(), format, moving)
    converted = converted.reshape(-1, 5 if rotated else 4)
    points = converted[:, :2] if rotated else _boxes.to_corners(converted, XYXY)
    points = points.reshape(-1, 2)
    if points.is_floating_point():
        points = points.ceil()
    moved = _elastic_move(points, canvas_size, displacement, dtype)
    if rotated:  # the centre moves; the sides and the angle stay
        out = torch.cat([moved, converted[:, 2:]], dim=1)
    else:
        out = _boxes.from_corners(moved.reshape(-1, 8), XYXY)
    out = _boxes.clamp(out.to(converted.dtype), moving, canvas_size, clamping_mode)
    return _boxes.convert_format(out, moving, format).reshape(bounding_boxes.shape)


def elastic_keypoints(keypoints: Tensor, canvas_size: Canvas, displacement: Tensor) -> Tensor:
    """Points ``Tensor[..., 2]`` moved against ``displacement`` at the pixel each falls on
    (its coordinates rounded down)."""
    WF._check_displacement(displacement, canvas_size)
    if keypoints.numel() == 0:
        return keypoints
    dtype = WF._grid_dtype(keypoints)
    displacement = displacement.to(dtype=dtype, device=keypoints.device)
    moved = _elastic_move(keypoints.reshape(-1, 2), canvas_size, displacement, dtype)
    return moved.to(keypoints.dtype).reshape(keypoints.shape)


@register_kernel(elastic, tv_tensors.BoundingBoxes)
def _elastic_boxes_kernel(inpt, displacement, **kwargs):
    boxes, format, canvas_size = _plain(inpt), inpt.format, inpt.canvas_size
    out = elastic_bounding_boxes(boxes, format, canvas_size, displacement, inpt.clamping_mode)
    return _wrap(out, inpt)


@register_kernel(elastic, tv_tensors.KeyPoints)
def _elastic_points_kernel(inpt, displacement, **kwargs):
    return _wrap(elastic_keypoints(_plain(inpt), inpt.canvas_size, displacement), inpt)


__all__ = [
    "affine_bounding_boxes",
    "affine_image",
    "affine_keypoints",
    "affine_mask",
    "affine_video",
    "elastic_bounding_boxes",
    "elastic_image",
    "elastic_keypoints",
    "elastic_mask",
    "elastic_video",
    "perspective_bounding_boxes",
    "perspective_image",
    "perspective_keypoints",
    "perspective_mask",
    "perspective_video",
    "rotate_bounding_boxes",
    "rotate_image",
    "rotate_keypoints",
    "rotate_mask",
    "rotate_video",
]
