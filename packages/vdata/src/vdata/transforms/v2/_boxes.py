"""Kernels of the box and key point geometry on plain tensors: format conversion, clamping, the
flips, resizes, crops and pads that move boxes and points with their image, and the boxes' corner
polygons.

Axis-aligned formats (``XYXY``, ``XYWH``, ``CXCYWH``) and rotated ones (``XYWHR``, ``CXCYWHR``,
``XYXYXYXY``, whose math is in ``_rotated_boxes``). Integer boxes stay integers, computed as
torchvision computes them; rotated ones raise where torchvision's do (all but a few kernels).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...tv_tensors import BoundingBoxFormat, is_rotated_bounding_format
from . import _rotated_boxes as R

XYXY, XYWH, CXCYWH = BoundingBoxFormat.XYXY, BoundingBoxFormat.XYWH, BoundingBoxFormat.CXCYWH
XYXYXYXY = BoundingBoxFormat.XYXYXYXY


def as_format(format: BoundingBoxFormat | str) -> BoundingBoxFormat:
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def _to_xyxy(boxes: Tensor, format: BoundingBoxFormat) -> Tensor:
    if format == XYWH:
        return torch.cat([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], dim=-1)
    if format == CXCYWH:
        # In float (integer boxes too, truncated at the end) and the far corner from the near
        # one, as torchvision computes it.
        centred = boxes if boxes.is_floating_point() else boxes.float()
        near = centred[..., :2] - centred[..., 2:] / 2
        return torch.cat([near, near + centred[..., 2:]], dim=-1).to(boxes.dtype)
    return boxes.clone()


def _from_xyxy(boxes: Tensor, format: BoundingBoxFormat) -> Tensor:
    sizes = boxes[..., 2:] - boxes[..., :2]
    if format == XYWH:
        return torch.cat([boxes[..., :2], sizes], dim=-1)
    if format == CXCYWH:
        twice = boxes[..., :2] * 2 + sizes
        rounding = None if boxes.is_floating_point() else "floor"
        return torch.cat([twice.div(2, rounding_mode=rounding), sizes], dim=-1)
    return boxes


def convert_format(boxes: Tensor, old: BoundingBoxFormat, new: BoundingBoxFormat) -> Tensor:
    """``boxes`` from format ``old`` to ``new``, of the same dtype."""
    if old == new:
        return boxes
    if is_rotated_bounding_format(old) != is_rotated_bounding_format(new):
        raise ValueError("Cannot convert between rotated and unrotated bounding boxes.")
    if is_rotated_bounding_format(old):
        return R.convert_rotated(boxes, old, new)
    # torchvision converts between XYWH and CXCYWH directly, moving the corner or the centre
    # by half the size; integer CXCYWH to XYWH goes through the (truncated) corners.
    if (old, new) == (XYWH, CXCYWH):
        rounding = None if boxes.is_floating_point() else "floor"
        half = boxes[..., 2:].div(2, rounding_mode=rounding)
        return torch.cat([boxes[..., :2] + half, boxes[..., 2:]], dim=-1)
    if (old, new) == (CXCYWH, XYWH) and boxes.is_floating_point():
        return torch.cat([boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., 2:]], dim=-1)
    return _from_xyxy(_to_xyxy(boxes, old), new)


def clamp(
    boxes: Tensor, format: BoundingBoxFormat, canvas_size: tuple[int, int], mode: str | None
) -> Tensor:
    """``boxes`` inside the canvas; ``mode=None`` leaves them as they are. ``"soft"`` and
    ``"hard"`` agree for axis-aligned boxes; rotated ones keep their angle, and ``"soft"``
    encloses their part inside the canvas where ``"hard"`` fits inside it."""
    if mode is None:
        return boxes.clone()
    if is_rotated_bounding_format(format):
        return R.clamp_rotated(boxes, format, canvas_size, mode)
    corners = _to_xyxy(boxes if boxes.is_floating_point() else boxes.float(), format)
    corners[..., 0::2] = corners[..., 0::2].clamp(0, canvas_size[1])
    corners[..., 1::2] = corners[..., 1::2].clamp(0, canvas_size[0])
    return _from_xyxy(corners, format).to(boxes.dtype)


def _shift(boxes: Tensor, format: BoundingBoxFormat, dx: float, dy: float) -> Tensor:
    if format in (XYXY, XYXYXYXY):  # points only
        step = [dx, dy] * (2 if format == XYXY else 4)
    else:  # one point, the sizes, and the angle of a rotated box
        step = [dx, dy, 0, 0] + [0] * is_rotated_bounding_format(format)
    return boxes + torch.tensor(step, dtype=boxes.dtype, device=boxes.device)


def _flip(boxes: Tensor, format: BoundingBoxFormat, extent: int, axis: int) -> Tensor:
    """Boxes mirrored along ``axis`` (0: x, 1: y) of a canvas ``extent`` long on it."""
    if is_rotated_bounding_format(format):
        return R.flip_rotated(boxes, format, extent, axis)
    out = boxes.clone()
    start, size = boxes[..., axis], boxes[..., axis + 2]
    if format == XYXY:
        out[..., axis], out[..., axis + 2] = extent - size, extent - start
    elif format == XYWH:
        out[..., axis] = extent - (start + size)  # rounded as torchvision rounds it
    else:  # CXCYWH: the centre moves, the size stays
        out[..., axis] = extent - start
    return out


def hflip(boxes: Tensor, format: BoundingBoxFormat, canvas_size: tuple[int, int]) -> Tensor:
    return _flip(boxes, format, canvas_size[1], 0)


def vflip(boxes: Tensor, format: BoundingBoxFormat, canvas_size: tuple[int, int]) -> Tensor:
    return _flip(boxes, format, canvas_size[0], 1)


def resize(
    boxes: Tensor,
    format: BoundingBoxFormat,
    canvas_size: tuple[int, int],
    new_size: tuple[int, int],
    mode: str | None = "soft",
) -> Tensor:
    """Boxes scaled with their canvas to ``new_size``. A rotated box scales to a parallelogram,
    which becomes the nearest rectangle (see ``rectangle_from_parallelogram``), clamped with
    ``mode`` as torchvision does; axis-aligned boxes are not clamped."""
    if tuple(new_size) == tuple(canvas_size):
        return boxes
    ratio_w, ratio_h = new_size[1] / canvas_size[1], new_size[0] / canvas_size[0]
    if is_rotated_bounding_format(format):
        corners = convert_format(boxes, format, XYXYXYXY).reshape(-1, 8)
        # The ratios are float32 (half boxes are scaled in float32), as in torchvision.
        scaled = corners.mul(torch.tensor([ratio_w, ratio_h] * 4, device=boxes.device))
        rectangles = clamp(R.rectangle_from_parallelogram(scaled), XYXYXYXY, new_size, mode)
        out = convert_format(rectangles, XYXYXYXY, format)
        return out.to(boxes.dtype).reshape(boxes.shape)
    ratios = torch.tensor([ratio_w, ratio_h, ratio_w, ratio_h], device=boxes.device)
    return boxes.mul(ratios).to(boxes.dtype)


def crop(
    boxes: Tensor, format: BoundingBoxFormat, top: int, left: int, size: tuple[int, int], mode
) -> Tensor:
    shifted = _shift(boxes, format, -left, -top)
    if format == XYXYXYXY:  # torchvision squares the corners up here (moving them very little)
        shifted = R.rectangle_from_parallelogram(shifted)
    return clamp(shifted, format, size, mode)


def pad(
    boxes: Tensor,
    format: BoundingBoxFormat,
    left: int,
    top: int,
    size: tuple[int, int],
    mode: str | None,
) -> Tensor:
    return clamp(_shift(boxes, format, left, top), format, size, mode)


def sanitize_mask(
    boxes: Tensor,
    format: BoundingBoxFormat,
    canvas_size: tuple[int, int],
    min_size: float,
    min_area: float,
) -> Tensor:
    """Which boxes are at least ``min_size`` wide and high, of at least ``min_area``, and inside
    the canvas (all their corners). The height of a rotated box is torchvision's measure (see
    ``_rotated_boxes.sides_rotated``)."""
    if is_rotated_bounding_format(format):
        corners, widths, heights = R.sides_rotated(boxes, format)
    else:
        corners = _to_xyxy(boxes, format)
        widths, heights = corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1]
    height, width = canvas_size
    valid = (widths >= min_size) & (heights >= min_size) & (widths * heights >= min_area)
    valid &= (corners >= 0).all(dim=-1)
    return (
        valid & (corners[:, 0::2] <= width).all(dim=-1) & (corners[:, 1::2] <= height).all(dim=-1)
    )


# The polygons of boxes, for warps that move the corners as points (torchvision's affine and
# perspective kernels). To match their results: corners = to_corners(boxes, format); move them;
# boxes = from_corners(corners, XYXYXYXY if rotated else XYXY); clamp in that format; then
# convert_format to ``format``.
def to_corners(boxes: Tensor, format: BoundingBoxFormat) -> Tensor:
    """The four corners ``Tensor[..., 8]`` of each box, laid out as ``XYXYXYXY`` (top left,
    top right, bottom right, bottom left for axis-aligned boxes), of the boxes' dtype."""
    if is_rotated_bounding_format(format):
        return convert_format(boxes, format, XYXYXYXY)
    return _to_xyxy(boxes, format)[..., [0, 1, 2, 1, 2, 3, 0, 3]]


def from_corners(corners: Tensor, format: BoundingBoxFormat) -> Tensor:
    """Boxes in ``format`` from four corners ``Tensor[..., 8]`` each, as torchvision makes
    them after moving the corners: for a rotated format, the rectangle nearest the
    parallelogram (``_rotated_boxes.rectangle_from_parallelogram``); for an axis-aligned one,
    the smallest box holding the corners."""
    if is_rotated_bounding_format(format):
        return convert_format(R.rectangle_from_parallelogram(corners), XYXYXYXY, format)
    x, y = corners[..., 0::2], corners[..., 1::2]
    xyxy = torch.stack([x.amin(-1), y.amin(-1), x.amax(-1), y.amax(-1)], dim=-1)
    return _from_xyxy(xyxy, format)


# Points are pixel positions (0 to width - 1), as torchvision treats them; boxes are edges.
def _points_flip(points: Tensor, extent: int, axis: int) -> Tensor:
    out = points.clone()
    out[..., axis] = extent - 1 - points[..., axis]
    return out


def points_hflip(points: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    return _points_flip(points, canvas_size[1], 0)


def points_vflip(points: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    return _points_flip(points, canvas_size[0], 1)


def points_resize(
    points: Tensor, canvas_size: tuple[int, int], new_size: tuple[int, int]
) -> Tensor:
    if tuple(new_size) == tuple(canvas_size):
        return points
    ratios = torch.tensor(
        [new_size[1] / canvas_size[1], new_size[0] / canvas_size[0]], device=points.device
    )
    return points.mul(ratios).to(points.dtype)


def points_shift(points: Tensor, dx: float, dy: float) -> Tensor:
    return points + torch.tensor([dx, dy], dtype=points.dtype, device=points.device)


def points_clamp(points: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    out = points.clone() if points.is_floating_point() else points.float()
    out[..., 0] = out[..., 0].clamp(0, canvas_size[1] - 1)
    out[..., 1] = out[..., 1].clamp(0, canvas_size[0] - 1)
    return out.to(points.dtype)
