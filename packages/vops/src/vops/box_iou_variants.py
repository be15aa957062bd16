"""Pairwise IoU variants that stay informative for disjoint boxes: generalized, distance and
complete IoU of ``(x1, y1, x2, y2)`` boxes, for every pair of two sets.

Boxes may be integer (results are float32) or floating point (float16 and bfloat16 compute in
float32); sets of different dtypes promote. Leading batch dimensions broadcast.
"""

import math

import torch
from torch import Tensor

from ._box_pairs import check_box_sets, pairwise_hull_sides, pairwise_inter_union, upcast


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU (Rezatofighi et al., 2019): IoU minus the share of the smallest
    enclosing box that the union leaves uncovered. In ``[-1, 1]`` for boxes with
    ``x1 < x2`` and ``y1 < y2``.

    Args:
        boxes1: ``Tensor[..., N, 4]``.
        boxes2: ``Tensor[..., M, 4]``.

    Returns:
        ``Tensor[..., N, M]``: the generalized IoU of every pair, float32 for integer or
        half-precision boxes.
    """
    check_box_sets(boxes1, boxes2)
    boxes1 = upcast(boxes1)
    boxes2 = upcast(boxes2)
    inter, union = pairwise_inter_union(boxes1, boxes2)
    hull = pairwise_hull_sides(boxes1, boxes2)
    hull_area = hull[..., 0] * hull[..., 1]
    return inter / union - (hull_area - union) / hull_area


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise distance IoU (Zheng et al., 2020): IoU minus the squared distance between the
    box centres over the squared diagonal of their smallest enclosing box.

    Args:
        boxes1: ``Tensor[..., N, 4]``.
        boxes2: ``Tensor[..., M, 4]``.
        eps: added to the squared diagonal, so that it is never zero.

    Returns:
        ``Tensor[..., N, M]``: the distance IoU of every pair, float32 for integer or
        half-precision boxes.
    """
    check_box_sets(boxes1, boxes2)
    diou, _ = _distance_iou_and_iou(upcast(boxes1), upcast(boxes2), eps)
    return diou


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """Pairwise complete IoU (Zheng et al., 2020): distance IoU minus a penalty for
    differing aspect ratios, whose weight is not differentiated through.

    Args:
        boxes1: ``Tensor[..., N, 4]``.
        boxes2: ``Tensor[..., M, 4]``.
        eps: keeps the squared diagonal and the aspect-ratio weight's denominator nonzero.

    Returns:
        ``Tensor[..., N, M]``: the complete IoU of every pair, float32 for integer or
        half-precision boxes.
    """
    check_box_sets(boxes1, boxes2)
    boxes1 = upcast(boxes1)
    boxes2 = upcast(boxes2)
    diou, iou = _distance_iou_and_iou(boxes1, boxes2, eps)
    slant1 = torch.atan((boxes1[..., 2] - boxes1[..., 0]) / (boxes1[..., 3] - boxes1[..., 1]))
    slant2 = torch.atan((boxes2[..., 2] - boxes2[..., 0]) / (boxes2[..., 3] - boxes2[..., 1]))
    v = (4 / math.pi**2) * (slant1[..., :, None] - slant2[..., None, :]) ** 2
    alpha = (v / (1 - iou + v + eps)).detach()
    return diou - alpha * v


def _distance_iou_and_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    inter, union = pairwise_inter_union(boxes1, boxes2)
    iou = inter / union
    hull = pairwise_hull_sides(boxes1, boxes2)
    diagonal_squared = hull[..., 0] ** 2 + hull[..., 1] ** 2 + eps
    # Per axis, the [..., N, M] offsets stay contiguous.
    offset_x = _centre(boxes1, 0)[..., :, None] - _centre(boxes2, 0)[..., None, :]
    offset_y = _centre(boxes1, 1)[..., :, None] - _centre(boxes2, 1)[..., None, :]
    centre_distance_squared = offset_x**2 + offset_y**2
    return iou - centre_distance_squared / diagonal_squared, iou


def _centre(boxes: Tensor, axis: int) -> Tensor:
    return (boxes[..., axis] + boxes[..., axis + 2]) / 2
