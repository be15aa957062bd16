"""The base of the v2 transforms: any mix of inputs in any container, each leaf transformed by
its type's kernel with parameters drawn once per call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import PIL.Image
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from ... import tv_tensors
from .. import functional as F1
from .._base import Transform as _ModuleTransform
from .._base import compose_repr
from . import functional as F
from ._dispatch import _kernel
from ._utils import TypeOrCheck, check_type


def is_pure_tensor(inpt: Any) -> bool:
    """Whether ``inpt`` is a ``torch.Tensor`` and no typed tensor."""
    return isinstance(inpt, torch.Tensor) and not isinstance(inpt, tv_tensors.TVTensor)


def _the_one(found: set[tuple[int, ...]], nothing: str, what: str) -> tuple[int, ...]:
    if not found:
        raise TypeError(nothing)
    if len(found) > 1:
        raise ValueError(f"Found multiple {what} dimensions in the sample: {sorted(found)}")
    return found.pop()


def query_size(flat_inputs: Sequence[Any]) -> tuple[int, int]:
    """The one ``(height, width)`` of the inputs that have a size (images, videos, masks, the
    canvas of boxes and points); ValueError when they disagree, TypeError when none has one."""
    sized = (
        PIL.Image.Image,
        tv_tensors.Image,
        tv_tensors.Video,
        tv_tensors.Mask,
        tv_tensors.BoundingBoxes,
        tv_tensors.KeyPoints,
    )
    sizes = {
        tuple(F.get_size(inpt))
        for inpt in flat_inputs
        if isinstance(inpt, sized) or is_pure_tensor(inpt)
    }
    nothing = "No image, video, mask, bounding box or keypoint was found in the sample"
    height, width = _the_one(sizes, nothing, "HxW")
    return height, width


def query_chw(flat_inputs: Sequence[Any]) -> tuple[int, int, int]:
    """The one ``(channels, height, width)`` of the images and videos of a sample; TypeError
    when there is none, ValueError when they disagree."""
    image_like = (tv_tensors.Image, tv_tensors.Video, PIL.Image.Image)
    chws = {
        tuple(F1.get_dimensions(inpt))
        for inpt in flat_inputs
        if isinstance(inpt, image_like) or is_pure_tensor(inpt)
    }
    channels, height, width = _the_one(chws, "No image or video was found in the sample", "CxHxW")
    return channels, height, width


class Transform(_ModuleTransform):
    """Base of the v2 transforms, with torchvision's hooks: ``make_params(flat_inputs)`` draws
    the parameters of one call, ``transform(inpt, params)`` applies them to one input, and
    ``check_inputs(flat_inputs)`` may refuse a sample.

    A call flattens its inputs (any nesting of tuples, lists and dicts), transforms the leaves
    of the types in ``_transformed_types`` (tensors and PIL images; not ints, strings, ...; a
    check such as ``is_pure_tensor`` may stand for a type) and rebuilds the structure. A plain
    tensor is taken for an image only when it is the first one and the sample holds no typed
    image, video or PIL image; other plain tensors (labels) pass through.
    """

    _transformed_types: ClassVar[tuple[TypeOrCheck, ...]] = (torch.Tensor, PIL.Image.Image)

    def __init__(self) -> None:  # no arguments, as torchvision's; subclasses add theirs
        pass

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        """Raise for a sample this transform cannot handle (the default accepts all)."""

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        """The parameters of one call, drawn once for all its inputs."""
        return {}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        """``inpt`` transformed with ``params``."""
        raise NotImplementedError

    def _call_kernel(self, functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
        kernel = _kernel(functional, type(inpt), passthrough=True)
        return inpt if kernel is None else kernel(inpt, *args, **kwargs)

    def _needs_transform_list(self, flat_inputs: list[Any]) -> list[bool]:
        image_like = (tv_tensors.Image, tv_tensors.Video, PIL.Image.Image)
        take_pure_tensor = not any(isinstance(inpt, image_like) for inpt in flat_inputs)
        needs = []
        for inpt in flat_inputs:
            if not check_type(inpt, self._transformed_types):
                needs.append(False)
            elif is_pure_tensor(inpt):
                needs.append(take_pure_tensor)
                take_pure_tensor = False
            else:
                needs.append(True)
        return needs

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(sample)
        self.check_inputs(flat_inputs)
        if not self._applies():
            return sample
        needs = self._needs_transform_list(flat_inputs)
        params = self.make_params([i for i, n in zip(flat_inputs, needs, strict=True) if n])
        outputs = [
            self.transform(inpt, params) if need else inpt
            for inpt, need in zip(flat_inputs, needs, strict=True)
        ]
        return tree_unflatten(outputs, spec)

    def _applies(self) -> bool:
        """Whether this call transforms at all (random transforms draw it)."""
        return True


class RandomApplyTransform(Transform):
    """A transform applied with probability ``p``, drawn once per call (one ``torch.rand(1)``,
    as torchvision draws it)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def _applies(self) -> bool:
        return bool(torch.rand(1) < self.p)


class Compose(Transform):
    """Transforms applied in turn; several inputs are passed on as several arguments."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        self.transforms = list(transforms)

    def __call__(self, *inputs: Any) -> Any:
        unpack = len(inputs) > 1
        for transform in self.transforms:
            outputs = transform(*inputs) if unpack else transform(inputs[0])
            inputs = outputs if unpack else (outputs,)
        return outputs

    def __repr__(self) -> str:
        return compose_repr(self, self.transforms)
