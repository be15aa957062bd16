"""vmodels: classification, segmentation and detection models, with a registry and entry-point
plugins.

Models are looked up by name: ``list_models()``, ``get_model("resnet50", weights=...)``.
Third-party packages add models through the ``vmodels.models`` entry-point group.
"""

from importlib.metadata import version as _version

from ._registry import get_model, get_model_builder, list_models, register_model
from ._torch_files import CheckpointError, read_torch_file
from ._weights import Weights, get_weights, list_weights, register_weights

__version__ = _version("vmodels")

__all__ = [
    "CheckpointError",
    "Weights",
    "get_model",
    "get_model_builder",
    "get_weights",
    "list_models",
    "list_weights",
    "read_torch_file",
    "register_model",
    "register_weights",
]
