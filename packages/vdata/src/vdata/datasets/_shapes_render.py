"""Drawing of the Shapes scenes: saturated circles, squares and triangles on greyish backgrounds.

A scene is drawn from a numpy ``Generator`` alone, so the same generator state always gives the
same pixels and masks. Pixel ``(row, col)`` covers ``[col, col + 1) x [row, row + 1)`` and belongs
to a shape when its centre does, so masks are exact and the image has hard edges: a pixel has its
object's colour exactly when the object's visible mask holds it.
"""

import colorsys
import math
from dataclasses import dataclass

import numpy as np

CIRCLE, SQUARE, TRIANGLE = 1, 2, 3

# Extent (diameter of the circumscribed circle) of a shape, as a fraction of the image's shorter
# side: large enough for a small detector on 128 x 128 images, small enough to leave room.
MIN_EXTENT, MAX_EXTENT = 0.2, 0.5
# An earlier shape keeps at least this share of its pixels when later ones are drawn over it;
# a candidate that would hide more is moved, and left out after PLACEMENT_TRIES attempts.
MIN_VISIBLE_FRACTION = 0.5
PLACEMENT_TRIES = 10


@dataclass(frozen=True)
class Scene:
    """One drawn image and its objects, in drawing order (later ones on top).

    Attributes:
        image: uint8 ``array[H, W, 3]``.
        labels: int64 ``array[N]``: ``CIRCLE``, ``SQUARE`` or ``TRIANGLE``.
        full_masks: bool ``array[N, H, W]``: each shape as drawn, before later shapes cover it.
        visible_masks: bool ``array[N, H, W]``: the pixels that show each shape in ``image``.
    """

    image: np.ndarray
    labels: np.ndarray
    full_masks: np.ndarray
    visible_masks: np.ndarray


def draw_scene(
    rng: np.random.Generator, height: int, width: int, min_objects: int, max_objects: int
) -> Scene:
    """Draw a background and ``min_objects..max_objects`` shapes (fewer only when a shape finds
    no place that leaves the shapes under it visible enough)."""
    image = _background(rng, height, width)
    count = int(rng.integers(min_objects, max_objects + 1))
    # Hues spread around the colour wheel so that overlapping shapes stay distinguishable.
    hues = (rng.random() + (np.arange(count) + rng.uniform(-0.2, 0.2, count)) / max(count, 1)) % 1

    labels: list[int] = []
    full_masks: list[np.ndarray] = []
    visible_masks: list[np.ndarray] = []
    for hue in hues:
        label = int(rng.integers(CIRCLE, TRIANGLE + 1))
        for _ in range(PLACEMENT_TRIES):
            mask = _shape_mask(rng, label, height, width)
            uncovered = [visible & ~mask for visible in visible_masks]
            if all(
                left.sum() >= MIN_VISIBLE_FRACTION * full.sum()
                for left, full in zip(uncovered, full_masks, strict=True)
            ):
                break
        else:
            continue
        saturation, value = rng.uniform(0.6, 1.0), rng.uniform(0.55, 1.0)
        rgb = colorsys.hsv_to_rgb(float(hue), saturation, value)
        image[mask] = np.round(np.array(rgb) * 255).astype(np.uint8)
        labels.append(label)
        full_masks.append(mask)
        visible_masks = [*uncovered, mask]

    empty = np.zeros((0, height, width), dtype=bool)
    return Scene(
        image=image,
        labels=np.array(labels, dtype=np.int64),
        full_masks=np.stack(full_masks) if full_masks else empty,
        visible_masks=np.stack(visible_masks) if visible_masks else empty,
    )


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A solid colour, a linear gradient between two colours, or a solid colour with light noise;
    all colours near grey so that the saturated shapes stand out."""

    def greyish() -> np.ndarray:
        return rng.uniform(0, 255) + rng.uniform(-25, 25, 3)

    kind = rng.integers(3)
    if kind == 0:
        pixels = np.empty((height, width, 3), dtype=np.float32)
        pixels[:] = greyish()
    elif kind == 1:
        angle = rng.uniform(0, 2 * math.pi)
        along = np.arange(width, dtype=np.float32) * math.cos(angle) + np.arange(
            height, dtype=np.float32
        )[:, None] * math.sin(angle)
        along -= along.min()
        along /= max(float(along.max()), 1.0)
        start, end = greyish(), greyish()
        pixels = along[..., None] * (end - start).astype(np.float32)
        pixels += start.astype(np.float32)
    else:
        # Uniform noise: several times cheaper to draw than Gaussian, and as good here.
        pixels = rng.random((height, width, 3), dtype=np.float32)
        pixels -= 0.5
        pixels *= 2 * rng.uniform(6, 20)
        pixels += greyish().astype(np.float32)
    return np.clip(np.rint(pixels), 0, 255, out=pixels).astype(np.uint8)


def _shape_mask(rng: np.random.Generator, label: int, height: int, width: int) -> np.ndarray:
    """Place one shape of a random extent and angle wholly inside the image; its pixel mask."""
    extent = rng.uniform(MIN_EXTENT, MAX_EXTENT) * min(height, width)
    radius = extent / 2
    cx = rng.uniform(radius, width - radius)
    cy = rng.uniform(radius, height - radius)
    if label == SQUARE:
        # Half of the squares stand upright, the others are turned by any angle.
        angle = rng.uniform(0, math.pi / 2) if rng.random() < 0.5 else 0.0
        corners = [angle + math.pi / 4 + k * math.pi / 2 for k in range(4)]
    elif label == TRIANGLE:
        angle = rng.uniform(0, 2 * math.pi)
        corners = [angle + k * 2 * math.pi / 3 for k in range(3)]
    else:
        corners = []

    # Only the rows and columns the circumscribed circle touches need testing.
    top, bottom = max(math.floor(cy - radius), 0), min(math.ceil(cy + radius), height)
    left, right = max(math.floor(cx - radius), 0), min(math.ceil(cx + radius), width)
    ys = np.arange(top, bottom)[:, None] + 0.5 - cy
    xs = np.arange(left, right)[None, :] + 0.5 - cx
    if corners:
        inside = np.ones((bottom - top, right - left), dtype=bool)
        # Corners go counter-clockwise, so the inside lies left of every edge.
        points = [(radius * math.cos(a), radius * math.sin(a)) for a in corners]
        for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
            inside &= (x1 - x0) * (ys - y0) - (y1 - y0) * (xs - x0) >= 0
    else:
        inside = xs**2 + ys**2 <= radius**2
    mask = np.zeros((height, width), dtype=bool)
    mask[top:bottom, left:right] = inside
    return mask
