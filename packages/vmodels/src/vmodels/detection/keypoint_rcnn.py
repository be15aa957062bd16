"""Keypoint R-CNN (He et al., Mask R-CNN, 2017): Faster R-CNN plus keypoints per detection."""

from torch import nn

import vops

from .._builder import BuildRequest, model_builder
from .._weights import Weights, WeightsEnum
from ..presets import ObjectDetection
from ._meta import COCO_PERSON_CATEGORIES, COCO_PERSON_KEYPOINT_NAMES
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


_COMMON_META = {
    "categories": COCO_PERSON_CATEGORIES,
    "keypoint_names": COCO_PERSON_KEYPOINT_NAMES,
    "min_size": (1, 1),
    "num_params": 59137258,
    "_file_size": 226.054,
    "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
}


class KeypointRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/keypointrcnn_resnet50_fpn_coco-fc266e95.pth",
        transforms=ObjectDetection,
        meta={
            **_COMMON_META,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/detection#keypoint-r-cnn"
            ),
            "_metrics": {"COCO-val2017": {"box_map": 54.6, "kp_map": 65.0}},
            "_ops": 137.42,
        },
    )
    COCO_LEGACY = Weights(
        url="https://download.pytorch.org/models/keypointrcnn_resnet50_fpn_coco-9f466800.pth",
        transforms=ObjectDetection,
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/issues/1606",
            "_metrics": {"COCO-val2017": {"box_map": 50.6, "kp_map": 61.1}},
            "_ops": 133.924,
        },
    )
    DEFAULT = COCO_V1


def resolve_num_keypoints(request: BuildRequest, num_keypoints: int | None) -> int | None:
    """``num_keypoints`` for the keypoint head: the weights' keypoint count when they name their
    keypoints (another explicit value is an error), else ``num_keypoints`` (None: the model's
    default)."""
    weights = request.weights
    names = weights.meta.get("keypoint_names") if isinstance(weights, WeightsEnum) else None
    if names is None:
        return num_keypoints
    if num_keypoints is not None and num_keypoints != len(names):
        raise ValueError(
            f"num_keypoints={num_keypoints} does not match weights {weights!r}, which "
            f"predict {len(names)} keypoints; leave num_keypoints unset (or pass {len(names)}), "
            "or load them and replace the keypoint predictor to train on other keypoints"
        )
    return len(names)


@model_builder(task="detection", weights=KeypointRCNN_ResNet50_FPN_Weights, backbone="resnet50")
def keypointrcnn_resnet50_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    num_keypoints: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> KeypointRCNN:
    """Keypoint R-CNN with a ResNet-50 FPN backbone, from "Mask R-CNN" (He et al., 2017).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`KeypointRCNN`.
    ``pretrained=True`` loads ``COCO_V1``; ``weights="DEFAULT"`` does too.

    Args:
        num_classes: classes including the background; 2 (background, person) by default, and
            the weights' category count with weights.
        num_keypoints: keypoints per person; 17 (COCO's) by default, and the weights' keypoint
            count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`KeypointRCNN`.
    """
    return build_resnet50_fpn_detector(
        request,
        KeypointRCNN,
        num_classes,
        len(COCO_PERSON_CATEGORIES),
        trainable_backbone_layers,
        KeypointRCNN_ResNet50_FPN_Weights.COCO_V1,
        num_keypoints=resolve_num_keypoints(request, num_keypoints),
        **kwargs,
    )
