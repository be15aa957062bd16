"""SanitizeKeyPoints, SetClampingMode and the ``sanitize_keypoints`` functional (torchvision
0.29's names and behaviour)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor
from torch.utils._pytree import tree_flatten, tree_unflatten

from ... import tv_tensors
from ._augment import _labels_getter
from ._dispatch import _plain
from ._transform import Transform, is_pure_tensor


def _inside_mask(points: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    """Which points (rows of ``[N, 2]``), or groups (``[N, ..., 2]``: all their points), lie
    in ``[0, width) x [0, height)``."""
    height, width = canvas_size
    x, y = points[..., 0], points[..., 1]
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    return inside.flatten(start_dim=1).all(dim=1) if inside.ndim > 1 else inside


def sanitize_keypoints(
    key_points: Tensor, canvas_size: tuple[int, int] | None = None
) -> tuple[Tensor, Tensor]:
    """``(kept points, mask)``: the points, or groups of points (a group is kept only when
    all of its points are), inside their canvas. ``canvas_size`` is needed for a plain
    tensor and refused for ``KeyPoints``."""
    if is_pure_tensor(key_points):
        if canvas_size is None:
            raise ValueError(
                "canvas_size cannot be None if key_points is a pure tensor. Set it to an "
                "appropriate value or pass key_points as a tv_tensors.KeyPoints object."
            )
        valid = _inside_mask(key_points, canvas_size)
        return key_points[valid], valid
    if not isinstance(key_points, tv_tensors.KeyPoints):
        raise ValueError("key_points must be a tv_tensors.KeyPoints instance or a pure tensor.")
    if canvas_size is not None:
        raise ValueError(
            "canvas_size must be None when key_points is a tv_tensors.KeyPoints instance. Got "
            f"canvas_size={canvas_size}. Leave it to None or pass key_points as a pure tensor."
        )
    valid = _inside_mask(_plain(key_points), key_points.canvas_size)
    return tv_tensors.wrap(_plain(key_points)[valid], like=key_points), valid


def _label_error(kind: type) -> ValueError:
    return ValueError(
        f"The labels in the input to forward() must be a tensor or None, got {kind} instead."
    )


def _as_label_tuple(labels: Any) -> tuple[Tensor, ...] | None:
    if labels is None:
        return None
    if isinstance(labels, Tensor):
        return (labels,)
    if not isinstance(labels, (tuple, list)):
        raise _label_error(type(labels))
    for entry in labels:
        if not isinstance(entry, Tensor):
            raise _label_error(type(entry))
    return tuple(labels)


class SanitizeKeyPoints(Transform):
    """Drop the key points outside their canvas, or the groups of points (``[N, ..., 2]``)
    with any point outside, and the labels that go with them.

    Args:
        labels_getter: None (the default: only the points are sanitized), ``"default"`` (the
            second item of a tuple or a dict's "labels"), or a callable taking the sample and
            returning a tensor or a tuple of tensors indexed like the points.
    """

    def __init__(self, labels_getter: Callable[[Any], Any] | str | None = None) -> None:
        self.labels_getter = labels_getter
        self._get_labels = _labels_getter(labels_getter)

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        labels = _as_label_tuple(self._get_labels(sample))
        flat_inputs, spec = tree_flatten(sample)
        points = next((i for i in flat_inputs if isinstance(i, tv_tensors.KeyPoints)), None)
        if points is None:
            raise ValueError("No keypoints were found in the sample")
        for label in labels or ():
            if label.shape[0] != points.shape[0]:
                raise ValueError(
                    f"Number of kepyoints (shape={points.shape}) must match the number of "
                    f"labels.Found labels with shape={label.shape})."
                )
        params = dict(valid=_inside_mask(_plain(points), points.canvas_size), labels=labels)
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        labels = params["labels"] or ()
        if any(inpt is label for label in labels):
            return inpt[params["valid"]]
        if isinstance(inpt, tv_tensors.KeyPoints):
            return tv_tensors.wrap(_plain(inpt)[params["valid"]], like=inpt)
        return inpt


class SetClampingMode(Transform):
    """Set the ``clamping_mode`` (``"soft"``, ``"hard"`` or None) of the bounding boxes, for
    the transforms that follow."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode: str | None) -> None:
        if clamping_mode not in (None, "soft", "hard"):
            raise ValueError(f"clamping_mode must be soft, hard or None, got {clamping_mode}")
        self.clamping_mode = clamping_mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return tv_tensors.wrap(_plain(inpt).clone(), like=inpt, clamping_mode=self.clamping_mode)


__all__ = ["SanitizeKeyPoints", "SetClampingMode", "sanitize_keypoints"]
