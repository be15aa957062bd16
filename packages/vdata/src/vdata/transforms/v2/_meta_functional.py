"""The v2 functionals that read an input's dimensions: channels, height and width, number of
frames, and their per-kind kernels (torchvision 0.29's names). ``get_size`` itself is in
``functional``."""

from __future__ import annotations

import warnings

import PIL.Image
from torch import Tensor

from ... import tv_tensors
from .. import functional as F1
from ._dispatch import _dispatch, register_kernel
from ._kernels import _mask, _video


def get_dimensions(inpt: Tensor) -> list[int]:
    """``[channels, height, width]`` of an image or video (a plain ``Tensor[H, W]`` has one
    channel)."""
    return _dispatch(get_dimensions, inpt)


def get_dimensions_image(image: Tensor) -> list[int]:
    """``[channels, height, width]`` of a ``Tensor[..., C, H, W]`` or ``Tensor[H, W]``."""
    chw = list(image.shape[-3:])
    if len(chw) < 2:
        raise TypeError(f"Input tensor should have at least two dimensions, but got {len(chw)}")
    return chw if len(chw) == 3 else [1, *chw]


get_dimensions_video = _video(get_dimensions_image)


def get_num_channels(inpt: Tensor) -> int:
    """The number of channels of an image or video."""
    return _dispatch(get_num_channels, inpt)


def get_num_channels_image(image: Tensor) -> int:
    """The number of channels of a ``Tensor[..., C, H, W]`` (1 for a ``Tensor[H, W]``)."""
    return get_dimensions_image(image)[0]


get_num_channels_video = _video(get_num_channels_image)
# torchvision's v1 name, kept in v2 as an alias (not deprecated).
get_image_num_channels = get_num_channels


def get_size_image(image: Tensor) -> list[int]:
    """``[height, width]`` of a ``Tensor[..., H, W]``."""
    if image.ndim < 2:
        raise TypeError(f"Input tensor should have at least two dimensions, but got {image.ndim}")
    return list(image.shape[-2:])


get_size_video = _video(get_size_image)
get_size_mask = _mask(get_size_image)


def get_size_bounding_boxes(bounding_box: tv_tensors.BoundingBoxes) -> list[int]:
    """``[height, width]`` of the canvas of ``BoundingBoxes``."""
    return list(bounding_box.canvas_size)


def get_size_keypoints(keypoints: tv_tensors.KeyPoints) -> list[int]:
    """``[height, width]`` of the canvas of ``KeyPoints``."""
    return list(keypoints.canvas_size)


def get_num_frames(inpt: Tensor) -> int:
    """The number of frames ``T`` of a video ``[..., T, C, H, W]``."""
    return _dispatch(get_num_frames, inpt)


def get_num_frames_video(video: Tensor) -> int:
    """The number of frames ``T`` of a ``Tensor[..., T, C, H, W]``."""
    return video.shape[-4]


def get_image_size(inpt: Tensor) -> list[int]:
    """Deprecated (as in torchvision): ``[width, height]``; :func:`get_size` gives
    ``[height, width]``."""
    warnings.warn(
        "get_image_size() is deprecated and will be removed: use get_size(), which returns "
        "[height, width] instead of [width, height].",
        stacklevel=2,
    )
    return F1.get_image_size(inpt)


for _cls in (Tensor, tv_tensors.Image):
    register_kernel(get_dimensions, _cls)(get_dimensions_image)
    register_kernel(get_num_channels, _cls)(get_num_channels_image)
register_kernel(get_dimensions, tv_tensors.Video)(get_dimensions_video)
register_kernel(get_num_channels, tv_tensors.Video)(get_num_channels_video)
register_kernel(get_dimensions, PIL.Image.Image)(F1.get_dimensions)
register_kernel(get_num_channels, PIL.Image.Image)(F1.get_image_num_channels)
register_kernel(get_num_frames, Tensor)(get_num_frames_video)
register_kernel(get_num_frames, tv_tensors.Video)(get_num_frames_video)
