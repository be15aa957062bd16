"""Transforms in torchvision 0.29's ``transforms.v2`` API: each call moves an image, its boxes,
masks and key points together, whatever container holds them (typed by ``vdata.tv_tensors``).

Built so far: the flips, Resize, CenterCrop, Pad, ToImage, PILToTensor, ToDtype, ToPureTensor
and the box utilities (ConvertBoundingBoxFormat, ClampBoundingBoxes, ClampKeyPoints,
SanitizeBoundingBoxes), for axis-aligned boxes. ``functional`` has their functionals and
``register_kernel``.
"""

from . import functional
from ._color import (
    ColorJitter,
    GaussianBlur,
    GaussianNoise,
    Grayscale,
    Normalize,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomChannelPermutation,
    RandomEqualize,
    RandomGrayscale,
    RandomInvert,
    RandomPhotometricDistort,
    RandomPosterize,
    RandomSolarize,
)
from ._transform import Compose, RandomApplyTransform, Transform, query_size
from ._transforms import (
    CenterCrop,
    ClampBoundingBoxes,
    ClampKeyPoints,
    ConvertBoundingBoxFormat,
    Pad,
    PILToTensor,
    RandomHorizontalFlip,
    RandomVerticalFlip,
    Resize,
    SanitizeBoundingBoxes,
    ToDtype,
    ToImage,
    ToPureTensor,
)

__all__ = [
    "CenterCrop",
    "ClampBoundingBoxes",
    "ClampKeyPoints",
    "ColorJitter",
    "Compose",
    "ConvertBoundingBoxFormat",
    "GaussianBlur",
    "GaussianNoise",
    "Grayscale",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAdjustSharpness",
    "RandomApplyTransform",
    "RandomAutocontrast",
    "RandomChannelPermutation",
    "RandomEqualize",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomPhotometricDistort",
    "RandomPosterize",
    "RandomSolarize",
    "RandomVerticalFlip",
    "Resize",
    "SanitizeBoundingBoxes",
    "ToDtype",
    "ToImage",
    "ToPureTensor",
    "Transform",
    "functional",
    "query_size",
]
