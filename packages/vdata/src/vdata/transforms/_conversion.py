"""Conversions between PIL images, numpy arrays and tensors, and between tensor dtypes."""

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor


def to_tensor(pic: Image.Image | np.ndarray) -> Tensor:
    """A PIL image or an ``ndarray[H, W, C]`` / ``ndarray[H, W]`` as ``Tensor[C, H, W]``.

    8-bit data (and mode ``"1"``) becomes float32 in ``[0, 1]``; other dtypes (modes ``"I"``,
    ``"I;16"``, ``"F"``) keep their values and dtype.
    """
    if not isinstance(pic, (Image.Image, np.ndarray)):
        raise TypeError(f"pic must be a PIL image or a numpy array, got {type(pic).__name__}")
    array = np.array(pic, copy=True)
    if array.ndim not in (2, 3):
        raise ValueError(f"pic must be an array [H, W] or [H, W, C], got shape {array.shape}")
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    hwc = torch.from_numpy(array.reshape(array.shape[0], array.shape[1], -1))
    tensor = hwc.permute(2, 0, 1).contiguous()
    if tensor.dtype == torch.uint8:
        return tensor.to(torch.get_default_dtype()).div_(255)
    return tensor


def pil_to_tensor(pic: Image.Image) -> Tensor:
    """A PIL image as ``Tensor[C, H, W]`` of its own dtype (``uint8`` for 8-bit modes), values
    unchanged."""
    if not isinstance(pic, Image.Image):
        raise TypeError(f"pic must be a PIL image, got {type(pic).__name__}")
    array = np.array(pic, copy=True)
    return torch.from_numpy(array.reshape(pic.height, pic.width, -1)).permute(2, 0, 1).contiguous()


_MODE_OF_DTYPE = {
    np.dtype(np.uint8): "L",
    np.dtype(np.uint16): "I;16",
    np.dtype(np.int32): "I",
    np.dtype(np.float32): "F",
}
_MODE_OF_CHANNELS = {2: "LA", 3: "RGB", 4: "RGBA"}


def to_pil_image(pic: Tensor | np.ndarray, mode: str | None = None) -> Image.Image:
    """A ``Tensor[C, H, W]`` / ``Tensor[H, W]`` or an ``ndarray[H, W, C]`` / ``ndarray[H, W]`` as
    a PIL image.

    Float data (unless ``mode="F"``) is taken to be in ``[0, 1]``: it is clipped and scaled to
    ``uint8`` (truncating, so that :func:`to_tensor` round-trips). Without ``mode``, one channel
    gives ``"L"`` (``"I;16"`` for uint16, ``"I"`` for int32), two ``"LA"``, three ``"RGB"`` and
    four ``"RGBA"``.
    """
    if isinstance(pic, Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic must be a Tensor[C, H, W] or [H, W], got {list(pic.shape)}")
        pic = (pic.permute(1, 2, 0) if pic.dim() == 3 else pic).numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic must be a Tensor or a numpy array, got {type(pic).__name__}")
    if pic.ndim not in (2, 3) or (pic.ndim == 3 and not 1 <= pic.shape[2] <= 4):
        raise ValueError(f"pic must have shape [H, W] or [H, W, C] with C <= 4, got {pic.shape}")
    array = pic[:, :, 0] if pic.ndim == 3 and pic.shape[2] == 1 else pic
    if np.issubdtype(array.dtype, np.floating) and mode != "F":
        array = (np.clip(array, 0, 1) * 255).astype(np.uint8)
    channels = 1 if array.ndim == 2 else array.shape[2]
    if mode is None:
        if channels == 1:
            mode = _MODE_OF_DTYPE.get(array.dtype)
        elif array.dtype == np.uint8:
            mode = _MODE_OF_CHANNELS[channels]
        if mode is None:
            raise TypeError(f"no PIL mode holds {channels} channel(s) of {array.dtype}")
    if Image.getmodebands(mode) != channels:
        bands = Image.getmodebands(mode)
        raise ValueError(f"mode {mode!r} has {bands} channel(s), pic has {channels}")
    out = Image.fromarray(np.ascontiguousarray(array))
    return out if out.mode == mode else Image.frombytes(mode, out.size, out.tobytes())


_UNSAFE_CASTS = {
    (torch.float32, torch.int32),
    (torch.float32, torch.int64),
    (torch.float64, torch.int64),
}


def convert_image_dtype(image: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Convert a tensor image to ``dtype``, rescaling values: floats span ``[0, 1]``, integers
    ``[0, max of the dtype]``.

    Float to integer maps ``[0, 1]`` onto ``[0, max]`` by ``floor(x * (max + 1 - 1e-3))``, so every
    integer gets an equal share of the interval; integer to integer shifts by whole bits.

    Raises:
        RuntimeError: for float32 to int32/int64 and float64 to int64, whose largest values the
            float type cannot represent.
    """
    if not isinstance(image, Tensor):
        raise TypeError(f"image must be a Tensor, got {type(image).__name__}")
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype, dtype) in _UNSAFE_CASTS:
            raise RuntimeError(f"cannot convert {image.dtype} to {dtype} without overflow")
        return image.mul(torch.iinfo(dtype).max + 1.0 - 1e-3).to(dtype)
    input_max = torch.iinfo(image.dtype).max
    if dtype.is_floating_point:
        return image.to(dtype) / input_max
    output_max = torch.iinfo(dtype).max
    if input_max > output_max:
        factor = (input_max + 1) // (output_max + 1)
        return torch.div(image, factor, rounding_mode="floor").to(dtype)
    return image.to(dtype) * ((output_max + 1) // (input_max + 1))


def normalize(
    tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False
) -> Tensor:
    """``(tensor - mean) / std`` per channel of a float ``Tensor[..., C, H, W]``."""
    if not isinstance(tensor, Tensor) or tensor.dim() < 3 or not tensor.is_floating_point():
        got = (
            f"{tensor.dtype} Tensor{list(tensor.shape)}"
            if isinstance(tensor, Tensor)
            else type(tensor).__name__
        )
        raise TypeError(f"tensor must be a float Tensor[..., C, H, W], got {got}")
    mean_t = torch.as_tensor(mean, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    std_t = torch.as_tensor(std, dtype=tensor.dtype, device=tensor.device).reshape(-1, 1, 1)
    if (std_t == 0).any():
        raise ValueError(f"std must not contain zeros (in {tensor.dtype}), got {std}")
    if not inplace:
        tensor = tensor.clone()
    return tensor.sub_(mean_t).div_(std_t)
