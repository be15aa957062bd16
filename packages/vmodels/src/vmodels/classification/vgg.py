"""VGG: plain stacks of 3x3 convolutions and 2x2 max pools, followed by three fully connected
layers.

The four depths are the paper's configurations A (11 weight layers), B (13), D (16) and E (19),
each with or without batch normalization after every convolution. Parameter and buffer names
follow torchvision's layout, so its checkpoints load with ``strict=True``.

Every builder expects ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and normalized with the
ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the ImageNet weights were
trained on 224x224 crops. Adaptive average pooling to 7x7 before the classifier makes any input of
at least 32x32 work. The output is ``Tensor[N, num_classes]`` of logits.
"""

import math
from collections.abc import Sequence
from functools import partial

import torch
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification

# Output channels of each 3x3 convolution, "M" for a 2x2 stride-2 max pool.
_CONFIGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", *[256] * 4, "M", *[512] * 4, "M", *[512] * 4, "M"],
}


def make_features(config: Sequence[int | str], batch_norm: bool = False) -> nn.Sequential:
    """The convolutional part of a VGG: ``config`` lists the output channels of each 3x3
    convolution (padding 1, followed by batch norm if ``batch_norm``, then ReLU) and ``"M"`` for
    each 2x2 stride-2 max pool. The input has 3 channels."""
    layers: list[nn.Module] = []
    in_channels = 3
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        if not isinstance(item, int) or item <= 0:
            raise ValueError(f'config entries must be positive ints or "M", got {item!r}')
        layers.append(nn.Conv2d(in_channels, item, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU(inplace=True))
        in_channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """A VGG network: ``features`` (see :func:`make_features`, ending in 512 channels), adaptive
    average pooling to 7x7, then Linear(25088, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU,
    Dropout, Linear(4096, num_classes).

    Args:
        config: channels of each convolution and ``"M"`` for each max pool (one of the
            configurations A, B, D, E of the paper, or another ending in 512 channels).
        batch_norm: batch normalization after every convolution.
        num_classes: outputs of the classifier.
        dropout: dropout probability of the two hidden fully connected layers.
        init_weights: initialize as in torchvision (Kaiming-normal convolutions, N(0, 0.01)
            linear layers); False keeps PyTorch's default initialization.

    Shape:
        input ``Tensor[N, 3, H, W]`` with H, W >= 32; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        config: Sequence[int | str],
        batch_norm: bool = False,
        num_classes: int = 1000,
        dropout: float = 0.5,
        init_weights: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        channels = [c for c in config if c != "M"]
        if not channels or channels[-1] != 512:
            raise ValueError(f"config must end with 512 channels, got {list(config)!r}")
        self.features = make_features(config, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


_COMMON_META = {
    "min_size": (32, 32),
}


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg11-8a719046.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 132863336,
            "_metrics": {"ImageNet-1K": {"acc@1": 69.02, "acc@5": 88.628}},
            "_ops": 7.609,
            "_file_size": 506.84,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg11_bn-6002323d.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 132868840,
            "_metrics": {"ImageNet-1K": {"acc@1": 70.37, "acc@5": 89.81}},
            "_ops": 7.609,
            "_file_size": 506.881,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg13-19584684.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 133047848,
            "_metrics": {"ImageNet-1K": {"acc@1": 69.928, "acc@5": 89.246}},
            "_ops": 11.308,
            "_file_size": 507.545,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg13_bn-abd245e5.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 133053736,
            "_metrics": {"ImageNet-1K": {"acc@1": 71.586, "acc@5": 90.374}},
            "_ops": 11.308,
            "_file_size": 507.59,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg16-397923af.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 138357544,
            "_metrics": {"ImageNet-1K": {"acc@1": 71.592, "acc@5": 90.382}},
            "_ops": 15.47,
            "_file_size": 527.796,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_FEATURES = Weights(
        url="https://download.pytorch.org/models/vgg16_features-amdegroot-88682ab5.pth",
        transforms=partial(
            ImageClassification,
            crop_size=224,
            mean=(0.48235, 0.45882, 0.40784),
            std=(0.00392156862745098, 0.00392156862745098, 0.00392156862745098),
        ),
        meta={
            **_COMMON_META,
            "categories": None,
            "recipe": "https://github.com/amdegroot/ssd.pytorch#training-ssd",
            "num_params": 138357544,
            "_metrics": {"ImageNet-1K": {"acc@1": math.nan, "acc@5": math.nan}},
            "_ops": 15.47,
            "_file_size": 527.802,
            "_docs": "Feature extraction only: the classifier layers hold no trained values.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg16_bn-6c64b313.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 138365992,
            "_metrics": {"ImageNet-1K": {"acc@1": 73.36, "acc@5": 91.516}},
            "_ops": 15.47,
            "_file_size": 527.866,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 143667240,
            "_metrics": {"ImageNet-1K": {"acc@1": 72.376, "acc@5": 90.876}},
            "_ops": 19.632,
            "_file_size": 548.051,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/vgg19_bn-c79401a0.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "categories": IMAGENET_CATEGORIES,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "num_params": 143678248,
            "_metrics": {"ImageNet-1K": {"acc@1": 74.218, "acc@5": 91.842}},
            "_ops": 19.632,
            "_file_size": 548.143,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


def _vgg_stages(model: nn.Module) -> list[str]:
    return [f"features.{i}" for i, m in enumerate(model.features) if isinstance(m, nn.MaxPool2d)]


# The output of each max pool: reductions 2, 4, 8, 16, 32.
VGG_FEATURES = FeatureSpec(_vgg_stages)


@model_builder(task="classification", weights=VGG11_Weights, features=VGG_FEATURES)
def vgg11(request: BuildRequest, **kwargs) -> VGG:
    """VGG-11 (configuration A) from "Very Deep Convolutional Networks for Large-Scale Image
    Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    return build_model(request, partial(VGG, _CONFIGS["A"]), **kwargs)


@model_builder(task="classification", weights=VGG11_BN_Weights, features=VGG_FEATURES)
def vgg11_bn(request: BuildRequest, **kwargs) -> VGG:
    """VGG-11 (configuration A) with batch normalization, from "Very Deep Convolutional Networks
    for Large-Scale Image Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    make = partial(VGG, _CONFIGS["A"], batch_norm=True)
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=VGG13_Weights, features=VGG_FEATURES)
def vgg13(request: BuildRequest, **kwargs) -> VGG:
    """VGG-13 (configuration B) from "Very Deep Convolutional Networks for Large-Scale Image
    Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    return build_model(request, partial(VGG, _CONFIGS["B"]), **kwargs)


@model_builder(task="classification", weights=VGG13_BN_Weights, features=VGG_FEATURES)
def vgg13_bn(request: BuildRequest, **kwargs) -> VGG:
    """VGG-13 (configuration B) with batch normalization, from "Very Deep Convolutional Networks
    for Large-Scale Image Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    make = partial(VGG, _CONFIGS["B"], batch_norm=True)
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=VGG16_Weights, features=VGG_FEATURES)
def vgg16(request: BuildRequest, **kwargs) -> VGG:
    """VGG-16 (configuration D) from "Very Deep Convolutional Networks for Large-Scale Image
    Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    return build_model(request, partial(VGG, _CONFIGS["D"]), **kwargs)


@model_builder(task="classification", weights=VGG16_BN_Weights, features=VGG_FEATURES)
def vgg16_bn(request: BuildRequest, **kwargs) -> VGG:
    """VGG-16 (configuration D) with batch normalization, from "Very Deep Convolutional Networks
    for Large-Scale Image Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    make = partial(VGG, _CONFIGS["D"], batch_norm=True)
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=VGG19_Weights, features=VGG_FEATURES)
def vgg19(request: BuildRequest, **kwargs) -> VGG:
    """VGG-19 (configuration E) from "Very Deep Convolutional Networks for Large-Scale Image
    Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    return build_model(request, partial(VGG, _CONFIGS["E"]), **kwargs)


@model_builder(task="classification", weights=VGG19_BN_Weights, features=VGG_FEATURES)
def vgg19_bn(request: BuildRequest, **kwargs) -> VGG:
    """VGG-19 (configuration E) with batch normalization, from "Very Deep Convolutional Networks
    for Large-Scale Image Recognition" (Simonyan and Zisserman, 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`VGG`.
    """
    make = partial(VGG, _CONFIGS["E"], batch_norm=True)
    return build_model(request, make, **kwargs)
