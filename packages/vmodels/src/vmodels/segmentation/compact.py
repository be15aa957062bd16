"""Compact semantic segmentation for small images trained from scratch on a CPU (e.g. Shapes).

The release models run a dilated ResNet-50/101 at output stride 8, too slow to train on a few
CPU cores. Here a ResNet-18 feature pyramid is fused at stride 4, a simplified semantic branch
of Panoptic FPN ("Panoptic Feature Pyramid Networks", Kirillov et al., 2019): every level is
upsampled to the finest and summed, then an :class:`~vmodels.segmentation.fcn.FCNHead` predicts
the classes, upsampled to the input's size.
"""

import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, load_request, model_builder, resolve_num_classes
from ..backbones import resnet_fpn_backbone
from ._utils import DEFAULT_NUM_CLASSES, SegmentationModel
from .fcn import FCNHead


class FusedPyramid(nn.Module):
    """A feature-pyramid backbone whose levels are upsampled (bilinear) to the finest one and
    summed.

    Args:
        backbone: returns ``dict[str, Tensor]`` of pyramid levels, finest first, each with
            ``backbone.out_channels`` channels; the first ``num_levels`` are fused.
        num_levels: how many levels to fuse.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``{"out": Tensor[N, out_channels, h, w]}`` at the
        finest level's size.
    """

    def __init__(self, backbone: nn.Module, num_levels: int) -> None:
        super().__init__()
        self.body = backbone
        self.num_levels = num_levels

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        levels = list(self.body(x).values())[: self.num_levels]
        size = levels[0].shape[-2:]
        fused = levels[0]
        for level in levels[1:]:
            fused = fused + F.interpolate(level, size=size, mode="bilinear", align_corners=False)
        return {"out": fused}


@model_builder(task="segmentation", backbone="resnet18")
def fpn_resnet18(
    request: BuildRequest, *, num_classes: int | None = None, fpn_channels: int = 128
) -> SegmentationModel:
    """ResNet-18 feature pyramid (``fpn_channels`` channels, trainable batch norm) fused at
    stride 4 under an FCN head: the semantic branch of Panoptic FPN (Kirillov et al., 2019),
    simplified. No auxiliary head.

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB; output ``{"out": Tensor[N,
    num_classes, H, W]}`` of logits. ``num_classes`` defaults to 21 (VOC's, background
    included); ``weights_backbone`` (ResNet-18 weights) initializes the backbone.
    """
    backbone = resnet_fpn_backbone(
        "resnet18",
        weights=request.weights_backbone,
        trainable_layers=5,
        norm_layer=nn.BatchNorm2d,
        out_channels=fpn_channels,
    )
    num_classes = resolve_num_classes(request, num_classes, DEFAULT_NUM_CLASSES)
    model = SegmentationModel(FusedPyramid(backbone, 4), FCNHead(fpn_channels, num_classes))
    return load_request(model, request)
