"""The colour and filter transform classes: jitter, grayscale, blur, and the random point
operations (invert, posterize, solarize, sharpness, autocontrast, equalize)."""

import numbers
from collections.abc import Sequence

import torch
from torch import Tensor

from . import functional as F
from ._arguments import check_probability, happens, uniform
from ._base import Transform
from ._image import ImageType, pair_size


class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each argument is a non-negative number ``v`` (factors drawn from ``[max(0, 1 - v), 1 + v]``,
    hue shifts from ``[-v, v]``) or a ``(min, max)`` range; 0 leaves that property alone. Hue
    ranges must lie in ``[-0.5, 0.5]``.
    """

    def __init__(
        self,
        brightness: float | Sequence[float] = 0,
        contrast: float | Sequence[float] = 0,
        saturation: float | Sequence[float] = 0,
        hue: float | Sequence[float] = 0,
    ) -> None:
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0.0, bound=(-0.5, 0.5))

    @staticmethod
    def _check_input(
        value: float | Sequence[float],
        name: str,
        center: float = 1.0,
        bound: tuple[float, float] = (0.0, float("inf")),
    ) -> tuple[float, float] | None:
        """``(min, max)``, or ``None`` for the range that changes nothing."""
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"{name} must be non-negative when a single number, got {value}")
            low, high = center - float(value), center + float(value)
            if center == 1.0:
                low = max(low, 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            low, high = float(value[0]), float(value[1])
        else:
            raise TypeError(f"{name} must be a number or a (min, max) pair, got {value!r}")
        if not bound[0] <= low <= high <= bound[1]:
            raise ValueError(f"{name} must be a range (min, max) inside {bound}, got {value}")
        return None if low == high == center else (low, high)

    @staticmethod
    def get_params(
        brightness: Sequence[float] | None,
        contrast: Sequence[float] | None,
        saturation: Sequence[float] | None,
        hue: Sequence[float] | None,
    ) -> tuple[Tensor, float | None, float | None, float | None, float | None]:
        """``(order, brightness, contrast, saturation, hue)``: a random permutation
        ``Tensor[4]`` of the adjustments (0 to 3 in the argument order) and a factor for each
        enabled one (``None`` for the others)."""
        order = torch.randperm(4)
        ranges = (brightness, contrast, saturation, hue)
        factors = [None if r is None else uniform(r[0], r[1]) for r in ranges]
        return order, *factors

    def __call__(self, img: ImageType) -> ImageType:
        order, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for index in order.tolist():
            if factors[index] is not None:
                img = adjust[index](img, factors[index])
        return img


class Grayscale(Transform):
    """Convert RGB to grayscale on ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        if num_output_channels not in (1, 3):
            raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img: ImageType) -> ImageType:
        return F.rgb_to_grayscale(img, self.num_output_channels)


class RandomGrayscale(Transform):
    """Convert to grayscale with probability ``p``, keeping the number of channels."""

    def __init__(self, p: float = 0.1) -> None:
        self.p = check_probability(p)

    def __call__(self, img: ImageType) -> ImageType:
        channels = F.get_image_num_channels(img)
        return F.rgb_to_grayscale(img, channels) if happens(self.p) else img


class GaussianBlur(Transform):
    """Blur with a Gaussian kernel of ``kernel_size`` whose sigma is drawn uniformly from
    ``sigma = (min, max)`` (a number for a fixed sigma); see
    :func:`~vdata.transforms.functional.gaussian_blur`."""

    def __init__(
        self, kernel_size: int | Sequence[int], sigma: float | Sequence[float] = (0.1, 2.0)
    ) -> None:
        self.kernel_size = pair_size(kernel_size, "kernel_size")
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"kernel_size must hold odd positive ints, got {kernel_size}")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError(f"sigma must be positive when a single number, got {sigma}")
            sigma = (sigma, sigma)
        elif not (isinstance(sigma, Sequence) and len(sigma) == 2 and 0 < sigma[0] <= sigma[1]):
            raise ValueError(f"sigma must be a positive number or (min, max), got {sigma}")
        self.sigma = tuple(sigma)

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A random sigma in ``[sigma_min, sigma_max]``."""
        return uniform(sigma_min, sigma_max)

    def __call__(self, img: ImageType) -> ImageType:
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])


class _RandomPointOp(Transform):
    """Apply ``self._apply(img)`` with probability ``p``."""

    def __call__(self, img: ImageType) -> ImageType:
        return self._apply(img) if happens(self.p) else img


class RandomInvert(_RandomPointOp):
    """:func:`~vdata.transforms.functional.invert` with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability(p)

    def _apply(self, img: ImageType) -> ImageType:
        return F.invert(img)


class RandomPosterize(_RandomPointOp):
    """:func:`~vdata.transforms.functional.posterize` to ``bits`` with probability ``p``."""

    def __init__(self, bits: int, p: float = 0.5) -> None:
        if not 0 <= bits <= 8:
            raise ValueError(f"bits must be in [0, 8], got {bits}")
        self.bits, self.p = bits, check_probability(p)

    def _apply(self, img: ImageType) -> ImageType:
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomPointOp):
    """:func:`~vdata.transforms.functional.solarize` at ``threshold`` with probability ``p``."""

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        self.threshold, self.p = threshold, check_probability(p)

    def _apply(self, img: ImageType) -> ImageType:
        return F.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomPointOp):
    """:func:`~vdata.transforms.functional.adjust_sharpness` by ``sharpness_factor`` with
    probability ``p``."""

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        if sharpness_factor < 0:
            raise ValueError(f"sharpness_factor must be non-negative, got {sharpness_factor}")
        self.sharpness_factor, self.p = sharpness_factor, check_probability(p)

    def _apply(self, img: ImageType) -> ImageType:
        return F.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(_RandomPointOp):
    """:func:`~vdata.transforms.functional.autocontrast` with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability(p)

    def _apply(self, img: ImageType) -> ImageType:
        return F.autocontrast(img)


class RandomEqualize(_RandomPointOp):
    """:func:`~vdata.transforms.functional.equalize` with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability(p)

    def _apply(self, img: ImageType) -> ImageType:
        return F.equalize(img)
