"""Pictures of tensors: image grids, files, and boxes, masks and keypoints drawn onto images.

Numerics follow ``torchvision.utils`` wherever both define a behaviour; the docstrings say where
they deliberately differ.
"""

import contextlib
import math
import os
import secrets
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
Colors = Color | Sequence[Color] | None

# Tableau 10: distinct hues that stay readable on photographs; cycled when there are more objects.
_PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


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
            sequence of ``Tensor[C, H, W]`` of one shape.
        nrow: images per row; the grid has ``ceil(B / nrow)`` rows.
        padding: pixels between cells and around the grid.
        normalize: map the values to ``[0, 1]`` using ``value_range`` (clamping to it), or the
            minimum and maximum of the images when ``value_range`` is None. Floating point only.
        value_range: ``(low, high)`` used by ``normalize``.
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
                f"tensor must be a Tensor or a non-empty sequence of Tensors, got {tensor!r}"
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
        tensor = tensor.expand(-1, 3, -1, -1)
    return tensor


def _normalized(batch: Tensor, value_range: tuple[float, float] | None, scale_each: bool) -> Tensor:
    if not batch.is_floating_point():
        raise ValueError(f"normalize needs floating-point images, got dtype {batch.dtype}")
    if value_range is not None and len(value_range) != 2:
        raise ValueError(f"value_range must be a (low, high) pair, got {value_range!r}")

    def scaled(images: Tensor) -> Tensor:
        low, high = value_range or (float(images.min()), float(images.max()))
        return images.clamp(low, high).sub(low).div(max(high - low, 1e-5))

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
    levels; uint8 images are written unchanged. A path is written atomically: into a temporary
    file in the same folder that then replaces it, so an interrupted call never leaves half a
    file.

    Args:
        tensor: what :func:`make_grid` accepts; the result must have 3 or 4 channels.
        fp: a path, or a binary file object (then ``format`` is required).
        format: a PIL format name such as ``"PNG"``; by default taken from the file's suffix.
        **grid_kwargs: passed to :func:`make_grid`.
    """
    grid = make_grid(tensor, **grid_kwargs)
    if grid.size(0) not in (3, 4):
        raise ValueError(
            f"save_image needs images with 1, 3 or 4 channels, got {grid.size(0)} channels"
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
    labels: Sequence[str] | None = None,
    colors: Colors = None,
    fill: bool = False,
    width: int = 1,
    font_size: int | None = None,
) -> Tensor:
    """Draw box outlines, and optionally their labels, onto an image.

    Coordinates are truncated to integers; both corners are included in the outline, so the box
    ``(1, 1, 3, 4)`` with ``width=1`` covers columns 1..3 and rows 1..4.

    Args:
        image: uint8 ``Tensor[3, H, W]``.
        boxes: ``Tensor[N, 4]`` of ``(x1, y1, x2, y2)`` absolute pixel coordinates,
            ``x1 <= x2`` and ``y1 <= y2``.
        labels: ``N`` strings written inside the top-left corner of each box.
        colors: one colour for every box, or one per box; a colour is a PIL colour name or string
            (``"red"``, ``"#ff0000"``) or an RGB tuple. By default a fixed palette.
        fill: also fill each box with its colour at opacity 100/255.
        width: outline width in pixels.
        font_size: size of the labels' font (PIL's default font); by default PIL's size.

    Returns:
        uint8 ``Tensor[3, H, W]``: a new image.
    """
    _check_image(image)
    if not isinstance(boxes, Tensor) or boxes.dim() != 2 or boxes.size(1) != 4:
        raise ValueError(f"boxes must be a Tensor[N, 4], got {_describe(boxes)}")
    if not torch.isfinite(boxes).all():
        raise ValueError("boxes must be finite")
    unordered = (boxes[:, 0] > boxes[:, 2]) | (boxes[:, 1] > boxes[:, 3])
    if unordered.any():
        index = int(unordered.nonzero()[0])
        raise ValueError(
            f"boxes must be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2, got boxes[{index}] = "
            f"{boxes[index].tolist()}"
        )
    count = boxes.size(0)
    if labels is not None and len(labels) != count:
        raise ValueError(f"labels must have one entry per box ({count}), got {len(labels)}")
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    palette = _parse_colors(colors, count)

    picture = _to_pil(image)
    draw = ImageDraw.Draw(picture, "RGBA" if fill else None)
    font = None
    if labels is not None:
        font = ImageFont.load_default() if font_size is None else ImageFont.load_default(font_size)
    for k, (box, color) in enumerate(zip(boxes.to(torch.int64).tolist(), palette, strict=True)):
        draw.rectangle(box, outline=color, width=width, fill=(*color, 100) if fill else None)
        if labels is not None:
            margin = width + 1
            draw.text((box[0] + margin, box[1] + margin), labels[k], fill=color, font=font)
    return _from_pil(picture, image)


@torch.no_grad()
def draw_segmentation_masks(
    image: Tensor, masks: Tensor, alpha: float = 0.8, colors: Colors = None
) -> Tensor:
    """Blend coloured masks onto an image.

    Each pixel becomes ``image * (1 - alpha) + color * alpha`` (truncated to uint8, as in
    torchvision) where a mask covers it. Where masks overlap, the later mask's colour is used
    (torchvision paints overlaps black instead).

    Args:
        image: uint8 ``Tensor[3, H, W]``.
        masks: bool ``Tensor[N, H, W]`` or ``Tensor[H, W]``.
        alpha: opacity of the masks in ``[0, 1]``: 0 leaves the image, 1 replaces it.
        colors: one colour for every mask, or one per mask (see :func:`draw_bounding_boxes`).

    Returns:
        uint8 ``Tensor[3, H, W]``: a new image.
    """
    _check_image(image)
    if not isinstance(masks, Tensor) or masks.dtype != torch.bool or masks.dim() not in (2, 3):
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
    palette = _parse_colors(colors, masks.size(0))

    painted = image.clone()
    for mask, color in zip(masks, palette, strict=True):
        painted[:, mask] = torch.tensor(color, dtype=torch.uint8, device=image.device)[:, None]
    blended = image.to(torch.float32) * (1 - alpha) + painted.to(torch.float32) * alpha
    return blended.to(torch.uint8)


@torch.no_grad()
def draw_keypoints(
    image: Tensor,
    keypoints: Tensor,
    connectivity: Sequence[tuple[int, int]] | None = None,
    colors: Colors = None,
    radius: int = 2,
    width: int = 3,
) -> Tensor:
    """Draw each instance's keypoints as discs and, optionally, its skeleton as lines.

    Coordinates are truncated to integers. With a visibility column, points with ``v == 0``
    (not labelled) are not drawn, nor are the skeleton edges that touch them. Edges are drawn
    first so that the points stay visible on top of them, in the instance's colour.

    Args:
        image: uint8 ``Tensor[3, H, W]``.
        keypoints: ``Tensor[N, K, 2]`` of ``(x, y)`` or ``Tensor[N, K, 3]`` of ``(x, y, v)``.
        connectivity: pairs of keypoint indices in ``[0, K)`` to join with a line.
        colors: one colour for every instance, or one per instance (see
            :func:`draw_bounding_boxes`).
        radius: disc radius in pixels.
        width: line width in pixels.

    Returns:
        uint8 ``Tensor[3, H, W]``: a new image.
    """
    _check_image(image)
    if not isinstance(keypoints, Tensor) or keypoints.dim() != 3 or keypoints.size(2) not in (2, 3):
        raise ValueError(
            f"keypoints must be a Tensor[N, K, 2] or Tensor[N, K, 3], got {_describe(keypoints)}"
        )
    count, num_keypoints = keypoints.shape[:2]
    edges = [tuple(edge) for edge in connectivity or ()]
    for edge in edges:
        if len(edge) != 2 or not all(0 <= k < num_keypoints for k in edge):
            raise ValueError(
                f"connectivity must hold pairs of keypoint indices in [0, {num_keypoints}), "
                f"got {edge}"
            )
    if radius < 1 or width < 1:
        raise ValueError(f"radius and width must be at least 1, got {radius} and {width}")
    palette = _parse_colors(colors, count)
    if keypoints.size(2) == 3:
        visible = (keypoints[..., 2] > 0).tolist()
    else:
        visible = [[True] * num_keypoints] * count
    points = keypoints[..., :2].to(torch.int64).tolist()

    picture = _to_pil(image)
    draw = ImageDraw.Draw(picture)
    for instance, shown, color in zip(points, visible, palette, strict=True):
        for i, j in edges:
            if shown[i] and shown[j]:
                draw.line((*instance[i], *instance[j]), fill=color, width=width)
        for (x, y), is_shown in zip(instance, shown, strict=True):
            if is_shown:
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=color)
    return _from_pil(picture, image)


def _check_image(image: Tensor) -> None:
    if (
        not isinstance(image, Tensor)
        or image.dtype != torch.uint8
        or image.dim() != 3
        or image.size(0) != 3
    ):
        raise ValueError(f"image must be a uint8 Tensor[3, H, W], got {_describe(image)}")


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"Tensor{list(value.shape)} of dtype {value.dtype}"
    return type(value).__name__


def _parse_colors(colors: Colors, count: int) -> list[tuple[int, int, int]]:
    if colors is None:
        return [_PALETTE[k % len(_PALETTE)] for k in range(count)]
    if isinstance(colors, (str, tuple)):
        return [_parse_color(colors, "colors")] * count
    if not isinstance(colors, Sequence):
        raise ValueError(f"colors must be a colour or a sequence of colours, got {colors!r}")
    if len(colors) != count:
        raise ValueError(f"colors must have one colour per object ({count}), got {len(colors)}")
    return [_parse_color(color, f"colors[{k}]") for k, color in enumerate(colors)]


def _parse_color(color: Color, name: str) -> tuple[int, int, int]:
    if isinstance(color, str):
        try:
            return ImageColor.getrgb(color)[:3]
        except ValueError:
            raise ValueError(f"{name} is not a colour PIL knows: {color!r}") from None
    if (
        isinstance(color, tuple)
        and len(color) == 3
        and all(isinstance(v, int) and 0 <= v <= 255 for v in color)
    ):
        return color
    raise ValueError(
        f"{name} must be a colour name or an RGB tuple of ints in [0, 255], got {color!r}"
    )


def _to_pil(image: Tensor) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(image.permute(1, 2, 0).cpu().numpy()))


def _from_pil(picture: Image.Image, like: Tensor) -> Tensor:
    return torch.from_numpy(np.array(picture)).permute(2, 0, 1).contiguous().to(like.device)
