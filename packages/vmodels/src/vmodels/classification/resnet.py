"""ResNet, ResNeXt and Wide ResNet: residual networks of basic (two 3x3 convolutions) or
bottleneck (1x1, 3x3, 1x1) blocks.

The bottleneck puts its stride on the 3x3 convolution (the "ResNet v1.5" variant), which is what
the published ImageNet checkpoints use. Parameter and buffer names follow torchvision's layout, so
its checkpoints load with ``strict=True``.

Every builder expects ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and normalized with the
ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the ImageNet weights were
trained on 224x224 crops, but any size works (global average pooling before the classifier). The
output is ``Tensor[N, num_classes]`` of logits.
"""

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from ..backbones import FeatureSpec
from .resnet_weights import (
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    ResNeXt50_32X4D_Weights,
    ResNeXt101_32X8D_Weights,
    ResNeXt101_64X4D_Weights,
    Wide_ResNet50_2_Weights,
    Wide_ResNet101_2_Weights,
)

NormLayer = Callable[[int], nn.Module]


def _conv3x3(
    in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1
) -> nn.Conv2d:
    # padding = dilation keeps the spatial size at stride 1 for any dilation
    return nn.Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        dilation=dilation,
        bias=False,
    )


def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34).

    Args:
        inplanes: input channels.
        planes: output channels (``expansion = 1``).
        stride: stride of the first convolution.
        downsample: applied to the input to match the output's shape, or None for identity.
        groups, base_width: must be 1 and 64 (grouped and wider blocks are bottleneck-only).
        dilation: must be 1.
        norm_layer: normalization after each convolution, called with the channel count.
    """

    expansion: int = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: NormLayer | None = None,
    ) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(
                "BasicBlock supports only groups=1 and width_per_group=64, got "
                f"groups={groups}, width_per_group={base_width}; use Bottleneck"
            )
        if dilation != 1:
            raise ValueError(
                f"BasicBlock supports only dilation=1, got {dilation} (from "
                "replace_stride_with_dilation); use Bottleneck"
            )
        norm_layer = norm_layer or nn.BatchNorm2d
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        # After the main branch, as torchvision orders it: feature-extraction node names match.
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided, grouped, dilated), 1x1 expand, with a residual connection
    (ResNet-50 and deeper, ResNeXt, Wide ResNet).

    Args:
        inplanes: input channels.
        planes: output channels divided by ``expansion = 4``.
        stride: stride of the 3x3 convolution.
        downsample: applied to the input to match the output's shape, or None for identity.
        groups: groups of the 3x3 convolution (ResNeXt's cardinality).
        base_width: channels per group at ``planes = 64``; the 3x3 convolution has
            ``int(planes * base_width / 64) * groups`` channels.
        dilation: dilation of the 3x3 convolution.
        norm_layer: normalization after each convolution, called with the channel count.
    """

    expansion: int = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: NormLayer | None = None,
    ) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = _conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = _conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = _conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)  # as in BasicBlock
        return self.relu(out + identity)


def _check_bools(name: str, value: Sequence[bool] | None, length: int) -> list[bool]:
    if value is None:
        return [False] * length
    values = list(value) if isinstance(value, (list, tuple)) else None
    if values is None or len(values) != length or not all(isinstance(v, bool) for v in values):
        raise ValueError(
            f"{name} must be None or a list of {length} bools (one per stage after the first), "
            f"got {value!r}"
        )
    return values


class ResNet(nn.Module):
    """A residual network: a 7x7 stride-2 stem and a 3x3 stride-2 max pool, four stages of
    ``block`` at strides 1, 2, 2, 2 (64, 128, 256, 512 base channels), global average pooling
    and a linear classifier.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: number of blocks in each of the four stages.
        num_classes: outputs of the classifier.
        zero_init_residual: start the last normalization of every block at weight 0, so each
            residual branch begins as zero and each block as the identity (Goyal et al., 2017).
        groups: groups of the bottleneck 3x3 convolutions (ResNeXt's cardinality).
        width_per_group: channels per group of the bottleneck 3x3 convolutions at the first stage.
        replace_stride_with_dilation: for stages 2, 3 and 4, whether to replace the stride of 2
            with dilation, keeping the feature map larger (output stride 16 or 8 instead of 32,
            as segmentation backbones use). None means ``[False, False, False]``.
        norm_layer: normalization module, called with the channel count; default
            :class:`torch.nn.BatchNorm2d`.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: Sequence[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: Sequence[bool] | None = None,
        norm_layer: NormLayer | None = None,
    ) -> None:
        super().__init__()
        if len(layers) != 4 or not all(isinstance(n, int) and n > 0 for n in layers):
            raise ValueError(f"layers must be 4 positive ints, got {layers!r}")
        for name, value in [
            ("num_classes", num_classes),
            ("groups", groups),
            ("width_per_group", width_per_group),
        ]:
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        dilate = _check_bools("replace_stride_with_dilation", replace_stride_with_dilation, 3)

        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group

        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=dilate[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=dilate[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=dilate[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        self._init_weights(zero_init_residual)

    def _make_layer(
        self,
        block: type[BasicBlock | Bottleneck],
        planes: int,
        blocks: int,
        stride: int = 1,
        dilate: bool = False,
    ) -> nn.Sequential:
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                self._norm_layer(planes * block.expansion),
            )
        # The first block keeps the previous stage's dilation; the stage's new dilation starts
        # at the second block, where the feature map is already at the new resolution.
        stage = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                self.groups,
                self.base_width,
                previous_dilation,
                self._norm_layer,
            )
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            stage.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                    norm_layer=self._norm_layer,
                )
            )
        return nn.Sequential(*stage)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        if zero_init_residual:
            for module in self.modules():
                last_norm = None
                if isinstance(module, Bottleneck):
                    last_norm = module.bn3
                elif isinstance(module, BasicBlock):
                    last_norm = module.bn2
                if isinstance(last_norm, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.zeros_(last_norm.weight)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def _resnet_stages(model: nn.Module) -> list[str]:
    return ["relu", "layer1", "layer2", "layer3", "layer4"]


# Reductions 2, 4, 8, 16, 32 (less with replace_stride_with_dilation).
RESNET_FEATURES = FeatureSpec(_resnet_stages)


@model_builder(task="classification", weights=ResNet18_Weights, features=RESNET_FEATURES)
def resnet18(request: BuildRequest, **kwargs) -> ResNet:
    """ResNet-18 from "Deep Residual Learning for Image Recognition" (He et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet`.
    """
    return build_model(request, ResNet, block=BasicBlock, layers=[2, 2, 2, 2], **kwargs)


@model_builder(task="classification", weights=ResNet34_Weights, features=RESNET_FEATURES)
def resnet34(request: BuildRequest, **kwargs) -> ResNet:
    """ResNet-34 from "Deep Residual Learning for Image Recognition" (He et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet`.
    """
    return build_model(request, ResNet, block=BasicBlock, layers=[3, 4, 6, 3], **kwargs)


@model_builder(task="classification", weights=ResNet50_Weights, features=RESNET_FEATURES)
def resnet50(request: BuildRequest, **kwargs) -> ResNet:
    """ResNet-50 from "Deep Residual Learning for Image Recognition" (He et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet`.
    """
    return build_model(request, ResNet, block=Bottleneck, layers=[3, 4, 6, 3], **kwargs)


@model_builder(task="classification", weights=ResNet101_Weights, features=RESNET_FEATURES)
def resnet101(request: BuildRequest, **kwargs) -> ResNet:
    """ResNet-101 from "Deep Residual Learning for Image Recognition" (He et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet`.
    """
    return build_model(request, ResNet, block=Bottleneck, layers=[3, 4, 23, 3], **kwargs)


@model_builder(task="classification", weights=ResNet152_Weights, features=RESNET_FEATURES)
def resnet152(request: BuildRequest, **kwargs) -> ResNet:
    """ResNet-152 from "Deep Residual Learning for Image Recognition" (He et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet`.
    """
    return build_model(request, ResNet, block=Bottleneck, layers=[3, 8, 36, 3], **kwargs)


@model_builder(task="classification", weights=ResNeXt50_32X4D_Weights, features=RESNET_FEATURES)
def resnext50_32x4d(request: BuildRequest, **kwargs) -> ResNet:
    """ResNeXt-50 32x4d from "Aggregated Residual Transformations for Deep Neural Networks"
    (Xie et al., 2016): 32 groups of 4 channels in the first stage's 3x3 convolutions.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet` (except ``groups`` and ``width_per_group``).
    """
    return build_model(
        request,
        ResNet,
        block=Bottleneck,
        layers=[3, 4, 6, 3],
        groups=32,
        width_per_group=4,
        **kwargs,
    )


@model_builder(task="classification", weights=ResNeXt101_32X8D_Weights, features=RESNET_FEATURES)
def resnext101_32x8d(request: BuildRequest, **kwargs) -> ResNet:
    """ResNeXt-101 32x8d from "Aggregated Residual Transformations for Deep Neural Networks"
    (Xie et al., 2016): 32 groups of 8 channels in the first stage's 3x3 convolutions.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet` (except ``groups`` and ``width_per_group``).
    """
    return build_model(
        request,
        ResNet,
        block=Bottleneck,
        layers=[3, 4, 23, 3],
        groups=32,
        width_per_group=8,
        **kwargs,
    )


@model_builder(task="classification", weights=ResNeXt101_64X4D_Weights, features=RESNET_FEATURES)
def resnext101_64x4d(request: BuildRequest, **kwargs) -> ResNet:
    """ResNeXt-101 64x4d from "Aggregated Residual Transformations for Deep Neural Networks"
    (Xie et al., 2016): 64 groups of 4 channels in the first stage's 3x3 convolutions.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet` (except ``groups`` and ``width_per_group``).
    """
    return build_model(
        request,
        ResNet,
        block=Bottleneck,
        layers=[3, 4, 23, 3],
        groups=64,
        width_per_group=4,
        **kwargs,
    )


@model_builder(task="classification", weights=Wide_ResNet50_2_Weights, features=RESNET_FEATURES)
def wide_resnet50_2(request: BuildRequest, **kwargs) -> ResNet:
    """Wide ResNet-50-2 from "Wide Residual Networks" (Zagoruyko and Komodakis, 2016): ResNet-50
    with twice the channels in every bottleneck's inner convolutions (outer widths unchanged).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet` (except ``width_per_group``).
    """
    return build_model(
        request,
        ResNet,
        block=Bottleneck,
        layers=[3, 4, 6, 3],
        width_per_group=128,
        **kwargs,
    )


@model_builder(task="classification", weights=Wide_ResNet101_2_Weights, features=RESNET_FEATURES)
def wide_resnet101_2(request: BuildRequest, **kwargs) -> ResNet:
    """Wide ResNet-101-2 from "Wide Residual Networks" (Zagoruyko and Komodakis, 2016): ResNet-101
    with twice the channels in every bottleneck's inner convolutions (outer widths unchanged).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`ResNet` (except ``width_per_group``).
    """
    return build_model(
        request,
        ResNet,
        block=Bottleneck,
        layers=[3, 4, 23, 3],
        width_per_group=128,
        **kwargs,
    )
