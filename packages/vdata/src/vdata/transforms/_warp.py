"""Warps: rotate, affine, perspective and elastic transforms, resampled by PIL for PIL images
and by ``grid_sample`` for tensors."""

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as nnf
from PIL import Image
from torch import Tensor

from ._conversion import pil_to_tensor, to_pil_image
from ._image import (
    PIL_FILTERS,
    Fill,
    ImageType,
    InterpolationLike,
    InterpolationMode,
    as_batch,
    check_image,
    check_interpolation,
    compute_dtype,
    get_dimensions,
    pil_fill,
    restore,
    tensor_fill,
)

_SAMPLE_MODES = ("nearest", "bilinear", "bicubic")  # PIL and tensor alike


def _inverse_affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> list[float]:
    """Coefficients ``(a, b, c, d, e, f)`` mapping an output point to its source:
    ``x_in = a x + b y + c``, ``y_in = d x + e y + f``.

    The forward map is ``p -> center + translate + scale * R(angle) Sy Sx (p - center)``, where R
    turns clockwise in image coordinates (y down) and ``Sx = [[1, -tan sx], [0, 1]]``,
    ``Sy = [[1, 0], [-tan sy, 1]]`` shear along x and y.
    """
    rot, shear_x, shear_y = (math.radians(a) for a in (angle, *shear))
    rotation = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    shear_x_matrix = np.array([[1.0, -math.tan(shear_x)], [0.0, 1.0]])
    shear_y_matrix = np.array([[1.0, 0.0], [-math.tan(shear_y), 1.0]])
    inverse = np.linalg.inv(scale * rotation @ shear_y_matrix @ shear_x_matrix)
    center_v = np.asarray(center, dtype=np.float64)
    offset = center_v - inverse @ (center_v + np.asarray(translate, dtype=np.float64))
    return [*inverse[0], offset[0], *inverse[1], offset[1]]


def _grid_sample(img: Tensor, grid: Tensor, interpolation: str, fill: Fill) -> Tensor:
    """Sample ``img`` at ``grid``, a ``Tensor[1, H_out, W_out, 2]`` of ``(x, y)`` in
    grid_sample's coordinates (-1 and 1 are the outer edges of the border pixels)."""
    out_size = grid.shape[1:3]
    if img.numel() == 0:
        return img.new_empty((*img.shape[:-2], *out_size))
    batch = as_batch(img)
    fill_value = tensor_fill(fill, img, batch.dtype)
    with_fill = bool(fill_value.any())
    if with_fill:  # a channel of ones samples the share of each output pixel inside the image
        batch = torch.cat((batch, batch.new_ones(batch.size(0), 1, *batch.shape[-2:])), dim=1)
    grid = grid.expand(batch.size(0), -1, -1, -1)
    out = nnf.grid_sample(batch, grid, interpolation, "zeros", align_corners=False)
    if with_fill:
        out = out[:, :-1] + (1 - out[:, -1:]) * fill_value
    return restore(out, img)


def _warp_tensor(
    img: Tensor,
    inverse: Sequence[float],
    out_size: tuple[int, int],
    interpolation: str,
    fill: Fill,
) -> Tensor:
    """Sample ``img`` at ``inverse`` applied to each output pixel centre, coordinates taken
    relative to the centres of the input and of the output image."""
    _, height, width = get_dimensions(img)
    out_h, out_w = out_size
    dtype = compute_dtype(img)
    a, b, c, d, e, f = inverse
    xs = torch.arange(out_w, dtype=dtype, device=img.device) + 0.5 - out_w / 2
    ys = torch.arange(out_h, dtype=dtype, device=img.device)[:, None] + 0.5 - out_h / 2
    grid_x = (a * xs + b * ys + c) / (width / 2)
    grid_y = (d * xs + e * ys + f) / (height / 2)
    return _grid_sample(img, torch.stack((grid_x, grid_y), dim=-1)[None], interpolation, fill)


def rotate(
    img: ImageType,
    angle: float,
    interpolation: InterpolationLike = InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: Fill = None,
) -> ImageType:
    """Rotate an image counter-clockwise by ``angle`` degrees about ``center``.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        angle: degrees, counter-clockwise.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        expand: grow the output to hold the whole rotated image (as PIL does).
        center: ``(x, y)`` in pixels from the top-left corner; default the image centre.
        fill: colour of the area outside the source image; default 0.

    Returns:
        The rotated image, of the input's type and dtype.
    """
    check_image(img)
    interpolation = check_interpolation(interpolation, img, _SAMPLE_MODES)
    if isinstance(img, Image.Image):
        filter_ = PIL_FILTERS[interpolation]
        return img.rotate(angle, filter_, expand, center, fillcolor=pil_fill(fill, img))
    _, height, width = get_dimensions(img)
    quarter_turns = angle / 90
    if (
        center is None
        and quarter_turns == int(quarter_turns)
        and (expand or height == width or quarter_turns % 2 == 0)
    ):  # a permutation of the pixels; PIL takes the same shortcut
        return img.rot90(int(quarter_turns) % 4, dims=(-2, -1))
    cx, cy = (width / 2, height / 2) if center is None else center
    out_size = (height, width)
    if expand:  # the bounding box of the corners, computed in the order PIL computes it
        radians = math.radians(angle)
        cos, sin = round(math.cos(radians), 15), round(math.sin(radians), 15)
        shift_x, shift_y = -cos * cx + sin * cy + cx, -sin * cx - cos * cy + cy
        corners = [(0, 0), (width, 0), (width, height), (0, height)]
        xs = [cos * x - sin * y + shift_x for x, y in corners]
        ys = [sin * x + cos * y + shift_y for x, y in corners]
        out_w = math.ceil(max(xs)) - math.floor(min(xs))
        out_size = (math.ceil(max(ys)) - math.floor(min(ys)), out_w)
    centered = (cx - width / 2, cy - height / 2)
    inverse = _inverse_affine_matrix(centered, -angle, (0.0, 0.0), 1.0, (0.0, 0.0))
    return _warp_tensor(img, inverse, out_size, interpolation, fill)


def affine(
    img: ImageType,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: InterpolationLike = InterpolationMode.NEAREST,
    fill: Fill = None,
    center: Sequence[float] | None = None,
) -> ImageType:
    """Rotate, scale, shear and translate an image, keeping ``center`` in place.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        angle: rotation in degrees, clockwise.
        translate: ``(tx, ty)`` in pixels, applied after the rest.
        scale: overall scale, positive.
        shear: degrees; a number shears along x, ``(s,)`` along both axes, ``(sx, sy)`` along x
            then y.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        fill: colour of the area outside the source image; default 0.
        center: ``(x, y)`` in pixels from the top-left corner; default the image centre.

    Returns:
        The transformed image, of the input's type, size and dtype.
    """
    check_image(img)
    interpolation = check_interpolation(interpolation, img, _SAMPLE_MODES)
    if len(translate) != 2:
        raise ValueError(f"translate must be (tx, ty), got {translate}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if isinstance(shear, numbers.Number):
        shears = [float(shear), 0.0]
    elif isinstance(shear, (tuple, list)):
        shears = list(shear) * 2 if len(shear) == 1 else list(shear)
    else:
        raise TypeError(f"shear must be a number or a sequence of numbers, got {shear!r}")
    if len(shears) != 2:
        raise ValueError(f"shear must be one angle, (s,) for both axes or (sx, sy), got {shear}")
    _, height, width = get_dimensions(img)
    cx, cy = (width / 2, height / 2) if center is None else center
    if isinstance(img, Image.Image):
        inverse = _inverse_affine_matrix((cx, cy), angle, translate, scale, shears)
        return img.transform(
            img.size,
            Image.Transform.AFFINE,
            inverse,
            PIL_FILTERS[interpolation],
            fillcolor=pil_fill(fill, img),
        )
    centered = (cx - width / 2, cy - height / 2)
    inverse = _inverse_affine_matrix(centered, angle, translate, scale, shears)
    return _warp_tensor(img, inverse, (height, width), interpolation, fill)


def _perspective_coefficients(
    startpoints: Sequence[Sequence[float]], endpoints: Sequence[Sequence[float]]
) -> list[float]:
    """``(a, b, c, d, e, f, g, h)`` taking each end point ``(x, y)`` to its start point
    ``((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``: solved in float64,
    then rounded to float32 as torchvision does, so PIL gets the same coefficients."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(
            "startpoints and endpoints must be four (x, y) corners each, got "
            f"{len(startpoints)} and {len(endpoints)}"
        )
    rows, targets = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints, strict=True):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        targets += [u, v]
    system = torch.tensor(rows, dtype=torch.float64)
    solution = torch.linalg.lstsq(system, torch.tensor(targets, dtype=torch.float64)[:, None])
    return solution.solution[:, 0].to(torch.float32).tolist()


def perspective(
    img: ImageType,
    startpoints: Sequence[Sequence[int]],
    endpoints: Sequence[Sequence[int]],
    interpolation: InterpolationLike = InterpolationMode.BILINEAR,
    fill: Fill = None,
) -> ImageType:
    """Warp an image so that the four ``startpoints`` land on the ``endpoints``.

    Args:
        img: PIL image or ``Tensor[..., H, W]``.
        startpoints: ``[top-left, top-right, bottom-right, bottom-left]`` corners ``[x, y]`` of
            the source quadrilateral.
        endpoints: where those corners go in the output.
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        fill: colour of the area outside the source image; default 0.

    Returns:
        The warped image, of the input's type, size and dtype.
    """
    check_image(img)
    coefficients = _perspective_coefficients(startpoints, endpoints)
    interpolation = check_interpolation(interpolation, img, _SAMPLE_MODES)
    if isinstance(img, Image.Image):
        return img.transform(
            img.size,
            Image.Transform.PERSPECTIVE,
            coefficients,
            PIL_FILTERS[interpolation],
            fillcolor=pil_fill(fill, img),
        )
    _, height, width = get_dimensions(img)
    dtype = compute_dtype(img)
    a, b, c, d, e, f, g, h = coefficients
    xs = torch.arange(width, dtype=dtype, device=img.device) + 0.5
    ys = torch.arange(height, dtype=dtype, device=img.device)[:, None] + 0.5
    denominator = g * xs + h * ys + 1
    grid_x = (a * xs + b * ys + c) / denominator / (width / 2) - 1
    grid_y = (d * xs + e * ys + f) / denominator / (height / 2) - 1
    return _grid_sample(img, torch.stack((grid_x, grid_y), dim=-1)[None], interpolation, fill)


def elastic_transform(
    img: ImageType,
    displacement: Tensor,
    interpolation: InterpolationLike = InterpolationMode.BILINEAR,
    fill: Fill = None,
) -> ImageType:
    """Move each pixel by ``displacement``, as in elastic distortions (Simard et al., 2003).

    Args:
        img: PIL image (warped as a uint8 tensor) or ``Tensor[..., H, W]``.
        displacement: ``Tensor[1, H, W, 2]``: the ``(x, y)`` offset of each output pixel's
            sample, in grid_sample's units (2 is the width or height of the image).
        interpolation: ``"nearest"``, ``"bilinear"`` or ``"bicubic"``.
        fill: colour of the area sampled outside the image; default 0.

    Returns:
        The warped image, of the input's type, size and dtype.
    """
    if not isinstance(displacement, Tensor):
        raise TypeError(f"displacement must be a Tensor, got {type(displacement).__name__}")
    check_image(img)
    if isinstance(img, Image.Image):
        warped = elastic_transform(pil_to_tensor(img), displacement, interpolation, fill)
        return to_pil_image(warped, mode=img.mode)
    interpolation = check_interpolation(interpolation, img, _SAMPLE_MODES)
    _, height, width = get_dimensions(img)
    if displacement.shape != (1, height, width, 2):
        raise ValueError(
            f"displacement must be Tensor[1, {height}, {width}, 2] for this image, got "
            f"Tensor{list(displacement.shape)}"
        )
    dtype = compute_dtype(img)
    # pixel centres, in grid_sample's coordinates
    xs = (torch.arange(width, dtype=dtype, device=img.device) * 2 + 1) / width - 1
    ys = (torch.arange(height, dtype=dtype, device=img.device) * 2 + 1) / height - 1
    identity = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)[None]
    return _grid_sample(img, identity + displacement.to(img.device, dtype), interpolation, fill)
