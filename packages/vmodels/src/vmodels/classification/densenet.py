"""DenseNet: dense blocks, in which every layer receives the concatenated feature maps of all
layers before it, separated by transition layers that halve the channels and the resolution.

Each dense layer is a bottleneck (BN-ReLU-1x1 conv to ``bn_size * growth_rate`` channels, then
BN-ReLU-3x3 conv to ``growth_rate`` channels), the "DenseNet-BC" design of the paper. Parameter
and buffer names follow torchvision's layout, so its checkpoints load with ``strict=True``;
checkpoints saved with the older ``norm.1``/``conv.1`` key names load as well.

Every builder expects ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and normalized with the
ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the ImageNet weights were
trained on 224x224 crops, but any input of at least 32x32 works (global average pooling before
the classifier). The output is ``Tensor[N, num_classes]`` of logits.
"""

import re
from collections.abc import Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification

# Early checkpoints were saved when the layers' submodules were named "norm.1", "conv.2", ...
_LEGACY_KEY = re.compile(
    r"^(norm|relu|conv)\.([12])\.(weight|bias|running_mean|running_var|num_batches_tracked)$"
)


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv1x1 to ``bn_size * growth_rate`` channels, BN-ReLU-Conv3x3 to
    ``growth_rate`` channels, then dropout; the input is the list of all earlier feature maps."""

    def __init__(
        self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float
    ) -> None:
        super().__init__()
        inner = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, inner, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(inner)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(inner, growth_rate, kernel_size=3, padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))
        x = self.conv2(self.relu2(self.norm2(x)))
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # Rename this layer's legacy keys ("norm.1.weight" -> "norm1.weight") before the
        # submodules read theirs; load_state_dict passes a copy, so the caller's dict is intact.
        for key in [k for k in state_dict if k.startswith(prefix)]:
            match = _LEGACY_KEY.match(key[len(prefix) :])
            if match is not None:
                name, index, tensor = match.groups()
                state_dict[f"{prefix}{name}{index}.{tensor}"] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers (``denselayer1``, ...); the output concatenates the input
    and every layer's ``growth_rate`` new channels."""

    def __init__(
        self,
        num_layers: int,
        num_input_features: int,
        bn_size: int,
        growth_rate: int,
        drop_rate: float,
    ) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(
                num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, x: Tensor) -> Tensor:
        features = [x]
        for _, layer in self.items():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-Conv1x1 to ``num_output_features`` channels, then 2x2 average pooling."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """A DenseNet-BC: a 7x7 stride-2 convolution and a 3x3 stride-2 max pool, dense blocks
    separated by transitions that halve channels and resolution, a final batch norm, ReLU, global
    average pooling and a linear classifier.

    Args:
        growth_rate: channels each dense layer adds (k in the paper).
        block_config: number of layers in each dense block.
        num_init_features: channels of the first convolution.
        bn_size: the bottleneck layers have ``bn_size * growth_rate`` channels.
        drop_rate: dropout probability after each dense layer.
        num_classes: outputs of the classifier.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: Sequence[int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0.0,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        for name, value in [
            ("growth_rate", growth_rate),
            ("num_init_features", num_init_features),
            ("bn_size", bn_size),
            ("num_classes", num_classes),
        ]:
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not block_config or not all(isinstance(n, int) and n > 0 for n in block_config):
            raise ValueError(
                f"block_config must be a non-empty list of positive ints, got {block_config!r}"
            )
        if not 0.0 <= drop_rate <= 1.0:
            raise ValueError(f"drop_rate must be a probability in [0, 1], got {drop_rate!r}")

        self.features = nn.Sequential()
        self.features.add_module(
            "conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)
        )
        self.features.add_module("norm0", nn.BatchNorm2d(num_init_features))
        self.features.add_module("relu0", nn.ReLU(inplace=True))
        self.features.add_module("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, channels, bn_size, growth_rate, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(channels, channels // 2))
                channels //= 2
        self.features.add_module(f"norm{len(block_config) + 1}", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.features(x), inplace=True)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (29, 29),
    "recipe": "https://github.com/pytorch/vision/pull/116",
    "_docs": "Ported from the authors' published weights.",
}


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/densenet121-a639ec97.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 7978856,
            "_metrics": {"ImageNet-1K": {"acc@1": 74.434, "acc@5": 91.972}},
            "_ops": 2.834,
            "_file_size": 30.845,
        },
    )
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/densenet161-8d451a50.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 28681000,
            "_metrics": {"ImageNet-1K": {"acc@1": 77.138, "acc@5": 93.56}},
            "_ops": 7.728,
            "_file_size": 110.369,
        },
    )
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/densenet169-b2777c0a.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 14149480,
            "_metrics": {"ImageNet-1K": {"acc@1": 75.6, "acc@5": 92.806}},
            "_ops": 3.36,
            "_file_size": 54.708,
        },
    )
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/densenet201-c1103571.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 20013928,
            "_metrics": {"ImageNet-1K": {"acc@1": 76.896, "acc@5": 93.37}},
            "_ops": 4.291,
            "_file_size": 77.373,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _densenet_stages(model: nn.Module) -> list[str]:
    blocks = [f"features.denseblock{k}" for k in (1, 2, 3)]
    return ["features.relu0", *blocks, "features.norm5"]


# Reductions 2, 4, 8, 16, 32.
DENSENET_FEATURES = FeatureSpec(_densenet_stages)


@model_builder(task="classification", weights=DenseNet121_Weights, features=DENSENET_FEATURES)
def densenet121(request: BuildRequest, **kwargs) -> DenseNet:
    """DenseNet-121 (k=32, blocks 6-12-24-16) from "Densely Connected Convolutional Networks"
    (Huang et al., 2016).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`DenseNet`.
    """
    make = partial(DenseNet, 32, (6, 12, 24, 16), 64)
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=DenseNet161_Weights, features=DENSENET_FEATURES)
def densenet161(request: BuildRequest, **kwargs) -> DenseNet:
    """DenseNet-161 (k=48, blocks 6-12-36-24, 96 initial channels) from "Densely Connected
    Convolutional Networks" (Huang et al., 2016).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`DenseNet`.
    """
    make = partial(DenseNet, 48, (6, 12, 36, 24), 96)
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=DenseNet169_Weights, features=DENSENET_FEATURES)
def densenet169(request: BuildRequest, **kwargs) -> DenseNet:
    """DenseNet-169 (k=32, blocks 6-12-32-32) from "Densely Connected Convolutional Networks"
    (Huang et al., 2016).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`DenseNet`.
    """
    make = partial(DenseNet, 32, (6, 12, 32, 32), 64)
    return build_model(request, make, **kwargs)


@model_builder(task="classification", weights=DenseNet201_Weights, features=DENSENET_FEATURES)
def densenet201(request: BuildRequest, **kwargs) -> DenseNet:
    """DenseNet-201 (k=32, blocks 6-12-48-32) from "Densely Connected Convolutional Networks"
    (Huang et al., 2016).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`DenseNet`.
    """
    make = partial(DenseNet, 32, (6, 12, 48, 32), 64)
    return build_model(request, make, **kwargs)
