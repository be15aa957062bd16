"""Pictures of predictions: detections drawn onto images with vdata's utilities, and a grid PNG."""

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from vdata.utils import draw_bounding_boxes, draw_keypoints, draw_segmentation_masks, save_image

MASK_THRESHOLD = 0.5

# Matplotlib's tab10 colours: distinct on dark and light images. vdata's default palette gives the
# first object black (as torchvision's does), which vanishes on a dark picture.
CLASS_COLORS = (
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


def class_colors(labels: Sequence[int]) -> list[tuple[int, int, int]]:
    """One colour per detection, the same for every detection of a class."""
    return [CLASS_COLORS[label % len(CLASS_COLORS)] for label in labels]


def to_uint8(image: Tensor) -> Tensor:
    """A float ``Tensor[3, H, W]`` in ``[0, 1]`` (or a uint8 one, unchanged) as uint8."""
    if image.dtype == torch.uint8:
        return image
    return (image.detach().cpu().clamp(0, 1) * 255).round().to(torch.uint8)


def draw_detections(
    image: Tensor,
    prediction: dict[str, Tensor],
    class_names: Sequence[str] | None = None,
    score_threshold: float = 0.5,
    skeleton: Sequence[tuple[int, int]] | None = None,
) -> Tensor:
    """One image with the detections scoring at least ``score_threshold`` drawn on it.

    Args:
        image: ``Tensor[3, H, W]``, float in ``[0, 1]`` or uint8.
        prediction: a detection model's output for the image: ``"boxes"``, ``"labels"``,
            ``"scores"`` and optionally ``"masks"`` (``Tensor[D, 1, H, W]`` probabilities) and
            ``"keypoints"`` (``Tensor[D, K, 3]``).
        class_names: the name of each label (index = label); labels are written as numbers
            without it.
        skeleton: keypoint pairs to join with lines.

    Returns:
        uint8 ``Tensor[3, H, W]``.
    """
    keep = prediction["scores"].detach().cpu() >= score_threshold
    drawn = to_uint8(image)
    labels = prediction["labels"].detach().cpu()[keep].tolist()
    colors = class_colors(labels)
    if "masks" in prediction:
        masks = prediction["masks"].detach().cpu()[keep][:, 0] > MASK_THRESHOLD
        drawn = draw_segmentation_masks(drawn, masks, alpha=0.5, colors=colors)
    scores = prediction["scores"].detach().cpu()[keep].tolist()
    names = [
        f"{class_names[label] if class_names else label} {score:.2f}"
        for label, score in zip(labels, scores, strict=True)
    ]
    drawn = draw_bounding_boxes(drawn, prediction["boxes"].detach().cpu()[keep], names, colors)
    if "keypoints" in prediction:
        keypoints = prediction["keypoints"].detach().cpu()[keep]
        drawn = draw_keypoints(drawn, keypoints, skeleton, radius=1, width=1)
    return drawn


def save_prediction_grid(images: Sequence[Tensor], path: str | Path, nrow: int = 4) -> Path:
    """Tile pictures (``Tensor[3, H, W]`` each, uint8 or float in ``[0, 1]``) ``nrow`` per row
    into one PNG at ``path``, written atomically; returns the path."""
    if not images:
        raise ValueError("images must hold at least one picture to save, got none")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image([to_uint8(image) for image in images], path, nrow=nrow, padding=2)
    return path
