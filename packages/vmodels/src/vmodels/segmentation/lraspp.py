"""LR-ASPP (Lite Reduced Atrous Spatial Pyramid Pooling): a light segmentation head on a
MobileNetV3-Large whose last stage is dilated (output stride 16). The high-level features, gated
by their global average (squeeze-and-excitation style), are upsampled to the stride-8 features
and the logits of both are summed, then upsampled bilinearly to the input's size.

Parameter and buffer names follow torchvision's layout (``backbone.<i>...``,
``classifier.cbr/scale/low_classifier/high_classifier``), so its checkpoints load with
``strict=True``. The builder expects ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and
normalized with the ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the COCO
weights were evaluated with the shorter side resized to 520. The output is
``{"out": Tensor[N, num_classes, H, W]}`` of logits; there is no auxiliary classifier.
"""

from functools import partial

import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, load_request, model_builder, resolve_num_classes
from .._weights import Weights, WeightsEnum
from ..classification.mobilenetv3 import mobilenet_v3_large
from ..presets import SemanticSegmentation
from ._utils import DEFAULT_NUM_CLASSES, VOC_CATEGORIES, dilated_mobilenet_v3_backbone


class LRASPPHead(nn.Module):
    """``low_classifier(low) + high_classifier(upsample(cbr(high) * scale(high)))``: a 1x1
    convolution, batch norm and ReLU on the high-level features, gated per channel by a sigmoid of
    a 1x1 convolution of their global average, upsampled to the low-level features' size.

    Args:
        low_channels: channels of the low-level (stride 8) features.
        high_channels: channels of the high-level features.
        num_classes: output channels.
        inter_channels: channels of the gated high-level branch.

    Shape:
        input ``{"low": Tensor[N, low_channels, h, w], "high": Tensor[N, high_channels, h', w']}``;
        output ``Tensor[N, num_classes, h, w]``.
    """

    def __init__(
        self, low_channels: int, high_channels: int, num_classes: int, inter_channels: int
    ) -> None:
        super().__init__()
        self.cbr = nn.Sequential(
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(inplace=True),
        )
        self.scale = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.Sigmoid(),
        )
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input: dict[str, Tensor]) -> Tensor:
        low, high = input["low"], input["high"]
        x = self.cbr(high) * self.scale(high)
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)


class LRASPP(nn.Module):
    """LR-ASPP from "Searching for MobileNetV3" (Howard et al., 2019): a backbone and an
    :class:`LRASPPHead`, whose logits are upsampled (bilinear, ``align_corners=False``) to the
    input's size.

    Args:
        backbone: returns ``dict[str, Tensor]`` with ``"low"`` and ``"high"`` feature maps.
        low_channels: channels of ``"low"``.
        high_channels: channels of ``"high"``.
        num_classes: output classes (background included).
        inter_channels: channels of the head's gated branch.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``{"out": Tensor[N, num_classes, H, W]}``.
    """

    def __init__(
        self,
        backbone: nn.Module,
        low_channels: int,
        high_channels: int,
        num_classes: int,
        inter_channels: int = 128,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input: Tensor) -> dict[str, Tensor]:
        out = self.classifier(self.backbone(input))
        out = F.interpolate(out, size=input.shape[-2:], mode="bilinear", align_corners=False)
        return {"out": out}


class LRASPP_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            "num_params": 3221538,
            "categories": VOC_CATEGORIES,
            "min_size": (1, 1),
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "segmentation#lraspp_mobilenet_v3_large"
            ),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 57.9, "pixel_acc": 91.2}},
            "_ops": 2.086,
            "_file_size": 12.49,
            "_docs": "Trained on the COCO images of the 20 Pascal VOC categories.",
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@model_builder(
    task="segmentation", weights=LRASPP_MobileNet_V3_Large_Weights, backbone="mobilenet_v3_large"
)
def lraspp_mobilenet_v3_large(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    **kwargs,
) -> LRASPP:
    """LR-ASPP with a dilated MobileNetV3-Large backbone, from "Searching for MobileNetV3"
    (Howard et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (COCO-VOC weights: resized to 520).
    ``num_classes`` defaults to 21 (the weights' number of categories when weights are given).
    There is no auxiliary classifier: ``aux_loss`` may only be None or False.
    ``weights_backbone`` (MobileNetV3-Large weights: a registered name or a file) initializes
    the backbone; ``kwargs`` go to the backbone's :func:`mobilenet_v3_large`.
    """
    if aux_loss not in (None, False):
        raise ValueError(
            f"lraspp_mobilenet_v3_large has no auxiliary classifier: aux_loss must be None or "
            f"False, got {aux_loss!r}"
        )
    num_classes = resolve_num_classes(request, num_classes, DEFAULT_NUM_CLASSES)
    backbone, high_channels, low_channels = dilated_mobilenet_v3_backbone(
        mobilenet_v3_large, request.weights_backbone, "high", "low", **kwargs
    )
    return load_request(LRASPP(backbone, low_channels, high_channels, num_classes), request)
