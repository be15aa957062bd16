"""Neighbourhood filters: Gaussian blur and sharpness."""

import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as nnf
from PIL import Image, ImageEnhance
from torch import Tensor

from ._color import blend, check_color_channels
from ._conversion import pil_to_tensor, to_pil_image
from ._image import ImageType, as_batch, check_image, restore


def _convolve(img: Tensor, kernel: Tensor, padding_mode: str | None) -> Tensor:
    """Correlate every channel of ``img`` with ``kernel[kh, kw]``, reflect-padded to keep the
    size (``padding_mode="reflect"``) or unpadded (``None``), rounding back to ``img``'s dtype."""
    batch = as_batch(img)
    channels = batch.size(1)
    kernel = kernel.to(batch.dtype).expand(channels, 1, *kernel.shape)
    if padding_mode is not None:
        half_h, half_w = kernel.size(-2) // 2, kernel.size(-1) // 2
        batch = nnf.pad(batch, [half_w, half_w, half_h, half_h], mode=padding_mode)
    return restore(nnf.conv2d(batch, kernel, groups=channels), img)


def _gaussian_kernel(size: int, sigma: float, dtype: torch.dtype) -> Tensor:
    half = (size - 1) * 0.5
    weights = torch.exp(-0.5 * (torch.linspace(-half, half, size, dtype=dtype) / sigma) ** 2)
    return weights / weights.sum()


def _pair(value: float | Sequence[float], name: str) -> list[float]:
    values = [value] if isinstance(value, numbers.Number) else value
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a number or a sequence of two, got {value!r}")
    if len(values) == 1:
        values = [values[0], values[0]]
    if len(values) != 2:
        raise ValueError(f"{name} must be a number or a sequence of two, got {value}")
    return list(values)


def gaussian_blur(
    img: ImageType, kernel_size: int | Sequence[int], sigma: float | Sequence[float] | None = None
) -> ImageType:
    """Blur with a Gaussian kernel, reflecting the image at its borders to keep its size.

    Args:
        img: PIL image or ``Tensor[..., H, W]``; PIL images are blurred as uint8 tensors.
        kernel_size: ``(kx, ky)`` odd positive sizes, or one int for both.
        sigma: ``(sigma_x, sigma_y)``, or one for both; default ``0.15 * size + 0.35`` per axis.

    Returns:
        The blurred image, of the input's type and dtype (integers rounded).
    """
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size must be an int or a sequence of ints, got {kernel_size!r}")
    sizes = _pair(kernel_size, "kernel_size")
    if any(not isinstance(k, int) or k <= 0 or k % 2 == 0 for k in sizes):
        raise ValueError(f"kernel_size must hold odd positive ints, got {kernel_size}")
    sigmas = [0.15 * k + 0.35 for k in sizes] if sigma is None else _pair(sigma, "sigma")
    if any(s <= 0 for s in sigmas):
        raise ValueError(f"sigma must be positive, got {sigma}")
    check_image(img)
    if isinstance(img, Image.Image):
        return to_pil_image(gaussian_blur(pil_to_tensor(img), sizes, sigmas), mode=img.mode)
    dtype = img.dtype if img.is_floating_point() else torch.float32
    kernel_x = _gaussian_kernel(sizes[0], sigmas[0], dtype)
    kernel_y = _gaussian_kernel(sizes[1], sigmas[1], dtype)
    return _convolve(img, torch.outer(kernel_y, kernel_x).to(img.device), "reflect")


def adjust_sharpness(img: ImageType, sharpness_factor: float) -> ImageType:
    """Blend an image with a smoothed copy of itself: 0 gives the smoothed image, 1 the original,
    2 doubles the detail. The smoothing is PIL's (3 x 3 weights 1, centre 5), which leaves the
    one-pixel border unchanged."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor must be non-negative, got {sharpness_factor}")
    check_color_channels(img)
    if isinstance(img, Image.Image):
        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    if img.size(-1) <= 2 or img.size(-2) <= 2:
        return img
    kernel = torch.ones(3, 3, device=img.device)
    kernel[1, 1] = 5.0
    smoothed = img.clone()
    smoothed[..., 1:-1, 1:-1] = _convolve(img, kernel / kernel.sum(), None)
    return blend(img, smoothed, sharpness_factor)
