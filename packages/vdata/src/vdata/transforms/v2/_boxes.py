"""Kernels of the box and key point geometry on plain tensors: format conversion, clamping, and
the flips, resizes, crops and pads that move boxes and points with their image.

Axis-aligned formats only (``XYXY``, ``XYWH``, ``CXCYWH``); a rotated format raises
NotImplementedError. Integer boxes stay integers, computed as torchvision computes them.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...tv_tensors import BoundingBoxFormat, is_rotated_bounding_format

XYXY, XYWH, CXCYWH = BoundingBoxFormat.XYXY, BoundingBoxFormat.XYWH, BoundingBoxFormat.CXCYWH


def as_format(format: BoundingBoxFormat | str) -> BoundingBoxFormat:
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def check_axis_aligned(format: BoundingBoxFormat, operation: str) -> None:
    if is_rotated_bounding_format(format):
        raise NotImplementedError(
            f"{operation} of rotated boxes ({format.name}) is not supported by vdata yet"
        )


def _to_xyxy(boxes: Tensor, format: BoundingBoxFormat) -> Tensor:
    if format == XYWH:
        return torch.cat([boxes[..., :2], boxes[..., :2] + boxes[..., 2:]], dim=-1)
    if format == CXCYWH:
        # Integer boxes in float, as torchvision's ops.box_convert computes them.
        centred = boxes if boxes.is_floating_point() else boxes.float()
        half = centred[..., 2:] / 2
        corners = torch.cat([centred[..., :2] - half, centred[..., :2] + half], dim=-1)
        return corners.to(boxes.dtype)
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
    check_axis_aligned(old, "converting the format")
    # Through the corners, which gives torchvision's integer results for XYWH <-> CXCYWH too.
    return _from_xyxy(_to_xyxy(boxes, old), new)


def clamp(
    boxes: Tensor, format: BoundingBoxFormat, canvas_size: tuple[int, int], mode: str | None
) -> Tensor:
    """``boxes`` inside the canvas (``"soft"`` and ``"hard"`` agree for axis-aligned boxes);
    ``mode=None`` leaves them as they are."""
    if mode is None:
        return boxes.clone()
    check_axis_aligned(format, "clamping")
    corners = _to_xyxy(boxes if boxes.is_floating_point() else boxes.float(), format)
    corners[..., 0::2] = corners[..., 0::2].clamp(0, canvas_size[1])
    corners[..., 1::2] = corners[..., 1::2].clamp(0, canvas_size[0])
    return _from_xyxy(corners, format).to(boxes.dtype)


def _shift(boxes: Tensor, format: BoundingBoxFormat, dx: float, dy: float) -> Tensor:
    step = [dx, dy, dx, dy] if format == XYXY else [dx, dy, 0, 0]
    return boxes + torch.tensor(step, dtype=boxes.dtype, device=boxes.device)


def _flip(boxes: Tensor, format: BoundingBoxFormat, extent: int, axis: int) -> Tensor:
    """Boxes mirrored along ``axis`` (0: x, 1: y) of a canvas ``extent`` long on it."""
    check_axis_aligned(format, "flipping")
    out = boxes.clone()
    start, size = boxes[..., axis], boxes[..., axis + 2]
    if format == XYXY:
        out[..., axis], out[..., axis + 2] = extent - size, extent - start
    elif format == XYWH:
        out[..., axis] = extent - start - size
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
) -> Tensor:
    check_axis_aligned(format, "resizing")
    if tuple(new_size) == tuple(canvas_size):
        return boxes
    ratio_w, ratio_h = new_size[1] / canvas_size[1], new_size[0] / canvas_size[0]
    ratios = torch.tensor([ratio_w, ratio_h, ratio_w, ratio_h], device=boxes.device)
    return boxes.mul(ratios).to(boxes.dtype)


def crop(
    boxes: Tensor, format: BoundingBoxFormat, top: int, left: int, size: tuple[int, int], mode
) -> Tensor:
    check_axis_aligned(format, "cropping")
    return clamp(_shift(boxes, format, -left, -top), format, size, mode)


def pad(
    boxes: Tensor,
    format: BoundingBoxFormat,
    left: int,
    top: int,
    size: tuple[int, int],
    mode: str | None,
) -> Tensor:
    check_axis_aligned(format, "padding")
    return clamp(_shift(boxes, format, left, top), format, size, mode)


def sanitize_mask(
    boxes: Tensor,
    format: BoundingBoxFormat,
    canvas_size: tuple[int, int],
    min_size: float,
    min_area: float,
) -> Tensor:
    """Which boxes are at least ``min_size`` wide and high, of at least ``min_area``, and inside
    the canvas."""
    check_axis_aligned(format, "sanitizing")
    corners = _to_xyxy(boxes, format)
    widths, heights = corners[:, 2] - corners[:, 0], corners[:, 3] - corners[:, 1]
    height, width = canvas_size
    valid = (widths >= min_size) & (heights >= min_size) & (widths * heights >= min_area)
    valid &= (corners >= 0).all(dim=-1)
    valid &= (corners[:, 0] <= width) & (corners[:, 2] <= width)
    return valid & (corners[:, 1] <= height) & (corners[:, 3] <= height)


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
