"""Argument checks shared by the public ops. They run once at the Python boundary, name the
argument, say what was expected, and raise the :mod:`vops._errors` type that also matches what
torchvision raises for the same mistake; they stay TorchScript-compatible (checks that only
apply to untyped eager arguments sit under ``if not torch.jit.is_scripting()``)."""

from typing import Any

import torch
from torch import Tensor
from torch.jit.annotations import BroadcastingList2

from ._errors import ArgumentAssertionError, ArgumentError, ArgumentIndexError, ArgumentTypeError


def _type_name(value: Any) -> str:
    return type(value).__name__


def check_tensor(value: Any, name: str, expected: str) -> None:
    """Require a ``torch.Tensor``. Eager calls only: TorchScript types its arguments."""
    if not isinstance(value, Tensor):
        raise ArgumentTypeError(f"{name} must be a {expected}, got {_type_name(value)}")


def check_boxes(boxes: Tensor, name: str) -> None:
    """Require a floating-point ``Tensor[N, 4]``."""
    if not torch.jit.is_scripting():
        check_tensor(boxes, name, "float Tensor[N, 4]")
    if boxes.dim() != 2 or boxes.size(1) != 4 or not boxes.is_floating_point():
        raise ArgumentError(
            f"{name} must be a float Tensor[N, 4], got Tensor{list(boxes.shape)} "
            f"of dtype {boxes.dtype}"
        )


def check_real_boxes(boxes: Tensor, name: str, any_leading_dims: bool) -> None:
    """Require real-valued (float or integer, not bool) boxes: ``Tensor[..., 4]`` if
    ``any_leading_dims`` else ``Tensor[N, 4]``. A shape torchvision indexes out of range (no
    fourth coordinate) is an :class:`ArgumentIndexError`."""
    shape = "[..., 4]" if any_leading_dims else "[N, 4]"
    if not torch.jit.is_scripting():
        check_tensor(boxes, name, f"Tensor{shape}")
    if boxes.dim() < 1 or boxes.size(-1) != 4 or (boxes.dim() != 2 and not any_leading_dims):
        raise ArgumentIndexError(f"{name} must be a Tensor{shape}, got Tensor{list(boxes.shape)}")
    if boxes.dtype == torch.bool or boxes.is_complex():
        raise ArgumentError(f"{name} must hold real coordinates, got dtype {boxes.dtype}")


def check_image_size(size: Any) -> None:
    """Require ``size`` to be a pair (height, width). Eager calls only: TorchScript types it."""
    if not hasattr(size, "__len__"):
        raise ArgumentTypeError(f"size must be a pair (height, width), got {_type_name(size)}")
    if len(size) != 2:
        raise ArgumentError(f"size must be a pair (height, width), got {size!r}")
    # Only a float can be NaN (a NaN clip bound is a no-op); symbolic sizes are not inspected.
    for index, side in enumerate(size):
        if isinstance(side, float) and side != side:
            raise ArgumentError(f"size[{index}] must be a number, got {side}")


def check_iou_threshold(iou_threshold: float) -> None:
    """Require a number: every comparison with NaN is false, so NaN would keep every box."""
    if iou_threshold != iou_threshold:
        raise ArgumentError(f"iou_threshold must be a number, got {iou_threshold}")


def check_scores(scores: Tensor, boxes: Tensor) -> None:
    """Require ``scores`` to be a ``Tensor[N]`` matching ``boxes`` in length, dtype and device."""
    if not torch.jit.is_scripting():
        check_tensor(scores, "scores", "Tensor[N]")
    if scores.dim() != 1 or scores.size(0) != boxes.size(0):
        raise ArgumentError(
            f"scores must be a Tensor[N] with N = boxes.size(0) = {boxes.size(0)}, "
            f"got Tensor{list(scores.shape)}"
        )
    check_same(scores, boxes, "scores", "boxes")


def check_same(tensor: Tensor, reference: Tensor, name: str, reference_name: str) -> None:
    """Require ``tensor`` to share ``reference``'s dtype and device."""
    if tensor.dtype != reference.dtype:
        raise ArgumentError(
            f"{name} and {reference_name} must have the same dtype, "
            f"got {tensor.dtype} and {reference.dtype}"
        )
    if tensor.device != reference.device:
        raise ArgumentError(
            f"{name} and {reference_name} must be on the same device, "
            f"got {tensor.device} and {reference.device}"
        )


def check_roi_input(input: Tensor) -> None:
    """Require a floating-point feature map ``Tensor[N, C, H, W]``."""
    if not torch.jit.is_scripting():
        check_tensor(input, "input", "float Tensor[N, C, H, W]")
    if input.dim() != 4 or not input.is_floating_point():
        raise ArgumentError(
            f"input must be a float Tensor[N, C, H, W], got Tensor{list(input.shape)} "
            f"of dtype {input.dtype}"
        )


def check_rois(rois: Tensor, input: Tensor) -> None:
    """Require ``rois`` to be a ``Tensor[K, 5]`` of (batch index, x1, y1, x2, y2) like ``input``."""
    if rois.dim() != 2 or rois.size(1) != 5:
        message = (
            "rois must be a Tensor[K, 5] of (batch index, x1, y1, x2, y2), "
            f"got Tensor{list(rois.shape)}"
        )
        if rois.dim() < 2:
            raise ArgumentIndexError(message)
        raise ArgumentAssertionError(message)
    check_same(rois, input, "rois", "input")


def check_box_list(boxes: list[Tensor], input: Tensor) -> None:
    """Require a non-empty list of ``Tensor[L, 4]`` like ``input``, at most one per image."""
    if len(boxes) == 0:
        raise ArgumentError("boxes must hold one Tensor[L, 4] per image, got an empty list")
    if len(boxes) > input.size(0):
        raise ArgumentIndexError(
            f"boxes must hold at most one Tensor[L, 4] per image: input has {input.size(0)} "
            f"images, got {len(boxes)} tensors"
        )
    for i, b in enumerate(boxes):
        name = f"boxes[{i}]"
        if not torch.jit.is_scripting():
            check_tensor(b, name, "float Tensor[L, 4]")
        if b.dim() != 2 or b.size(1) != 4:
            message = f"{name} must be a float Tensor[L, 4], got Tensor{list(b.shape)}"
            if b.dim() < 2:
                raise ArgumentIndexError(message)
            raise ArgumentAssertionError(message)
        check_same(b, input, name, "input")


def _eager_box_list(boxes: Any) -> Tensor | list[Tensor]:
    """``boxes`` as TorchScript's ``Tensor | list[Tensor]``: a tuple becomes a list; anything
    else is an :class:`ArgumentTypeError`."""
    if isinstance(boxes, tuple):
        return list(boxes)
    if not isinstance(boxes, (Tensor, list)):
        raise ArgumentTypeError(
            f"boxes must be a Tensor[K, 5] or a list of Tensor[L, 4], got {_type_name(boxes)}"
        )
    return boxes


def check_output_size(output_size: list[int]) -> None:
    """Require two positive ints (height, width)."""
    if len(output_size) == 1:
        raise ArgumentIndexError(
            f"output_size must be one int or a pair (height, width), got {output_size}"
        )
    if len(output_size) != 2 or output_size[0] <= 0 or output_size[1] <= 0:
        raise ArgumentError(f"output_size must be positive (height, width), got {output_size}")


def check_spatial_scale(spatial_scale: float) -> None:
    """Require a positive, finite scale from image to feature-map coordinates."""
    if not (spatial_scale > 0.0 and spatial_scale < float("inf")):
        raise ArgumentError(f"spatial_scale must be positive and finite, got {spatial_scale}")


def _check_output_size_type(size: Any) -> None:
    """Require an int or a sequence of ints. Eager calls only: TorchScript types it."""
    valid = isinstance(size, int) or (
        isinstance(size, (list, tuple)) and all(isinstance(s, int) for s in size)
    )
    if not valid:
        raise ArgumentTypeError(
            f"output_size must be an int or a pair of ints (height, width), got {size!r}"
        )


def as_pair(size: BroadcastingList2[int]) -> list[int]:
    """``s`` -> ``[s, s]``; ``(h, w)`` -> ``[h, w]``; checked by :func:`check_output_size`."""
    if not torch.jit.is_scripting():
        _check_output_size_type(size)
    pair = [size, size] if isinstance(size, int) else list(size)
    check_output_size(pair)
    return pair


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
    check_spatial_scale(spatial_scale)
    if not torch.jit.is_scripting():
        boxes = _eager_box_list(boxes)
    if isinstance(boxes, Tensor):
        rois = boxes
    else:
        check_box_list(boxes, input)
        rois = to_rois(boxes)
    check_rois(rois, input)
    return rois, size
