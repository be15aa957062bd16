"""Compact Mask R-CNN for small images trained from scratch on a CPU (e.g. the Shapes demo).

The release detectors are sized for 800-pixel COCO images: 256-channel pyramids, 1024-wide box
heads, four 256-channel mask convolutions and anchors of 32 to 512 pixels. This builder keeps
the same parts (so everything :class:`MaskRCNN` accepts still applies) with narrower heads,
anchors of 16 to 256 pixels and fewer proposals, and train batch norm: from scratch there are no
statistics to freeze.
"""

from torch import nn

import vops

from .._builder import build_model
from .._registry import register_model
from .anchors import AnchorGenerator
from .backbone import WeightsArg, resnet_fpn_backbone
from .faster_rcnn import FastRCNNPredictor, TwoMLPHead, resolve_num_classes
from .mask_head import MaskRCNNHeads, MaskRCNNPredictor
from .mask_rcnn import MaskRCNN

DEFAULT_NUM_CLASSES = 91
BOX_HEAD_WIDTH = 256
# A 128-pixel image has about 4,000 anchors and a few objects: a few hundred proposals and RoIs
# per image are plenty, and the RPN and RoI heads cost in proportion to them.
SMALL_IMAGE_SETTINGS = {
    "rpn_pre_nms_top_n_train": 600,
    "rpn_post_nms_top_n_train": 300,
    "rpn_pre_nms_top_n_test": 300,
    "rpn_post_nms_top_n_test": 150,
    "box_batch_size_per_image": 128,
}


@register_model(task="detection")
def maskrcnn_resnet18_fpn(
    *,
    weights: WeightsArg = None,
    num_classes: int | None = None,
    weights_backbone: WeightsArg = None,
    trainable_backbone_layers: int | None = None,
    fpn_channels: int = 128,
    **kwargs,
) -> MaskRCNN:
    """Mask R-CNN (He et al., 2017) over a ResNet-18 FPN of ``fpn_channels`` channels, with a
    256-wide box head, two mask convolutions, anchors of 16 to 256 pixels and the proposal
    and RoI counts of :data:`SMALL_IMAGE_SETTINGS`.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`MaskRCNN`, which gets
    ``kwargs`` (e.g. ``min_size``, ``max_size``). ``num_classes`` (background included) defaults
    to 91. Batch norm and all five stages train unless ``weights_backbone`` is given
    (then frozen batch norm and, unless ``trainable_backbone_layers``, three stages).
    """
    name = "maskrcnn_resnet18_fpn"
    from_scratch = weights_backbone is None
    if trainable_backbone_layers is None:
        trainable_backbone_layers = 5 if from_scratch else 3
    backbone = resnet_fpn_backbone(
        "resnet18",
        weights=weights_backbone,
        trainable_layers=trainable_backbone_layers,
        norm_layer=nn.BatchNorm2d if from_scratch else vops.FrozenBatchNorm2d,
        out_channels=fpn_channels,
    )
    num_classes = resolve_num_classes(name, weights, False, num_classes, DEFAULT_NUM_CLASSES)
    parts = {
        # One size per pyramid level "0".."3" and "pool" (strides 4 to 64).
        "rpn_anchor_generator": AnchorGenerator(
            ((16,), (32,), (64,), (128,), (256,)), ((0.5, 1.0, 2.0),) * 5
        ),
        "box_head": TwoMLPHead(fpn_channels * 7 * 7, BOX_HEAD_WIDTH),
        "box_predictor": FastRCNNPredictor(BOX_HEAD_WIDTH, num_classes),
        "mask_head": MaskRCNNHeads(fpn_channels, (fpn_channels,) * 2),
        "mask_predictor": MaskRCNNPredictor(fpn_channels, fpn_channels, num_classes),
    }
    kwargs = {**SMALL_IMAGE_SETTINGS, **parts, **kwargs}
    return build_model(name, MaskRCNN, weights, backbone=backbone, **kwargs)
