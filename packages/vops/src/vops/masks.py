"""Bounding boxes of instance masks."""

import torch
from torch import Tensor

from ._errors import ArgumentIndexError


def masks_to_boxes(masks: Tensor) -> Tensor:
    """The tightest ``(x1, y1, x2, y2)`` box around the nonzero pixels of each mask.

    Coordinates are pixel indices, inclusive: a single-pixel mask at column ``x`` and row ``y``
    gives ``(x, y, x, y)``. A mask without nonzero pixels gives ``(0, 0, 0, 0)``.

    Args:
        masks: ``Tensor[N, H, W]`` of any dtype; nonzero (and NaN) pixels belong to the mask.

    Returns:
        float32 ``Tensor[N, 4]``.
    """
    if masks.dim() != 3:
        raise ArgumentIndexError(f"masks must be a Tensor[N, H, W], got Tensor{list(masks.shape)}")
    if masks.numel() == 0:
        return torch.zeros((masks.size(0), 4), dtype=torch.float32, device=masks.device)
    # torch reduces uint8 several times faster than bool or float, enough to pay for a copy.
    if masks.dtype != torch.uint8:
        masks = masks.to(torch.bool).to(torch.uint8)
    x1, x2 = _first_and_last(masks.any(dim=1) != 0)
    y1, y2 = _first_and_last(masks.any(dim=2) != 0)
    return torch.stack([x1, y1, x2, y2], dim=1).float()


def _first_and_last(occupied: Tensor) -> tuple[Tensor, Tensor]:
    """First and last index of the True entries of each row of ``occupied[N, L]``; 0 and 0 for
    a row without any."""
    length = occupied.size(1)
    index = torch.arange(length, device=occupied.device)
    first = torch.where(occupied, index, length).amin(dim=1)
    last = torch.where(occupied, index, 0).amax(dim=1)
    return torch.where(first == length, 0, first), last
