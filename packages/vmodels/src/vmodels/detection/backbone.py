"""Detection backbones: a classification network's stages under a feature pyramid, with frozen
batch norm and a chosen number of trainable stages."""

from collections.abc import Callable

from torch import Tensor, nn

import vops

from .._features import IntermediateLayerGetter
from .._registry import get_model_builder
from .._weights import WeightsArg

RESNET_STAGES = ("layer4", "layer3", "layer2", "layer1", "conv1")


class BackboneWithFPN(nn.Module):
    """Named stages of a network (``body``) followed by a :class:`vops.FeaturePyramidNetwork`.

    Args:
        backbone: a network whose ``forward`` is its children applied in order.
        return_layers: ``{child name: output name}`` of the stages fed to the FPN.
        in_channels_list: channels of those stages, in order.
        out_channels: channels of every pyramid level (the detector reads ``out_channels``).
        extra_blocks: levels appended after the FPN's (default :class:`vops.LastLevelMaxPool`).

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``dict[str, Tensor]`` of pyramid levels, finest
        first.
    """

    def __init__(
        self,
        backbone: nn.Module,
        return_layers: dict[str, str],
        in_channels_list: list[int],
        out_channels: int,
        extra_blocks: vops.ExtraFPNBlock | None = None,
    ) -> None:
        super().__init__()
        self.body = IntermediateLayerGetter(backbone, return_layers)
        self.fpn = vops.FeaturePyramidNetwork(
            in_channels_list, out_channels, extra_blocks=extra_blocks or vops.LastLevelMaxPool()
        )
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return self.fpn(self.body(x))


def _check_trainable_layers(trainable_layers: int, maximum: int) -> None:
    if not isinstance(trainable_layers, int) or not 0 <= trainable_layers <= maximum:
        raise ValueError(
            f"trainable_layers must be an int in [0, {maximum}], got {trainable_layers!r}"
        )


def resnet_fpn_backbone(
    backbone_name: str,
    *,
    weights: WeightsArg = None,
    trainable_layers: int = 3,
    returned_layers: list[int] | None = None,
    extra_blocks: vops.ExtraFPNBlock | None = None,
    norm_layer: Callable[[int], nn.Module] = vops.FrozenBatchNorm2d,
    out_channels: int = 256,
) -> BackboneWithFPN:
    """A ResNet or ResNeXt from the registry under a feature pyramid.

    Args:
        backbone_name: a registered ResNet-family classifier, e.g. ``"resnet50"``,
            ``"resnext101_32x8d"``.
        weights: the classifier's weights (ImageNet): a member of its weights enum
            (``ResNet50_Weights.IMAGENET1K_V1``), its name, a registry name or a checkpoint
            file.
        trainable_layers: how many stages, counted from ``layer4`` back to ``conv1``, keep
            ``requires_grad``; 5 trains all of them.
        returned_layers: which of ``layer1`` .. ``layer4`` feed the pyramid (default all four).
        extra_blocks: levels after the FPN's (default max-pooled ``"pool"``).
        norm_layer: the backbone's normalization (frozen batch norm by default).
        out_channels: channels of every pyramid level.
    """
    _check_trainable_layers(trainable_layers, len(RESNET_STAGES))
    returned_layers = [1, 2, 3, 4] if returned_layers is None else list(returned_layers)
    if not returned_layers or any(k not in (1, 2, 3, 4) for k in returned_layers):
        raise ValueError(
            f"returned_layers must be a non-empty subset of [1, 2, 3, 4], got {returned_layers}"
        )
    backbone = get_model_builder(backbone_name)(weights=weights, norm_layer=norm_layer)
    if not all(hasattr(backbone, f"layer{k}") for k in (1, 2, 3, 4)):
        raise ValueError(f"backbone_name must name a ResNet-family model, got {backbone_name!r}")
    trainable = RESNET_STAGES[:trainable_layers]
    if trainable_layers == len(RESNET_STAGES):
        trainable += ("bn1",)
    for name, parameter in backbone.named_parameters():
        if not name.startswith(trainable):
            parameter.requires_grad_(False)
    return_layers = {f"layer{k}": str(i) for i, k in enumerate(returned_layers)}
    stage2_channels = backbone.inplanes // 8
    in_channels_list = [stage2_channels * 2 ** (k - 1) for k in returned_layers]
    return BackboneWithFPN(backbone, return_layers, in_channels_list, out_channels, extra_blocks)


def _out_channels(block: nn.Module) -> int:
    channels = getattr(block, "out_channels", None)
    if isinstance(channels, int):
        return channels
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    return convs[-1].out_channels


def mobilenet_backbone(
    backbone_name: str = "mobilenet_v2",
    *,
    weights: WeightsArg = None,
    fpn: bool = True,
    trainable_layers: int = 3,
    norm_layer: Callable[[int], nn.Module] = vops.FrozenBatchNorm2d,
    out_channels: int = 256,
) -> nn.Module:
    """A MobileNet's ``features`` as a detection backbone.

    The stages are split where the resolution halves; with ``fpn`` the last two stages feed a
    feature pyramid (plus a max-pooled level), otherwise a 1x1 convolution maps the last
    features to ``out_channels`` (one map).

    Args:
        backbone_name: a registered model with a ``features`` Sequential, e.g. ``"mobilenet_v2"``.
        weights: the classifier's weights, as :func:`resnet_fpn_backbone` takes them.
        fpn: build a feature pyramid over the last two stages.
        trainable_layers: how many stages, counted from the last, keep ``requires_grad``.
        norm_layer: the backbone's normalization (frozen batch norm by default).
        out_channels: channels of the output maps.
    """
    model = get_model_builder(backbone_name)(weights=weights, norm_layer=norm_layer)
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Sequential):
        raise ValueError(
            f"backbone_name must name a model with a features Sequential, got {backbone_name!r}"
        )
    blocks = list(features)
    # A new stage starts at every block that halves the resolution.
    stage_starts = (
        [0] + [i for i, b in enumerate(blocks) if getattr(b, "stride", 1) == 2] + [len(blocks) - 1]
    )
    num_stages = len(stage_starts)
    _check_trainable_layers(trainable_layers, num_stages)
    frozen_until = (
        len(blocks) if trainable_layers == 0 else stage_starts[num_stages - trainable_layers]
    )
    for block in blocks[:frozen_until]:
        for parameter in block.parameters():
            parameter.requires_grad_(False)
    if not fpn:
        extra = nn.Conv2d(_out_channels(blocks[-1]), out_channels, 1)
        backbone = nn.Sequential(features, extra)
        backbone.out_channels = out_channels
        return backbone
    returned = [num_stages - 2, num_stages - 1]
    return_layers = {str(stage_starts[k]): str(i) for i, k in enumerate(returned)}
    in_channels_list = [_out_channels(blocks[stage_starts[k]]) for k in returned]
    return BackboneWithFPN(features, return_layers, in_channels_list, out_channels)
