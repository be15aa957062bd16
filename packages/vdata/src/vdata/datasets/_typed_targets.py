"""The ``"tv_tensors"`` target format of the detection datasets: the model format's dict with its
geometry typed by :mod:`vdata.tv_tensors`, so that ``vdata.transforms.v2`` moves it with the
image, and the way back to the plain dict that the detection models take."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .. import tv_tensors


def model_target_to_tv_tensors(
    target: dict[str, Any], canvas_size: tuple[int, int]
) -> dict[str, Any]:
    """The typed form of a model-format detection target on an image of ``canvas_size``.

    ``"boxes"`` becomes :class:`~vdata.tv_tensors.BoundingBoxes` (XYXY, ``canvas_size``),
    ``"masks"`` a :class:`~vdata.tv_tensors.Mask`, and ``"keypoints"`` ``Tensor[N, K, 3]`` of
    ``(x, y, visibility)`` splits in two, since :class:`~vdata.tv_tensors.KeyPoints` holds
    coordinates only (as in torchvision, which gives visibility no type): ``"keypoints"``
    ``KeyPoints[N, K, 2]`` and ``"keypoints_visibility"`` ``Tensor[N, K]`` (the third column,
    same dtype: transforms leave plain tensors alone). The other entries are kept as they are.
    :func:`tv_tensors_to_model_target` undoes this.
    """
    typed: dict[str, Any] = {}
    for key, value in target.items():
        if key == "boxes":
            value = tv_tensors.BoundingBoxes(value, format="XYXY", canvas_size=canvas_size)
        elif key == "masks":
            value = tv_tensors.Mask(value)
        elif key == "keypoints":
            typed["keypoints"] = tv_tensors.KeyPoints(
                value[..., :2].contiguous(), canvas_size=canvas_size
            )
            key, value = "keypoints_visibility", value[..., 2].contiguous()
        typed[key] = value
    return typed


def _xyxy(boxes: Tensor) -> Tensor:
    if not isinstance(boxes, tv_tensors.BoundingBoxes):
        raise TypeError(
            f'target["boxes"] must be tv_tensors.BoundingBoxes, got {type(boxes).__name__}'
        )
    if boxes.format is tv_tensors.BoundingBoxFormat.XYXY:
        return boxes.as_subclass(Tensor)
    if tv_tensors.is_rotated_bounding_format(boxes.format):
        raise ValueError(
            f"detection models take axis-aligned XYXY boxes, got rotated {boxes.format.name} boxes"
        )
    from ..transforms.v2 import functional as F

    return F.convert_bounding_box_format(boxes, new_format="XYXY").as_subclass(Tensor)


def _labelled_keypoints(xy: Tensor, visibility: Tensor, canvas_size: tuple[int, int]) -> Tensor:
    """``Tensor[N, K, 3]`` in the model format's convention: a point a transform has moved off
    the canvas is no longer labelled, and unlabelled points sit at ``(0, 0, 0)``."""
    height, width = canvas_size
    x, y = xy[..., 0], xy[..., 1]
    inside = (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
    visibility = torch.where(inside, visibility.to(xy.dtype), 0.0)
    xy = torch.where((visibility > 0)[..., None], xy, 0.0)
    return torch.cat((xy, visibility[..., None]), dim=-1)


def tv_tensors_to_model_target(target: dict[str, Any]) -> dict[str, Any]:
    """The plain model-format dict of a ``"tv_tensors"`` target, after transforms or not.

    Typed tensors become plain ones, boxes in another axis-aligned format are converted to
    XYXY, and ``"keypoints"`` (``KeyPoints`` or, after a sanitizing step that indexed them, a
    plain ``Tensor[N, K, 2]``) and ``"keypoints_visibility"`` join again into
    ``Tensor[N, K, 3]``; a point outside the boxes' canvas (moved there by a crop or a zoom)
    becomes unlabelled, ``(0, 0, 0)``, as the joint transforms' crop makes it. The other entries
    are kept as they are.

    Raises:
        TypeError: ``"boxes"`` is not ``BoundingBoxes``.
        ValueError: rotated boxes; keypoints without ``"keypoints_visibility"``; a tensor entry
            whose first dimension is not the number of boxes (a per-object field a transform
            dropped boxes without, e.g. ``"area"`` through a ``SanitizeBoundingBoxes`` whose
            ``labels_getter`` gives only the labels).
    """
    boxes = target["boxes"]
    plain = {
        key: value.as_subclass(Tensor) if isinstance(value, tv_tensors.TVTensor) else value
        for key, value in target.items()
        if key != "keypoints_visibility"
    }
    plain["boxes"] = _xyxy(boxes)
    if "keypoints" in target:
        if "keypoints_visibility" not in target:
            raise ValueError('target has "keypoints" but no "keypoints_visibility"')
        plain["keypoints"] = _labelled_keypoints(
            plain["keypoints"], target["keypoints_visibility"], tuple(boxes.canvas_size)
        )
    n = len(boxes)
    for key, value in plain.items():
        if isinstance(value, Tensor) and value.ndim > 0 and value.shape[0] != n:
            raise ValueError(
                f'target["{key}"] has {value.shape[0]} entries for {n} boxes: a transform '
                "dropped boxes without it (give SanitizeBoundingBoxes a labels_getter that "
                "returns every per-object tensor)"
            )
    return plain
