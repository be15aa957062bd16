"""Keypoint R-CNN (He et al., Mask R-CNN, 2017): Faster R-CNN plus keypoints per detection."""

from torch import nn

import vops

from .._registry import register_model
from .._weights import Weights, register_weights
from ._meta import COCO_PERSON_CATEGORIES, COCO_PERSON_KEYPOINT_NAMES, COCO_TRANSFORMS, coco_recipe
from .backbone import WeightsArg
from .faster_rcnn import FasterRCNN, build_resnet50_fpn_detector
from .keypoint_head import KeypointRCNNHeads, KeypointRCNNPredictor


class KeypointRCNN(FasterRCNN):
    """Keypoint R-CNN over any backbone with an ``out_channels`` attribute.

    Adds to :class:`FasterRCNN` a keypoint branch: :class:`vops.MultiScaleRoIAlign` to 14x14,
    :class:`KeypointRCNNHeads` (eight 512-channel convolutions) and
    :class:`KeypointRCNNPredictor` to 56x56 heatmaps, one per keypoint, unless given. Training
    images are drawn at a shorter side in ``min_size`` (640 to 800 by default). Targets need
    ``keypoints`` (``Tensor[G, K, 3]``, visibility 0 = unlabelled); detections gain
    ``keypoints`` ``Tensor[D, K, 3]`` and ``keypoints_scores`` ``Tensor[D, K]``.

    Args:
        num_keypoints: keypoints per object (default 17, COCO's people).
        Others as :class:`FasterRCNN`.
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int | None = None,
        *,
        min_size: int | tuple[int, ...] = (640, 672, 704, 736, 768, 800),
        num_keypoints: int | None = None,
        keypoint_roi_pool: nn.Module | None = None,
        keypoint_head: nn.Module | None = None,
        keypoint_predictor: nn.Module | None = None,
        **kwargs,
    ) -> None:
        if num_keypoints is not None and keypoint_predictor is not None:
            raise ValueError("give num_keypoints or keypoint_predictor, not both")
        if num_keypoints is not None and (not isinstance(num_keypoints, int) or num_keypoints <= 0):
            raise ValueError(f"num_keypoints must be a positive int, got {num_keypoints!r}")
        out_channels = getattr(backbone, "out_channels", 0)
        keypoint_roi_pool = keypoint_roi_pool or vops.MultiScaleRoIAlign(
            ["0", "1", "2", "3"], 14, 2
        )
        keypoint_head = keypoint_head or KeypointRCNNHeads(out_channels, (512,) * 8)
        if keypoint_predictor is None:
            keypoint_predictor = KeypointRCNNPredictor(512, num_keypoints or 17)
        extra = {
            "keypoint_roi_pool": keypoint_roi_pool,
            "keypoint_head": keypoint_head,
            "keypoint_predictor": keypoint_predictor,
        }
        super().__init__(backbone, num_classes, min_size=min_size, roi_heads_extra=extra, **kwargs)


register_weights(
    Weights(
        name="keypointrcnn_resnet50_fpn.coco",
        url="https://download.pytorch.org/models/keypointrcnn_resnet50_fpn_coco-fc266e95.pth",
        sha256="fc266e95",
        categories=COCO_PERSON_CATEGORIES,
        transforms={**COCO_TRANSFORMS, "keypoint_names": COCO_PERSON_KEYPOINT_NAMES},
        metrics={"coco_val2017_box_ap": 54.6, "coco_val2017_keypoint_ap": 65.0},
        recipe=coco_recipe(
            "--dataset coco_kp --model keypointrcnn_resnet50_fpn --epochs 46 --lr-steps 36 43"
        ),
    ),
    default=True,
)


@register_model(task="detection")
def keypointrcnn_resnet50_fpn(
    *,
    weights: WeightsArg = None,
    pretrained: bool = False,
    num_classes: int | None = None,
    num_keypoints: int | None = None,
    weights_backbone: WeightsArg = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> KeypointRCNN:
    """Keypoint R-CNN with a ResNet-50 FPN backbone, from "Mask R-CNN" (He et al., 2017).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`KeypointRCNN`.
    ``num_classes`` defaults to 2 (background, person) and ``num_keypoints`` to 17 (COCO).
    """
    return build_resnet50_fpn_detector(
        "keypointrcnn_resnet50_fpn",
        KeypointRCNN,
        weights,
        pretrained,
        num_classes,
        len(COCO_PERSON_CATEGORIES),
        weights_backbone,
        trainable_backbone_layers,
        num_keypoints=num_keypoints,
        **kwargs,
    )
