"""The v2 colour functionals (torchvision 0.29's names and arguments): for plain tensors, PIL
images, ``Image`` and ``Video``. Masks, boxes and key points have no kernel here, so the colour
transforms pass them through (calling a functional on one raises ``TypeError``).

Tensor kernels follow the arithmetic of torchvision's v2 kernels step by step, so that results
agree to the last bit; PIL images use the classic PIL-based functions (PIL's own operations,
as torchvision does).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import PIL.Image
import torch
import torch.nn.functional as nnf
from torch import Tensor

from ... import tv_tensors
from .. import functional as F1
from .._color import hsv_to_rgb, rgb_to_hsv
from .._conversion import subtract_into_contiguous
from .._image import max_value
from ._dispatch import _dispatch, _image_kernel, register_kernel
from .functional import to_dtype

_COLOUR_TYPES = (Tensor, tv_tensors.Image, tv_tensors.Video)
_LUMA_WEIGHTS = (0.2989, 0.587, 0.114)
_VALUE_BITS = {
    torch.uint8: 8,
    torch.int8: 7,
    torch.int16: 15,
    torch.uint16: 16,
    torch.int32: 31,
    torch.int64: 63,
}


def _register(functional: Callable, tensor_op: Callable, pil_op: Callable | None) -> None:
    """Register ``tensor_op`` for plain tensors, ``Image`` and ``Video`` (re-typed like the
    input), and ``pil_op`` for PIL images (none: PIL images are refused)."""

    def image_op(inpt: Any, *args: Any, **kwargs: Any) -> Any:
        op = pil_op if isinstance(inpt, PIL.Image.Image) else tensor_op
        return op(inpt, *args, **kwargs)

    kernel = _image_kernel(image_op)
    for cls in _COLOUR_TYPES + ((PIL.Image.Image,) if pil_op is not None else ()):
        register_kernel(functional, cls)(kernel)


def _check_channels(image: Tensor) -> int:
    channels = image.shape[-3]
    if channels not in (1, 3):
        raise TypeError(
            f"Input image tensor permitted channel values are 1 or 3, but found {channels}"
        )
    return channels


def _check_factor(value: float, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def _blend(image: Tensor, other: Tensor, ratio: float) -> Tensor:
    """``ratio * image + (1 - ratio) * other`` clamped to ``image``'s range, in its dtype
    (integers truncated)."""
    ratio = float(ratio)
    out = image.mul(ratio).add_(other, alpha=1.0 - ratio).clamp_(0, max_value(image.dtype))
    return out if image.is_floating_point() else out.to(image.dtype)


def _luma(image: Tensor) -> Tensor:
    """The unrounded grey level ``[..., 1, H, W]`` of an RGB tensor (float for integers)."""
    red, green, blue = image.unbind(dim=-3)
    weight_r, weight_g, weight_b = _LUMA_WEIGHTS
    return red.mul(weight_r).add_(green, alpha=weight_g).add_(blue, alpha=weight_b).unsqueeze(-3)


def _grey_reference(image: Tensor) -> Tensor:
    """The grey image that contrast and saturation blend with: the luma, floored for integers."""
    grey = _luma(image)
    return grey if image.is_floating_point() else grey.floor_()


def _num_value_bits(dtype: torch.dtype) -> int:
    if dtype not in _VALUE_BITS:
        raise TypeError(f"Number of value bits is only defined for integer dtypes, got {dtype}.")
    return _VALUE_BITS[dtype]


# --- grayscale and channels ---------------------------------------------------------------


def rgb_to_grayscale(inpt: Any, num_output_channels: int = 1) -> Any:
    """Grey level ``0.2989 R + 0.587 G + 0.114 B`` (integers truncated) on
    ``num_output_channels`` (1 or 3) channels; a one-channel image is copied or repeated."""
    return _dispatch(rgb_to_grayscale, inpt, num_output_channels=num_output_channels)


to_grayscale = rgb_to_grayscale


def _check_output_channels(num_output_channels: int) -> None:
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")


def _repeat_channels(image: Tensor, channels: int) -> Tensor:
    repeats = [1] * image.dim()
    repeats[-3] = channels
    return image.repeat(repeats)


def _grayscale_tensor(image: Tensor, num_output_channels: int = 1) -> Tensor:
    _check_output_channels(num_output_channels)
    channels = image.shape[-3]
    if channels == 1:
        return _repeat_channels(image, num_output_channels)
    if channels != 3:
        raise ValueError(f"rgb_to_grayscale needs 1 or 3 channels, got {channels}")
    grey = _luma(image).to(image.dtype)
    return grey if num_output_channels == 1 else grey.expand(image.shape).contiguous()


def _grayscale_pil(image: PIL.Image.Image, num_output_channels: int = 1) -> PIL.Image.Image:
    _check_output_channels(num_output_channels)
    return F1.to_grayscale(image, num_output_channels)


_register(rgb_to_grayscale, _grayscale_tensor, _grayscale_pil)


def grayscale_to_rgb(inpt: Any) -> Any:
    """A one-channel image repeated on three channels; images with 3 or more are returned
    as they are."""
    return _dispatch(grayscale_to_rgb, inpt)


def _grayscale_to_rgb_tensor(image: Tensor) -> Tensor:
    channels = image.shape[-3]
    if channels >= 3:
        return image
    if channels != 1:
        raise ValueError(f"grayscale_to_rgb needs 1 channel (or 3 or more), got {channels}")
    return _repeat_channels(image, 3)


_register(grayscale_to_rgb, _grayscale_to_rgb_tensor, lambda image: image.convert(mode="RGB"))


def permute_channels(inpt: Any, permutation: Sequence[int]) -> Any:
    """Reorder the channels: output channel ``i`` is input channel ``permutation[i]``."""
    return _dispatch(permute_channels, inpt, permutation=permutation)


def _permute_tensor(image: Tensor, permutation: Sequence[int]) -> Tensor:
    shape = image.shape
    channels, height, width = shape[-3:]
    if len(permutation) != channels:
        raise ValueError(
            "Length of permutation does not match number of channels: "
            f"{len(permutation)} != {channels}"
        )
    if image.numel() == 0:
        return image
    return image.reshape(-1, channels, height, width)[:, permutation].reshape(shape)


def _permute_pil(image: PIL.Image.Image, permutation: Sequence[int]) -> PIL.Image.Image:
    if image.mode in ("RGB", "RGBA") and sorted(permutation) == list(range(len(image.mode))):
        bands = image.split()  # a band per letter of these modes
        return PIL.Image.merge(image.mode, [bands[channel] for channel in permutation])
    return F1.to_pil_image(_permute_tensor(F1.pil_to_tensor(image), permutation))


_register(permute_channels, _permute_tensor, _permute_pil)


# --- brightness, contrast, saturation, hue, gamma, sharpness --------------------------------


def adjust_brightness(inpt: Any, brightness_factor: float) -> Any:
    """Intensities times ``brightness_factor`` (0 black, 1 the original), clamped."""
    return _dispatch(adjust_brightness, inpt, brightness_factor=brightness_factor)


def _brightness_tensor(image: Tensor, brightness_factor: float) -> Tensor:
    _check_factor(brightness_factor, "brightness_factor")
    _check_channels(image)
    out = image.mul(brightness_factor).clamp_(0, max_value(image.dtype))
    return out if image.is_floating_point() else out.to(image.dtype)


_register(adjust_brightness, _brightness_tensor, F1.adjust_brightness)


def adjust_contrast(inpt: Any, contrast_factor: float) -> Any:
    """Blend with the mean grey level (0 flat grey, 1 the original)."""
    return _dispatch(adjust_contrast, inpt, contrast_factor=contrast_factor)


def _contrast_tensor(image: Tensor, contrast_factor: float) -> Tensor:
    _check_factor(contrast_factor, "contrast_factor")
    if _check_channels(image) == 3:
        grey = _grey_reference(image)
    else:
        grey = image if image.is_floating_point() else image.to(torch.float32)
    return _blend(image, grey.mean(dim=(-3, -2, -1), keepdim=True), contrast_factor)


_register(adjust_contrast, _contrast_tensor, F1.adjust_contrast)


def adjust_saturation(inpt: Any, saturation_factor: float) -> Any:
    """Blend with the grey version (0 grey, 1 the original, 2 twice as saturated); one-channel
    images are returned unchanged."""
    return _dispatch(adjust_saturation, inpt, saturation_factor=saturation_factor)


def _saturation_tensor(image: Tensor, saturation_factor: float) -> Tensor:
    _check_factor(saturation_factor, "saturation_factor")
    if _check_channels(image) == 1:
        return image
    return _blend(image, _grey_reference(image), saturation_factor)


_register(adjust_saturation, _saturation_tensor, F1.adjust_saturation)


def adjust_hue(inpt: Any, hue_factor: float) -> Any:
    """Rotate hues by ``hue_factor`` turns (in ``[-0.5, 0.5]``) through HSV; one-channel
    images are returned unchanged."""
    return _dispatch(adjust_hue, inpt, hue_factor=hue_factor)


def _check_hue(hue_factor: float) -> None:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")


def _hue_tensor(image: Tensor, hue_factor: float) -> Tensor:
    _check_hue(hue_factor)
    if _check_channels(image) == 1 or image.numel() == 0:
        return image
    hsv = rgb_to_hsv(to_dtype(image, torch.float32, scale=True))
    hue, saturation, value = hsv.unbind(dim=-3)
    hue = hue.add(hue_factor).remainder_(1.0)
    rgb = hsv_to_rgb(torch.stack((hue, saturation, value), dim=-3))
    return to_dtype(rgb, image.dtype, scale=True)


_register(adjust_hue, _hue_tensor, F1.adjust_hue)


def adjust_gamma(inpt: Any, gamma: float, gain: float = 1) -> Any:
    """``gain * x ** gamma`` of intensities ``x`` in ``[0, 1]`` (clamped when ``gain != 1``)."""
    return _dispatch(adjust_gamma, inpt, gamma=gamma, gain=gain)


def _gamma_tensor(image: Tensor, gamma: float, gain: float = 1.0) -> Tensor:
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if image.is_floating_point():
        out = image.pow(gamma)
    else:
        out = to_dtype(image, torch.float32, scale=True).pow_(gamma)
    if gain != 1.0:  # only a gain can leave [0, 1]
        out = out.mul_(gain).clamp_(0.0, 1.0)
    return to_dtype(out, image.dtype, scale=True)


_register(adjust_gamma, _gamma_tensor, F1.adjust_gamma)


def adjust_sharpness(inpt: Any, sharpness_factor: float) -> Any:
    """Blend with a smoothed copy (3 x 3 weights 1, centre 5): 0 smoothed, 1 the original,
    2 twice the detail; the one-pixel border is kept."""
    return _dispatch(adjust_sharpness, inpt, sharpness_factor=sharpness_factor)


def _sharpness_tensor(image: Tensor, sharpness_factor: float) -> Tensor:
    channels = _check_channels(image)
    _check_factor(sharpness_factor, "sharpness_factor")
    height, width = image.shape[-2:]
    if image.numel() == 0 or height <= 2 or width <= 2:
        return image
    fp = image.is_floating_point()
    dtype = image.dtype if fp else torch.float32
    edge, centre = 1.0 / 13.0, 5.0 / 13.0
    kernel = torch.full((3, 3), edge, dtype=dtype, device=image.device)
    kernel[1, 1] = centre
    out = image.to(dtype=dtype, copy=True).reshape(-1, channels, height, width)
    smoothed = nnf.conv2d(out, kernel.expand(channels, 1, 3, 3), groups=channels)
    if not fp:
        smoothed = smoothed.round_()
    inner = out[..., 1:-1, 1:-1]  # a view: blending it updates ``out`` in place
    inner.add_(smoothed.sub_(inner), alpha=1.0 - sharpness_factor)
    out = out.clamp_(0, max_value(image.dtype)).reshape(image.shape)
    return out if fp else out.to(image.dtype)


_register(adjust_sharpness, _sharpness_tensor, F1.adjust_sharpness)


# --- point and histogram operations -------------------------------------------------------


def invert(inpt: Any) -> Any:
    """The negative: ``1 - x`` for floats, ``max - x`` for integers."""
    return _dispatch(invert, inpt)


def _invert_tensor(image: Tensor) -> Tensor:
    if image.is_floating_point():
        return 1.0 - image
    if image.dtype == torch.uint8:
        return image.bitwise_not()
    # Flip the value bits only, keeping the sign bit of signed integers.
    return image.bitwise_xor((1 << _num_value_bits(image.dtype)) - 1)


_register(invert, _invert_tensor, F1.invert)


def _check_bits(bits: int) -> None:
    if not isinstance(bits, int) or not 0 <= bits <= 8:
        raise TypeError(f"bits must be a positive integer in the range [0, 8], got {bits} instead.")


def posterize(inpt: Any, bits: int) -> Any:
    """Keep the ``bits`` (0 to 8) most significant bits of each value; floats are quantised to
    ``2 ** bits`` levels, floored."""
    return _dispatch(posterize, inpt, bits=bits)


def _posterize_tensor(image: Tensor, bits: int) -> Tensor:
    _check_bits(bits)
    if image.is_floating_point():
        levels = 1 << bits
        return image.mul(levels).floor_().clamp_(0, levels - 1).mul_(1.0 / levels)
    value_bits = _num_value_bits(image.dtype)
    if bits >= value_bits:
        return image
    return image & (((1 << bits) - 1) << (value_bits - bits))


def _posterize_pil(image: PIL.Image.Image, bits: int) -> PIL.Image.Image:
    _check_bits(bits)
    return F1.posterize(image, bits)


_register(posterize, _posterize_tensor, _posterize_pil)


def solarize(inpt: Any, threshold: float) -> Any:
    """Invert the values at or above ``threshold`` (in the image's value range)."""
    return _dispatch(solarize, inpt, threshold=threshold)


def _solarize_tensor(image: Tensor, threshold: float) -> Tensor:
    if threshold > max_value(image.dtype):
        raise TypeError(
            f"Threshold should be less or equal the maximum value of the dtype, but got {threshold}"
        )
    return torch.where(image >= threshold, _invert_tensor(image), image)


_register(solarize, _solarize_tensor, F1.solarize)


def autocontrast(inpt: Any) -> Any:
    """Stretch each channel linearly to the full range; constant channels are kept."""
    return _dispatch(autocontrast, inpt)


def _autocontrast_tensor(image: Tensor) -> Tensor:
    _check_channels(image)
    if image.numel() == 0:
        return image
    bound = max_value(image.dtype)
    values = image if image.is_floating_point() else image.to(torch.float32)
    low = values.amin(dim=(-2, -1), keepdim=True)
    high = values.amax(dim=(-2, -1), keepdim=True)
    flat = high == low
    inv_scale = (high - low).mul_(1.0 / bound)
    low = torch.where(flat, 0.0, low)
    inv_scale = torch.where(flat, 1.0, inv_scale)
    return values.sub(low).div_(inv_scale).clamp_(0, bound).to(image.dtype)


_register(autocontrast, _autocontrast_tensor, F1.autocontrast)


def equalize(inpt: Any) -> Any:
    """Equalize the histogram of each channel, as PIL does; other dtypes than uint8 are
    equalized as uint8 (converted there and back)."""
    return _dispatch(equalize, inpt)


def _equalize_tensor(image: Tensor) -> Tensor:
    if image.numel() == 0:
        return image
    as_bytes = to_dtype(image, torch.uint8, scale=True)
    return to_dtype(F1.equalize(as_bytes), image.dtype, scale=True)


_register(equalize, _equalize_tensor, F1.equalize)


# --- blur, noise, normalisation ---------------------------------------------------------


def gaussian_blur(
    inpt: Any, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None
) -> Any:
    """Blur with a Gaussian kernel ``(kx, ky)`` (odd; an int for both) of ``sigma``
    ``(sx, sy)`` (one for both; default ``0.15 * k + 0.35``), reflecting at the borders."""
    return _dispatch(gaussian_blur, inpt, kernel_size=kernel_size, sigma=sigma)


def _blur_sizes(kernel_size: int | Sequence[int]) -> list[int]:
    sizes = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
    if len(sizes) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(sizes)}")
    if any(k % 2 == 0 or k < 0 for k in sizes):
        raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    return sizes


def _blur_sigmas(sigma: float | Sequence[float] | None, sizes: list[int]) -> list[float]:
    if sigma is None:
        sigmas = [k * 0.15 + 0.35 for k in sizes]
    elif isinstance(sigma, (list, tuple)):
        if len(sigma) not in (1, 2):
            raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
        sigmas = [sigma[0], sigma[-1]]
    elif isinstance(sigma, (int, float)):
        sigmas = [float(sigma)] * 2
    else:
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if any(s <= 0.0 for s in sigmas):
        raise ValueError(f"sigma should have positive values. Got {sigmas}")
    return sigmas


def _gaussian_1d(size: int, sigma: float, dtype: torch.dtype, device: torch.device) -> Tensor:
    # Points at (i / sqrt 2) for i in -k//2..k//2, so that -(x / sigma)^2 = -i^2 / (2 sigma^2).
    half_width = (size - 1) / (2.0 * math.sqrt(2.0))
    x = torch.linspace(-half_width, half_width, steps=size, dtype=dtype, device=device)
    return torch.softmax(x.div(sigma).pow(2).neg(), dim=0)


def _blur_tensor(
    image: Tensor, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None
) -> Tensor:
    sizes = _blur_sizes(kernel_size)
    sigmas = _blur_sigmas(sigma, sizes)
    if image.numel() == 0:
        return image
    fp = image.is_floating_point()
    dtype = image.dtype if fp else torch.float32
    kernel_x = _gaussian_1d(sizes[0], sigmas[0], dtype, image.device)
    kernel_y = _gaussian_1d(sizes[1], sigmas[1], dtype, image.device)
    channels = image.shape[-3]
    kernel = (kernel_y.unsqueeze(-1) * kernel_x).expand(channels, 1, sizes[1], sizes[0])
    batch = image.reshape(-1, *image.shape[-3:]).to(dtype)
    pad_x, pad_y = sizes[0] // 2, sizes[1] // 2
    batch = nnf.pad(batch, [pad_x, pad_x, pad_y, pad_y], mode="reflect")
    out = nnf.conv2d(batch, kernel, groups=channels).reshape(image.shape)
    return out if fp else out.round_().to(image.dtype)


def _blur_pil(image: PIL.Image.Image, kernel_size, sigma=None) -> PIL.Image.Image:
    blurred = _blur_tensor(F1.pil_to_tensor(image), kernel_size, sigma)
    return F1.to_pil_image(blurred, mode=image.mode)


_register(gaussian_blur, _blur_tensor, _blur_pil)


def gaussian_noise(inpt: Any, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> Any:
    """Add noise drawn from ``N(mean, sigma)`` (on the ``[0, 1]`` scale, for uint8 too),
    clipped to the value range with ``clip``. Floats and uint8 only; no PIL images."""
    return _dispatch(gaussian_noise, inpt, mean=mean, sigma=sigma, clip=clip)


def _noise_tensor(image: Tensor, mean: float = 0.0, sigma: float = 0.1, clip: bool = True):
    if sigma < 0:
        raise ValueError(f"sigma shouldn't be negative. Got {sigma}")
    if image.is_floating_point():
        out = image + (mean + torch.randn_like(image) * sigma)
        return out.clamp(0, 1) if clip else out
    if image.dtype != torch.uint8:
        raise ValueError(
            f"Input tensor is expected to be in uint8 or float dtype, got dtype={image.dtype}"
        )
    noise = mean * 255 + torch.randn_like(image, dtype=torch.float32) * (sigma * 255)
    out = image + noise.to(torch.int16)  # int16 holds the sum before clipping
    return (out.clamp(0, 255) if clip else out).to(torch.uint8)


def _noise_pil(image: PIL.Image.Image, mean=0.0, sigma=0.1, clip=True) -> PIL.Image.Image:
    raise ValueError("Gaussian Noise is not implemented for PIL images.")


_register(gaussian_noise, _noise_tensor, _noise_pil)


def normalize(inpt: Any, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Any:
    """``(x - mean) / std`` per channel of a float tensor ``[..., C, H, W]`` (no PIL images)."""
    return _dispatch(normalize, inpt, mean=mean, std=std, inplace=inplace)


def _has_zero_std(std: Any) -> bool:
    if isinstance(std, (tuple, list)):
        return not all(std)
    return isinstance(std, (int, float)) and std == 0


def _per_channel(values: Any, like: Tensor) -> Tensor:
    values = torch.as_tensor(values, dtype=like.dtype, device=like.device)
    return values.view(-1, 1, 1) if values.dim() == 1 else values


def _normalize_tensor(image: Tensor, mean, std, inplace: bool = False) -> Tensor:
    if not image.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {image.dtype}.")
    if image.dim() < 3:
        raise ValueError(
            f"Expected tensor to be a tensor image of size (..., C, H, W). Got {image.shape}."
        )
    if _has_zero_std(std):
        raise ValueError("std evaluated to zero, leading to division by zero.")
    mean_t, std_t = _per_channel(mean, image), _per_channel(std, image)
    return subtract_into_contiguous(image, mean_t, inplace).div_(std_t)


_register(normalize, _normalize_tensor, None)
