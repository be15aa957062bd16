"""FCN: a fully convolutional network for semantic segmentation, here a dilated ResNet (output
stride 8) followed by a small convolutional head whose per-pixel logits are upsampled bilinearly
to the input's size; optionally an auxiliary head on ``layer3`` for a training loss.

Parameter and buffer names follow torchvision's layout, so its checkpoints load with
``strict=True``. The builders expect ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and
normalized with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the COCO
weights were evaluated with the shorter side resized to 520. The output is
``{"out": Tensor[N, num_classes, H, W]}`` of logits, plus ``"aux"`` with an auxiliary classifier.
"""

from collections.abc import Callable
from functools import partial

from torch import nn

from .._builder import BuildRequest, model_builder
from .._weights import Weights, WeightsArg, WeightsEnum
from ..classification.resnet import resnet50, resnet101
from ..presets import SemanticSegmentation
from ._utils import (
    VOC_CATEGORIES,
    SegmentationModel,
    build_segmentation_model,
    dilated_resnet_backbone,
)


class FCNHead(nn.Sequential):
    """3x3 convolution to a quarter of the channels, batch norm, ReLU, dropout (p=0.1) and a 1x1
    convolution to the class logits.

    Shape:
        input ``Tensor[N, in_channels, h, w]``; output ``Tensor[N, channels, h, w]``.
    """

    def __init__(self, in_channels: int, channels: int) -> None:
        inner = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inner, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(inner),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inner, channels, kernel_size=1),
        )


class FCN(SegmentationModel):
    """FCN from "Fully Convolutional Networks for Semantic Segmentation" (Long et al., 2015): a
    backbone, an :class:`FCNHead` and an optional auxiliary one; see
    :class:`~vmodels.segmentation._utils.SegmentationModel` for the arguments and shapes."""


def _fcn_resnet(
    resnet: Callable[..., nn.Module],
    num_classes: int,
    aux_loss: bool,
    weights_backbone: WeightsArg,
    **kwargs,
) -> FCN:
    return FCN(
        dilated_resnet_backbone(resnet, weights_backbone, aux_loss, **kwargs),
        FCNHead(2048, num_classes),
        FCNHead(1024, num_classes) if aux_loss else None,
    )


_COMMON_META = {
    "categories": VOC_CATEGORIES,
    "min_size": (1, 1),
    "_docs": "Trained on the COCO images of the 20 Pascal VOC categories.",
}


class FCN_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 35322218,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/segmentation#fcn_resnet50"
            ),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.5, "pixel_acc": 91.4}},
            "_ops": 152.717,
            "_file_size": 135.009,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class FCN_ResNet101_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/fcn_resnet101_coco-7ecb50ca.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 54314346,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "segmentation#deeplabv3_resnet101"
            ),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 63.7, "pixel_acc": 91.9}},
            "_ops": 232.738,
            "_file_size": 207.711,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@model_builder(task="segmentation", weights=FCN_ResNet50_Weights, backbone="resnet50")
def fcn_resnet50(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    **kwargs,
) -> FCN:
    """FCN with a dilated ResNet-50 backbone, from "Fully Convolutional Networks for Semantic
    Segmentation" (Long et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB. ``num_classes`` defaults to 21 (the
    weights' number of categories when weights are given); ``aux_loss`` adds the auxiliary head
    (default: True with weights, else False). ``weights_backbone`` (ResNet-50 weights: a
    registered name or a file) initializes the backbone; ``kwargs`` go to the backbone's ResNet.
    """
    return build_segmentation_model(
        request, _fcn_resnet, num_classes, aux_loss, resnet=resnet50, **kwargs
    )


@model_builder(task="segmentation", weights=FCN_ResNet101_Weights, backbone="resnet101")
def fcn_resnet101(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    **kwargs,
) -> FCN:
    """FCN with a dilated ResNet-101 backbone, from "Fully Convolutional Networks for Semantic
    Segmentation" (Long et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (COCO-VOC weights: resized to 520).
    ``num_classes`` defaults to 21 (the weights' number of categories when weights are given);
    ``aux_loss`` adds the auxiliary head (default: True with weights, else False).
    ``weights_backbone`` (ResNet-101 weights: a registered name or a file) initializes the
    backbone; ``kwargs`` go to the backbone's ResNet.
    """
    return build_segmentation_model(
        request, _fcn_resnet, num_classes, aux_loss, resnet=resnet101, **kwargs
    )
