"""MobileNetV2: inverted residual blocks (1x1 expansion, 3x3 depthwise, linear 1x1 projection)
with residual connections between the thin ends, and a width multiplier that scales every layer.

Parameter and buffer names follow torchvision's layout (``features.<i>.conv...``,
``classifier.1``), so its checkpoints load with ``strict=True``.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for ImageNet weights (any size works: global average pooling);
output ``Tensor[N, num_classes]`` of logits.
"""

from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification

NormLayer = Callable[[int], nn.Module]

# Expansion factor t, output channels c, repeats n, stride of the first repeat s (Table 2).
DEFAULT_SETTING: list[list[int]] = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
]


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """``value`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``, default
    ``divisor``), rounded up one more multiple where rounding lost over 10% of ``value``."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def conv_bn_relu6(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    groups: int = 1,
    norm_layer: NormLayer = nn.BatchNorm2d,
) -> vops.Conv2dNormActivation:
    """Convolution (no bias, "same" padding), normalization and ReLU6, as ``0``, ``1``, ``2``:
    torchvision's block, so feature extraction sees it as one node."""
    return vops.Conv2dNormActivation(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        groups=groups,
        norm_layer=norm_layer,
        activation_layer=nn.ReLU6,
    )


class InvertedResidual(nn.Module):
    """1x1 expansion to ``round(inp * expand_ratio)`` channels (skipped at ratio 1), 3x3 depthwise
    convolution at ``stride``, linear 1x1 projection to ``oup``; the input is added back when
    the shapes allow (stride 1 and ``inp == oup``)."""

    def __init__(
        self,
        inp: int,
        oup: int,
        stride: int,
        expand_ratio: int,
        norm_layer: NormLayer = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride!r}")
        self.stride = stride
        self.use_res_connect = stride == 1 and inp == oup
        self.out_channels = oup
        hidden = round(inp * expand_ratio)
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(conv_bn_relu6(inp, hidden, kernel_size=1, norm_layer=norm_layer))
        layers += [
            conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden, norm_layer=norm_layer),
            nn.Conv2d(hidden, oup, kernel_size=1, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


def _check_setting(setting: Sequence[Sequence[int]]) -> list[list[int]]:
    rows = [list(row) for row in setting] if isinstance(setting, (list, tuple)) else []
    valid = all(
        len(row) == 4 and all(isinstance(v, int) and v > 0 for v in row) and row[3] in (1, 2)
        for row in rows
    )
    if not rows or not valid:
        raise ValueError(
            "inverted_residual_setting must be a non-empty list of [t, c, n, s] rows of positive "
            f"ints with stride s in (1, 2), got {setting!r}"
        )
    return rows


class MobileNetV2(nn.Module):
    """MobileNetV2: a 3x3 stride-2 stem, the inverted residual stages, a 1x1 convolution to
    ``last_channel`` features, global average pooling, dropout and a linear classifier.

    Args:
        num_classes: outputs of the classifier.
        width_mult: multiplies every layer's channels (before rounding to ``round_nearest``);
            the last convolution's 1280 channels are only ever scaled up.
        inverted_residual_setting: ``[t, c, n, s]`` rows (expansion, channels, repeats, first
            stride); default the paper's.
        round_nearest: channel counts are rounded to a multiple of this (1 turns rounding off).
        norm_layer: normalization module, called with the channel count; default
            :class:`torch.nn.BatchNorm2d`.
        dropout: dropout probability before the classifier.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        inverted_residual_setting: Sequence[Sequence[int]] | None = None,
        round_nearest: int = 8,
        norm_layer: NormLayer | None = None,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not isinstance(width_mult, (int, float)) or width_mult <= 0:
            raise ValueError(f"width_mult must be a positive number, got {width_mult!r}")
        if not isinstance(round_nearest, int) or round_nearest <= 0:
            raise ValueError(f"round_nearest must be a positive int, got {round_nearest!r}")
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        setting = _check_setting(
            DEFAULT_SETTING if inverted_residual_setting is None else inverted_residual_setting
        )
        norm_layer = norm_layer or nn.BatchNorm2d

        channels = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features: list[nn.Module] = [conv_bn_relu6(3, channels, stride=2, norm_layer=norm_layer)]
        for t, c, n, s in setting:
            out_channels = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(InvertedResidual(channels, out_channels, stride, t, norm_layer))
                channels = out_channels
        features.append(
            conv_bn_relu6(channels, self.last_channel, kernel_size=1, norm_layer=norm_layer)
        )
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes)
        )

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "num_params": 3504872,
    "min_size": (1, 1),
    "_ops": 0.301,
}


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv2"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 71.878, "acc@5": 90.286}},
            "_file_size": 13.555,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning",
            "_metrics": {"ImageNet-1K": {"acc@1": 72.154, "acc@5": 90.822}},
            "_file_size": 13.598,
            "_docs": (
                "Beyond the paper's accuracy: trained with torchvision's newer recipe (see recipe)."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V2


def _mobilenet_v2_stages(model: nn.Module) -> list[str]:
    return ["features.1", "features.3", "features.6", "features.13", "features.18"]


# The last block at each resolution: reductions 2, 4, 8, 16, 32.
MOBILENET_V2_FEATURES = FeatureSpec(_mobilenet_v2_stages)


@model_builder(task="classification", weights=MobileNet_V2_Weights, features=MOBILENET_V2_FEATURES)
def mobilenet_v2(request: BuildRequest, **kwargs) -> MobileNetV2:
    """MobileNetV2 from "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (Sandler et al.,
    2018).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``width_mult``, ``round_nearest``, ...) go to :class:`MobileNetV2`.
    """
    return build_model(request, MobileNetV2, **kwargs)
