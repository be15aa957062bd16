"""ShuffleNetV2: units that split the channels in two, transform one half (1x1, 3x3 depthwise,
1x1), concatenate and shuffle the channels; downsampling units transform both halves instead.

Parameter and buffer names follow torchvision's layout (``conv1``, ``stage2``-``stage4``,
``conv5``, ``fc``), so its checkpoints load with ``strict=True``.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for ImageNet weights (any size works: global average pooling);
output ``Tensor[N, num_classes]`` of logits.
"""

from collections.abc import Sequence
from functools import partial

import torch
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``Tensor[N, C, H, W]`` across ``groups`` (C divisible by it):
    channel ``g * (C // groups) + i`` moves to ``i * groups + g``."""
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous()
    return x.view(n, c, h, w)


def _depthwise_conv(channels: int, stride: int) -> nn.Conv2d:
    return nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False)


def _pointwise(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, 1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class InvertedResidual(nn.Module):
    """A ShuffleNetV2 unit with ``oup`` output channels.

    At stride 1 (``inp == oup``) the input is split in two; one half passes unchanged, the other
    through ``branch2``. At stride 2 or 3 the whole input goes through both ``branch1``
    (depthwise then 1x1) and ``branch2`` (1x1, depthwise, 1x1). The halves are concatenated and
    channel-shuffled.
    """

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if stride not in (1, 2, 3):
            raise ValueError(f"stride must be 1, 2 or 3, got {stride!r}")
        if oup % 2 != 0:
            raise ValueError(f"output channels must be even (two branches), got {oup}")
        if stride == 1 and inp != oup:
            raise ValueError(f"a stride-1 unit keeps its channel count, got {inp} in and {oup} out")
        self.stride = stride
        branch = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                _depthwise_conv(inp, stride),
                nn.BatchNorm2d(inp),
                *_pointwise(inp, branch),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            *_pointwise(inp if stride > 1 else branch, branch),
            _depthwise_conv(branch, stride),
            nn.BatchNorm2d(branch),
            *_pointwise(branch, branch),
        )

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            kept, transformed = x.chunk(2, dim=1)
            out = torch.cat((kept, self.branch2(transformed)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2: a 3x3 stride-2 stem and 3x3 stride-2 max pool, three stages of units (each
    starting with a stride-2 unit), a 1x1 convolution, global average pooling and a linear
    classifier.

    Args:
        stages_repeats: units in each of the three stages.
        stages_out_channels: output channels of the stem, the three stages and the last 1x1
            convolution (five ints).
        num_classes: outputs of the classifier.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        stages_repeats: Sequence[int],
        stages_out_channels: Sequence[int],
        num_classes: int = 1000,
    ) -> None:
        super().__init__()

        def positive_ints(values: Sequence[int], length: int) -> bool:
            return (
                isinstance(values, (list, tuple))
                and len(values) == length
                and all(isinstance(v, int) and v > 0 for v in values)
            )

        if not positive_ints(stages_repeats, 3):
            raise ValueError(f"stages_repeats must be 3 positive ints, got {stages_repeats!r}")
        if not positive_ints(stages_out_channels, 5):
            raise ValueError(
                f"stages_out_channels must be 5 positive ints, got {stages_out_channels!r}"
            )
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self._stage_out_channels = list(stages_out_channels)

        stem = stages_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(inplace=True)
        )
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        def stage(inp: int, oup: int, repeats: int) -> nn.Sequential:
            units = [InvertedResidual(inp, oup, 2)]
            units += [InvertedResidual(oup, oup, 1) for _ in range(repeats - 1)]
            return nn.Sequential(*units)

        widths = stages_out_channels
        self.stage2 = stage(widths[0], widths[1], stages_repeats[0])
        self.stage3 = stage(widths[1], widths[2], stages_repeats[1])
        self.stage4 = stage(widths[2], widths[3], stages_repeats[2])
        self.conv5 = nn.Sequential(*_pointwise(widths[3], widths[4]))
        self.fc = nn.Linear(widths[4], num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = self.conv5(x).mean([2, 3])
        return self.fc(x)


def _shufflenet_v2(request: BuildRequest, out_channels: list[int], **kwargs) -> ShuffleNetV2:
    return build_model(
        request,
        ShuffleNetV2,
        stages_repeats=[4, 8, 4],
        stages_out_channels=out_channels,
        **kwargs,
    )


_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (1, 1),
    "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
}


class ShuffleNet_V2_X0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/shufflenetv2_x0.5-f707e7126e.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/ericsun99/Shufflenet-v2-Pytorch",
            "num_params": 1366792,
            "_metrics": {"ImageNet-1K": {"acc@1": 60.552, "acc@5": 81.746}},
            "_ops": 0.04,
            "_file_size": 5.282,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/shufflenetv2_x1-5666bf0f80.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/ericsun99/Shufflenet-v2-Pytorch",
            "num_params": 2278604,
            "_metrics": {"ImageNet-1K": {"acc@1": 69.362, "acc@5": 88.316}},
            "_ops": 0.145,
            "_file_size": 8.791,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/shufflenetv2_x1_5-3c479a10.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/pull/5906",
            "num_params": 3503624,
            "_metrics": {"ImageNet-1K": {"acc@1": 72.996, "acc@5": 91.086}},
            "_ops": 0.296,
            "_file_size": 13.557,
        },
    )
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/shufflenetv2_x2_0-8be3c8ee.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/pull/5906",
            "num_params": 7393996,
            "_metrics": {"ImageNet-1K": {"acc@1": 76.23, "acc@5": 93.006}},
            "_ops": 0.583,
            "_file_size": 28.433,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _shufflenet_v2_stages(model: nn.Module) -> list[str]:
    return ["conv1", "maxpool", "stage2", "stage3", "conv5"]


# Reductions 2, 4, 8, 16, 32.
SHUFFLENET_V2_FEATURES = FeatureSpec(_shufflenet_v2_stages)


@model_builder(
    task="classification", weights=ShuffleNet_V2_X0_5_Weights, features=SHUFFLENET_V2_FEATURES
)
def shufflenet_v2_x0_5(request: BuildRequest, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 0.5x output channels, from "ShuffleNet V2: Practical Guidelines for
    Efficient CNN Architecture Design" (Ma et al., 2018).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ShuffleNetV2`.
    """
    return _shufflenet_v2(request, [24, 48, 96, 192, 1024], **kwargs)


@model_builder(
    task="classification", weights=ShuffleNet_V2_X1_0_Weights, features=SHUFFLENET_V2_FEATURES
)
def shufflenet_v2_x1_0(request: BuildRequest, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.0x output channels, from "ShuffleNet V2: Practical Guidelines for
    Efficient CNN Architecture Design" (Ma et al., 2018).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ShuffleNetV2`.
    """
    return _shufflenet_v2(request, [24, 116, 232, 464, 1024], **kwargs)


@model_builder(
    task="classification", weights=ShuffleNet_V2_X1_5_Weights, features=SHUFFLENET_V2_FEATURES
)
def shufflenet_v2_x1_5(request: BuildRequest, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.5x output channels, from "ShuffleNet V2: Practical Guidelines for
    Efficient CNN Architecture Design" (Ma et al., 2018).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ShuffleNetV2`.
    """
    return _shufflenet_v2(request, [24, 176, 352, 704, 1024], **kwargs)


@model_builder(
    task="classification", weights=ShuffleNet_V2_X2_0_Weights, features=SHUFFLENET_V2_FEATURES
)
def shufflenet_v2_x2_0(request: BuildRequest, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 2.0x output channels, from "ShuffleNet V2: Practical Guidelines for
    Efficient CNN Architecture Design" (Ma et al., 2018).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ShuffleNetV2`.
    """
    return _shufflenet_v2(request, [24, 244, 488, 976, 2048], **kwargs)
