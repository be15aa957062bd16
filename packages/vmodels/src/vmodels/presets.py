"""The evaluation transforms published weights expect (``weights.transforms()``), with the
arguments and numerics of torchvision's presets: a PIL image is resized and cropped by PIL, a
tensor (``Tensor[..., C, H, W]``, uint8 or float) on its own device, then both become
normalised float tensors.
"""

from collections.abc import Sequence

import torch
from PIL import Image
from torch import Tensor, nn

from vdata.transforms import functional as F
from vdata.transforms.functional import InterpolationMode

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

ImageInput = Tensor | Image.Image


def _as_float_tensor(img: ImageInput) -> Tensor:
    if not isinstance(img, Tensor):
        img = F.pil_to_tensor(img)
    return F.convert_image_dtype(img, torch.float)


class ImageClassification(nn.Module):
    """Resize the smaller side to ``resize_size``, crop the centre ``crop_size`` square, scale to
    ``[0, 1]`` and normalise with ``mean`` / ``std``.

    Shape:
        input a PIL image or ``Tensor[..., 3, H, W]``; output float
        ``Tensor[..., 3, crop_size, crop_size]``.
    """

    def __init__(
        self,
        *,
        crop_size: int,
        resize_size: int = 256,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        interpolation: InterpolationMode = InterpolationMode.BILINEAR,
        antialias: bool | None = True,
    ) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img: ImageInput) -> Tensor:
        img = F.resize(img, self.resize_size, self.interpolation, antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        return F.normalize(_as_float_tensor(img), self.mean, self.std)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(crop_size={self.crop_size}, resize_size={self.resize_size}, "
            f"mean={self.mean}, std={self.std}, interpolation={self.interpolation})"
        )

    def describe(self) -> str:
        """One sentence on what the transform does to an image."""
        return (
            "PIL images or tensors [..., C, H, W] are resized to "
            f"{self.resize_size} ({self.interpolation.value}), centre-cropped to "
            f"{self.crop_size}, scaled to [0, 1] and normalised with mean={self.mean}, "
            f"std={self.std}."
        )


class SemanticSegmentation(nn.Module):
    """Resize the smaller side to ``resize_size`` (unless None), scale to ``[0, 1]`` and
    normalise with ``mean`` / ``std``.

    Shape:
        input a PIL image or ``Tensor[..., 3, H, W]``; output float ``Tensor[..., 3, H', W']``.
    """

    def __init__(
        self,
        *,
        resize_size: int | None,
        mean: Sequence[float] = IMAGENET_MEAN,
        std: Sequence[float] = IMAGENET_STD,
        interpolation: InterpolationMode = InterpolationMode.BILINEAR,
        antialias: bool | None = True,
    ) -> None:
        super().__init__()
        self.resize_size = [resize_size] if resize_size is not None else None
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img: ImageInput) -> Tensor:
        if self.resize_size is not None:
            img = F.resize(img, self.resize_size, self.interpolation, antialias=self.antialias)
        return F.normalize(_as_float_tensor(img), self.mean, self.std)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(resize_size={self.resize_size}, mean={self.mean}, "
            f"std={self.std}, interpolation={self.interpolation})"
        )

    def describe(self) -> str:
        """One sentence on what the transform does to an image."""
        resized = "" if self.resize_size is None else f"resized to {self.resize_size}, "
        return (
            f"PIL images or tensors [..., C, H, W] are {resized}scaled to [0, 1] and normalised "
            f"with mean={self.mean}, std={self.std}."
        )


class ObjectDetection(nn.Module):
    """Scale to a float tensor in ``[0, 1]``; detectors resize and normalise inside.

    Shape:
        input a PIL image or ``Tensor[..., 3, H, W]``; output float ``Tensor[..., 3, H, W]``.
    """

    def forward(self, img: ImageInput) -> Tensor:
        return _as_float_tensor(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def describe(self) -> str:
        """One sentence on what the transform does to an image."""
        return "PIL images or tensors [..., C, H, W] are scaled to float values in [0, 1]."
