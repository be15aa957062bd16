"""Published ImageNet checkpoints of EfficientNet B0-B7 and EfficientNetV2 S/M/L, with the
evaluation transforms each was measured with (bicubic for the ported ones)."""

from functools import partial

from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..presets import ImageClassification, InterpolationMode

_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification"
_V1_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (1, 1),
    "recipe": f"{_RECIPE}#efficientnet-v1",
}
_V2_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (33, 33),
    "recipe": f"{_RECIPE}#efficientnet-v2",
}


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth",
        transforms=partial(
            ImageClassification,
            crop_size=224,
            resize_size=256,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 5288548,
            "_metrics": {"ImageNet-1K": {"acc@1": 77.692, "acc@5": 93.532}},
            "_ops": 0.386,
            "_file_size": 20.451,
            "_docs": "Ported from the TensorFlow originals by pytorch-image-models.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b1_rwightman-bac287d4.pth",
        transforms=partial(
            ImageClassification,
            crop_size=240,
            resize_size=256,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 7794184,
            "_metrics": {"ImageNet-1K": {"acc@1": 78.642, "acc@5": 94.186}},
            "_ops": 0.687,
            "_file_size": 30.134,
            "_docs": "Ported from the TensorFlow originals by pytorch-image-models.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b1-c27df63c.pth",
        transforms=partial(
            ImageClassification,
            crop_size=240,
            resize_size=255,
            interpolation=InterpolationMode.BILINEAR,
        ),
        meta={
            **_V1_META,
            "num_params": 7794184,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning",
            "_metrics": {"ImageNet-1K": {"acc@1": 79.838, "acc@5": 94.934}},
            "_ops": 0.687,
            "_file_size": 30.136,
            "_docs": "Trained by torchvision: newer recipe, tuned lr, decay and crop.",
        },
    )
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth",
        transforms=partial(
            ImageClassification,
            crop_size=288,
            resize_size=288,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 9109994,
            "_metrics": {"ImageNet-1K": {"acc@1": 80.608, "acc@5": 95.31}},
            "_ops": 1.088,
            "_file_size": 35.174,
            "_docs": "Ported from the TensorFlow originals by pytorch-image-models.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b3_rwightman-b3899882.pth",
        transforms=partial(
            ImageClassification,
            crop_size=300,
            resize_size=320,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 12233232,
            "_metrics": {"ImageNet-1K": {"acc@1": 82.008, "acc@5": 96.054}},
            "_ops": 1.827,
            "_file_size": 47.184,
            "_docs": "Ported from the TensorFlow originals by pytorch-image-models.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b4_rwightman-23ab8bcd.pth",
        transforms=partial(
            ImageClassification,
            crop_size=380,
            resize_size=384,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 19341616,
            "_metrics": {"ImageNet-1K": {"acc@1": 83.384, "acc@5": 96.594}},
            "_ops": 4.394,
            "_file_size": 74.489,
            "_docs": "Ported from the TensorFlow originals by pytorch-image-models.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b5_lukemelas-1a07897c.pth",
        transforms=partial(
            ImageClassification,
            crop_size=456,
            resize_size=456,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 30389784,
            "_metrics": {"ImageNet-1K": {"acc@1": 83.444, "acc@5": 96.628}},
            "_ops": 10.266,
            "_file_size": 116.864,
            "_docs": "Ported from the TensorFlow originals by EfficientNet-PyTorch.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b6_lukemelas-24a108a5.pth",
        transforms=partial(
            ImageClassification,
            crop_size=528,
            resize_size=528,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 43040704,
            "_metrics": {"ImageNet-1K": {"acc@1": 84.008, "acc@5": 96.916}},
            "_ops": 19.068,
            "_file_size": 165.362,
            "_docs": "Ported from the TensorFlow originals by EfficientNet-PyTorch.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_b7_lukemelas-c5b4e57e.pth",
        transforms=partial(
            ImageClassification,
            crop_size=600,
            resize_size=600,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V1_META,
            "num_params": 66347960,
            "_metrics": {"ImageNet-1K": {"acc@1": 84.122, "acc@5": 96.908}},
            "_ops": 37.746,
            "_file_size": 254.675,
            "_docs": "Ported from the TensorFlow originals by EfficientNet-PyTorch.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_v2_s-dd5fe13b.pth",
        transforms=partial(
            ImageClassification,
            crop_size=384,
            resize_size=384,
            interpolation=InterpolationMode.BILINEAR,
        ),
        meta={
            **_V2_META,
            "num_params": 21458488,
            "_metrics": {"ImageNet-1K": {"acc@1": 84.228, "acc@5": 96.878}},
            "_ops": 8.366,
            "_file_size": 82.704,
            "_docs": "Trained by torchvision with its newer recipe, past the paper.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_v2_m-dc08266a.pth",
        transforms=partial(
            ImageClassification,
            crop_size=480,
            resize_size=480,
            interpolation=InterpolationMode.BILINEAR,
        ),
        meta={
            **_V2_META,
            "num_params": 54139356,
            "_metrics": {"ImageNet-1K": {"acc@1": 85.112, "acc@5": 97.156}},
            "_ops": 24.582,
            "_file_size": 208.01,
            "_docs": "Trained by torchvision with its newer recipe, past the paper.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/efficientnet_v2_l-59c71312.pth",
        transforms=partial(
            ImageClassification,
            crop_size=480,
            resize_size=480,
            mean=(0.5, 0.5, 0.5),
            std=(0.5, 0.5, 0.5),
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            **_V2_META,
            "num_params": 118515272,
            "_metrics": {"ImageNet-1K": {"acc@1": 85.808, "acc@5": 97.788}},
            "_ops": 56.08,
            "_file_size": 454.573,
            "_docs": "Ported from google/automl; inputs normalized to [-1, 1].",
        },
    )
    DEFAULT = IMAGENET1K_V1
