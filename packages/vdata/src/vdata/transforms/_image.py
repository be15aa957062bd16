"""What the transforms share: image dimensions, fill colours, interpolation modes and the PIL
filters by name, and the planar float view in which tensors are resampled."""

import math
from collections.abc import Sequence
from enum import Enum

import numpy as np
import torch
from PIL import Image
from torch import Tensor

ImageType = Image.Image | Tensor
Fill = float | Sequence[float] | None


class InterpolationMode(Enum):
    """How images are resampled; each member's value is the string the functions also accept.

    ``BOX``, ``HAMMING`` and ``LANCZOS`` exist for PIL images only.
    """

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# PIL's integer filter constants, which torchvision also accepts for ``interpolation``.
_MODE_OF_PIL_FILTER = {
    int(Image.Resampling.NEAREST): InterpolationMode.NEAREST,
    int(Image.Resampling.LANCZOS): InterpolationMode.LANCZOS,
    int(Image.Resampling.BILINEAR): InterpolationMode.BILINEAR,
    int(Image.Resampling.BICUBIC): InterpolationMode.BICUBIC,
    int(Image.Resampling.BOX): InterpolationMode.BOX,
    int(Image.Resampling.HAMMING): InterpolationMode.HAMMING,
}

InterpolationLike = InterpolationMode | str | int


def interpolation_mode(interpolation: InterpolationLike) -> InterpolationMode:
    """An :class:`InterpolationMode` from a member, its string value or a PIL filter constant.

    Any other enum whose value is one of the strings (torchvision's) is taken by its value.
    """
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        if interpolation not in _MODE_OF_PIL_FILTER:
            raise ValueError(
                f"interpolation as a PIL filter must be one of {sorted(_MODE_OF_PIL_FILTER)}, "
                f"got {interpolation}"
            )
        return _MODE_OF_PIL_FILTER[interpolation]
    value = interpolation.value if isinstance(interpolation, Enum) else interpolation
    if not isinstance(value, str):
        raise TypeError(
            "interpolation must be an InterpolationMode, its string value or a PIL filter "
            f"constant, got {type(interpolation).__name__}"
        )
    try:
        return InterpolationMode(value)
    except ValueError:
        names = [m.value for m in InterpolationMode]
        raise ValueError(f"interpolation must be one of {names}, got {value!r}") from None


PIL_FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
    "lanczos": Image.Resampling.LANCZOS,
}
TENSOR_RESIZE_MODES = ("nearest", "nearest-exact", "bilinear", "bicubic")


def check_image(img: object, min_dims: int = 2) -> None:
    if isinstance(img, Image.Image):
        return
    if isinstance(img, Tensor) and img.dim() >= min_dims:
        return
    shape = "[H, W] or [..., C, H, W]" if min_dims == 2 else "[..., C, H, W]"
    got = f"Tensor{list(img.shape)}" if isinstance(img, Tensor) else type(img).__name__
    raise TypeError(f"img must be a PIL image or a Tensor{shape}, got {got}")


def get_dimensions(img: ImageType) -> list[int]:
    """``[channels, height, width]`` of a PIL image or a ``Tensor[..., C, H, W]`` (a
    ``Tensor[H, W]`` has one channel)."""
    check_image(img)
    if isinstance(img, Image.Image):
        return [len(img.getbands()), img.height, img.width]
    channels = 1 if img.dim() == 2 else img.size(-3)
    return [channels, img.size(-2), img.size(-1)]


def get_image_size(img: ImageType) -> list[int]:
    """``[width, height]`` of a PIL image or a ``Tensor[..., H, W]``."""
    _, height, width = get_dimensions(img)
    return [width, height]


def get_image_num_channels(img: ImageType) -> int:
    """The number of channels (bands) of a PIL image or a ``Tensor[..., C, H, W]``."""
    return get_dimensions(img)[0]


def max_value(dtype: torch.dtype) -> int:
    """The value of white: 1 for floats, the largest value of an integer dtype."""
    return 1 if dtype.is_floating_point else int(torch.iinfo(dtype).max)


def check_interpolation(
    interpolation: InterpolationLike, img: ImageType, allowed: Sequence[str]
) -> str:
    """The string name of ``interpolation``, checked against the modes ``allowed`` for ``img``."""
    name = interpolation_mode(interpolation).value
    allowed = [m for m in allowed if isinstance(img, Image.Image) or m in TENSOR_RESIZE_MODES]
    if name not in allowed:
        kind = "PIL images" if isinstance(img, Image.Image) else "tensors"
        raise ValueError(f"interpolation must be one of {allowed} for {kind}, got {name!r}")
    return name


def pil_fill(fill: Fill, img: Image.Image) -> float | tuple[float, ...]:
    """A PIL colour for ``img``'s mode: one value per band."""
    bands = len(img.getbands())
    values = [0.0] if fill is None else [fill] if isinstance(fill, (int, float)) else list(fill)
    if len(values) not in (1, bands):
        raise ValueError(f"fill must have 1 or {bands} values for a {img.mode} image, got {fill}")
    cast = float if img.mode == "F" else int
    values = [cast(v) for v in values] * (bands // len(values))
    return values[0] if bands == 1 else tuple(values)


def tensor_fill(fill: Fill, img: Tensor, dtype: torch.dtype) -> Tensor:
    """``fill`` as a scalar tensor, or ``[C, 1, 1]`` to broadcast over ``img``'s channels."""
    values = torch.as_tensor(0.0 if fill is None else fill, dtype=dtype, device=img.device)
    values = values.flatten()
    if len(values) == 1:
        return values[0]
    channels = get_dimensions(img)[0]
    if img.dim() == 2 or len(values) != channels:
        raise ValueError(f"fill must be a number or one value per channel ({channels}), got {fill}")
    return values.reshape(-1, 1, 1)


def pil_from_array(array: np.ndarray, like: Image.Image) -> Image.Image:
    """A PIL image of ``like``'s mode (and palette) holding ``array``."""
    out = Image.fromarray(np.ascontiguousarray(array))
    if like.mode == "P":
        out.putpalette(like.getpalette())
    elif out.mode != like.mode:
        out = Image.frombytes(like.mode, out.size, out.tobytes())
    return out


def compute_dtype(img: Tensor) -> torch.dtype:
    """The dtype tensors are resampled in: their own for float32 and float64, else float32."""
    return img.dtype if img.dtype in (torch.float32, torch.float64) else torch.float32


def as_planes(img: Tensor) -> Tensor:
    """View ``[..., H, W]`` as float ``[P, 1, H, W]``, one plane per channel, for interpolate and
    grid_sample; this also works for zero planes (an empty ``Tensor[0, H, W]`` of masks)."""
    x = img.reshape(math.prod(img.shape[:-2]), 1, img.size(-2), img.size(-1))
    return x.to(compute_dtype(img))


def as_batch(img: Tensor) -> Tensor:
    """View ``[..., C, H, W]`` (or ``[H, W]``) as float ``[N, C, H, W]``, for convolutions and
    grid_sample, which then share their index work across the channels."""
    if img.dim() == 2:
        x = img[None, None]
    else:
        x = img.reshape(math.prod(img.shape[:-3]), *img.shape[-3:])
    return x.to(compute_dtype(img))


def restore(x: Tensor, like: Tensor) -> Tensor:
    """``x`` reshaped to ``like``'s leading dimensions and cast (rounded) to its dtype."""
    x = x.reshape(*like.shape[:-2], x.size(-2), x.size(-1))
    if like.is_floating_point():
        return x.to(like.dtype)
    info = torch.iinfo(like.dtype)
    return x.round().clamp(info.min, info.max).to(like.dtype)


def pair_size(size: int | Sequence[int], name: str) -> tuple[int, int]:
    """``(h, w)`` from an int (square) or a sequence of one or two ints."""
    if not isinstance(size, (int, Sequence)) or isinstance(size, str):
        raise TypeError(f"{name} must be an int or a sequence (height, width), got {size!r}")
    values = [size] if isinstance(size, int) else list(size)
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or not all(isinstance(v, int) and v > 0 for v in values):
        raise ValueError(f"{name} must be a positive int or (height, width), got {size}")
    return values[0], values[1]
