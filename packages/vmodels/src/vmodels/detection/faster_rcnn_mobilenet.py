"""Faster R-CNN (Ren et al., 2015) over a MobileNetV3-Large feature pyramid (Howard et al.,
2019), at full and at low (320 pixel) resolution."""

from .._builder import (
    BuildRequest,
    backbone_policy,
    load_request,
    model_builder,
    resolve_num_classes,
)
from .._weights import Weights, WeightsEnum
from ..backbones import mobilenet_backbone
from ..presets import ObjectDetection
from ._meta import COCO_CATEGORIES
from .anchors import AnchorGenerator
from .faster_rcnn import FasterRCNN

# The stem, the four blocks that halve the resolution and the last convolution.
MOBILENET_V3_LARGE_STAGES = 6
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/detection"


class FasterRCNN_MobileNet_V3_Large_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fasterrcnn_mobilenet_v3_large_fpn-fb6a3cc7.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 19386354,
            "recipe": f"{_RECIPE}#faster-r-cnn-mobilenetv3-large-fpn",
            "_metrics": {"COCO-val2017": {"box_map": 32.8}},
            "_ops": 4.494,
            "_file_size": 74.239,
            "_docs": "Trained on COCO with the recipe linked in recipe, close to the paper's.",
        },
    )
    DEFAULT = COCO_V1


class FasterRCNN_MobileNet_V3_Large_320_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url=(
            "https://download.pytorch.org/models/fasterrcnn_mobilenet_v3_large_320_fpn-907ea3f9.pth"
        ),
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 19386354,
            "recipe": f"{_RECIPE}#faster-r-cnn-mobilenetv3-large-320-fpn",
            "_metrics": {"COCO-val2017": {"box_map": 22.8}},
            "_ops": 0.719,
            "_file_size": 74.239,
            "_docs": "Trained on COCO at 320 pixels with the recipe linked, for fast inference.",
        },
    )
    DEFAULT = COCO_V1


def _mobilenet_v3_large_fpn_detector(
    request: BuildRequest,
    num_classes: int | None,
    trainable_backbone_layers: int | None,
    **kwargs,
) -> FasterRCNN:
    """What both builders share: the MobileNetV3-Large pyramid over its last two stages (and a
    max-pooled level) with the policy of :func:`vmodels._builder.backbone_policy`, anchors of
    five sizes and three ratios on every level, RoIs pooled from the first map, then
    :class:`FasterRCNN` given ``kwargs``, loaded with the weights."""
    num_classes = resolve_num_classes(request, num_classes, len(COCO_CATEGORIES), minimum=2)
    trainable_layers, norm_layer = backbone_policy(
        request, trainable_backbone_layers, MOBILENET_V3_LARGE_STAGES, 3
    )
    backbone = mobilenet_backbone(
        "mobilenet_v3_large",
        weights=request.weights_backbone,
        fpn=True,
        trainable_layers=trainable_layers,
        norm_layer=norm_layer,
    )
    anchors = AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)
    model = FasterRCNN(backbone, num_classes, **{"rpn_anchor_generator": anchors, **kwargs})
    return load_request(model, request)


@model_builder(
    task="detection",
    weights=FasterRCNN_MobileNet_V3_Large_FPN_Weights,
    backbone="mobilenet_v3_large",
)
def fasterrcnn_mobilenet_v3_large_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> FasterRCNN:
    """Faster R-CNN ("Faster R-CNN: Towards Real-Time Object Detection with Region Proposal
    Networks", Ren et al., 2015) with a MobileNetV3-Large FPN backbone ("Searching for
    MobileNetV3", Howard et al., 2019); proposals scoring under 0.05 are dropped.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]`` (resized to 800 pixels, at most
    1333); see :class:`GeneralizedRCNN`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from the last back (0 to 6);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``MobileNet_V3_Large_Weights`` entry; then batch norm is frozen), all 6 from
            scratch.
        **kwargs: go to :class:`FasterRCNN`, over the defaults named above.
    """
    return _mobilenet_v3_large_fpn_detector(
        request, num_classes, trainable_backbone_layers, **{"rpn_score_thresh": 0.05, **kwargs}
    )


@model_builder(
    task="detection",
    weights=FasterRCNN_MobileNet_V3_Large_320_FPN_Weights,
    backbone="mobilenet_v3_large",
)
def fasterrcnn_mobilenet_v3_large_320_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> FasterRCNN:
    """Low-resolution Faster R-CNN (Ren et al., 2015) with a MobileNetV3-Large FPN backbone
    (Howard et al., 2019), for mobile use: images resized to 320 pixels (at most 640), 150
    proposals before and after NMS, those scoring under 0.05 dropped.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`GeneralizedRCNN`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from the last back (0 to 6);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``MobileNet_V3_Large_Weights`` entry; then batch norm is frozen), all 6 from
            scratch.
        **kwargs: go to :class:`FasterRCNN`, over the defaults named above.
    """
    defaults = {
        "min_size": 320,
        "max_size": 640,
        "rpn_pre_nms_top_n_test": 150,
        "rpn_post_nms_top_n_test": 150,
        "rpn_score_thresh": 0.05,
    }
    return _mobilenet_v3_large_fpn_detector(
        request, num_classes, trainable_backbone_layers, **{**defaults, **kwargs}
    )
