"""vmodels: classification, segmentation and detection models, with a registry and entry-point
plugins."""

from importlib.metadata import version as _version

__version__ = _version("vmodels")
