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
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from torch import nn

ENTRY_POINT_GROUP = "vmodels.models"
TASKS = ("classification", "segmentation", "detection")

# Modules of vmodels whose import registers the built-in models.
_BUILTIN_MODULES = (
    "vmodels.classification.alexnet",
    "vmodels.classification.cifar_resnet",
    "vmodels.classification.densenet",
    "vmodels.classification.googlenet",
    "vmodels.classification.inception",
    "vmodels.classification.mobilenetv2",
    "vmodels.classification.resnet",
    "vmodels.classification.shufflenetv2",
    "vmodels.classification.squeezenet",
    "vmodels.classification.vgg",
    "vmodels.detection.compact",
    "vmodels.detection.faster_rcnn",
    "vmodels.detection.keypoint_rcnn",
    "vmodels.detection.mask_rcnn",
    "vmodels.segmentation.compact",
    "vmodels.segmentation.deeplabv3",
    "vmodels.segmentation.fcn",
)

Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class ModelEntry:
    """A registered builder, the task it serves, and who provided it (its module)."""

    name: str
    builder: Builder
    task: str
    provider: str


_entries: dict[str, ModelEntry] = {}
_loaded = False


class ModelNameClashError(ValueError):
    """Two providers registered the same model name."""


def register_model(name: str | None = None, *, task: str) -> Callable[[Builder], Builder]:
    """Decorator registering a model builder under ``name`` (default: the function's name).

    Args:
        name: registry name; must not be taken by vmodels or another plugin.
        task: ``"classification"``, ``"segmentation"``, ``"detection"`` or another task name.

    Raises:
        ModelNameClashError: (a ValueError) if another builder has the name; names both providers.
    """
    _check_task(task)

    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"name must be a non-empty string or None, got {name!r}")

    def decorate(builder: Builder) -> Builder:
        _add(ModelEntry(name or builder.__name__, builder, task, _provider_of(builder)))
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
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        _load_plugin(entry_point)
    _loaded = True


def _load_plugin(entry_point) -> None:
    global _loading_distribution
    before = dict(_entries)
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
        raise
    except Exception as error:  # a broken plugin must not break the registry
        _entries.clear()
        _entries.update(before)  # nor leave half of its models behind
        warnings.warn(
            f"vmodels plugin {entry_point.name!r} ({entry_point.value}) failed to load and "
            f"was skipped: {type(error).__name__}: {error}",
            RuntimeWarning,
            stacklevel=4,
        )
    finally:
        _loading_distribution = None


def list_models(task: str | None = None, pattern: str | None = None) -> list[str]:
    """Sorted names of the registered models, optionally of one task and matching a
    shell-style ``pattern`` (e.g. ``"resnet*"``)."""
    _load_all()
    return sorted(
        name
        for name, entry in _entries.items()
        if (task is None or entry.task == task)
        and (pattern is None or fnmatch.fnmatchcase(name, pattern))
    )


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
