"""Compact Mask R-CNN and FCOS for small images trained from scratch on a CPU (e.g. the Shapes
demo).

The release detectors are sized for 800-pixel COCO images: 256-channel pyramids, 1024-wide box
heads, four 256-channel mask convolutions, four-convolution dense heads and anchors of 32 to 512
pixels. These builders keep the same parts (so everything :class:`MaskRCNN` and :class:`FCOS`
accept still applies) over a ResNet-18 with narrower pyramids and heads, fewer proposals and
(Mask R-CNN) anchors of 16 to 256 pixels, and train batch norm: from scratch there are no
statistics to freeze.
"""

import vops

from .._builder import BuildRequest, load_request, model_builder, resolve_num_classes
from .anchors import AnchorGenerator
from .faster_rcnn import FastRCNNPredictor, TwoMLPHead, detection_backbone
from .fcos import FCOS, FCOSHead
from .mask_head import MaskRCNNHeads, MaskRCNNPredictor
from .mask_rcnn import MaskRCNN
from .retinanet import PYRAMID_FROM_LAYER2

DEFAULT_NUM_CLASSES = 91
BOX_HEAD_WIDTH = 256
# Convolutions in each of the compact FCOS's two towers (the release model has 4).
DENSE_HEAD_CONVS = 2
# A 128-pixel image has about 4,000 anchors and a few objects: a few hundred proposals and RoIs
# per image are plenty, and the RPN and RoI heads cost in proportion to them.
SMALL_IMAGE_SETTINGS = {
    "rpn_pre_nms_top_n_train": 600,
    "rpn_post_nms_top_n_train": 300,
    "rpn_pre_nms_top_n_test": 300,
    "rpn_post_nms_top_n_test": 150,
    "box_batch_size_per_image": 128,
}


@model_builder(task="detection", backbone="resnet18")
def maskrcnn_resnet18_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    fpn_channels: int = 128,
    **kwargs,
) -> MaskRCNN:
    """Mask R-CNN (He et al., 2017) over a ResNet-18 FPN of ``fpn_channels`` channels, with a
    256-wide box head, two mask convolutions, anchors of 16 to 256 pixels and the proposal
    and RoI counts of :data:`SMALL_IMAGE_SETTINGS`.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`MaskRCNN`, which gets
    ``kwargs`` (e.g. ``min_size``, ``max_size``). There are no published weights: ``weights``
    takes a checkpoint file and ``weights_backbone`` a ``ResNet18_Weights`` entry.

    Args:
        num_classes: classes including the background; 91 by default.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (then batch norm is frozen), all 5 from scratch.
        fpn_channels: channels of the pyramid, the mask head and the RoI features.
        **kwargs: go to :class:`MaskRCNN`.
    """
    num_classes = resolve_num_classes(request, num_classes, DEFAULT_NUM_CLASSES, minimum=2)
    backbone = detection_backbone(
        request, trainable_backbone_layers, "resnet18", out_channels=fpn_channels
    )
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
    return load_request(MaskRCNN(backbone, **kwargs), request)


@model_builder(task="detection", backbone="resnet18")
def fcos_resnet18_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    fpn_channels: int = 128,
    **kwargs,
) -> FCOS:
    """FCOS (Tian et al., 2019) over a ResNet-18 FPN of ``fpn_channels`` channels (P3 to P7,
    as the release model), with :data:`DENSE_HEAD_CONVS` convolutions in each head tower.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`FCOS`, which gets
    ``kwargs`` (e.g. ``min_size``, ``max_size``). There are no published weights: ``weights``
    takes a checkpoint file and ``weights_backbone`` a ``ResNet18_Weights`` entry.

    Args:
        num_classes: classes including the background; 91 by default.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (then batch norm is frozen), all 5 from scratch.
        fpn_channels: channels of the pyramid and the head towers (a multiple of 32, the
            towers' group-norm groups).
        **kwargs: go to :class:`FCOS`.
    """
    num_classes = resolve_num_classes(request, num_classes, DEFAULT_NUM_CLASSES, minimum=2)
    backbone = detection_backbone(
        request,
        trainable_backbone_layers,
        "resnet18",
        out_channels=fpn_channels,
        returned_layers=PYRAMID_FROM_LAYER2,
        extra_blocks=vops.LastLevelP6P7(fpn_channels, fpn_channels),
    )
    head = FCOSHead(fpn_channels, 1, num_classes, DENSE_HEAD_CONVS)
    return load_request(FCOS(backbone, head=head, **kwargs), request)
