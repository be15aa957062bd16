"""Kernels of rotated boxes on plain tensors: conversion between ``XYWHR``, ``CXCYWHR`` and
``XYXYXYXY``, the rectangle nearest a parallelogram, clamping, flips, and box sides.

Conventions (torchvision 0.29's): ``r`` is in degrees, counter-clockwise on the image (whose y
axis points down); ``(x, y)`` of ``XYWHR`` is the first corner, and ``XYXYXYXY`` lists the corners
from it, along the side of length ``w`` first. With ``r = 0`` the corners are top left, top
right, bottom right, bottom left.

Every function does torchvision's arithmetic in torchvision's order and dtype (half precision
in float32 where torchvision promotes), so that the results agree to the bit, not just to a
tolerance; where the order looks arbitrary, that is why.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...tv_tensors import BoundingBoxFormat

XYWHR, CXCYWHR, XYXYXYXY = (
    BoundingBoxFormat.XYWHR,
    BoundingBoxFormat.CXCYWHR,
    BoundingBoxFormat.XYXYXYXY,
)
_WIDE_FLOATS = (torch.float32, torch.float64)


def _cos_sin(degrees: Tensor) -> tuple[Tensor, Tensor]:
    radians = degrees.mul(torch.pi).div(180.0)
    return radians.cos(), radians.sin()


def _cxcywhr_to_xywhr(boxes: Tensor) -> Tensor:
    cx, cy, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    # Half sides of their magnitude: torchvision halves ``-w`` and takes the absolute value.
    half_w, half_h = w.abs() / 2, h.abs() / 2
    x = cx - half_w * cos - half_h * sin
    y = cy + half_w * sin - half_h * cos
    return torch.stack([x, y, w, h, r], dim=-1)


def _xywhr_to_cxcywhr(boxes: Tensor) -> Tensor:
    x, y, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    half_w, half_h = w.abs() / 2, h.abs() / 2
    cx = x + half_w * cos + half_h * sin
    cy = y - half_w * sin + half_h * cos
    return torch.stack([cx, cy, w, h, r], dim=-1)


def _xywhr_to_xyxyxyxy(boxes: Tensor) -> Tensor:
    x, y, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    w_cos, w_sin, h_sin, h_cos = w * cos, w * sin, h * sin, h * cos
    corners = torch.stack(
        [
            x,
            y,
            x + w_cos,
            y - w_sin,
            x + (w_cos + h_sin),
            y - (w_sin - h_cos),
            x + h_sin,
            y + h_cos,
        ],
        dim=-1,
    )
    # torchvision tiles the first corner into a matrix, so one box comes back as one row.
    return corners.unsqueeze(0) if boxes.ndim == 1 else corners


def _xyxyxyxy_to_xywhr(boxes: Tensor) -> Tensor:
    """The first corner, the lengths of the sides from it, and the first side's angle; in
    float32 for the narrow dtypes and back (integers truncated), as torchvision computes it."""
    work = boxes if boxes.dtype in _WIDE_FLOATS else boxes.to(torch.float32)
    x1, y1, x2, y2, x3, y3 = work[..., :6].unbind(-1)
    degrees = torch.atan2(y1 - y2, x2 - x1).div(torch.pi).mul(180.0)
    w = (x2 - x1).pow(2).add((y2 - y1).pow(2)).sqrt()
    h = (x3 - x2).pow(2).add((y3 - y2).pow(2)).sqrt()
    return torch.stack([x1, y1, w, h, degrees], dim=-1).to(boxes.dtype)


def convert_rotated(boxes: Tensor, old: BoundingBoxFormat, new: BoundingBoxFormat) -> Tensor:
    """Rotated ``boxes`` from format ``old`` to ``new`` (both rotated), through ``XYWHR``.

    Only ``XYXYXYXY -> XYWHR`` takes integers (computed in float32, truncated back); the other
    conversions raise for them, as torchvision's do.
    """
    if old == new:
        return boxes
    if not boxes.is_floating_point() and not (old == XYXYXYXY and new == XYWHR):
        raise RuntimeError(
            f"converting rotated boxes from {old.name} to {new.name} needs a floating point "
            f"tensor, got {boxes.dtype}"
        )
    if old == CXCYWHR:
        boxes = _cxcywhr_to_xywhr(boxes)
    elif old == XYXYXYXY:
        boxes = _xyxyxyxy_to_xywhr(boxes)
    if new == CXCYWHR:
        return _xywhr_to_cxcywhr(boxes)
    if new == XYXYXYXY:
        return _xywhr_to_xyxyxyxy(boxes)
    return boxes


def rectangle_from_parallelogram(corners: Tensor) -> Tensor:
    """The rectangle ``Tensor[..., 8]`` torchvision puts in place of each parallelogram of
    ``corners`` (``Tensor[..., 8]``, as ``XYXYXYXY``) after a resize, an affine or a
    perspective warp: the smallest one around it along the longer of the two sides from the
    first corner (of the same centre, that side's direction, the parallelogram's extent along
    it, and the distance between that side and its opposite)."""
    work = corners if corners.dtype in _WIDE_FLOATS else corners.to(torch.float32)
    x1, y1, x2, y2, x3, y3, x4, y4 = work.unbind(-1)
    cx, cy = (x1 + x3) / 2, (y1 + y3) / 2
    side_12 = ((x2 - x1).pow(2) + (y2 - y1).pow(2)).sqrt()
    side_14 = ((x4 - x1).pow(2) + (y4 - y1).pow(2)).sqrt()
    angle_12, angle_14 = torch.atan2(y1 - y2, x2 - x1), torch.atan2(y1 - y4, x4 - x1)
    between = angle_12 - angle_14
    sign = torch.where(between > torch.pi / 2, -1, 1)
    cos, sin = between.cos(), between.sin()
    w = torch.where(side_12 < side_14, side_12 * sin, side_12 + side_14 * cos * sign)
    h = torch.where(side_12 > side_14, side_14 * sin, side_14 + side_12 * cos * sign)
    angle = torch.where(side_14 > side_12, angle_14 + torch.pi / 2, angle_12)
    cos, sin = angle.cos(), angle.sin()
    half_w, half_h = w / 2, h / 2
    rectangle = torch.stack(
        [
            cx - half_w * cos - half_h * sin,
            cy - half_h * cos + half_w * sin,
            cx + half_w * cos - half_h * sin,
            cy - half_h * cos - half_w * sin,
            cx + half_w * cos + half_h * sin,
            cy + half_h * cos - half_w * sin,
            cx - half_w * cos + half_h * sin,
            cy + half_h * cos + half_w * sin,
        ],
        dim=-1,
    )
    return rectangle.to(corners.dtype)


# --- clamping --------------------------------------------------------------------------------
# torchvision clamps a box against the left edge of the canvas, then turns the canvas a quarter
# and repeats, four times. Against an edge, each side of the box is a line y = a x + b; clamping
# moves the lines' intercepts b (keeping the slopes, hence the angle) and takes the corners
# where the moved lines meet. Corner tensors here are Tensor[N, 8].


def _lines(corners: Tensor) -> tuple[Tensor, Tensor]:
    """Slopes and intercepts ``Tensor[N, 4]`` of the sides, side i from corner i to i + 1."""
    x, y = corners[:, 0::2], corners[:, 1::2]
    slopes = y.diff(append=y[:, :1]) / x.diff(append=x[:, :1])
    return slopes, y - slopes * x


def _meeting_points(slopes: Tensor, intercepts: Tensor) -> Tensor:
    """Corner i where side i - 1 meets side i."""
    x = intercepts.diff(prepend=intercepts[:, 3:]).neg() / slopes.diff(prepend=slopes[:, 3:])
    return torch.stack([x, slopes * x + intercepts], dim=-1).reshape(-1, 8)


def _leftmost_first(corners: Tensor) -> Tensor:
    """Gather indices ``Tensor[N, 8]`` that start each box at its leftmost corner (the top one
    of two), keeping the corners' cyclic order."""
    x, y = corners[:, 0::2], corners[:, 1::2]
    # amax and argmin: torchvision's max and min values and indices (ties and NaN alike),
    # without the indexed reductions, which take milliseconds on a busy machine.
    x_max, y_max = x.abs().amax(dim=1, keepdim=True), y.abs().amax(dim=1, keepdim=True)
    first = (y / y_max + (x / x_max) * 100).argmin(dim=1)
    offsets = torch.arange(8, device=corners.device)
    return (first.unsqueeze(1) * 2 + offsets).remainder(8)


def _clamped_intercepts(
    corners: Tensor, original: Tensor, canvas_size: tuple[int, int], mode: str
) -> Tensor:
    """The sides' intercepts moved so that the box leaves the left edge: ``"soft"`` keeps the
    smallest box of the same angle around its part inside the canvas, ``"hard"`` the largest
    one inside both; never past the intercepts of ``original``, the box before clamping."""
    height, width = canvas_size
    slopes, intercepts = _lines(corners)
    a1, a2, a3, a4 = slopes.unbind(-1)
    b1, b2, b3, b4 = intercepts.unbind(-1)
    # Each side stays between the original box's side and the side opposite to it.
    _, limits = _lines(original)
    o1, o2, o3, o4 = limits.unbind(-1)

    new_b1 = b2.clamp(b1, b3).clamp(0, height)
    new_b4 = b3.clamp(b2, b4).clamp(0, height)
    new_b2, new_b3 = b2, b3
    if mode == "hard":
        new_b1 = new_b4 = (new_b1 + new_b4) / 2
        candidates = [
            new_b1 * a2 / a1,
            b3 * a2 / a3,
            (a1 - a2) * width + new_b1,
            (a3 - a2) * width + b3,
        ]
        new_b2 = torch.stack(candidates, dim=1).amax(dim=1).clamp(max=b2)
        candidates = [
            height * (1 - a3 / a4) + new_b4 * a3 / a4,
            height * (1 - a3 / a2) + new_b2 * a3 / a2,
            (a2 - a3) * width + new_b2,
            (a4 - a3) * width + new_b4,
        ]
        new_b3 = torch.stack(candidates, dim=1).amin(dim=1).clamp(min=b3)
        # torchvision keeps sides 1 and 4 on one intercept and limits it in place twice, so
        # both end up under the limits of both.
        new_b1 = new_b4 = new_b1.clamp(o1, o3).clamp(o2, o4)
    else:
        new_b1, new_b4 = new_b1.clamp(o1, o3), new_b4.clamp(o2, o4)
    new_b2, new_b3 = new_b2.clamp(o2, o4), new_b3.clamp(o1, o3)
    return torch.stack([new_b1, new_b2, new_b3, new_b4], dim=-1)


def _clamp_to_left_edge(
    corners: Tensor, original: Tensor, canvas_size: tuple[int, int], mode: str
) -> Tensor:
    """Boxes whose first corner is their leftmost one, moved right of ``x = 0``."""
    slopes, _ = _lines(corners)
    x1, y1, x2, y2, x3, y3, x4, y4 = corners.unbind(-1)
    moved = _meeting_points(slopes, _clamped_intercepts(corners, original, canvas_size, mode))
    pinned = corners.clone()  # sides along the axes: the left corners slide onto the edge
    pinned[:, 0].clamp_(0)
    pinned[:, 6].clamp_(0)

    use_moved = (x1 < 0) & ~moved.isnan().any(-1)
    axis_side = y1.isclose(y2) | y3.isclose(y4)
    vanished = (x1 <= 0) & (x2 <= 0) & (x3 <= 0) & (x4 <= 0)
    vanished |= y1.isclose(y4) | y2.isclose(y3) | (axis_side & x1.isclose(x2))
    out = torch.where(use_moved.unsqueeze(1), moved, corners)
    out = torch.where(axis_side.unsqueeze(1), pinned, out)
    return torch.where(vanished.unsqueeze(1), torch.zeros_like(out), out)


def _quarter_turn(corners: Tensor, width: int) -> Tensor:
    """The corners on the canvas turned a quarter counter-clockwise: ``(x, y) -> (y, W - x)``."""
    x, y = corners[:, 0::2], corners[:, 1::2]
    return torch.stack([y, width - x], dim=-1).reshape(-1, 8)


def clamp_rotated(
    boxes: Tensor, format: BoundingBoxFormat, canvas_size: tuple[int, int], mode: str
) -> Tensor:
    """Rotated ``boxes`` clamped to the canvas at their angle (``mode`` ``"soft"`` or
    ``"hard"``, see :func:`_clamped_intercepts`), of the same format and shape.

    Boxes wholly outside, or too thin to keep, shrink to a point (on the canvas's border). As in
    torchvision, the corners may come back starting from another one (an ``XYWHR`` box turned by
    180 degrees, say).
    """
    corners = convert_rotated(boxes.clone(), format, XYXYXYXY).reshape(-1, 8)
    original = corners.clone()
    height, width = canvas_size
    for _ in range(4):
        order = _leftmost_first(corners)
        corners, original = corners.gather(1, order), original.gather(1, order)
        corners = _clamp_to_left_edge(corners, original, (height, width), mode)
        # torchvision gathers by the same indices again rather than undoing the order.
        corners, original = corners.gather(1, order), original.gather(1, order)
        corners, original = _quarter_turn(corners, width), _quarter_turn(original, width)
        height, width = width, height
    return convert_rotated(corners, XYXYXYXY, format).reshape(boxes.shape)


# --- flips and sides ---------------------------------------------------------------------------

# The corner order of a mirrored box: mirroring reverses the turn, so corners 1 and 2, and
# 3 and 4, swap places to keep them clockwise.
_MIRRORED_CORNERS = [2, 3, 0, 1, 6, 7, 4, 5]


def flip_rotated(boxes: Tensor, format: BoundingBoxFormat, extent: int, axis: int) -> Tensor:
    """Rotated boxes mirrored along ``axis`` (0: x, 1: y) of a canvas ``extent`` long on it;
    the angle becomes ``-r`` (horizontal flip) or ``180 - r`` (vertical flip)."""
    shape = boxes.shape
    boxes = boxes.reshape(-1, shape[-1])
    out = boxes.clone()
    if format == XYXYXYXY:
        out[:, axis::2] = extent - boxes[:, axis::2]
        return out[:, _MIRRORED_CORNERS].reshape(shape)
    if format == XYWHR:  # the new first corner is the old second one, mirrored
        if not boxes.is_floating_point():
            raise RuntimeError(
                f"flipping XYWHR boxes needs a floating point tensor, got {boxes.dtype}"
            )
        cos, sin = _cos_sin(boxes[:, 4])
        second_x, second_y = boxes[:, 0] + boxes[:, 2] * cos, boxes[:, 1] - boxes[:, 2] * sin
        out[:, 0] = extent - second_x if axis == 0 else second_x
        out[:, 1] = extent - second_y if axis == 1 else second_y
    else:  # CXCYWHR: the centre is mirrored
        out[:, axis] = extent - boxes[:, axis]
    out[:, 4] = -boxes[:, 4] if axis == 0 else -boxes[:, 4] + 180
    return out.reshape(shape)


def sides_rotated(boxes: Tensor, format: BoundingBoxFormat) -> tuple[Tensor, Tensor, Tensor]:
    """``(corners, widths, heights)`` of rotated boxes as SanitizeBoundingBoxes measures them.

    The height is torchvision's: the length of ``(y2 - y3, x3 - x4)``, which is
    ``|cos r| * sqrt(w**2 + h**2)`` for a rectangle rather than ``h`` (0 at 90 degrees).
    """
    corners = convert_rotated(boxes, format, XYXYXYXY)
    x1, y1, x2, y2, x3, y3, x4, _ = corners.unbind(-1)
    widths = ((x1 - x2).pow(2) + (y1 - y2).pow(2)).sqrt()
    heights = ((y2 - y3).pow(2) + (x3 - x4).pow(2)).sqrt()
    return corners, widths, heights
