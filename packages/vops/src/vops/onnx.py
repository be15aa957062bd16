"""ONNX lowerings of vops' inference ops, for ``torch.onnx.export(..., dynamo=True)``.

``torch.onnx.export(model, args, dynamo=True, custom_translation_table=translation_table())``
turns the ops into standard ONNX operators (opset 16 or later), which ONNX Runtime runs:

- ``vops::roi_align`` -> ``RoiAlign`` (``mode="avg"``), with ``coordinate_transformation_mode``
  ``"half_pixel"`` for ``aligned=True`` and ``"output_half_pixel"`` (RoIs at least one pixel,
  no shift) for ``aligned=False``; ``sampling_ratio <= 0`` -> 0, ONNX's adaptive
  ``ceil(bin size)``, the same rule.
- ``vops::roi_pool`` -> ``MaxRoiPool`` (corners rounded to pixels, empty bins 0). Only the
  inference form lowers: the argmax, which only the backward pass needs, has no ONNX
  counterpart, so export under ``torch.no_grad()``.
- ``vops::nms`` -> ``NonMaxSuppression`` over one class; ``vops::batched_nms`` ->
  ``NonMaxSuppression`` with one class per category (a box scores ``-inf``, below the score
  threshold, in the others), so boxes are never offset. Both then sort the kept indices by
  decreasing score, equal scores by increasing index, as vops returns them.

Exactness (ONNX Runtime's CPU kernels against vops'):

- ``RoiAlign``/``MaxRoiPool`` compute the same samples and bins (on random and edge-case RoIs
  the outputs agree to the bit); sums may still round differently. One exception: a reversed
  RoI (``x2 < x1`` or ``y2 < y1``) with ``aligned=True`` and ``sampling_ratio <= 0`` makes ONNX
  Runtime fail (its sample count goes negative), where vops gives zeros.
- ``NonMaxSuppression`` drops a box when IoU > threshold, strictly, as vops does; but its IoU is
  computed in float32 with its own formula, so an overlap within rounding of the threshold
  can be kept by one and dropped by the other. Among equal scores, which box is visited first
  (and so which of two overlapping ones survives) is not fixed by the ONNX specification; ONNX
  Runtime 1.32 visits the lower index first, as vops does (tests/vops/test_onnx.py checks it).
  Boxes scored ``-inf`` are dropped by ``batched_nms``'s lowering (they fall below its score
  threshold); vops keeps them.

Importing this module needs nothing beyond torch; :func:`translation_table` imports onnxscript.
"""

from collections.abc import Callable
from typing import Any

import torch

# NonMaxSuppression's max_output_boxes_per_class: no limit.
_NO_LIMIT = 2**63 - 1
# Scores of a box in the categories it does not belong to; below the score threshold.
_OTHER_CATEGORY = float("-inf")
_SCORE_THRESHOLD = -3.4028234663852886e38  # the lowest float32: every finite score passes


def translation_table() -> dict[torch._ops.OpOverload, Callable]:
    """The ``custom_translation_table`` for ``torch.onnx.export(..., dynamo=True)``: each vops
    inference op mapped to its ONNX lowering.

    Raises:
        ModuleNotFoundError: onnxscript is not installed.
    """
    _opset()
    return {
        torch.ops.vops.roi_align.default: roi_align,
        torch.ops.vops.roi_pool.default: roi_pool,
        torch.ops.vops.nms.default: nms,
        torch.ops.vops.batched_nms.default: batched_nms,
    }


def coordinate_transformation_mode(aligned: bool) -> str:
    """``RoiAlign``'s coordinate mode that samples where ``vops.roi_align(aligned=...)`` does."""
    return "half_pixel" if aligned else "output_half_pixel"


def roi_align(
    input: Any,
    rois: Any,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    sampling_ratio: int,
    aligned: bool,
) -> Any:
    """``vops::roi_align`` as ``RoiAlign``; ``rois`` is ``Tensor[K, 5]``."""
    op = _opset()
    batch_indices = op.Cast(op.Reshape(op.Slice(rois, [0], [1], [1]), [-1]), to=_INT64)
    boxes = op.Slice(rois, [1], [5], [1])
    return op.RoiAlign(
        input,
        boxes,
        batch_indices,
        coordinate_transformation_mode=coordinate_transformation_mode(aligned),
        mode="avg",
        output_height=pooled_height,
        output_width=pooled_width,
        sampling_ratio=max(sampling_ratio, 0),
        spatial_scale=spatial_scale,
    )


def roi_pool(
    input: Any,
    rois: Any,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    with_argmax: bool = True,
) -> tuple[Any, Any]:
    """``vops::roi_pool`` as ``MaxRoiPool``, with the empty argmax of the inference form."""
    if with_argmax:
        raise ValueError(
            "vops::roi_pool with with_argmax=True (a call that records a gradient) has no ONNX "
            "lowering: MaxRoiPool gives no argmax. Export the model under torch.no_grad()"
        )
    op = _opset()
    output = op.MaxRoiPool(
        input, rois, pooled_shape=[pooled_height, pooled_width], spatial_scale=spatial_scale
    )
    empty = op.Cast(op.Slice(op.Shape(rois), [0], [0], [0]), to=_INT32)
    return output, empty


def nms(boxes: Any, scores: Any, iou_threshold: float) -> Any:
    """``vops::nms`` as ``NonMaxSuppression`` over a single class."""
    op = _opset()
    selected = op.NonMaxSuppression(
        op.Unsqueeze(boxes, [0]), op.Unsqueeze(scores, [0, 1]), _NO_LIMIT, iou_threshold
    )
    return _by_decreasing_score(op, _box_indices(op, selected), scores)


def batched_nms(boxes: Any, scores: Any, idxs: Any, iou_threshold: float) -> Any:
    """``vops::batched_nms`` as ``NonMaxSuppression`` with one class per category."""
    op = _opset()
    idxs = op.Cast(idxs, to=_INT64)
    # max(idxs) + 1 categories; with no boxes, one (an empty row).
    zero = op.Constant(value_ints=[0])
    categories = op.Add(op.ReduceMax(op.Concat(idxs, zero, axis=0), keepdims=0), 1)
    member = op.Equal(op.Unsqueeze(op.Range(0, categories, 1), [1]), op.Unsqueeze(idxs, [0]))
    other = op.CastLike(_OTHER_CATEGORY, scores)
    per_category = op.Where(member, op.Unsqueeze(scores, [0]), other)  # [C, N]
    selected = op.NonMaxSuppression(
        op.Unsqueeze(boxes, [0]),
        op.Unsqueeze(per_category, [0]),
        _NO_LIMIT,
        iou_threshold,
        _SCORE_THRESHOLD,
    )
    return _by_decreasing_score(op, _box_indices(op, selected), scores)


def _box_indices(op: Any, selected: Any) -> Any:
    # NonMaxSuppression gives rows of (batch, class, box index).
    return op.Reshape(op.Slice(selected, [2], [3], [1]), [-1])


def _by_decreasing_score(op: Any, kept: Any, scores: Any) -> Any:
    """``kept`` ordered by decreasing score, equal scores by increasing index: first by index,
    then by score with TopK, which puts the earlier of two equal values first."""
    count = op.Shape(kept)
    kept = op.Gather(kept, op.TopK(op.Neg(kept), count, largest=1, sorted=1)[1])
    order = op.TopK(op.Gather(scores, kept), count, largest=1, sorted=1)[1]
    return op.Gather(kept, order)


# onnx.TensorProto's element types.
_INT32 = 6
_INT64 = 7


def _opset() -> Any:
    try:
        from onnxscript import opset18
    except ImportError as error:
        raise ModuleNotFoundError(
            "vops.onnx needs onnxscript (and onnx) to lower vops ops to ONNX: "
            "pip install onnxscript onnx, or pip install 'vmodels[export]'"
        ) from error
    return opset18
