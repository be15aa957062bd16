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

from torch import nn

from .._registry import register_model
from .._weights import Weights, register_weights
from ..classification.resnet import resnet50, resnet101
from ._utils import (
    VOC_CATEGORIES,
    SegmentationModel,
    WeightsArg,
    build_segmentation_model,
    coco_voc_recipe,
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


register_weights(
    Weights(
        name="fcn_resnet101.coco_voc",
        url="https://download.pytorch.org/models/fcn_resnet101_coco-7ecb50ca.pth",
        sha256="7ecb50ca",
        categories=VOC_CATEGORIES,
        transforms={"resize": 520, "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)},
        metrics={"miou": 63.7, "pixel_acc": 91.9},
        recipe=coco_voc_recipe("fcn_resnet101"),
    ),
    default=True,
)


@register_model(task="segmentation")
def fcn_resnet50(
    *,
    weights: WeightsArg = None,
    pretrained: bool = False,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    weights_backbone: WeightsArg = None,
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
        "fcn_resnet50",
        _fcn_resnet,
        weights,
        pretrained,
        num_classes,
        aux_loss,
        weights_backbone,
        resnet=resnet50,
        **kwargs,
    )


@register_model(task="segmentation")
def fcn_resnet101(
    *,
    weights: WeightsArg = None,
    pretrained: bool = False,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    weights_backbone: WeightsArg = None,
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
        "fcn_resnet101",
        _fcn_resnet,
        weights,
        pretrained,
        num_classes,
        aux_loss,
        weights_backbone,
        resnet=resnet101,
        **kwargs,
    )
