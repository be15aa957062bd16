"""The argument checks and random draws the transform classes share.

The checks raise what torchvision raises for the same mistake: ``TypeError`` for a value of the
wrong kind, ``ValueError`` for a wrong length or range. The draws use torch's global generator,
one call per value, in torchvision's order.
"""

import numbers
from collections.abc import Sequence

import torch

from ._image import Fill


def check_sequence(value: object, name: str, lengths: Sequence[int]) -> None:
    """``value`` is a sequence of one of ``lengths``."""
    expected = " or ".join(str(n) for n in lengths)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"{name} must be a sequence of length {expected}, got {value!r}")
    if len(value) not in lengths:
        raise ValueError(f"{name} must be a sequence of length {expected}, got {value}")


def angle_range(value: float | Sequence[float], name: str, lengths=(2,)) -> list[float]:
    """``[-v, v]`` from a non-negative number ``v``, or the given ``[min, max, ...]`` ranges."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{name} must be non-negative when a single number, got {value}")
        return [-float(value), float(value)]
    check_sequence(value, name, lengths)
    values = [float(v) for v in value]
    if any(low > high for low, high in zip(values[::2], values[1::2], strict=True)):
        raise ValueError(f"{name} ranges must be (min, max) with min <= max, got {value}")
    return values


def check_center(center: Sequence[float] | None) -> Sequence[float] | None:
    """``center`` (a point ``(x, y)``) or None."""
    if center is not None:
        check_sequence(center, "center", (2,))
    return center


def check_affine_ranges(
    translate: Sequence[float] | None, scale: Sequence[float] | None
) -> tuple[Sequence[float] | None, Sequence[float] | None]:
    """A random affine's ``translate`` (two fractions of the sides) and ``scale`` (a positive
    ``(min, max)``), each possibly None."""
    if translate is not None:
        check_sequence(translate, "translate", (2,))
        if not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError(f"translate must be two fractions in [0, 1], got {translate}")
    if scale is not None:
        check_sequence(scale, "scale", (2,))
        if not all(s > 0 for s in scale):
            raise ValueError(f"scale must be positive, got {scale}")
    return translate, scale


def check_fill(fill: Fill) -> Fill:
    """``fill`` as torchvision's random warps keep it: a number or a sequence, ``None`` as 0."""
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)) or isinstance(fill, str):
        raise TypeError(f"fill must be a number or a sequence of numbers, got {fill!r}")
    return fill


def check_probability(p: float) -> float:
    if not isinstance(p, numbers.Number) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    return p


def happens(p: float) -> bool:
    """One draw of ``torch.rand(1)``: whether it falls below ``p``."""
    return bool(torch.rand(1) < p)


def uniform(low: float, high: float) -> float:
    """One draw of ``torch.empty(1).uniform_(low, high)``."""
    return float(torch.empty(1).uniform_(low, high).item())


def randint(low: int, high: int) -> int:
    """One draw of ``torch.randint(low, high, (1,))``."""
    return int(torch.randint(low, high, size=(1,)).item())
