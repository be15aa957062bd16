"""Exception types of vops' argument checks.

vops checks arguments in Python first, with a message that names the argument, where torchvision
often lets the mistake surface from its compiled code, an ``assert`` or an indexing expression.
Each class here derives from the natural Python type and from every type torchvision raises for
the same mistake, so code written against torchvision (``except RuntimeError``,
``except AssertionError``, ...) keeps working. Under TorchScript any raise becomes
``torch.jit.Error`` whose message names the class, as torchvision's do.
"""


class ArgumentError(ValueError, RuntimeError):
    """A bad argument value, shape, dtype or device: a ``ValueError`` that is also the
    ``RuntimeError`` torchvision's kernels raise for it."""


class ArgumentAssertionError(ArgumentError, AssertionError):
    """A box tensor of the wrong shape, which torchvision rejects with an assertion."""


class ArgumentIndexError(ArgumentError, IndexError):
    """A shape or count that torchvision trips over by indexing past its end (a 1-d box tensor,
    a one-element ``output_size``, more box tensors than images)."""


class ArgumentTypeError(ArgumentError, TypeError, AttributeError, AssertionError):
    """An argument of the wrong Python type (``None``, a nested list or an array where a tensor
    belongs, a float ``output_size``). Depending on the call torchvision then fails with an
    ``AttributeError`` on a tensor method, its box-type assertion, a ``TypeError`` or the op
    schema's ``RuntimeError``; this is each of them."""


class ArgumentDTypeError(ArgumentError, NotImplementedError):
    """A tensor of a dtype the op does not support (``bool`` boxes, integer logits), for which
    torch raises ``NotImplementedError`` inside torchvision."""
