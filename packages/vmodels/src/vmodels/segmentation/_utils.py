"""What the segmentation models share: a backbone wrapper returning named intermediate feature
maps, the backbone -> classifier -> upsample model, the builders' argument resolution and the
dilated backbones."""

from collections.abc import Callable

import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, load_request, resolve_num_classes
from .._weights import WeightsArg
from ..backbones import stage_graph

# Pascal VOC's classes, in the order of the output channels of the VOC-category weights.
VOC_CATEGORIES = (
    "__background__",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)


class SegmentationModel(nn.Module):
    """A backbone, a classifier on its ``"out"`` features and optionally an auxiliary classifier
    on its ``"aux"`` features; both predictions are upsampled (bilinear, ``align_corners=False``)
    to the input's size.

    Args:
        backbone: returns ``dict[str, Tensor]`` with ``"out"`` (and ``"aux"`` if
            ``aux_classifier`` is given), e.g. a :func:`vmodels.backbones.stage_graph`.
        classifier: maps the ``"out"`` features to ``Tensor[N, num_classes, h, w]``.
        aux_classifier: maps the ``"aux"`` features likewise, or None. Used in training for an
            auxiliary loss; it runs in eval mode as well.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``{"out": Tensor[N, num_classes, H, W]}``, plus
        ``"aux"`` of the same shape when there is an auxiliary classifier.
    """

    def __init__(
        self, backbone: nn.Module, classifier: nn.Module, aux_classifier: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        size = x.shape[-2:]
        features = self.backbone(x)
        out = self.classifier(features["out"])
        result = {"out": F.interpolate(out, size=size, mode="bilinear", align_corners=False)}
        if self.aux_classifier is not None:
            aux = self.aux_classifier(features["aux"])
            result["aux"] = F.interpolate(aux, size=size, mode="bilinear", align_corners=False)
        return result


DEFAULT_NUM_CLASSES = 21


def resolve_aux_loss(request: BuildRequest, aux_loss: bool | None) -> bool:
    """Whether to build the auxiliary classifier: by default exactly when the model starts from
    weights, since the published checkpoints hold it (they require it)."""
    if aux_loss is not None and not isinstance(aux_loss, bool):
        raise ValueError(f"aux_loss must be None, True or False, got {aux_loss!r}")
    if request.categories is not None and aux_loss is False:
        raise ValueError(
            f"weights {request.weights!r} include the auxiliary classifier, so aux_loss must be "
            "True or unset; drop model.aux_classifier after loading if it is not wanted"
        )
    return request.weights is not None if aux_loss is None else aux_loss


def build_segmentation_model(
    request: BuildRequest,
    make: Callable[..., nn.Module],
    num_classes: int | None,
    aux_loss: bool | None,
    **kwargs,
) -> nn.Module:
    """What every dilated-ResNet segmentation builder does: resolve ``num_classes`` (default
    21) and ``aux_loss`` against the weights, then ``make(num_classes=, aux_loss=,
    weights_backbone=, **kwargs)`` loaded with the weights."""
    model = make(
        num_classes=resolve_num_classes(request, num_classes, DEFAULT_NUM_CLASSES),
        aux_loss=resolve_aux_loss(request, aux_loss),
        weights_backbone=request.weights_backbone,
        **kwargs,
    )
    return load_request(model, request)


def dilated_resnet_backbone(
    resnet: Callable[..., nn.Module], weights_backbone: WeightsArg, aux: bool, **kwargs
) -> nn.Module:
    """A ResNet with output stride 8 (``replace_stride_with_dilation=[False, True, True]``),
    loaded with ``weights_backbone``, returning ``layer4`` as ``"out"`` and, if ``aux``,
    ``layer3`` as ``"aux"``. ``kwargs`` go to the ResNet."""
    backbone = resnet(
        weights=weights_backbone, replace_stride_with_dilation=[False, True, True], **kwargs
    )
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    return stage_graph(backbone, return_layers)


def dilated_mobilenet_v3_backbone(
    mobilenet_v3: Callable[..., nn.Module],
    weights_backbone: WeightsArg,
    high: str,
    low: str | None = None,
    **kwargs,
) -> tuple[nn.Module, int, int]:
    """A MobileNetV3's ``features`` with a dilated last stage (output stride 16), loaded with
    ``weights_backbone``, returning the last layer as ``high`` and, if ``low`` is given, the
    first block at output stride 8 as ``low``. ``kwargs`` go to ``mobilenet_v3``.

    Returns:
        ``(backbone, high_channels, low_channels)``.
    """
    features = mobilenet_v3(weights=weights_backbone, dilated=True, **kwargs).features
    # the stem, each stage's first block (marked strided) and the last layer; counted from the
    # end, so that a reduced or narrower MobileNetV3 taps the same stages
    stages = [0] + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
    stages.append(len(features) - 1)
    high_index, low_index = stages[-1], stages[-4]
    return_layers = {str(high_index): high}
    if low is not None:
        return_layers[str(low_index)] = low
    backbone = stage_graph(features, return_layers)
    return backbone, features[high_index].out_channels, features[low_index].out_channels
