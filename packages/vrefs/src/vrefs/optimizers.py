"""Optimizers by ``--opt`` name."""

from collections.abc import Iterable

import torch
from torch import nn

OPTIMIZERS = ("sgd", "adamw")


def build_optimizer(parameters: Iterable[nn.Parameter], args) -> torch.optim.Optimizer:
    """``--opt``: SGD with ``--momentum`` (Nesterov's with ``--nesterov``), or AdamW, whose
    first-moment decay is ``--momentum``; both with ``--lr`` and ``--weight-decay``.

    Raises:
        ValueError: for a name not in :data:`OPTIMIZERS`.
    """
    if args.opt == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=args.lr,
            momentum=args.momentum,
            nesterov=args.nesterov,
            weight_decay=args.weight_decay,
        )
    if args.opt == "adamw":
        return torch.optim.AdamW(
            parameters, lr=args.lr, betas=(args.momentum, 0.999), weight_decay=args.weight_decay
        )
    raise ValueError(f"unknown --opt {args.opt!r}; choose one of: {', '.join(OPTIMIZERS)}")
