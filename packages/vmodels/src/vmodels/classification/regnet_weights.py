"""Published ImageNet checkpoints of RegNetX and RegNetY, with the evaluation transforms each was
measured with: torchvision's two recipes for every size (none for RegNetY-128GF) and, for
RegNetY-16GF, 32GF and 128GF, the SWAG ones (weakly supervised pre-training on Instagram
hashtags, then ImageNet-1K, bicubic resizing)."""

from functools import partial

from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..presets import ImageClassification, InterpolationMode

_V1_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#"
_V2_RECIPE = "https://github.com/pytorch/vision/issues/3995#"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"


def _weights(
    url: str,
    transforms: partial,
    num_params: int,
    accuracy: tuple[float, float],
    ops: float,
    file_size: float,
    **meta: object,
) -> Weights:
    top1, top5 = accuracy
    return Weights(
        url=url,
        transforms=transforms,
        meta={
            "categories": IMAGENET_CATEGORIES,
            "min_size": (1, 1),
            "num_params": num_params,
            "_metrics": {"ImageNet-1K": {"acc@1": top1, "acc@5": top5}},
            "_ops": ops,
            "_file_size": file_size,
            **meta,
        },
    )


def _v1(*, url: str, recipe: str, **facts) -> Weights:
    """torchvision's first recipe, evaluated on 224 crops of 256 resizes."""
    return _weights(
        url,
        partial(ImageClassification, crop_size=224),
        recipe=_V1_RECIPE + recipe,
        _docs="Close to the paper's accuracy, trained with the recipe linked in recipe.",
        **facts,
    )


def _v2(*, url: str, recipe: str, **facts) -> Weights:
    """torchvision's newer recipe, evaluated on 224 crops of 232 resizes."""
    return _weights(
        url,
        partial(ImageClassification, crop_size=224, resize_size=232),
        recipe=_V2_RECIPE + recipe,
        _docs="Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe).",
        **facts,
    )


def _swag_e2e(**facts) -> Weights:
    """SWAG pre-training, then the whole network fine-tuned at 384x384."""
    return _weights(
        transforms=partial(
            ImageClassification,
            crop_size=384,
            resize_size=384,
            interpolation=InterpolationMode.BICUBIC,
        ),
        recipe="https://github.com/facebookresearch/SWAG",
        license=_SWAG_LICENSE,
        _docs="SWAG weights pre-trained on Instagram hashtags, then fine-tuned end to end.",
        **facts,
    )


def _swag_linear(**facts) -> Weights:
    """SWAG pre-training, then only a linear classifier trained, on the frozen trunk, at 224."""
    return _weights(
        transforms=partial(
            ImageClassification,
            crop_size=224,
            resize_size=224,
            interpolation=InterpolationMode.BICUBIC,
        ),
        recipe="https://github.com/pytorch/vision/pull/5793",
        license=_SWAG_LICENSE,
        _docs="SWAG weights pre-trained on Instagram hashtags, with a linear classifier on top.",
        **facts,
    )


class RegNet_Y_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_400mf-c65dace8.pth",
        recipe="small-models",
        num_params=4344144,
        accuracy=(74.046, 91.716),
        ops=0.402,
        file_size=16.806,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_400mf-e6988f5f.pth",
        recipe="new-recipe",
        num_params=4344144,
        accuracy=(75.804, 92.742),
        ops=0.402,
        file_size=16.806,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_800mf-1b27b58c.pth",
        recipe="small-models",
        num_params=6432512,
        accuracy=(76.42, 93.136),
        ops=0.834,
        file_size=24.774,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_800mf-58fc7688.pth",
        recipe="new-recipe",
        num_params=6432512,
        accuracy=(78.828, 94.502),
        ops=0.834,
        file_size=24.774,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_1_6gf-b11a554e.pth",
        recipe="small-models",
        num_params=11202430,
        accuracy=(77.95, 93.966),
        ops=1.612,
        file_size=43.152,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_1_6gf-0d7bc02a.pth",
        recipe="new-recipe",
        num_params=11202430,
        accuracy=(80.876, 95.444),
        ops=1.612,
        file_size=43.152,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_3_2gf-b5a9779c.pth",
        recipe="medium-models",
        num_params=19436338,
        accuracy=(78.948, 94.576),
        ops=3.176,
        file_size=74.567,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_3_2gf-9180c971.pth",
        recipe="new-recipe",
        num_params=19436338,
        accuracy=(81.982, 95.972),
        ops=3.176,
        file_size=74.567,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_8gf-d0d0e4a8.pth",
        recipe="medium-models",
        num_params=39381472,
        accuracy=(80.032, 95.048),
        ops=8.473,
        file_size=150.701,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_8gf-dc2b1b54.pth",
        recipe="new-recipe",
        num_params=39381472,
        accuracy=(82.828, 96.33),
        ops=8.473,
        file_size=150.701,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_16gf-9e6ed7dd.pth",
        recipe="large-models",
        num_params=83590140,
        accuracy=(80.424, 95.24),
        ops=15.912,
        file_size=319.49,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_16gf-3e4a00f9.pth",
        recipe="new-recipe",
        num_params=83590140,
        accuracy=(82.886, 96.328),
        ops=15.912,
        file_size=319.49,
    )
    IMAGENET1K_SWAG_E2E_V1 = _swag_e2e(
        url="https://download.pytorch.org/models/regnet_y_16gf_swag-43afe44d.pth",
        num_params=83590140,
        accuracy=(86.012, 98.054),
        ops=46.735,
        file_size=319.49,
    )
    IMAGENET1K_SWAG_LINEAR_V1 = _swag_linear(
        url="https://download.pytorch.org/models/regnet_y_16gf_lc_swag-f3ec0043.pth",
        num_params=83590140,
        accuracy=(83.976, 97.244),
        ops=15.912,
        file_size=319.49,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_y_32gf-4dee3f7a.pth",
        recipe="large-models",
        num_params=145046770,
        accuracy=(80.878, 95.34),
        ops=32.28,
        file_size=554.076,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_y_32gf-8db6d4b5.pth",
        recipe="new-recipe",
        num_params=145046770,
        accuracy=(83.368, 96.498),
        ops=32.28,
        file_size=554.076,
    )
    IMAGENET1K_SWAG_E2E_V1 = _swag_e2e(
        url="https://download.pytorch.org/models/regnet_y_32gf_swag-04fdfa75.pth",
        num_params=145046770,
        accuracy=(86.838, 98.362),
        ops=94.826,
        file_size=554.076,
    )
    IMAGENET1K_SWAG_LINEAR_V1 = _swag_linear(
        url="https://download.pytorch.org/models/regnet_y_32gf_lc_swag-e1583746.pth",
        num_params=145046770,
        accuracy=(84.622, 97.48),
        ops=32.28,
        file_size=554.076,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_128GF_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _swag_e2e(
        url="https://download.pytorch.org/models/regnet_y_128gf_swag-c8ce3e52.pth",
        num_params=644812894,
        accuracy=(88.228, 98.682),
        ops=374.57,
        file_size=2461.564,
    )
    IMAGENET1K_SWAG_LINEAR_V1 = _swag_linear(
        url="https://download.pytorch.org/models/regnet_y_128gf_lc_swag-cbe8ce12.pth",
        num_params=644812894,
        accuracy=(86.068, 97.844),
        ops=127.518,
        file_size=2461.564,
    )
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class RegNet_X_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_400mf-adf1edd5.pth",
        recipe="small-models",
        num_params=5495976,
        accuracy=(72.834, 90.95),
        ops=0.414,
        file_size=21.258,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_400mf-62229a5f.pth",
        recipe="new-recipe-with-fixres",
        num_params=5495976,
        accuracy=(74.864, 92.322),
        ops=0.414,
        file_size=21.257,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_X_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_800mf-ad17e45c.pth",
        recipe="small-models",
        num_params=7259656,
        accuracy=(75.212, 92.348),
        ops=0.8,
        file_size=27.945,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_800mf-94a99ebd.pth",
        recipe="new-recipe-with-fixres",
        num_params=7259656,
        accuracy=(77.522, 93.826),
        ops=0.8,
        file_size=27.945,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_X_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_1_6gf-e3633e7f.pth",
        recipe="small-models",
        num_params=9190136,
        accuracy=(77.04, 93.44),
        ops=1.603,
        file_size=35.339,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_1_6gf-a12f2b72.pth",
        recipe="new-recipe-with-fixres",
        num_params=9190136,
        accuracy=(79.668, 94.922),
        ops=1.603,
        file_size=35.339,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_X_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_3_2gf-f342aeae.pth",
        recipe="medium-models",
        num_params=15296552,
        accuracy=(78.364, 93.992),
        ops=3.177,
        file_size=58.756,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_3_2gf-7071aa85.pth",
        recipe="new-recipe",
        num_params=15296552,
        accuracy=(81.196, 95.43),
        ops=3.177,
        file_size=58.756,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_X_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_8gf-03ceed89.pth",
        recipe="medium-models",
        num_params=39572648,
        accuracy=(79.344, 94.686),
        ops=7.995,
        file_size=151.456,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_8gf-2b70d774.pth",
        recipe="new-recipe",
        num_params=39572648,
        accuracy=(81.682, 95.678),
        ops=7.995,
        file_size=151.456,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_X_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_16gf-2007eb11.pth",
        recipe="medium-models",
        num_params=54278536,
        accuracy=(80.058, 94.944),
        ops=15.941,
        file_size=207.627,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_16gf-ba3796d7.pth",
        recipe="new-recipe",
        num_params=54278536,
        accuracy=(82.716, 96.196),
        ops=15.941,
        file_size=207.627,
    )
    DEFAULT = IMAGENET1K_V2


class RegNet_X_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _v1(
        url="https://download.pytorch.org/models/regnet_x_32gf-9d47f8d0.pth",
        recipe="large-models",
        num_params=107811560,
        accuracy=(80.622, 95.248),
        ops=31.736,
        file_size=412.039,
    )
    IMAGENET1K_V2 = _v2(
        url="https://download.pytorch.org/models/regnet_x_32gf-6eb8fdc6.pth",
        recipe="new-recipe",
        num_params=107811560,
        accuracy=(83.014, 96.288),
        ops=31.736,
        file_size=412.039,
    )
    DEFAULT = IMAGENET1K_V2
