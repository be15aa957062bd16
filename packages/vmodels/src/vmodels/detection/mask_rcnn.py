"""Mask R-CNN (He et al., 2017): Faster R-CNN plus a mask per detection."""

from torch import nn

import vops

from .._registry import register_model
from .._weights import Weights, register_weights
from ._meta import COCO_CATEGORIES, COCO_TRANSFORMS, coco_recipe
from .backbone import WeightsArg
from .faster_rcnn import FasterRCNN, build_resnet50_fpn_detector
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


register_weights(
    Weights(
        name="maskrcnn_resnet50_fpn.coco",
        url="https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth",
        sha256="bf2d0c1e",
        categories=COCO_CATEGORIES,
        transforms=COCO_TRANSFORMS,
        metrics={"coco_val2017_box_ap": 37.9, "coco_val2017_mask_ap": 34.6},
        recipe=coco_recipe("--model maskrcnn_resnet50_fpn --epochs 26 --lr-steps 16 22"),
    ),
    default=True,
)


@register_model(task="detection")
def maskrcnn_resnet50_fpn(
    *,
    weights: WeightsArg = None,
    pretrained: bool = False,
    num_classes: int | None = None,
    weights_backbone: WeightsArg = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> MaskRCNN:
    """Mask R-CNN with a ResNet-50 FPN backbone, from "Mask R-CNN" (He et al., 2017).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`MaskRCNN`.
    ``num_classes`` defaults to 91 (COCO ids, background included).
    """
    return build_resnet50_fpn_detector(
        "maskrcnn_resnet50_fpn",
        MaskRCNN,
        weights,
        pretrained,
        num_classes,
        len(COCO_CATEGORIES),
        weights_backbone,
        trainable_backbone_layers,
        **kwargs,
    )
