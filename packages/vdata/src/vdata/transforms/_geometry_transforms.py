"""The geometric transform classes: resize, crops, padding, flips and random warps."""

import math
import numbers
import warnings
from collections.abc import Sequence

import torch
from torch import Tensor

from . import functional as F
from ._arguments import (
    angle_range,
    check_affine_ranges,
    check_center,
    check_fill,
    check_probability,
    check_sequence,
    happens,
    randint,
    uniform,
)
from ._base import Transform
from ._geometry import parse_padding
from ._image import (
    Fill,
    ImageType,
    InterpolationLike,
    InterpolationMode,
    interpolation_mode,
    pair_size,
)


class Resize(Transform):
    """Resize to ``size = (h, w)``, or the smaller edge to an int ``size`` (or ``[size]``); see
    :func:`~vdata.transforms.functional.resize`."""

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: InterpolationLike = InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        pair_size(size, "size")
        self.size = size if isinstance(size, int) else tuple(size)
        self.interpolation = interpolation_mode(interpolation)
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img: ImageType) -> ImageType:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    """Crop the centre ``size = (h, w)`` (an int for a square), zero-padding smaller images."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = pair_size(size, "size")

    def __call__(self, img: ImageType) -> ImageType:
        return F.center_crop(img, self.size)


def _check_padding_args(padding: int | Sequence[int], fill: Fill, padding_mode: str) -> None:
    parse_padding(padding)
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError(f"fill must be a number or a sequence of numbers, got {fill!r}")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(
            f"padding_mode must be one of constant, edge, reflect, symmetric, got {padding_mode!r}"
        )


class Pad(Transform):
    """Pad the borders (negative padding crops); see :func:`~vdata.transforms.functional.pad`."""

    def __init__(
        self, padding: int | Sequence[int], fill: Fill = 0, padding_mode: str = "constant"
    ) -> None:
        _check_padding_args(padding, fill, padding_mode)
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
        # checked now rather than at the first call; fill=None pads with 0, as in functional.pad
        _check_padding_args(
            0 if padding is None else padding, 0 if fill is None else fill, padding_mode
        )
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
        return randint(0, height - crop_h + 1), randint(0, width - crop_w + 1), crop_h, crop_w

    def __call__(self, img: ImageType) -> ImageType:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        if self.pad_if_needed:
            _, height, width = F.get_dimensions(img)
            short_h, short_w = max(self.size[0] - height, 0), max(self.size[1] - width, 0)
            if short_h or short_w:
                img = F.pad(img, [short_w, short_h], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))


def _check_ranges(scale: Sequence[float], ratio: Sequence[float]) -> None:
    for name, value in (("scale", scale), ("ratio", ratio)):
        if not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a sequence (min, max), got {value!r}")
        check_sequence(value, name, (2,))
    if scale[0] > scale[1] or ratio[0] > ratio[1]:
        warnings.warn("scale and ratio should be of kind (min, max)", UserWarning, stacklevel=3)
    if ratio[0] <= 0:
        raise ValueError(f"ratio must be positive, got {ratio}")


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
        interpolation: InterpolationLike = InterpolationMode.BILINEAR,
        antialias: bool = True,
    ) -> None:
        self.size = pair_size(size, "size")
        _check_ranges(scale, ratio)
        self.scale, self.ratio = tuple(scale), tuple(ratio)
        self.interpolation, self.antialias = interpolation_mode(interpolation), antialias

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
            target_area = area * uniform(scale[0], scale[1])
            aspect = torch.exp(torch.empty(1).uniform_(*log_ratio)).item()
            crop_w = round(math.sqrt(target_area * aspect))
            crop_h = round(math.sqrt(target_area / aspect))
            if 0 < crop_w <= width and 0 < crop_h <= height:
                top, left = randint(0, height - crop_h + 1), randint(0, width - crop_w + 1)
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
        self.p = check_probability(p)

    def __call__(self, img: ImageType) -> ImageType:
        return F.hflip(img) if happens(self.p) else img


class RandomVerticalFlip(Transform):
    """Mirror top to bottom with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability(p)

    def __call__(self, img: ImageType) -> ImageType:
        return F.vflip(img) if happens(self.p) else img


class RandomRotation(Transform):
    """Rotate by a random angle: ``degrees`` is ``d`` for ``[-d, d]`` or a ``[min, max]`` range,
    counter-clockwise. Other arguments as in :func:`~vdata.transforms.functional.rotate`."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: InterpolationLike = InterpolationMode.NEAREST,
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Fill = 0,
    ) -> None:
        self.degrees = angle_range(degrees, "degrees")
        self.interpolation = interpolation_mode(interpolation)
        self.expand, self.center, self.fill = expand, check_center(center), check_fill(fill)

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """A random angle in ``[degrees[0], degrees[1]]``."""
        return uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img: ImageType) -> ImageType:
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)


class RandomAffine(Transform):
    """A random affine warp that keeps the centre in place.

    Args:
        degrees: rotation range, ``d`` for ``[-d, d]`` or ``[min, max]``, clockwise.
        translate: ``(a, b)``: shifts drawn from ``[-a W, a W]`` and ``[-b H, b H]``, rounded.
        scale: ``(min, max)`` scale range.
        shear: ``s`` for x shears in ``[-s, s]``, ``[min, max]`` for x, or
            ``[x min, x max, y min, y max]``; degrees.
        interpolation, fill, center: see :func:`~vdata.transforms.functional.affine`.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: InterpolationLike = InterpolationMode.NEAREST,
        fill: Fill = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        self.degrees = angle_range(degrees, "degrees")
        self.translate, self.scale = check_affine_ranges(translate, scale)
        self.shear = None if shear is None else angle_range(shear, "shear", (2, 4))
        self.interpolation = interpolation_mode(interpolation)
        self.fill, self.center = check_fill(fill), check_center(center)

    @staticmethod
    def get_params(
        degrees: Sequence[float],
        translate: Sequence[float] | None,
        scale_ranges: Sequence[float] | None,
        shears: Sequence[float] | None,
        img_size: Sequence[int],
    ) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """A random ``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of
        ``img_size = (width, height)``."""
        angle = uniform(float(degrees[0]), float(degrees[1]))
        shift = (0, 0)
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            shift = (round(uniform(-max_dx, max_dx)), round(uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_ranges is None else uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = uniform(shears[2], shears[3])
        return angle, shift, scale, (shear_x, shear_y)

    def __call__(self, img: ImageType) -> ImageType:
        width, height = F.get_image_size(img)
        params = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height]
        )
        return F.affine(img, *params, self.interpolation, self.fill, self.center)


class RandomPerspective(Transform):
    """With probability ``p``, a random perspective warp: each corner moves inwards by up to
    ``distortion_scale`` times half the image's width and height.

    Args:
        distortion_scale: in ``[0, 1]``.
        p: probability of warping.
        interpolation, fill: see :func:`~vdata.transforms.functional.perspective`.
    """

    def __init__(
        self,
        distortion_scale: float = 0.5,
        p: float = 0.5,
        interpolation: InterpolationLike = InterpolationMode.BILINEAR,
        fill: Fill = 0,
    ) -> None:
        if not 0.0 <= distortion_scale <= 1.0:
            raise ValueError(f"distortion_scale must be in [0, 1], got {distortion_scale}")
        self.distortion_scale, self.p = distortion_scale, check_probability(p)
        self.interpolation, self.fill = interpolation_mode(interpolation), check_fill(fill)

    @staticmethod
    def get_params(
        width: int, height: int, distortion_scale: float
    ) -> tuple[list[list[int]], list[list[int]]]:
        """``(startpoints, endpoints)``: the image's corners ``[x, y]`` (top-left, top-right,
        bottom-right, bottom-left) and a random point near each, drawn x then y, corner by
        corner."""
        reach_x = int(distortion_scale * (width // 2))
        reach_y = int(distortion_scale * (height // 2))
        near_x = (0, reach_x + 1)
        far_x = (width - reach_x - 1, width)
        near_y = (0, reach_y + 1)
        far_y = (height - reach_y - 1, height)
        corners = [(near_x, near_y), (far_x, near_y), (far_x, far_y), (near_x, far_y)]
        endpoints = [[randint(*xs), randint(*ys)] for xs, ys in corners]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, endpoints

    def __call__(self, img: ImageType) -> ImageType:
        width, height = F.get_image_size(img)
        if not happens(self.p):
            return img
        startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
        return F.perspective(img, startpoints, endpoints, self.interpolation, self.fill)


def _pair_of_floats(value: float | Sequence[float], name: str) -> list[float]:
    if isinstance(value, numbers.Real):
        return [float(value)] * 2
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"{name} must be a number or a sequence of two, got {value!r}")
    if len(value) not in (1, 2):
        raise ValueError(f"{name} must be a number or a sequence of two, got {value}")
    if not all(isinstance(v, numbers.Real) for v in value):
        raise TypeError(f"{name} must hold numbers, got {value!r}")
    return [float(v) for v in value] * (3 - len(value))


class ElasticTransform(Transform):
    """Displace every pixel by smooth random offsets (Simard et al., 2003, "Best Practices for
    Convolutional Neural Networks Applied to Visual Document Analysis").

    Args:
        alpha: strength of the displacements along x and y, in pixels (one for both).
        sigma: smoothness: sigma of the Gaussian blur of the random offsets (one for both).
        interpolation, fill: see :func:`~vdata.transforms.functional.elastic_transform`.
    """

    def __init__(
        self,
        alpha: float | Sequence[float] = 50.0,
        sigma: float | Sequence[float] = 5.0,
        interpolation: InterpolationLike = InterpolationMode.BILINEAR,
        fill: Fill = 0,
    ) -> None:
        self.alpha = _pair_of_floats(alpha, "alpha")
        self.sigma = _pair_of_floats(sigma, "sigma")
        self.interpolation = interpolation_mode(interpolation)
        if isinstance(fill, numbers.Number):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill must be a number or a sequence of numbers, got {fill!r}")
        self.fill = fill

    @staticmethod
    def get_params(alpha: Sequence[float], sigma: Sequence[float], size: Sequence[int]) -> Tensor:
        """Random displacements ``Tensor[1, H, W, 2]`` for an image of ``size = [H, W]``:
        uniform noise in ``[-1, 1]`` per axis (x drawn first), blurred with a kernel of
        ``8 sigma + 1`` (made odd), scaled by ``alpha`` over the width (x) or height (y)."""
        offsets = []
        for axis in range(2):
            noise = torch.rand([1, 1, *size]) * 2 - 1
            if sigma[axis] > 0.0:
                kernel = int(8 * sigma[axis] + 1)
                kernel += 1 - kernel % 2
                noise = F.gaussian_blur(noise, [kernel, kernel], list(sigma))
            offsets.append(noise * alpha[axis] / size[1 - axis])
        return torch.cat(offsets, dim=1).permute(0, 2, 3, 1)

    def __call__(self, img: ImageType) -> ImageType:
        _, height, width = F.get_dimensions(img)
        displacement = self.get_params(self.alpha, self.sigma, [height, width])
        return F.elastic_transform(img, displacement, self.interpolation, self.fill)


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
