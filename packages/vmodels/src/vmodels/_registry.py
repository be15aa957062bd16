"""The model registry: a name -> builder table filled by vmodels' own model modules and by
third-party plugins.

Contract of an entry: a builder is a callable returning an ``nn.Module``; it accepts
``weights=`` (None, a registered weights name, or a file path) and ``**kwargs`` for the model's
constructor. Names are unique across vmodels and every plugin.

Plugins declare an entry point in the group ``vmodels.models``. It may point at a module (importing
it registers its builders with :func:`register_model`) or at a builder, which is registered under
the entry point's name with the task in its ``task`` attribute (default ``"classification"``).
Built-in models and plugins are loaded lazily, on the first registry lookup.
"""

import difflib
import fnmatch
import importlib
import pkgutil
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import TYPE_CHECKING

from torch import nn

from ._weights import (
    WeightsEnum,
    find_weights,
    register_weights,
    restore_weights,
    weights_of,
    weights_snapshot,
)

if TYPE_CHECKING:
    from .backbones import FeatureSpec

ENTRY_POINT_GROUP = "vmodels.models"
TASKS = ("classification", "segmentation", "detection")
# Packages of vmodels whose modules, all imported on the first lookup, register the built-ins.
_MODEL_PACKAGES = ("vmodels.classification", "vmodels.segmentation", "vmodels.detection")
# torchvision.models holds the classifiers; its detection and segmentation sub-packages the rest.
_PUBLIC_HOMES = {"vmodels": "vmodels.classification"}

Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class ModelEntry:
    """A registered builder, the task it serves, and who provided it (its module)."""

    name: str
    builder: Builder
    task: str
    provider: str
    weights: type[WeightsEnum] | None = None
    features: "FeatureSpec | None" = None


_entries: dict[str, ModelEntry] = {}
_loaded = False


class ModelNameClashError(ValueError):
    """Two providers registered the same model name."""


def register_model(
    name: str | None = None,
    *,
    task: str,
    weights: type[WeightsEnum] | None = None,
    features: "FeatureSpec | None" = None,
) -> Callable[[Builder], Builder]:
    """Decorator registering a model builder under ``name`` (default: the function's name).

    Args:
        name: registry name; must not be taken by vmodels or another plugin.
        task: ``"classification"``, ``"segmentation"``, ``"detection"`` or another task name.
        weights: the model's published checkpoints, a :class:`~vmodels.WeightsEnum` subclass;
            each member is also registered as ``"<name>.<member in lower case>"``.
        features: the stages the builder returns with ``features_only=True``
            (:class:`vmodels.backbones.FeatureSpec`); recorded for ``list_models``.

    Raises:
        ModelNameClashError: (a ValueError) if another builder has the name; names both providers.
    """
    _check_task(task)

    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"name must be a non-empty string or None, got {name!r}")

    def decorate(builder: Builder) -> Builder:
        entry = ModelEntry(
            name or builder.__name__, builder, task, _provider_of(builder), weights, features
        )
        if weights is not None:
            register_weights(entry.name, weights)  # checked first: a bad enum registers nothing
        _add(entry)
        return builder

    return decorate


def _check_task(task: object) -> None:
    if not isinstance(task, str) or not task:
        raise ValueError(f"task must be a non-empty string such as {TASKS}, got {task!r}")


# The plugin distribution being loaded, so that its registrations name it as their provider.
_loading_distribution: str | None = None


def _provider_of(builder: Builder) -> str:
    if _loading_distribution is None:
        return builder.__module__
    return f"{builder.__module__} (plugin distribution {_loading_distribution})"


def _add(entry: ModelEntry) -> None:
    existing = _entries.get(entry.name)
    if existing is not None and existing.builder is not entry.builder:
        raise ModelNameClashError(
            f"model name {entry.name!r} is registered twice: by {existing.provider} and by "
            f"{entry.provider}; rename one of them"
        )
    _entries[entry.name] = entry


def _load_all() -> None:
    """Import the built-in model modules, then the plugins; done again until it succeeds."""
    global _loaded
    if _loaded:
        return
    for package_name in _MODEL_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.iter_modules(package.__path__, package_name + "."):
            importlib.import_module(module.name)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        _load_plugin(entry_point)
    _loaded = True


def _load_plugin(entry_point) -> None:
    global _loading_distribution
    before = dict(_entries)
    weights_before = weights_snapshot()
    _loading_distribution = entry_point.dist.name if entry_point.dist else None
    try:
        loaded = entry_point.load()
        # An entry point naming a module registered its builders on import; one naming a
        # builder that is not registered yet is registered under the entry point's name.
        is_builder = callable(loaded) and not isinstance(loaded, ModuleType)
        if is_builder and not any(e.builder is loaded for e in _entries.values()):
            task = getattr(loaded, "task", "classification")
            _check_task(task)
            _add(ModelEntry(entry_point.name, loaded, task, _provider_of(loaded)))
    except ModelNameClashError:
        _entries.clear()
        _entries.update(before)
        restore_weights(weights_before)
        raise
    except Exception as error:  # a broken plugin must not break the registry
        _entries.clear()
        _entries.update(before)  # nor leave half of its models (or their weights) behind
        restore_weights(weights_before)
        warnings.warn(
            f"vmodels plugin {entry_point.name!r} ({entry_point.value}) failed to load and "
            f"was skipped: {type(error).__name__}: {error}",
            RuntimeWarning,
            stacklevel=4,
        )
    finally:
        _loading_distribution = None


def list_models(
    module: ModuleType | None = None,
    include: str | Iterable[str] | None = None,
    exclude: str | Iterable[str] | None = None,
    *,
    task: str | None = None,
    pattern: str | None = None,
    features_only: bool = False,
) -> list[str]:
    """Sorted names of the registered models, filtered as torchvision's ``list_models`` does.

    Args:
        module: only the models defined in this module or package (``vmodels.detection``).
        include: shell-style patterns (``"resnet*"``); a name matching any of them is kept.
        exclude: patterns; a name matching any of them is dropped (after ``include``).
        task: only the models of this task (``"classification"``, ...).
        pattern: one more ``include`` pattern (vmodels' original keyword).
        features_only: only the models that build as feature-map backbones
            (``get_model(name, features_only=True)``).
    """
    if isinstance(module, str):
        # vmodels' list_models took the task first, before torchvision's module argument.
        warnings.warn(
            f"list_models({module!r}): pass the task as task={module!r}",
            DeprecationWarning,
            stacklevel=2,
        )
        module, task = None, module
    _load_all()
    names = [
        name
        for name, entry in _entries.items()
        if (task is None or entry.task == task)
        and (pattern is None or fnmatch.fnmatchcase(name, pattern))
        and (module is None or _defined_in(entry.builder, module))
        and (not features_only or entry.features is not None)
    ]
    if include is not None:
        patterns = _patterns(include, "include")
        names = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    if exclude is not None:
        patterns = _patterns(exclude, "exclude")
        names = [n for n in names if not any(fnmatch.fnmatchcase(n, p) for p in patterns)]
    return sorted(names)


def _defined_in(builder: Builder, module: ModuleType) -> bool:
    """Whether ``builder`` belongs to ``module``: defined in one of its modules, where
    ``vmodels`` itself holds the classifiers, as ``torchvision.models`` does."""
    if not isinstance(module, ModuleType):
        raise TypeError(f"module must be a module such as vmodels.detection, got {module!r}")
    home = _PUBLIC_HOMES.get(module.__name__, module.__name__)
    defined = builder.__module__
    return defined == home or defined.startswith(home + ".")


def _patterns(value: str | Iterable[str], name: str) -> list[str]:
    patterns = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(p, str) for p in patterns):
        raise TypeError(f"{name} must be a pattern or an iterable of patterns, got {value!r}")
    return patterns


def get_model_builder(name: str) -> Builder:
    """The builder registered under ``name``.

    Raises:
        ValueError: for an unknown name, listing the closest registered names.
    """
    _load_all()
    entry = _entries.get(name)
    if entry is None:
        close = difflib.get_close_matches(name.lower(), _entries, n=8)
        hint = f"; similar names: {close}" if close else ""
        raise ValueError(
            f"unknown model {name!r}{hint}. list_models() shows all {len(_entries)} models"
        )
    return entry.builder


def get_model_entry(name: str) -> ModelEntry:
    """The full registry entry (builder, task, provider) of ``name``."""
    get_model_builder(name)
    return _entries[name]


def get_model(name: str, **kwargs) -> nn.Module:
    """Build the model registered under ``name``; ``kwargs`` go to its builder (for example
    ``weights=``, ``num_classes=``)."""
    return get_model_builder(name)(**kwargs)


def get_model_weights(name: str | Builder) -> type[WeightsEnum]:
    """The weights enum of a model, by name (``"resnet50"``) or builder (``vmodels.resnet50``).

    Raises:
        ValueError: an unknown model, or one without published weights.
    """
    _load_all()
    if callable(name) and not isinstance(name, str):
        entry = next((e for e in _entries.values() if e.builder is name), None)
        if entry is None:
            raise ValueError(f"{name!r} is not a registered model builder")
        name = entry.name
    get_model_builder(name)
    weights = weights_of(name)
    if weights is None:
        raise ValueError(f"model {name!r} has no published weights")
    return weights


def get_weight(name: str) -> WeightsEnum:
    """A weights entry by its qualified enum name (``"ResNet50_Weights.IMAGENET1K_V2"``) or
    registry name (``"resnet50.imagenet1k_v2"``).

    Raises:
        ValueError: a name that denotes no registered entry.
    """
    _load_all()
    if not isinstance(name, str):
        raise TypeError(f"name must be a str such as 'ResNet50_Weights.DEFAULT', got {name!r}")
    member = find_weights(name)
    if member is None:
        raise ValueError(
            f"unknown weights {name!r}: expected '<Enum>.<MEMBER>' (ResNet50_Weights.DEFAULT) or "
            "'<model>.<member>' (resnet50.imagenet1k_v2); list_weights() shows them all"
        )
    return member


def find_public(name: str, package: str) -> object:
    """A built-in builder or weights enum by name, for the packages' ``__getattr__``:
    ``vmodels.resnet50``, ``vmodels.ResNet50_Weights``,
    ``vmodels.detection.MaskRCNN_ResNet50_FPN_Weights``.

    Raises:
        AttributeError: when ``name`` is neither in ``package``.
    """
    _load_all()
    home = _PUBLIC_HOMES.get(package, package)
    for entry in _entries.values():
        if not entry.builder.__module__.startswith(home + "."):
            continue
        if entry.name == name == entry.builder.__name__:
            return entry.builder
        if entry.weights is not None and entry.weights.__name__ == name:
            return entry.weights
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
