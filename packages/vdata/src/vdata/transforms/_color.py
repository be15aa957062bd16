"""Colour transforms: brightness, contrast, saturation, hue, gamma and grayscale, and the
point and histogram operations (invert, posterize, solarize, autocontrast, equalize)."""

import numpy as np
import torch
from PIL import Image, ImageEnhance, ImageOps
from torch import Tensor

from ._conversion import convert_image_dtype
from ._errors import ArgumentTypeError
from ._image import ImageType, check_image, max_value

_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def check_color_channels(img: ImageType) -> None:
    """A PIL image, or a ``Tensor[..., C, H, W]`` with 1 or 3 channels (``TypeError`` otherwise,
    as in torchvision)."""
    check_image(img, min_dims=3)
    if isinstance(img, Tensor) and img.size(-3) not in (1, 3):
        raise ArgumentTypeError(f"img must have 1 or 3 channels, got Tensor{list(img.shape)}")


def _check_factor(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")


def blend(img: Tensor, other: Tensor, ratio: float) -> Tensor:
    """``ratio * img + (1 - ratio) * other``, clamped to the range of ``img``'s dtype."""
    bound = float(max_value(img.dtype))
    return (ratio * img + (1.0 - ratio) * other).clamp(0, bound).to(img.dtype)


def rgb_to_grayscale(img: ImageType, num_output_channels: int = 1) -> ImageType:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` of an RGB image, repeated on ``num_output_channels``
    (1 or 3) channels. PIL images use PIL's conversion to mode ``"L"`` (integer weights, rounded);
    integer tensors are truncated, as in torchvision."""
    check_color_channels(img)
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
    if isinstance(img, Image.Image):
        return to_grayscale(img, num_output_channels)
    if img.size(-3) == 3:
        r, g, b = img.unbind(-3)
        gray = (_GRAY_WEIGHTS[0] * r + _GRAY_WEIGHTS[1] * g + _GRAY_WEIGHTS[2] * b).to(img.dtype)
        gray = gray.unsqueeze(-3)
    else:
        gray = img.clone()
    return gray.expand(*gray.shape[:-3], num_output_channels, *gray.shape[-2:]).contiguous()


def to_grayscale(img: Image.Image, num_output_channels: int = 1) -> Image.Image:
    """A PIL image of any mode in grayscale (PIL's conversion to ``"L"``), on
    ``num_output_channels`` (1 or 3) channels."""
    if not isinstance(img, Image.Image):
        raise TypeError(f"img must be a PIL image, got {type(img).__name__}")
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
    gray = img.convert("L")
    return gray if num_output_channels == 1 else Image.merge("RGB", (gray, gray, gray))


def adjust_brightness(img: ImageType, brightness_factor: float) -> ImageType:
    """Scale intensities by ``brightness_factor`` (0 gives black, 1 the original)."""
    _check_factor(brightness_factor, "brightness_factor")
    check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    return blend(img, torch.zeros_like(img), brightness_factor)


def adjust_contrast(img: ImageType, contrast_factor: float) -> ImageType:
    """Blend an image with its mean grey level (0 gives flat grey, 1 the original)."""
    _check_factor(contrast_factor, "contrast_factor")
    check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    dtype = img.dtype if img.is_floating_point() else torch.float32
    gray = rgb_to_grayscale(img) if img.size(-3) == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, contrast_factor)


def adjust_saturation(img: ImageType, saturation_factor: float) -> ImageType:
    """Blend an image with its grayscale version (0 gives grey, 1 the original, 2 doubles
    saturation). One-channel images are returned unchanged."""
    _check_factor(saturation_factor, "saturation_factor")
    check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if img.size(-3) == 1:
        return img
    return blend(img, rgb_to_grayscale(img), saturation_factor)


# For each HSV sector (0..5) the index into (v, p, q, t) of red, green and blue.
_HSV_SECTORS = ((0, 2, 1, 1, 3, 0), (3, 0, 0, 2, 1, 1), (1, 1, 3, 0, 0, 2))


def rgb_to_hsv(image: Tensor) -> Tensor:
    """HSV ``[..., 3, H, W]`` in ``[0, 1]`` of float RGB in ``[0, 1]``, computed as
    torchvision computes it (both its transform APIs agree)."""
    red, green, _ = image.unbind(dim=-3)
    low, high = torch.aminmax(image, dim=-3)
    grey = high == low  # hue and saturation are 0; the safe divisors below avoid NaNs
    spread = high - low
    ones = torch.ones_like(high)
    saturation = spread / torch.where(grey, ones, high)
    divisor = torch.where(grey, ones, spread).unsqueeze(-3)
    rc, gc, bc = ((high.unsqueeze(-3) - image) / divisor).unbind(dim=-3)
    red_max, green_max = high == red, high == green
    hue = torch.where(red_max, bc - gc, torch.where(green_max, rc + 2.0 - bc, gc + 4.0 - rc))
    hue = hue.mul(1.0 / 6.0).add_(1.0).fmod_(1.0)
    return torch.stack((hue, saturation, high), dim=-3)


def hsv_to_rgb(hsv: Tensor) -> Tensor:
    """Float RGB of float HSV ``[..., 3, H, W]``, by the six sectors of the hue circle."""
    hue, saturation, value = hsv.unbind(dim=-3)
    hue6 = hue.mul(6)
    sector = torch.floor(hue6)
    fraction = hue6.sub_(sector)
    sector = sector.to(torch.int32).remainder_(6)
    s_times_f = saturation * fraction
    one_minus_s = 1.0 - saturation
    q = (1.0 - s_times_f).mul_(value).clamp_(0.0, 1.0)
    t = s_times_f.add_(one_minus_s).mul_(value).clamp_(0.0, 1.0)
    p = one_minus_s.mul_(value).clamp_(0.0, 1.0)
    candidates = torch.stack((value, p, q, t), dim=-3)
    table = torch.tensor(_HSV_SECTORS, dtype=torch.long, device=hsv.device)
    index = table[:, sector].movedim(0, -3)
    return candidates.gather(-3, index)


def adjust_hue(img: ImageType, hue_factor: float) -> ImageType:
    """Rotate hues by ``hue_factor`` turns, in ``[-0.5, 0.5]``, through HSV.

    PIL images shift their 8-bit hue channel by ``int(hue_factor * 255)``, wrapping around;
    tensors are converted to float HSV and back. One-channel images are returned unchanged.
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor must be in [-0.5, 0.5], got {hue_factor}")
    check_color_channels(img)
    if isinstance(img, Image.Image):
        if img.mode in ("L", "1", "I", "F"):
            return img
        hue, saturation, value = img.convert("HSV").split()
        shifted = (np.asarray(hue, dtype=np.int64) + int(hue_factor * 255)) % 256
        hue = Image.fromarray(shifted.astype(np.uint8))
        return Image.merge("HSV", (hue, saturation, value)).convert(img.mode)
    if img.size(-3) == 1:
        return img
    hsv = rgb_to_hsv(convert_image_dtype(img, torch.float32))
    hue = (hsv[..., 0, :, :] + hue_factor).remainder(1.0)
    rgb = hsv_to_rgb(torch.stack((hue, hsv[..., 1, :, :], hsv[..., 2, :, :]), dim=-3))
    return convert_image_dtype(rgb, img.dtype)


def adjust_gamma(img: ImageType, gamma: float, gain: float = 1.0) -> ImageType:
    """Gamma correction ``gain * x ** gamma`` of intensities ``x`` in ``[0, 1]``.

    PIL images go through an 8-bit lookup table ``floor(255.999 * gain * (v / 255) ** gamma)``
    on their RGB version (so modes with alpha are not supported); tensors are computed in float
    and clamped to ``[0, 1]``.
    """
    check_color_channels(img)
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative, got {gamma}")
    if isinstance(img, Image.Image):
        table = [int((256 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)]
        return img.convert("RGB").point(table * 3).convert(img.mode)
    result = convert_image_dtype(img, torch.float32) if not img.is_floating_point() else img
    return convert_image_dtype((gain * result.pow(gamma)).clamp(0, 1), img.dtype)


def _check_point_op_input(img: ImageType) -> None:
    if isinstance(img, Tensor) and img.dim() < 3:
        raise TypeError(f"img must be a Tensor[..., C, H, W], got Tensor{list(img.shape)}")
    check_color_channels(img)


def invert(img: ImageType) -> ImageType:
    """Negative of an image: ``max - x``, with ``max`` 255 for bytes, 1 for floats."""
    _check_point_op_input(img)
    if isinstance(img, Image.Image):
        return ImageOps.invert(img)
    return max_value(img.dtype) - img


def posterize(img: ImageType, bits: int) -> ImageType:
    """Keep the ``bits`` (0 to 8) most significant bits of each channel of a uint8 image."""
    if not 0 <= bits <= 8:
        raise ValueError(f"bits must be in [0, 8], got {bits}")
    _check_point_op_input(img)
    if isinstance(img, Image.Image):
        return ImageOps.posterize(img, bits)
    if img.dtype != torch.uint8:
        raise TypeError(f"posterize needs a uint8 tensor, got {img.dtype}")
    return img & -(2 ** (8 - bits))


def solarize(img: ImageType, threshold: float) -> ImageType:
    """Invert the values at or above ``threshold``, in the image's own range."""
    _check_point_op_input(img)
    if isinstance(img, Image.Image):
        return ImageOps.solarize(img, threshold)
    if threshold > max_value(img.dtype):
        raise ArgumentTypeError(
            f"threshold must be at most {max_value(img.dtype)} for {img.dtype}, got {threshold}"
        )
    return torch.where(img >= threshold, invert(img), img)


def autocontrast(img: ImageType) -> ImageType:
    """Stretch each channel linearly so its darkest value becomes 0 and its brightest white;
    constant channels are kept."""
    _check_point_op_input(img)
    if isinstance(img, Image.Image):
        return ImageOps.autocontrast(img)
    bound = max_value(img.dtype)
    dtype = img.dtype if img.is_floating_point() else torch.float32
    low = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    high = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    flat = high == low
    scale = torch.where(flat, 1.0, bound / torch.where(flat, 1.0, high - low))
    return ((img - torch.where(flat, 0.0, low)) * scale).clamp(0, bound).to(img.dtype)


def equalize(img: ImageType) -> ImageType:
    """Equalize the histogram of each channel of a uint8 image, as PIL's ``ImageOps.equalize``
    does: each value maps to its cumulative count (less the count of the brightest value, in
    255 steps), rounded."""
    _check_point_op_input(img)
    if isinstance(img, Image.Image):
        return ImageOps.equalize(img)
    if img.dtype != torch.uint8:
        raise TypeError(f"equalize needs a uint8 tensor, got {img.dtype}")
    planes = img.reshape(-1, img.size(-2) * img.size(-1))
    counts = torch.stack([torch.bincount(plane, minlength=256) for plane in planes])
    brightest = counts.gather(1, planes.amax(dim=1, keepdim=True).long())
    step = torch.div(planes.size(1) - brightest, 255, rounding_mode="floor")
    safe_step = step.clamp(min=1)
    table = torch.div(counts.cumsum(1) + safe_step // 2, safe_step, rounding_mode="floor")
    table = torch.cat((table.new_zeros(table.size(0), 1), table[:, :-1]), dim=1).clamp(0, 255)
    identity = torch.arange(256, device=img.device).expand_as(table)
    table = torch.where(step > 0, table, identity).to(torch.uint8)
    return torch.stack(
        [lut[plane.long()] for lut, plane in zip(table, planes, strict=True)]
    ).reshape(img.shape)
