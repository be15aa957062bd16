"""Keeps the public ops whole under ``torch.fx.symbolic_trace``.

Their argument checks branch on shapes and dtypes, which a ``torch.fx.Proxy`` cannot answer. An
op that receives a Proxy therefore records itself as one ``call_function`` node instead of being
traced through, so the traced module runs the complete op, checks included, on real tensors. This
works from any call site (torchvision's ``torch.fx.wrap`` only reaches calls made from its own
modules). Callers guard the call with ``if not torch.jit.is_scripting():`` so that TorchScript
never compiles this module.
"""

from collections.abc import Callable
from typing import Any

from torch import fx


def _holds_proxy(value: Any) -> bool:
    if isinstance(value, fx.Proxy):
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_proxy(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_proxy(item) for item in value.values())
    return False


def _find_proxy(value: Any) -> fx.Proxy:
    if isinstance(value, fx.Proxy):
        return value
    items = value.values() if isinstance(value, dict) else value
    return next(_find_proxy(item) for item in items if _holds_proxy(item))


def leaf_call(fn: Callable[..., Any], *args: Any) -> fx.Proxy | None:
    """Record ``fn(*args)`` as one graph node if any argument holds a Proxy.

    Returns:
        The node's Proxy while ``torch.fx`` traces the caller, else ``None`` (run normally).
    """
    for arg in args:
        if _holds_proxy(arg):
            tracer = _find_proxy(arg).tracer
            return tracer.create_proxy("call_function", fn, args, {})
    return None
