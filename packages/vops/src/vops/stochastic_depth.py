"""Stochastic depth (Huang et al., "Deep Networks with Stochastic Depth", 2016): randomly drop
a residual branch, per sample or for the whole batch, rescaling what survives."""

import torch
import torch.fx
from torch import Tensor, nn

from ._errors import ArgumentError


def check_drop_probability(p: float) -> None:
    """Require a probability ``p`` in ``[0, 1]`` (NaN is rejected)."""
    if not (p >= 0.0 and p <= 1.0):
        raise ArgumentError(f"p must be a drop probability between 0 and 1, got {p}")


def _check_mode(mode: str) -> None:
    if mode != "batch" and mode != "row":
        raise ArgumentError(f"mode must be 'batch' or 'row', got '{mode}'")


def stochastic_depth(input: Tensor, p: float, mode: str, training: bool = True) -> Tensor:
    """Zero the whole input or some of its rows with probability ``p``, dividing the rest by
    ``1 - p`` so the expectation is unchanged.

    Args:
        input: ``Tensor[N, ...]``, usually the output of a residual branch.
        p: probability that a row (``"row"``) or the whole input (``"batch"``) is zeroed.
        mode: ``"row"`` draws one Bernoulli per sample, ``"batch"`` one for the whole input.
        training: when ``False`` (or ``p == 0``), return ``input`` itself.

    Returns:
        ``Tensor[N, ...]`` of ``input``'s shape and dtype.

    Raises:
        ValueError: ``p`` is outside ``[0, 1]`` or ``mode`` is neither ``"row"`` nor ``"batch"``.
    """
    check_drop_probability(p)
    _check_mode(mode)
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [1] * input.ndim
    if mode == "row":
        size[0] = input.shape[0]
    keep = torch.empty(size, dtype=input.dtype, device=input.device).bernoulli_(survival_rate)
    if survival_rate > 0.0:
        keep.div_(survival_rate)
    return input * keep


# A leaf under torch.fx.symbolic_trace: the mask's size is computed from the input's shape.
torch.fx.wrap("stochastic_depth")


class StochasticDepth(nn.Module):
    """Module form of :func:`stochastic_depth`; active in training mode only.

    Args:
        p: drop probability, in ``[0, 1]``.
        mode: ``"row"`` or ``"batch"``.
    """

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        check_drop_probability(p)
        _check_mode(mode)
        self.p = p
        self.mode = mode

    def forward(self, input: Tensor) -> Tensor:
        return stochastic_depth(input, self.p, self.mode, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"
