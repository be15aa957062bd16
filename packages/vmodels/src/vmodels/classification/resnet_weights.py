"""Published ImageNet checkpoints of the ResNets, ResNeXts and Wide ResNets (V1: the original
recipe; V2: torchvision's newer one), with the evaluation transforms each was measured with."""

from functools import partial

from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..presets import ImageClassification

_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (1, 1),
}


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnet18-f37072fd.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 11689512,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 69.758, "acc@5": 89.078}},
            "_ops": 1.814,
            "_file_size": 44.661,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnet34-b627a593.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 21797672,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 73.314, "acc@5": 91.42}},
            "_ops": 3.664,
            "_file_size": 83.275,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnet50-0676ba61.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 25557032,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 76.13, "acc@5": 92.862}},
            "_ops": 4.089,
            "_file_size": 97.781,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/resnet50-11ad3fa6.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 25557032,
            "recipe": "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621",
            "_metrics": {"ImageNet-1K": {"acc@1": 80.858, "acc@5": 95.434}},
            "_ops": 4.089,
            "_file_size": 97.79,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnet101-63fe2227.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 44549160,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 77.374, "acc@5": 93.546}},
            "_ops": 7.801,
            "_file_size": 170.511,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/resnet101-cd907fc2.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 44549160,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe",
            "_metrics": {"ImageNet-1K": {"acc@1": 81.886, "acc@5": 95.78}},
            "_ops": 7.801,
            "_file_size": 170.53,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnet152-394f9c45.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 60192808,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 78.312, "acc@5": 94.046}},
            "_ops": 11.514,
            "_file_size": 230.434,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/resnet152-f82ba261.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 60192808,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe",
            "_metrics": {"ImageNet-1K": {"acc@1": 82.284, "acc@5": 96.002}},
            "_ops": 11.514,
            "_file_size": 230.474,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 25028904,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnext"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 77.618, "acc@5": 93.698}},
            "_ops": 4.23,
            "_file_size": 95.789,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/resnext50_32x4d-1a0047aa.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 25028904,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe",
            "_metrics": {"ImageNet-1K": {"acc@1": 81.198, "acc@5": 95.34}},
            "_ops": 4.23,
            "_file_size": 95.833,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnext101_32x8d-8ba56ff5.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 88791336,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#resnext"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 79.312, "acc@5": 94.526}},
            "_ops": 16.414,
            "_file_size": 339.586,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/resnext101_32x8d-110c445d.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 88791336,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres",
            "_metrics": {"ImageNet-1K": {"acc@1": 82.834, "acc@5": 96.228}},
            "_ops": 16.414,
            "_file_size": 339.673,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/resnext101_64x4d-173b62eb.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 83455272,
            "recipe": "https://github.com/pytorch/vision/pull/5935",
            "_metrics": {"ImageNet-1K": {"acc@1": 83.246, "acc@5": 96.454}},
            "_ops": 15.46,
            "_file_size": 319.318,
            "_docs": "Trained with torchvision's newer recipe (see recipe); no older checkpoint.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/wide_resnet50_2-95faca4d.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 68883240,
            "recipe": "https://github.com/pytorch/vision/pull/912#issue-445437439",
            "_metrics": {"ImageNet-1K": {"acc@1": 78.468, "acc@5": 94.086}},
            "_ops": 11.398,
            "_file_size": 131.82,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/wide_resnet50_2-9ba9bcbe.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 68883240,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres",
            "_metrics": {"ImageNet-1K": {"acc@1": 81.602, "acc@5": 95.758}},
            "_ops": 11.398,
            "_file_size": 263.124,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/wide_resnet101_2-32ee1156.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 126886696,
            "recipe": "https://github.com/pytorch/vision/pull/912#issue-445437439",
            "_metrics": {"ImageNet-1K": {"acc@1": 78.848, "acc@5": 94.284}},
            "_ops": 22.753,
            "_file_size": 242.896,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/wide_resnet101_2-d733dc28.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 126886696,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe",
            "_metrics": {"ImageNet-1K": {"acc@1": 82.51, "acc@5": 96.02}},
            "_ops": 22.753,
            "_file_size": 484.747,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2
