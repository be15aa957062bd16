"""ConvNeXt: a ResNet modernised stage by stage towards the vision transformers' design, with
patchify stem, 7x7 depthwise convolutions, inverted bottlenecks of linear layers, GELU, layer
normalization, layer scale and stochastic depth.

Parameter and buffer names follow torchvision's layout (``features.<i>.<j>.block.<k>``,
``features.<i>.<j>.layer_scale``, ``classifier.0`` / ``classifier.2``), so its checkpoints load
with ``strict=True``.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for ImageNet weights (at least 32x32: the stem's stride 4 and three
stride-2 downsamplings); output ``Tensor[N, num_classes]`` of logits. Inputs and models in
``torch.channels_last`` memory format give the same logits; the blocks' permutations to
channels-last are then views, not copies (after the first block, activations have channels-last
strides either way).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


class LayerNorm2d(nn.LayerNorm):
    """Layer normalization over the channels of a channels-first map: each pixel's ``C``
    values are normalized, as :class:`torch.nn.LayerNorm` does on a channels-last tensor.

    Takes :class:`torch.nn.LayerNorm`'s arguments, with ``normalized_shape`` the channel count
    ``C``; its parameters are ``weight`` and ``bias`` of shape ``[C]``.

    Shape:
        input ``Tensor[N, C, H, W]``; output the same shape.
    """

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(
            x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps
        )
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """The ConvNeXt block: 7x7 depthwise convolution, then per pixel layer normalization, a
    linear layer to ``4 * dim`` channels, GELU and a linear layer back to ``dim`` (on a
    channels-last view), scaled per channel by ``layer_scale``, randomly dropped per sample
    with probability ``stochastic_depth_prob`` in training, and added to the input.

    Args:
        dim: input and output channels.
        layer_scale: initial value of the per-channel scale of the residual branch.
        stochastic_depth_prob: probability of dropping the residual branch of a sample.
        norm_layer: the normalization of the channels-last view, called with ``dim``; default
            :class:`torch.nn.LayerNorm` with ``eps=1e-6``.

    Shape:
        input ``Tensor[N, dim, H, W]``; output the same shape.
    """

    def __init__(
        self,
        dim: int,
        layer_scale: float,
        stochastic_depth_prob: float,
        norm_layer: NormLayer | None = None,
    ) -> None:
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            vops.Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(dim, 4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(4 * dim, dim, bias=True),
            vops.Permute([0, 3, 1, 2]),
        )
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), float(layer_scale)))
        self.stochastic_depth = vops.StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input: Tensor) -> Tensor:
        result = self.stochastic_depth(self.layer_scale * self.block(input))
        result += input
        return result


@dataclass
class CNBlockConfig:
    """One stage of a ConvNeXt: ``num_layers`` blocks of ``input_channels`` channels, then a
    downsampling to ``out_channels`` (halving the resolution), or none after the last stage
    (``out_channels=None``)."""

    input_channels: int
    out_channels: int | None
    num_layers: int


def _check_block_setting(block_setting: Sequence[CNBlockConfig]) -> list[CNBlockConfig]:
    rows = list(block_setting) if isinstance(block_setting, (list, tuple)) else []
    valid = all(
        isinstance(row, CNBlockConfig)
        and isinstance(row.input_channels, int)
        and row.input_channels > 0
        and (
            row.out_channels is None or (isinstance(row.out_channels, int) and row.out_channels > 0)
        )
        and isinstance(row.num_layers, int)
        and row.num_layers > 0
        for row in rows
    )
    if not rows or not valid:
        raise ValueError(
            "block_setting must be a non-empty list of CNBlockConfig(input_channels, "
            "out_channels, num_layers) with positive ints (out_channels may be None), "
            f"got {block_setting!r}"
        )
    return rows


class ConvNeXt(nn.Module):
    """ConvNeXt: a 4x4 stride-4 "patchify" convolution with layer normalization, stages of
    ``block`` each followed by a downsampling (layer normalization and a 2x2 stride-2
    convolution), global average pooling, layer normalization and a linear classifier.

    Args:
        block_setting: the stages, as :class:`CNBlockConfig` rows.
        stochastic_depth_prob: drop probability of the last block; it grows linearly from 0 at
            the first block.
        layer_scale: initial value of every block's residual scale.
        num_classes: outputs of the classifier.
        block: the block, called as ``block(channels, layer_scale, stochastic_depth_prob)``;
            default :class:`CNBlock`.
        norm_layer: the channels-first normalization of the stem, the downsamplings and the
            classifier, called with the channel count; default :class:`LayerNorm2d` with
            ``eps=1e-6``. The blocks keep their own normalization.

    Shape:
        input ``Tensor[N, 3, H, W]`` with ``H, W >= 32``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        block_setting: Sequence[CNBlockConfig],
        stochastic_depth_prob: float = 0.0,
        layer_scale: float = 1e-6,
        num_classes: int = 1000,
        block: Callable[..., nn.Module] | None = None,
        norm_layer: NormLayer | None = None,
    ) -> None:
        super().__init__()
        stages = _check_block_setting(block_setting)
        if not isinstance(stochastic_depth_prob, (int, float)) or not (
            0.0 <= stochastic_depth_prob <= 1.0
        ):
            raise ValueError(
                "stochastic_depth_prob must be a probability in [0, 1], "
                f"got {stochastic_depth_prob!r}"
            )
        if not isinstance(layer_scale, (int, float)):
            raise ValueError(f"layer_scale must be a number, got {layer_scale!r}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        block = block or CNBlock
        norm_layer = norm_layer or partial(LayerNorm2d, eps=1e-6)

        layers: list[nn.Module] = [
            vops.Conv2dNormActivation(
                3,
                stages[0].input_channels,
                kernel_size=4,
                stride=4,
                padding=0,
                norm_layer=norm_layer,
                activation_layer=None,
                bias=True,
            )
        ]
        total_blocks = sum(stage.num_layers for stage in stages)
        index = 0
        for stage in stages:
            blocks: list[nn.Module] = []
            for _ in range(stage.num_layers):
                # max(..., 1) keeps a one-block network at drop probability 0, not 0 / 0.
                p = stochastic_depth_prob * index / max(total_blocks - 1.0, 1.0)
                blocks.append(block(stage.input_channels, layer_scale, p))
                index += 1
            layers.append(nn.Sequential(*blocks))
            if stage.out_channels is not None:
                layers.append(
                    nn.Sequential(
                        norm_layer(stage.input_channels),
                        nn.Conv2d(stage.input_channels, stage.out_channels, 2, stride=2),
                    )
                )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = stages[-1].out_channels or stages[-1].input_channels
        self.classifier = nn.Sequential(
            norm_layer(last), nn.Flatten(1), nn.Linear(last, num_classes)
        )

        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)))


_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (32, 32),
    "recipe": "https://github.com/pytorch/vision/tree/main/references/classification#convnext",
    "_docs": "Beyond the paper's accuracy: trained with a variant of torchvision's newer recipe.",
}


class ConvNeXt_Tiny_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/convnext_tiny-983f1562.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=236),
        meta={
            **_COMMON_META,
            "num_params": 28589128,
            "_metrics": {"ImageNet-1K": {"acc@1": 82.52, "acc@5": 96.146}},
            "_ops": 4.456,
            "_file_size": 109.119,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/convnext_small-0c510722.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=230),
        meta={
            **_COMMON_META,
            "num_params": 50223688,
            "_metrics": {"ImageNet-1K": {"acc@1": 83.616, "acc@5": 96.65}},
            "_ops": 8.684,
            "_file_size": 191.703,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Base_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/convnext_base-6075fbad.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 88591464,
            "_metrics": {"ImageNet-1K": {"acc@1": 84.062, "acc@5": 96.87}},
            "_ops": 15.355,
            "_file_size": 338.064,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/convnext_large-ea097f82.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "num_params": 197767336,
            "_metrics": {"ImageNet-1K": {"acc@1": 84.414, "acc@5": 96.976}},
            "_ops": 34.361,
            "_file_size": 754.537,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _convnext_stages(model: nn.Module) -> list[str]:
    return ["features.1", "features.3", "features.5", "features.7"]


# The last block of each stage: reductions 4, 8, 16, 32.
CONVNEXT_FEATURES = FeatureSpec(_convnext_stages)


def _convnext(
    request: BuildRequest,
    widths: tuple[int, int, int, int],
    depths: tuple[int, int, int, int],
    stochastic_depth_prob: float,
    **kwargs,
) -> ConvNeXt:
    outputs = [*widths[1:], None]
    setting = [CNBlockConfig(c, out, n) for c, out, n in zip(widths, outputs, depths, strict=True)]
    return build_model(
        request,
        ConvNeXt,
        block_setting=setting,
        stochastic_depth_prob=stochastic_depth_prob,
        **kwargs,
    )


@model_builder(task="classification", weights=ConvNeXt_Tiny_Weights, features=CONVNEXT_FEATURES)
def convnext_tiny(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.1, **kwargs
) -> ConvNeXt:
    """ConvNeXt-T from "A ConvNet for the 2020s" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``layer_scale``, ...) go to :class:`ConvNeXt`.
    """
    return _convnext(request, (96, 192, 384, 768), (3, 3, 9, 3), stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=ConvNeXt_Small_Weights, features=CONVNEXT_FEATURES)
def convnext_small(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.4, **kwargs
) -> ConvNeXt:
    """ConvNeXt-S from "A ConvNet for the 2020s" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``layer_scale``, ...) go to :class:`ConvNeXt`.
    """
    return _convnext(request, (96, 192, 384, 768), (3, 3, 27, 3), stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=ConvNeXt_Base_Weights, features=CONVNEXT_FEATURES)
def convnext_base(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.5, **kwargs
) -> ConvNeXt:
    """ConvNeXt-B from "A ConvNet for the 2020s" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``layer_scale``, ...) go to :class:`ConvNeXt`.
    """
    return _convnext(request, (128, 256, 512, 1024), (3, 3, 27, 3), stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=ConvNeXt_Large_Weights, features=CONVNEXT_FEATURES)
def convnext_large(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.5, **kwargs
) -> ConvNeXt:
    """ConvNeXt-L from "A ConvNet for the 2020s" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``layer_scale``, ...) go to :class:`ConvNeXt`.
    """
    return _convnext(request, (192, 384, 768, 1536), (3, 3, 27, 3), stochastic_depth_prob, **kwargs)
