"""The residual networks for small images of "Deep Residual Learning for Image Recognition"
(He et al., 2015, section 4.2, the CIFAR-10 experiments).

A 3x3 stride-1 stem with 16 channels, three stages of ``n`` basic blocks with 16, 32 and 64
channels at strides 1, 2, 2, global average pooling and a linear classifier: ``6n + 2`` weighted
layers. Where a stage halves the map and doubles the channels, the shortcut is the paper's
option A, the input subsampled and zero-padded, which has no parameters. With no stride in the
stem they see fine detail in 32x32 images at a fraction of ResNet-18's cost; on small procedural
images (Shapes) ResNet-20 learns from scratch in about a quarter of ResNet-18's iterations.

Every builder expects ``Tensor[N, 3, H, W]`` RGB images, normalized like the other classifiers
(ImageNet mean and std), of any size; the output is ``Tensor[N, num_classes]`` of logits.
"""

import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from ..backbones import FeatureSpec
from .resnet import BasicBlock, NormLayer

STAGE_WIDTHS = (16, 32, 64)


class ZeroPadShortcut(nn.Module):
    """The parameter-free shortcut of a block that changes the map's shape: every ``stride``-th
    pixel, with ``extra_channels`` channels of zeros appended."""

    def __init__(self, stride: int, extra_channels: int) -> None:
        super().__init__()
        self.stride = stride
        self.extra_channels = extra_channels

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


class CifarResNet(nn.Module):
    """A ``depth``-layer residual network for small images.

    Args:
        depth: weighted layers, ``6n + 2`` for ``n >= 1`` blocks per stage (20, 32, 44, 56, 110
            in the paper).
        num_classes: outputs of the classifier.
        norm_layer: normalization module, called with the channel count; default
            :class:`torch.nn.BatchNorm2d`.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self, depth: int, num_classes: int = 10, norm_layer: NormLayer | None = None
    ) -> None:
        super().__init__()
        if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
            raise ValueError(
                f"depth must be 6n + 2 for a positive int n (20, 32...), got {depth!r}"
            )
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        norm_layer = norm_layer or nn.BatchNorm2d
        blocks_per_stage = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, STAGE_WIDTHS[0], kernel_size=3, padding=1, bias=False)
        self.bn1 = norm_layer(STAGE_WIDTHS[0])
        self.relu = nn.ReLU(inplace=True)
        stages = []
        channels = STAGE_WIDTHS[0]
        for index, width in enumerate(STAGE_WIDTHS):
            stride = 1 if index == 0 else 2
            shortcut = None
            if stride != 1 or width != channels:
                shortcut = ZeroPadShortcut(stride, width - channels)
            blocks = [BasicBlock(channels, width, stride, shortcut, norm_layer=norm_layer)]
            blocks += [
                BasicBlock(width, width, norm_layer=norm_layer) for _ in range(blocks_per_stage - 1)
            ]
            stages.append(nn.Sequential(*blocks))
            channels = width
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


def _cifar_resnet_stages(model: nn.Module) -> list[str]:
    return ["relu", "layer1", "layer2", "layer3"]


# Reductions 1, 1, 2, 4: no stride before layer2.
CIFAR_RESNET_FEATURES = FeatureSpec(_cifar_resnet_stages)


@model_builder(task="classification", features=CIFAR_RESNET_FEATURES)
def cifar_resnet20(request: BuildRequest, **kwargs) -> CifarResNet:
    """ResNet-20 for small images (He et al., 2015, section 4.2); ``kwargs`` go to
    :class:`CifarResNet`."""
    return build_model(request, CifarResNet, depth=20, **kwargs)


@model_builder(task="classification", features=CIFAR_RESNET_FEATURES)
def cifar_resnet32(request: BuildRequest, **kwargs) -> CifarResNet:
    """ResNet-32 for small images (He et al., 2015, section 4.2); ``kwargs`` go to
    :class:`CifarResNet`."""
    return build_model(request, CifarResNet, depth=32, **kwargs)


@model_builder(task="classification", features=CIFAR_RESNET_FEATURES)
def cifar_resnet56(request: BuildRequest, **kwargs) -> CifarResNet:
    """ResNet-56 for small images (He et al., 2015, section 4.2); ``kwargs`` go to
    :class:`CifarResNet`."""
    return build_model(request, CifarResNet, depth=56, **kwargs)


@model_builder(task="classification", features=CIFAR_RESNET_FEATURES)
def cifar_resnet110(request: BuildRequest, **kwargs) -> CifarResNet:
    """ResNet-110 for small images (He et al., 2015, section 4.2); ``kwargs`` go to
    :class:`CifarResNet`."""
    return build_model(request, CifarResNet, depth=110, **kwargs)
