"""vdata: Vision datasets in their real on-disk layouts, and transforms."""

from importlib.metadata import version as _version

__version__ = _version("vdata")
