"""Pairwise geometry of axis-aligned ``(x1, y1, x2, y2)`` boxes in pure PyTorch, differentiable
and TorchScript-compatible, with the argument checks the pairwise ops share; the IoU variants
and losses build on it."""

import torch
from torch import Tensor

from ._errors import ArgumentDTypeError, ArgumentError, ArgumentIndexError


def check_box_coordinates(boxes: Tensor, name: str, min_dim: int) -> None:
    """Require a real (not bool or complex) ``Tensor[..., 4]`` of at least ``min_dim``
    dimensions."""
    if boxes.dim() < min_dim or boxes.size(-1) != 4:
        leading = "..., N, " if min_dim > 1 else "..., "
        raise ArgumentIndexError(
            f"{name} must be a Tensor[{leading}4] of (x1, y1, x2, y2) boxes, "
            f"got Tensor{list(boxes.shape)}"
        )
    if boxes.dtype == torch.bool or boxes.is_complex():
        raise ArgumentDTypeError(
            f"{name} must hold integer or floating-point coordinates, got dtype {boxes.dtype}"
        )


def check_box_sets(boxes1: Tensor, boxes2: Tensor) -> None:
    """Require ``boxes1[..., N, 4]`` and ``boxes2[..., M, 4]`` on one device, with leading
    dimensions that broadcast; dtypes may differ (they promote)."""
    check_box_coordinates(boxes1, "boxes1", 2)
    check_box_coordinates(boxes2, "boxes2", 2)
    batch1 = boxes1.shape[:-2]
    batch2 = boxes2.shape[:-2]
    for i in range(1, min(len(batch1), len(batch2)) + 1):
        if batch1[-i] != batch2[-i] and batch1[-i] != 1 and batch2[-i] != 1:
            raise ArgumentIndexError(
                f"the leading (batch) dimensions of boxes1 and boxes2 must broadcast, "
                f"got Tensor{list(boxes1.shape)} and Tensor{list(boxes2.shape)}"
            )
    check_same_device(boxes1, boxes2)


def check_same_device(boxes1: Tensor, boxes2: Tensor) -> None:
    """Require ``boxes1`` and ``boxes2`` on one device."""
    if boxes1.device != boxes2.device:
        raise ArgumentError(
            f"boxes1 and boxes2 must be on the same device, got {boxes1.device} and {boxes2.device}"
        )


def upcast(boxes: Tensor) -> Tensor:
    """``boxes`` in a dtype whose differences and products stay exact enough: half-precision
    floats become float32, integers narrower than 32 bits int32 (uint8 differences would wrap
    around)."""
    if boxes.is_floating_point():
        return boxes if boxes.dtype in (torch.float32, torch.float64) else boxes.float()
    return boxes if boxes.dtype in (torch.int32, torch.int64) else boxes.int()


def pairwise_inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    """Intersection and union areas of every pair of ``boxes1[..., N, 4]`` and
    ``boxes2[..., M, 4]``, as two ``Tensor[..., N, M]``. Integer boxes give integer areas
    (int32 or int64), half-precision ones float32."""
    boxes1 = upcast(boxes1)
    boxes2 = upcast(boxes2)
    area1 = (boxes1[..., 2] - boxes1[..., 0]) * (boxes1[..., 3] - boxes1[..., 1])
    area2 = (boxes2[..., 2] - boxes2[..., 0]) * (boxes2[..., 3] - boxes2[..., 1])
    top_left = torch.max(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    bottom_right = torch.min(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    sides = (bottom_right - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    union = area1[..., :, None] + area2[..., None, :] - inter
    return inter, union


def pairwise_hull_sides(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Width and height of the smallest box enclosing each pair of ``boxes1[..., N, 4]`` and
    ``boxes2[..., M, 4]`` (already upcast), as ``Tensor[..., N, M, 2]``."""
    top_left = torch.min(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    bottom_right = torch.max(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    return (bottom_right - top_left).clamp(min=0)
