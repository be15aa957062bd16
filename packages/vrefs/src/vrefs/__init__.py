"""vrefs: Reference training and evaluation scripts for vision tasks."""

from importlib.metadata import version as _version

__version__ = _version("vrefs")
