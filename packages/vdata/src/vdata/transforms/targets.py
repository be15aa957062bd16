"""Geometry of targets: how boxes, masks and keypoints follow a flip, resize, crop or pad of
their image.

A target is one of:

* ``None``, passed through unchanged;
* a detection dict: ``"boxes"`` float ``Tensor[N, 4]`` (absolute ``x1, y1, x2, y2``), and
  optionally ``"masks"`` uint8 ``Tensor[N, H, W]``, ``"keypoints"`` float ``Tensor[N, K, 3]``
  (``x, y, visibility``; visibility 0 means not labelled, and such points are kept at
  ``(0, 0, 0)``), ``"area"`` ``Tensor[N]`` and any other entries. Entries that are tensors with
  first dimension N, or lists of length N, are per-object fields: when a crop drops an object, all
  of them drop it together. Image-level entries (``"image_id"``, sizes) should be numbers or
  tuples so they are never mistaken for per-object ones;
* a segmentation mask: a PIL image (mode ``"L"`` or ``"P"``) or an integer ``Tensor[H, W]`` of
  class indices, 255 meaning "ignore".

Masks are resampled with centre-aligned nearest-neighbour interpolation.
"""

from collections.abc import Callable, Sequence

import torch
from PIL import Image
from torch import Tensor

from . import functional as F

Target = dict | Image.Image | Tensor | None
IGNORE_INDEX = 255


def check_target(target: Target, image_size: tuple[int, int]) -> None:
    """Check a target against its image's ``image_size = (height, width)``.

    Raises:
        TypeError: for a target of another type.
        ValueError: naming the entry whose shape or dtype is wrong.
    """
    if target is None:
        return
    if isinstance(target, (Image.Image, Tensor)):
        if isinstance(target, Tensor) and (target.dim() != 2 or target.is_floating_point()):
            raise ValueError(
                f"a segmentation mask must be an integer Tensor[H, W], got {target.dtype} "
                f"Tensor{list(target.shape)}"
            )
        size = tuple(F.get_dimensions(target)[1:])
        if size != tuple(image_size):
            raise ValueError(f"the mask is {size} (h, w) but the image is {tuple(image_size)}")
        return
    if not isinstance(target, dict):
        raise TypeError(
            f"target must be None, a detection dict or a segmentation mask, got "
            f"{type(target).__name__}"
        )
    boxes = target.get("boxes")
    if boxes is None:
        return
    if not isinstance(boxes, Tensor) or boxes.dim() != 2 or boxes.size(1) != 4:
        got = f"Tensor{list(boxes.shape)}" if isinstance(boxes, Tensor) else type(boxes).__name__
        raise ValueError(f'target["boxes"] must be a float Tensor[N, 4], got {got}')
    n = boxes.size(0)
    masks, keypoints = target.get("masks"), target.get("keypoints")
    if masks is not None and tuple(masks.shape) != (n, *image_size):
        raise ValueError(
            f'target["masks"] must be Tensor[N, H, W] = {[n, *image_size]}, got {list(masks.shape)}'
        )
    if keypoints is not None and (
        keypoints.dim() != 3 or keypoints.size(0) != n or keypoints.size(2) != 3
    ):
        raise ValueError(
            f'target["keypoints"] must be Tensor[N, K, 3] with N = {n}, got {list(keypoints.shape)}'
        )


def _map_detection(
    target: dict,
    boxes: Callable[[Tensor], Tensor],
    masks: Callable[[Tensor], Tensor],
    keypoints: Callable[[Tensor], Tensor],
) -> dict:
    """A copy of ``target`` with its ``"boxes"``, ``"masks"`` and ``"keypoints"``, where present,
    mapped by the given functions."""
    out = dict(target)
    for key, fn in (("boxes", boxes), ("masks", masks), ("keypoints", keypoints)):
        if key in out:
            out[key] = fn(out[key])
    return out


def _move_keypoints(keypoints: Tensor, scale: Sequence[float], shift: Sequence[float]) -> Tensor:
    """``x * scale + shift`` on the coordinates of labelled keypoints; the rest stay zero."""
    labelled = keypoints[..., 2:] > 0
    xy = keypoints[..., :2] * keypoints.new_tensor(scale) + keypoints.new_tensor(shift)
    return torch.cat((torch.where(labelled, xy, 0.0), keypoints[..., 2:]), dim=-1)


def check_flip_map(flip_map: Sequence[int]) -> tuple[int, ...]:
    """``flip_map`` as a tuple, checked to be a permutation that is its own inverse."""
    flip_map = tuple(int(i) for i in flip_map)
    k = len(flip_map)
    if any(not 0 <= j < k or flip_map[j] != i for i, j in enumerate(flip_map)):
        raise ValueError(
            f"flip_map must be a permutation of 0..{k - 1} that is its own inverse, got {flip_map}"
        )
    return flip_map


def _mirror_keypoints(
    keypoints: Tensor, axis: int, extent: int, flip_map: Sequence[int] | None
) -> Tensor:
    if flip_map is None:
        raise ValueError("the target has keypoints: give the transform a flip_map or KeypointInfo")
    if len(flip_map) != keypoints.size(1):
        raise ValueError(
            f"flip_map has {len(flip_map)} entries but the keypoints are "
            f"Tensor{list(keypoints.shape)}"
        )
    scale, shift = [1.0, 1.0], [0.0, 0.0]
    scale[axis], shift[axis] = -1.0, float(extent)
    mirrored = _move_keypoints(keypoints, scale, shift)
    return mirrored[:, list(flip_map)]


def hflip_target(target: Target, width: int, flip_map: Sequence[int] | None = None) -> Target:
    """Mirror a target left to right in an image ``width`` pixels wide.

    Boxes map ``x -> width - x`` (``x1`` and ``x2`` swap), keypoints likewise; a mirrored person's
    left wrist is where the right one was, so keypoints are then re-indexed through ``flip_map``
    (``flip_map[i]`` is the index of keypoint ``i``'s mirror), required when keypoints are present.
    """
    if not isinstance(target, dict):
        return None if target is None else F.hflip(target)
    return _map_detection(
        target,
        boxes=lambda b: torch.stack((width - b[:, 2], b[:, 1], width - b[:, 0], b[:, 3]), dim=1),
        masks=lambda m: m.flip(-1),
        keypoints=lambda k: _mirror_keypoints(k, 0, width, flip_map),
    )


def vflip_target(target: Target, height: int, flip_map: Sequence[int] | None = None) -> Target:
    """Mirror a target top to bottom in an image ``height`` pixels high.

    A vertical mirror is a horizontal one followed by a half turn, so keypoints change sides too
    and are re-indexed through ``flip_map`` as in :func:`hflip_target`.
    """
    if not isinstance(target, dict):
        return None if target is None else F.vflip(target)
    return _map_detection(
        target,
        boxes=lambda b: torch.stack((b[:, 0], height - b[:, 3], b[:, 2], height - b[:, 1]), dim=1),
        masks=lambda m: m.flip(-2),
        keypoints=lambda k: _mirror_keypoints(k, 1, height, flip_map),
    )


def resize_target(target: Target, image_size: tuple[int, int], new_size: tuple[int, int]) -> Target:
    """Scale a target from an image of ``image_size = (h, w)`` to one of ``new_size``.

    Boxes, keypoints and ``"area"`` scale with the image; masks are resampled with nearest.
    """
    if target is None:
        return None
    if not isinstance(target, dict):
        return F.resize(target, new_size, "nearest-exact")
    scale_y, scale_x = new_size[0] / image_size[0], new_size[1] / image_size[1]
    out = _map_detection(
        target,
        boxes=lambda b: b * b.new_tensor([scale_x, scale_y, scale_x, scale_y]),
        masks=lambda m: F.resize(m, new_size, "nearest-exact"),
        keypoints=lambda k: _move_keypoints(k, (scale_x, scale_y), (0.0, 0.0)),
    )
    if "area" in out:
        out["area"] = out["area"] * (scale_x * scale_y)
    return out


def pad_target(target: Target, padding: Sequence[int], mask_fill: int = IGNORE_INDEX) -> Target:
    """Move a target into its image padded by ``padding = (left, top, right, bottom)``.

    Segmentation masks are padded with ``mask_fill`` (255, "ignore", by default); detection masks
    with 0.
    """
    if target is None:
        return None
    if not isinstance(target, dict):
        return F.pad(target, list(padding), fill=mask_fill)
    left, top = padding[0], padding[1]
    return _map_detection(
        target,
        boxes=lambda b: b + b.new_tensor([left, top, left, top]),
        masks=lambda m: F.pad(m, list(padding)),
        keypoints=lambda k: _move_keypoints(k, (1.0, 1.0), (left, top)),
    )


def filter_objects(target: dict, keep: Tensor) -> dict:
    """Keep the objects selected by ``keep`` (a bool ``Tensor[N]`` or indices) in every
    per-object field of a detection target: tensors with first dimension N and lists of length N,
    N being the number of boxes."""
    n = target["boxes"].size(0)
    indices = keep.nonzero().flatten() if keep.dtype == torch.bool else keep
    out = {}
    for key, value in target.items():
        if isinstance(value, Tensor) and value.dim() > 0 and value.size(0) == n:
            value = value[indices.to(value.device)]
        elif isinstance(value, list) and len(value) == n:
            value = [value[i] for i in indices.tolist()]
        out[key] = value
    return out


def crop_target(
    target: Target, top: int, left: int, height: int, width: int, mask_fill: int = IGNORE_INDEX
) -> Target:
    """A target cropped to the ``height x width`` region at ``(top, left)``.

    Boxes are clipped to the region and those left with no width or height are dropped, with all
    their per-object fields (see :func:`filter_objects`); keypoints outside the region become
    unlabelled. ``"area"`` is kept as it was. Parts of a segmentation mask outside the image are
    ``mask_fill``.
    """
    if target is None:
        return None
    if not isinstance(target, dict):
        _, mask_h, mask_w = F.get_dimensions(target)
        outside = [max(-left, 0), max(-top, 0), max(left + width - mask_w, 0)]
        outside.append(max(top + height - mask_h, 0))
        target = F.pad(target, outside, fill=mask_fill) if any(outside) else target
        return F.crop(target, top + outside[1], left + outside[0], height, width)

    def crop_boxes(boxes: Tensor) -> Tensor:
        boxes = boxes - boxes.new_tensor([left, top, left, top])
        x = boxes[:, 0::2].clamp(0, width)
        y = boxes[:, 1::2].clamp(0, height)
        return torch.stack((x[:, 0], y[:, 0], x[:, 1], y[:, 1]), dim=1)

    def crop_keypoints(keypoints: Tensor) -> Tensor:
        moved = _move_keypoints(keypoints, (1.0, 1.0), (-left, -top))
        x, y = moved[..., 0], moved[..., 1]
        inside = (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
        return torch.where(inside[..., None], moved, 0.0)

    out = _map_detection(
        target,
        boxes=crop_boxes,
        masks=lambda m: F.crop(m, top, left, height, width),
        keypoints=crop_keypoints,
    )
    if "boxes" not in out:
        return out
    boxes = out["boxes"]
    return filter_objects(out, (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1]))
