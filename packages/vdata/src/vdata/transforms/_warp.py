"""Warps: rotate, affine, perspective and elastic transforms, resampled by PIL for PIL images
and by ``grid_sample`` for tensors.

The grids are built with torchvision's float operations in torchvision's order (an affine grid
of output pixel centres times the scaled inverse matrix, a perspective grid divided by its
denominator, an identity grid plus the displacement), so that the same inputs sample the same
source points to the last bit; ``transforms.v2`` shares them.
"""

import math
import numbers
from collections.abc import Sequence

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


def affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
    inverse: bool = True,
) -> list[float]:
    """Coefficients ``(a, b, c, d, e, f)`` of ``x' = a x + b y + c``, ``y' = d x + e y + f``:
    with ``inverse``, from an output point to its source; else from a source point to where it
    lands.

    The forward map is ``p -> center + translate + scale * R(angle) Sy Sx (p - center)``, where R
    turns clockwise in image coordinates (y down) and ``Sx = [[1, -tan sx], [0, 1]]``,
    ``Sy = [[1, 0], [-tan sy, 1]]`` shear along x and y. The closed form (``R Sy Sx`` has
    determinant 1) is torchvision's, term by term, so that the coefficients agree to the bit.
    """
    rot, shear_x, shear_y = (math.radians(a) for a in (angle, *shear))
    (cx, cy), (tx, ty) = center, translate
    tan_x, cos_y = math.tan(shear_x), math.cos(shear_y)
    # The forward map's linear part [[p, q], [r, s]], before scaling.
    p = math.cos(rot - shear_y) / cos_y
    q = -(p * tan_x + math.sin(rot))
    r = math.sin(rot - shear_y) / cos_y
    s = math.cos(rot) - r * tan_x
    moved_x, moved_y = cx + tx, cy + ty
    if inverse:
        m = [s / scale, -q / scale, 0.0, -r / scale, p / scale, 0.0]
        m[2] += cx - m[0] * moved_x - m[1] * moved_y
        m[5] += cy - m[3] * moved_x - m[4] * moved_y
    else:
        m = [p * scale, q * scale, 0.0, r * scale, s * scale, 0.0]
        m[2] += moved_x - m[0] * cx - m[1] * cy
        m[5] += moved_y - m[3] * cx - m[4] * cy
    return m


def affine_grid(
    matrix: Sequence[float],
    in_size: Sequence[int],
    out_size: Sequence[int],
    dtype: torch.dtype,
    device: torch.device,
) -> Tensor:
    """grid_sample's ``Tensor[1, H_out, W_out, 2]`` sampling the source at ``matrix`` (an
    inverse, in coordinates centred on each image) of every output pixel centre."""
    (height, width), (out_h, out_w) = in_size, out_size
    theta = torch.tensor(list(matrix), dtype=dtype, device=device).reshape(1, 2, 3)
    points = torch.empty(1, out_h, out_w, 3, dtype=dtype, device=device)
    xs = torch.linspace((1.0 - out_w) * 0.5, (out_w - 1.0) * 0.5, steps=out_w, device=device)
    ys = torch.linspace((1.0 - out_h) * 0.5, (out_h - 1.0) * 0.5, steps=out_h, device=device)
    points[..., 0].copy_(xs)
    points[..., 1].copy_(ys.unsqueeze_(-1))
    points[..., 2].fill_(1)
    halves = torch.tensor([0.5 * width, 0.5 * height], dtype=dtype, device=device)
    scaled = theta.transpose(1, 2).div_(halves)
    return points.view(1, out_h * out_w, 3).bmm(scaled).view(1, out_h, out_w, 2)


def perspective_grid(
    coefficients: Sequence[float], size: Sequence[int], dtype: torch.dtype, device: torch.device
) -> Tensor:
    """grid_sample's ``Tensor[1, H, W, 2]`` sampling the source at the perspective map
    ``coefficients`` (as for :func:`perspective_coefficients`) of every pixel centre."""
    height, width = size
    a, b, c, d, e, f, g, h = coefficients
    numerator = torch.tensor([[[a, b, c], [d, e, f]]], dtype=dtype, device=device)
    denominator = torch.tensor([[[g, h, 1.0], [g, h, 1.0]]], dtype=dtype, device=device)
    points = torch.empty(1, height, width, 3, dtype=dtype, device=device)
    xs = torch.linspace(0.5, width - 0.5, steps=width, device=device, dtype=dtype)
    ys = torch.linspace(0.5, height - 0.5, steps=height, device=device, dtype=dtype)
    points[..., 0].copy_(xs)
    points[..., 1].copy_(ys.unsqueeze_(-1))
    points[..., 2].fill_(1)
    halves = torch.tensor([0.5 * width, 0.5 * height], dtype=dtype, device=device)
    flat = points.view(1, height * width, 3)
    sources = flat.bmm(numerator.transpose(1, 2).div_(halves))
    sources.div_(flat.bmm(denominator.transpose(1, 2))).sub_(1.0)
    return sources.view(1, height, width, 2)


def identity_grid(size: Sequence[int], dtype: torch.dtype, device: torch.device) -> Tensor:
    """grid_sample's ``Tensor[1, H, W, 2]`` of the pixel centres themselves."""
    height, width = size
    grid = torch.empty(1, height, width, 2, device=device, dtype=dtype)
    xs, ys = (
        torch.linspace((1 - n) / n, (n - 1) / n, n, device=device, dtype=dtype)
        for n in (width, height)
    )
    grid[..., 0].copy_(xs)
    grid[..., 1].copy_(ys.unsqueeze_(-1))
    return grid


def sample_grid(
    img: Tensor, grid: Tensor, interpolation: str, fill: Fill, blend: str = "over"
) -> Tensor:
    """Sample ``img`` (``[..., H, W]``) at ``grid``, a ``Tensor[1, H_out, W_out, 2]`` of
    ``(x, y)`` in grid_sample's coordinates (-1 and 1 are the outer edges of the border pixels),
    computing in ``grid``'s dtype.

    ``fill`` colours what comes from outside the image, weighted by the share of each output
    pixel that does (sampled as an extra channel of ones, the in-image share):

    - ``blend="over"`` adds ``(1 - share) * fill`` to the sample (an all-zero fill adds
      nothing and is skipped), and rounds integers with clamping;
    - ``blend="mask"`` is torchvision's: any fill but None is blended as
      ``(sample - fill) * share + fill`` (which weighs border pixels by the share once more;
      for nearest, the fill wherever the share is below 0.5), and integers are rounded and cast
      without clamping.
    """
    out_size = tuple(grid.shape[1:3])
    if img.numel() == 0:
        return img.new_empty((*img.shape[:-2], *out_size))
    batch = as_batch(img).to(grid.dtype)
    if blend == "over":
        fill_value = tensor_fill(fill, img, batch.dtype)
        with_fill = bool(fill_value.any())
    else:
        with_fill = fill is not None
    if with_fill:
        batch = torch.cat((batch, batch.new_ones(batch.size(0), 1, *batch.shape[-2:])), dim=1)
    grid = grid.expand(batch.size(0), -1, -1, -1)
    out = nnf.grid_sample(batch, grid, interpolation, "zeros", align_corners=False)
    if blend == "over":
        if with_fill:
            out = out[:, :-1] + (1 - out[:, -1:]) * fill_value
        return restore(out, img)
    if with_fill:
        out, share = out[:, :-1], out[:, -1:].expand_as(out[:, :-1])
        values = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        colour = torch.tensor(values, dtype=out.dtype, device=out.device).view(1, -1, 1, 1)
        if interpolation == "nearest":
            out = torch.where(share < 0.5, colour.expand_as(out), out)
        else:
            out = out.sub_(colour).mul_(share).add_(colour)
    out = out.to(img.dtype) if img.is_floating_point() else out.round_().to(img.dtype)
    return out.reshape(*img.shape[:-2], *out_size)


def _warp_tensor(
    img: Tensor,
    inverse: Sequence[float],
    out_size: tuple[int, int],
    interpolation: str,
    fill: Fill,
) -> Tensor:
    """Sample ``img`` at ``inverse`` applied to each output pixel centre, coordinates taken
    relative to the centres of the input and of the output image."""
    grid = affine_grid(inverse, img.shape[-2:], out_size, compute_dtype(img), img.device)
    return sample_grid(img, grid, interpolation, fill)


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
    inverse = affine_matrix(centered, -angle, (0.0, 0.0), 1.0, (0.0, 0.0))
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
        inverse = affine_matrix((cx, cy), angle, translate, scale, shears)
        return img.transform(
            img.size,
            Image.Transform.AFFINE,
            inverse,
            PIL_FILTERS[interpolation],
            fillcolor=pil_fill(fill, img),
        )
    centered = (cx - width / 2, cy - height / 2)
    inverse = affine_matrix(centered, angle, translate, scale, shears)
    return _warp_tensor(img, inverse, (height, width), interpolation, fill)


def perspective_coefficients(
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
    targets = torch.tensor(targets, dtype=torch.float64)
    return torch.linalg.lstsq(system, targets, driver="gels").solution.to(torch.float32).tolist()


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
    coefficients = perspective_coefficients(startpoints, endpoints)
    interpolation = check_interpolation(interpolation, img, _SAMPLE_MODES)
    if isinstance(img, Image.Image):
        return img.transform(
            img.size,
            Image.Transform.PERSPECTIVE,
            coefficients,
            PIL_FILTERS[interpolation],
            fillcolor=pil_fill(fill, img),
        )
    grid = perspective_grid(coefficients, img.shape[-2:], compute_dtype(img), img.device)
    return sample_grid(img, grid, interpolation, fill)


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
    grid = identity_grid((height, width), dtype, img.device)
    return sample_grid(img, grid.add_(displacement.to(img.device, dtype)), interpolation, fill)
