"""EfficientNet B0-B7 and EfficientNetV2 S/M/L: stages of MBConv blocks (1x1 expansion, depthwise
convolution, squeeze-and-excitation, linear 1x1 projection) and, in V2's early stages, Fused-MBConv
blocks (one full convolution in place of the expansion and the depthwise one), with stochastic
depth growing linearly along the network.

Parameter and buffer names follow torchvision's layout (``features.<stage>.<block>.block...``,
``classifier.1``), so its checkpoints load with ``strict=True``.

Input ``Tensor[N, 3, H, W]`` RGB, normalized as the weights' transforms say (the ImageNet mean and
std, but 0.5 and 0.5 for EfficientNetV2-L), at the crop size they record (any size works: global
average pooling); output ``Tensor[N, num_classes]`` of logits.
"""

import copy
import math
from collections.abc import Callable, Sequence
from functools import partial

import torch
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from ..backbones import FeatureSpec
from .efficientnet_weights import (
    EfficientNet_B0_Weights,
    EfficientNet_B1_Weights,
    EfficientNet_B2_Weights,
    EfficientNet_B3_Weights,
    EfficientNet_B4_Weights,
    EfficientNet_B5_Weights,
    EfficientNet_B6_Weights,
    EfficientNet_B7_Weights,
    EfficientNet_V2_L_Weights,
    EfficientNet_V2_M_Weights,
    EfficientNet_V2_S_Weights,
)
from .mobilenetv2 import make_divisible

NormLayer = Callable[[int], nn.Module]


class _MBConvConfig:
    """One stage: ``num_layers`` blocks of type ``block``, the first going from
    ``input_channels`` to ``out_channels`` at ``stride``, the others keeping ``out_channels`` at
    stride 1; each expands its input ``expand_ratio`` times and convolves with a ``kernel``-sized
    kernel."""

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        block: Callable[..., nn.Module],
    ) -> None:
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride!r}")
        for name, value in [
            ("kernel", kernel),
            ("input_channels", input_channels),
            ("out_channels", out_channels),
            ("num_layers", num_layers),
        ]:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not isinstance(expand_ratio, (int, float)) or expand_ratio <= 0:
            raise ValueError(f"expand_ratio must be a positive number, got {expand_ratio!r}")
        self.expand_ratio = expand_ratio
        self.kernel = kernel
        self.stride = stride
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.block = block

    @staticmethod
    def adjust_channels(channels: float, width_mult: float, min_value: int | None = None) -> int:
        """``channels * width_mult`` rounded to a multiple of 8 (see :func:`make_divisible`)."""
        return make_divisible(channels * width_mult, 8, min_value)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(expand_ratio={self.expand_ratio}, kernel={self.kernel}, "
            f"stride={self.stride}, input_channels={self.input_channels}, "
            f"out_channels={self.out_channels}, num_layers={self.num_layers}, "
            f"block={getattr(self.block, '__name__', self.block)})"
        )


class MBConvConfig(_MBConvConfig):
    """A stage of MBConv blocks (a row of Table 1 of the EfficientNet paper), channels scaled by
    ``width_mult`` (rounded to multiples of 8) and repeats by ``depth_mult`` (rounded up).

    Args:
        expand_ratio: expanded channels over input channels.
        kernel: side of the depthwise convolution's kernel.
        stride: stride of the stage's first block, 1 or 2.
        input_channels, out_channels: channels before and after the stage (before scaling).
        num_layers: blocks in the stage (before scaling).
        width_mult, depth_mult: the compound-scaling multipliers.
        block: builds a block from ``(config, stochastic_depth_prob, norm_layer)``; default
            :class:`MBConv`.
    """

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        block: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__(
            expand_ratio,
            kernel,
            stride,
            self.adjust_channels(input_channels, width_mult),
            self.adjust_channels(out_channels, width_mult),
            self.adjust_depth(num_layers, depth_mult),
            block or MBConv,
        )

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        """``num_layers * depth_mult`` rounded up."""
        return math.ceil(num_layers * depth_mult)


class FusedMBConvConfig(_MBConvConfig):
    """A stage of Fused-MBConv blocks (a row of Table 4 of the EfficientNetV2 paper); the
    arguments are :class:`MBConvConfig`'s, unscaled, with ``block`` default
    :class:`FusedMBConv`."""

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        block: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__(
            expand_ratio,
            kernel,
            stride,
            input_channels,
            out_channels,
            num_layers,
            block or FusedMBConv,
        )


class _ResidualBlock(nn.Module):
    """What both block kinds share: the branch ``layers`` as ``self.block`` and, at stride 1
    with as many output channels as input channels, the input added back after stochastic depth
    (one draw per sample) drops the branch."""

    def __init__(
        self, cnf: _MBConvConfig, stochastic_depth_prob: float, layers: list[nn.Module]
    ) -> None:
        super().__init__()
        if cnf.stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {cnf.stride!r}")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = vops.StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels
        self.stride = cnf.stride

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


def _conv_silu(
    in_channels: int,
    out_channels: int,
    norm_layer: NormLayer,
    kernel_size: int = 1,
    stride: int = 1,
    groups: int = 1,
    activation: bool = True,
) -> vops.Conv2dNormActivation:
    return vops.Conv2dNormActivation(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        groups=groups,
        norm_layer=norm_layer,
        activation_layer=nn.SiLU if activation else None,
    )


class MBConv(_ResidualBlock):
    """1x1 expansion (skipped when it would not change the channels), depthwise convolution,
    squeeze-and-excitation to a quarter of the input channels (SiLU, sigmoid gate), linear 1x1
    projection; SiLU after the other convolutions.

    Args:
        cnf: the block's configuration (its stage's, with this block's input and stride).
        stochastic_depth_prob: probability of dropping the residual branch in training.
        norm_layer: normalization after each convolution, called with the channel count.
        se_layer: builds the squeeze-and-excitation from ``(channels, squeeze_channels,
            activation=...)``; default :class:`vops.SqueezeExcitation`.

    Shape:
        input ``Tensor[N, cnf.input_channels, H, W]``; output
        ``Tensor[N, cnf.out_channels, H / cnf.stride, W / cnf.stride]``.
    """

    def __init__(
        self,
        cnf: _MBConvConfig,
        stochastic_depth_prob: float,
        norm_layer: NormLayer,
        se_layer: Callable[..., nn.Module] = vops.SqueezeExcitation,
    ) -> None:
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list[nn.Module] = []
        if expanded != cnf.input_channels:
            layers.append(_conv_silu(cnf.input_channels, expanded, norm_layer))
        layers += [
            _conv_silu(expanded, expanded, norm_layer, cnf.kernel, cnf.stride, groups=expanded),
            se_layer(
                expanded,
                max(1, cnf.input_channels // 4),
                activation=partial(nn.SiLU, inplace=True),
            ),
            _conv_silu(expanded, cnf.out_channels, norm_layer, activation=False),
        ]
        super().__init__(cnf, stochastic_depth_prob, layers)


class FusedMBConv(_ResidualBlock):
    """A full ``kernel``-sized convolution to the expanded channels (SiLU), then a linear 1x1
    projection; without expansion, the one convolution goes straight to the output channels
    (SiLU).

    Args:
        cnf: the block's configuration (its stage's, with this block's input and stride).
        stochastic_depth_prob: probability of dropping the residual branch in training.
        norm_layer: normalization after each convolution, called with the channel count.

    Shape:
        input ``Tensor[N, cnf.input_channels, H, W]``; output
        ``Tensor[N, cnf.out_channels, H / cnf.stride, W / cnf.stride]``.
    """

    def __init__(
        self, cnf: _MBConvConfig, stochastic_depth_prob: float, norm_layer: NormLayer
    ) -> None:
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [
                _conv_silu(cnf.input_channels, expanded, norm_layer, cnf.kernel, cnf.stride),
                _conv_silu(expanded, cnf.out_channels, norm_layer, activation=False),
            ]
        else:
            layers = [
                _conv_silu(cnf.input_channels, cnf.out_channels, norm_layer, cnf.kernel, cnf.stride)
            ]
        super().__init__(cnf, stochastic_depth_prob, layers)


class EfficientNet(nn.Module):
    """EfficientNet (V1 and V2): a 3x3 stride-2 stem (SiLU), one ``nn.Sequential`` of blocks per
    stage, a 1x1 convolution (SiLU), global average pooling, dropout and a linear classifier.

    Block ``k`` of ``K`` (counted over all stages from 0) drops its residual branch with
    probability ``stochastic_depth_prob * k / K`` in training.

    Args:
        inverted_residual_setting: the stages, as :class:`MBConvConfig` /
            :class:`FusedMBConvConfig`.
        dropout: dropout probability before the classifier.
        stochastic_depth_prob: the drop probability the last blocks approach.
        num_classes: outputs of the classifier.
        norm_layer: normalization module, called with the channel count; default
            :class:`torch.nn.BatchNorm2d`.
        last_channel: channels of the last convolution; default four times the last stage's.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        inverted_residual_setting: Sequence[_MBConvConfig],
        dropout: float,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
        norm_layer: Callable[..., nn.Module] | None = None,
        last_channel: int | None = None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(inverted_residual_setting, Sequence)
            or not inverted_residual_setting
            or not all(isinstance(c, _MBConvConfig) for c in inverted_residual_setting)
        ):
            raise ValueError(
                "inverted_residual_setting must be a non-empty list of MBConvConfig or "
                f"FusedMBConvConfig, got {inverted_residual_setting!r}"
            )
        for name, p in [("dropout", dropout), ("stochastic_depth_prob", stochastic_depth_prob)]:
            if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if last_channel is not None and (
            not isinstance(last_channel, int) or isinstance(last_channel, bool) or last_channel <= 0
        ):
            raise ValueError(f"last_channel must be a positive int or None, got {last_channel!r}")
        norm_layer = norm_layer or nn.BatchNorm2d

        layers: list[nn.Module] = [
            _conv_silu(3, inverted_residual_setting[0].input_channels, norm_layer, 3, 2)
        ]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list[nn.Module] = []
            for i in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if i > 0:
                    block_cnf.input_channels = cnf.out_channels
                    block_cnf.stride = 1
                p = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(cnf.block(block_cnf, p, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 4 * last_in if last_channel is None else last_channel
        layers.append(_conv_silu(last_in, last_out, norm_layer))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes)
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
                bound = 1.0 / math.sqrt(module.out_features)
                nn.init.uniform_(module.weight, -bound, bound)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


# Expansion, kernel, stride, input and output channels, repeats of the B0 stages (Table 1).
_V1_STAGES = [
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
]
# EfficientNetV2's stages (Table 4 and the M/L configurations): fused or not, then as above.
_V2_STAGES: dict[str, list[tuple[bool, int, int, int, int, int, int]]] = {
    "s": [
        (True, 1, 3, 1, 24, 24, 2),
        (True, 4, 3, 2, 24, 48, 4),
        (True, 4, 3, 2, 48, 64, 4),
        (False, 4, 3, 2, 64, 128, 6),
        (False, 6, 3, 1, 128, 160, 9),
        (False, 6, 3, 2, 160, 256, 15),
    ],
    "m": [
        (True, 1, 3, 1, 24, 24, 3),
        (True, 4, 3, 2, 24, 48, 5),
        (True, 4, 3, 2, 48, 80, 5),
        (False, 4, 3, 2, 80, 160, 7),
        (False, 6, 3, 1, 160, 176, 14),
        (False, 6, 3, 2, 176, 304, 18),
        (False, 6, 3, 1, 304, 512, 5),
    ],
    "l": [
        (True, 1, 3, 1, 32, 32, 4),
        (True, 4, 3, 2, 32, 64, 7),
        (True, 4, 3, 2, 64, 96, 7),
        (False, 4, 3, 2, 96, 192, 10),
        (False, 6, 3, 1, 192, 224, 19),
        (False, 6, 3, 2, 224, 384, 25),
        (False, 6, 3, 1, 384, 640, 7),
    ],
}
# The checkpoints' batch-norm settings: B5-B7 were ported from TensorFlow's, V2 trained with them.
_TF_BATCH_NORM = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_V2_DEFAULTS = {"norm_layer": partial(nn.BatchNorm2d, eps=1e-03), "last_channel": 1280}


def efficientnet_v1_setting(width_mult: float, depth_mult: float) -> list[MBConvConfig]:
    """The stages of EfficientNet-B0 scaled by ``width_mult`` (channels) and ``depth_mult``
    (repeats): B1 is ``(1.0, 1.1)``, ..., B7 ``(2.0, 3.1)``."""
    for name, value in [("width_mult", width_mult), ("depth_mult", depth_mult)]:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    return [MBConvConfig(*row, width_mult, depth_mult) for row in _V1_STAGES]


def efficientnet_v2_setting(size: str) -> list[_MBConvConfig]:
    """The stages of EfficientNetV2-S, -M or -L (``size`` ``"s"``, ``"m"`` or ``"l"``)."""
    if size not in _V2_STAGES:
        raise ValueError(f"size must be one of {sorted(_V2_STAGES)}, got {size!r}")
    return [
        FusedMBConvConfig(*row) if fused else MBConvConfig(*row) for fused, *row in _V2_STAGES[size]
    ]


def _efficientnet_stages(model: nn.Module) -> list[str]:
    # The stage before each one that halves the resolution, then the last convolution (blocks
    # of a custom type without a stride are taken as stride 1).
    features = list(model.features)
    starts = [i for i in range(1, len(features) - 1) if getattr(features[i][0], "stride", 1) > 1]
    return [f"features.{i - 1}" for i in starts] + [f"features.{len(features) - 1}"]


# The last module at each resolution: reductions 2, 4, 8, 16, 32.
EFFICIENTNET_FEATURES = FeatureSpec(_efficientnet_stages)


def _efficientnet(
    request: BuildRequest, setting: list[_MBConvConfig], kwargs: dict, **defaults
) -> EfficientNet:
    # The variant's dropout, batch norm and last width are defaults that kwargs override.
    return build_model(
        request, EfficientNet, inverted_residual_setting=setting, **{**defaults, **kwargs}
    )


@model_builder(
    task="classification", weights=EfficientNet_B0_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b0(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B0 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.0, repeats x1.0.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.2``).
    """
    return _efficientnet(request, efficientnet_v1_setting(1.0, 1.0), kwargs, dropout=0.2)


@model_builder(
    task="classification", weights=EfficientNet_B1_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b1(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B1 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.0, repeats x1.1.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (240x240 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.2``).
    """
    return _efficientnet(request, efficientnet_v1_setting(1.0, 1.1), kwargs, dropout=0.2)


@model_builder(
    task="classification", weights=EfficientNet_B2_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b2(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B2 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.1, repeats x1.2.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (288x288 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.3``).
    """
    return _efficientnet(request, efficientnet_v1_setting(1.1, 1.2), kwargs, dropout=0.3)


@model_builder(
    task="classification", weights=EfficientNet_B3_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b3(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B3 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.2, repeats x1.4.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (300x300 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.3``).
    """
    return _efficientnet(request, efficientnet_v1_setting(1.2, 1.4), kwargs, dropout=0.3)


@model_builder(
    task="classification", weights=EfficientNet_B4_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b4(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B4 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.4, repeats x1.8.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (380x380 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.4``).
    """
    return _efficientnet(request, efficientnet_v1_setting(1.4, 1.8), kwargs, dropout=0.4)


@model_builder(
    task="classification", weights=EfficientNet_B5_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b5(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B5 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.6, repeats x2.2.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (456x456 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.4``, batch norm
    ``eps=0.001, momentum=0.01``).
    """
    setting = efficientnet_v1_setting(1.6, 2.2)
    return _efficientnet(request, setting, kwargs, dropout=0.4, norm_layer=_TF_BATCH_NORM)


@model_builder(
    task="classification", weights=EfficientNet_B6_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b6(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B6 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x1.8, repeats x2.6.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (528x528 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.5``, batch norm
    ``eps=0.001, momentum=0.01``).
    """
    setting = efficientnet_v1_setting(1.8, 2.6)
    return _efficientnet(request, setting, kwargs, dropout=0.5, norm_layer=_TF_BATCH_NORM)


@model_builder(
    task="classification", weights=EfficientNet_B7_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_b7(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNet-B7 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural
    Networks" (Tan and Le, 2019): B0 with channels x2.0, repeats x3.1.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (600x600 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.5``, batch norm
    ``eps=0.001, momentum=0.01``).
    """
    setting = efficientnet_v1_setting(2.0, 3.1)
    return _efficientnet(request, setting, kwargs, dropout=0.5, norm_layer=_TF_BATCH_NORM)


@model_builder(
    task="classification", weights=EfficientNet_V2_S_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_v2_s(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNetV2-S from "EfficientNetV2: Smaller Models and Faster Training" (Tan and Le,
    2021).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (384x384 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.2``, batch norm ``eps=0.001``).
    """
    setting = efficientnet_v2_setting("s")
    return _efficientnet(request, setting, kwargs, dropout=0.2, **_V2_DEFAULTS)


@model_builder(
    task="classification", weights=EfficientNet_V2_M_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_v2_m(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNetV2-M from "EfficientNetV2: Smaller Models and Faster Training" (Tan and Le,
    2021).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (480x480 for ImageNet weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.3``, batch norm ``eps=0.001``).
    """
    setting = efficientnet_v2_setting("m")
    return _efficientnet(request, setting, kwargs, dropout=0.3, **_V2_DEFAULTS)


@model_builder(
    task="classification", weights=EfficientNet_V2_L_Weights, features=EFFICIENTNET_FEATURES
)
def efficientnet_v2_l(request: BuildRequest, **kwargs) -> EfficientNet:
    """EfficientNetV2-L from "EfficientNetV2: Smaller Models and Faster Training" (Tan and Le,
    2021).

    Input ``Tensor[N, 3, H, W]``, RGB normalized with mean = std = 0.5 (480x480 for ImageNet
    weights).
    ``kwargs`` go to :class:`EfficientNet` (default ``dropout=0.4``, batch norm ``eps=0.001``).
    """
    setting = efficientnet_v2_setting("l")
    return _efficientnet(request, setting, kwargs, dropout=0.4, **_V2_DEFAULTS)
