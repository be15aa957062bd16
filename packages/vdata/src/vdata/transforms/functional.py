"""Functional image transforms on PIL images and on tensors ``[..., C, H, W]``.

Every geometric op also takes a ``Tensor[H, W]`` (one channel) and any number of leading
dimensions, so a batch ``Tensor[B, C, H, W]`` or a stack of masks ``Tensor[N, H, W]`` goes through
in one call. The numerics follow torchvision's functional transforms: PIL images are resampled by
PIL itself; tensors by ``torch.nn.functional.interpolate`` / ``grid_sample``, computing in float32
and rounding back to integer dtypes.

Interpolation is named by a string: ``"nearest"``, ``"nearest-exact"``, ``"bilinear"``,
``"bicubic"``; PIL images also take ``"box"``, ``"hamming"`` and ``"lanczos"``. PIL's nearest
samples pixel centres, which on tensors is ``"nearest-exact"`` (``"nearest"`` is torch's
legacy, corner-aligned rule, kept for torchvision parity).

Deliberate differences from torchvision:

* :func:`to_pil_image` clips float values to ``[0, 1]`` before scaling to ``uint8``, instead of
  letting them wrap around.
* :func:`pad` rejects negative padding (torchvision crops); tensors accept a per-channel ``fill``.
* :func:`rotate` of a tensor by a multiple of 90 degrees about the centre (when the result keeps
  its size, or with ``expand``) permutes the pixels exactly, as PIL does; torchvision resamples,
  and with ``expand`` gets the size wrong for non-square images.
* :func:`rotate` and :func:`affine` with ``"bilinear"`` interpolation give each output pixel the
  fill colour in proportion to the share of its sample that falls outside the image (torchvision
  also darkens the inside share), so results differ only along the borders of the image.
"""

from ._color import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    rgb_to_grayscale,
)
from ._conversion import convert_image_dtype, normalize, pil_to_tensor, to_pil_image, to_tensor
from ._geometry import (
    affine,
    center_crop,
    crop,
    five_crop,
    hflip,
    pad,
    resize,
    resized_crop,
    rotate,
    ten_crop,
    vflip,
)
from ._image import get_dimensions

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "affine",
    "center_crop",
    "convert_image_dtype",
    "crop",
    "five_crop",
    "get_dimensions",
    "hflip",
    "normalize",
    "pad",
    "pil_to_tensor",
    "resize",
    "resized_crop",
    "rgb_to_grayscale",
    "rotate",
    "ten_crop",
    "to_pil_image",
    "to_tensor",
    "vflip",
]
