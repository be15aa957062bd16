"""The one build step every built-in builder shares.

A builder is written as ``def resnet50(request: BuildRequest, **kwargs)`` under
:func:`model_builder`, which registers it (its name written once, the function's) and turns it
into the public builder ``resnet50(*, weights=None, pretrained=False, progress=True, **kwargs)``:
the wrapper resolves ``weights`` / ``pretrained`` / ``weights_backbone`` / ``pretrained_backbone``
and their conflicts into a :class:`BuildRequest`, one message each, and records what the model
was built with as ``model.build_info``. The builder then sizes its head
(:func:`resolve_num_classes`), chooses its backbone's training policy (:func:`backbone_policy`),
constructs the model and loads the weights into it (:func:`load_request`); :func:`build_model`
does all three for a model whose constructor takes ``num_classes``, as classifiers do.
"""

import functools
import inspect
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

import vops

from ._registry import register_model
from ._weights import WeightsArg, WeightsEnum, resolve_weights, state_dict_of
from .backbones import FeatureMaps, FeatureSpec, check_trainable_layers

ResolvedWeights = WeightsEnum | Path | None


@dataclass(frozen=True)
class BuildRequest:
    """What a builder was asked to load: the model's weights and its backbone's, each resolved
    to a registered entry, a checkpoint file or None."""

    model: str
    weights: ResolvedWeights = None
    weights_backbone: ResolvedWeights = None

    @property
    def is_trained(self) -> bool:
        """Whether any part of the model starts from trained weights."""
        return self.weights is not None or self.weights_backbone is not None

    @property
    def categories(self) -> list[str] | None:
        """The classes the weights predict (None without a registered entry, and for
        feature-only weights)."""
        if isinstance(self.weights, WeightsEnum):
            return self.weights.meta.get("categories")
        return None


@dataclass(frozen=True)
class BuildInfo:
    """What a model was built with, kept on it as ``model.build_info``."""

    model: str
    weights: str | None
    weights_backbone: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)


def model_builder(
    *,
    task: str,
    weights: type[WeightsEnum] | None = None,
    backbone: str | None = None,
    features: FeatureSpec | None = None,
) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator turning ``build(request, **kwargs)`` into a registered public builder.

    Args:
        task: the model's task (see :func:`vmodels.register_model`).
        weights: the model's published checkpoints.
        backbone: the registered model whose weights ``weights_backbone`` takes (``"resnet50"``);
            without it the builder refuses ``weights_backbone``.
        features: the stages ``features_only=True`` returns (with ``out_indices``): the
            builder then gives a :class:`vmodels.backbones.FeatureMaps` of the model.
    """

    def decorate(build: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        name = build.__name__

        @functools.wraps(build)
        def builder(
            *,
            weights: WeightsArg = None,
            pretrained: bool = False,
            progress: bool = True,
            **kwargs: Any,
        ) -> nn.Module:
            del progress  # downloads report nothing; accepted for torchvision's signature
            features_only = kwargs.pop("features_only", False)
            out_indices = kwargs.pop("out_indices", None)
            if features_only and features is None:
                raise ValueError(
                    f"{name} does not build as a feature-map backbone; "
                    "list_models(features_only=True) names those that do"
                )
            if out_indices is not None and not features_only:
                raise ValueError(f"{name}: out_indices needs features_only=True")
            request = resolve_build(
                name,
                backbone,
                weights,
                pretrained,
                kwargs.pop("weights_backbone", None),
                kwargs.pop("pretrained_backbone", False),
            )
            model = build(request, **kwargs)
            recorded = dict(kwargs)
            if features_only:
                stages = features.stages(model)
                model = FeatureMaps(model, stages, out_indices, features.probe_size_for(model))
                recorded.update(features_only=True, out_indices=out_indices)
            model.build_info = BuildInfo(
                name, _describe(request.weights), _describe(request.weights_backbone), recorded
            )
            return model

        builder.__signature__ = _public_signature(build, backbone is not None, features is not None)
        del builder.__wrapped__  # help() and inspect show the public signature
        return register_model(task=task, weights=weights, features=features)(builder)

    return decorate


def resolve_build(
    model: str,
    backbone: str | None,
    weights: WeightsArg,
    pretrained: bool = False,
    weights_backbone: WeightsArg = None,
    pretrained_backbone: bool = False,
) -> BuildRequest:
    """Resolve the model's and the backbone's weights (see
    :func:`vmodels._weights.resolve_weights`); backbone weights beside the model's, which
    overwrite them, are ignored with a warning."""
    resolved = resolve_weights(model, weights, pretrained)
    if backbone is None:
        if weights_backbone is not None or pretrained_backbone:
            raise ValueError(f"{model} has no separately trained backbone: drop weights_backbone")
        return BuildRequest(model, resolved)
    if resolved is not None:
        if weights_backbone is not None or pretrained_backbone:
            # torchvision drops them silently; the model's weights overwrite the backbone's.
            warnings.warn(
                f"{model}: weights_backbone is ignored, since the model's weights {resolved!r} "
                "include the backbone",
                UserWarning,
                stacklevel=3,
            )
        return BuildRequest(model, resolved)
    return BuildRequest(
        model, resolved, resolve_weights(backbone, weights_backbone, pretrained_backbone)
    )


def resolve_num_classes(
    request: BuildRequest, num_classes: int | None, default: int, minimum: int = 1
) -> int:
    """``num_classes`` for the model's head: the weights' category count when they have
    categories (another explicit value is an error), else ``num_classes`` or ``default``.

    ``minimum`` is 2 for detectors, whose classes include the background.
    """
    if num_classes is not None and (
        not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < minimum
    ):
        background = " (background included)" if minimum > 1 else ""
        raise ValueError(
            f"num_classes must be an int >= {minimum}{background}, got {num_classes!r}"
        )
    categories = request.categories
    if categories is None:
        return default if num_classes is None else num_classes
    if num_classes is not None and num_classes != len(categories):
        raise ValueError(
            f"num_classes={num_classes} does not match weights {request.weights!r}, which predict "
            f"{len(categories)} categories; leave num_classes unset (or pass {len(categories)}), "
            "or load them and replace the classifier to train on other classes"
        )
    return len(categories)


def backbone_policy(
    request: BuildRequest, trainable_layers: int | None, maximum: int, default: int
) -> tuple[int, Callable[[int], nn.Module]]:
    """``(trainable stages, norm layer)`` of a detection or segmentation backbone.

    Starting from trained weights (the model's or the backbone's) batch norm is frozen
    (:class:`vops.FrozenBatchNorm2d`) and ``default`` stages train unless ``trainable_layers``
    says otherwise. From scratch there are no statistics to freeze: batch norm trains and, by
    default, so do all ``maximum`` stages.
    """
    if trainable_layers is not None:
        check_trainable_layers(trainable_layers, maximum, "trainable_backbone_layers")
    if not request.is_trained:
        return (maximum if trainable_layers is None else trainable_layers), nn.BatchNorm2d
    return (default if trainable_layers is None else trainable_layers), vops.FrozenBatchNorm2d


def load_request(model: nn.Module, request: BuildRequest) -> nn.Module:
    """Load the request's weights (if any) into ``model`` strictly; returns ``model``."""
    state_dict = state_dict_of(request.weights)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model


def build_model(request: BuildRequest, make: Callable[..., nn.Module], **kwargs: Any) -> nn.Module:
    """``make(**kwargs)`` loaded with the request's weights. With weights that have categories,
    ``num_classes`` is set to their count (another value is an error)."""
    if request.categories is not None:
        kwargs["num_classes"] = resolve_num_classes(
            request, kwargs.get("num_classes"), len(request.categories)
        )
    return load_request(make(**kwargs), request)


def _public_signature(
    build: Callable[..., nn.Module], has_backbone: bool, has_features: bool
) -> inspect.Signature:
    """The builder's own keyword parameters after the arguments the wrapper takes."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    common = [
        inspect.Parameter("weights", keyword, default=None, annotation=WeightsArg),
        inspect.Parameter("pretrained", keyword, default=False, annotation=bool),
        inspect.Parameter("progress", keyword, default=True, annotation=bool),
    ]
    if has_backbone:
        common += [
            inspect.Parameter("weights_backbone", keyword, default=None, annotation=WeightsArg),
            inspect.Parameter("pretrained_backbone", keyword, default=False, annotation=bool),
        ]
    if has_features:
        common += [
            inspect.Parameter("features_only", keyword, default=False, annotation=bool),
            inspect.Parameter(
                "out_indices", keyword, default=None, annotation=Sequence[int] | None
            ),
        ]
    own = list(inspect.signature(build).parameters.values())[1:]
    return inspect.Signature(
        common + own, return_annotation=inspect.signature(build).return_annotation
    )


def _describe(weights: ResolvedWeights) -> str | None:
    if weights is None:
        return None
    return repr(weights) if isinstance(weights, WeightsEnum) else str(weights)
