"""The base of the transform classes: a ``torch.nn.Module`` whose ``__repr__`` reads the
constructor's arguments."""

import inspect

from torch import nn


class Transform(nn.Module):
    """Base of the transform classes.

    Transforms are modules, as most of torchvision's are, so they nest in ``nn.Sequential`` and
    follow ``.to()``; they override ``__call__`` directly (no hooks), which keeps a call as cheap
    as a plain function's. Subclasses keep each constructor argument, validated and normalised,
    in an attribute of the same name; ``repr`` then shows them, e.g.
    ``RandomCrop(size=(32, 32), padding=4, ...)``.
    """

    def __new__(cls, *args, **kwargs):
        # Module's bookkeeping is set up here, so subclasses need not call super().__init__().
        instance = super().__new__(cls)
        nn.Module.__init__(instance)
        return instance

    def forward(self, *args):
        """The same as calling the transform."""
        return self(*args)

    def __repr__(self) -> str:
        parameters = list(inspect.signature(type(self).__init__).parameters.values())[1:]
        named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        names = [p.name for p in parameters if p.kind in named]
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__name__}({args})"


def compose_repr(compose: object, transforms: list) -> str:
    """``Compose(`` followed by one transform per indented line."""
    lines = "".join(f"\n    {t!r}," for t in transforms)
    return f"{type(compose).__name__}({lines}\n)"
