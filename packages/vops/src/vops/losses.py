"""Detection losses: IoU-based box regression losses over matched ``(x1, y1, x2, y2)`` box pairs
(generalized, distance and complete IoU), and the sigmoid focal loss of RetinaNet.

Box losses compute in float32 for integer and half-precision boxes; their ``"mean"`` of no pairs
is 0, so an image without matches still back-propagates.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ._box_pairs import check_box_coordinates, check_same_device
from ._errors import ArgumentDTypeError, ArgumentError, ArgumentIndexError


def generalized_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - GIoU`` of matched boxes (Rezatofighi et al., 2019): nonzero for disjoint boxes,
    growing with their enclosing box. Symmetric in its two arguments.

    Args:
        boxes1: ``Tensor[..., 4]``.
        boxes2: ``Tensor[..., 4]``, broadcasting to the shape of ``boxes1``.
        reduction: ``"none"``, ``"mean"`` or ``"sum"`` over the pairs.
        eps: keeps the union and the enclosing area away from zero.

    Returns:
        ``Tensor[...]`` of per-pair losses for ``"none"``, else a scalar.
    """
    _check_loss_arguments(boxes1, boxes2, reduction)
    iou, union, hull_width, hull_height = _overlap(_coordinates(boxes1), _coordinates(boxes2), eps)
    hull_area = hull_width * hull_height
    loss = 1 - (iou - (hull_area - union) / (hull_area + eps))
    return _reduce_box_loss(loss, reduction)


def distance_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - DIoU`` of matched boxes (Zheng et al., 2020): the IoU loss plus the squared
    distance between the centres over the squared diagonal of the enclosing box.

    Args:
        boxes1: ``Tensor[..., 4]``.
        boxes2: ``Tensor[..., 4]``, broadcasting to the shape of ``boxes1``.
        reduction: ``"none"``, ``"mean"`` or ``"sum"`` over the pairs.
        eps: keeps the union and the squared diagonal away from zero.

    Returns:
        ``Tensor[...]`` of per-pair losses for ``"none"``, else a scalar.
    """
    _check_loss_arguments(boxes1, boxes2, reduction)
    loss, _ = _distance_loss_and_iou(_coordinates(boxes1), _coordinates(boxes2), eps)
    return _reduce_box_loss(loss, reduction)


def complete_box_iou_loss(
    boxes1: Tensor, boxes2: Tensor, reduction: str = "none", eps: float = 1e-7
) -> Tensor:
    """``1 - CIoU`` of matched boxes (Zheng et al., 2020): the distance IoU loss plus a
    penalty for differing aspect ratios, whose weight is not differentiated through.

    As in torchvision, ``eps`` enters only the aspect-ratio weight; the distance IoU part
    always uses ``1e-7``.

    Args:
        boxes1: ``Tensor[..., 4]``.
        boxes2: ``Tensor[..., 4]``, broadcasting to the shape of ``boxes1``.
        reduction: ``"none"``, ``"mean"`` or ``"sum"`` over the pairs.
        eps: keeps the aspect-ratio weight's denominator away from zero.

    Returns:
        ``Tensor[...]`` of per-pair losses for ``"none"``, else a scalar.
    """
    _check_loss_arguments(boxes1, boxes2, reduction)
    coordinates1 = _coordinates(boxes1)
    coordinates2 = _coordinates(boxes2)
    distance_loss, iou = _distance_loss_and_iou(coordinates1, coordinates2, 1e-7)
    x1, y1, x2, y2 = coordinates1
    x1g, y1g, x2g, y2g = coordinates2
    slant_difference = torch.atan((x2g - x1g) / (y2g - y1g)) - torch.atan((x2 - x1) / (y2 - y1))
    v = (4 / math.pi**2) * slant_difference**2
    alpha = (v / (1 - iou + v + eps)).detach()
    return _reduce_box_loss(distance_loss + alpha * v, reduction)


def sigmoid_focal_loss(
    inputs: Tensor,
    targets: Tensor,
    alpha: float = 0.25,
    gamma: float = 2,
    reduction: str = "none",
) -> Tensor:
    """Focal loss of RetinaNet (Lin et al., 2017): binary cross-entropy on logits, scaled by
    ``(1 - p_t) ** gamma`` to discount easy examples and weighted by ``alpha`` for positives
    and ``1 - alpha`` for negatives.

    Args:
        inputs: float ``Tensor[*]`` of logits.
        targets: float ``Tensor[*]`` of the same shape: 1 for positives, 0 for negatives
            (soft labels in between are allowed).
        alpha: weight of the positives in ``[0, 1]``, or ``-1`` for no weighting.
        gamma: exponent of the modulating factor ``1 - p_t``.
        reduction: ``"none"``, ``"mean"`` or ``"sum"`` over the elements.

    Returns:
        ``Tensor[*]`` of losses for ``"none"``, else a scalar (the mean of no elements is NaN).
    """
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ArgumentError(f"alpha must be in [0, 1], or -1 for no weighting, got {alpha}")
    _check_reduction(reduction)
    _check_logits_and_targets(inputs, targets)
    dtype = torch.promote_types(inputs.dtype, targets.dtype)
    inputs = inputs.to(dtype)
    targets = targets.to(dtype)
    p = torch.sigmoid(inputs)
    # lerp gives 1 - p_t exactly for hard targets: 1 - p for positives, p for negatives.
    miss = torch.lerp(p, 1 - p, targets)
    loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none") * miss**gamma
    if alpha >= 0:
        loss = (targets * (2 * alpha - 1) + (1 - alpha)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _overlap(
    boxes1: list[Tensor], boxes2: list[Tensor], eps: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """IoU (with ``eps`` added to the union), union, and width and height of the enclosing box
    of matched boxes given as their four coordinates."""
    x1, y1, x2, y2 = boxes1
    x1g, y1g, x2g, y2g = boxes2
    # relu, unlike clamp, passes no gradient to a side that is exactly 0, as torchvision's
    # masked intersection does not.
    inter = torch.relu(torch.min(x2, x2g) - torch.max(x1, x1g)) * torch.relu(
        torch.min(y2, y2g) - torch.max(y1, y1g)
    )
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    hull_width = torch.max(x2, x2g) - torch.min(x1, x1g)
    hull_height = torch.max(y2, y2g) - torch.min(y1, y1g)
    return inter / (union + eps), union, hull_width, hull_height


def _distance_loss_and_iou(
    boxes1: list[Tensor], boxes2: list[Tensor], eps: float
) -> tuple[Tensor, Tensor]:
    """``1 - DIoU`` and IoU of matched boxes given as their four coordinates."""
    iou, _, hull_width, hull_height = _overlap(boxes1, boxes2, eps)
    x1, y1, x2, y2 = boxes1
    x1g, y1g, x2g, y2g = boxes2
    diagonal_squared = hull_width**2 + hull_height**2 + eps
    distance_squared = ((x2 + x1) / 2 - (x1g + x2g) / 2) ** 2 + (
        (y2 + y1) / 2 - (y1g + y2g) / 2
    ) ** 2
    return 1 - iou + distance_squared / diagonal_squared, iou


def _coordinates(boxes: Tensor) -> list[Tensor]:
    """``x1, y1, x2, y2`` of ``boxes[..., 4]``, in float32 unless float64. One unbind per box
    tensor keeps the backward to one stack."""
    if boxes.dtype not in (torch.float32, torch.float64):
        boxes = boxes.float()
    return boxes.unbind(-1)


def _check_reduction(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ArgumentError(f"reduction must be 'none', 'mean' or 'sum', got '{reduction}'")


def _check_loss_arguments(boxes1: Tensor, boxes2: Tensor, reduction: str) -> None:
    check_box_coordinates(boxes1, "boxes1", 1)
    check_box_coordinates(boxes2, "boxes2", 1)
    shape1 = boxes1.shape
    shape2 = boxes2.shape
    broadcasts = len(shape2) <= len(shape1)
    for i in range(1, len(shape2) + 1):
        if broadcasts and shape2[-i] != shape1[-i] and shape2[-i] != 1:
            broadcasts = False
    if not broadcasts:
        raise ArgumentIndexError(
            f"boxes2 must broadcast to the shape of boxes1, Tensor{list(shape1)}, "
            f"got Tensor{list(shape2)}"
        )
    check_same_device(boxes1, boxes2)
    _check_reduction(reduction)


def _check_logits_and_targets(inputs: Tensor, targets: Tensor) -> None:
    for name, tensor in (("inputs", inputs), ("targets", targets)):
        if not tensor.is_floating_point():
            raise ArgumentDTypeError(
                f"{name} must be a floating-point tensor, got dtype {tensor.dtype}"
            )
    if inputs.shape != targets.shape:
        raise ArgumentIndexError(
            f"targets must have the shape of inputs, Tensor{list(inputs.shape)}, "
            f"got Tensor{list(targets.shape)}"
        )
    if inputs.device != targets.device:
        raise ArgumentError(
            f"inputs and targets must be on the same device, got {inputs.device} and "
            f"{targets.device}"
        )


def _reduce_box_loss(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    return loss
