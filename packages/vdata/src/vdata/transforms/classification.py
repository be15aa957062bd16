"""Image transforms as callables, for classification pipelines: ``transform(img) -> img``.

Each class is a thin wrapper over :mod:`vdata.transforms.functional`. Random parameters are
drawn from torch's global generator (``torch.rand``, ``torch.randint``), so ``torch.manual_seed``
reproduces them, and each DataLoader worker gets its own stream. The draws follow torchvision's
order, so a seeded pipeline picks the same crops, flips and factors as torchvision's.
"""

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from . import functional as F
from ._base import Transform, compose_repr
from ._image import Fill, ImageType, pair_size


def _range(value: float | Sequence[float], name: str, center: float = 0.0) -> tuple[float, float]:
    """``(center - v, center + v)`` from a non-negative number, or a given ``(min, max)``."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{name} must be non-negative when a single number, got {value}")
        return center - float(value), center + float(value)
    values = tuple(float(v) for v in value)
    if len(values) != 2 or values[0] > values[1]:
        raise ValueError(f"{name} must be a number or (min, max) with min <= max, got {value}")
    return values


def _probability(p: float) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    return float(p)


def _uniform(low: float, high: float) -> float:
    return float(torch.empty(1).uniform_(low, high).item())


class Compose(Transform):
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img):
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        return compose_repr(self, self.transforms)


class Lambda(Transform):
    """Apply a user function ``lambd(img)``."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"lambd must be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class ToTensor(Transform):
    """PIL image or ``ndarray[H, W, C]`` to ``Tensor[C, H, W]``, 8-bit data scaled to float
    ``[0, 1]``; see :func:`~vdata.transforms.functional.to_tensor`."""

    def __call__(self, pic: Image.Image | np.ndarray) -> Tensor:
        return F.to_tensor(pic)


class PILToTensor(Transform):
    """PIL image to ``Tensor[C, H, W]`` of its own dtype, values unchanged."""

    def __call__(self, pic: Image.Image) -> Tensor:
        return F.pil_to_tensor(pic)


class ConvertImageDtype(Transform):
    """Convert a tensor image to ``dtype``, rescaling its values; see
    :func:`~vdata.transforms.functional.convert_image_dtype`."""

    def __init__(self, dtype: torch.dtype = torch.float32) -> None:
        self.dtype = dtype

    def __call__(self, image: Tensor) -> Tensor:
        return F.convert_image_dtype(image, self.dtype)


class Normalize(Transform):
    """``(tensor - mean) / std`` per channel of a float ``Tensor[..., C, H, W]``."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        if len(mean) != len(std):
            raise ValueError(f"mean and std need one value per channel each, got {mean}, {std}")
        self.mean, self.std, self.inplace = tuple(mean), tuple(std), inplace

    def __call__(self, tensor: Tensor) -> Tensor:
        return F.normalize(tensor, self.mean, self.std, self.inplace)


class Resize(Transform):
    """Resize to ``size = (h, w)``, or the smaller edge to an int ``size``; see
    :func:`~vdata.transforms.functional.resize`."""

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: str = "bilinear",
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        pair_size(size, "size")
        self.size = size if isinstance(size, int) else tuple(size)
        self.interpolation, self.max_size, self.antialias = interpolation, max_size, antialias

    def __call__(self, img: ImageType) -> ImageType:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    """Crop the centre ``size = (h, w)`` (an int for a square), zero-padding smaller images."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = pair_size(size, "size")

    def __call__(self, img: ImageType) -> ImageType:
        return F.center_crop(img, self.size)


class Pad(Transform):
    """Pad the borders; see :func:`~vdata.transforms.functional.pad`."""

    def __init__(
        self, padding: int | Sequence[int], fill: Fill = 0, padding_mode: str = "constant"
    ) -> None:
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img: ImageType) -> ImageType:
        return F.pad(img, self.padding, self.fill, self.padding_mode)


class RandomCrop(Transform):
    """Crop a random ``size = (h, w)`` region.

    Args:
        size: output size; an int for a square.
        padding: pad the image first (see :func:`~vdata.transforms.functional.pad`).
        pad_if_needed: pad each side of an image smaller than ``size`` by the shortfall, so the
            crop fits.
        fill, padding_mode: how to pad.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: Fill = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = pair_size(size, "size")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img: ImageType, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """A random ``(top, left, height, width)`` of ``output_size`` inside ``img``."""
        _, height, width = F.get_dimensions(img)
        crop_h, crop_w = output_size
        if crop_h > height or crop_w > width:
            raise ValueError(f"crop size {output_size} is larger than the image {(height, width)}")
        if (crop_h, crop_w) == (height, width):
            return 0, 0, height, width
        top = int(torch.randint(0, height - crop_h + 1, size=(1,)).item())
        left = int(torch.randint(0, width - crop_w + 1, size=(1,)).item())
        return top, left, crop_h, crop_w

    def __call__(self, img: ImageType) -> ImageType:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        if self.pad_if_needed:
            _, height, width = F.get_dimensions(img)
            short_h, short_w = max(self.size[0] - height, 0), max(self.size[1] - width, 0)
            if short_h or short_w:
                img = F.pad(img, [short_w, short_h], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))


class RandomResizedCrop(Transform):
    """Crop a random region of random area and aspect ratio, and resize it to ``size``.

    Args:
        size: output ``(h, w)``; an int for a square.
        scale: range of the crop's area, as a fraction of the image's.
        ratio: range of the crop's aspect ratio (width / height), drawn log-uniformly.
        interpolation, antialias: see :func:`~vdata.transforms.functional.resize`.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: str = "bilinear",
        antialias: bool = True,
    ) -> None:
        self.size = pair_size(size, "size")
        for name, value in (("scale", scale), ("ratio", ratio)):
            if len(value) != 2 or not 0 < value[0] <= value[1]:
                raise ValueError(f"{name} must be (min, max) with 0 < min <= max, got {value}")
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = interpolation, antialias

    @staticmethod
    def get_params(
        img: ImageType, scale: Sequence[float], ratio: Sequence[float]
    ) -> tuple[int, int, int, int]:
        """A random ``(top, left, height, width)``: up to 10 draws of area and aspect ratio,
        kept when the crop fits; otherwise the largest central crop with the ratio clamped to
        ``ratio``."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        # float32 logs and exp, as torchvision computes them, so seeded draws agree exactly.
        log_ratio = torch.log(torch.tensor(ratio, dtype=torch.float32)).tolist()
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect = torch.exp(torch.empty(1).uniform_(*log_ratio)).item()
            crop_w = round(math.sqrt(target_area * aspect))
            crop_h = round(math.sqrt(target_area / aspect))
            if 0 < crop_w <= width and 0 < crop_h <= height:
                top = int(torch.randint(0, height - crop_h + 1, size=(1,)).item())
                left = int(torch.randint(0, width - crop_w + 1, size=(1,)).item())
                return top, left, crop_h, crop_w
        image_ratio = width / height
        crop_h, crop_w = height, width
        if image_ratio < min(ratio):
            crop_h = round(width / min(ratio))
        elif image_ratio > max(ratio):
            crop_w = round(height * max(ratio))
        return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w

    def __call__(self, img: ImageType) -> ImageType:
        top, left, height, width = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(
            img, top, left, height, width, self.size, self.interpolation, self.antialias
        )


class RandomHorizontalFlip(Transform):
    """Mirror left to right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = _probability(p)

    def __call__(self, img: ImageType) -> ImageType:
        return F.hflip(img) if torch.rand(1).item() < self.p else img


class RandomVerticalFlip(Transform):
    """Mirror top to bottom with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = _probability(p)

    def __call__(self, img: ImageType) -> ImageType:
        return F.vflip(img) if torch.rand(1).item() < self.p else img


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
        self.brightness = self._factor_range(brightness, "brightness")
        self.contrast = self._factor_range(contrast, "contrast")
        self.saturation = self._factor_range(saturation, "saturation")
        hue_range = _range(hue, "hue")
        if not -0.5 <= hue_range[0] <= hue_range[1] <= 0.5:
            raise ValueError(f"hue must lie in [-0.5, 0.5], got {hue}")
        self.hue = None if hue_range == (0.0, 0.0) else hue_range

    @staticmethod
    def _factor_range(value: float | Sequence[float], name: str) -> tuple[float, float] | None:
        low, high = _range(value, name, center=1.0)
        if isinstance(value, numbers.Number):
            low = max(low, 0.0)
        if low < 0:
            raise ValueError(f"{name} factors must be non-negative, got {value}")
        return None if (low, high) == (1.0, 1.0) else (low, high)

    @staticmethod
    def get_params(
        brightness: tuple[float, float] | None,
        contrast: tuple[float, float] | None,
        saturation: tuple[float, float] | None,
        hue: tuple[float, float] | None,
    ) -> tuple[list[int], list[float | None]]:
        """A random order of the four adjustments and a factor for each enabled one."""
        order = torch.randperm(4).tolist()
        ranges = (brightness, contrast, saturation, hue)
        return order, [None if r is None else _uniform(*r) for r in ranges]

    def __call__(self, img: ImageType) -> ImageType:
        order, factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        adjust = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for index in order:
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
        self.p = _probability(p)

    def __call__(self, img: ImageType) -> ImageType:
        channels = F.get_dimensions(img)[0]
        return F.rgb_to_grayscale(img, channels) if torch.rand(1).item() < self.p else img


class RandomRotation(Transform):
    """Rotate by a random angle: ``degrees`` is ``d`` for ``[-d, d]`` or a ``(min, max)`` range,
    counter-clockwise. Other arguments as in :func:`~vdata.transforms.functional.rotate`."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: str = "nearest",
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Fill = 0,
    ) -> None:
        self.degrees = _range(degrees, "degrees")
        self.interpolation, self.expand, self.center, self.fill = (
            interpolation,
            expand,
            center,
            fill,
        )

    def __call__(self, img: ImageType) -> ImageType:
        angle = _uniform(*self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)


class RandomAffine(Transform):
    """A random affine warp that keeps the centre in place.

    Args:
        degrees: rotation range, ``d`` for ``[-d, d]`` or ``(min, max)``, clockwise.
        translate: ``(a, b)``: shifts drawn from ``[-a W, a W]`` and ``[-b H, b H]``, rounded.
        scale: ``(min, max)`` scale range.
        shear: ``s`` for x shears in ``[-s, s]``, ``(min, max)`` for x, or
            ``(x min, x max, y min, y max)``; degrees.
        interpolation, fill, center: see :func:`~vdata.transforms.functional.affine`.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: str = "nearest",
        fill: Fill = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        self.degrees = _range(degrees, "degrees")
        if translate is not None and (
            len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate)
        ):
            raise ValueError(f"translate must be two fractions in [0, 1], got {translate}")
        if scale is not None and (len(scale) != 2 or not 0 < scale[0] <= scale[1]):
            raise ValueError(f"scale must be (min, max) with 0 < min <= max, got {scale}")
        if shear is not None and not isinstance(shear, numbers.Number) and len(shear) == 4:
            self.shear = _range(shear[:2], "shear") + _range(shear[2:], "shear")
        else:
            self.shear = None if shear is None else _range(shear, "shear")
        self.translate = None if translate is None else tuple(translate)
        self.scale = None if scale is None else tuple(scale)
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(
        degrees: Sequence[float],
        translate: Sequence[float] | None,
        scale_range: Sequence[float] | None,
        shears: Sequence[float] | None,
        img_size: tuple[int, int],
    ) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """A random ``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of
        ``img_size = (width, height)``."""
        angle = _uniform(*degrees)
        shift = (0, 0)
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            shift = (round(_uniform(-max_dx, max_dx)), round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_range is None else _uniform(*scale_range)
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, shift, scale, (shear_x, shear_y)

    def __call__(self, img: ImageType) -> ImageType:
        _, height, width = F.get_dimensions(img)
        params = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, (width, height)
        )
        return F.affine(img, *params, self.interpolation, self.fill, self.center)


class FiveCrop(Transform):
    """The four corner crops and the centre crop of ``size``, as a tuple of five images."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = pair_size(size, "size")

    def __call__(self, img: ImageType) -> tuple[ImageType, ...]:
        return F.five_crop(img, self.size)


class TenCrop(Transform):
    """:class:`FiveCrop` of the image and of its mirror image (top-bottom with
    ``vertical_flip``), as a tuple of ten images."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        self.size, self.vertical_flip = pair_size(size, "size"), vertical_flip

    def __call__(self, img: ImageType) -> tuple[ImageType, ...]:
        return F.ten_crop(img, self.size, self.vertical_flip)
