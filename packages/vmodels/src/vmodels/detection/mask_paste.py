"""Pasting fixed-size mask predictions into full images, all masks at once.

Each ``M x M`` mask is padded by one zero pixel per side, its box grown by the same factor and
truncated to integers, and the mask resized (bilinear, ``align_corners=False``) to the box's
``(x2 - x1 + 1) x (y2 - y1 + 1)`` pixels at the box's position: the semantics of the Mask R-CNN
release. Bilinear resizing is separable, so each pasted mask is ``R @ mask @ C^T`` with ``R`` and
``C`` the row and column interpolation matrices (two non-zeros per row, zero rows outside the
box); one batched matrix product pastes every mask, with no per-mask loop.
"""

import torch
from torch import Tensor


def _interpolation_matrix(start: Tensor, last: Tensor, source: int, size: int) -> Tensor:
    """``Tensor[N, size, source]``: row ``p`` holds the bilinear weights with which output pixel
    ``p`` reads the ``source`` mask pixels, for a mask resized to span pixels ``start[n]`` to
    ``last[n]`` (inclusive); zero outside that span."""
    positions = torch.arange(size, device=start.device)
    offset = positions[None, :] - start[:, None]
    length = last - start + 1
    inside = (offset >= 0) & (offset < length[:, None])
    scale = source / length.clamp(min=1).to(torch.float32)
    coordinate = ((offset.to(torch.float32) + 0.5) * scale[:, None] - 0.5).clamp(min=0)
    lower = coordinate.to(torch.int64).clamp(max=source - 1)
    upper = (lower + 1).clamp(max=source - 1)
    upper_weight = (coordinate - lower.to(torch.float32)) * inside
    lower_weight = (1.0 - (coordinate - lower.to(torch.float32))) * inside
    weights = torch.zeros((start.size(0), size, source), device=start.device)
    weights.scatter_add_(2, lower[:, :, None], lower_weight[:, :, None])
    weights.scatter_add_(2, upper[:, :, None], upper_weight[:, :, None])
    return weights


def paste_masks_in_image(masks: Tensor, boxes: Tensor, image_size: list[int]) -> Tensor:
    """Paste per-box masks into images of ``image_size``.

    Args:
        masks: ``Tensor[N, 1, M, M]`` mask probabilities in box coordinates.
        boxes: ``Tensor[N, 4]`` xyxy boxes in image coordinates.
        image_size: ``(height, width)`` of the image.

    Returns:
        ``Tensor[N, 1, height, width]`` of ``masks``' dtype, zero outside each box.
    """
    if masks.dim() != 4 or masks.size(1) != 1 or masks.size(2) != masks.size(3):
        raise ValueError(f"masks must be a Tensor[N, 1, M, M], got Tensor{list(masks.shape)}")
    if boxes.dim() != 2 or boxes.size(1) != 4 or boxes.size(0) != masks.size(0):
        raise ValueError(
            f"boxes must be a Tensor[N, 4] with N = masks.size(0) = {masks.size(0)}, got "
            f"Tensor{list(boxes.shape)}"
        )
    height, width = image_size[0], image_size[1]
    side = masks.size(-1)
    padded = torch.nn.functional.pad(masks[:, 0], (1, 1, 1, 1))
    grow = (side + 2) / side
    half_w = (boxes[:, 2] - boxes[:, 0]) * 0.5 * grow
    half_h = (boxes[:, 3] - boxes[:, 1]) * 0.5 * grow
    centre_x = (boxes[:, 2] + boxes[:, 0]) * 0.5
    centre_y = (boxes[:, 3] + boxes[:, 1]) * 0.5
    x1 = (centre_x - half_w).to(torch.int64)
    x2 = (centre_x + half_w).to(torch.int64)
    y1 = (centre_y - half_h).to(torch.int64)
    y2 = (centre_y + half_h).to(torch.int64)
    columns = _interpolation_matrix(x1, x2, side + 2, width)
    rows = _interpolation_matrix(y1, y2, side + 2, height)
    pasted = torch.bmm(rows, torch.bmm(padded.float(), columns.transpose(1, 2)))
    return pasted.to(masks.dtype)[:, None]
