"""Semantic segmentation scores from a confusion matrix: global pixel accuracy, per-class IoU
and mean IoU."""

from collections.abc import Sequence

import torch
from torch import Tensor

from ..distributed import all_reduce_sum

IGNORE_INDEX = 255


def confusion_matrix(
    predictions: Tensor, targets: Tensor, num_classes: int, ignore_index: int = IGNORE_INDEX
) -> Tensor:
    """``matrix[t, p]``: how many pixels of class ``t`` were predicted as ``p``.

    Args:
        predictions: int ``Tensor[...]`` of predicted classes.
        targets: int ``Tensor[...]`` of the same shape; ``ignore_index`` pixels are left out.
        num_classes: size of the matrix.

    Returns:
        int64 ``Tensor[num_classes, num_classes]``.
    """
    if predictions.shape != targets.shape:
        raise ValueError(
            f"predictions and targets must have the same shape, got {list(predictions.shape)} "
            f"and {list(targets.shape)}"
        )
    keep = targets != ignore_index
    targets, predictions = targets[keep].to(torch.int64), predictions[keep].to(torch.int64)
    if len(targets) and (targets.min() < 0 or targets.max() >= num_classes):
        raise ValueError(
            f"targets must be class indices in [0, {num_classes}) or {ignore_index}, got values "
            f"from {int(targets.min())} to {int(targets.max())}"
        )
    counts = torch.bincount(targets * num_classes + predictions, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def segmentation_scores(
    matrix: Tensor, class_names: Sequence[str] | None = None
) -> dict[str, float]:
    """``pixel_acc`` (correct / labelled pixels), ``iou_<class>`` per class and ``miou``, their
    mean over the classes that occur in the targets or the predictions (IoU is undefined for
    the others, which are left out)."""
    matrix = matrix.to(torch.float64)
    correct = matrix.diag()
    union = matrix.sum(0) + matrix.sum(1) - correct
    names = class_names or [str(c) for c in range(len(matrix))]
    present = union > 0
    iou = correct / union.clamp(min=1)
    scores = {"pixel_acc": float(correct.sum() / matrix.sum().clamp(min=1))}
    scores["miou"] = float(iou[present].mean()) if present.any() else 0.0
    for name, value, seen in zip(names, iou.tolist(), present.tolist(), strict=True):
        if seen:
            scores[f"iou_{name}"] = value
    return scores


class ConfusionMatrix:
    """Accumulates a confusion matrix over an evaluation pass; :meth:`summary` adds up the
    matrices of all processes and returns :func:`segmentation_scores`. :meth:`update` takes
    logits ``Tensor[N, C, H, W]`` (or ``{"out": logits}``) and targets ``Tensor[N, H, W]``."""

    def __init__(self, num_classes: int, class_names: Sequence[str] | None = None) -> None:
        self.num_classes = num_classes
        self.class_names = class_names
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def update(self, outputs: Tensor | dict[str, Tensor], targets: Tensor) -> None:
        logits = outputs["out"] if isinstance(outputs, dict) else outputs
        predictions = logits.argmax(1).cpu()
        self.matrix += confusion_matrix(predictions, targets.cpu(), self.num_classes)

    def summary(self) -> dict[str, float]:
        return segmentation_scores(all_reduce_sum(self.matrix), self.class_names)
