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


# The modes each number of channels may be read as; the first is the default for uint8 data.
_MODES_OF_CHANNELS = {
    2: ("LA",),
    3: ("RGB", "YCbCr", "HSV"),
    4: ("RGBA", "CMYK", "RGBX"),
}
# One channel: the mode follows the dtype (uint16 is ours; torchvision has no mode for it).
_MODE_OF_DTYPE = {
    np.dtype(np.uint8): "L",
    np.dtype(np.int16): "I;16",
    np.dtype(np.uint16): "I;16",
    np.dtype(np.int32): "I",
    np.dtype(np.float32): "F",
}


def _pil_mode(array: np.ndarray, mode: str | None) -> str:
    channels = array.shape[2]
    if channels == 1:
        expected = _MODE_OF_DTYPE.get(array.dtype)
        if mode is not None and mode != expected:
            raise ValueError(
                f"mode {mode!r} does not hold one channel of {array.dtype}; expected {expected!r}"
            )
        mode = expected
    else:
        permitted = _MODES_OF_CHANNELS[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(
                f"mode must be one of {list(permitted)} for {channels} channels, got {mode!r}"
            )
        if mode is None and array.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"no PIL mode holds {channels} channel(s) of {array.dtype}")
    return mode


def to_pil_image(pic: Tensor | np.ndarray, mode: str | None = None) -> Image.Image:
    """A ``Tensor[C, H, W]`` / ``Tensor[H, W]`` or an ``ndarray[H, W, C]`` / ``ndarray[H, W]``
    (``C <= 4``) as a PIL image.

    Float data (unless ``mode="F"``) is taken to be in ``[0, 1]`` and becomes
    ``uint8(x * 255)``, truncating, as in torchvision (values outside ``[0, 1]`` wrap around as
    numpy casts them; clamp first to saturate). Without ``mode``, one channel gives ``"L"`` for
    uint8, ``"I;16"`` for int16 and uint16, ``"I"`` for int32 and ``"F"`` for float32; two
    channels ``"LA"``, three ``"RGB"`` and four ``"RGBA"`` (uint8 only). An explicit ``mode``
    must suit the data: the dtype's mode for one channel, ``"LA"`` for two, ``"RGB"``,
    ``"YCbCr"`` or ``"HSV"`` for three, ``"RGBA"``, ``"CMYK"`` or ``"RGBX"`` for four; the bytes
    are then read as that mode.

    Raises:
        TypeError: ``pic`` is neither a Tensor nor an ndarray, or no mode holds its dtype.
        ValueError: a bad shape, or a ``mode`` that does not suit the data.
    """
    if isinstance(pic, Tensor):
        if pic.dim() == 3:
            pic = pic.permute(1, 2, 0)
        pic = pic.numpy(force=True)
    elif not isinstance(pic, np.ndarray):
        raise TypeError(f"pic must be a Tensor or a numpy array, got {type(pic).__name__}")
    array = pic[:, :, None] if pic.ndim == 2 else pic
    if array.ndim != 3 or array.shape[2] > 4:
        raise ValueError(
            f"pic must be Tensor[C, H, W], ndarray[H, W, C] (C <= 4) or [H, W], got shape "
            f"{tuple(pic.shape)}"
        )
    if np.issubdtype(array.dtype, np.floating) and mode != "F":
        array = (array * 255).astype(np.uint8)
    mode = _pil_mode(array, mode)
    if array.shape[2] == 1:
        array = array[:, :, 0]
    height, width = array.shape[:2]
    return Image.frombytes(mode, (width, height), np.ascontiguousarray(array).tobytes())


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
    return subtract_into_contiguous(tensor, mean_t, inplace).div_(std_t)


def subtract_into_contiguous(tensor: Tensor, value: Tensor, inplace: bool = False) -> Tensor:
    """``tensor - value``, in place or into a new contiguous tensor: images from PIL are
    channel-interleaved views, on which torch's broadcast arithmetic is 4-5x slower."""
    if inplace:
        return tensor.sub_(value)
    out = torch.empty(tensor.shape, dtype=tensor.dtype, device=tensor.device)
    return torch.sub(tensor, value, out=out)
