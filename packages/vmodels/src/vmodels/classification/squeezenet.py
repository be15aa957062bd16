"""SqueezeNet: a stack of Fire modules (a 1x1 "squeeze" convolution feeding parallel 1x1 and 3x3
"expand" convolutions whose outputs are concatenated), with a convolutional classifier and global
average pooling instead of fully connected layers.

Version 1.0 is the paper's network; version 1.1 (from the authors' repository) starts with a 3x3
convolution of 64 channels and pools earlier, for 2.4x less computation at the same accuracy.
Parameter names follow torchvision's layout, so its checkpoints load with ``strict=True``.

Every builder expects ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and normalized with the
ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the ImageNet weights were
trained on 224x224 crops, but any input of at least 32x32 works. The output is
``Tensor[N, num_classes]`` of logits.
"""

from functools import partial

import torch
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec, stages_before_max_pools
from ..presets import ImageClassification

VERSIONS = ("1_0", "1_1")


class Fire(nn.Module):
    """Squeeze to ``squeeze_planes`` channels with a 1x1 convolution, then expand with a 1x1 and a
    3x3 convolution in parallel; the output concatenates both (``expand1x1_planes +
    expand3x3_planes`` channels). Every convolution is followed by ReLU."""

    def __init__(
        self, inplanes: int, squeeze_planes: int, expand1x1_planes: int, expand3x3_planes: int
    ) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat(
            [
                self.expand1x1_activation(self.expand1x1(x)),
                self.expand3x3_activation(self.expand3x3(x)),
            ],
            1,
        )


def _pool() -> nn.MaxPool2d:
    # ceil_mode keeps the border pixels that a floor-mode 3x3 stride-2 pool would drop
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """SqueezeNet 1.0 or 1.1: convolutional ``features`` of Fire modules, then Dropout, a 1x1
    convolution to ``num_classes`` channels, ReLU and global average pooling.

    Args:
        version: ``"1_0"`` or ``"1_1"``.
        num_classes: outputs of the classifier.
        dropout: dropout probability before the final convolution.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2),
                nn.ReLU(inplace=True),
                _pool(),
                Fire(96, 16, 64, 64),
                Fire(128, 16, 64, 64),
                Fire(128, 32, 128, 128),
                _pool(),
                Fire(256, 32, 128, 128),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                _pool(),
                Fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2),
                nn.ReLU(inplace=True),
                _pool(),
                Fire(64, 16, 64, 64),
                Fire(128, 16, 64, 64),
                _pool(),
                Fire(128, 32, 128, 128),
                Fire(256, 32, 128, 128),
                _pool(),
                Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256),
                Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"version must be one of {VERSIONS}, got {version!r}")
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            final_conv,
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                if module is final_conv:
                    # small logits at the start, as in the authors' Caffe model
                    nn.init.normal_(module.weight, 0.0, 0.01)
                else:
                    nn.init.kaiming_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "recipe": "https://github.com/pytorch/vision/pull/49#issuecomment-277560717",
    "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
}


class SqueezeNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/squeezenet1_0-b66bff10.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "min_size": (21, 21),
            "num_params": 1248424,
            "_metrics": {"ImageNet-1K": {"acc@1": 58.092, "acc@5": 80.42}},
            "_ops": 0.819,
            "_file_size": 4.778,
        },
    )
    DEFAULT = IMAGENET1K_V1


class SqueezeNet1_1_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "min_size": (17, 17),
            "num_params": 1235496,
            "_metrics": {"ImageNet-1K": {"acc@1": 58.178, "acc@5": 80.624}},
            "_ops": 0.349,
            "_file_size": 4.729,
        },
    )
    DEFAULT = IMAGENET1K_V1


# The map before each max pool, then the last: reductions 2, 4, 8, 16.
SQUEEZENET_FEATURES = FeatureSpec(stages_before_max_pools)


@model_builder(task="classification", weights=SqueezeNet1_0_Weights, features=SQUEEZENET_FEATURES)
def squeezenet1_0(request: BuildRequest, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.0 from "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
    <0.5MB model size" (Iandola et al., 2016).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`SqueezeNet`.
    """
    make = partial(SqueezeNet, "1_0")
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=SqueezeNet1_1_Weights, features=SQUEEZENET_FEATURES)
def squeezenet1_1(request: BuildRequest, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.1 from the SqueezeNet repository (github.com/forresti/SqueezeNet), after
    "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size"
    (Iandola et al., 2016): 2.4x less computation than 1.0 at the same accuracy.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`SqueezeNet`.
    """
    make = partial(SqueezeNet, "1_1")
    return build_model(request, make, **kwargs)
