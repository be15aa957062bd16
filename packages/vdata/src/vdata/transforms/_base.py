"""The base of the transform classes: a ``__repr__`` that reads the constructor's arguments."""

import inspect


class Transform:
    """Base of the transform classes.

    Subclasses keep each constructor argument, validated and normalised, in an attribute of the
    same name; ``repr`` then shows them, e.g. ``RandomCrop(size=(32, 32), padding=4, ...)``.
    """

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
