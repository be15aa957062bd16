"""Transforms in torchvision 0.29's ``transforms.v2`` API: each call moves an image, its boxes,
masks and key points together, whatever container holds them (typed by ``vdata.tv_tensors``).

All of torchvision's transforms: geometry (flips, Resize, RandomResize, RandomShortestSize,
ScaleJitter, CenterCrop, RandomCrop, RandomResizedCrop, RandomIoUCrop, RandomZoomOut, FiveCrop,
TenCrop, Pad), warps (RandomRotation, RandomAffine, RandomPerspective, ElasticTransform), colour
(ColorJitter, RandomPhotometricDistort, Grayscale, RGB, ..., GaussianBlur, GaussianNoise,
Normalize), augmentation (RandomErasing, MixUp, CutMix, JPEG, AutoAugment, RandAugment,
TrivialAugmentWide, AugMix), containers (Compose, RandomApply, RandomChoice, RandomOrder),
conversions (ToImage, PILToTensor, ToPILImage, ToDtype, ToPureTensor, and the deprecated
ToTensor and ConvertImageDtype), Identity, Lambda, LinearTransformation,
UniformTemporalSubsample, and the box and point utilities (ConvertBoundingBoxFormat,
ClampBoundingBoxes, ClampKeyPoints, SanitizeBoundingBoxes, SanitizeKeyPoints, SetClampingMode),
for axis-aligned and rotated boxes (``XYWHR``, ``CXCYWHR``, ``XYXYXYXY``) alike, but for
RandomIoUCrop, which refuses rotated ones as torchvision's does. ``functional`` has their
functionals, every per-kind kernel of torchvision's (``resize_image``,
``affine_bounding_boxes``, ``elastic_keypoints``, ...) and ``register_kernel``; ``check_type``,
``has_any``, ``has_all``, ``get_bounding_boxes``, ``get_keypoints``, ``query_size`` and
``query_chw`` help to write new transforms.
"""

from ..functional import InterpolationMode
from . import functional
from ._augment import JPEG, CutMix, MixUp, RandomErasing
from ._auto_augment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
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
from ._containers import RandomApply, RandomChoice, RandomOrder
from ._conversions import RGB, ConvertImageDtype, ToPILImage, ToTensor
from ._keypoint_meta import SanitizeKeyPoints, SetClampingMode
from ._misc import Identity, Lambda, LinearTransformation
from ._random_geometry import (
    FiveCrop,
    RandomCrop,
    RandomIoUCrop,
    RandomResize,
    RandomResizedCrop,
    RandomShortestSize,
    RandomZoomOut,
    ScaleJitter,
    TenCrop,
)
from ._temporal import UniformTemporalSubsample
from ._transform import Compose, RandomApplyTransform, Transform, query_chw, query_size
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
from ._utils import check_type, get_bounding_boxes, get_keypoints, has_all, has_any
from ._warp_transforms import ElasticTransform, RandomAffine, RandomPerspective, RandomRotation

__all__ = [
    "JPEG",
    "RGB",
    "AugMix",
    "AutoAugment",
    "AutoAugmentPolicy",
    "CenterCrop",
    "ClampBoundingBoxes",
    "ClampKeyPoints",
    "ColorJitter",
    "Compose",
    "ConvertBoundingBoxFormat",
    "ConvertImageDtype",
    "CutMix",
    "ElasticTransform",
    "FiveCrop",
    "GaussianBlur",
    "GaussianNoise",
    "Grayscale",
    "Identity",
    "InterpolationMode",
    "Lambda",
    "LinearTransformation",
    "MixUp",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandAugment",
    "RandomAdjustSharpness",
    "RandomAffine",
    "RandomApply",
    "RandomApplyTransform",
    "RandomAutocontrast",
    "RandomChannelPermutation",
    "RandomChoice",
    "RandomCrop",
    "RandomEqualize",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomIoUCrop",
    "RandomOrder",
    "RandomPerspective",
    "RandomPhotometricDistort",
    "RandomPosterize",
    "RandomResize",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomShortestSize",
    "RandomSolarize",
    "RandomVerticalFlip",
    "RandomZoomOut",
    "Resize",
    "SanitizeBoundingBoxes",
    "SanitizeKeyPoints",
    "ScaleJitter",
    "SetClampingMode",
    "TenCrop",
    "ToDtype",
    "ToImage",
    "ToPILImage",
    "ToPureTensor",
    "ToTensor",
    "Transform",
    "TrivialAugmentWide",
    "UniformTemporalSubsample",
    "check_type",
    "functional",
    "get_bounding_boxes",
    "get_keypoints",
    "has_all",
    "has_any",
    "query_chw",
    "query_size",
]
