"""torchvision 0.29's helpers for writing v2 transforms: type checks over a flattened sample and
finding its boxes or points. (``query_size`` and ``query_chw`` live with the base class.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ... import tv_tensors

TypeOrCheck = type | Callable[[Any], bool]


def check_type(obj: Any, types_or_checks: tuple[TypeOrCheck, ...]) -> bool:
    """Whether ``obj`` is an instance of one of the types, or passes one of the checks
    (callables such as ``is_pure_tensor``)."""
    return any(
        isinstance(obj, check) if isinstance(check, type) else check(obj)
        for check in types_or_checks
    )


def has_any(flat_inputs: Sequence[Any], *types_or_checks: TypeOrCheck) -> bool:
    """Whether some input is of one of the types, or passes one of the checks."""
    return any(check_type(inpt, types_or_checks) for inpt in flat_inputs)


def has_all(flat_inputs: Sequence[Any], *types_or_checks: TypeOrCheck) -> bool:
    """Whether each type (or check) has an input of it (passing it)."""
    return all(any(check_type(inpt, (check,)) for inpt in flat_inputs) for check in types_or_checks)


def _first(flat_inputs: Sequence[Any], cls: type, what: str) -> Any:
    found = next((inpt for inpt in flat_inputs if isinstance(inpt, cls)), None)
    if found is None:
        raise ValueError(f"No {what} were found in the sample")
    return found


def get_bounding_boxes(flat_inputs: Sequence[Any]) -> tv_tensors.BoundingBoxes:
    """The (first) ``BoundingBoxes`` of a flattened sample; ValueError when there is none."""
    return _first(flat_inputs, tv_tensors.BoundingBoxes, "bounding boxes")


def get_keypoints(flat_inputs: Sequence[Any]) -> tv_tensors.KeyPoints:
    """The (first) ``KeyPoints`` of a flattened sample; ValueError when there are none."""
    return _first(flat_inputs, tv_tensors.KeyPoints, "keypoints")


__all__ = ["check_type", "get_bounding_boxes", "get_keypoints", "has_all", "has_any"]
