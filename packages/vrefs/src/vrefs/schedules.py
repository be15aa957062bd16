"""Learning-rate schedules, stepped once per iteration: a linear warmup followed by multistep
decay or a cosine decay to zero."""

import math
from collections.abc import Sequence

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

SCHEDULES = ("multistep-with-warmup", "cosine")
WARMUP_START_FACTOR = 0.001


class WarmupSchedule:
    """The factor on the base learning rate at an iteration: linear warmup from
    :data:`WARMUP_START_FACTOR` over ``warmup_iters``, then ``gamma`` once per milestone passed
    (multistep) or half a cosine wave from 1 to 0 over the remaining iterations (cosine).

    A plain object rather than a closure so that LambdaLR saves its attributes in its state.

    Args:
        kind: one of :data:`SCHEDULES`.
        total_iters: iterations of the whole run.
        warmup_iters: iterations of the linear warmup.
        milestones: iterations at which the multistep schedule multiplies by ``gamma``.
        gamma: multistep decay factor.
    """

    def __init__(
        self,
        kind: str,
        total_iters: int,
        warmup_iters: int,
        milestones: Sequence[int] = (),
        gamma: float = 0.1,
    ) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"--lr-schedule must be one of {', '.join(SCHEDULES)}, got {kind!r}")
        self.kind = kind
        self.total_iters = total_iters
        self.warmup_iters = warmup_iters
        self.milestones = sorted(milestones)
        self.gamma = gamma

    def __call__(self, iteration: int) -> float:
        factor = 1.0
        if iteration < self.warmup_iters:
            alpha = iteration / self.warmup_iters
            factor = WARMUP_START_FACTOR * (1 - alpha) + alpha
        if self.kind == "multistep-with-warmup":
            return factor * self.gamma ** sum(iteration >= m for m in self.milestones)
        decay_iters = max(self.total_iters - self.warmup_iters, 1)
        progress = min(max(iteration - self.warmup_iters, 0) / decay_iters, 1.0)
        return factor * 0.5 * (1 + math.cos(math.pi * progress))


def build_lr_scheduler(optimizer: Optimizer, args, iters_per_epoch: int) -> LambdaLR:
    """The per-iteration scheduler of ``--lr-schedule`` with ``--lr-steps`` (epochs),
    ``--lr-gamma`` and ``--warmup-iters`` (or ``--warmup-epochs`` when that is not given)."""
    warmup_iters = args.warmup_iters
    if warmup_iters is None:
        warmup_iters = round(args.warmup_epochs * iters_per_epoch)
    schedule = WarmupSchedule(
        args.lr_schedule,
        total_iters=args.epochs * iters_per_epoch,
        warmup_iters=warmup_iters,
        milestones=[step * iters_per_epoch for step in args.lr_steps],
        gamma=args.lr_gamma,
    )
    return LambdaLR(optimizer, schedule)
