"""Shapes: a procedural dataset of circles, squares and triangles that needs no download.

It is made for small models to learn in minutes on a CPU (large, contrasting objects), as the
default dataset of the reference scripts and their tests. Every image is computed on access
from ``(seed, split, index)``, so nothing is stored and any worker process sees the same image
for the same index.
"""

import json
import operator
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask
import torch
from PIL import Image
from torch import Tensor

from .. import tv_tensors
from ..utils import atomic_path
from ._io import check_choice
from ._shapes_render import Scene, draw_scene
from ._typed_targets import model_target_to_tv_tensors
from .vision import KeypointInfo, VisionDataset

__all__ = ["Scene", "Shapes", "write_coco"]

_SPLIT_IDS = {"train": 0, "val": 1}
_DEFAULT_NUM_IMAGES = {"train": 1000, "val": 200}
_TARGET_TYPES = ("detection", "segmentation", "classification")
_TARGET_FORMATS = ("model", "tv_tensors")
_MIN_IMAGE_SIZE = 16
_NUM_CLASSES = {"detection": 4, "segmentation": 4, "classification": 3}


class Shapes(VisionDataset):
    """Circles, squares (upright or turned) and triangles of random colours, sizes and positions
    on solid, gradient or noisy near-grey backgrounds.

    Each shape spans 20-50% of the image's shorter side and lies wholly inside the image. Later
    shapes are drawn over earlier ones, but never so as to hide more than half of one, so every
    drawn shape is visible and labelled. Image ``index`` of a split depends only on ``seed``,
    ``split``, ``index``, ``image_size`` and the object counts; train and val images come from
    different random streams.

    Targets by ``target_type``:

    * ``"detection"``: a dict with ``"boxes"`` float32 ``Tensor[N, 4]`` (xyxy, the tight box of
      the visible pixels: pixel ``(row, col)`` spans ``[col, col + 1) x [row, row + 1)``),
      ``"labels"`` int64 ``Tensor[N]`` (1 circle, 2 square, 3 triangle), ``"masks"`` uint8
      ``Tensor[N, H, W]`` (visible pixels), ``"keypoints"`` float32 ``Tensor[N, 4, 3]``,
      ``"area"`` float32 ``Tensor[N]`` (visible pixels), ``"iscrowd"`` int64 ``Tensor[N]``
      (zeros) and ``"image_id"`` (the index). The keypoints are the shape's extreme pixels
      (top, left, right, bottom; the middle one where an edge is flat) as pixel centres
      ``(col + 0.5, row + 0.5)``, with visibility 2 where the shape shows there and 1 where a
      later shape covers it.
    * ``"segmentation"``: a PIL ``"L"`` image of the label of the shape seen at each pixel,
      0 for background.
    * ``"classification"``: the dominant shape, the class covering the most visible pixels (0
      circle, 1 square, 2 triangle; a tie goes to the lower class).

    With ``target_format="tv_tensors"`` the image is a uint8 :class:`vdata.tv_tensors.Image`
    and the target typed for ``vdata.transforms.v2``: the detection dict as
    :func:`~vdata.datasets.model_target_to_tv_tensors` makes it (``BoundingBoxes``, ``Mask``,
    ``KeyPoints[N, 4, 2]`` with a separate ``"keypoints_visibility"`` ``Tensor[N, 4]``), the
    segmentation mask a ``Mask[1, H, W]`` (as the v2 dataset wrapper types VOC's), the class
    unchanged.

    Args:
        split: ``"train"`` or ``"val"``.
        num_images: length of the dataset; by default 1000 for train and 200 for val.
        image_size: ``size`` or ``(height, width)``, at least 16.
        min_objects: fewest shapes per image (0 allows empty images, except for
            classification). A shape that finds no place leaving the shapes under it half
            visible in 10 tries is left out, which can make an image fall short of this in
            crowded settings; the first shape always fits.
        max_objects: most shapes per image.
        seed: non-negative integer selecting the whole dataset.
        target_type: ``"detection"``, ``"segmentation"`` or ``"classification"``.
        transforms: joint transform of image and target.
        transform: transform of the PIL RGB image alone.
        target_transform: transform of the target alone.
        target_format: ``"model"``: the PIL image and the targets above, ready for the joint
            transforms; ``"tv_tensors"``: the same typed, for ``vdata.transforms.v2``.
    """

    classes = ("background", "circle", "square", "triangle")
    # Extreme points of hard-edged shapes are sharp where a corner or curve is, but the top of
    # an upright square is only the middle of a flat edge, hence a sigma between COCO's eyes
    # (0.025) and shoulders (0.079).
    keypoint_info = KeypointInfo(
        names=("top", "left", "right", "bottom"),
        flip_map=(0, 2, 1, 3),
        skeleton=((0, 1), (0, 2), (1, 3), (2, 3)),
        sigmas=(0.05, 0.05, 0.05, 0.05),
    )

    def __init__(
        self,
        split: str = "train",
        num_images: int | None = None,
        image_size: int | Sequence[int] = 128,
        min_objects: int = 1,
        max_objects: int = 4,
        seed: int = 0,
        target_type: str = "detection",
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        target_format: str = "model",
    ) -> None:
        super().__init__(None, transforms, transform, target_transform)
        self.split = check_choice(split, "split", tuple(_SPLIT_IDS))
        self.target_type = check_choice(target_type, "target_type", _TARGET_TYPES)
        self.target_format = check_choice(target_format, "target_format", _TARGET_FORMATS)
        self.num_images = _DEFAULT_NUM_IMAGES[split] if num_images is None else num_images
        if not isinstance(self.num_images, int) or self.num_images < 0:
            raise ValueError(f"num_images must be a non-negative int, got {num_images!r}")
        self.image_size = _as_size(image_size)
        if not 0 <= min_objects <= max_objects:
            raise ValueError(
                "min_objects and max_objects must satisfy 0 <= min_objects <= max_objects, "
                f"got {min_objects} and {max_objects}"
            )
        if target_type == "classification" and min_objects < 1:
            raise ValueError("classification needs min_objects >= 1: every image needs a class")
        self.min_objects = min_objects
        self.max_objects = max_objects
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.seed = seed

    @property
    def num_classes(self) -> int:
        """Classes of the target type, background included for detection and segmentation."""
        return _NUM_CLASSES[self.target_type]

    def __len__(self) -> int:
        return self.num_images

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = self._checked_index(index)
        scene = self.scene(index)
        image = Image.fromarray(scene.image)
        if self.target_type == "detection":
            target: Any = _detection_target(scene, index)
        elif self.target_type == "segmentation":
            target = _semantic_mask(scene)
        else:
            target = _dominant_class(scene)
        if self.target_format == "tv_tensors":
            image, target = _typed(image, target, self.target_type)
        return self.apply_transforms(image, target)

    def scene(self, index: int) -> Scene:
        """The drawn image ``index`` with its labels, full and visible masks, untransformed."""
        index = self._checked_index(index)
        rng = np.random.default_rng([self.seed, _SPLIT_IDS[self.split], index])
        height, width = self.image_size
        return draw_scene(rng, height, width, self.min_objects, self.max_objects)

    def _checked_index(self, index: int) -> int:
        index = operator.index(index)
        if not -self.num_images <= index < self.num_images:
            raise IndexError(
                f"index {index} is out of range for Shapes {self.split!r} of {self.num_images} "
                "images"
            )
        return index % self.num_images

    def to_coco(self, root: str | os.PathLike) -> Path:
        """Write this split as a COCO dataset under ``root``; see :func:`write_coco`.

        Transforms and ``target_type`` do not matter: the detection targets are written.
        """
        detection = Shapes(
            self.split,
            self.num_images,
            self.image_size,
            self.min_objects,
            self.max_objects,
            self.seed,
            target_type="detection",
        )
        return write_coco(detection, root, self.split)

    def extra_repr(self) -> list[str]:
        height, width = self.image_size
        return [
            f"Image size: {height} x {width}",
            f"Objects per image: {self.min_objects} to {self.max_objects}",
            f"Seed: {self.seed}",
            f"Target type: {self.target_type}",
            f"Target format: {self.target_format}",
        ]


def _as_size(image_size: int | Sequence[int]) -> tuple[int, int]:
    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if len(size) != 2 or not all(isinstance(s, int) and s >= _MIN_IMAGE_SIZE for s in size):
        raise ValueError(
            f"image_size must be an int or (height, width) of ints >= {_MIN_IMAGE_SIZE}, "
            f"got {image_size!r}"
        )
    return size


def _typed(image: Image.Image, target: Any, target_type: str) -> tuple[tv_tensors.Image, Any]:
    if target_type == "detection":
        target = model_target_to_tv_tensors(target, (image.height, image.width))
    elif target_type == "segmentation":
        target = tv_tensors.Mask(target)
    return tv_tensors.Image(image), target


def _detection_target(scene: Scene, index: int) -> dict[str, Any]:
    visible = scene.visible_masks
    boxes = np.zeros((len(visible), 4), dtype=np.float32)
    keypoints = np.zeros((len(visible), 4, 3), dtype=np.float32)
    for i, (full, shown) in enumerate(zip(scene.full_masks, visible, strict=True)):
        rows, cols = np.flatnonzero(shown.any(1)), np.flatnonzero(shown.any(0))
        boxes[i] = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)
        for k, (row, col) in enumerate(_extreme_pixels(full)):
            keypoints[i, k] = (col + 0.5, row + 0.5, 2 if shown[row, col] else 1)
    return {
        "boxes": torch.from_numpy(boxes),
        "labels": torch.from_numpy(scene.labels),
        "masks": torch.from_numpy(visible.astype(np.uint8)),
        "keypoints": torch.from_numpy(keypoints),
        "area": torch.from_numpy(visible.sum((1, 2)).astype(np.float32)),
        "iscrowd": torch.zeros(len(visible), dtype=torch.int64),
        "image_id": index,
    }


def _extreme_pixels(mask: np.ndarray) -> list[tuple[int, int]]:
    """``(row, col)`` of the top, left, right and bottom pixels of a non-empty mask; the middle
    one of the outermost row or column."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))

    def middle(line: np.ndarray) -> int:
        hits = np.flatnonzero(line)
        return int(hits[len(hits) // 2])

    top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
    return [
        (top, middle(mask[top])),
        (middle(mask[:, left]), left),
        (middle(mask[:, right]), right),
        (bottom, middle(mask[bottom])),
    ]


def _semantic_mask(scene: Scene) -> Image.Image:
    semantic = np.zeros(scene.image.shape[:2], dtype=np.uint8)
    for label, shown in zip(scene.labels, scene.visible_masks, strict=True):
        semantic[shown] = label
    return Image.fromarray(semantic)  # uint8 [H, W] is mode "L"


def _dominant_class(scene: Scene) -> int:
    areas = np.zeros(len(Shapes.classes), dtype=np.int64)
    np.add.at(areas, scene.labels, scene.visible_masks.sum((1, 2)))
    # argmax returns the first maximum: ties go to the lower class.
    return int(np.argmax(areas[1:]))


def write_coco(dataset: Any, root: str | os.PathLike, split: str) -> Path:
    """Write a detection dataset in the COCO layout, so that COCO tools can read it.

    Writes ``root/<split>/<image_id:06d>.png`` and ``root/annotations/instances_<split>.json``
    with bbox (xywh), area, iscrowd, segmentation (compressed RLE with string counts),
    keypoints (flat ``x, y, v``, as in the targets) and num_keypoints per object, and one
    category per entry of ``dataset.classes`` after the background, with ``supercategory``
    ``"shape"`` and the keypoint names and 1-based skeleton of ``dataset.keypoint_info``. Every
    file is written to a temporary name and then renamed, and the annotation file comes last, so
    an interrupted run never leaves a partial file.

    Args:
        dataset: yields ``(PIL image, detection target)`` as :class:`Shapes` with
            ``target_type="detection"`` and no transforms does; has ``classes`` (background
            first) and ``keypoint_info``.
        root: folder to write into (created if missing).
        split: names the image folder and the annotation file.

    Returns:
        The path of the annotation file.
    """
    root = Path(root)
    image_dir = root / split
    image_dir.mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    info: KeypointInfo = dataset.keypoint_info
    images, annotations = [], []
    for index in range(len(dataset)):
        image, target = dataset[index]
        if not isinstance(image, Image.Image) or not isinstance(target, dict):
            raise TypeError(
                f"dataset[{index}] must be a (PIL image, detection dict) pair, got "
                f"({type(image).__name__}, {type(target).__name__}); use "
                "target_type='detection', target_format='model' and no transforms"
            )
        image_id = int(target["image_id"])
        file_name = f"{image_id:06d}.png"
        with atomic_path(image_dir / file_name) as temporary:
            image.save(temporary)
        images.append(
            {"id": image_id, "file_name": file_name, "width": image.width, "height": image.height}
        )
        annotations += _coco_annotations(target, image_id, first_id=len(annotations) + 1)

    categories = [
        {
            "id": label,
            "name": name,
            "supercategory": "shape",
            "keypoints": list(info.names),
            "skeleton": [[a + 1, b + 1] for a, b in info.skeleton],
        }
        for label, name in enumerate(dataset.classes)
        if label > 0
    ]
    path = root / "annotations" / f"instances_{split}.json"
    with atomic_path(path) as temporary:
        temporary.write_text(
            json.dumps({"images": images, "annotations": annotations, "categories": categories})
        )
    return path


def _coco_annotations(target: dict[str, Tensor], image_id: int, first_id: int) -> list[dict]:
    masks = np.asfortranarray(target["masks"].numpy().transpose(1, 2, 0))
    rles = pycocotools.mask.encode(masks) if len(target["labels"]) else []
    annotations = []
    for i, rle in enumerate(rles):
        x1, y1, x2, y2 = target["boxes"][i].tolist()
        keypoints = target["keypoints"][i]
        annotations.append(
            {
                "id": first_id + i,
                "image_id": image_id,
                "category_id": int(target["labels"][i]),
                "bbox": [x1, y1, x2 - x1, y2 - y1],
                "area": float(target["area"][i]),
                "iscrowd": 0,
                "segmentation": {"size": rle["size"], "counts": rle["counts"].decode("ascii")},
                "keypoints": [v for x, y, vis in keypoints.tolist() for v in (x, y, int(vis))],
                "num_keypoints": int((keypoints[:, 2] > 0).sum()),
            }
        )
    return annotations
