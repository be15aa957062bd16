"""Box geometry and non-maximum suppression. Boxes are ``(x1, y1, x2, y2)`` unless stated."""

import torch
from torch import Tensor

from ._validation import check_boxes, check_same, check_scores

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression.

    Boxes are visited by decreasing score (equal scores: lower index first); a box is dropped
    when a kept box overlaps it with IoU > ``iou_threshold``.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        scores: ``Tensor[N]``.
        iou_threshold: drop boxes overlapping a kept box with IoU above this.

    Returns:
        int64 ``Tensor[M]``: indices of the kept boxes, by decreasing score.
    """
    check_boxes(boxes, "boxes")
    check_scores(scores, boxes)
    return torch.ops.vops.nms(boxes, scores, iou_threshold)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression within each category: boxes of different ``idxs`` never
    suppress each other.

    The result equals running :func:`nms` per category and merging by score; coordinates are never
    offset, so it does not depend on the size of the boxes.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        scores: ``Tensor[N]``.
        idxs: integer ``Tensor[N]``, the category of each box.
        iou_threshold: drop boxes overlapping a kept box of their category with IoU above this.

    Returns:
        int64 ``Tensor[M]``: indices of the kept boxes, by decreasing score.
    """
    check_boxes(boxes, "boxes")
    check_scores(scores, boxes)
    if idxs.dim() != 1 or idxs.size(0) != boxes.size(0) or idxs.is_floating_point():
        raise ValueError(
            f"idxs must be an integer Tensor[N] with N = boxes.size(0) = {boxes.size(0)}, "
            f"got Tensor{list(idxs.shape)} of dtype {idxs.dtype}"
        )
    if idxs.device != boxes.device:
        raise ValueError(
            f"idxs and boxes must be on the same device, got {idxs.device} and {boxes.device}"
        )
    return torch.ops.vops.batched_nms(boxes, scores, idxs, iou_threshold)


def box_area(boxes: Tensor) -> Tensor:
    """Areas of ``Tensor[N, 4]`` boxes as ``Tensor[N]``."""
    check_boxes(boxes, "boxes")
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _intersection_and_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    check_boxes(boxes1, "boxes1")
    check_boxes(boxes2, "boxes2")
    check_same(boxes2, boxes1, "boxes2", "boxes1")
    width = torch.min(boxes1[:, None, 2], boxes2[:, 2]) - torch.max(
        boxes1[:, None, 0], boxes2[:, 0]
    )
    height = torch.min(boxes1[:, None, 3], boxes2[:, 3]) - torch.max(
        boxes1[:, None, 1], boxes2[:, 1]
    )
    inter = width.clamp(min=0) * height.clamp(min=0)
    union = box_area(boxes1)[:, None] + box_area(boxes2) - inter
    return inter, union


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise intersection over union.

    Args:
        boxes1: ``Tensor[N, 4]``.
        boxes2: ``Tensor[M, 4]``.

    Returns:
        ``Tensor[N, M]``: IoU of every pair.
    """
    inter, union = _intersection_and_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise generalized IoU (Rezatofighi et al., 2019): IoU minus the share of the smallest
    enclosing box that the union leaves uncovered. In ``[-1, 1]``.

    Args:
        boxes1: ``Tensor[N, 4]``.
        boxes2: ``Tensor[M, 4]``.

    Returns:
        ``Tensor[N, M]``.
    """
    inter, union = _intersection_and_union(boxes1, boxes2)
    iou = inter / union
    hull_w = torch.max(boxes1[:, None, 2], boxes2[:, 2]) - torch.min(
        boxes1[:, None, 0], boxes2[:, 0]
    )
    hull_h = torch.max(boxes1[:, None, 3], boxes2[:, 3]) - torch.min(
        boxes1[:, None, 1], boxes2[:, 1]
    )
    hull = hull_w.clamp(min=0) * hull_h.clamp(min=0)
    return iou - (hull - union) / hull


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clip ``Tensor[..., 4]`` boxes to an image of ``size = (height, width)``."""
    if boxes.dim() < 1 or boxes.size(-1) != 4:
        raise ValueError(f"boxes must be a Tensor[..., 4], got Tensor{list(boxes.shape)}")
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return torch.stack((x[..., 0], y[..., 0], x[..., 1], y[..., 1]), dim=-1)


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both at least ``min_size``."""
    check_boxes(boxes, "boxes")
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    return torch.where((widths >= min_size) & (heights >= min_size))[0]


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert ``Tensor[..., 4]`` boxes between formats.

    Formats: ``"xyxy"`` (corners), ``"xywh"`` (top-left corner, width, height) and
    ``"cxcywh"`` (centre, width, height).
    """
    for name, fmt in (("in_fmt", in_fmt), ("out_fmt", out_fmt)):
        if fmt not in BOX_FORMATS:
            raise ValueError(f"{name} must be one of {list(BOX_FORMATS)}, got {fmt!r}")
    if boxes.dim() < 1 or boxes.size(-1) != 4:
        raise ValueError(f"boxes must be a Tensor[..., 4], got Tensor{list(boxes.shape)}")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    else:
        x1, y1, x2, y2 = a, b, c, d
    if out_fmt == "xywh":
        return torch.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)
    if out_fmt == "cxcywh":
        return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)
    return torch.stack((x1, y1, x2, y2), dim=-1)


@torch.library.register_fake("vops::nms")
def _nms_fake(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)


@torch.library.register_fake("vops::batched_nms")
def _batched_nms_fake(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)
