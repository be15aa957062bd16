"""Backbones: a network's stages as feature maps, for detection, segmentation and anyone who asks.

:func:`stage_graph` traces a network up to its last requested stage (any module, by name) and
returns the stages' maps by name. On it are built :class:`FeatureMaps`, the maps of chosen stages
of any classifier whose family declares them (``vmodels.get_model(name, features_only=True,
out_indices=...)``, as timm has it) with ``feature_info`` (module, channels, reduction per stage),
and the detection and segmentation backbones: under a feature pyramid
(:class:`BackboneWithFPN`, :func:`resnet_fpn_backbone`, :func:`mobilenet_backbone`) or dilated
(``vmodels.segmentation``), with frozen batch norm and a chosen number of trainable stages.
:class:`IntermediateLayerGetter` (named direct children of a network that runs its children in
order) is kept for code written against torchvision's.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

import vops

from ._registry import get_model_builder
from ._weights import WeightsArg
from .feature_extraction import create_feature_extractor

RESNET_STAGES = ("layer4", "layer3", "layer2", "layer1", "conv1")


@dataclass(frozen=True)
class FeatureStage:
    """One stage a feature-map backbone can return: the module whose output is the map, its
    channels and its reduction (input side / map side, a power of two)."""

    module: str
    channels: int
    reduction: int


class FeatureInfo(tuple):
    """The stages a :class:`FeatureMaps` returns, in order, with timm's accessors."""

    def channels(self) -> list[int]:
        return [stage.channels for stage in self]

    def reduction(self) -> list[int]:
        return [stage.reduction for stage in self]

    def module_name(self) -> list[str]:
        return [stage.module for stage in self]


@dataclass(frozen=True)
class FeatureSpec:
    """What a family declares for ``features_only``: the modules whose outputs are its stages,
    finest first (a function of the built model), and the side of the square probe image that
    measures their channels and reductions (large enough that every reduction rounds right, and
    one the model accepts): a number, or a function of the built model where the model's
    arguments decide it (MaxViT's partition size)."""

    stages: Callable[[nn.Module], list[str]]
    probe_size: int | Callable[[nn.Module], int] = 64

    def probe_size_for(self, model: nn.Module) -> int:
        """The probe side for ``model``."""
        return self.probe_size(model) if callable(self.probe_size) else self.probe_size


def stages_before_max_pools(model: nn.Module) -> list[str]:
    """The children of ``model.features`` just before each max pool, then its last child: the
    stages of a plain convolutional stack (AlexNet, SqueezeNet)."""
    layers = list(model.features)
    before = [i - 1 for i, layer in enumerate(layers) if isinstance(layer, nn.MaxPool2d) and i]
    return [f"features.{i}" for i in [*before, len(layers) - 1]]


def stage_graph(model: nn.Module, return_layers: dict[str, str]) -> nn.Module:
    """``model`` traced up to its last requested stage, returning ``{output name: map}``.

    The stages are modules anywhere in ``model`` (``"layer3"``, ``"features.6"``,
    ``"trunk_output.block2"``), not only direct children; what follows the last one is dropped,
    and the parameter names of what is kept are ``model``'s. Only the stages' enclosing modules
    are traced through; every other module stays one call, so that tracing a model built on
    the graph (feature extraction on a detector) names its nodes as it names ``model``'s. The
    graph scripts and exports. Stages precede any train-only branch (auxiliary heads), so the
    train and eval graphs agree.

    Raises:
        ValueError: if ``return_layers`` is empty or not ``dict[str, str]``.
    """
    if (
        not isinstance(return_layers, dict)
        or not return_layers
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in return_layers.items())
    ):
        raise ValueError(
            "return_layers must be a non-empty dict[str, str] of module name to output name, "
            f"got {return_layers!r}"
        )
    enclosing = {
        name.rsplit(".", depth)[0]
        for name in return_layers
        for depth in range(1, name.count(".") + 1)
    }
    return create_feature_extractor(
        model,
        return_nodes=return_layers,
        tracer_kwargs={"trace_only_into": enclosing},
        suppress_diff_warning=True,
    )


class FeatureMaps(nn.Module):
    """The feature maps of chosen stages of a network, finest first, as timm's
    ``features_only`` models return them (``vmodels.get_model(name, features_only=True)``).

    The network is traced with :func:`vmodels.feature_extraction.create_feature_extractor`
    up to the last chosen stage; what follows it (pooling, classifier) is dropped, and the
    parameter names of what is kept are the network's.

    Args:
        model: the network.
        stages: the modules whose outputs are the stages it offers, finest first.
        out_indices: which of ``stages`` to return (negative counts from the end); default all.
        probe_size: the side of the square image of one forward pass (eval mode, no gradient)
            that measures each stage's channels and reduction (the power of two nearest to
            ``probe_size / map side``).

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``list[Tensor]``, one ``Tensor[N, channels_i,
        H / reduction_i, W / reduction_i]`` (rounded as the network rounds) per chosen stage.

    Raises:
        ValueError: ``out_indices`` that are not distinct indices of ``stages``.
    """

    def __init__(
        self,
        model: nn.Module,
        stages: Sequence[str],
        out_indices: Sequence[int] | None = None,
        probe_size: int = 64,
    ) -> None:
        super().__init__()
        chosen = _check_out_indices(out_indices, len(stages))
        names = [stages[i] for i in chosen]
        self.body = stage_graph(model, {name: str(k) for k, name in enumerate(names)})
        shapes = self._probe(probe_size)
        self.feature_info = FeatureInfo(
            FeatureStage(name, shape[1], 2 ** round(math.log2(probe_size / shape[-1])))
            for name, shape in zip(names, shapes, strict=True)
        )

    @torch.no_grad()
    def _probe(self, size: int) -> list[torch.Size]:
        was_training = self.body.training
        self.body.eval()
        parameter = next(self.body.parameters())
        probe = torch.zeros(1, 3, size, size, dtype=parameter.dtype, device=parameter.device)
        shapes = [feature.shape for feature in self.body(probe).values()]
        self.body.train(was_training)
        return shapes

    def forward(self, x: Tensor) -> list[Tensor]:
        return list(self.body(x).values())


def _check_out_indices(out_indices: Sequence[int] | None, count: int) -> list[int]:
    if out_indices is None:
        return list(range(count))
    given = list(out_indices) if isinstance(out_indices, (list, tuple)) else None
    valid = (
        given is not None
        and len(given) > 0
        and all(
            isinstance(i, int) and not isinstance(i, bool) and -count <= i < count for i in given
        )
    )
    chosen = [i % count for i in given] if valid else []
    if not valid or len(set(chosen)) != len(chosen):
        raise ValueError(
            f"out_indices must be distinct stage indices in [{-count}, {count - 1}] (this model "
            f"has {count} stages), got {out_indices!r}"
        )
    return sorted(chosen)


class IntermediateLayerGetter(nn.ModuleDict):
    """Runs the direct children of a backbone in order and returns some of their outputs by name.

    Only the children up to the last requested one are kept (for a ResNet asked for ``layer4``, the
    average pool and classifier are dropped), under their own names, so the state dict keys of
    ``backbone.<child>...`` equal the backbone's. The backbone's ``forward`` must be nothing more
    than its children applied one after the other.

    Args:
        model: the backbone.
        return_layers: ``{child name: output name}``, e.g. ``{"layer4": "out", "layer3": "aux"}``.

    Shape:
        input whatever the first child takes; output ``dict[str, Tensor]`` with one entry per
        requested child, in the order the children run.

    Raises:
        ValueError: if ``return_layers`` is empty, not ``dict[str, str]``, names something that is
            not a direct child of ``model``, or repeats an output name.
    """

    return_layers: dict[str, str]

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if (
            not isinstance(return_layers, dict)
            or not return_layers
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in return_layers.items())
        ):
            raise ValueError(
                "return_layers must be a non-empty dict[str, str] of child name to output name, "
                f"got {return_layers!r}"
            )
        children = list(model.named_children())
        names = [name for name, _ in children]
        unknown = [name for name in return_layers if name not in names]
        if unknown:
            raise ValueError(
                f"return_layers names {unknown}, which are not direct children of the "
                f"{type(model).__name__}; its children are {names}"
            )
        if len(set(return_layers.values())) != len(return_layers):
            raise ValueError(f"return_layers repeats an output name: {return_layers!r}")
        last = max(names.index(name) for name in return_layers)
        super().__init__(children[: last + 1])
        self.return_layers = dict(return_layers)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        features: dict[str, Tensor] = {}
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                features[self.return_layers[name]] = x
        return features


class BackboneWithFPN(nn.Module):
    """Named stages of a network (``body``, its :func:`stage_graph`) followed by a
    :class:`vops.FeaturePyramidNetwork`.

    Args:
        backbone: the network.
        return_layers: ``{module name: output name}`` of the stages fed to the FPN, finest
            first; any module of ``backbone`` (``"layer2"``, ``"features.6"``).
        in_channels_list: channels of those stages, in order.
        out_channels: channels of every pyramid level (the detector reads ``out_channels``).
        extra_blocks: levels appended after the FPN's (default :class:`vops.LastLevelMaxPool`).
        norm_layer: normalization after each of the FPN's convolutions (default none).

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
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.body = stage_graph(backbone, return_layers)
        self.fpn = vops.FeaturePyramidNetwork(
            in_channels_list,
            out_channels,
            extra_blocks=extra_blocks or vops.LastLevelMaxPool(),
            norm_layer=norm_layer,
        )
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        return self.fpn(self.body(x))


def check_trainable_layers(value: int, maximum: int, name: str = "trainable_layers") -> None:
    """Require ``value`` (the argument ``name``) to be an int in ``[0, maximum]``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise ValueError(f"{name} must be an int in [0, {maximum}], got {value!r}")


def resnet_fpn_backbone(
    backbone_name: str,
    *,
    weights: WeightsArg = None,
    trainable_layers: int = 3,
    returned_layers: list[int] | None = None,
    extra_blocks: vops.ExtraFPNBlock | None = None,
    norm_layer: Callable[[int], nn.Module] = vops.FrozenBatchNorm2d,
    out_channels: int = 256,
    fpn_norm_layer: Callable[[int], nn.Module] | None = None,
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
        fpn_norm_layer: normalization after each FPN convolution (none by default; batch norm
            in the v2 R-CNNs).
    """
    check_trainable_layers(trainable_layers, len(RESNET_STAGES))
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
    return BackboneWithFPN(
        backbone, return_layers, in_channels_list, out_channels, extra_blocks, fpn_norm_layer
    )


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
    returned_layers: list[int] | None = None,
    extra_blocks: vops.ExtraFPNBlock | None = None,
    norm_layer: Callable[[int], nn.Module] = vops.FrozenBatchNorm2d,
    out_channels: int = 256,
) -> nn.Module:
    """A MobileNet's ``features`` as a detection backbone.

    The stages are the stem, each block that halves the resolution and the last layer
    (MobileNetV3-Large: 6). With ``fpn`` chosen stages (default the last two) feed a feature
    pyramid, otherwise a 1x1 convolution maps the last features to ``out_channels`` (one map).

    Args:
        backbone_name: a registered model with a ``features`` Sequential, e.g. ``"mobilenet_v2"``.
        weights: the classifier's weights, as :func:`resnet_fpn_backbone` takes them.
        fpn: build a feature pyramid over ``returned_layers``.
        trainable_layers: how many stages, counted from the last, keep ``requires_grad``.
        returned_layers: indices of the stages that feed the pyramid (default the last two).
        extra_blocks: levels after the FPN's (default max-pooled ``"pool"``).
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
    # A new stage starts at every block that halves the resolution (MobileNetV3's blocks mark
    # it as _is_cn, MobileNetV2's keep their stride).
    stage_starts = (
        [0]
        + [
            i
            for i, b in enumerate(blocks)
            if getattr(b, "_is_cn", False) or getattr(b, "stride", 1) == 2
        ]
        + [len(blocks) - 1]
    )
    num_stages = len(stage_starts)
    check_trainable_layers(trainable_layers, num_stages)
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
    returned = [num_stages - 2, num_stages - 1] if returned_layers is None else returned_layers
    if (
        not isinstance(returned, (list, tuple))
        or not returned
        or not all(
            isinstance(k, int) and not isinstance(k, bool) and 0 <= k < num_stages for k in returned
        )
    ):
        raise ValueError(
            f"returned_layers must be a non-empty list of stage indices in [0, {num_stages - 1}], "
            f"got {returned_layers!r}"
        )
    return_layers = {str(stage_starts[k]): str(i) for i, k in enumerate(returned)}
    in_channels_list = [_out_channels(blocks[stage_starts[k]]) for k in returned]
    return BackboneWithFPN(features, return_layers, in_channels_list, out_channels, extra_blocks)
