"""Argument checks shared by the public ops. They run once at the Python boundary, name the
argument, and say what was expected; they stay TorchScript-compatible."""

import torch
from torch import Tensor
from torch.jit.annotations import BroadcastingList2


def check_boxes(boxes: Tensor, name: str) -> None:
    """Require a floating-point ``Tensor[N, 4]``."""
    if boxes.dim() != 2 or boxes.size(1) != 4 or not boxes.is_floating_point():
        raise ValueError(
            f"{name} must be a float Tensor[N, 4], got Tensor{list(boxes.shape)} "
            f"of dtype {boxes.dtype}"
        )


def check_scores(scores: Tensor, boxes: Tensor) -> None:
    """Require ``scores`` to be a ``Tensor[N]`` matching ``boxes`` in length, dtype and device."""
    if scores.dim() != 1 or scores.size(0) != boxes.size(0):
        raise ValueError(
            f"scores must be a Tensor[N] with N = boxes.size(0) = {boxes.size(0)}, "
            f"got Tensor{list(scores.shape)}"
        )
    check_same(scores, boxes, "scores", "boxes")


def check_same(tensor: Tensor, reference: Tensor, name: str, reference_name: str) -> None:
    """Require ``tensor`` to share ``reference``'s dtype and device."""
    if tensor.dtype != reference.dtype:
        raise ValueError(
            f"{name} and {reference_name} must have the same dtype, "
            f"got {tensor.dtype} and {reference.dtype}"
        )
    if tensor.device != reference.device:
        raise ValueError(
            f"{name} and {reference_name} must be on the same device, "
            f"got {tensor.device} and {reference.device}"
        )


def check_roi_input(input: Tensor) -> None:
    """Require a floating-point feature map ``Tensor[N, C, H, W]``."""
    if input.dim() != 4 or not input.is_floating_point():
        raise ValueError(
            f"input must be a float Tensor[N, C, H, W], got Tensor{list(input.shape)} "
            f"of dtype {input.dtype}"
        )


def check_rois(rois: Tensor, input: Tensor) -> None:
    """Require ``rois`` to be a ``Tensor[K, 5]`` of (batch index, x1, y1, x2, y2) like ``input``."""
    if rois.dim() != 2 or rois.size(1) != 5:
        raise ValueError(
            "rois must be a Tensor[K, 5] of (batch index, x1, y1, x2, y2), "
            f"got Tensor{list(rois.shape)}"
        )
    check_same(rois, input, "rois", "input")


def check_box_list(boxes: list[Tensor], input: Tensor) -> None:
    """Require a list of ``Tensor[L, 4]``, one per image of ``input``."""
    if len(boxes) != input.size(0):
        raise ValueError(
            f"boxes must hold one Tensor[L, 4] per image: input has {input.size(0)} images, "
            f"got {len(boxes)} tensors"
        )
    for i, b in enumerate(boxes):
        check_boxes(b, f"boxes[{i}]")
        check_same(b, input, f"boxes[{i}]", "input")


def check_output_size(output_size: list[int]) -> None:
    """Require two positive ints (height, width)."""
    if len(output_size) != 2 or output_size[0] <= 0 or output_size[1] <= 0:
        raise ValueError(f"output_size must be positive (height, width), got {output_size}")


def check_spatial_scale(spatial_scale: float) -> None:
    """Require a positive, finite scale from image to feature-map coordinates."""
    if not (spatial_scale > 0.0 and spatial_scale < float("inf")):
        raise ValueError(f"spatial_scale must be positive and finite, got {spatial_scale}")


def as_pair(size: BroadcastingList2[int]) -> list[int]:
    """``s`` or ``[s]`` -> ``[s, s]``; ``(h, w)`` -> ``[h, w]``."""
    if isinstance(size, int):
        return [size, size]
    if len(size) == 1:
        return [size[0], size[0]]
    return list(size)


def to_rois(boxes: list[Tensor]) -> Tensor:
    """Concatenate per-image ``Tensor[L_i, 4]`` boxes into ``Tensor[K, 5]`` rois."""
    indexed = [
        torch.cat([torch.full_like(b[:, :1], float(i)), b], dim=1) for i, b in enumerate(boxes)
    ]
    return torch.cat(indexed, dim=0)


def checked_roi_arguments(
    input: Tensor,
    boxes: Tensor | list[Tensor],
    output_size: BroadcastingList2[int],
    spatial_scale: float,
) -> tuple[Tensor, list[int]]:
    """Validate the arguments shared by the RoI ops; returns the boxes as ``Tensor[K, 5]`` rois
    and the output size as ``[height, width]``."""
    check_roi_input(input)
    size = as_pair(output_size)
    check_output_size(size)
    check_spatial_scale(spatial_scale)
    if isinstance(boxes, list):
        check_box_list(boxes, input)
        rois = to_rois(boxes)
    else:
        rois = boxes
    check_rois(rois, input)
    return rois, size
