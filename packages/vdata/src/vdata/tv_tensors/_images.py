"""Images, videos and masks: typed tensors without metadata."""

from __future__ import annotations

from typing import Any

import PIL.Image
import torch

from ._tv_tensor import TVTensor


def _from_pil(data: Any) -> Any:
    if isinstance(data, PIL.Image.Image):
        from ..transforms.functional import pil_to_tensor

        return pil_to_tensor(data)
    return data


class Image(TVTensor):
    """An image or a batch of them, ``[..., C, H, W]``; a 2-D tensor gains a channel
    dimension, a PIL image is converted (``pil_to_tensor``: uint8, no scaling).

    Args:
        data: anything :func:`torch.as_tensor` takes, or a PIL image.
        dtype, device: of the tensor (default: inferred from ``data``).
        requires_grad: whether autograd records operations on it (default: ``data``'s, else
            False).
    """

    def __new__(
        cls,
        data: Any,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | int | None = None,
        requires_grad: bool | None = None,
    ) -> Image:
        tensor = cls._to_tensor(_from_pil(data), dtype, device, requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {tensor.ndim}D tensor.")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return tensor.as_subclass(cls)


class Video(TVTensor):
    """A video or a batch of them, ``[..., T, C, H, W]``.

    Args: as :class:`Image` (no PIL input).
    """

    def __new__(
        cls,
        data: Any,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | int | None = None,
        requires_grad: bool | None = None,
    ) -> Video:
        tensor = cls._to_tensor(data, dtype, device, requires_grad)
        if tensor.ndim < 4:
            raise ValueError(f"Video must be 4D or higher ([..., T, C, H, W]), got {tensor.ndim}D")
        return tensor.as_subclass(cls)


class Mask(TVTensor):
    """A segmentation mask, ``[..., H, W]`` (class ids, or one channel per object); a PIL
    image is converted (``pil_to_tensor``).

    Args: as :class:`Image`.
    """

    def __new__(
        cls,
        data: Any,
        *,
        dtype: torch.dtype | None = None,
        device: torch.device | str | int | None = None,
        requires_grad: bool | None = None,
    ) -> Mask:
        return cls._to_tensor(_from_pil(data), dtype, device, requires_grad).as_subclass(cls)
