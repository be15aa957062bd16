"""Conversions of v2 samples: ToPILImage, RGB, and the transforms torchvision 0.29 keeps though
deprecated, ToTensor and ConvertImageDtype, with the deprecated ``to_tensor`` functional."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import PIL.Image
import torch
from torch import Tensor

from ... import tv_tensors
from .. import functional as F1
from . import functional as F
from ._dispatch import _plain
from ._transform import Transform, is_pure_tensor


def to_tensor(inpt: Any) -> Tensor:
    """Deprecated (as in torchvision): the classic ``to_tensor``, a PIL image or an ndarray
    ``[H, W, C]`` as a ``Tensor[C, H, W]``, 8-bit data scaled to float ``[0, 1]``. Use
    ``to_image`` and ``to_dtype(..., torch.float32, scale=True)``."""
    warnings.warn(
        "to_tensor() is deprecated and will be removed: use to_image() followed by "
        "to_dtype(..., dtype=torch.float32, scale=True).",
        stacklevel=2,
    )
    return F1.to_tensor(inpt)


class ToPILImage(Transform):
    """Plain tensors ``[C, H, W]``, ``Image``s and ndarrays ``[H, W, C]`` to PIL images.

    Args:
        mode: the PIL mode of the output; None picks it from the number of channels (4:
            RGBA, 3: RGB, 2: LA) or, for one channel, from the dtype. See the classic
            ``to_pil_image``.
    """

    _transformed_types = (is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F1.to_pil_image(_plain(inpt) if isinstance(inpt, Tensor) else inpt, self.mode)


class RGB(Transform):
    """Images and videos to three channels: a grey one repeated, RGB ones unchanged."""

    def __init__(self) -> None:  # no arguments, as torchvision has it
        pass

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.grayscale_to_rgb, inpt)


class ToTensor(Transform):
    """Deprecated (as in torchvision; it warns when built): PIL images and ndarrays
    ``[H, W, C]`` to ``Tensor[C, H, W]``, 8-bit data scaled to float ``[0, 1]``. Use
    ``Compose([ToImage(), ToDtype(torch.float32, scale=True)])``."""

    _transformed_types = (PIL.Image.Image, np.ndarray)

    def __init__(self) -> None:
        warnings.warn(
            "ToTensor() is deprecated and will be removed: use Compose([ToImage(), "
            "ToDtype(torch.float32, scale=True)]) instead, which gives the same output up to "
            "float precision.",
            stacklevel=2,
        )

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F1.to_tensor(inpt)


class ConvertImageDtype(Transform):
    """Deprecated in torchvision for ``ToDtype(dtype, scale=True)``, which it is: images and
    videos converted with their value range; masks, boxes and points converted too, unscaled
    (they have ``to_dtype`` kernels); PIL images pass through."""

    def __init__(self, dtype: torch.dtype = torch.float32) -> None:
        self.dtype = dtype

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.to_dtype, inpt, self.dtype, True)


__all__ = ["RGB", "ConvertImageDtype", "ToPILImage", "ToTensor", "to_tensor"]
