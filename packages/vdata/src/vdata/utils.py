"""Pictures of tensors: image grids, files, and boxes, masks and keypoints drawn onto images.

Arguments, pixels and error types follow ``torchvision.utils`` (0.29); the docstrings say where
they deliberately differ.
"""

import contextlib
import math
import operator
import os
import secrets
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np
import torch
from PIL import Image, ImageColor, ImageDraw, ImageFont
from torch import Tensor

__all__ = [
    "atomic_path",
    "draw_bounding_boxes",
    "draw_keypoints",
    "draw_segmentation_masks",
    "make_grid",
    "save_image",
]

Color = str | tuple[int, int, int]
Colors = Color | list[Color] | None

# The default colour of object i is (i * m) % 255 per channel for these multipliers, as in
# torchvision, so that a picture drawn without colours looks the same with either library.
_PALETTE_MULTIPLIERS = (2**25 - 1, 2**15 - 1, 2**21 - 1)
# Float images are drawn on in uint8; [0, 1] maps onto 0..255 by floor(x * (256 - 1e-3)).
_TO_UINT8_SCALE = 256.0 - 1e-3


class _ArgumentError(ValueError, RuntimeError):
    """A bad argument: a ``ValueError`` that is also the ``RuntimeError`` torchvision's tensor
    arithmetic raises for it."""


@torch.no_grad()
def make_grid(
    tensor: Tensor | Sequence[Tensor],
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> Tensor:
    """Tile a batch of images into one image, ``nrow`` images per row.

    Each cell is ``padding`` pixels from its neighbours and from the border; the padding has the
    value ``pad_value``. Single-channel images are repeated to three channels. A batch of one
    image is returned without padding.

    Args:
        tensor: ``Tensor[B, C, H, W]``, one image ``Tensor[C, H, W]`` or ``Tensor[H, W]``, or a
            list (or tuple) of ``Tensor[C, H, W]`` of one shape.
        nrow: images per row; the grid has ``ceil(B / nrow)`` rows.
        padding: pixels between cells and around the grid.
        normalize: map the values to ``[0, 1]`` using ``value_range`` (clamping to it), or the
            minimum and maximum of the images when ``value_range`` is None. Floating point only
            (else an error that is a ``ValueError`` and the ``RuntimeError`` torchvision raises).
        value_range: ``(low, high)`` used by ``normalize``; anything else is a ``TypeError``.
        scale_each: with ``normalize``, take the minimum and maximum of each image separately.
        pad_value: value of the padding pixels.

    Returns:
        ``Tensor[C, (H + padding) * rows + padding, (W + padding) * columns + padding]`` of the
        input's dtype (``C`` is 3 for single-channel input).
    """
    batch = _as_batch(tensor)
    if nrow < 1:
        raise ValueError(f"nrow must be at least 1, got {nrow}")
    if padding < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    if normalize:
        batch = _normalized(batch, value_range, scale_each)
    if batch.size(0) == 1:
        return batch[0]

    count, channels, height, width = batch.shape
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = batch.new_full(
        (channels, rows * cell_h + padding, columns * cell_w + padding), pad_value
    )
    for k, image in enumerate(batch):
        top = (k // columns) * cell_h + padding
        left = (k % columns) * cell_w + padding
        grid[:, top : top + height, left : left + width] = image
    return grid


def _as_batch(tensor: Tensor | Sequence[Tensor]) -> Tensor:
    if not isinstance(tensor, Tensor):
        if not isinstance(tensor, Sequence) or not tensor:
            raise TypeError(
                f"tensor must be a Tensor or a non-empty list of Tensors, got {tensor!r}"
            )
        for i, t in enumerate(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor[{i}] must be a Tensor, got {type(t).__name__}")
            if t.shape != tensor[0].shape:
                raise ValueError(
                    f"all images must have one shape, got tensor[0] of shape "
                    f"{list(tensor[0].shape)} and tensor[{i}] of shape {list(t.shape)}"
                )
        tensor = torch.stack(list(tensor))
    if tensor.dim() == 2:
        tensor = tensor[None]
    if tensor.dim() == 3:
        tensor = tensor[None]
    if tensor.dim() != 4:
        raise ValueError(
            "tensor must be a Tensor[B, C, H, W], Tensor[C, H, W] or Tensor[H, W], "
            f"got Tensor{list(tensor.shape)}"
        )
    if tensor.size(1) == 1:
        tensor = tensor.repeat(1, 3, 1, 1)
    return tensor


def _normalized(batch: Tensor, value_range: tuple[float, float] | None, scale_each: bool) -> Tensor:
    if value_range is not None and (
        not isinstance(value_range, (tuple, list)) or len(value_range) != 2
    ):
        raise TypeError(f"value_range must be a (low, high) tuple of numbers, got {value_range!r}")
    if not batch.is_floating_point():
        raise _ArgumentError(
            f"normalize needs floating-point images, got tensor of dtype {batch.dtype}"
        )

    def scaled(images: Tensor) -> Tensor:
        low, high = value_range or (float(images.min()), float(images.max()))
        return images.clamp(low, high).sub_(low).div_(max(high - low, 1e-5))

    if scale_each:
        return torch.stack([scaled(image) for image in batch])
    return scaled(batch)


@torch.no_grad()
def save_image(
    tensor: Tensor | Sequence[Tensor],
    fp: str | os.PathLike | IO[bytes],
    format: str | None = None,
    **grid_kwargs,
) -> None:
    """Save an image, or a batch tiled by :func:`make_grid`, to an image file.

    Floating-point images are read as values in ``[0, 1]`` and rounded to the nearest of 256
    levels, as torchvision does; uint8 images are written unchanged (torchvision scales them by
    255 too, which overflows). A path is written atomically: into a temporary file in the same
    folder that then replaces it, so an interrupted call never leaves half a file.

    Args:
        tensor: what :func:`make_grid` accepts; the grid must have 2 (grey and alpha), 3 or 4
            channels (single-channel images become three by :func:`make_grid`).
        fp: a path, or a binary file object (then ``format`` is required).
        format: a PIL format name such as ``"PNG"``; by default taken from the file's suffix.
        **grid_kwargs: passed to :func:`make_grid`.
    """
    grid = make_grid(tensor, **grid_kwargs)
    if grid.size(0) not in (2, 3, 4):
        raise ValueError(
            f"tensor must hold images with 1 to 4 channels, got {grid.size(0)} channels"
        )
    if grid.is_floating_point():
        grid = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    elif grid.dtype != torch.uint8:
        raise ValueError(f"images must be floating point or uint8, got dtype {grid.dtype}")
    picture = Image.fromarray(np.ascontiguousarray(grid.permute(1, 2, 0).cpu().numpy()))
    if not isinstance(fp, (str, os.PathLike)):
        if format is None:
            raise ValueError("format is required when fp is a file object")
        picture.save(fp, format=format)
        return
    with atomic_path(Path(fp)) as temporary:
        picture.save(temporary, format=format)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a fresh path beside ``path`` to write to; on success it replaces ``path`` at once.

    The temporary name keeps ``path``'s suffix so that writers which infer the format from it
    still work. On error the temporary file is removed and ``path`` is left untouched.
    """
    temporary = path.with_name(f".{path.stem}.{secrets.token_hex(6)}.tmp{path.suffix}")
    # Created here, not by tempfile, so that the file gets the usual umask-derived mode.
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@torch.no_grad()
def draw_bounding_boxes(
    image: Tensor,
    boxes: Tensor,
    labels: Sequence[str | None] | None = None,
    colors: Colors = None,
    fill: bool | None = False,
    width: int = 1,
    font: str | None = None,
    font_size: int | None = None,
    label_colors: Colors = None,
    label_background_colors: Colors = None,
    fill_labels: bool = False,
) -> Tensor:
    """Draw box outlines, and optionally their labels, onto an image, as torchvision does.

    Coordinates are truncated to integers; both corners are included in the outline, so the box
    ``(1, 1, 3, 4)`` with ``width=1`` covers columns 1..3 and rows 1..4. A rotated box (eight
    coordinates) is outlined with its first edge dashed, marking its orientation. Drawing is
    PIL's, call for call as in torchvision, so the pixels (labels included) are the same.

    Args:
        image: uint8 ``Tensor[C, H, W]`` or float in ``[0, 1]``, ``C`` 1 or 3.
        boxes: ``Tensor[N, 4]`` of ``(x1, y1, x2, y2)`` absolute pixel coordinates with
            ``x1 <= x2`` and ``y1 <= y2``, or ``Tensor[N, 8]`` of the four corners
            ``(x1, y1, ..., x4, y4)`` of rotated boxes.
        labels: ``N`` strings (or None for no label) written inside the first corner of each
            box.
        colors: one colour for every box, or a list of at least ``N`` (one per box); a colour is
            a PIL colour string (``"red"``, ``"#ff0000"``) or an RGB tuple. By default each box
            gets a colour of a fixed palette.
        fill: also fill each box with its colour at opacity 100/255.
        width: outline width in pixels (0 draws no outline).
        font: a TrueType font file for the labels; by default PIL's default font.
        font_size: the size of ``font`` in points (default 10); without ``font`` it is ignored,
            with a warning.
        label_colors: colours of the label text, as ``colors``; by default the box colours, or
            black with ``fill_labels``.
        label_background_colors: with ``fill_labels``, colours of the label backgrounds, as
            ``colors``; by default the box colours.
        fill_labels: draw each label on a filled rectangle.

    Returns:
        ``Tensor[3, H, W]`` of the image's dtype (a single-channel image is drawn on in RGB), on
        the image's device. With no boxes, a copy of the image (torchvision also warns).

    Raises:
        TypeError: ``image`` is not a Tensor.
        ValueError: any other bad argument, naming it.
    """
    _check_image(image, channels=(1, 3))
    if not isinstance(boxes, Tensor) or boxes.dim() != 2 or boxes.size(1) not in (4, 8):
        raise ValueError(f"boxes must be a Tensor[N, 4] or Tensor[N, 8], got {_describe(boxes)}")
    if not torch.isfinite(boxes).all():
        raise ValueError("boxes must be finite, got NaN or infinite coordinates")
    if boxes.size(1) == 4:
        unordered = (boxes[:, 0] > boxes[:, 2]) | (boxes[:, 1] > boxes[:, 3])
        if unordered.any():
            index = int(unordered.nonzero()[0])
            raise ValueError(
                "boxes must be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2, got "
                f"boxes[{index}] = {boxes[index].tolist()}"
            )
    count = boxes.size(0)
    if labels is not None and len(labels) != count:
        raise ValueError(f"labels must have one entry per box ({count}), got {len(labels)}")
    if width < 0:
        raise ValueError(f"width must be non-negative, got {width}")
    if count == 0:
        return image.clone()
    box_colors = _parse_colors(colors, count, "colors")
    if label_colors or fill_labels:
        text_colors = _parse_colors(label_colors or "black", count, "label_colors")
    else:
        text_colors = box_colors
    if fill_labels and label_background_colors:
        background_colors = _parse_colors(label_background_colors, count, "label_background_colors")
    else:
        background_colors = box_colors
    if font is None:
        if font_size is not None:
            warnings.warn("font_size is ignored without font (a TrueType font file)", stacklevel=2)
        text_font = ImageFont.load_default()
    else:
        text_font = ImageFont.truetype(font=font, size=font_size or 10)

    picture = _to_pil(image.expand(3, -1, -1))
    draw = ImageDraw.Draw(picture, "RGBA" if fill else None)
    entries = zip(
        boxes.to(torch.int64).tolist(),
        box_colors,
        labels if labels is not None else [None] * count,
        text_colors,
        background_colors,
        strict=True,
    )
    margin = width + 1
    for box, color, label, text_color, background in entries:
        interior = (*color, 100) if fill else None
        if len(box) == 4:
            draw.rectangle(box, outline=color, width=width, fill=interior)
        else:
            _draw_rotated_box(draw, box, color, interior, width)
        if label is not None:
            corner = (box[0] + margin, box[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(corner, label, font=text_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=background)
            draw.text(corner, label, fill=text_color, font=text_font)
    return _from_pil(picture, image)


def _draw_rotated_box(
    draw: ImageDraw.ImageDraw,
    corners: list[int],
    color: tuple[int, ...],
    interior: tuple[int, ...] | None,
    width: int,
) -> None:
    """Outline the quadrilateral ``corners`` (first edge dashed), then fill it if asked."""
    points = list(zip(corners[0::2], corners[1::2], strict=True))
    _draw_dashed_line(draw, points[0], points[1], color, width)
    for k in range(1, 4):
        draw.line((points[k], points[(k + 1) % 4]), width=width, fill=color)
    draw.polygon(corners, fill=interior, outline=None, width=0)


def _draw_dashed_line(
    draw: ImageDraw.ImageDraw,
    start: tuple[float, float],
    end: tuple[float, float],
    color: tuple[int, ...],
    width: int,
    dash: float = 5.0,
) -> None:
    """Dashes of ``dash`` pixels separated by gaps of the same length, from ``start`` on."""
    (x, y), remaining = start, math.dist(start, end)
    angle = math.atan2(end[1] - y, end[0] - x)
    drawing = True
    while remaining > 0:
        step = min(remaining, dash)
        next_x, next_y = x + math.cos(angle) * step, y + math.sin(angle) * step
        if drawing:
            draw.line([(x, y), (next_x, next_y)], color, width, None)
        x, y, remaining, drawing = next_x, next_y, remaining - step, not drawing


@torch.no_grad()
def draw_segmentation_masks(
    image: Tensor, masks: Tensor, alpha: float = 0.8, colors: Colors = None
) -> Tensor:
    """Blend coloured masks onto an image, as torchvision does.

    Each pixel a mask covers becomes ``image * (1 - alpha) + color * alpha`` (truncated when the
    image is uint8); pixels covered by two or more masks blend with black.

    Args:
        image: uint8 ``Tensor[3, H, W]`` or float in ``[0, 1]``.
        masks: bool ``Tensor[N, H, W]`` or ``Tensor[H, W]``.
        alpha: opacity of the masks in ``[0, 1]``: 0 leaves the image, 1 replaces it.
        colors: one colour for every mask, or a list of at least ``N`` (see
            :func:`draw_bounding_boxes`).

    Returns:
        ``Tensor[3, H, W]`` of the image's dtype. With no masks, a copy of the image.

    Raises:
        TypeError: ``image`` is not a Tensor.
        ValueError: any other bad argument, naming it.
    """
    _check_image(image, channels=(3,))
    if not isinstance(masks, Tensor) or masks.dim() not in (2, 3) or masks.dtype != torch.bool:
        raise ValueError(
            f"masks must be a bool Tensor[N, H, W] or Tensor[H, W], got {_describe(masks)}"
        )
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError(
            f"masks must have the image's size {list(image.shape[-2:])}, "
            f"got {list(masks.shape[-2:])}"
        )
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if masks.dim() == 2:
        masks = masks[None]
    if masks.size(0) == 0:
        return image.clone()
    scale = 255 if image.is_floating_point() else 1
    palette = _parse_colors(colors, masks.size(0), "colors")

    painted = image.clone()
    for mask, color in zip(masks, palette, strict=True):
        painted[:, mask] = torch.tensor(
            [v / scale for v in color], dtype=image.dtype, device=image.device
        )[:, None]
    painted[:, masks.sum(0) > 1] = 0
    return (image * (1 - alpha) + painted * alpha).to(image.dtype)


@torch.no_grad()
def draw_keypoints(
    image: Tensor,
    keypoints: Tensor,
    connectivity: Sequence[tuple[int, int]] | None = None,
    colors: Colors = None,
    radius: int = 2,
    width: int = 3,
    visibility: Tensor | None = None,
) -> Tensor:
    """Draw each instance's keypoints as discs and its skeleton as lines, as torchvision does.

    Coordinates are truncated to integers. For each instance in turn, its points are drawn
    filled with its colour, then its skeleton edges on top of them as white lines (PIL's default
    ink, as in torchvision). Without ``colors`` the points get no fill, so only the edges show.
    Invisible points are not drawn, nor are the edges that touch them.

    Args:
        image: uint8 ``Tensor[3, H, W]`` or float in ``[0, 1]``.
        keypoints: ``Tensor[N, K, 2]`` of ``(x, y)``; further columns (a COCO visibility) are
            ignored, as in torchvision: pass ``visibility`` instead.
        connectivity: pairs of keypoint indices (Python indices: ``-1`` is the last) to join.
        colors: one colour for every instance or, beyond torchvision, a list of at least ``N``
            (see :func:`draw_bounding_boxes`).
        radius: disc radius in pixels.
        width: line width in pixels.
        visibility: ``Tensor[N, K]`` (or ``Tensor[N, K, 1]``) read as bool; by default every
            point is visible.

    Returns:
        ``Tensor[3, H, W]`` of the image's dtype.

    Raises:
        TypeError: ``image`` is not a Tensor.
        IndexError: a ``connectivity`` index is out of range.
        ValueError: any other bad argument, naming it.
    """
    _check_image(image, channels=(3,))
    if not isinstance(keypoints, Tensor) or keypoints.dim() != 3 or keypoints.size(2) < 2:
        raise ValueError(f"keypoints must be a Tensor[N, K, 2], got {_describe(keypoints)}")
    count, num_keypoints = keypoints.shape[:2]
    if visibility is None:
        visibility = torch.ones(count, num_keypoints, dtype=torch.bool)
    if isinstance(visibility, Tensor) and visibility.dim() == 3:
        visibility = visibility.squeeze(-1)
    if not isinstance(visibility, Tensor) or visibility.shape != (count, num_keypoints):
        raise ValueError(
            f"visibility must be a Tensor[N, K] = Tensor[{count}, {num_keypoints}] like "
            f"keypoints, got {_describe(visibility)}"
        )
    edges = [tuple(edge) for edge in connectivity or ()]
    for edge in edges:
        if len(edge) != 2:
            raise ValueError(f"connectivity must hold pairs of keypoint indices, got {edge}")
        if not all(-num_keypoints <= k < num_keypoints for k in edge):
            raise IndexError(
                f"connectivity indices must lie in [-{num_keypoints}, {num_keypoints}), got {edge}"
            )
    if radius < 0 or width < 0:
        raise ValueError(f"radius and width must be non-negative, got {radius} and {width}")
    palette = [None] * count if colors is None else _parse_colors(colors, count, "colors")

    picture = _to_pil(image)
    draw = ImageDraw.Draw(picture)
    points = keypoints[..., :2].to(torch.int64).tolist()
    shown = visibility.cpu().bool().tolist()
    for instance, visible, color in zip(points, shown, palette, strict=True):
        for (x, y), is_visible in zip(instance, visible, strict=True):
            if is_visible:
                box = [x - radius, y - radius, x + radius, y + radius]
                draw.ellipse(box, fill=color, outline=None, width=0)
        for i, j in edges:
            if visible[i] and visible[j]:
                draw.line((tuple(instance[i]), tuple(instance[j])), width=width)
    return _from_pil(picture, image)


def _check_image(image: Tensor, channels: tuple[int, ...]) -> None:
    wanted = " or ".join(map(str, channels))
    if not isinstance(image, Tensor):
        raise TypeError(f"image must be a Tensor[C, H, W] with C {wanted}, got {_describe(image)}")
    if (
        not (image.dtype == torch.uint8 or image.is_floating_point())
        or image.dim() != 3
        or image.size(0) not in channels
    ):
        raise ValueError(
            f"image must be a uint8 or float Tensor[C, H, W] with C {wanted}, "
            f"got {_describe(image)}"
        )


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"Tensor{list(value.shape)} of dtype {value.dtype}"
    return type(value).__name__


def _parse_colors(colors: Colors, count: int, name: str) -> list[tuple[int, ...]]:
    """``count`` RGB tuples from a ``colors`` argument (a list may hold more than ``count``)."""
    if colors is None:
        return [tuple(k * m % 255 for m in _PALETTE_MULTIPLIERS) for k in range(count)]
    if isinstance(colors, list):
        if len(colors) < count:
            raise ValueError(
                f"{name} must hold at least one colour per object ({count}), got {len(colors)}"
            )
        return [_parse_color(color, f"{name}[{k}]") for k, color in enumerate(colors[:count])]
    if isinstance(colors, (str, tuple)):
        return [_parse_color(colors, name)] * count
    raise ValueError(
        f"{name} must be a colour (string or RGB tuple) or a list of colours, got {colors!r}"
    )


def _parse_color(color: Color, name: str) -> tuple[int, ...]:
    if isinstance(color, str):
        try:
            return ImageColor.getrgb(color)
        except ValueError:
            raise ValueError(f"{name} is not a colour PIL knows: {color!r}") from None
    try:
        rgb = tuple(operator.index(v) for v in color) if isinstance(color, tuple) else ()
    except TypeError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise ValueError(
            f"{name} must be a colour string or an RGB tuple of ints in [0, 255], got {color!r}"
        )
    return rgb


def _to_pil(image: Tensor) -> Image.Image:
    """An RGB PIL image of a uint8 or float ``Tensor[3, H, W]``."""
    if image.is_floating_point():
        image = image.mul(_TO_UINT8_SCALE).to(torch.uint8)
    return Image.fromarray(np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy()))


def _from_pil(picture: Image.Image, like: Tensor) -> Tensor:
    """The RGB ``picture`` as a ``Tensor[3, H, W]`` of ``like``'s dtype and device (a
    channels-last view, as torchvision returns, rather than a copy)."""
    image = torch.from_numpy(np.array(picture)).permute(2, 0, 1).to(like.device)
    if like.is_floating_point():
        return image.to(like.dtype).mul_(1.0 / 255)
    return image
