"""Bounding boxes and key points: typed tensors whose values are coordinates on a canvas."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

import torch

from ._tv_tensor import TVTensor


class BoundingBoxFormat(Enum):
    """How a box's values are laid out.

    ``XYXY``: top-left and bottom-right corners. ``XYWH``: top-left corner, width, height.
    ``CXCYWH``: centre, width, height. Rotated boxes (angle ``r`` in degrees): ``XYWHR``,
    ``CXCYWHR``, and ``XYXYXYXY``, the four corners from the top left, clockwise.
    """

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


_ROTATED = ("XYWHR", "CXCYWHR", "XYXYXYXY")
_CLAMPING_MODES = (None, "soft", "hard")


def is_rotated_bounding_format(format: BoundingBoxFormat | str) -> bool:
    """Whether ``format`` (a :class:`BoundingBoxFormat` or its name) is a rotated one."""
    if isinstance(format, BoundingBoxFormat):
        return format.value in _ROTATED
    if isinstance(format, str):
        return format in _ROTATED
    raise ValueError(f"format should be str or BoundingBoxFormat, got {type(format)}")


class BoundingBoxes(TVTensor):
    """Boxes ``[N, K]`` on a canvas of ``canvas_size = (height, width)``: ``K`` is 4, or 5 or
    8 for rotated boxes. One instance holds all the boxes of a sample.

    Args:
        data: anything :func:`torch.as_tensor` takes; one box (1-D) gains a dimension.
        format: a :class:`BoundingBoxFormat` or its name (any case).
        canvas_size: the ``(height, width)`` of the image or video the boxes lie on.
        clamping_mode: how transforms clamp boxes that leave the canvas: ``"soft"`` (the
            default), ``"hard"`` or None (see ``ClampBoundingBoxes``).
        dtype, device, requires_grad: see :class:`Image`. Rotated boxes must be floating point.
    """

    format: BoundingBoxFormat
    canvas_size: tuple[int, int]
    clamping_mode: str | None
    _metadata: ClassVar[tuple[str, ...]] = ("format", "canvas_size", "clamping_mode")

    @classmethod
    def _wrap(  # type: ignore[override]
        cls,
        tensor: torch.Tensor,
        *,
        check_dims: bool = True,
        format: BoundingBoxFormat | str,
        canvas_size: tuple[int, int],
        clamping_mode: str | None = "soft",
    ) -> BoundingBoxes:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode not in _CLAMPING_MODES:
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        return super()._wrap(
            tensor, format=format, canvas_size=canvas_size, clamping_mode=clamping_mode
        )

    def __new__(
        cls,
        data: Any,
        *,
        format: BoundingBoxFormat | str,
        canvas_size: tuple[int, int],
        clamping_mode: str | None = "soft",
        dtype: torch.dtype | None = None,
        device: torch.device | str | int | None = None,
        requires_grad: bool | None = None,
    ) -> BoundingBoxes:
        tensor = cls._to_tensor(data, dtype, device, requires_grad)
        if not torch.is_floating_point(tensor) and is_rotated_bounding_format(format):
            raise ValueError(
                f"Rotated bounding boxes should be floating point tensors, got {tensor.dtype}."
            )
        return cls._wrap(
            tensor, format=format, canvas_size=canvas_size, clamping_mode=clamping_mode
        )


class KeyPoints(TVTensor):
    """Points ``[..., 2]`` (x, y) on a canvas of ``canvas_size = (height, width)``: polygons
    ``[N, P, 2]``, skeletons ``[N, B, 2, 2]``, any shape ending in 2.

    Args:
        data: anything :func:`torch.as_tensor` takes; one point (1-D) gains a dimension.
        canvas_size: the ``(height, width)`` of the image or video the points lie on.
        dtype, device, requires_grad: see :class:`Image`.
    """

    canvas_size: tuple[int, int]
    _metadata: ClassVar[tuple[str, ...]] = ("canvas_size",)

    @classmethod
    def _wrap(  # type: ignore[override]
        cls, tensor: torch.Tensor, *, check_dims: bool = True, canvas_size: tuple[int, int]
    ) -> KeyPoints:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {tensor.shape}")
        return super()._wrap(tensor, canvas_size=canvas_size)

    def __new__(
        cls,
        data: Any,
        *,
        canvas_size: tuple[int, int],
        dtype: torch.dtype | None = None,
        device: torch.device | str | int | None = None,
        requires_grad: bool | None = None,
    ) -> KeyPoints:
        tensor = cls._to_tensor(data, dtype, device, requires_grad)
        return cls._wrap(tensor, canvas_size=canvas_size)
