"""Joint transforms for detection, segmentation and keypoints: ``(image, target) -> (image,
target)``, moving boxes, masks and keypoints with the image.

The image is a PIL image or a ``Tensor[C, H, W]``; the target is ``None``, a detection dict or a
segmentation mask, as described in :mod:`vdata.transforms.targets`. Random parameters are drawn
from torch's global generator, as in :mod:`vdata.transforms.classification`.

Example, detection training::

    transforms = Compose([
        RandomIoUCrop(),
        RandomHorizontalFlip(flip_map=dataset.keypoint_info),
        PILToTensor(),
        ConvertImageDtype(torch.float32),
    ])
"""

from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from vdata.datasets import KeypointInfo

from . import classification as C
from . import functional as F
from ._base import Transform, compose_repr
from ._image import Fill, ImageType, pair_size
from .targets import (
    IGNORE_INDEX,
    Target,
    check_flip_map,
    check_target,
    crop_target,
    filter_objects,
    hflip_target,
    pad_target,
    resize_target,
    vflip_target,
)


def _checked_size(image: ImageType, target: Target) -> tuple[int, int]:
    """``(height, width)`` of ``image``, after checking ``target`` against it."""
    _, height, width = F.get_dimensions(image)
    check_target(target, (height, width))
    return height, width


class Compose(Transform):
    """Apply joint ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        for transform in self.transforms:
            image, target = transform(image, target)
        return image, target

    def __repr__(self) -> str:
        return compose_repr(self, self.transforms)


class ImageOnly(Transform):
    """Apply an image transform (e.g. :class:`~vdata.transforms.ColorJitter`) to the image,
    leaving the target alone."""

    def __init__(self, transform: Callable) -> None:
        self.transform = transform

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        return self.transform(image), target


def _mask_to_tensor(target: Target) -> Target:
    """A PIL segmentation mask as an int64 ``Tensor[H, W]``; other targets unchanged."""
    if isinstance(target, Image.Image):
        return torch.from_numpy(np.array(target, dtype=np.int64))
    return target


class ToTensor(Transform):
    """Image to a float ``Tensor[C, H, W]`` in ``[0, 1]`` (see
    :func:`~vdata.transforms.functional.to_tensor`); a PIL segmentation mask to an int64
    ``Tensor[H, W]`` of its class indices."""

    def __call__(self, image: ImageType, target: Target) -> tuple[Tensor, Target]:
        return F.to_tensor(image), _mask_to_tensor(target)


class PILToTensor(Transform):
    """Image to a ``Tensor[C, H, W]`` of its own dtype; a PIL segmentation mask to an int64
    ``Tensor[H, W]`` of its class indices."""

    def __call__(self, image: Image.Image, target: Target) -> tuple[Tensor, Target]:
        return F.pil_to_tensor(image), _mask_to_tensor(target)


class ConvertImageDtype(Transform):
    """Convert the image tensor to ``dtype``, rescaling its values; the target is unchanged."""

    def __init__(self, dtype: torch.dtype = torch.float32) -> None:
        self.dtype = dtype

    def __call__(self, image: Tensor, target: Target) -> tuple[Tensor, Target]:
        return F.convert_image_dtype(image, self.dtype), target


class Normalize(Transform):
    """``(image - mean) / std`` per channel of the float image; the target is unchanged."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        if len(mean) != len(std):
            raise ValueError(f"mean and std need one value per channel each, got {mean}, {std}")
        self.mean, self.std = tuple(mean), tuple(std)

    def __call__(self, image: Tensor, target: Target) -> tuple[Tensor, Target]:
        return F.normalize(image, self.mean, self.std), target


def _flip_map(flip_map: KeypointInfo | Sequence[int] | None) -> tuple[int, ...] | None:
    if flip_map is None:
        return None
    return check_flip_map(flip_map.flip_map if isinstance(flip_map, KeypointInfo) else flip_map)


class RandomHorizontalFlip(Transform):
    """Mirror image and target left to right with probability ``p``.

    Args:
        p: probability of flipping.
        flip_map: a :class:`~vdata.datasets.KeypointInfo`, or for each keypoint the index of its
            mirror; needed to flip targets with keypoints (see
            :func:`~vdata.transforms.targets.hflip_target`).
    """

    def __init__(self, p: float = 0.5, flip_map: KeypointInfo | Sequence[int] | None = None):
        self.p, self.flip_map = C.RandomHorizontalFlip(p).p, _flip_map(flip_map)

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        _, width = _checked_size(image, target)
        if torch.rand(1).item() >= self.p:
            return image, target
        return F.hflip(image), hflip_target(target, width, self.flip_map)


class RandomVerticalFlip(Transform):
    """Mirror image and target top to bottom with probability ``p``; keypoints change sides
    through ``flip_map`` as in :class:`RandomHorizontalFlip`."""

    def __init__(self, p: float = 0.5, flip_map: KeypointInfo | Sequence[int] | None = None):
        self.p, self.flip_map = C.RandomVerticalFlip(p).p, _flip_map(flip_map)

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        height, _ = _checked_size(image, target)
        if torch.rand(1).item() >= self.p:
            return image, target
        return F.vflip(image), vflip_target(target, height, self.flip_map)


def _resize(
    image: ImageType,
    target: Target,
    size: int | Sequence[int],
    interpolation: str,
    max_size: int | None,
    antialias: bool,
) -> tuple[ImageType, Target]:
    old_size = _checked_size(image, target)
    image = F.resize(image, size, interpolation, max_size, antialias)
    new_size = tuple(F.get_dimensions(image)[1:])
    return image, resize_target(target, old_size, new_size)


class Resize(Transform):
    """Resize the image (see :func:`~vdata.transforms.functional.resize`) and scale the target
    with it; masks are resampled with nearest."""

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: str = "bilinear",
        max_size: int | None = None,
        antialias: bool = True,
    ) -> None:
        pair_size(size, "size")
        self.size = size if isinstance(size, int) else tuple(size)
        self.interpolation, self.max_size, self.antialias = interpolation, max_size, antialias

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        return _resize(image, target, self.size, self.interpolation, self.max_size, self.antialias)


class RandomResize(Transform):
    """Resize the smaller edge to a random integer size in ``[min_size, max_size]`` (default
    ``min_size``), scaling the target with the image."""

    def __init__(
        self, min_size: int, max_size: int | None = None, interpolation: str = "bilinear"
    ) -> None:
        max_size = min_size if max_size is None else max_size
        if not 0 < min_size <= max_size:
            raise ValueError(f"need 0 < min_size <= max_size, got {min_size} and {max_size}")
        self.min_size, self.max_size, self.interpolation = min_size, max_size, interpolation

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        size = int(torch.randint(self.min_size, self.max_size + 1, (1,)).item())
        return _resize(image, target, size, self.interpolation, None, True)


class CenterCrop(Transform):
    """Crop the centre ``size = (h, w)`` of image and target. A crop larger than the image
    reaches outside it: the image there is 0, a segmentation mask ``mask_fill``."""

    def __init__(self, size: int | Sequence[int], mask_fill: int = IGNORE_INDEX) -> None:
        self.size, self.mask_fill = pair_size(size, "size"), mask_fill

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        image_size = _checked_size(image, target)
        # Where functional.center_crop puts the crop, in the original image's coordinates.
        top, left = (
            -((crop - full) // 2) if crop > full else round((full - crop) / 2.0)
            for crop, full in zip(self.size, image_size, strict=True)
        )
        region = (top, left, *self.size)
        return F.crop(image, *region), crop_target(target, *region, mask_fill=self.mask_fill)


class RandomCrop(Transform):
    """Crop a random ``size = (h, w)`` region of image and target.

    Boxes are clipped to the crop; objects whose box vanishes are dropped with all their
    per-object fields.

    Args:
        size: output size; an int for a square.
        pad_if_needed: pad the right and bottom of a smaller image so the crop fits (image with
            ``fill``, a segmentation mask with ``mask_fill``); otherwise such an image is an error.
        fill: image padding value.
        mask_fill: segmentation mask padding value (255, "ignore").
    """

    def __init__(
        self,
        size: int | Sequence[int],
        pad_if_needed: bool = False,
        fill: Fill = 0,
        mask_fill: int = IGNORE_INDEX,
    ) -> None:
        self.size, self.pad_if_needed = pair_size(size, "size"), pad_if_needed
        self.fill, self.mask_fill = fill, mask_fill

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        height, width = _checked_size(image, target)
        short_h, short_w = max(self.size[0] - height, 0), max(self.size[1] - width, 0)
        if self.pad_if_needed and (short_h or short_w):
            padding = [0, 0, short_w, short_h]
            image = F.pad(image, padding, self.fill)
            target = pad_target(target, padding, self.mask_fill)
        region = C.RandomCrop.get_params(image, self.size)
        return F.crop(image, *region), crop_target(target, *region, mask_fill=self.mask_fill)


class RandomResizedCrop(Transform):
    """Crop a random region of random area and aspect ratio (as
    :class:`~vdata.transforms.RandomResizedCrop`) and resize it to ``size``, target included;
    objects whose box leaves the crop are dropped with all their per-object fields."""

    def __init__(
        self,
        size: int | Sequence[int],
        scale: tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: str = "bilinear",
        antialias: bool = True,
    ) -> None:
        image_transform = C.RandomResizedCrop(size, scale, ratio, interpolation, antialias)
        self.size, self.scale, self.ratio = (
            image_transform.size,
            image_transform.scale,
            image_transform.ratio,
        )
        self.interpolation, self.antialias = interpolation, antialias

    def __call__(self, image: ImageType, target: Target) -> tuple[ImageType, Target]:
        _checked_size(image, target)
        top, left, height, width = C.RandomResizedCrop.get_params(image, self.scale, self.ratio)
        image = F.resized_crop(
            image, top, left, height, width, self.size, self.interpolation, self.antialias
        )
        target = crop_target(target, top, left, height, width)
        return image, resize_target(target, (height, width), self.size)


def _iou_with_box(boxes: Tensor, box: Tensor) -> Tensor:
    """IoU of each of ``boxes`` (``Tensor[N, 4]``) with one ``box`` (``Tensor[4]``). Written out
    rather than taken from vops, so that importing the transforms needs no compiled ops."""
    corner_min = torch.maximum(boxes[:, :2], box[:2])
    corner_max = torch.minimum(boxes[:, 2:], box[2:])
    intersection = (corner_max - corner_min).clamp(min=0).prod(dim=1)
    areas = (boxes[:, 2:] - boxes[:, :2]).prod(dim=1)
    box_area = (box[2:] - box[:2]).prod()
    return intersection / (areas + box_area - intersection)


class RandomIoUCrop(Transform):
    """The SSD crop (Liu et al., 2016): a random crop that keeps objects whose box centre lies
    inside it and overlaps at least one of them by a random minimum IoU.

    Each call draws a minimum IoU from ``sampler_options`` (1.0 or more: leave the sample
    unchanged), then tries up to ``trials`` crops of random width and height, each a fraction in
    ``[min_scale, max_scale]`` of the image's, with aspect ratio (w / h) in
    ``[min_aspect_ratio, max_aspect_ratio]``; a crop is taken when some box centred inside it has
    IoU with it of at least the minimum. Otherwise a new minimum is drawn. Objects centred
    outside the crop are dropped, the rest are clipped to it. Detection targets only; a target
    with no boxes is left unchanged.
    """

    def __init__(
        self,
        min_scale: float = 0.3,
        max_scale: float = 1.0,
        min_aspect_ratio: float = 0.5,
        max_aspect_ratio: float = 2.0,
        sampler_options: Sequence[float] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0),
        trials: int = 40,
    ) -> None:
        if not 0 < min_scale <= max_scale <= 1:
            raise ValueError(f"need 0 < min_scale <= max_scale <= 1, got {min_scale}, {max_scale}")
        if not 0 < min_aspect_ratio <= max_aspect_ratio:
            raise ValueError(
                f"need 0 < min_aspect_ratio <= max_aspect_ratio, got {min_aspect_ratio}, "
                f"{max_aspect_ratio}"
            )
        if not sampler_options or trials < 1:
            raise ValueError(
                f"need sampler options and trials >= 1, got {sampler_options}, {trials}"
            )
        self.min_scale, self.max_scale = min_scale, max_scale
        self.min_aspect_ratio, self.max_aspect_ratio = min_aspect_ratio, max_aspect_ratio
        self.sampler_options, self.trials = tuple(sampler_options), trials

    def _try_crop(self, boxes: Tensor, height: int, width: int, min_iou: float):
        """``(top, left, height, width, centred_inside)`` of an acceptable crop, or None."""
        span = self.max_scale - self.min_scale
        scale_w, scale_h = (self.min_scale + span * torch.rand(2)).tolist()
        crop_w, crop_h = int(width * scale_w), int(height * scale_h)
        if crop_w == 0 or crop_h == 0:
            return None
        if not self.min_aspect_ratio <= crop_w / crop_h <= self.max_aspect_ratio:
            return None
        offset_x, offset_y = torch.rand(2).tolist()
        left, top = int((width - crop_w) * offset_x), int((height - crop_h) * offset_y)
        centers = (boxes[:, :2] + boxes[:, 2:]) / 2
        inside = (
            (centers[:, 0] > left)
            & (centers[:, 0] < left + crop_w)
            & (centers[:, 1] > top)
            & (centers[:, 1] < top + crop_h)
        )
        if not inside.any():
            return None
        crop_box = boxes.new_tensor([left, top, left + crop_w, top + crop_h])
        if _iou_with_box(boxes[inside], crop_box).max() < min_iou:
            return None
        return top, left, crop_h, crop_w, inside

    def __call__(self, image: ImageType, target: dict) -> tuple[ImageType, dict]:
        if not isinstance(target, dict) or "boxes" not in target:
            raise TypeError("RandomIoUCrop needs a detection target: a dict with 'boxes'")
        height, width = _checked_size(image, target)
        boxes = target["boxes"]
        if len(boxes) == 0:
            return image, target
        while True:
            index = int(torch.randint(len(self.sampler_options), (1,)).item())
            min_iou = self.sampler_options[index]
            if min_iou >= 1.0:
                return image, target
            for _ in range(self.trials):
                found = self._try_crop(boxes, height, width, min_iou)
                if found is not None:
                    *region, inside = found
                    target = crop_target(filter_objects(target, inside), *region)
                    return F.crop(image, *region), target


def detection_collate(batch: Sequence[tuple]) -> tuple[tuple, tuple]:
    """Collate ``(image, target)`` samples into ``(images, targets)`` tuples, for detection
    DataLoaders whose images differ in size and whose targets are dicts.

    Args:
        batch: a non-empty sequence of ``(image, target)`` pairs.

    Returns:
        ``(tuple of images, tuple of targets)``, in batch order.
    """
    if len(batch) == 0:
        raise ValueError("batch must hold at least one (image, target) sample, got none")
    for i, sample in enumerate(batch):
        if not isinstance(sample, (tuple, list)) or len(sample) != 2:
            raise ValueError(f"batch[{i}] must be an (image, target) pair, got {sample!r:.80}")
    images, targets = zip(*batch, strict=True)
    return tuple(images), tuple(targets)
