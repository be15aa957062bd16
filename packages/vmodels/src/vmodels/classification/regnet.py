"""RegNetX and RegNetY: networks whose stage widths and depths follow from a quantised linear
rule of four numbers (depth, initial width, slope, log-space step), built from residual
bottleneck blocks with grouped 3x3 convolutions; RegNetY adds squeeze-and-excitation.

Module and parameter names follow torchvision's layout (``stem``,
``trunk_output.block<s>.block<s>-<i>.{proj,f.a,f.b,f.se,f.c}``, ``fc``), so its checkpoints load
with ``strict=True``.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for the ImageNet weights (384x384 for the SWAG end-to-end ones;
any size works: global average pooling); output ``Tensor[N, num_classes]`` of logits.
"""

import math
from collections import OrderedDict
from collections.abc import Callable
from itertools import groupby

import torch
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from ..backbones import FeatureSpec
from .mobilenetv2 import make_divisible
from .regnet_weights import (
    RegNet_X_1_6GF_Weights,
    RegNet_X_3_2GF_Weights,
    RegNet_X_8GF_Weights,
    RegNet_X_16GF_Weights,
    RegNet_X_32GF_Weights,
    RegNet_X_400MF_Weights,
    RegNet_X_800MF_Weights,
    RegNet_Y_1_6GF_Weights,
    RegNet_Y_3_2GF_Weights,
    RegNet_Y_8GF_Weights,
    RegNet_Y_16GF_Weights,
    RegNet_Y_32GF_Weights,
    RegNet_Y_128GF_Weights,
    RegNet_Y_400MF_Weights,
    RegNet_Y_800MF_Weights,
)

Layer = Callable[..., nn.Module]

# The published models' design parameters (Radosavovic et al., 2020, appendix): depth d,
# initial width w_0, slope w_a, log-space step w_m, group width g; RegNetY adds SE at 1/4.
REGNET_SETTINGS: dict[str, dict[str, float]] = {
    "regnet_y_400mf": dict(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25),
    "regnet_y_800mf": dict(depth=14, w_0=56, w_a=38.84, w_m=2.4, group_width=16, se_ratio=0.25),
    "regnet_y_1_6gf": dict(depth=27, w_0=48, w_a=20.71, w_m=2.65, group_width=24, se_ratio=0.25),
    "regnet_y_3_2gf": dict(depth=21, w_0=80, w_a=42.63, w_m=2.66, group_width=24, se_ratio=0.25),
    "regnet_y_8gf": dict(depth=17, w_0=192, w_a=76.82, w_m=2.19, group_width=56, se_ratio=0.25),
    "regnet_y_16gf": dict(depth=18, w_0=200, w_a=106.23, w_m=2.48, group_width=112, se_ratio=0.25),
    "regnet_y_32gf": dict(depth=20, w_0=232, w_a=115.89, w_m=2.53, group_width=232, se_ratio=0.25),
    "regnet_y_128gf": dict(depth=27, w_0=456, w_a=160.83, w_m=2.52, group_width=264, se_ratio=0.25),
    "regnet_x_400mf": dict(depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16),
    "regnet_x_800mf": dict(depth=16, w_0=56, w_a=35.73, w_m=2.28, group_width=16),
    "regnet_x_1_6gf": dict(depth=18, w_0=80, w_a=34.01, w_m=2.25, group_width=24),
    "regnet_x_3_2gf": dict(depth=25, w_0=88, w_a=26.31, w_m=2.25, group_width=48),
    "regnet_x_8gf": dict(depth=23, w_0=80, w_a=49.56, w_m=2.88, group_width=120),
    "regnet_x_16gf": dict(depth=22, w_0=216, w_a=55.59, w_m=2.1, group_width=128),
    "regnet_x_32gf": dict(depth=23, w_0=320, w_a=69.86, w_m=2.0, group_width=168),
}


class SimpleStemIN(vops.Conv2dNormActivation):
    """The ImageNet stem: a 3x3 stride-2 convolution, normalization and activation."""

    def __init__(
        self, width_in: int, width_out: int, norm_layer: Layer, activation_layer: Layer
    ) -> None:
        super().__init__(
            width_in,
            width_out,
            kernel_size=3,
            stride=2,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )


class BottleneckTransform(nn.Sequential):
    """The residual branch: 1x1 to ``round(width_out * bottleneck_multiplier)`` channels (``a``),
    a grouped 3x3 at ``stride`` with ``group_width`` channels per group (``b``), optional
    squeeze-and-excitation (``se``) and a 1x1 to ``width_out`` without activation (``c``)."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer: Layer,
        activation_layer: Layer,
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None,
    ) -> None:
        width = round(width_out * bottleneck_multiplier)
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["a"] = vops.Conv2dNormActivation(
            width_in, width, 1, norm_layer=norm_layer, activation_layer=activation_layer
        )
        layers["b"] = vops.Conv2dNormActivation(
            width,
            width,
            3,
            stride,
            groups=width // group_width,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
        )
        if se_ratio:
            # The squeeze width is relative to the block's input, not to the bottleneck.
            squeeze = round(se_ratio * width_in)
            layers["se"] = vops.SqueezeExcitation(width, squeeze, activation=activation_layer)
        layers["c"] = vops.Conv2dNormActivation(
            width, width_out, 1, norm_layer=norm_layer, activation_layer=None
        )
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """``activation(shortcut(x) + f(x))`` with ``f`` a :class:`BottleneckTransform`; the shortcut
    is a strided 1x1 projection with normalization (``proj``) where the shape changes, else the
    identity.

    Args:
        width_in: input channels.
        width_out: output channels.
        stride: stride of the 3x3 convolution (and of the projection).
        norm_layer: normalization, called with the channel count.
        activation_layer: activation class, called with ``inplace``.
        group_width: channels per group of the 3x3 convolution.
        bottleneck_multiplier: bottleneck width over ``width_out``.
        se_ratio: squeeze width over ``width_in``; None (or 0) for no squeeze-and-excitation.

    Shape:
        input ``Tensor[N, width_in, H, W]``; output ``Tensor[N, width_out, H / stride,
        W / stride]`` (rounded up).
    """

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer: Layer,
        activation_layer: Layer,
        group_width: int = 1,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
    ) -> None:
        super().__init__()
        self.proj: nn.Module | None = None
        if width_in != width_out or stride != 1:
            self.proj = vops.Conv2dNormActivation(
                width_in, width_out, 1, stride, norm_layer=norm_layer, activation_layer=None
            )
        self.f = BottleneckTransform(
            width_in,
            width_out,
            stride,
            norm_layer,
            activation_layer,
            group_width,
            bottleneck_multiplier,
            se_ratio,
        )
        self.activation = activation_layer(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        shortcut = x if self.proj is None else self.proj(x)
        return self.activation(shortcut + self.f(x))


class AnyStage(nn.Sequential):
    """``depth`` blocks named ``block<stage_index>-<i>``; the first changes the width and applies
    the stride, the others keep the shape."""

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        depth: int,
        block_constructor: Layer,
        norm_layer: Layer,
        activation_layer: Layer,
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None = None,
        stage_index: int = 0,
    ) -> None:
        super().__init__()
        for i in range(depth):
            block = block_constructor(
                width_out if i else width_in,
                width_out,
                1 if i else stride,
                norm_layer,
                activation_layer,
                group_width,
                bottleneck_multiplier,
                se_ratio,
            )
            self.add_module(f"block{stage_index}-{i}", block)


def _quantized_block_widths(depth: int, w_0: int, w_a: float, w_m: float) -> list[int]:
    """Each block's width: the linear ramp ``w_0 + w_a * j`` snapped, in log space, to the nearest
    power of ``w_m`` times ``w_0``, then to a multiple of 8."""
    # In float32 on the CPU (whatever the default device, meta included): the published
    # widths were computed so, and float64 rounds some half-way cases the other way.
    ramp = torch.arange(depth, dtype=torch.float32, device="cpu") * w_a + w_0
    steps = torch.round(torch.log(ramp / w_0) / math.log(w_m))
    return (torch.round(w_0 * torch.pow(w_m, steps) / 8) * 8).int().tolist()


class BlockParams:
    """Per-stage settings of a RegNet (all lists have one entry per stage).

    Args:
        depths: blocks per stage.
        widths: output channels of each stage.
        group_widths: channels per group of each stage's 3x3 convolutions.
        bottleneck_multipliers: bottleneck width over the stage width.
        strides: stride of each stage's first block.
        se_ratio: squeeze width over each block's input width; None for no
            squeeze-and-excitation.
    """

    def __init__(
        self,
        depths: list[int],
        widths: list[int],
        group_widths: list[int],
        bottleneck_multipliers: list[float],
        strides: list[int],
        se_ratio: float | None = None,
    ) -> None:
        lengths = {len(v) for v in (depths, widths, group_widths, bottleneck_multipliers, strides)}
        if len(lengths) != 1:
            raise ValueError(
                "depths, widths, group_widths, bottleneck_multipliers and strides must have one "
                f"entry per stage each, got lengths {[len(depths), len(widths), len(group_widths)]}"
                f" and {[len(bottleneck_multipliers), len(strides)]}"
            )
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(
        cls,
        depth: int,
        w_0: int,
        w_a: float,
        w_m: float,
        group_width: int,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
        **kwargs: object,
    ) -> "BlockParams":
        """The stages of the RegNet with these design parameters.

        Block ``j`` of ``depth`` gets width ``w_0 * w_m ** round(log_{w_m}(1 + w_a * j / w_0))``
        rounded to a multiple of 8; consecutive blocks of one width form a stage (stride 2).
        Each stage's bottleneck width is then rounded to a multiple of its group width (the
        group width capped at the bottleneck width) and the stage width recomputed from it.

        Args:
            depth: total number of blocks.
            w_0: initial width, a positive multiple of 8.
            w_a: slope of the linear width ramp, >= 0.
            w_m: log-space width step, > 1.
            group_width: channels per group of the 3x3 convolutions.
            bottleneck_multiplier: bottleneck width over the stage width.
            se_ratio: squeeze-and-excitation ratio (None for RegNetX).
            kwargs: ignored, so a builder's keyword arguments can be passed through.
        """
        del kwargs
        if not isinstance(depth, int) or depth <= 0:
            raise ValueError(f"depth must be a positive int, got {depth!r}")
        if not isinstance(w_0, int) or w_0 <= 0 or w_0 % 8:
            raise ValueError(f"w_0 must be a positive multiple of 8, got {w_0!r}")
        if w_a < 0:
            raise ValueError(f"w_a must be >= 0, got {w_a!r}")
        if w_m <= 1:
            raise ValueError(f"w_m must be > 1, got {w_m!r}")
        if not isinstance(group_width, int) or group_width <= 0:
            raise ValueError(f"group_width must be a positive int, got {group_width!r}")
        if bottleneck_multiplier <= 0:
            raise ValueError(f"bottleneck_multiplier must be > 0, got {bottleneck_multiplier!r}")

        # The widths never decrease, so runs of equal widths are the stages.
        runs = [
            (w, len(list(g))) for w, g in groupby(_quantized_block_widths(depth, w_0, w_a, w_m))
        ]
        widths, group_widths = [], []
        for width, _ in runs:
            bottleneck = int(width * bottleneck_multiplier)
            group = min(group_width, bottleneck)
            widths.append(int(make_divisible(bottleneck, group) / bottleneck_multiplier))
            group_widths.append(group)
        return cls(
            depths=[n for _, n in runs],
            widths=widths,
            group_widths=group_widths,
            bottleneck_multipliers=[bottleneck_multiplier] * len(runs),
            strides=[2] * len(runs),
            se_ratio=se_ratio,
        )


class RegNet(nn.Module):
    """RegNet: a stem, the stages of ``block_params`` (``trunk_output.block1`` ...), global
    average pooling and a linear classifier ``fc``.

    Args:
        block_params: the stages (see :meth:`BlockParams.from_init_params`).
        num_classes: outputs of the classifier.
        stem_width: output channels of the stem.
        stem_type: builds the stem from ``(3, stem_width, norm_layer, activation)``; default
            :class:`SimpleStemIN`.
        block_type: builds each block (arguments as :class:`ResBottleneckBlock`'s); default
            :class:`ResBottleneckBlock`.
        norm_layer: normalization module, called with the channel count; default
            :class:`torch.nn.BatchNorm2d`.
        activation: activation class; default :class:`torch.nn.ReLU`.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        block_params: BlockParams,
        num_classes: int = 1000,
        stem_width: int = 32,
        stem_type: Layer | None = None,
        block_type: Layer | None = None,
        norm_layer: Layer | None = None,
        activation: Layer | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(block_params, BlockParams):
            raise ValueError(f"block_params must be a BlockParams, got {block_params!r}")
        for name, value in [("num_classes", num_classes), ("stem_width", stem_width)]:
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        stem_type = stem_type or SimpleStemIN
        block_type = block_type or ResBottleneckBlock
        norm_layer = norm_layer or nn.BatchNorm2d
        activation = activation or nn.ReLU

        self.stem = stem_type(3, stem_width, norm_layer, activation)
        stages: OrderedDict[str, nn.Module] = OrderedDict()
        width_in = stem_width
        settings = zip(
            block_params.widths,
            block_params.strides,
            block_params.depths,
            block_params.group_widths,
            block_params.bottleneck_multipliers,
            strict=True,
        )
        for index, (width, stride, depth, group_width, multiplier) in enumerate(settings, 1):
            stages[f"block{index}"] = AnyStage(
                width_in,
                width,
                stride,
                depth,
                block_type,
                norm_layer,
                activation,
                group_width,
                multiplier,
                block_params.se_ratio,
                stage_index=index,
            )
            width_in = width
        self.trunk_output = nn.Sequential(stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width_in, num_classes)

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                # std sqrt(2 / (k * k * out_channels)), the squeeze-and-excitation convs included
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, mean=0.0, std=0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.trunk_output(self.stem(x))
        x = self.avgpool(x).flatten(start_dim=1)
        return self.fc(x)


def block_params_of(name: str) -> BlockParams:
    """The stages of the published model ``name`` (a key of :data:`REGNET_SETTINGS`)."""
    if name not in REGNET_SETTINGS:
        raise ValueError(f"name must be one of {sorted(REGNET_SETTINGS)}, got {name!r}")
    return BlockParams.from_init_params(**REGNET_SETTINGS[name])


def _regnet_stages(model: nn.Module) -> list[str]:
    return ["stem"] + [f"trunk_output.{name}" for name, _ in model.trunk_output.named_children()]


# The stem, then every stage: reductions 2, 4, 8, 16, 32.
REGNET_FEATURES = FeatureSpec(_regnet_stages)


@model_builder(task="classification", weights=RegNet_Y_400MF_Weights, features=REGNET_FEATURES)
def regnet_y_400mf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-400MF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_400mf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_800MF_Weights, features=REGNET_FEATURES)
def regnet_y_800mf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-800MF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_800mf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_1_6GF_Weights, features=REGNET_FEATURES)
def regnet_y_1_6gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-1.6GF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_1_6gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_3_2GF_Weights, features=REGNET_FEATURES)
def regnet_y_3_2gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-3.2GF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_3_2gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_8GF_Weights, features=REGNET_FEATURES)
def regnet_y_8gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-8GF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_8gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_16GF_Weights, features=REGNET_FEATURES)
def regnet_y_16gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-16GF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights,
    384x384 for the SWAG end-to-end ones).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_16gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_32GF_Weights, features=REGNET_FEATURES)
def regnet_y_32gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-32GF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights,
    384x384 for the SWAG end-to-end ones).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_32gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_Y_128GF_Weights, features=REGNET_FEATURES)
def regnet_y_128gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetY-128GF from "Designing Network Design Spaces" (Radosavovic et al., 2020), with
    squeeze-and-excitation.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (384x384 for the SWAG end-to-end
    weights, 224x224 for the linear ones).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_y_128gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_400MF_Weights, features=REGNET_FEATURES)
def regnet_x_400mf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-400MF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_400mf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_800MF_Weights, features=REGNET_FEATURES)
def regnet_x_800mf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-800MF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_800mf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_1_6GF_Weights, features=REGNET_FEATURES)
def regnet_x_1_6gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-1.6GF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_1_6gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_3_2GF_Weights, features=REGNET_FEATURES)
def regnet_x_3_2gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-3.2GF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_3_2gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_8GF_Weights, features=REGNET_FEATURES)
def regnet_x_8gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-8GF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_8gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_16GF_Weights, features=REGNET_FEATURES)
def regnet_x_16gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-16GF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_16gf"), **kwargs)


@model_builder(task="classification", weights=RegNet_X_32GF_Weights, features=REGNET_FEATURES)
def regnet_x_32gf(request: BuildRequest, **kwargs) -> RegNet:
    """RegNetX-32GF from "Designing Network Design Spaces" (Radosavovic et al., 2020).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``norm_layer``, ...) go to :class:`RegNet`.
    """
    return build_model(request, RegNet, block_params=block_params_of("regnet_x_32gf"), **kwargs)
