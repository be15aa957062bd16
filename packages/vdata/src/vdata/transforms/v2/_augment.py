"""The v2 augmentations RandomErasing, MixUp, CutMix and JPEG (torchvision 0.29's names,
arguments and random draws), and their functionals ``erase`` and ``jpeg``."""

from __future__ import annotations

import io
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import PIL.Image
import torch
from torch import Tensor
from torch.nn.functional import one_hot
from torch.utils._pytree import tree_flatten, tree_unflatten

from ... import tv_tensors
from .. import functional as F1
from ._dispatch import _dispatch, _image_kernel, register_kernel
from ._transform import RandomApplyTransform, Transform, is_pure_tensor, query_chw, query_size
from ._transforms import _default_labels

# --- functionals ----------------------------------------------------------------------------


def erase(inpt: Any, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False) -> Any:
    """Set the ``h x w`` region from ``(i, j)`` (top, left) of an image or video to ``v``
    (broadcast to ``[..., C, h, w]``); ``inplace`` writes into a tensor input."""
    return _dispatch(erase, inpt, i=i, j=j, h=h, w=w, v=v, inplace=inplace)


def _erase_image(inpt: Any, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False):
    if isinstance(inpt, PIL.Image.Image):
        erased = F1.erase(F1.pil_to_tensor(inpt), i, j, h, w, v, inplace=True)
        return F1.to_pil_image(erased, mode=inpt.mode)
    return F1.erase(inpt, i, j, h, w, v, inplace=inplace)


def jpeg(image: Any, quality: int) -> Any:
    """Compress an image (uint8 ``[..., 1 or 3, H, W]``, or PIL) to JPEG at ``quality``
    (1 to 100) and decode it again; PIL's codec does both."""
    return _dispatch(jpeg, image, quality=quality)


def _jpeg_roundtrip(image: PIL.Image.Image, quality: int) -> PIL.Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    with PIL.Image.open(buffer) as decoded:
        return decoded.copy()  # a plain Image, not a JpegImageFile


def _jpeg_tensor(image: Tensor, quality: int) -> Tensor:
    if image.dtype != torch.uint8:
        raise TypeError(f"JPEG needs a uint8 image, got {image.dtype}")
    if image.shape[-3] not in (1, 3):
        raise ValueError(f"JPEG needs 1 or 3 channels, got {image.shape[-3]}")
    planes = image.reshape(-1, *image.shape[-3:])
    decoded = [
        F1.pil_to_tensor(_jpeg_roundtrip(F1.to_pil_image(plane), quality)).reshape(plane.shape)
        for plane in planes.cpu()
    ]
    if not decoded:
        return image.clone()
    return torch.stack(decoded).reshape(image.shape).to(image.device)


def _jpeg_image(inpt: Any, quality: int) -> Any:
    if isinstance(inpt, PIL.Image.Image):
        return _jpeg_roundtrip(inpt, quality)
    return _jpeg_tensor(inpt, quality)


def _register_image_video(functional: Callable, image_op: Callable) -> None:
    """Kernels for images and videos only: masks pass through the transforms untouched."""
    kernel = _image_kernel(image_op)
    for cls in (Tensor, PIL.Image.Image, tv_tensors.Image, tv_tensors.Video):
        register_kernel(functional, cls)(kernel)


_register_image_video(erase, _erase_image)
_register_image_video(jpeg, _jpeg_image)


# --- RandomErasing --------------------------------------------------------------------------


def _erasing_value(value: Any) -> list[float] | None:
    if not isinstance(value, (numbers.Number, str, tuple, list)):
        raise TypeError("Argument value should be either a number or str or a sequence")
    if isinstance(value, str):
        if value != "random":
            raise ValueError("If value is str, it should be 'random'")
        return None
    return [float(value)] if isinstance(value, numbers.Number) else [float(v) for v in value]


class RandomErasing(RandomApplyTransform):
    """With probability ``p``, erase a random rectangle of the images and videos (Zhong et
    al., https://arxiv.org/abs/1708.04896).

    Args:
        p: probability of erasing.
        scale: range of the rectangle's share of the image area.
        ratio: range of its aspect ratio (height over width), drawn log-uniformly.
        value: the erasing value: a number, one per channel, or ``"random"`` (standard normal
            noise per pixel).
        inplace: erase tensor inputs in place.

    Masks, boxes and key points pass through unchanged, with a warning.
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: float | Sequence[float] | str = 0.0,
        inplace: bool = False,
    ) -> None:
        super().__init__(p=p)
        self.value = _erasing_value(value)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        self.scale, self.ratio, self.inplace = scale, ratio, inplace
        self._log_ratio = torch.log(torch.tensor(ratio))

    def _call_kernel(self, functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints, tv_tensors.Mask)):
            warnings.warn(
                f"{type(self).__name__}() is currently passing through inputs of type "
                f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                stacklevel=2,
            )
        return super()._call_kernel(functional, inpt, *args, **kwargs)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        channels, height, width = query_chw(flat_inputs)
        if self.value is not None and len(self.value) not in (1, channels):
            raise ValueError(
                "If value is a sequence, it should have either a single value or "
                f"{channels} (number of inpt channels)"
            )
        for _ in range(10):
            h, w = self._draw_extent(height * width)
            if h < height and w < width:
                break
        else:  # no rectangle fitted: nothing is erased
            return dict(i=0, j=0, h=height, w=width, v=None)
        if self.value is None:
            v = torch.empty([channels, h, w], dtype=torch.float32).normal_()
        else:
            v = torch.tensor(self.value)[:, None, None]
        i = int(torch.randint(0, height - h + 1, size=(1,)).item())
        j = int(torch.randint(0, width - w + 1, size=(1,)).item())
        return dict(i=i, j=j, h=h, w=w, v=v)

    def _draw_extent(self, area: int) -> tuple[int, int]:
        """One draw of the rectangle's ``(height, width)``."""
        target = area * torch.empty(1).uniform_(self.scale[0], self.scale[1]).item()
        low, high = self._log_ratio
        aspect = torch.exp(torch.empty(1).uniform_(low, high)).item()  # type: ignore[arg-type]
        return round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if params["v"] is None:
            return inpt
        return self._call_kernel(erase, inpt, **params, inplace=self.inplace)


# --- MixUp and CutMix -----------------------------------------------------------------------


def _labels_getter(labels_getter: Callable[[Any], Any] | str | None) -> Callable[[Any], Any]:
    """torchvision's ``labels_getter`` argument as a function of the sample."""
    if labels_getter == "default":
        return _default_labels
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda sample: None
    raise ValueError(
        f"labels_getter should either be 'default', a callable, or None, but got {labels_getter}."
    )


class _MixBatch(Transform):
    """Base of MixUp and CutMix: each sample of a batch is mixed with the one before it
    (``roll(1, 0)``), and the labels as much as the pixels."""

    def __init__(
        self,
        *,
        alpha: float = 1.0,
        num_classes: int | None = None,
        labels_getter: Callable[[Any], Any] | str = "default",
    ) -> None:
        self.alpha = float(alpha)
        self._dist = torch.distributions.Beta(torch.tensor([alpha]), torch.tensor([alpha]))
        self.num_classes = num_classes
        self._get_labels = _labels_getter(labels_getter)

    def _draw_lambda(self) -> float:
        return float(self._dist.sample(()))  # type: ignore[arg-type]

    def _checked_labels(self, sample: Any) -> Tensor:
        labels = self._get_labels(sample)
        if not isinstance(labels, Tensor):
            raise ValueError(f"The labels must be a tensor, but got {type(labels)} instead.")
        if labels.ndim not in (1, 2):
            raise ValueError(
                "labels should be index based with shape (batch_size,) or probability based "
                "with shape (batch_size, num_classes), but got a tensor of shape "
                f"{labels.shape} instead."
            )
        wrong_width = self.num_classes is not None and labels.shape[-1] != self.num_classes
        if labels.ndim == 2 and wrong_width:
            raise ValueError(
                "When passing 2D labels, the number of elements in last dimension must "
                f"match num_classes: {labels.shape[-1]} != {self.num_classes}. You can "
                "Leave num_classes to None."
            )
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError("num_classes must be passed if the labels are index-based (1D)")
        return labels

    def __call__(self, *inputs: Any) -> Any:
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(sample)
        needs = self._needs_transform_list(flat_inputs)
        unsupported = (
            PIL.Image.Image,
            tv_tensors.BoundingBoxes,
            tv_tensors.Mask,
            tv_tensors.KeyPoints,
        )
        if any(isinstance(inpt, unsupported) for inpt in flat_inputs):
            raise ValueError(
                f"{type(self).__name__}() does not support PIL images, bounding boxes, "
                "keypoints and masks."
            )
        labels = self._checked_labels(sample)
        params = {
            "labels": labels,
            "batch_size": labels.shape[0],
            **self.make_params([i for i, n in zip(flat_inputs, needs, strict=True) if n]),
        }
        # The labels follow the image, so the base leaves them alone: they are mixed too.
        needs[next(k for k, inpt in enumerate(flat_inputs) if inpt is labels)] = True
        outputs = [
            self.transform(inpt, params) if need else inpt
            for inpt, need in zip(flat_inputs, needs, strict=True)
        ]
        return tree_unflatten(outputs, spec)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if inpt is params["labels"]:
            return self._mix_labels(inpt, params["lam"])
        if not (isinstance(inpt, (tv_tensors.Image, tv_tensors.Video)) or is_pure_tensor(inpt)):
            return inpt
        self._check_batch(inpt, params["batch_size"])
        output = self._mix_images(inpt.as_subclass(Tensor), params)
        return output if is_pure_tensor(inpt) else tv_tensors.wrap(output, like=inpt)

    def _mix_images(self, batch: Tensor, params: dict[str, Any]) -> Tensor:
        raise NotImplementedError

    @staticmethod
    def _check_batch(inpt: Tensor, batch_size: int) -> None:
        ndim = 5 if isinstance(inpt, tv_tensors.Video) else 4
        if inpt.ndim != ndim:
            raise ValueError(
                f"Expected a batched input with {ndim} dims, but got {inpt.ndim} dimensions "
                "instead."
            )
        if inpt.shape[0] != batch_size:
            raise ValueError(
                "The batch size of the image or video does not match the batch size of the "
                f"labels: {inpt.shape[0]} != {batch_size}."
            )

    def _mix_labels(self, labels: Tensor, lam: float) -> Tensor:
        if labels.ndim == 1:
            labels = one_hot(labels, num_classes=self.num_classes)  # type: ignore[arg-type]
        if not labels.dtype.is_floating_point:
            labels = labels.float()
        return _blend_with_previous(labels, lam)


def _blend_with_previous(batch: Tensor, lam: float) -> Tensor:
    """``lam * batch + (1 - lam) * batch.roll(1, 0)``, rounded as torchvision's, a sample at a
    time: one pass over the batch and one scratch sample, 3x faster than whole-batch
    temporaries (which the allocator hands back as fresh pages)."""
    out = torch.empty_like(batch)
    scratch = torch.empty_like(batch[0]) if len(batch) else None
    for index in range(len(batch)):
        torch.mul(batch[index - 1], 1.0 - lam, out=out[index])
        out[index].add_(torch.mul(batch[index], lam, out=scratch))
    return out


class MixUp(_MixBatch):
    """MixUp (https://arxiv.org/abs/1710.09412) of a batch of images or videos and their labels:
    each sample becomes ``lam * x_k + (1 - lam) * x_{k-1}`` with ``lam ~ Beta(alpha, alpha)``,
    and so do the labels (one-hot encoded over ``num_classes`` when they are indices).

    Args:
        alpha: the Beta distribution's parameter.
        num_classes: needed for index labels ``(batch_size,)``; probability labels
            ``(batch_size, num_classes)`` may leave it None.
        labels_getter: ``"default"`` (the second item of a tuple, or a dict's "labels"), or a
            callable taking the sample and returning the labels.
    """

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(lam=self._draw_lambda())

    def _mix_images(self, batch: Tensor, params: dict[str, Any]) -> Tensor:
        return _blend_with_previous(batch, params["lam"])


class CutMix(_MixBatch):
    """CutMix (https://arxiv.org/abs/1905.04899) of a batch of images or videos and their
    labels: a random box of each sample is pasted from the sample before it, and the labels
    are mixed by the box's share of the area. Arguments as for :class:`MixUp`."""

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        lam = self._draw_lambda()
        height, width = query_size(flat_inputs)
        centre_x = torch.randint(width, size=(1,))
        centre_y = torch.randint(height, size=(1,))
        half = 0.5 * math.sqrt(1.0 - lam)
        half_w, half_h = int(half * width), int(half * height)
        x1 = int(torch.clamp(centre_x - half_w, min=0))
        y1 = int(torch.clamp(centre_y - half_h, min=0))
        x2 = int(torch.clamp(centre_x + half_w, max=width))
        y2 = int(torch.clamp(centre_y + half_h, max=height))
        lam_adjusted = float(1.0 - (x2 - x1) * (y2 - y1) / (width * height))
        return dict(box=(x1, y1, x2, y2), lam=lam_adjusted)

    def _mix_images(self, batch: Tensor, params: dict[str, Any]) -> Tensor:
        x1, y1, x2, y2 = params["box"]
        output = batch.clone()
        output[..., y1:y2, x1:x2] = batch[..., y1:y2, x1:x2].roll(1, 0)  # the box only
        return output


# --- JPEG -----------------------------------------------------------------------------------


class JPEG(Transform):
    """Compress the images and videos to JPEG and decode them again (PIL's codec).

    Args:
        quality: 1 to 100 (lower compresses more), or a range ``(min, max)`` to draw it from,
            both ends included.
    """

    def __init__(self, quality: int | Sequence[int]) -> None:
        if isinstance(quality, bool):
            raise TypeError("quality can't be bool")
        if isinstance(quality, int):
            quality = [quality, quality]
        elif not isinstance(quality, Sequence) or isinstance(quality, str):
            raise TypeError("quality should be a sequence of length 2.")
        elif len(quality) != 2:
            raise ValueError(
                f"quality should be a sequence of length 2. Got {len(quality)} elements."
            )
        low, high = quality
        if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high <= 100):
            raise ValueError(f"quality must be an integer from 1 to 100, got quality ={quality}")
        self.quality = list(quality)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(quality=int(torch.randint(self.quality[0], self.quality[1] + 1, ()).item()))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(jpeg, inpt, quality=params["quality"])


__all__ = ["JPEG", "CutMix", "MixUp", "RandomErasing", "erase", "jpeg"]
