"""vmodels: classification, segmentation and detection models, with a registry, torchvision's
weights API and entry-point plugins.

Models are looked up by name (``list_models()``, ``get_model("resnet50", weights="DEFAULT")``)
or reached as torchvision users do: ``vmodels.resnet50(weights=vmodels.ResNet50_Weights.DEFAULT)``,
``vmodels.detection.maskrcnn_resnet50_fpn``, ``vmodels.segmentation.fcn_resnet50``.
Third-party packages add models through the ``vmodels.models`` entry-point group.
``vmodels.export(model, example_inputs, "onnx", path=...)`` exports one and checks the artefact
against eager (see :mod:`vmodels.export`; its report and error types live there).
"""

from importlib.metadata import version as _version

from . import feature_extraction
from ._builder import BuildInfo, BuildRequest, model_builder
from ._registry import find_public as _find_public
from ._registry import (
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
    register_model,
)
from ._torch_files import CheckpointError, read_torch_file
from ._weights import Weights, WeightsEnum, list_weights
from .export import export

__version__ = _version("vmodels")

__all__ = [
    "BuildInfo",
    "BuildRequest",
    "CheckpointError",
    "Weights",
    "WeightsEnum",
    "export",
    "feature_extraction",
    "get_model",
    "get_model_builder",
    "get_model_weights",
    "get_weight",
    "list_models",
    "list_weights",
    "model_builder",
    "read_torch_file",
    "register_model",
]


def __getattr__(name: str) -> object:
    """The classification builders and weights enums (``vmodels.resnet50``,
    ``vmodels.ResNet50_Weights``), found in the registry on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _find_public(name, __name__)
