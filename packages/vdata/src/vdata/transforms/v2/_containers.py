"""The v2 containers that choose at random which transforms run and in what order: RandomApply,
RandomChoice and RandomOrder (torchvision 0.29's arguments and random draws). Compose is with
the base class."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from ._transform import Transform


def _check_transforms(transforms: Any, kinds: tuple[type, ...], expected: str) -> None:
    if not isinstance(transforms, kinds):
        raise TypeError(f"Argument transforms should be {expected}")
    if not transforms:
        raise ValueError("Pass at least one transform")


def _in_turn(transforms: Iterable[Callable], inputs: tuple[Any, ...]) -> Any:
    """``inputs`` through each transform in turn; several inputs are passed on as several
    arguments, one as one."""
    unpack = len(inputs) > 1
    outputs = inputs if unpack else inputs[0]
    for transform in transforms:
        outputs = transform(*inputs)
        inputs = outputs if unpack else (outputs,)
    return outputs


class RandomApply(Transform):
    """With probability ``p`` (one ``torch.rand(1)`` per call), the transforms applied in turn;
    otherwise the inputs unchanged.

    Args:
        transforms: a sequence of callables, or an ``nn.ModuleList``.
        p: the probability of applying them.
    """

    def __init__(self, transforms: Sequence[Callable] | nn.ModuleList, p: float = 0.5) -> None:
        _check_transforms(
            transforms,
            (Sequence, nn.ModuleList),
            "a sequence of callables or a `nn.ModuleList`",
        )
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.transforms = transforms
        self.p = p

    def __call__(self, *inputs: Any) -> Any:
        if torch.rand(1) >= self.p:
            return inputs if len(inputs) > 1 else inputs[0]
        return _in_turn(self.transforms, inputs)


class RandomChoice(Transform):
    """One of the transforms, drawn per call (``torch.multinomial``) with probabilities ``p``
    (normalised to sum to 1; None: all equally likely)."""

    def __init__(self, transforms: Sequence[Callable], p: list[float] | None = None) -> None:
        _check_transforms(transforms, (Sequence,), "a sequence of callables")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(
                f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}"
            )
        total = sum(p)
        self.transforms = transforms
        self.p = [weight / total for weight in p]

    def __call__(self, *inputs: Any) -> Any:
        index = int(torch.multinomial(torch.tensor(self.p), 1))
        return self.transforms[index](*inputs)


class RandomOrder(Transform):
    """All of the transforms, in an order drawn per call (``torch.randperm``)."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        _check_transforms(transforms, (Sequence,), "a sequence of callables")
        self.transforms = transforms

    def __call__(self, *inputs: Any) -> Any:
        order = torch.randperm(len(self.transforms)).tolist()
        return _in_turn([self.transforms[index] for index in order], inputs)


__all__ = ["RandomApply", "RandomChoice", "RandomOrder"]
