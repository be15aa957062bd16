"""Box geometry and non-maximum suppression. Boxes are ``(x1, y1, x2, y2)`` unless stated."""

import torch
from torch import Tensor

from ._box_formats import (
    axis_aligned_formats,
    box_formats,
    check_box_tensor,
    check_format,
    convert,
    coordinate_count,
    rotated_formats,
    to_xyxy,
)
from ._box_pairs import check_same_device, pairwise_inter_union, upcast
from ._errors import ArgumentDTypeError, ArgumentError, ArgumentIndexError
from ._fx import leaf_call
from ._validation import (
    check_boxes,
    check_image_size,
    check_iou_threshold,
    check_real_boxes,
    check_scores,
    check_tensor,
)

# Where the fused box_iou kernel is compiled for CUDA; elsewhere CUDA boxes take the tensor formula.
_BOX_IOU_ON_CUDA = torch._C._dispatch_has_kernel_for_dispatch_key("vops::box_iou", "CUDA")


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression.

    Boxes are visited by decreasing score (equal scores: lower index first); a box is dropped
    when a kept box overlaps it with IoU > ``iou_threshold``.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        scores: ``Tensor[N]``.
        iou_threshold: drop boxes overlapping a kept box with IoU above this.

    Returns:
        int64 ``Tensor[M]``: indices of the kept boxes, by decreasing score.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(nms, boxes, scores, iou_threshold)
        if traced is not None:
            return traced
    check_boxes(boxes, "boxes")
    check_scores(scores, boxes)
    check_iou_threshold(iou_threshold)
    return torch.ops.vops.nms(boxes, scores, iou_threshold)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """Non-maximum suppression within each category: boxes of different ``idxs`` never
    suppress each other.

    The result equals running :func:`nms` per category and merging by score; coordinates are never
    offset, so it does not depend on the size of the boxes.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format.
        scores: ``Tensor[N]``.
        idxs: ``Tensor[N]``, the category of each box: integer, bool or floating-point
            (boxes whose values are equal share a category).
        iou_threshold: drop boxes overlapping a kept box of their category with IoU above this.

    Returns:
        int64 ``Tensor[M]``: indices of the kept boxes, by decreasing score.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(batched_nms, boxes, scores, idxs, iou_threshold)
        if traced is not None:
            return traced
        check_tensor(idxs, "idxs", "Tensor[N]")
    check_boxes(boxes, "boxes")
    check_scores(scores, boxes)
    check_iou_threshold(iou_threshold)
    if idxs.dim() != 1 or idxs.size(0) != boxes.size(0):
        raise ArgumentError(
            f"idxs must be a Tensor[N] with N = boxes.size(0) = {boxes.size(0)}, "
            f"got Tensor{list(idxs.shape)}"
        )
    if idxs.device != boxes.device:
        raise ArgumentError(
            f"idxs and boxes must be on the same device, got {idxs.device} and {boxes.device}"
        )
    if idxs.is_floating_point():
        # The kernel takes integer categories; number the distinct values instead.
        idxs = torch.unique(idxs, return_inverse=True)[1]
    return torch.ops.vops.batched_nms(boxes, scores, idxs, iou_threshold)


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Areas of axis-aligned boxes.

    Args:
        boxes: ``Tensor[..., 4]``, any real dtype.
        fmt: ``"xyxy"``, ``"xywh"`` or ``"cxcywh"``.

    Returns:
        ``Tensor[...]``: float16/bfloat16 boxes give float32 areas, 8- and 16-bit integer boxes
        int32 areas; other dtypes are kept.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(box_area, boxes, fmt)
        if traced is not None:
            return traced
    check_format(fmt, "fmt", axis_aligned_formats())
    check_box_tensor(boxes, fmt, "boxes", 1)
    boxes = upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """Pairwise intersection over union.

    Axis-aligned boxes may carry leading batch dimensions, which broadcast; rotated boxes are
    ``Tensor[N, K]``. The gradient flows through axis-aligned boxes only.

    Args:
        boxes1: ``Tensor[..., N, K]``.
        boxes2: ``Tensor[..., M, K]``.
        fmt: ``"xyxy"``, ``"xywh"``, ``"cxcywh"`` (K = 4), ``"xywhr"``, ``"cxcywhr"`` (K = 5) or
            ``"xyxyxyxy"`` (K = 8); see :func:`box_convert`.

    Returns:
        ``Tensor[..., N, M]``: the IoU of every pair. Floating boxes give their dtype
        (float16/bfloat16: float32), integer boxes float32; rotated boxes (float32 or float64
        only) give float32.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(box_iou, boxes1, boxes2, fmt)
        if traced is not None:
            return traced
    check_format(fmt, "fmt", box_formats())
    check_box_tensor(boxes1, fmt, "boxes1", 2)
    check_box_tensor(boxes2, fmt, "boxes2", 2)
    check_same_device(boxes1, boxes2)
    if fmt in rotated_formats():
        return _rotated_box_iou(boxes1, boxes2, fmt)
    boxes1, boxes2 = upcast(boxes1), upcast(boxes2)
    has_kernel = boxes1.device.type == "cpu" or boxes1.is_cuda
    if not torch.jit.is_scripting():
        has_kernel = boxes1.device.type == "cpu" or (boxes1.is_cuda and _BOX_IOU_ON_CUDA)
    needs_grad = torch.is_grad_enabled() and (boxes1.requires_grad or boxes2.requires_grad)
    if has_kernel and not needs_grad and boxes1.dim() == 2 and boxes2.dim() == 2:
        if boxes1.dtype != boxes2.dtype:
            common = torch.promote_types(boxes1.dtype, boxes2.dtype)
            boxes1, boxes2 = boxes1.to(common), boxes2.to(common)
        return torch.ops.vops.box_iou(boxes1, boxes2, fmt)
    inter, union = pairwise_inter_union(to_xyxy(boxes1, fmt), to_xyxy(boxes2, fmt))
    return inter / union


def _check_rotated_boxes(boxes: Tensor, fmt: str, name: str) -> None:
    if boxes.dim() != 2:
        raise ArgumentIndexError(
            f"{name} must be a Tensor[N, {coordinate_count(fmt)}] for the rotated fmt '{fmt}', "
            f"got Tensor{list(boxes.shape)}"
        )
    if boxes.dtype != torch.float32 and boxes.dtype != torch.float64:
        raise ArgumentDTypeError(
            f"{name} must be float32 or float64 for the rotated fmt '{fmt}', got {boxes.dtype}"
        )


def _rotated_box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str) -> Tensor:
    _check_rotated_boxes(boxes1, fmt, "boxes1")
    _check_rotated_boxes(boxes2, fmt, "boxes2")
    if boxes1.dtype != boxes2.dtype:
        raise ArgumentError(
            f"boxes1 and boxes2 must have the same dtype, got {boxes1.dtype} and {boxes2.dtype}"
        )
    return torch.ops.vops.box_iou_rotated(
        convert(boxes1, fmt, "cxcywhr"), convert(boxes2, fmt, "cxcywhr")
    )


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    """Clip boxes to an image.

    Args:
        boxes: ``Tensor[..., 4]`` in ``(x1, y1, x2, y2)`` format, floating-point or integer.
        size: ``(height, width)`` of the image.

    Returns:
        ``Tensor[..., 4]``, x clamped to ``[0, width]`` and y to ``[0, height]``, of ``boxes``'
        dtype (promoted as by ``torch.clamp`` for integer boxes and a fractional size).
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(clip_boxes_to_image, boxes, size)
        if traced is not None:
            return traced
        check_image_size(size)
    check_real_boxes(boxes, "boxes", any_leading_dims=True)
    height, width = size
    # Integer boxes clipped to a fractional size become floating-point, as torch.clamp makes them.
    dtype = torch.promote_types(torch.result_type(boxes, height), torch.result_type(boxes, width))
    clipped = boxes.clamp(min=0).to(dtype)
    clipped[..., 0::2].clamp_(max=width)
    clipped[..., 1::2].clamp_(max=height)
    return clipped


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both at least ``min_size``.

    Args:
        boxes: ``Tensor[N, 4]`` in ``(x1, y1, x2, y2)`` format, floating-point or integer.
        min_size: smallest side kept.

    Returns:
        int64 ``Tensor[K]``, increasing.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(remove_small_boxes, boxes, min_size)
        if traced is not None:
            return traced
    check_real_boxes(boxes, "boxes", any_leading_dims=False)
    widths = boxes[:, 2] - boxes[:, 0]
    heights = boxes[:, 3] - boxes[:, 1]
    return torch.where((widths >= min_size) & (heights >= min_size))[0]


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert boxes between formats of one family.

    Axis-aligned (4 numbers): ``"xyxy"`` (top-left and bottom-right corners), ``"xywh"``
    (top-left corner, width, height), ``"cxcywh"`` (centre, width, height). Rotated, with an
    angle ``r`` in degrees, counter-clockwise on the image (y pointing down), about the centre:
    ``"xywhr"`` (rotated top-left corner, width, height, r; 5 numbers), ``"cxcywhr"`` (centre,
    width, height, r; 5 numbers), ``"xyxyxyxy"`` (the rotated top-left, top-right, bottom-right
    and bottom-left corners; 8 numbers).

    Integer boxes stay integers, except that converting to or from ``"cxcywh"`` gives floats
    (half sides); rotated integer boxes are rounded (half to even) after each step through
    ``"xywhr"``.

    Args:
        boxes: ``Tensor[..., K]`` in ``in_fmt``.
        in_fmt: the format of ``boxes``.
        out_fmt: the format wanted.

    Returns:
        ``Tensor[..., K']`` in ``out_fmt`` (a copy when the formats are equal).

    Raises:
        ValueError: an unknown format, or boxes without ``in_fmt``'s K numbers.
        NotImplementedError: formats of different families (axis-aligned and rotated).
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(box_convert, boxes, in_fmt, out_fmt)
        if traced is not None:
            return traced
    check_format(in_fmt, "in_fmt", box_formats())
    check_format(out_fmt, "out_fmt", box_formats())
    check_box_tensor(boxes, in_fmt, "boxes", 1)
    if (in_fmt in rotated_formats()) != (out_fmt in rotated_formats()):
        raise NotImplementedError(
            f"box_convert converts within the axis-aligned formats {axis_aligned_formats()} "
            f"or within the rotated formats {rotated_formats()}, got in_fmt '{in_fmt}' and "
            f"out_fmt '{out_fmt}'"
        )
    return convert(boxes, in_fmt, out_fmt)


@torch.library.register_fake("vops::nms")
def _nms_fake(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)


@torch.library.register_fake("vops::batched_nms")
def _batched_nms_fake(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    kept = torch.library.get_ctx().new_dynamic_size()
    return boxes.new_empty((kept,), dtype=torch.int64)


@torch.library.register_fake("vops::box_iou")
def _box_iou_fake(boxes1: Tensor, boxes2: Tensor, fmt: str) -> Tensor:
    dtype = boxes1.dtype if boxes1.is_floating_point() else torch.float32
    return boxes1.new_empty((boxes1.size(0), boxes2.size(0)), dtype=dtype)


@torch.library.register_fake("vops::box_iou_rotated")
def _box_iou_rotated_fake(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    return boxes1.new_empty((boxes1.size(0), boxes2.size(0)), dtype=torch.float32)
