"""Functional image transforms on PIL images and on tensors ``[..., C, H, W]``.

Every geometric op also takes a ``Tensor[H, W]`` (one channel) and any number of leading
dimensions, so a batch ``Tensor[B, C, H, W]`` or a stack of masks ``Tensor[N, H, W]`` goes through
in one call. The numerics follow torchvision's functional transforms: PIL images are resampled by
PIL itself; tensors by ``torch.nn.functional.interpolate`` / ``grid_sample``, computing in float32
and rounding back to integer dtypes.

Interpolation is an :class:`InterpolationMode`, its string value (``"nearest"``,
``"nearest-exact"``, ``"bilinear"``, ``"bicubic"``; for PIL images also ``"box"``, ``"hamming"``,
``"lanczos"``) or a PIL filter constant. PIL's nearest samples pixel centres, which on tensors is
``"nearest-exact"`` (``"nearest"`` is torch's legacy, corner-aligned rule, kept for torchvision
parity).

Where we accept more than torchvision: plain strings for ``interpolation``; a per-channel
``fill`` for :func:`pad` of tensors; ``"bicubic"`` tensor warps; reflect and symmetric padding
wider than the image (the mirroring repeats, as numpy's); leading dimensions of any number;
uint16 arrays in :func:`to_pil_image` (mode ``"I;16"``).

Deliberate differences from torchvision, where its result is wrong:

* :func:`rotate` of a tensor by a multiple of 90 degrees about the centre (when the result keeps
  its size, or with ``expand``) permutes the pixels exactly, as PIL does; torchvision resamples,
  and with ``expand`` gets the size wrong for non-square images.
* :func:`rotate`, :func:`affine`, :func:`perspective` and :func:`elastic_transform` of tensors
  with ``"bilinear"`` interpolation give each output pixel the fill colour in proportion to the
  share of its sample that falls outside the image. torchvision, given a ``fill`` (which its
  random warps always pass, 0 by default), also darkens the inside share: a border pixel half
  outside gets a quarter of the image and half of the fill. Results differ only along the
  borders of the image; PIL images are warped by PIL and agree exactly.
"""

from ._color import (
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    autocontrast,
    equalize,
    invert,
    posterize,
    rgb_to_grayscale,
    solarize,
    to_grayscale,
)
from ._conversion import convert_image_dtype, normalize, pil_to_tensor, to_pil_image, to_tensor
from ._filter import adjust_sharpness, gaussian_blur
from ._geometry import (
    center_crop,
    crop,
    erase,
    five_crop,
    hflip,
    pad,
    resize,
    resized_crop,
    ten_crop,
    vflip,
)
from ._image import InterpolationMode, get_dimensions, get_image_num_channels, get_image_size
from ._warp import affine, elastic_transform, perspective, rotate

__all__ = [
    "InterpolationMode",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_hue",
    "adjust_saturation",
    "adjust_sharpness",
    "affine",
    "autocontrast",
    "center_crop",
    "convert_image_dtype",
    "crop",
    "elastic_transform",
    "equalize",
    "erase",
    "five_crop",
    "gaussian_blur",
    "get_dimensions",
    "get_image_num_channels",
    "get_image_size",
    "hflip",
    "invert",
    "normalize",
    "pad",
    "perspective",
    "pil_to_tensor",
    "posterize",
    "resize",
    "resized_crop",
    "rgb_to_grayscale",
    "rotate",
    "solarize",
    "ten_crop",
    "to_grayscale",
    "to_pil_image",
    "to_tensor",
    "vflip",
]
