"""Image transforms as callables, for classification pipelines: ``transform(img) -> img``.

Each class is a thin wrapper over :mod:`vdata.transforms.functional`. Random parameters are
drawn from torch's global generator (``torch.rand``, ``torch.randint``), so ``torch.manual_seed``
reproduces them, and each DataLoader worker gets its own stream. The draws follow torchvision's
order, so a seeded pipeline picks the same crops, flips and factors as torchvision's; as in
torchvision, :class:`RandomOrder` and :class:`RandomChoice` draw from Python's ``random``.

The geometric classes live in ``_geometry_transforms``, the colour ones in ``_color_transforms``;
this module holds the containers, the conversions and the tensor-only transforms, and is where
all of them are imported from.
"""

import math
import numbers
import random
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from . import functional as F
from ._arguments import check_probability, happens, randint, uniform
from ._base import Transform, compose_repr
from ._color_transforms import (
    ColorJitter,
    GaussianBlur,
    Grayscale,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomEqualize,
    RandomGrayscale,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
)
from ._geometry_transforms import (
    CenterCrop,
    ElasticTransform,
    FiveCrop,
    Pad,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomPerspective,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
    TenCrop,
)

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "ElasticTransform",
    "FiveCrop",
    "GaussianBlur",
    "Grayscale",
    "Lambda",
    "LinearTransformation",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAdjustSharpness",
    "RandomAffine",
    "RandomApply",
    "RandomAutocontrast",
    "RandomChoice",
    "RandomCrop",
    "RandomEqualize",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomOrder",
    "RandomPerspective",
    "RandomPosterize",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomSolarize",
    "RandomVerticalFlip",
    "Resize",
    "TenCrop",
    "ToPILImage",
    "ToTensor",
]


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


class RandomApply(Transform):
    """Apply all of ``transforms``, in order, with probability ``p`` (one ``torch.rand``)."""

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        self.transforms, self.p = transforms, check_probability(p)

    def __call__(self, img):
        if self.p < torch.rand(1):  # applies when the draw is at most p, as in torchvision
            return img
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        return compose_repr(self, [f"p={self.p}", *self.transforms])


def _check_transforms(transforms: Sequence[Callable]) -> Sequence[Callable]:
    if not isinstance(transforms, Sequence):
        raise TypeError(f"transforms must be a sequence, got {type(transforms).__name__}")
    return transforms


class RandomOrder(Transform):
    """Apply ``transforms`` in a random order, shuffled by Python's ``random``."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = _check_transforms(transforms)

    def __call__(self, img):
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for index in order:
            img = self.transforms[index](img)
        return img

    def __repr__(self) -> str:
        return compose_repr(self, self.transforms)


class RandomChoice(Transform):
    """Apply one of ``transforms``, picked by Python's ``random`` with weights ``p`` (default
    equal); every argument is passed on."""

    def __init__(self, transforms: Sequence[Callable], p: Sequence[float] | None = None) -> None:
        self.transforms = _check_transforms(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError(f"p must be a sequence of weights, got {type(p).__name__}")
        if p is not None and len(p) != len(transforms):
            raise ValueError(f"p must hold one weight per transform ({len(transforms)}), got {p}")
        self.p = p

    def __call__(self, *args):
        return random.choices(self.transforms, weights=self.p)[0](*args)


class ToTensor(Transform):
    """PIL image or ``ndarray[H, W, C]`` to ``Tensor[C, H, W]``, 8-bit data scaled to float
    ``[0, 1]``; see :func:`~vdata.transforms.functional.to_tensor`."""

    def __call__(self, pic: Image.Image | np.ndarray) -> Tensor:
        return F.to_tensor(pic)


class PILToTensor(Transform):
    """PIL image to ``Tensor[C, H, W]`` of its own dtype, values unchanged."""

    def __call__(self, pic: Image.Image) -> Tensor:
        return F.pil_to_tensor(pic)


class ToPILImage(Transform):
    """``Tensor[C, H, W]`` or ``ndarray[H, W, C]`` to a PIL image of ``mode`` (inferred when
    ``None``); see :func:`~vdata.transforms.functional.to_pil_image`."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Tensor | np.ndarray) -> Image.Image:
        return F.to_pil_image(pic, self.mode)


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


class LinearTransformation(Transform):
    """Flatten each ``Tensor[C, H, W]`` of a batch to ``D = C H W`` values, subtract
    ``mean_vector`` and multiply by ``transformation_matrix`` (e.g. ZCA whitening).

    Args:
        transformation_matrix: ``Tensor[D, D]``.
        mean_vector: ``Tensor[D]``, of the matrix's dtype and device.
    """

    def __init__(self, transformation_matrix: Tensor, mean_vector: Tensor) -> None:
        check_linear_transformation(transformation_matrix, mean_vector)
        self.transformation_matrix, self.mean_vector = transformation_matrix, mean_vector

    def __call__(self, tensor: Tensor) -> Tensor:
        return linear_transformation(tensor, self.transformation_matrix, self.mean_vector)


def check_linear_transformation(transformation_matrix: Tensor, mean_vector: Tensor) -> None:
    """ValueError unless the matrix is square ``[D, D]`` and the mean ``[D]``, of one dtype
    and device."""
    shape = tuple(transformation_matrix.shape)
    if transformation_matrix.dim() != 2 or shape[0] != shape[1]:
        raise ValueError(f"transformation_matrix must be square, got shape {shape}")
    if mean_vector.shape != (shape[0],):
        raise ValueError(
            f"mean_vector must be Tensor[{shape[0]}], got Tensor{list(mean_vector.shape)}"
        )
    if transformation_matrix.device != mean_vector.device:
        raise ValueError(
            "transformation_matrix and mean_vector must be on one device, got "
            f"{transformation_matrix.device} and {mean_vector.device}"
        )
    if transformation_matrix.dtype != mean_vector.dtype:
        raise ValueError(
            "transformation_matrix and mean_vector must have one dtype, got "
            f"{transformation_matrix.dtype} and {mean_vector.dtype}"
        )


def linear_transformation(
    tensor: Tensor, transformation_matrix: Tensor, mean_vector: Tensor
) -> Tensor:
    """Each ``[C, H, W]`` of ``tensor`` flattened, centred on ``mean_vector`` and multiplied
    by ``transformation_matrix``; ValueError when the sizes or devices do not fit."""
    size = math.prod(tensor.shape[-3:])
    if size != transformation_matrix.size(0):
        raise ValueError(
            f"tensor of shape {list(tensor.shape)} has {size} values per image, the "
            f"transformation_matrix {transformation_matrix.size(0)}"
        )
    if tensor.device.type != mean_vector.device.type:
        raise ValueError(
            f"tensor is on {tensor.device}, the transformation on {mean_vector.device}"
        )
    flat = tensor.reshape(-1, size) - mean_vector
    return (flat @ transformation_matrix.to(flat.dtype)).reshape(tensor.shape)


class RandomErasing(Transform):
    """With probability ``p``, erase a random rectangle of a tensor image (Zhong et al., 2017,
    "Random Erasing Data Augmentation").

    Args:
        p: probability of erasing.
        scale: range of the rectangle's area, as a fraction of the image's.
        ratio: range of its aspect ratio (height / width), drawn log-uniformly.
        value: the erasing value: a number, one per channel, or ``"random"`` for standard
            normal noise per pixel.
        inplace: erase in ``img`` itself.
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: float | Sequence[float] | str = 0,
        inplace: bool = False,
    ) -> None:
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError(f"value must be a number, a sequence or 'random', got {value!r}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"value must be 'random' when a str, got {value!r}")
        for name, given in (("scale", scale), ("ratio", ratio)):
            if not isinstance(given, Sequence):
                raise TypeError(f"{name} must be a sequence (min, max), got {given!r}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("scale and ratio should be of kind (min, max)", UserWarning, stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"scale must lie in [0, 1], got {scale}")
        self.p, self.scale, self.ratio = check_probability(p), scale, ratio
        self.value, self.inplace = value, inplace

    @staticmethod
    def get_params(
        img: Tensor,
        scale: Sequence[float],
        ratio: Sequence[float],
        value: Sequence[float] | None = None,
    ) -> tuple[int, int, int, int, Tensor]:
        """``(top, left, height, width, values)`` of a random rectangle: up to 10 draws of area
        and aspect ratio, kept when the rectangle fits strictly inside; ``values`` is
        ``Tensor[C, 1, 1]`` of ``value``, or normal noise ``Tensor[C, h, w]`` when ``value`` is
        ``None``. When nothing fits, the whole image and ``img`` itself."""
        channels, height, width = img.shape[-3:]
        area = height * width
        log_ratio = torch.log(torch.tensor(ratio)).tolist()
        for _ in range(10):
            erase_area = area * uniform(scale[0], scale[1])
            aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
            erase_h = round(math.sqrt(erase_area * aspect))
            erase_w = round(math.sqrt(erase_area / aspect))
            if not (erase_h < height and erase_w < width):
                continue
            if value is None:
                values = torch.empty([channels, erase_h, erase_w], dtype=torch.float32).normal_()
            else:
                values = torch.tensor(value)[:, None, None]
            top, left = randint(0, height - erase_h + 1), randint(0, width - erase_w + 1)
            return top, left, erase_h, erase_w, values
        return 0, 0, height, width, img

    def __call__(self, img: Tensor) -> Tensor:
        if not isinstance(img, Tensor):
            raise TypeError(f"img must be a Tensor, got {type(img).__name__}")
        if not happens(self.p):
            return img
        if isinstance(self.value, str):
            value = None
        elif isinstance(self.value, numbers.Number):
            value = [float(self.value)]
        else:
            value = [float(v) for v in self.value]
        if value is not None and len(value) not in (1, img.size(-3)):
            raise ValueError(
                f"value must be one number or one per channel ({img.size(-3)}), got {self.value}"
            )
        top, left, height, width, values = self.get_params(img, self.scale, self.ratio, value)
        return F.erase(img, top, left, height, width, values, self.inplace)
