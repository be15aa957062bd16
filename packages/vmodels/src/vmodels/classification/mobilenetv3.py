"""MobileNetV3: inverted residual blocks found by architecture search, with optional
squeeze-and-excitation (hard-sigmoid gate) and hard-swish activations in the deeper layers, in a
large and a small variant.

Parameter and buffer names follow torchvision's layout (``features.<i>.block...``,
``classifier.3``), so its checkpoints load with ``strict=True``. :func:`mobilenet_v3_config` gives
each variant's blocks (also with a width multiplier, a halved last stage or a dilated one) for the
models built on this backbone.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for ImageNet weights (any size works: global average pooling);
output ``Tensor[N, num_classes]`` of logits.
"""

from collections.abc import Callable, Sequence
from functools import partial

import torch
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification
from .mobilenetv2 import make_divisible

NormLayer = Callable[[int], nn.Module]
ACTIVATIONS = ("RE", "HS")  # ReLU, hard swish


class InvertedResidualConfig:
    """One block of MobileNetV3 (a row of Tables 1 and 2 of the paper), channels scaled by
    ``width_mult`` and rounded to a multiple of 8.

    Args:
        input_channels: channels entering the block (before scaling).
        kernel: side of the depthwise convolution's kernel.
        expanded_channels: channels after the 1x1 expansion (before scaling).
        out_channels: channels after the 1x1 projection (before scaling).
        use_se: whether a squeeze-and-excitation gate follows the depthwise convolution.
        activation: ``"RE"`` (ReLU) or ``"HS"`` (hard swish).
        stride: stride of the depthwise convolution, 1 or 2; taken as 1 when ``dilation > 1``.
        dilation: dilation of the depthwise convolution.
        width_mult: multiplies the three channel counts.
    """

    def __init__(
        self,
        input_channels: int,
        kernel: int,
        expanded_channels: int,
        out_channels: int,
        use_se: bool,
        activation: str,
        stride: int,
        dilation: int,
        width_mult: float,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: float, width_mult: float) -> int:
        """``channels * width_mult`` rounded to a multiple of 8 (see :func:`make_divisible`)."""
        return make_divisible(channels * width_mult, 8)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.input_channels} -> {self.expanded_channels} -> "
            f"{self.out_channels}, kernel={self.kernel}, use_se={self.use_se}, "
            f"use_hs={self.use_hs}, stride={self.stride}, dilation={self.dilation})"
        )


# Each variant's blocks: kernel, expanded and output channels, SE, activation, stride; the input
# channels are the previous block's (the stem's 16 for the first). The last TAIL_BLOCKS form the
# stride-32 stage that reduced_tail halves and dilated dilates.
_BLOCKS: dict[str, list[tuple[int, int, int, bool, str, int]]] = {
    "mobilenet_v3_large": [
        (3, 16, 16, False, "RE", 1),
        (3, 64, 24, False, "RE", 2),
        (3, 72, 24, False, "RE", 1),
        (5, 72, 40, True, "RE", 2),
        (5, 120, 40, True, "RE", 1),
        (5, 120, 40, True, "RE", 1),
        (3, 240, 80, False, "HS", 2),
        (3, 200, 80, False, "HS", 1),
        (3, 184, 80, False, "HS", 1),
        (3, 184, 80, False, "HS", 1),
        (3, 480, 112, True, "HS", 1),
        (3, 672, 112, True, "HS", 1),
        (5, 672, 160, True, "HS", 2),
        (5, 960, 160, True, "HS", 1),
        (5, 960, 160, True, "HS", 1),
    ],
    "mobilenet_v3_small": [
        (3, 16, 16, True, "RE", 2),
        (3, 72, 24, False, "RE", 2),
        (3, 88, 24, False, "RE", 1),
        (5, 96, 40, True, "HS", 2),
        (5, 240, 40, True, "HS", 1),
        (5, 240, 40, True, "HS", 1),
        (5, 120, 48, True, "HS", 1),
        (5, 144, 48, True, "HS", 1),
        (5, 288, 96, True, "HS", 2),
        (5, 576, 96, True, "HS", 1),
        (5, 576, 96, True, "HS", 1),
    ],
}
_LAST_CHANNEL = {"mobilenet_v3_large": 1280, "mobilenet_v3_small": 1024}
TAIL_BLOCKS = 3
STEM_CHANNELS = 16


def mobilenet_v3_config(
    arch: str, width_mult: float = 1.0, reduced_tail: bool = False, dilated: bool = False
) -> tuple[list[InvertedResidualConfig], int]:
    """The blocks of a MobileNetV3 variant and the width of its classifier's hidden layer.

    Args:
        arch: ``"mobilenet_v3_large"`` or ``"mobilenet_v3_small"``.
        width_mult: multiplies every block's channels (rounded to multiples of 8).
        reduced_tail: halves the channels of the last stage (and of the classifier's hidden
            layer), as the paper does for detection and segmentation.
        dilated: runs the last stage at stride 1 with dilation 2 (output stride 16).

    Returns:
        ``(inverted_residual_setting, last_channel)``, the first two arguments of
        :class:`MobileNetV3`.
    """
    if arch not in _BLOCKS:
        raise ValueError(f"arch must be one of {sorted(_BLOCKS)}, got {arch!r}")
    if not isinstance(width_mult, (int, float)) or isinstance(width_mult, bool) or width_mult <= 0:
        raise ValueError(f"width_mult must be a positive number, got {width_mult!r}")
    for name, flag in [("reduced_tail", reduced_tail), ("dilated", dilated)]:
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    divider = 2 if reduced_tail else 1
    blocks = _BLOCKS[arch]
    tail_start = len(blocks) - TAIL_BLOCKS
    setting = []
    channels = STEM_CHANNELS
    for i, (kernel, expanded, out, use_se, activation, stride) in enumerate(blocks):
        in_tail = i >= tail_start
        if in_tail:
            out //= divider
        if i > tail_start:  # the first tail block expands the full-width input
            expanded //= divider
        dilation = 2 if in_tail and dilated else 1
        setting.append(
            InvertedResidualConfig(
                channels, kernel, expanded, out, use_se, activation, stride, dilation, width_mult
            )
        )
        channels = out
    last_channel = _LAST_CHANNEL[arch] // divider
    return setting, InvertedResidualConfig.adjust_channels(last_channel, width_mult)


# Squeeze-and-excitation gated by a hard sigmoid: the paper's cheaper stand-in for the sigmoid.
HARD_SQUEEZE_EXCITATION = partial(vops.SqueezeExcitation, scale_activation=nn.Hardsigmoid)


class InvertedResidual(nn.Module):
    """1x1 expansion (skipped when it would not change the channels), depthwise convolution,
    optional squeeze-and-excitation, linear 1x1 projection; the input is added back when the
    shapes allow (stride 1 and as many output channels as input channels).

    Args:
        cnf: the block's configuration.
        norm_layer: normalization after each convolution, called with the channel count.
        se_layer: builds the squeeze-and-excitation from ``(channels, squeeze_channels)``;
            default :class:`vops.SqueezeExcitation` with a hard-sigmoid gate.

    Shape:
        input ``Tensor[N, cnf.input_channels, H, W]``; output
        ``Tensor[N, cnf.out_channels, H / s, W / s]`` with ``s`` the effective stride.
    """

    def __init__(
        self,
        cnf: InvertedResidualConfig,
        norm_layer: NormLayer,
        se_layer: Callable[[int, int], nn.Module] = HARD_SQUEEZE_EXCITATION,
    ) -> None:
        super().__init__()
        if cnf.stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {cnf.stride!r}")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation = nn.Hardswish if cnf.use_hs else nn.ReLU
        conv = partial(vops.Conv2dNormActivation, norm_layer=norm_layer)
        layers: list[nn.Module] = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(
                conv(
                    cnf.input_channels,
                    cnf.expanded_channels,
                    kernel_size=1,
                    activation_layer=activation,
                )
            )
        layers.append(
            conv(
                cnf.expanded_channels,
                cnf.expanded_channels,
                kernel_size=cnf.kernel,
                # a dilated block keeps the resolution: dilation replaces the stride
                stride=1 if cnf.dilation > 1 else cnf.stride,
                dilation=cnf.dilation,
                groups=cnf.expanded_channels,
                activation_layer=activation,
            )
        )
        if cnf.use_se:
            squeeze_channels = make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels))
        layers.append(
            conv(cnf.expanded_channels, cnf.out_channels, kernel_size=1, activation_layer=None)
        )
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        # marks the first block of a stage, where detection and segmentation heads tap features
        self._is_cn = cnf.stride > 1

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result += input
        return result


class MobileNetV3(nn.Module):
    """MobileNetV3: a 3x3 stride-2 stem (hard swish), the inverted residual blocks, a 1x1
    convolution to six times the last block's channels, global average pooling and a classifier
    (linear to ``last_channel``, hard swish, dropout, linear).

    Args:
        inverted_residual_setting: the blocks, as :func:`mobilenet_v3_config` gives them.
        last_channel: width of the classifier's hidden layer.
        num_classes: outputs of the classifier.
        block: builds a block from ``(config, norm_layer)``; default :class:`InvertedResidual`.
        norm_layer: normalization module, called with the channel count; default
            :class:`torch.nn.BatchNorm2d` with ``eps=0.001, momentum=0.01``.
        dropout: dropout probability before the last linear layer.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        inverted_residual_setting: Sequence[InvertedResidualConfig],
        last_channel: int,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        if (
            not isinstance(inverted_residual_setting, Sequence)
            or not inverted_residual_setting
            or not all(isinstance(c, InvertedResidualConfig) for c in inverted_residual_setting)
        ):
            raise ValueError(
                "inverted_residual_setting must be a non-empty list of InvertedResidualConfig "
                f"(see mobilenet_v3_config), got {inverted_residual_setting!r}"
            )
        for name, value in [("last_channel", last_channel), ("num_classes", num_classes)]:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        block = block or InvertedResidual
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)

        first = inverted_residual_setting[0].input_channels
        last = inverted_residual_setting[-1].out_channels
        conv = partial(
            vops.Conv2dNormActivation, norm_layer=norm_layer, activation_layer=nn.Hardswish
        )
        self.features = nn.Sequential(
            conv(3, first, kernel_size=3, stride=2),
            *[block(cnf, norm_layer) for cnf in inverted_residual_setting],
            conv(last, 6 * last, kernel_size=1),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(6 * last, last_channel),
            nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True),
            nn.Linear(last_channel, num_classes),
        )

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


_COMMON_META = {"min_size": (1, 1), "categories": IMAGENET_CATEGORIES}
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification"


class MobileNet_V3_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 5483032,
            "recipe": f"{_RECIPE}#mobilenetv3-large--small",
            "_metrics": {"ImageNet-1K": {"acc@1": 74.042, "acc@5": 91.34}},
            "_ops": 0.217,
            "_file_size": 21.114,
            "_docs": "Trained from scratch with the plain recipe linked in recipe.",
        },
    )
    IMAGENET1K_V2 = Weights(
        url="https://download.pytorch.org/models/mobilenet_v3_large-5c1a4163.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 5483032,
            "recipe": "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning",
            "_metrics": {"ImageNet-1K": {"acc@1": 75.274, "acc@5": 92.566}},
            "_ops": 0.217,
            "_file_size": 21.107,
            "_docs": "A little above the paper's accuracy: torchvision's newer recipe, adapted.",
        },
    )
    DEFAULT = IMAGENET1K_V2


class MobileNet_V3_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "num_params": 2542856,
            "recipe": f"{_RECIPE}#mobilenetv3-large--small",
            "_metrics": {"ImageNet-1K": {"acc@1": 67.668, "acc@5": 87.402}},
            "_ops": 0.057,
            "_file_size": 9.829,
            "_docs": "Above the paper's accuracy, with the plain recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


def _mobilenet_v3_stages(model: nn.Module) -> list[str]:
    # The block before each stage's first (strided) block, then the last convolution.
    features = list(model.features)
    starts = [i for i, layer in enumerate(features) if getattr(layer, "_is_cn", False)]
    return [f"features.{i - 1}" for i in starts] + [f"features.{len(features) - 1}"]


# The last block at each resolution: reductions 2, 4, 8, 16, 32.
MOBILENET_V3_FEATURES = FeatureSpec(_mobilenet_v3_stages)


def _mobilenet_v3(
    request: BuildRequest,
    arch: str,
    width_mult: float,
    reduced_tail: bool,
    dilated: bool,
    last_channel: int | None,
    **kwargs,
) -> MobileNetV3:
    setting, default_last_channel = mobilenet_v3_config(arch, width_mult, reduced_tail, dilated)
    return build_model(
        request,
        MobileNetV3,
        inverted_residual_setting=setting,
        last_channel=default_last_channel if last_channel is None else last_channel,
        **kwargs,
    )


@model_builder(
    task="classification", weights=MobileNet_V3_Large_Weights, features=MOBILENET_V3_FEATURES
)
def mobilenet_v3_large(
    request: BuildRequest,
    *,
    width_mult: float = 1.0,
    reduced_tail: bool = False,
    dilated: bool = False,
    last_channel: int | None = None,
    **kwargs,
) -> MobileNetV3:
    """MobileNetV3-Large from "Searching for MobileNetV3" (Howard et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``width_mult``, ``reduced_tail`` and ``dilated`` shape the blocks (see
    :func:`mobilenet_v3_config`); ``last_channel`` overrides the classifier's hidden width;
    ``kwargs`` (``num_classes``, ``dropout``, ``norm_layer``, ``block``) go to
    :class:`MobileNetV3`.
    """
    return _mobilenet_v3(
        request, "mobilenet_v3_large", width_mult, reduced_tail, dilated, last_channel, **kwargs
    )


@model_builder(
    task="classification", weights=MobileNet_V3_Small_Weights, features=MOBILENET_V3_FEATURES
)
def mobilenet_v3_small(
    request: BuildRequest,
    *,
    width_mult: float = 1.0,
    reduced_tail: bool = False,
    dilated: bool = False,
    last_channel: int | None = None,
    **kwargs,
) -> MobileNetV3:
    """MobileNetV3-Small from "Searching for MobileNetV3" (Howard et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``width_mult``, ``reduced_tail`` and ``dilated`` shape the blocks (see
    :func:`mobilenet_v3_config`); ``last_channel`` overrides the classifier's hidden width;
    ``kwargs`` (``num_classes``, ``dropout``, ``norm_layer``, ``block``) go to
    :class:`MobileNetV3`.
    """
    return _mobilenet_v3(
        request, "mobilenet_v3_small", width_mult, reduced_tail, dilated, last_channel, **kwargs
    )
