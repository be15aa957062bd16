"""The base of the typed tensors: a ``torch.Tensor`` subclass that torch operations unwrap."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import torch
from torch._C import DisableTorchFunctionSubclass
from torch.utils._pytree import tree_flatten

T = TypeVar("T", bound="TVTensor")

# Whether torch operations on typed tensors return typed tensors (set_return_type("TVTensor")).
_keep_subclass = False
# The methods whose result keeps the type and metadata whatever the return type.
_TYPE_KEEPING = {
    torch.Tensor.clone,
    torch.Tensor.to,
    torch.Tensor.detach,
    torch.Tensor.requires_grad_,
    torch.Tensor.pin_memory,
}


class _RestoreReturnType:
    def __init__(self, previous: bool) -> None:
        self.previous = previous

    def __enter__(self) -> _RestoreReturnType:
        return self

    def __exit__(self, *exc: object) -> None:
        global _keep_subclass
        _keep_subclass = self.previous


def set_return_type(return_type: str) -> _RestoreReturnType:
    """What torch operations on typed tensors return: ``"Tensor"`` (plain tensors, the
    default) or ``"TVTensor"`` (the input's type, with its metadata), case-insensitive.

    Sets it for the program, or, used as a context manager, until the ``with`` block ends.
    vdata's transforms always return their inputs' types, whatever this says.
    """
    global _keep_subclass
    choices = {"tensor": False, "tvtensor": True}
    if not isinstance(return_type, str) or return_type.lower() not in choices:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}")
    restore = _RestoreReturnType(_keep_subclass)
    _keep_subclass = choices[return_type.lower()]
    return restore


class TVTensor(torch.Tensor):
    """Base of the typed tensors (``Image``, ``Video``, ``Mask``, ``BoundingBoxes``,
    ``KeyPoints``), with torchvision's semantics: the type tells transforms what the values
    are, and any torch operation returns a plain tensor, except ``clone``, ``to``, ``detach``,
    ``requires_grad_`` and ``pin_memory`` (or all of them under ``set_return_type("TVTensor")``).

    A subclass with metadata names it in ``_metadata`` and builds instances in ``_wrap``; the
    metadata of an operation's result comes from its first argument of the subclass.
    """

    _metadata: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    def _to_tensor(
        data: Any,
        dtype: torch.dtype | None = None,
        device: torch.device | str | int | None = None,
        requires_grad: bool | None = None,
    ) -> torch.Tensor:
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, torch.Tensor) else False
        return torch.as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)

    @classmethod
    def _wrap(cls: type[T], tensor: torch.Tensor, *, check_dims: bool = True, **metadata: Any) -> T:
        """``tensor`` as this type with ``metadata``; a subclass checks the shape of a new
        instance (``check_dims``) but not of an operation's results."""
        wrapped = tensor.as_subclass(cls)
        for name, value in metadata.items():
            setattr(wrapped, name, value)
        return wrapped

    @classmethod
    def wrap(cls: type[T], tensor: torch.Tensor, like: TVTensor, **overrides: Any) -> T:
        """``tensor`` as this type, with ``like``'s metadata but for ``overrides``."""
        return cls._wrap(tensor, **{n: overrides.get(n, getattr(like, n)) for n in cls._metadata})

    @classmethod
    def _wrap_output(
        cls, output: Any, args: Sequence[Any], kwargs: Mapping[str, Any] | None
    ) -> Any:
        metadata: dict[str, Any] = {}
        if cls._metadata:
            flat, _ = tree_flatten((args, kwargs or {}))
            source = next(item for item in flat if isinstance(item, cls))
            metadata = {name: getattr(source, name) for name in cls._metadata}
        if isinstance(output, torch.Tensor) and not isinstance(output, cls):
            return cls._wrap(output, check_dims=False, **metadata)
        if isinstance(output, (tuple, list)):
            return type(output)(cls._wrap_output(part, args, kwargs) for part in output)
        return output

    @classmethod
    def __torch_function__(
        cls,
        func: Callable[..., Any],
        types: tuple[type, ...],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        if not all(issubclass(cls, t) for t in types):
            return NotImplemented
        with DisableTorchFunctionSubclass():
            output = func(*args, **(kwargs or {}))
        if _keep_subclass or (func in _TYPE_KEEPING and isinstance(args[0], cls)):
            return cls._wrap_output(output, args, kwargs)
        if isinstance(output, cls):
            return output.as_subclass(torch.Tensor)
        return output

    def _make_repr(self, **fields: Any) -> str:
        extra = ", ".join(f"{key}={value}" for key, value in fields.items())
        return f"{super().__repr__()[:-1]}, {extra})" if extra else super().__repr__()

    def __repr__(self, *, tensor_contents: Any = None) -> str:  # type: ignore[override]
        return self._make_repr(**{name: getattr(self, name) for name in self._metadata})

    # The attributes read most often skip __torch_function__, which is slow.
    @property
    def shape(self) -> torch.Size:  # type: ignore[override]
        with DisableTorchFunctionSubclass():
            return super().shape

    @property
    def ndim(self) -> int:  # type: ignore[override]
        with DisableTorchFunctionSubclass():
            return super().ndim

    @property
    def device(self) -> torch.device:  # type: ignore[override]
        with DisableTorchFunctionSubclass():
            return super().device

    @property
    def dtype(self) -> torch.dtype:  # type: ignore[override]
        with DisableTorchFunctionSubclass():
            return super().dtype

    def __deepcopy__(self: T, memo: dict[int, Any]) -> T:
        return self.detach().clone().requires_grad_(self.requires_grad)  # type: ignore[return-value]
