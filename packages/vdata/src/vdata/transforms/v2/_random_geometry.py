"""The random crop and resize transforms of torchvision 0.29's ``transforms.v2``: random crops
(plain, resized, IoU-constrained for detection), random resizes, zoom out, and the five and ten
fixed crops.

Each ``make_params`` draws from torch's global generator in torchvision's order and with its
arithmetic (float32 tensors where torchvision computes with them), so that the same
``torch.manual_seed`` gives the same crop.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import PIL.Image
import torch

from ... import tv_tensors
from .._geometry import parse_padding
from . import _boxes
from . import _crop_functional as CF
from . import functional as F
from ._dispatch import _plain
from ._transform import RandomApplyTransform, Transform, is_pure_tensor, query_size
from ._transforms import fill_for

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")
_SIZE_ERROR = "Please provide only two dimensions (h, w) for size."


def _setup_size(size: int | Sequence[int]) -> tuple[int, int]:
    """``(h, w)`` from an int or a sequence of one or two ints."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(_SIZE_ERROR)
    return size[0], size[1]


def _check_sequence(value: Any, name: str, length: int) -> None:
    if not isinstance(value, Sequence):
        raise TypeError(f"{name} should be a sequence of length {length}.")
    if len(value) != length:
        raise ValueError(f"{name} should be a sequence of length {length}.")


def _check_fill(fill: Any) -> None:
    values = fill.values() if isinstance(fill, Mapping) else (fill,)
    for value in values:
        if value is not None and not isinstance(value, (numbers.Number, tuple, list)):
            raise TypeError(
                "Got inappropriate fill arg, only Numbers, tuples, lists and dicts are allowed."
            )


def _check_padding(padding: Any) -> None:
    message = f"Padding must be an int or a 1, 2, or 4 element of tuple or list, got {padding}."
    if isinstance(padding, (tuple, list)):
        if len(padding) not in (1, 2, 4) or not all(isinstance(p, int) for p in padding):
            raise ValueError(message)
    elif not isinstance(padding, int):
        raise ValueError(message)


def _check_padding_mode(padding_mode: str) -> None:
    if padding_mode not in _PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


class RandomCrop(Transform):
    """Crop the sample at a random location to ``size``.

    Args:
        size: ``(h, w)``, or an int (or a sequence of one) for a square crop.
        padding: padding of the borders before cropping (an int, ``(left/right, top/bottom)``
            or ``(left, top, right, bottom)``).
        pad_if_needed: pad a side shorter than the crop by the shortfall on *both* of its
            borders (as torchvision does), then crop at a random offset.
        fill: the constant padding value, or a dict from type to value (``"others"`` for the
            rest).
        padding_mode: ``"constant"``, ``"edge"``, ``"reflect"`` or ``"symmetric"``; boxes and
            points need ``"constant"``.

    Raises ValueError at call time when the (padded) input is smaller than the crop.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: Any = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = _setup_size(size)
        if pad_if_needed or padding is not None:
            if padding is not None:
                _check_padding(padding)
            _check_padding_mode(padding_mode)
        _check_fill(fill)
        self.padding = padding
        # (left, top, right, bottom); torchvision also treats padding=0 as no padding.
        self._padding = parse_padding(padding) if padding else None
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode

    def _padded(self, height: int, width: int) -> list[int]:
        left, top, right, bottom = self._padding or (0, 0, 0, 0)
        crop_height, crop_width = self.size
        if self.pad_if_needed:
            grow_h = max(crop_height - (height + top + bottom), 0)
            grow_w = max(crop_width - (width + left + right), 0)
            left, top, right, bottom = left + grow_w, top + grow_h, right + grow_w, bottom + grow_h
        return [left, top, right, bottom]

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        padding = self._padded(height, width)
        height, width = height + padding[1] + padding[3], width + padding[0] + padding[2]
        crop_height, crop_width = self.size
        if height < crop_height or width < crop_width:
            padded = "padded " if self._padding is not None else ""
            raise ValueError(
                f"Required crop size {(crop_height, crop_width)} is larger than {padded}input "
                f"image size {(height, width)}."
            )
        top = (
            int(torch.randint(0, height - crop_height + 1, size=())) if height > crop_height else 0
        )
        left = int(torch.randint(0, width - crop_width + 1, size=())) if width > crop_width else 0
        return {
            "needs_crop": height > crop_height or width > crop_width,
            "needs_pad": any(padding),
            "padding": padding,
            "top": top,
            "left": left,
        }

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if params["needs_pad"]:
            fill = fill_for(self.fill, inpt)
            inpt = self._call_kernel(F.pad, inpt, params["padding"], fill, self.padding_mode)
        if params["needs_crop"]:
            inpt = self._call_kernel(F.crop, inpt, params["top"], params["left"], *self.size)
        return inpt


class RandomResizedCrop(Transform):
    """Crop a random region of the sample, of a random area (``scale`` of the input's) and
    aspect ratio (width / height, log-uniform in ``ratio``), and resize it to ``size``.

    After ten failed draws it falls back to the central crop of the input, clamped to
    ``ratio``. ``interpolation`` and ``antialias`` are as for :func:`F.resize`; masks are
    resized with nearest neighbours.
    """

    def __init__(
        self,
        size: int | Sequence[int],
        scale: Sequence[float] = (0.08, 1.0),
        ratio: Sequence[float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
    ) -> None:
        self.size = _setup_size(size)
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError("Scale should be a sequence of two floats.")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError("Ratio should be a sequence of two floats.")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.scale, self.ratio = scale, ratio
        self.interpolation, self.antialias = interpolation, antialias
        # float32 bounds, as torchvision keeps them
        self._log_ratio = [float(v) for v in torch.log(torch.tensor(ratio))]

    def _draw(self, height: int, width: int) -> tuple[int, int, int, int] | None:
        target_area = height * width * torch.empty(1).uniform_(*self.scale).item()
        aspect_ratio = torch.exp(torch.empty(1).uniform_(*self._log_ratio)).item()
        w = round(math.sqrt(target_area * aspect_ratio))
        h = round(math.sqrt(target_area / aspect_ratio))
        if not (0 < w <= width and 0 < h <= height):
            return None
        top = int(torch.randint(0, height - h + 1, size=(1,)).item())
        left = int(torch.randint(0, width - w + 1, size=(1,)).item())
        return top, left, h, w

    def _fallback(self, height: int, width: int) -> tuple[int, int, int, int]:
        in_ratio = float(width) / float(height)
        h, w = height, width
        if in_ratio < min(self.ratio):
            h = round(w / min(self.ratio))
        elif in_ratio > max(self.ratio):
            w = round(h * max(self.ratio))
        return (height - h) // 2, (width - w) // 2, h, w

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        for _ in range(10):
            region = self._draw(height, width)
            if region is not None:
                break
        else:
            region = self._fallback(height, width)
        return dict(zip(("top", "left", "height", "width"), region, strict=True))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            CF.resized_crop,
            inpt,
            **params,
            size=self.size,
            interpolation=self.interpolation,
            antialias=self.antialias,
        )


class _RandomSizeResize(Transform):
    """Base of the transforms that resize the sample to a size drawn by ``make_params``
    (``params["size"]``, as :func:`F.resize` takes it)."""

    def __init__(self, interpolation: Any = "bilinear", antialias: bool | None = True) -> None:
        self.interpolation, self.antialias = interpolation, antialias

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            F.resize, inpt, params["size"], self.interpolation, None, self.antialias
        )


class RandomResize(_RandomSizeResize):
    """Resize the sample's smaller edge to a size drawn uniformly from the integers
    ``[min_size, max_size)`` (``max_size`` itself is never drawn, as in torchvision)."""

    def __init__(
        self,
        min_size: int,
        max_size: int,
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
    ) -> None:
        super().__init__(interpolation, antialias)
        self.min_size, self.max_size = min_size, max_size

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {"size": [int(torch.randint(self.min_size, self.max_size, ()))]}


class RandomShortestSize(_RandomSizeResize):
    """Resize the sample, keeping its aspect ratio, so that its smaller edge is one of
    ``min_size`` (drawn uniformly) but its larger edge at most ``max_size``."""

    def __init__(
        self,
        min_size: int | Sequence[int],
        max_size: int | None = None,
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
    ) -> None:
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        min_size = self.min_size[int(torch.randint(len(self.min_size), ()))]
        r = min_size / min(height, width)
        if self.max_size is not None:
            r = min(r, self.max_size / max(height, width))
        return {"size": (int(height * r), int(width * r))}


class ScaleJitter(_RandomSizeResize):
    """Large scale jitter: resize the sample, keeping its aspect ratio, by a factor drawn
    uniformly from ``scale_range`` times the one that fits it into ``target_size``.

    As in torchvision, the fitting factor is ``min(target_size[1] / height, target_size[0] /
    width)``: ``target_size`` is read as ``(width, height)`` there.
    """

    def __init__(
        self,
        target_size: Sequence[int],
        scale_range: Sequence[float] = (0.1, 2.0),
        interpolation: Any = "bilinear",
        antialias: bool | None = True,
    ) -> None:
        super().__init__(interpolation, antialias)
        self.target_size, self.scale_range = target_size, scale_range

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        low, high = self.scale_range
        scale = low + torch.rand(1) * (high - low)  # float32, as torchvision computes it
        r = min(self.target_size[1] / height, self.target_size[0] / width) * scale
        return {"size": (int(height * r), int(width * r))}


def _upcast(values: torch.Tensor) -> torch.Tensor:
    if values.is_floating_point():
        return values if values.dtype in (torch.float32, torch.float64) else values.float()
    return values if values.dtype in (torch.int32, torch.int64) else values.int()


def _ious_with(boxes: torch.Tensor, regions: torch.Tensor) -> torch.Tensor:
    """IoU ``[R, N]`` of each XYXY region ``[R, 4]`` with each XYXY box ``[N, 4]``, computed as
    ``torchvision.ops.box_iou`` computes it (in the boxes' dtype, narrow ones upcast)."""
    boxes, regions = _upcast(boxes), _upcast(regions)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    region_area = (regions[:, 2] - regions[:, 0]) * (regions[:, 3] - regions[:, 1])
    top_left = torch.max(boxes[None, :, :2], regions[:, None, :2])
    sides = _upcast(torch.min(boxes[None, :, 2:], regions[:, None, 2:]) - top_left).clamp(min=0)
    inter = sides[..., 0] * sides[..., 1]
    return inter / (area[None, :] + region_area[:, None] - inter)


class RandomIoUCrop(Transform):
    """The random crop of SSD: draw a minimum IoU from ``sampler_options`` (1.0 or more: keep
    the sample as it is), then up to ``trials`` crops (each side ``min_scale`` to ``max_scale``
    of the input's, aspect ratio within ``[min_aspect_ratio, max_aspect_ratio]``); the first
    one holding the centre of a box, and with a box among those of at least that IoU, is taken;
    else another minimum is drawn, without end.

    Boxes whose centre lies outside the crop are set to zeros (degenerate), for a later
    ``SanitizeBoundingBoxes`` to drop; the sample must hold boxes and an image (a plain tensor
    or PIL image counts; a video does not), else TypeError.
    """

    def __init__(
        self,
        min_scale: float = 0.3,
        max_scale: float = 1.0,
        min_aspect_ratio: float = 0.5,
        max_aspect_ratio: float = 2.0,
        sampler_options: list[float] | None = None,
        trials: int = 40,
    ) -> None:
        self.min_scale, self.max_scale = min_scale, max_scale
        self.min_aspect_ratio, self.max_aspect_ratio = min_aspect_ratio, max_aspect_ratio
        if sampler_options is None:
            sampler_options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]
        self.sampler_options, self.trials = sampler_options, trials

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        has_boxes = any(isinstance(i, tv_tensors.BoundingBoxes) for i in flat_inputs)
        # Any plain tensor passes for the image here, labels included, as in torchvision.
        image_like = (PIL.Image.Image, tv_tensors.Image)
        has_image = any(isinstance(i, image_like) or is_pure_tensor(i) for i in flat_inputs)
        if not (has_boxes and has_image):
            raise TypeError(
                f"{type(self).__name__}() requires input sample to contain tensor or PIL images "
                "and bounding boxes. Sample can also contain masks."
            )

    def _first_crop(self, height: int, width: int, xyxy: torch.Tensor, min_iou: float):
        """The first of ``trials`` crops that passes, or None; the random numbers are those
        torchvision draws one trial at a time (two for a size, two more for an offset when the
        size's aspect ratio passes), drawn at once and the generator left where it would be."""
        state = torch.get_rng_state()
        draws = torch.rand(2 * self.trials, 2)
        scales = self.min_scale + (self.max_scale - self.min_scale) * draws
        sizes = (scales * torch.tensor([width, height])).long()
        pairs = sizes.tolist()
        trial_draws, used = [], 0
        for _ in range(self.trials):
            new_w, new_h = pairs[used]
            # torchvision divides by zero on an empty height; here it is a failed trial.
            if new_h == 0 or not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
                used += 1
            else:
                trial_draws.append(used)
                used += 2
        crop = self._first_passing(height, width, xyxy, min_iou, draws, sizes, trial_draws)
        torch.set_rng_state(state)
        torch.rand(2 * (used if crop is None else crop.pop("used")))
        return crop

    @staticmethod
    def _first_passing(height, width, xyxy, min_iou, draws, sizes, trial_draws):
        if not trial_draws or len(xyxy) == 0:  # no box can have its centre in a crop
            return None
        at = torch.tensor(trial_draws)
        new_w, new_h = sizes[at].unbind(dim=1)
        left = ((width - new_w) * draws[at + 1, 0]).long()
        top = ((height - new_h) * draws[at + 1, 1]).long()
        right, bottom = left + new_w, top + new_h
        boxes = xyxy.cpu()
        cx, cy = 0.5 * (boxes[:, 0] + boxes[:, 2]), 0.5 * (boxes[:, 1] + boxes[:, 3])
        within = (left[:, None] < cx) & (cx < right[:, None]) & (top[:, None] < cy)
        within &= cy < bottom[:, None]
        regions = torch.stack([left, top, right, bottom], dim=1).to(boxes.dtype)
        best = torch.where(within, _ious_with(boxes, regions), -torch.inf).amax(dim=1)
        # A NaN IoU passes, as torchvision's `ious.max() < min_iou` lets it.
        passing = (new_w > 0) & (new_h > 0) & within.any(dim=1) & ~(best < min_iou)
        if not passing.any():
            return None
        first = int(passing.nonzero()[0])
        return {
            "top": int(top[first]),
            "left": int(left[first]),
            "height": int(new_h[first]),
            "width": int(new_w[first]),
            "within": within[first].to(xyxy.device),
            "used": trial_draws[first] + 2,
        }

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        boxes = next(i for i in flat_inputs if isinstance(i, tv_tensors.BoundingBoxes))
        # Rotated boxes raise torchvision's ValueError here (torchvision: at the first crop tried).
        xyxy = _boxes.convert_format(_plain(boxes), boxes.format, _boxes.XYXY)
        while True:
            index = int(torch.randint(low=0, high=len(self.sampler_options), size=(1,)))
            min_iou = self.sampler_options[index]
            if min_iou >= 1.0:
                return {}
            params = self._first_crop(height, width, xyxy, min_iou)
            if params is not None:
                return params

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not params:
            return inpt
        region = (params["top"], params["left"], params["height"], params["width"])
        output = self._call_kernel(F.crop, inpt, *region)
        if isinstance(output, tv_tensors.BoundingBoxes):
            values = _plain(output).clone()
            values[~params["within"]] = 0
            output = tv_tensors.wrap(values, like=output)
        return output


class RandomZoomOut(RandomApplyTransform):
    """The zoom out of SSD: with probability ``p``, place the sample at a random position of a
    canvas ``r`` times its size (``r`` uniform in ``side_range``, at least 1), filled with
    ``fill`` (a value, or a dict from type to value)."""

    def __init__(self, fill: Any = 0, side_range: Sequence[float] = (1.0, 4.0), p: float = 0.5):
        super().__init__(p=p)
        _check_fill(fill)
        _check_sequence(side_range, "side_range", 2)
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")
        self.fill, self.side_range = fill, side_range

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        low, high = self.side_range
        r = low + torch.rand(1) * (high - low)  # float32, as torchvision computes it
        canvas_w, canvas_h = int(width * r), int(height * r)
        r = torch.rand(2)
        left, top = int((canvas_w - width) * r[0]), int((canvas_h - height) * r[1])
        return {"padding": [left, top, canvas_w - left - width, canvas_h - top - height]}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.pad, inpt, params["padding"], fill_for(self.fill, inpt))


class _MultiCrop(Transform):
    """Base of FiveCrop and TenCrop: each image or video becomes a tuple of crops; boxes and
    masks are refused (TypeError) and key points passed through with a warning, as torchvision
    does."""

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if any(isinstance(i, (tv_tensors.BoundingBoxes, tv_tensors.Mask)) for i in flat_inputs):
            raise TypeError(
                f"BoundingBoxes'es and Mask's are not supported by {type(self).__name__}()"
            )

    def _call_kernel(self, functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(inpt, tv_tensors.KeyPoints):
            warnings.warn(
                f"{type(self).__name__}() is currently passing through inputs of type "
                f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                stacklevel=3,
            )
        return super()._call_kernel(functional, inpt, *args, **kwargs)


class FiveCrop(_MultiCrop):
    """The ``size`` crops at the four corners and the centre of each image or video (see
    :func:`five_crop`)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _setup_size(size)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.five_crop, inpt, self.size)


class TenCrop(_MultiCrop):
    """The five crops of each image or video and those of its mirror image (see
    :func:`ten_crop`)."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        self.size, self.vertical_flip = _setup_size(size), vertical_flip

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(CF.ten_crop, inpt, self.size, self.vertical_flip)
