"""Box formats: their names, argument checks, and conversions between them (TorchScript-compatible).

Axis-aligned boxes have 4 coordinates: ``xyxy`` (corners), ``xywh`` (top-left corner, width,
height), ``cxcywh`` (centre, width, height). Rotated boxes add an angle ``r`` in degrees,
counter-clockwise as seen on the image (whose y axis points down), about the box's centre:
``xywhr`` (the rotated top-left corner, width, height, r), ``cxcywhr`` (centre, width, height, r)
and ``xyxyxyxy`` (the four corners: top-left, top-right, bottom-right, bottom-left of the
unrotated box, each rotated). Conversions go through a hub per family, ``xyxy`` and ``xywhr``;
integer boxes stay integers except where a conversion halves a side (``cxcywh``), and rotated
integer boxes are rounded after each step through the hub.
"""

import math

import torch
from torch import Tensor

from ._errors import ArgumentDTypeError, ArgumentIndexError


# Functions rather than constants: TorchScript cannot read global tuples or lists.
def axis_aligned_formats() -> list[str]:
    """The axis-aligned box formats."""
    return ["xyxy", "xywh", "cxcywh"]


def rotated_formats() -> list[str]:
    """The rotated box formats."""
    return ["xywhr", "cxcywhr", "xyxyxyxy"]


def box_formats() -> list[str]:
    """Every box format."""
    return axis_aligned_formats() + rotated_formats()


def coordinate_count(fmt: str) -> int:
    """Numbers per box in format ``fmt`` (a valid format)."""
    if fmt in axis_aligned_formats():
        return 4
    return 8 if fmt == "xyxyxyxy" else 5


def check_format(fmt: str, name: str, allowed: list[str]) -> None:
    """Require ``fmt`` (the argument ``name``) to be one of ``allowed``."""
    if fmt not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got '{fmt}'")


def check_box_tensor(boxes: Tensor, fmt: str, name: str, min_dim: int) -> None:
    """Require a real-valued ``Tensor[..., K]`` with K the coordinate count of ``fmt`` and at least
    ``min_dim`` dimensions."""
    k = coordinate_count(fmt)
    if boxes.dim() < min_dim or boxes.size(-1) != k:
        lead = "..., " if min_dim <= 1 else "..., N, "
        raise ArgumentIndexError(
            f"{name} must be a Tensor[{lead}{k}] for fmt '{fmt}', got Tensor{list(boxes.shape)}"
        )
    if boxes.dtype == torch.bool or boxes.is_complex():
        raise ArgumentDTypeError(f"{name} must hold real numbers, got dtype {boxes.dtype}")


# --- axis-aligned, through xyxy ----------------------------------------------------------------


def to_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    """Axis-aligned boxes in ``fmt`` as ``(x1, y1, x2, y2)``."""
    if fmt == "xyxy":
        return boxes
    a, b, c, d = boxes.unbind(-1)
    if fmt == "xywh":
        return torch.stack((a, b, a + c, b + d), dim=-1)
    return torch.stack((a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d), dim=-1)


def from_xyxy(boxes: Tensor, fmt: str) -> Tensor:
    """``(x1, y1, x2, y2)`` boxes in the axis-aligned format ``fmt``."""
    if fmt == "xyxy":
        return boxes
    x1, y1, x2, y2 = boxes.unbind(-1)
    if fmt == "xywh":
        return torch.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


# --- rotated, through xywhr --------------------------------------------------------------------


def _cos_sin_degrees(r: Tensor) -> tuple[Tensor, Tensor]:
    radians = r * math.pi / 180.0
    return torch.cos(radians), torch.sin(radians)


def _rounded_like(converted: Tensor, original: Tensor) -> Tensor:
    """Integer boxes come back as integers, rounded to the nearest (half to even)."""
    if original.is_floating_point():
        return converted
    return converted.round().to(original.dtype)


def to_xywhr(boxes: Tensor, fmt: str) -> Tensor:
    """Rotated boxes in ``fmt`` as ``(x1, y1, w, h, r)``."""
    if fmt == "xywhr":
        return boxes
    if fmt == "cxcywhr":
        cx, cy, w, h, r = boxes.unbind(-1)
        cos, sin = _cos_sin_degrees(r)
        x1 = cx - w / 2 * cos - h / 2 * sin
        y1 = cy - h / 2 * cos + w / 2 * sin
        return _rounded_like(torch.stack((x1, y1, w, h, r), dim=-1), boxes)
    x1, y1, x2, y2, x3, y3, _, _ = boxes.unbind(-1)
    r = torch.atan2(y1 - y2, x2 - x1) * 180 / math.pi
    w = ((x2 - x1) ** 2 + (y1 - y2) ** 2).sqrt()
    h = ((x3 - x2) ** 2 + (y3 - y2) ** 2).sqrt()
    return _rounded_like(torch.stack((x1, y1, w, h, r), dim=-1), boxes)


def from_xywhr(boxes: Tensor, fmt: str) -> Tensor:
    """``(x1, y1, w, h, r)`` boxes in the rotated format ``fmt``."""
    if fmt == "xywhr":
        return boxes
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin_degrees(r)
    if fmt == "cxcywhr":
        cx = x1 + w / 2 * cos + h / 2 * sin
        cy = y1 - w / 2 * sin + h / 2 * cos
        return _rounded_like(torch.stack((cx, cy, w, h, r), dim=-1), boxes)
    # The top edge runs from the top-left corner along (cos, -sin), the left edge along (sin, cos).
    x2, y2 = x1 + w * cos, y1 - w * sin
    x3, y3 = x2 + h * sin, y2 + h * cos
    x4, y4 = x1 + h * sin, y1 + h * cos
    return _rounded_like(torch.stack((x1, y1, x2, y2, x3, y3, x4, y4), dim=-1), boxes)


def convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """``boxes`` from ``in_fmt`` to ``out_fmt``, two valid formats of the same family."""
    if in_fmt == out_fmt:
        return boxes.clone()
    if in_fmt in axis_aligned_formats():
        return from_xyxy(to_xyxy(boxes, in_fmt), out_fmt)
    return from_xywhr(to_xywhr(boxes, in_fmt), out_fmt)
