"""Typed tensors with torchvision's names and semantics (``torchvision.tv_tensors``): the type
says what the values are, so that one transform can move an image, its boxes, masks and key
points together."""

from typing import Any

import torch

from ._geometry import BoundingBoxes, BoundingBoxFormat, KeyPoints, is_rotated_bounding_format
from ._images import Image, Mask, Video
from ._tv_tensor import TVTensor, set_return_type


@torch.compiler.disable
def wrap(wrappee: torch.Tensor, *, like: TVTensor, **kwargs: Any) -> TVTensor:
    """``wrappee`` as the type of ``like``, with ``like``'s metadata (format, canvas_size, ...)
    but for the fields given in ``kwargs``."""
    return type(like).wrap(wrappee, like, **kwargs)


__all__ = [
    "BoundingBoxFormat",
    "BoundingBoxes",
    "Image",
    "KeyPoints",
    "Mask",
    "TVTensor",
    "Video",
    "is_rotated_bounding_format",
    "set_return_type",
    "wrap",
]
