"""The v2 colour transforms (torchvision 0.29's names, arguments and random draws): they change
images and videos and pass masks, boxes and key points through unchanged."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import PIL.Image
import torch

from . import _color_functional as CF
from ._transform import RandomApplyTransform, Transform, query_chw

Range = tuple[float, float]

# The ColorJitter operations, in the order of the indices that its permutation shuffles.
_JITTER_OPS = (
    ("brightness_factor", CF.adjust_brightness),
    ("contrast_factor", CF.adjust_contrast),
    ("saturation_factor", CF.adjust_saturation),
    ("hue_factor", CF.adjust_hue),
)


def _uniform(bounds: Sequence[float]) -> float:
    """One draw from ``U(low, high)``, consuming the generator as torchvision does."""
    return float(torch.empty(1).uniform_(bounds[0], bounds[1]).item())


def _apply_jitter(transform: Transform, inpt: Any, op_index: int, params: dict[str, Any]) -> Any:
    """``inpt`` through ColorJitter's operation ``op_index``, if its factor was drawn."""
    name, functional = _JITTER_OPS[op_index]
    factor = params[name]
    return inpt if factor is None else transform._call_kernel(functional, inpt, factor)


class Grayscale(Transform):
    """Convert images and videos to grayscale on ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.rgb_to_grayscale, inpt, self.num_output_channels)


class RandomGrayscale(RandomApplyTransform):
    """With probability ``p``, convert images and videos to grayscale, keeping their number of
    channels."""

    def __init__(self, p: float = 0.1) -> None:
        super().__init__(p=p)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {"num_input_channels": query_chw(flat_inputs)[0]}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.rgb_to_grayscale, inpt, params["num_input_channels"])


def _jitter_range(
    value: float | Sequence[float] | None,
    name: str,
    center: float = 1.0,
    bound: Range = (0.0, float("inf")),
    clip_first_on_zero: bool = True,
) -> Range | None:
    """ColorJitter's ``[center - value, center + value]`` (floored at 0 with
    ``clip_first_on_zero``) or the ``(min, max)`` given; None where it changes nothing."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        low, high = center - value, center + value
        if clip_first_on_zero:
            low = max(low, 0.0)
    elif isinstance(value, Sequence) and len(value) == 2:
        low, high = (float(v) for v in value)
    else:
        raise TypeError(f"{name}={value} should be a single number or a sequence with length 2.")
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(
            f"{name} values should be between {bound} and increasing, but got {[low, high]}."
        )
    return None if low == high == center else (float(low), float(high))


class ColorJitter(Transform):
    """Change brightness, contrast, saturation and hue by random factors, in a random order.

    Args:
        brightness, contrast, saturation: ``v`` for factors from ``[max(0, 1 - v), 1 + v]``,
            or ``(min, max)``; non-negative. None (or a range of 1 alone) leaves it alone.
        hue: ``v`` for factors from ``[-v, v]`` (``0 <= v <= 0.5``) or ``(min, max)`` within
            ``[-0.5, 0.5]``.
    """

    def __init__(
        self,
        brightness: float | Sequence[float] | None = None,
        contrast: float | Sequence[float] | None = None,
        saturation: float | Sequence[float] | None = None,
        hue: float | Sequence[float] | None = None,
    ) -> None:
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", 0.0, (-0.5, 0.5), clip_first_on_zero=False)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"fn_idx": torch.randperm(4)}
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        for (name, _), bounds in zip(_JITTER_OPS, ranges, strict=True):
            params[name] = None if bounds is None else _uniform(bounds)
        return params

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        for op_index in params["fn_idx"].tolist():
            inpt = _apply_jitter(self, inpt, op_index, params)
        return inpt


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortion: each of brightness, contrast, saturation and hue changed
    with probability ``p`` by a factor from its ``(min, max)`` range (contrast before or after
    the others, at even odds), then, with probability ``p``, the channels shuffled."""

    def __init__(
        self,
        brightness: Range = (0.875, 1.125),
        contrast: Range = (0.5, 1.5),
        saturation: Range = (0.5, 1.5),
        hue: Range = (-0.05, 0.05),
        p: float = 0.5,
    ) -> None:
        self.brightness, self.contrast, self.saturation, self.hue = (
            brightness,
            contrast,
            saturation,
            hue,
        )
        self.p = p

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        num_channels = query_chw(flat_inputs)[0]
        ranges = (self.brightness, self.contrast, self.saturation, self.hue)
        params: dict[str, Any] = {}
        for (name, _), bounds in zip(_JITTER_OPS, ranges, strict=True):
            params[name] = _uniform(bounds) if torch.rand(1) < self.p else None
        params["contrast_before"] = bool(torch.rand(()) < 0.5)
        shuffle = torch.rand(1) < self.p
        params["channel_permutation"] = torch.randperm(num_channels) if shuffle else None
        return params

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        brightness, contrast, saturation, hue = range(4)
        order = [brightness, contrast, saturation, hue]
        if not params["contrast_before"]:
            order = [brightness, saturation, hue, contrast]
        for op_index in order:
            inpt = _apply_jitter(self, inpt, op_index, params)
        if params["channel_permutation"] is not None:
            inpt = self._call_kernel(CF.permute_channels, inpt, params["channel_permutation"])
        return inpt


class RandomChannelPermutation(Transform):
    """Shuffle the channels of images and videos (one permutation per call)."""

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {"permutation": torch.randperm(query_chw(flat_inputs)[0])}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.permute_channels, inpt, params["permutation"])


class _RandomColorOp(RandomApplyTransform):
    """One colour functional applied with probability ``p``, with the keyword arguments of
    ``_op_kwargs``."""

    _op: ClassVar[Callable[..., Any]]

    def _op_kwargs(self) -> dict[str, Any]:
        return {}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(type(self)._op, inpt, **self._op_kwargs())


class RandomEqualize(_RandomColorOp):
    """Equalize the histogram of images and videos with probability ``p``."""

    _op = staticmethod(CF.equalize)


class RandomInvert(_RandomColorOp):
    """Invert the colours of images and videos with probability ``p``."""

    _op = staticmethod(CF.invert)


class RandomAutocontrast(_RandomColorOp):
    """Stretch the contrast of images and videos to the full range with probability ``p``."""

    _op = staticmethod(CF.autocontrast)


class RandomPosterize(_RandomColorOp):
    """Keep the ``bits`` (0 to 8) most significant bits of images and videos with probability
    ``p``."""

    _op = staticmethod(CF.posterize)

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.bits = bits

    def _op_kwargs(self) -> dict[str, Any]:
        return {"bits": self.bits}


class RandomSolarize(_RandomColorOp):
    """Invert the values at or above ``threshold`` with probability ``p``."""

    _op = staticmethod(CF.solarize)

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.threshold = threshold

    def _op_kwargs(self) -> dict[str, Any]:
        return {"threshold": self.threshold}


class RandomAdjustSharpness(_RandomColorOp):
    """Adjust sharpness by ``sharpness_factor`` (0 blurred, 1 the original, 2 twice as sharp)
    with probability ``p``."""

    _op = staticmethod(CF.adjust_sharpness)

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.sharpness_factor = sharpness_factor

    def _op_kwargs(self) -> dict[str, Any]:
        return {"sharpness_factor": self.sharpness_factor}


def _kernel_size_pair(kernel_size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(kernel_size, numbers.Number):
        return int(kernel_size), int(kernel_size)
    if isinstance(kernel_size, Sequence) and len(kernel_size) == 1:
        return kernel_size[0], kernel_size[0]
    if len(kernel_size) != 2:
        raise ValueError("Kernel size should be a tuple/list of two integers")
    return kernel_size[0], kernel_size[1]


def _sigma_range(sigma: float | Sequence[float]) -> list[float]:
    if not isinstance(sigma, (int, float, Sequence)):
        raise TypeError(f"sigma should be a number or a sequence of numbers. Got {type(sigma)}")
    values = [sigma] if isinstance(sigma, (int, float)) else list(sigma)
    if len(values) not in (1, 2):
        raise ValueError(f"If sigma is a sequence its length should be 1 or 2. Got {len(values)}")
    if not all(isinstance(v, (int, float)) for v in values):
        raise ValueError(f"sigma should be a sequence of numbers. Got {type(sigma)}")
    return [float(values[0]), float(values[-1])]


class GaussianBlur(Transform):
    """Blur images and videos with a Gaussian of ``kernel_size`` (odd; an int for both axes)
    and a standard deviation drawn from ``sigma`` (``(min, max)``, or a fixed number), the same
    on both axes; borders reflect."""

    def __init__(
        self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0)
    ) -> None:
        self.kernel_size = _kernel_size_pair(kernel_size)
        if any(k <= 0 or k % 2 == 0 for k in self.kernel_size):
            raise ValueError("Kernel size value should be an odd and positive number.")
        self.sigma = _sigma_range(sigma)
        if not 0.0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError(
                f"sigma values should be positive and of the form (min, max). Got {self.sigma}"
            )

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        sigma = _uniform(self.sigma)
        return {"sigma": [sigma, sigma]}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.gaussian_blur, inpt, self.kernel_size, params["sigma"])


class GaussianNoise(Transform):
    """Add Gaussian noise ``N(mean, sigma)`` (on the ``[0, 1]`` scale) to float and uint8
    images and videos, fresh for every input, clipped to the value range with ``clip``."""

    def __init__(self, mean: float = 0.0, sigma: float = 0.1, clip: bool = True) -> None:
        self.mean, self.sigma, self.clip = mean, sigma, clip

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.gaussian_noise, inpt, self.mean, self.sigma, self.clip)


class Normalize(Transform):
    """``(x - mean) / std`` per channel of float images and videos (no PIL images)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = list(mean), list(std), inplace

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if any(isinstance(inpt, PIL.Image.Image) for inpt in flat_inputs):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.normalize, inpt, self.mean, self.std, self.inplace)
