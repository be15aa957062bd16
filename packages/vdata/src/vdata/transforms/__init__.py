"""Image transforms, and joint transforms that move boxes, masks and keypoints with the image.

The classification transforms (``transform(img) -> img``) are importable from here, as in
``torchvision.transforms``; their functional forms live in :mod:`vdata.transforms.functional`,
the joint ``(image, target)`` transforms in :mod:`vdata.transforms.joint`, and the geometry of
detection and segmentation targets in :mod:`vdata.transforms.targets`.
"""

from . import functional, joint, targets
from .classification import (
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    FiveCrop,
    Grayscale,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomAffine,
    RandomCrop,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomResizedCrop,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
    TenCrop,
    ToTensor,
)
from .joint import detection_collate

__all__ = [
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "FiveCrop",
    "Grayscale",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomCrop",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "TenCrop",
    "ToTensor",
    "detection_collate",
    "functional",
    "joint",
    "targets",
]
