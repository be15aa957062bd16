"""The kernel registry behind the v2 functionals: each functional dispatches on its input's
type to the kernel registered for it (or for a base of it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import PIL.Image
from torch import Tensor

from ... import tv_tensors

_KERNELS: dict[Callable, dict[type, Callable]] = {}


def register_kernel(functional: Callable, tv_tensor_cls: type) -> Callable:
    """Decorator: ``kernel(inpt, *args, **kwargs)`` runs ``functional`` on ``tv_tensor_cls``
    inputs (and their subclasses); the kernel returns the output, typed as it likes."""

    def register(kernel: Callable) -> Callable:
        _KERNELS.setdefault(functional, {})[tv_tensor_cls] = kernel
        return kernel

    return register


def _kernel(functional: Callable, input_type: type, passthrough: bool = False) -> Callable | None:
    for cls in input_type.__mro__:
        kernel = _KERNELS.get(functional, {}).get(cls)
        if kernel is not None:
            return kernel
        if cls is tv_tensors.TVTensor:  # a typed tensor without a kernel is no plain tensor
            break
    if passthrough:
        return None
    supported = ", ".join(sorted(t.__name__ for t in _KERNELS.get(functional, {})))
    raise TypeError(
        f"Functional F.{functional.__name__} supports inputs of type {supported}, but got "
        f"{input_type} instead."
    )


def _dispatch(functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
    return _kernel(functional, type(inpt))(inpt, *args, **kwargs)


def _plain(inpt: Tensor) -> Tensor:
    return inpt.as_subclass(Tensor)


def _image_kernel(image_op: Callable, mask_op: Callable | None = None):
    """Kernels of an image operation for plain tensors, PIL images and the image-like typed
    tensors (Image, Video and, through ``mask_op`` if given, Mask), re-typed like the input."""

    def on_tensor(inpt: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inpt, PIL.Image.Image) or type(inpt) is Tensor:
            return image_op(inpt, *args, **kwargs)
        op = mask_op if mask_op is not None and isinstance(inpt, tv_tensors.Mask) else image_op
        return tv_tensors.wrap(op(_plain(inpt), *args, **kwargs), like=inpt)

    return on_tensor


def _register_images(functional: Callable, image_op: Callable, mask_op: Callable | None = None):
    kernel = _image_kernel(image_op, mask_op)
    for cls in (Tensor, PIL.Image.Image, tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask):
        register_kernel(functional, cls)(kernel)
