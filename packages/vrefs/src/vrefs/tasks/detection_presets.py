"""The sample transforms of the detection task: the v2 pipeline (``--transforms v2``, the
default) on datasets with ``target_format="tv_tensors"``, or the joint transforms of
``vdata.transforms.joint`` (``--transforms v1``) on the model format.

Both end in what the models take: a float image in ``[0, 1]`` (the models normalise themselves)
and a plain dict of tensors. With ``--data-augmentation hflip`` (the default) the two draw the
same random flip from the same generator, so a run gives the same samples either way (the
images within a float32 ulp: ``ToDtype`` multiplies by 1/255, ``ConvertImageDtype`` divides,
as torchvision's two do). The v2
pipeline also offers the policies of torchvision's detection reference for SSD: ``ssd``
(photometric distortion, zoom out, IoU crop, flip) and ``ssdlite`` (IoU crop, flip).
"""

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from vdata import tv_tensors
from vdata.datasets import KeypointInfo, tv_tensors_to_model_target
from vdata.transforms import joint as J
from vdata.transforms import v2
from vdata.transforms.v2 import functional as F

TRANSFORMS = ("v2", "v1")
AUGMENTATIONS = ("hflip", "ssd", "ssdlite")
# The mean pixel of torchvision's detection presets: what SSD's zoom out fills the canvas with.
# (Their defaultdict fill is looked up by exact type and so falls back to 0; this is the intent.)
ZOOM_OUT_FILL = {tv_tensors.Image: [123, 117, 104], tv_tensors.Mask: 0}


class _KeepKeys:
    """Drops the target entries the model does not train on (saves flipping and encoding)."""

    def __init__(self, dropped: Sequence[str]) -> None:
        self.dropped = tuple(dropped)

    def __call__(self, image: Any, target: dict) -> tuple[Any, dict]:
        return image, {k: v for k, v in target.items() if k not in self.dropped}


def detection_transforms(train: bool, keypoint_info=None, dropped: Sequence[str] = ()) -> Callable:
    """The joint (v1) transforms: PIL image to float tensor in ``[0, 1]``, with a random
    horizontal flip in training that swaps mirrored keypoints by ``keypoint_info``."""
    steps: list[Callable] = [_KeepKeys(dropped), J.PILToTensor(), J.ConvertImageDtype()]
    if train:
        steps.append(J.RandomHorizontalFlip(flip_map=keypoint_info))
    return J.Compose(steps)


class _FlipWithKeypoints:
    """A random horizontal flip of a sample with ``"keypoints"``: v2's flip of the image, boxes
    and masks, and the points mirrored as the joint transforms mirror them.

    A mirrored person's left wrist is where the right one was, so the points are re-indexed
    through ``flip_map``; and the datasets' points are continuous coordinates (the centre of
    pixel ``col`` is ``col + 0.5``), which mirror to ``width - x``, where v2 mirrors points as
    pixel indices, to ``width - 1 - x`` (torchvision's convention).
    """

    def __init__(self, flip_map: Sequence[int], p: float = 0.5) -> None:
        self.flip_map, self.p = list(flip_map), p

    def __call__(self, image: Any, target: dict) -> tuple[Any, dict]:
        # One draw, as v2.RandomHorizontalFlip and the joint flip make it.
        if not bool(torch.rand(1) < self.p):
            return image, target
        flipped = {
            key: F.horizontal_flip(value)
            if isinstance(value, (tv_tensors.BoundingBoxes, tv_tensors.Mask))
            else value
            for key, value in target.items()
        }
        points = target["keypoints"]
        xy = points.as_subclass(Tensor)[:, self.flip_map]
        xy = torch.stack((points.canvas_size[1] - xy[..., 0], xy[..., 1]), dim=-1)
        flipped["keypoints"] = tv_tensors.wrap(xy, like=points)
        flipped["keypoints_visibility"] = target["keypoints_visibility"][:, self.flip_map]
        return F.horizontal_flip(image), flipped


def _per_object(sample: tuple[Any, dict]) -> tuple[Tensor, ...]:
    """What SanitizeBoundingBoxes drops with a box besides its mask: every other tensor of the
    target (labels, area, iscrowd, keypoints and their visibility, ...), all per object in the
    datasets' formats. Dropped keypoints come out as a plain tensor, which is fine as nothing
    moves them afterwards."""
    _, target = sample
    return tuple(
        value
        for value in target.values()
        if isinstance(value, Tensor)
        and not isinstance(value, (tv_tensors.BoundingBoxes, tv_tensors.Mask))
    )


def _to_model_input(image: tv_tensors.Image, target: dict) -> tuple[Tensor, dict]:
    """The models' boundary: they take plain tensors (typed ones would work, as torch
    operations unwrap them, but keypoints must join their visibility again)."""
    return image.as_subclass(Tensor), tv_tensors_to_model_target(target)


def detection_transforms_v2(
    train: bool,
    augmentation: str = "hflip",
    keypoint_info: KeypointInfo | None = None,
    dropped: Sequence[str] = (),
) -> Callable:
    """The v2 transforms of samples in the ``"tv_tensors"`` format: in training the
    ``augmentation`` policy (``"hflip"``, ``"ssd"`` or ``"ssdlite"``) with a flip that swaps
    mirrored keypoints by ``keypoint_info``, then the image to float in ``[0, 1]``, in training
    the boxes under 1 pixel dropped with everything of their object, and the target to the
    plain model format (:func:`vdata.datasets.tv_tensors_to_model_target`)."""
    if augmentation not in AUGMENTATIONS:
        raise ValueError(
            f"--data-augmentation must be one of {', '.join(AUGMENTATIONS)}, got {augmentation!r}"
        )
    if "keypoints" in dropped:
        dropped = (*dropped, "keypoints_visibility")
    steps: list[Callable] = [_KeepKeys(dropped)]
    if train:
        if augmentation == "ssd":
            steps += [v2.RandomPhotometricDistort(), v2.RandomZoomOut(fill=ZOOM_OUT_FILL)]
        if augmentation in ("ssd", "ssdlite"):
            steps.append(v2.RandomIoUCrop())
        if keypoint_info is None:
            steps.append(v2.RandomHorizontalFlip())
        else:
            steps.append(_FlipWithKeypoints(keypoint_info.flip_map))
    steps.append(v2.ToDtype(torch.float32, scale=True))
    if train:
        steps.append(v2.SanitizeBoundingBoxes(labels_getter=_per_object))
    steps.append(_to_model_input)
    return v2.Compose(steps)
