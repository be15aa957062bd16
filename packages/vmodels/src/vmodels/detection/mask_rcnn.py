"""Mask R-CNN (He et al., 2017): Faster R-CNN plus a mask per detection; and its v2 (Li et al.,
2021) with batch norm in the pyramid and the heads."""

from torch import nn

import vops

from .._builder import BuildRequest, model_builder
from .._weights import Weights, WeightsEnum
from ..presets import ObjectDetection
from ._meta import COCO_CATEGORIES
from .faster_rcnn import (
    V2_BACKBONE,
    FasterRCNN,
    RoIBatchNorm2d,
    build_resnet50_fpn_detector,
    v2_parts,
)
from .mask_head import MaskRCNNHeads, MaskRCNNPredictor


class MaskRCNN(FasterRCNN):
    """Mask R-CNN over any backbone with an ``out_channels`` attribute.

    Adds to :class:`FasterRCNN` a mask branch: :class:`vops.MultiScaleRoIAlign` to 14x14,
    :class:`MaskRCNNHeads` (four 256-channel convolutions) and :class:`MaskRCNNPredictor` to
    28x28 logits per class, unless given. Training targets need ``masks`` (uint8
    ``Tensor[G, H, W]``); detections gain ``masks`` (``Tensor[D, 1, H, W]`` probabilities,
    pasted into the original image). Other arguments as :class:`FasterRCNN`.
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int | None = None,
        *,
        mask_roi_pool: nn.Module | None = None,
        mask_head: nn.Module | None = None,
        mask_predictor: nn.Module | None = None,
        **kwargs,
    ) -> None:
        out_channels = getattr(backbone, "out_channels", 0)
        mask_roi_pool = mask_roi_pool or vops.MultiScaleRoIAlign(["0", "1", "2", "3"], 14, 2)
        mask_head = mask_head or MaskRCNNHeads(out_channels, (256, 256, 256, 256), 1)
        if mask_predictor is None:
            if num_classes is None:
                raise ValueError("num_classes is required unless mask_predictor is given")
            mask_predictor = MaskRCNNPredictor(256, 256, num_classes)
        extra = {
            "mask_roi_pool": mask_roi_pool,
            "mask_head": mask_head,
            "mask_predictor": mask_predictor,
        }
        super().__init__(backbone, num_classes, roi_heads_extra=extra, **kwargs)


class MaskRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 44401393,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/detection#mask-r-cnn",
            "_metrics": {"COCO-val2017": {"box_map": 37.9, "mask_map": 34.6}},
            "_ops": 134.38,
            "_file_size": 169.84,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = COCO_V1


class MaskRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 46359409,
            "recipe": "https://github.com/pytorch/vision/pull/5773",
            "_metrics": {"COCO-val2017": {"box_map": 47.4, "mask_map": 41.8}},
            "_ops": 333.577,
            "_file_size": 177.219,
            "_docs": "About seven points above v1's mask AP, with the longer recipe linked.",
        },
    )
    DEFAULT = COCO_V1


@model_builder(task="detection", weights=MaskRCNN_ResNet50_FPN_Weights, backbone="resnet50")
def maskrcnn_resnet50_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> MaskRCNN:
    """Mask R-CNN with a ResNet-50 FPN backbone, from "Mask R-CNN" (He et al., 2017).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`MaskRCNN`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`MaskRCNN`.
    """
    return build_resnet50_fpn_detector(
        request,
        MaskRCNN,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        MaskRCNN_ResNet50_FPN_Weights.COCO_V1,
        **kwargs,
    )


@model_builder(task="detection", weights=MaskRCNN_ResNet50_FPN_V2_Weights, backbone="resnet50")
def maskrcnn_resnet50_fpn_v2(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> MaskRCNN:
    """Mask R-CNN v2 with a ResNet-50 FPN backbone, from "Benchmarking Detection Transfer
    Learning with Vision Transformers" (Li et al., 2021): the parts of
    :func:`fasterrcnn_resnet50_fpn_v2` and a batch-normalized :class:`MaskRCNNHeads`.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`MaskRCNN`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`MaskRCNN`.
    """
    parts = {
        **v2_parts(),
        "mask_head": MaskRCNNHeads(256, (256,) * 4, 1, norm_layer=RoIBatchNorm2d),
    }
    return build_resnet50_fpn_detector(
        request,
        MaskRCNN,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        None,
        backbone_kwargs=V2_BACKBONE,
        **{**parts, **kwargs},
    )
