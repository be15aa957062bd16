"""Published ImageNet checkpoints of the Vision Transformers (from scratch and SWAG-pretrained),
with the evaluation transforms each was measured with (bicubic)."""

from functools import partial
from typing import Any

from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..presets import ImageClassification, InterpolationMode


def _bicubic(size: int) -> partial:
    return partial(
        ImageClassification,
        crop_size=size,
        resize_size=size,
        interpolation=InterpolationMode.BICUBIC,
    )


_COMMON_META: dict[str, Any] = {"categories": IMAGENET_CATEGORIES}
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_SWAG_E2E_META = {
    **_COMMON_META,
    "recipe": "https://github.com/facebookresearch/SWAG",
    "license": _SWAG_LICENSE,
    "_docs": "SWAG weakly supervised pre-training, then the whole network fine-tuned on ImageNet.",
}
_SWAG_LINEAR_META = {
    **_COMMON_META,
    "recipe": "https://github.com/pytorch/vision/pull/5793",
    "license": _SWAG_LICENSE,
    "min_size": (224, 224),
    "_docs": "The frozen SWAG pre-trained trunk with only a linear classifier trained on ImageNet.",
}
_FROM_SCRATCH_DOCS = "Trained on ImageNet from scratch with a DeiT-like recipe (see recipe)."


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_16-c867db91.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 86567656,
            "min_size": (224, 224),
            "recipe": _RECIPE + "vit_b_16",
            "_metrics": {"ImageNet-1K": {"acc@1": 81.072, "acc@5": 95.318}},
            "_ops": 17.564,
            "_file_size": 330.285,
            "_docs": _FROM_SCRATCH_DOCS,
        },
    )
    IMAGENET1K_SWAG_E2E_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_16_swag-9ac1b537.pth",
        transforms=_bicubic(384),
        meta={
            **_SWAG_E2E_META,
            "num_params": 86859496,
            "min_size": (384, 384),
            "_metrics": {"ImageNet-1K": {"acc@1": 85.304, "acc@5": 97.65}},
            "_ops": 55.484,
            "_file_size": 331.398,
        },
    )
    IMAGENET1K_SWAG_LINEAR_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_16_lc_swag-4e70ced5.pth",
        transforms=_bicubic(224),
        meta={
            **_SWAG_LINEAR_META,
            "num_params": 86567656,
            "_metrics": {"ImageNet-1K": {"acc@1": 81.886, "acc@5": 96.18}},
            "_ops": 17.564,
            "_file_size": 330.285,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_b_32-d86f8d99.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 88224232,
            "min_size": (224, 224),
            "recipe": _RECIPE + "vit_b_32",
            "_metrics": {"ImageNet-1K": {"acc@1": 75.912, "acc@5": 92.466}},
            "_ops": 4.409,
            "_file_size": 336.604,
            "_docs": _FROM_SCRATCH_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_16-852ce7e3.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=242),
        meta={
            **_COMMON_META,
            "num_params": 304326632,
            "min_size": (224, 224),
            "recipe": _RECIPE + "vit_l_16",
            "_metrics": {"ImageNet-1K": {"acc@1": 79.662, "acc@5": 94.638}},
            "_ops": 61.555,
            "_file_size": 1161.023,
            "_docs": "Trained on ImageNet from scratch with a variant of torchvision's new recipe.",
        },
    )
    IMAGENET1K_SWAG_E2E_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_16_swag-4f3808c9.pth",
        transforms=_bicubic(512),
        meta={
            **_SWAG_E2E_META,
            "num_params": 305174504,
            "min_size": (512, 512),
            "_metrics": {"ImageNet-1K": {"acc@1": 88.064, "acc@5": 98.512}},
            "_ops": 361.986,
            "_file_size": 1164.258,
        },
    )
    IMAGENET1K_SWAG_LINEAR_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_16_lc_swag-4d563306.pth",
        transforms=_bicubic(224),
        meta={
            **_SWAG_LINEAR_META,
            "num_params": 304326632,
            "_metrics": {"ImageNet-1K": {"acc@1": 85.146, "acc@5": 97.422}},
            "_ops": 61.555,
            "_file_size": 1161.023,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vit_l_32-c7638314.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 306535400,
            "min_size": (224, 224),
            "recipe": _RECIPE + "vit_l_32",
            "_metrics": {"ImageNet-1K": {"acc@1": 76.972, "acc@5": 93.07}},
            "_ops": 15.378,
            "_file_size": 1169.449,
            "_docs": _FROM_SCRATCH_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = Weights(
        url="https://download.pytorch.org/models/vit_h_14_swag-80465313.pth",
        transforms=_bicubic(518),
        meta={
            **_SWAG_E2E_META,
            "num_params": 633470440,
            "min_size": (518, 518),
            "_metrics": {"ImageNet-1K": {"acc@1": 88.552, "acc@5": 98.694}},
            "_ops": 1016.717,
            "_file_size": 2416.643,
        },
    )
    IMAGENET1K_SWAG_LINEAR_V1 = Weights(
        url="https://download.pytorch.org/models/vit_h_14_lc_swag-c1eb923e.pth",
        transforms=_bicubic(224),
        meta={
            **_SWAG_LINEAR_META,
            "num_params": 632045800,
            "_metrics": {"ImageNet-1K": {"acc@1": 85.708, "acc@5": 97.73}},
            "_ops": 167.295,
            "_file_size": 2411.209,
        },
    )
    DEFAULT = IMAGENET1K_SWAG_E2E_V1
