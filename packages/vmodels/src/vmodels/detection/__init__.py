"""Detection models: Faster, Mask and Keypoint R-CNN and the one-stage detectors, composed of
small parts (transform, anchor generator, region proposal network, RoI heads, dense heads) that
can be swapped one at a time."""

from ..backbones import BackboneWithFPN, mobilenet_backbone, resnet_fpn_backbone
from .anchors import AnchorGenerator
from .box_coding import BoxCoder, BoxLinearCoder
from .default_boxes import DefaultBoxGenerator
from .faster_rcnn import (
    FasterRCNN,
    FastRCNNConvFCHead,
    FastRCNNPredictor,
    TwoMLPHead,
    fasterrcnn_resnet50_fpn,
)
from .fcos import FCOS, FCOSClassificationHead, FCOSHead, FCOSRegressionHead
from .generalized_rcnn import GeneralizedRCNN
from .keypoint_head import KeypointRCNNHeads, KeypointRCNNPredictor, heatmaps_to_keypoints
from .keypoint_rcnn import KeypointRCNN, keypointrcnn_resnet50_fpn
from .mask_head import MaskRCNNHeads, MaskRCNNPredictor
from .mask_paste import paste_masks_in_image
from .mask_rcnn import MaskRCNN, maskrcnn_resnet50_fpn
from .matching import BalancedPositiveNegativeSampler, Matcher
from .one_stage import OneStageDetector
from .retinanet import (
    RetinaNet,
    RetinaNetClassificationHead,
    RetinaNetHead,
    RetinaNetRegressionHead,
)
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .ssd import (
    SSD,
    SSDClassificationHead,
    SSDFeatureExtractorVGG,
    SSDHead,
    SSDMatcher,
    SSDRegressionHead,
    SSDScoringHead,
)
from .ssdlite import (
    SSDLiteClassificationHead,
    SSDLiteFeatureExtractorMobileNet,
    SSDLiteHead,
    SSDLiteRegressionHead,
)
from .transform import GeneralizedRCNNTransform, ImageList

__all__ = [
    "FCOS",
    "SSD",
    "AnchorGenerator",
    "BackboneWithFPN",
    "BalancedPositiveNegativeSampler",
    "BoxCoder",
    "BoxLinearCoder",
    "DefaultBoxGenerator",
    "FCOSClassificationHead",
    "FCOSHead",
    "FCOSRegressionHead",
    "FastRCNNConvFCHead",
    "FastRCNNPredictor",
    "FasterRCNN",
    "GeneralizedRCNN",
    "GeneralizedRCNNTransform",
    "ImageList",
    "KeypointRCNN",
    "KeypointRCNNHeads",
    "KeypointRCNNPredictor",
    "MaskRCNN",
    "MaskRCNNHeads",
    "MaskRCNNPredictor",
    "Matcher",
    "OneStageDetector",
    "RPNHead",
    "RegionProposalNetwork",
    "RetinaNet",
    "RetinaNetClassificationHead",
    "RetinaNetHead",
    "RetinaNetRegressionHead",
    "RoIHeads",
    "SSDClassificationHead",
    "SSDFeatureExtractorVGG",
    "SSDHead",
    "SSDLiteClassificationHead",
    "SSDLiteFeatureExtractorMobileNet",
    "SSDLiteHead",
    "SSDLiteRegressionHead",
    "SSDMatcher",
    "SSDRegressionHead",
    "SSDScoringHead",
    "TwoMLPHead",
    "fasterrcnn_resnet50_fpn",
    "heatmaps_to_keypoints",
    "keypointrcnn_resnet50_fpn",
    "maskrcnn_resnet50_fpn",
    "mobilenet_backbone",
    "paste_masks_in_image",
    "resnet_fpn_backbone",
]


def __getattr__(name: str) -> object:
    """This package's builders and weights enums, such as
    ``vmodels.detection.maskrcnn_resnet50_fpn``, found in the registry on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    from .._registry import find_public

    return find_public(name, __name__)
