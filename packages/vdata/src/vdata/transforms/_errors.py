"""Exception types of the transforms' argument checks.

torchvision reports some bad arguments (a wrong number of channels, a threshold out of range) as
``TypeError`` where the natural type is ``ValueError``; the class here derives from both, so code
written against torchvision (``except TypeError``) keeps working.
"""


class ArgumentTypeError(ValueError, TypeError):
    """A bad argument value: a ``ValueError`` that is also the ``TypeError`` torchvision raises
    for it."""


class ArgumentRuntimeError(ValueError, RuntimeError):
    """A bad argument value that torch itself reports as ``RuntimeError`` (a fill an integer
    image cannot hold): a ``ValueError`` that is also that ``RuntimeError``."""
