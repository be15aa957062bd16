"""DropBlock (Ghiasi et al., "DropBlock: A regularization method for convolutional networks",
2018): dropout of contiguous square (cubic) blocks of a feature map instead of single units."""

import torch
import torch.fx
import torch.nn.functional as F
from torch import Tensor, nn

from ._errors import ArgumentError
from .stochastic_depth import check_drop_probability


def _check_block_size(block_size: int) -> None:
    if block_size < 1:
        raise ArgumentError(f"block_size must be a positive odd int, got {block_size}")


def _drop_block(
    input: Tensor, p: float, block_size: int, inplace: bool, eps: float, training: bool, dims: int
) -> Tensor:
    """:func:`drop_block2d` (``dims == 2``) and :func:`drop_block3d` (``dims == 3``)."""
    check_drop_probability(p)
    if input.dim() != dims + 2:
        layout = "Tensor[N, C, H, W]" if dims == 2 else "Tensor[N, C, D, H, W]"
        raise ArgumentError(f"input must be a {layout}, got Tensor{list(input.shape)}")
    if not training or p == 0.0:
        return input
    _check_block_size(block_size)
    sizes = input.shape[2:]
    block_size = min(block_size, min(sizes))
    if block_size % 2 == 0:
        raise ArgumentError(
            f"block_size must be odd, got {block_size} (after clipping to the input's "
            f"spatial size {list(sizes)})"
        )
    # Block centres are drawn where a whole block fits; gamma makes the expected dropped
    # fraction p once every centre has grown into a block.
    seed_sizes = [size - block_size + 1 for size in sizes]
    dropped_units = p
    seed_positions = block_size**dims
    for i in range(dims):
        dropped_units *= sizes[i]
        seed_positions *= seed_sizes[i]
    gamma = dropped_units / seed_positions
    seeds = torch.empty(list(input.shape[:2]) + seed_sizes, dtype=input.dtype, device=input.device)
    seeds.bernoulli_(gamma)
    keep = _grow_blocks(seeds, block_size, dims).neg_().add_(1.0)
    # Counted in at least float32: a float16 count overflows past 65504 kept units.
    kept = keep.sum(dtype=torch.float32) if keep.element_size() < 4 else keep.sum()
    keep.mul_(keep.numel() / (eps + kept))
    if inplace:
        return input.mul_(keep)
    return input * keep


def _grow_blocks(seeds: Tensor, block_size: int, dims: int) -> Tensor:
    """Spread each seed over the ``block_size``-wide window it heads along the last ``dims``
    axes: a stride-1 window maximum of the seeds zero-padded by ``block_size - 1``, which has
    the input's spatial size."""
    padded = F.pad(seeds, [block_size - 1] * (2 * dims))
    if padded.device.type != "cpu":
        if dims == 2:
            return F.max_pool2d(padded, block_size, stride=1)
        return F.max_pool3d(padded, block_size, stride=1)
    # The CPU pooling kernels also compute argmax indices; a maximum of shifted views, one
    # axis at a time, is several times faster there.
    grown = padded
    for axis in range(2, 2 + dims):
        length = grown.size(axis) - block_size + 1
        window_max = grown.narrow(axis, 0, length)
        for shift in range(1, block_size):
            window_max = torch.maximum(window_max, grown.narrow(axis, shift, length))
        grown = window_max
    return grown


def drop_block2d(
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool = False,
    eps: float = 1e-6,
    training: bool = True,
) -> Tensor:
    """Zero random ``block_size x block_size`` squares of each channel, rescaling the rest so
    that the input's sum is kept in expectation.

    Args:
        input: ``Tensor[N, C, H, W]``.
        p: expected fraction of units dropped, in ``[0, 1]``.
        block_size: side of the dropped squares, odd after clipping to ``min(H, W)``.
        inplace: multiply ``input`` in place and return it.
        eps: added to the count of kept units before dividing by it.
        training: when ``False`` (or ``p == 0``), return ``input`` itself.

    Returns:
        ``Tensor[N, C, H, W]``: ``input * keep_mask * keep_mask.numel() / (eps + keep_mask.sum())``.

    Raises:
        ValueError: ``p`` outside ``[0, 1]``, ``input`` not 4-D, or ``block_size`` not a
            positive odd number once clipped.
    """
    return _drop_block(input, p, block_size, inplace, eps, training, 2)


def drop_block3d(
    input: Tensor,
    p: float,
    block_size: int,
    inplace: bool = False,
    eps: float = 1e-6,
    training: bool = True,
) -> Tensor:
    """:func:`drop_block2d` for volumes: drops ``block_size`` cubes of a ``Tensor[N, C, D, H, W]``
    (``block_size`` is clipped to ``min(D, H, W)``)."""
    return _drop_block(input, p, block_size, inplace, eps, training, 3)


# Leaves under torch.fx.symbolic_trace: they branch on the input's shape.
torch.fx.wrap("drop_block2d")
torch.fx.wrap("drop_block3d")


class DropBlock2d(nn.Module):
    """Module form of :func:`drop_block2d`; active in training mode only.

    Args:
        p: expected fraction of units dropped, in ``[0, 1]``.
        block_size: side of the dropped squares (positive; odd once clipped to the input).
        inplace: multiply the input in place.
        eps: added to the count of kept units before dividing by it.
    """

    def __init__(self, p: float, block_size: int, inplace: bool = False, eps: float = 1e-6) -> None:
        super().__init__()
        check_drop_probability(p)
        _check_block_size(block_size)
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input: Tensor) -> Tensor:
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, block_size={self.block_size}, inplace={self.inplace}"


class DropBlock3d(DropBlock2d):
    """Module form of :func:`drop_block3d`, taking :class:`DropBlock2d`'s arguments."""

    def forward(self, input: Tensor) -> Tensor:
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
