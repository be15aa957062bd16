"""What the segmentation models share: a backbone wrapper returning named intermediate feature
maps, the backbone -> classifier -> upsample model, and the builders' argument resolution."""

import os
from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import build_model
from .._features import IntermediateLayerGetter
from .._weights import Weights, registered_entry

WeightsArg = Weights | str | os.PathLike | None

# Pascal VOC's classes, in the order of the output channels of the VOC-category weights.
VOC_CATEGORIES = (
    "__background__",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)


def coco_voc_recipe(model: str) -> str:
    """How the COCO weights with the VOC categories were trained and evaluated."""
    return (
        "torchvision's segmentation reference script (references/segmentation/train.py) on 8 "
        f"GPUs with 4 images each: --dataset coco --model {model} --aux-loss --lr 0.02, from "
        "ImageNet ResNet weights; trained and evaluated on the COCO train2017 / val2017 images "
        "that contain the 20 VOC categories, all other classes counted as background"
    )


class SegmentationModel(nn.Module):
    """A backbone, a classifier on its ``"out"`` features and optionally an auxiliary classifier
    on its ``"aux"`` features; both predictions are upsampled (bilinear, ``align_corners=False``)
    to the input's size.

    Args:
        backbone: returns ``dict[str, Tensor]`` with ``"out"`` (and ``"aux"`` if
            ``aux_classifier`` is given), e.g. an :class:`IntermediateLayerGetter`.
        classifier: maps the ``"out"`` features to ``Tensor[N, num_classes, h, w]``.
        aux_classifier: maps the ``"aux"`` features likewise, or None. Used in training for an
            auxiliary loss; it runs in eval mode as well.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``{"out": Tensor[N, num_classes, H, W]}``, plus
        ``"aux"`` of the same shape when there is an auxiliary classifier.
    """

    def __init__(
        self, backbone: nn.Module, classifier: nn.Module, aux_classifier: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        size = x.shape[-2:]
        features = self.backbone(x)
        out = self.classifier(features["out"])
        result = {"out": F.interpolate(out, size=size, mode="bilinear", align_corners=False)}
        if self.aux_classifier is not None:
            aux = self.aux_classifier(features["aux"])
            result["aux"] = F.interpolate(aux, size=size, mode="bilinear", align_corners=False)
        return result


def resolve_head_options(
    model: str,
    weights: WeightsArg,
    pretrained: bool,
    num_classes: int | None,
    aux_loss: bool | None,
    weights_backbone: WeightsArg,
) -> tuple[int, bool]:
    """``(num_classes, aux_loss)`` for a segmentation builder, checked against its weights.

    Without weights, ``num_classes`` defaults to 21 and ``aux_loss`` to False. With weights
    (``weights=`` or ``pretrained=True``) ``aux_loss`` defaults to True, since the published
    checkpoints hold the auxiliary classifier; a registered entry also fixes ``num_classes`` to
    its number of categories and requires the auxiliary classifier. Checked before anything is
    built or downloaded.
    """
    has_weights = weights is not None or pretrained
    if has_weights and weights_backbone is not None:
        raise ValueError(
            f"weights_backbone={weights_backbone!r} would be overwritten by the {model} weights; "
            "pass either weights (or pretrained=True) or weights_backbone, not both"
        )
    if num_classes is not None and (
        not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes <= 0
    ):
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if aux_loss is not None and not isinstance(aux_loss, bool):
        raise ValueError(f"aux_loss must be None, True or False, got {aux_loss!r}")
    entry = registered_entry(model, weights, pretrained)
    if entry is not None:
        expected = len(entry.categories)
        if num_classes is not None and num_classes != expected:
            raise ValueError(
                f"num_classes={num_classes} does not match weights {entry.name!r}, which predict "
                f"{expected} categories; leave num_classes unset or pass {expected}"
            )
        num_classes = expected
        if aux_loss is False:
            raise ValueError(
                f"weights {entry.name!r} include the auxiliary classifier, so aux_loss must be "
                "True or unset; drop model.aux_classifier after loading if it is not wanted"
            )
    if aux_loss is None:
        aux_loss = has_weights
    return (21 if num_classes is None else num_classes), aux_loss


def build_segmentation_model(
    name: str,
    make: Callable[..., nn.Module],
    weights: WeightsArg,
    pretrained: bool,
    num_classes: int | None,
    aux_loss: bool | None,
    weights_backbone: WeightsArg,
    **kwargs,
) -> nn.Module:
    """What every segmentation builder does: resolve ``num_classes`` and ``aux_loss`` against the
    weights, then ``make(num_classes=, aux_loss=, weights_backbone=, **kwargs)`` and load the
    weights into it (:func:`vmodels._builder.build_model`)."""
    num_classes, aux_loss = resolve_head_options(
        name, weights, pretrained, num_classes, aux_loss, weights_backbone
    )
    return build_model(
        name,
        make,
        weights,
        pretrained,
        num_classes=num_classes,
        aux_loss=aux_loss,
        weights_backbone=weights_backbone,
        **kwargs,
    )


def dilated_resnet_backbone(
    resnet: Callable[..., nn.Module], weights_backbone: WeightsArg, aux: bool, **kwargs
) -> IntermediateLayerGetter:
    """A ResNet with output stride 8 (``replace_stride_with_dilation=[False, True, True]``),
    loaded with ``weights_backbone``, returning ``layer4`` as ``"out"`` and, if ``aux``,
    ``layer3`` as ``"aux"``. ``kwargs`` go to the ResNet."""
    backbone = resnet(
        weights=weights_backbone, replace_stride_with_dilation=[False, True, True], **kwargs
    )
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    return IntermediateLayerGetter(backbone, return_layers)
