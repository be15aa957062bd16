"""SSDlite (Sandler et al., 2018): SSD with depthwise-separable convolutions in the extra layers
and the prediction heads; SSDlite320 over a MobileNetV3-Large (Howard et al., 2019)."""

from collections.abc import Callable
from functools import partial
from typing import Any

from torch import Tensor, nn

import vops

from .._builder import (
    BuildRequest,
    backbone_policy,
    load_request,
    model_builder,
    resolve_num_classes,
)
from .._weights import Weights, WeightsEnum
from ..backbones import check_trainable_layers
from ..classification.mobilenetv3 import mobilenet_v3_large
from ..presets import ObjectDetection
from ._meta import COCO_CATEGORIES
from .default_boxes import DefaultBoxGenerator
from .ssd import SSD, SSDScoringHead

NormLayer = Callable[[int], nn.Module]


def normal_init(module: nn.Module) -> None:
    """Weights drawn from ``N(0, 0.03^2)`` and zero biases for every convolution in ``module``."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=0.03)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def _prediction_block(in_channels: int, out_channels: int, norm_layer: NormLayer) -> nn.Sequential:
    """A 3x3 depthwise convolution (normalized, ReLU6) then a 1x1 convolution with a bias."""
    return nn.Sequential(
        vops.Conv2dNormActivation(
            in_channels,
            in_channels,
            kernel_size=3,
            groups=in_channels,
            norm_layer=norm_layer,
            activation_layer=nn.ReLU6,
        ),
        nn.Conv2d(in_channels, out_channels, kernel_size=1),
    )


def _prediction_blocks(
    in_channels: list[int], num_anchors: list[int], columns: int, norm_layer: NormLayer
) -> nn.ModuleList:
    if len(in_channels) != len(num_anchors):
        raise ValueError(
            f"in_channels and num_anchors must have one entry per feature map, got "
            f"{len(in_channels)} and {len(num_anchors)}"
        )
    blocks = nn.ModuleList(
        _prediction_block(channels, columns * anchors, norm_layer)
        for channels, anchors in zip(in_channels, num_anchors, strict=True)
    )
    normal_init(blocks)
    return blocks


class SSDLiteClassificationHead(SSDScoringHead):
    """Class logits ``Tensor[N, A, num_classes]`` from a depthwise-separable convolution per
    feature map.

    Args:
        in_channels: channels of each feature map.
        num_anchors: default boxes per cell of each map.
        num_classes: classes including the background.
        norm_layer: normalization after each depthwise convolution.
    """

    def __init__(
        self,
        in_channels: list[int],
        num_anchors: list[int],
        num_classes: int,
        norm_layer: NormLayer,
    ) -> None:
        blocks = _prediction_blocks(in_channels, num_anchors, num_classes, norm_layer)
        super().__init__(blocks, num_classes)


class SSDLiteRegressionHead(SSDScoringHead):
    """Box offsets ``Tensor[N, A, 4]`` from a depthwise-separable convolution per feature map.

    Args:
        in_channels: channels of each feature map.
        num_anchors: default boxes per cell of each map.
        norm_layer: normalization after each depthwise convolution.
    """

    def __init__(
        self, in_channels: list[int], num_anchors: list[int], norm_layer: NormLayer
    ) -> None:
        super().__init__(_prediction_blocks(in_channels, num_anchors, 4, norm_layer), 4)


class SSDLiteHead(nn.Module):
    """SSDlite's dense head: ``{"bbox_regression": Tensor[N, A, 4], "cls_logits":
    Tensor[N, A, K]}`` from the list of feature maps.

    Args:
        in_channels: channels of each feature map.
        num_anchors: default boxes per cell of each map.
        num_classes: classes including the background.
        norm_layer: normalization after each depthwise convolution.
    """

    def __init__(
        self,
        in_channels: list[int],
        num_anchors: list[int],
        num_classes: int,
        norm_layer: NormLayer,
    ) -> None:
        super().__init__()
        self.classification_head = SSDLiteClassificationHead(
            in_channels, num_anchors, num_classes, norm_layer
        )
        self.regression_head = SSDLiteRegressionHead(in_channels, num_anchors, norm_layer)

    def forward(self, x: list[Tensor]) -> dict[str, Tensor]:
        return {
            "bbox_regression": self.regression_head(x),
            "cls_logits": self.classification_head(x),
        }


def _extra_block(in_channels: int, out_channels: int, norm_layer: NormLayer) -> nn.Sequential:
    """A 1x1 reduction to half ``out_channels``, a 3x3 depthwise convolution of stride 2 and a
    1x1 expansion to ``out_channels``, each normalized and followed by ReLU6."""
    mid_channels = out_channels // 2
    conv = partial(vops.Conv2dNormActivation, norm_layer=norm_layer, activation_layer=nn.ReLU6)
    return nn.Sequential(
        conv(in_channels, mid_channels, kernel_size=1),
        conv(mid_channels, mid_channels, kernel_size=3, stride=2, groups=mid_channels),
        conv(mid_channels, out_channels, kernel_size=1),
    )


class SSDLiteFeatureExtractorMobileNet(nn.Module):
    """SSDlite's six feature maps from a MobileNet's ``features``.

    Map 0 is the expansion (first 1x1 convolution) of the block ``c4_pos``, the first of the
    stride-32 stage (section 6.3 of the MobileNetV3 paper); map 1 the end of ``features``; maps
    2 to 5 come from four stride-2 extra blocks (:func:`_extra_block`) of 512, 256, 256 and 128
    channels times ``width_mult`` (at least ``min_depth``).

    Args:
        backbone: the MobileNet's ``features`` Sequential.
        c4_pos: index in ``backbone`` of the block whose expansion is map 0; it must have no
            residual connection.
        norm_layer: normalization of the extra blocks.
        width_mult: multiplies the extra blocks' channels.
        min_depth: fewest channels of an extra block.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``{"0": ..., "5": ...}`` with ``out_channels``
        channels; 20, 10, 5, 3, 2, 1 cells a side at 320.
    """

    def __init__(
        self,
        backbone: nn.Sequential,
        c4_pos: int,
        norm_layer: NormLayer,
        width_mult: float = 1.0,
        min_depth: int = 16,
    ) -> None:
        super().__init__()
        c4 = backbone[c4_pos]
        if getattr(c4, "use_res_connect", True):
            raise ValueError(
                f"backbone[c4_pos] must be an inverted residual block without a residual "
                f"connection (the first of a stage), got c4_pos={c4_pos}"
            )
        self.features = nn.Sequential(
            nn.Sequential(*backbone[:c4_pos], c4.block[0]),
            nn.Sequential(c4.block[1:], *backbone[c4_pos + 1 :]),
        )
        depths = [max(min_depth, int(d * width_mult)) for d in (512, 256, 256, 128)]
        in_depths = [backbone[-1].out_channels, *depths[:-1]]
        self.extra = nn.ModuleList(
            _extra_block(i, o, norm_layer) for i, o in zip(in_depths, depths, strict=True)
        )
        normal_init(self.extra)
        self.out_channels = [c4.block[0].out_channels, backbone[-1].out_channels, *depths]

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        outputs: dict[str, Tensor] = {}
        for block in self.features:
            x = block(x)
            outputs[str(len(outputs))] = x
        for block in self.extra:
            x = block(x)
            outputs[str(len(outputs))] = x
        return outputs


def mobilenet_extractor(
    features: nn.Sequential, trainable_layers: int, norm_layer: NormLayer
) -> SSDLiteFeatureExtractorMobileNet:
    """:class:`SSDLiteFeatureExtractorMobileNet` over a MobileNet's ``features``, map 0 taken at
    its last strided block, with only the last ``trainable_layers`` of its stages (the stem,
    each strided block onwards, the last layer) trainable."""
    starts = (
        [0]
        + [i for i, block in enumerate(features) if getattr(block, "_is_cn", False)]
        + [len(features) - 1]
    )
    check_trainable_layers(trainable_layers, len(starts), "trainable_backbone_layers")
    frozen = len(features) if trainable_layers == 0 else starts[len(starts) - trainable_layers]
    for parameter in features[:frozen].parameters():
        parameter.requires_grad_(False)
    return SSDLiteFeatureExtractorMobileNet(features, starts[-2], norm_layer)


class SSDLite320_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/ssdlite320_mobilenet_v3_large_coco-a79551df.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 3440060,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/detection"
            "#ssdlite320-mobilenetv3-large",
            "_metrics": {"COCO-val2017": {"box_map": 21.3}},
            "_ops": 0.583,
            "_file_size": 13.418,
            "_docs": "Trained on COCO from scratch with the recipe linked, close to the paper's.",
        },
    )
    DEFAULT = COCO_V1


# MobileNetV3-Large's stages: the stem, the four blocks that halve the resolution, the last layer.
MOBILENET_V3_LARGE_STAGES = 6
# Post-processing of the release, and the [-1, 1] inputs the backbone was trained on.
SSDLITE_DEFAULTS = {
    "score_thresh": 0.001,
    "nms_thresh": 0.55,
    "detections_per_img": 300,
    "topk_candidates": 300,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
}


@model_builder(
    task="detection",
    weights=SSDLite320_MobileNet_V3_Large_Weights,
    backbone="mobilenet_v3_large",
)
def ssdlite320_mobilenet_v3_large(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    norm_layer: NormLayer | None = None,
    width_mult: float = 1.0,
    dilated: bool = False,
    **kwargs: Any,
) -> SSD:
    """SSDlite320 with a MobileNetV3-Large backbone, from "Searching for MobileNetV3" (Howard et
    al., 2019) and "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (Sandler et al.,
    2018).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``, each resized to 320x320; see
    :class:`SSD`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from the last back (0 to 6; all
            6 by default).
        norm_layer: normalization of the backbone, extra blocks and head; batch norm with
            ``eps=0.001, momentum=0.03`` by default (trained, also from trained weights).
        width_mult: multiplies the backbone's channels.
        dilated: runs the backbone's last stage dilated (see
            :func:`vmodels.classification.mobilenet_v3_config`).
        **kwargs: go to :class:`SSD` (the size is fixed), over the release's defaults
            ``score_thresh=0.001``, ``nms_thresh=0.55``, ``detections_per_img=300``,
            ``topk_candidates=300`` and inputs scaled to ``[-1, 1]``.

    Without ``weights_backbone`` (a ``MobileNet_V3_Large_Weights`` entry) the backbone's last
    stage is halved (reduced tail) and initialized like the head, as the published model was.
    """
    if "size" in kwargs:
        raise ValueError(
            f"ssdlite320_mobilenet_v3_large has a fixed size (320, 320): drop "
            f"size={kwargs['size']!r}"
        )
    num_classes = resolve_num_classes(request, num_classes, len(COCO_CATEGORIES), minimum=2)
    trainable_layers, _ = backbone_policy(
        request, trainable_backbone_layers, MOBILENET_V3_LARGE_STAGES, MOBILENET_V3_LARGE_STAGES
    )
    norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    from_scratch = request.weights_backbone is None
    mobilenet = mobilenet_v3_large(
        weights=request.weights_backbone,
        norm_layer=norm_layer,
        width_mult=width_mult,
        reduced_tail=from_scratch,
        dilated=dilated,
    )
    if from_scratch:
        normal_init(mobilenet)
    backbone = mobilenet_extractor(mobilenet.features, trainable_layers, norm_layer)
    anchor_generator = DefaultBoxGenerator(
        [[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95
    )
    head = SSDLiteHead(
        backbone.out_channels, anchor_generator.num_anchors_per_location(), num_classes, norm_layer
    )
    model = SSD(
        backbone,
        anchor_generator,
        (320, 320),
        num_classes,
        head=head,
        **{**SSDLITE_DEFAULTS, **kwargs},
    )
    return load_request(model, request)
