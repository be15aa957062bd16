"""Published ImageNet checkpoints of Swin Transformer T/S/B and Swin V2 T/S/B, with the
evaluation transforms each was measured with (bicubic)."""

from functools import partial

from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..presets import ImageClassification, InterpolationMode

_PUBLISHED = {
    "swin_t": ("swin_t-704ceda3", 224, 232, 28288354, 81.474, 95.776, 4.491, 108.19),
    "swin_s": ("swin_s-5e29d889", 224, 246, 49606258, 83.196, 96.36, 8.741, 189.786),
    "swin_b": ("swin_b-68c6b09e", 224, 238, 87768224, 83.582, 96.64, 15.431, 335.364),
    "swin_v2_t": ("swin_v2_t-b137f0e2", 256, 260, 28351570, 82.072, 96.132, 5.94, 108.626),
    "swin_v2_s": ("swin_v2_s-637d8ceb", 256, 260, 49737442, 83.712, 96.816, 11.546, 190.675),
    "swin_v2_b": ("swin_v2_b-781e5279", 256, 272, 87930848, 84.112, 96.864, 20.325, 336.372),
}


def _imagenet_weights(model: str) -> Weights:
    """The published ImageNet-1K weights of ``model``."""
    file, crop, resize, num_params, top1, top5, ops, file_size = _PUBLISHED[model]
    version = "-v2" if model.startswith("swin_v2") else ""
    return Weights(
        url=f"https://download.pytorch.org/models/{file}.pth",
        transforms=partial(
            ImageClassification,
            crop_size=crop,
            resize_size=resize,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": num_params,
            "min_size": (crop, crop),
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification"
            f"#swintransformer{version}",
            "_metrics": {"ImageNet-1K": {"acc@1": top1, "acc@5": top5}},
            "_ops": ops,
            "_file_size": file_size,
            "_docs": "Close to the paper's accuracy, trained with a recipe like the paper's.",
        },
    )


class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("swin_t")
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("swin_s")
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("swin_b")
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("swin_v2_t")
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("swin_v2_s")
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet_weights("swin_v2_b")
    DEFAULT = IMAGENET1K_V1


# Per size: embed_dim, depths, num_heads.
