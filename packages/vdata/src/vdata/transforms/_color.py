"""Colour transforms: brightness, contrast, saturation, hue and grayscale."""

import numpy as np
import torch
from PIL import Image, ImageEnhance
from torch import Tensor

from ._conversion import convert_image_dtype
from ._image import ImageType, check_image

_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def _check_color_channels(img: ImageType) -> None:
    check_image(img, min_dims=3)
    if isinstance(img, Tensor) and img.size(-3) not in (1, 3):
        raise ValueError(f"img must have 1 or 3 channels, got Tensor{list(img.shape)}")


def _check_factor(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")


def _blend(img: Tensor, other: Tensor, ratio: float) -> Tensor:
    bound = 1.0 if img.is_floating_point() else float(torch.iinfo(img.dtype).max)
    return (ratio * img + (1.0 - ratio) * other).clamp(0, bound).to(img.dtype)


def rgb_to_grayscale(img: ImageType, num_output_channels: int = 1) -> ImageType:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` of an RGB image, repeated on ``num_output_channels``
    (1 or 3) channels. PIL images use PIL's conversion to mode ``"L"`` (integer weights, rounded);
    integer tensors are truncated, as in torchvision."""
    _check_color_channels(img)
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
    if isinstance(img, Image.Image):
        gray = img.convert("L")
        return gray if num_output_channels == 1 else Image.merge("RGB", (gray, gray, gray))
    if img.size(-3) == 3:
        r, g, b = img.unbind(-3)
        gray = (_GRAY_WEIGHTS[0] * r + _GRAY_WEIGHTS[1] * g + _GRAY_WEIGHTS[2] * b).to(img.dtype)
        gray = gray.unsqueeze(-3)
    else:
        gray = img.clone()
    return gray.expand(*gray.shape[:-3], num_output_channels, *gray.shape[-2:]).contiguous()


def adjust_brightness(img: ImageType, brightness_factor: float) -> ImageType:
    """Scale intensities by ``brightness_factor`` (0 gives black, 1 the original)."""
    _check_factor(brightness_factor, "brightness_factor")
    _check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    return _blend(img, torch.zeros_like(img), brightness_factor)


def adjust_contrast(img: ImageType, contrast_factor: float) -> ImageType:
    """Blend an image with its mean grey level (0 gives flat grey, 1 the original)."""
    _check_factor(contrast_factor, "contrast_factor")
    _check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    dtype = img.dtype if img.is_floating_point() else torch.float32
    gray = rgb_to_grayscale(img) if img.size(-3) == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: ImageType, saturation_factor: float) -> ImageType:
    """Blend an image with its grayscale version (0 gives grey, 1 the original, 2 doubles
    saturation). One-channel images are returned unchanged."""
    _check_factor(saturation_factor, "saturation_factor")
    _check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if img.size(-3) == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb_to_hsv(rgb: Tensor) -> Tensor:
    r, g, b = rgb.unbind(-3)
    value = rgb.amax(dim=-3)
    chroma = value - rgb.amin(dim=-3)
    gray = chroma == 0  # hue and saturation are 0 for greys
    saturation = torch.where(gray, 0.0, chroma / torch.where(value == 0, 1.0, value))
    safe = torch.where(gray, 1.0, chroma)
    hue = torch.where(
        value == r,
        (g - b) / safe,
        torch.where(value == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe),
    )
    hue = torch.where(gray, 0.0, (hue / 6.0).remainder(1.0))
    return torch.stack((hue, saturation, value), dim=-3)


def _hsv_to_rgb(hsv: Tensor) -> Tensor:
    # Closed form: channel n = v - v s clamp(min(k, 4 - k), 0, 1), k = (n + 6 h) mod 6.
    hue, saturation, value = (t.unsqueeze(-3) for t in hsv.unbind(-3))
    n = torch.tensor([5.0, 3.0, 1.0], dtype=hsv.dtype, device=hsv.device).reshape(3, 1, 1)
    k = (n + 6.0 * hue).remainder(6.0)
    return value - value * saturation * torch.minimum(k, 4.0 - k).clamp(0.0, 1.0)


def adjust_hue(img: ImageType, hue_factor: float) -> ImageType:
    """Rotate hues by ``hue_factor`` turns, in ``[-0.5, 0.5]``, through HSV.

    PIL images shift their 8-bit hue channel by ``int(hue_factor * 255)``, wrapping around;
    tensors are converted to float HSV and back. One-channel images are returned unchanged.
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor must be in [-0.5, 0.5], got {hue_factor}")
    _check_color_channels(img)
    if isinstance(img, Image.Image):
        if img.mode in ("L", "1", "I", "F"):
            return img
        hue, saturation, value = img.convert("HSV").split()
        shifted = (np.asarray(hue, dtype=np.int64) + int(hue_factor * 255)) % 256
        hue = Image.fromarray(shifted.astype(np.uint8))
        return Image.merge("HSV", (hue, saturation, value)).convert(img.mode)
    if img.size(-3) == 1:
        return img
    hsv = _rgb_to_hsv(convert_image_dtype(img, torch.float32))
    hue = (hsv[..., 0, :, :] + hue_factor).remainder(1.0)
    rgb = _hsv_to_rgb(torch.stack((hue, hsv[..., 1, :, :], hsv[..., 2, :, :]), dim=-3))
    return convert_image_dtype(rgb, img.dtype)
