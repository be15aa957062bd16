"""DeepLabV3: a dilated ResNet (output stride 8) or MobileNetV3-Large (output stride 16) followed
by atrous spatial pyramid pooling (ASPP: parallel 1x1 and dilated 3x3 convolutions at several
rates plus image-level pooling) and a small head; the per-pixel logits are upsampled bilinearly to
the input's size. Optionally an auxiliary FCN head (on ``layer3``, or on the MobileNetV3's first
stride-8 block) for a training loss.

Parameter and buffer names follow torchvision's layout, so its checkpoints load with
``strict=True``. The builders expect ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and
normalized with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the COCO
weights were evaluated with the shorter side resized to 520. The output is
``{"out": Tensor[N, num_classes, H, W]}`` of logits, plus ``"aux"`` with an auxiliary classifier.
"""

from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, model_builder
from .._weights import Weights, WeightsArg, WeightsEnum
from ..classification.mobilenetv3 import mobilenet_v3_large
from ..classification.resnet import resnet50, resnet101
from ..presets import SemanticSegmentation
from ._utils import (
    VOC_CATEGORIES,
    SegmentationModel,
    build_segmentation_model,
    dilated_mobilenet_v3_backbone,
    dilated_resnet_backbone,
)
from .fcn import FCNHead


class ASPPConv(nn.Sequential):
    """Dilated 3x3 convolution (padding keeps the size), batch norm and ReLU."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int) -> None:
        super().__init__(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size=3,
                padding=dilation,
                dilation=dilation,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPPooling(nn.Sequential):
    """Image-level features: global average pooling, 1x1 convolution, batch norm and ReLU, then
    spread back over the input's size.

    The pooled map holds one value per channel and sample, so a single sample in training gives
    batch norm no batch statistics to take (torch.nn.BatchNorm2d raises). Here it normalizes with
    the running statistics instead, leaving them unchanged; every other case, eval mode included,
    is plain batch norm.

    Shape:
        input ``Tensor[N, in_channels, h, w]``; output ``Tensor[N, out_channels, h, w]``,
        constant over ``h, w``.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x: Tensor) -> Tensor:
        size = x.shape[-2:]
        x = self[1](self[0](x))
        norm = self[2]
        if self.training and x.shape[0] == 1:
            x = F.batch_norm(
                x, norm.running_mean, norm.running_var, norm.weight, norm.bias, False, 0.0, norm.eps
            )
        else:
            x = norm(x)
        x = self[3](x)
        # interpolate, not expand: the same arithmetic as the published models, bit for bit
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 convolution, one dilated 3x3 convolution per rate and
    image pooling, each to ``out_channels``, concatenated and projected back to ``out_channels``
    (1x1 convolution, batch norm, ReLU, dropout p=0.5).

    Args:
        in_channels: input channels.
        atrous_rates: dilation of each 3x3 branch (DeepLabV3 at output stride 8: 12, 24, 36).
        out_channels: channels of every branch and of the output.

    Shape:
        input ``Tensor[N, in_channels, h, w]``; output ``Tensor[N, out_channels, h, w]``.
    """

    def __init__(
        self, in_channels: int, atrous_rates: Sequence[int], out_channels: int = 256
    ) -> None:
        super().__init__()
        rates = list(atrous_rates) if isinstance(atrous_rates, (list, tuple)) else []
        if not rates or not all(isinstance(r, int) and r > 0 for r in rates):
            raise ValueError(
                f"atrous_rates must be a non-empty list of positive ints, got {atrous_rates!r}"
            )
        branches: list[nn.Module] = [
            nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
            )
        ]
        branches += [ASPPConv(in_channels, out_channels, rate) for rate in rates]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(len(branches) * out_channels, out_channels, kernel_size=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x: Tensor) -> Tensor:
        outputs: list[Tensor] = []
        for branch in self.convs:
            outputs.append(branch(x))
        return self.project(torch.cat(outputs, dim=1))


class DeepLabHead(nn.Sequential):
    """ASPP, a 3x3 convolution with batch norm and ReLU, and a 1x1 convolution to the logits.

    Shape:
        input ``Tensor[N, in_channels, h, w]``; output ``Tensor[N, num_classes, h, w]``.
    """

    def __init__(
        self, in_channels: int, num_classes: int, atrous_rates: Sequence[int] = (12, 24, 36)
    ) -> None:
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, kernel_size=1),
        )


class DeepLabV3(SegmentationModel):
    """DeepLabV3 from "Rethinking Atrous Convolution for Semantic Image Segmentation" (Chen et
    al., 2017): a backbone, a :class:`DeepLabHead` and an optional auxiliary
    :class:`~vmodels.segmentation.fcn.FCNHead`; see
    :class:`~vmodels.segmentation._utils.SegmentationModel` for the arguments and shapes."""


def _deeplabv3_resnet(
    resnet: Callable[..., nn.Module],
    num_classes: int,
    aux_loss: bool,
    weights_backbone: WeightsArg,
    **kwargs,
) -> DeepLabV3:
    return DeepLabV3(
        dilated_resnet_backbone(resnet, weights_backbone, aux_loss, **kwargs),
        DeepLabHead(2048, num_classes),
        FCNHead(1024, num_classes) if aux_loss else None,
    )


def _deeplabv3_mobilenet_v3(
    mobilenet_v3: Callable[..., nn.Module],
    num_classes: int,
    aux_loss: bool,
    weights_backbone: WeightsArg,
    **kwargs,
) -> DeepLabV3:
    backbone, out_channels, aux_channels = dilated_mobilenet_v3_backbone(
        mobilenet_v3, weights_backbone, "out", "aux" if aux_loss else None, **kwargs
    )
    return DeepLabV3(
        backbone,
        DeepLabHead(out_channels, num_classes),
        FCNHead(aux_channels, num_classes) if aux_loss else None,
    )


_COMMON_META = {
    "categories": VOC_CATEGORIES,
    "min_size": (1, 1),
    "_docs": "Trained on the COCO images of the 20 Pascal VOC categories.",
}


class DeepLabV3_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 42004074,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "segmentation#deeplabv3_resnet50"
            ),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 66.4, "pixel_acc": 92.4}},
            "_ops": 178.722,
            "_file_size": 160.515,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_ResNet101_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_resnet101_coco-586e9e4e.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 60996202,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/segmentation#fcn_resnet101"
            ),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 67.4, "pixel_acc": 92.4}},
            "_ops": 258.743,
            "_file_size": 233.217,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_mobilenet_v3_large-fc3c493d.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 11029328,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "segmentation#deeplabv3_mobilenet_v3_large"
            ),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.3, "pixel_acc": 91.2}},
            "_ops": 10.452,
            "_file_size": 42.301,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@model_builder(task="segmentation", weights=DeepLabV3_ResNet50_Weights, backbone="resnet50")
def deeplabv3_resnet50(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    **kwargs,
) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-50 backbone, from "Rethinking Atrous Convolution for
    Semantic Image Segmentation" (Chen et al., 2017).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB. ``num_classes`` defaults to 21 (the
    weights' number of categories when weights are given); ``aux_loss`` adds the auxiliary FCN
    head (default: True with weights, else False). ``weights_backbone`` (ResNet-50 weights: a
    registered name or a file) initializes the backbone; ``kwargs`` go to the backbone's ResNet.
    """
    return build_segmentation_model(
        request, _deeplabv3_resnet, num_classes, aux_loss, resnet=resnet50, **kwargs
    )


@model_builder(task="segmentation", weights=DeepLabV3_ResNet101_Weights, backbone="resnet101")
def deeplabv3_resnet101(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    **kwargs,
) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-101 backbone, from "Rethinking Atrous Convolution for
    Semantic Image Segmentation" (Chen et al., 2017).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (COCO-VOC weights: resized to 520).
    ``num_classes`` defaults to 21 (the weights' number of categories when weights are given);
    ``aux_loss`` adds the auxiliary FCN head (default: True with weights, else False).
    ``weights_backbone`` (ResNet-101 weights: a registered name or a file) initializes the
    backbone; ``kwargs`` go to the backbone's ResNet.
    """
    return build_segmentation_model(
        request, _deeplabv3_resnet, num_classes, aux_loss, resnet=resnet101, **kwargs
    )


@model_builder(
    task="segmentation",
    weights=DeepLabV3_MobileNet_V3_Large_Weights,
    backbone="mobilenet_v3_large",
)
def deeplabv3_mobilenet_v3_large(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    **kwargs,
) -> DeepLabV3:
    """DeepLabV3 with a dilated MobileNetV3-Large backbone (output stride 16), from "Rethinking
    Atrous Convolution for Semantic Image Segmentation" (Chen et al., 2017).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (COCO-VOC weights: resized to 520).
    ``num_classes`` defaults to 21 (the weights' number of categories when weights are given);
    ``aux_loss`` adds the auxiliary FCN head on the first stride-8 block (default: True with
    weights, else False). ``weights_backbone`` (MobileNetV3-Large weights: a registered name or
    a file) initializes the backbone; ``kwargs`` go to the backbone's
    :func:`~vmodels.classification.mobilenetv3.mobilenet_v3_large`.
    """
    return build_segmentation_model(
        request,
        _deeplabv3_mobilenet_v3,
        num_classes,
        aux_loss,
        mobilenet_v3=mobilenet_v3_large,
        **kwargs,
    )
