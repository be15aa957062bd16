"""Arithmetic on tensor sizes that torch.export keeps symbolic and TorchScript compiles.

Under torch.export with dynamic shapes an image side is a symbolic integer. Python's ``min``,
``max`` and ``float`` must return concrete values, so they fix it to the traced size, and the
exported program then accepts only that size; torch's ``sym_*`` functions record the operation
instead. TorchScript knows only the built-ins (``torch.jit.is_scripting()`` is resolved while
scripting, so the other branch is never compiled). In eager mode both give the built-ins' results.
"""

import torch


def size_min(a: int, b: int) -> int:
    """``min(a, b)``."""
    if torch.jit.is_scripting():
        return min(a, b)
    return torch.sym_min(a, b)


def size_max(a: int, b: int) -> int:
    """``max(a, b)``."""
    if torch.jit.is_scripting():
        return max(a, b)
    return torch.sym_max(a, b)


def size_float(a: int) -> float:
    """``float(a)``."""
    if torch.jit.is_scripting():
        return float(a)
    return torch.sym_float(a)


def float_min(a: float, b: float) -> float:
    """``min(a, b)``."""
    if torch.jit.is_scripting():
        return min(a, b)
    return torch.sym_min(a, b)
