"""Top-k accuracy of classification logits, accumulated over an evaluation pass."""

from collections.abc import Sequence

import torch
from torch import Tensor

from ..distributed import all_reduce_sum


def topk_correct(logits: Tensor, targets: Tensor, ks: Sequence[int]) -> Tensor:
    """How many samples have their target among the ``k`` highest logits, for each ``k``.

    Args:
        logits: ``Tensor[N, C]``.
        targets: int ``Tensor[N]`` of class indices.
        ks: each at most ``C``.

    Returns:
        int64 ``Tensor[len(ks)]``.
    """
    if logits.dim() != 2 or targets.shape != logits.shape[:1]:
        raise ValueError(
            f"logits must be Tensor[N, C] and targets Tensor[N], got {list(logits.shape)} and "
            f"{list(targets.shape)}"
        )
    if max(ks) > logits.size(1):
        raise ValueError(f"top-k needs k <= number of classes ({logits.size(1)}), got {ks}")
    ranked = logits.topk(max(ks), dim=1).indices
    hits = ranked == targets[:, None]
    return torch.stack([hits[:, :k].any(dim=1).sum() for k in ks]).to(torch.int64)


class TopKAccuracy:
    """Top-1 and, with at least 5 classes, top-5 accuracy (fractions in ``[0, 1]``) over all
    processes. :meth:`update` takes logits ``Tensor[N, C]`` and targets ``Tensor[N]``."""

    def __init__(self, num_classes: int) -> None:
        self.ks = (1, 5) if num_classes >= 5 else (1,)
        self.correct = torch.zeros(len(self.ks), dtype=torch.int64)
        self.count = torch.zeros(1, dtype=torch.int64)

    def update(self, outputs: Tensor, targets: Tensor) -> None:
        self.correct += topk_correct(outputs.cpu(), targets.cpu(), self.ks)
        self.count += targets.numel()

    def summary(self) -> dict[str, float]:
        totals = all_reduce_sum(torch.cat([self.correct, self.count]))
        count = max(int(totals[-1]), 1)
        return {f"top{k}": int(c) / count for k, c in zip(self.ks, totals[:-1], strict=True)}
