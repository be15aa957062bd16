"""The v2 transforms built so far: flips, resize, centre crop, pad, conversions and the box
utilities."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

import numpy as np
import PIL.Image
import torch
from torch.utils._pytree import tree_flatten, tree_unflatten

from ... import tv_tensors
from . import functional as F
from ._transform import RandomApplyTransform, Transform, is_pure_tensor


class RandomHorizontalFlip(RandomApplyTransform):
    """Mirror the sample left to right with probability ``p``."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.horizontal_flip, inpt)


class RandomVerticalFlip(RandomApplyTransform):
    """Mirror the sample top to bottom with probability ``p``."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.vertical_flip, inpt)


class Resize(Transform):
    """Resize the sample: ``size`` ``(h, w)``, or an int for the smaller edge (None with
    ``max_size`` for the larger); masks with nearest neighbours. See :func:`F.resize`."""

    def __init__(
        self,
        size: int | Sequence[int] | None,
        interpolation: Any = "bilinear",
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        if size is None and max_size is None:
            raise ValueError("size can only be None if max_size is also given")
        if isinstance(size, int):
            size = [size]
        self.size = None if size is None else list(size)
        if self.size is not None and len(self.size) not in (1, 2):
            raise ValueError(f"size can be an integer, a sequence of one or two ints, got {size}")
        self.interpolation, self.max_size, self.antialias = interpolation, max_size, antialias

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            F.resize, inpt, self.size, self.interpolation, self.max_size, self.antialias
        )


class CenterCrop(Transform):
    """The central ``size`` region of the sample."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = size

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.center_crop, inpt, self.size)


def fill_for(fill: Any, inpt: Any) -> Any:
    """The fill of ``inpt``: a dict's entry for its exact type (torchvision ignores base
    classes), else its ``"others"`` entry; None fills with 0."""
    if isinstance(fill, Mapping):
        fill = fill[type(inpt)] if type(inpt) in fill else fill.get("others")
    return 0 if fill is None else fill


class Pad(Transform):
    """Pad the sample's borders; ``fill`` may be a dict from type to fill (masks often want
    their ignore value). Boxes and points need ``padding_mode="constant"``."""

    def __init__(
        self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"
    ) -> None:
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                "`padding_mode` must be one of 'constant', 'edge', 'reflect' or 'symmetric'."
            )
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        fill = fill_for(self.fill, inpt)
        return self._call_kernel(F.pad, inpt, self.padding, fill, self.padding_mode)


class ToImage(Transform):
    """PIL images, ndarrays ``[H, W, C]`` and plain tensors to ``tv_tensors.Image`` (values
    unscaled)."""

    _transformed_types = (torch.Tensor, PIL.Image.Image, np.ndarray)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.to_image(inpt)

    def _needs_transform_list(self, flat_inputs: list[Any]) -> list[bool]:
        needs = super()._needs_transform_list(flat_inputs)
        return [
            need and not isinstance(inpt, tv_tensors.TVTensor)
            for inpt, need in zip(flat_inputs, needs, strict=True)
        ]


class PILToTensor(Transform):
    """PIL images to plain uint8 tensors ``[C, H, W]`` (no scaling, no typing)."""

    _transformed_types = (PIL.Image.Image,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.pil_to_tensor(inpt)


class ToDtype(Transform):
    """Convert images and videos to ``dtype``; or, with a dict from type to dtype (``"others"``
    for the rest, None to leave a type alone), each input by its type. ``scale`` converts the
    value range of images and videos."""

    def __init__(
        self, dtype: torch.dtype | Mapping[Any, torch.dtype | None], scale: bool = False
    ) -> None:
        if not isinstance(dtype, (torch.dtype, Mapping)):
            raise ValueError(f"dtype must be a dtype or a dict of them, got {type(dtype)} instead.")
        self.dtype, self.scale = dtype, scale

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        images = is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image, tv_tensors.Video))
        if isinstance(self.dtype, torch.dtype):
            # One dtype converts images and videos only, as ConvertImageDtype did.
            dtype = self.dtype if images else None
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(
                f"No dtype was specified for type {type(inpt)}. Pass a dtype for each type, or "
                'use "others" as a catch-all key, e.g. dtype={tv_tensors.Mask: torch.int64, '
                '"others": None}.'
            )
        if dtype is None:
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype, self.scale)


class ToPureTensor(Transform):
    """Typed tensors to plain ``torch.Tensor`` (what models take); the rest unchanged."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.to_pure_tensor(inpt)


class ConvertBoundingBoxFormat(Transform):
    """Boxes to ``format`` (a ``BoundingBoxFormat`` or its name)."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, format: tv_tensors.BoundingBoxFormat | str) -> None:
        self.format = format

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    """Boxes clamped to their canvas (``"auto"``: each box's own clamping mode)."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode: str | None = "auto") -> None:
        self.clamping_mode = clamping_mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


class ClampKeyPoints(Transform):
    """Points clamped to ``[0, width - 1] x [0, height - 1]``."""

    _transformed_types = (tv_tensors.KeyPoints,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.clamp_keypoints(inpt)


def _default_labels(sample: Any) -> Any:
    """The labels of a sample as torchvision finds them: the second item of a tuple (a tensor,
    or a dict), or a dict's ``"labels"`` key (any case), else its first key holding "label"."""
    if isinstance(sample, (tuple, list)):
        sample = sample[1]
    if is_pure_tensor(sample):
        return sample
    if not isinstance(sample, Mapping):
        raise ValueError(
            "When using the default labels_getter, the input passed to forward must be a "
            "dictionary or a two-tuple whose second item is a dictionary or a tensor, but got "
            f"{sample} instead."
        )
    key = None
    with suppress(StopIteration):
        key = next(k for k in sample if k.lower() == "labels")
    if key is None:
        with suppress(StopIteration):
            key = next(k for k in sample if "label" in k.lower())
    if key is None:
        raise ValueError(
            "Could not infer where the labels are in the sample. Try passing a callable as the "
            "labels_getter parameter? If there are no labels in the sample by design, pass "
            "labels_getter=None."
        )
    return sample[key]


class SanitizeBoundingBoxes(Transform):
    """Drop the boxes smaller than ``min_size`` on a side or ``min_area`` in area, or outside
    their canvas, with their labels and masks.

    Args:
        min_size, min_area: at least 1.
        labels_getter: ``"default"`` (see :func:`_default_labels`), a callable taking the
            sample and returning its labels (a tensor or a tuple of them), or None.
    """

    def __init__(
        self,
        min_size: float = 1.0,
        min_area: float = 1.0,
        labels_getter: Callable[[Any], Any] | str | None = "default",
    ) -> None:
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        if not (labels_getter in ("default", None) or callable(labels_getter)):
            raise ValueError(
                "labels_getter should either be 'default', a callable, or None, but got "
                f"{labels_getter}."
            )
        self.min_size, self.min_area, self.labels_getter = min_size, min_area, labels_getter

    def _labels(self, sample: Any) -> tuple[torch.Tensor, ...] | None:
        if self.labels_getter is None:
            return None
        getter = _default_labels if self.labels_getter == "default" else self.labels_getter
        labels = getter(sample)
        if labels is None:
            return None
        labels = (labels,) if isinstance(labels, torch.Tensor) else labels
        if not isinstance(labels, (tuple, list)) or not all(
            isinstance(entry, torch.Tensor) for entry in labels
        ):
            raise ValueError(
                "The labels in the input to forward() must be a tensor or None, got "
                f"{type(labels)} instead."
            )
        return tuple(labels)

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels(sample)
        flat_inputs, spec = tree_flatten(sample)
        boxes = [i for i in flat_inputs if isinstance(i, tv_tensors.BoundingBoxes)]
        if len(boxes) != 1:
            raise ValueError(f"Expected one BoundingBoxes in the sample, found {len(boxes)}")
        for label in labels or ():
            if label.shape[0] != boxes[0].shape[0]:
                raise ValueError(
                    f"Number of boxes (shape={boxes[0].shape}) and must match the number of "
                    f"labels.Found labels with shape={label.shape})."
                )
        _, valid = F.sanitize_bounding_boxes(
            boxes[0], min_size=self.min_size, min_area=self.min_area
        )
        if bool(valid.all()):  # nothing to drop: no copies of the masks (torchvision copies)
            return sample
        outputs = [self._select(inpt, valid, labels) for inpt in flat_inputs]
        return tree_unflatten(outputs, spec)

    @staticmethod
    def _select(inpt: Any, valid: torch.Tensor, labels: tuple[torch.Tensor, ...] | None) -> Any:
        is_label = labels is not None and any(inpt is label for label in labels)
        if not (is_label or isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask))):
            return inpt
        try:
            kept = inpt[valid]
        except IndexError:  # a mask of another shape (a semantic mask) is not per box
            return inpt
        return kept if is_label else tv_tensors.wrap(kept, like=inpt)
