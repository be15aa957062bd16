"""COCO-style detection, segmentation and keypoint annotations (instances / person_keypoints)."""

from __future__ import annotations

import contextlib
import io
import json
import math
import operator
import os
import reprlib
import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pycocotools.mask as mask_utils
import torch
from pycocotools.coco import COCO

from .. import tv_tensors
from ._io import DatasetArgumentError, check_choice, inside_root, load_image, require_file
from ._typed_targets import model_target_to_tv_tensors
from .vision import KeypointInfo, VisionDataset

_TARGET_FORMATS = ("raw", "model", "tv_tensors")

COCO_PERSON_KEYPOINTS = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
# The per-keypoint OKS sigmas of the COCO keypoint evaluation (cocoeval.py), in the order above.
COCO_PERSON_SIGMAS = (
    0.026,
    0.025,
    0.025,
    0.035,
    0.035,
    0.079,
    0.079,
    0.072,
    0.072,
    0.062,
    0.062,
    0.107,
    0.107,
    0.087,
    0.087,
    0.089,
    0.089,
)


def keypoint_info_from_categories(categories: list[dict[str, Any]]) -> KeypointInfo | None:
    """The :class:`KeypointInfo` of the categories that declare ``"keypoints"``, or None.

    The flip map comes from ``left_``/``right_`` names; the skeleton is converted from COCO's
    1-based pairs to 0-based; sigmas are COCO's person sigmas when the names are COCO's 17
    person keypoints, else the uniform :data:`~vdata.datasets.vision.DEFAULT_OKS_SIGMA`.
    """
    layouts = {
        (tuple(c["keypoints"]), tuple(tuple(pair) for pair in c.get("skeleton", [])))
        for c in categories
        if c.get("keypoints")
    }
    if not layouts:
        return None
    if len(layouts) > 1:
        raise ValueError(
            f"categories declare {len(layouts)} different keypoint layouts; one is supported"
        )
    ((names, skeleton),) = layouts
    sigmas = COCO_PERSON_SIGMAS if names == COCO_PERSON_KEYPOINTS else ()
    return KeypointInfo.from_names(names, tuple((a - 1, b - 1) for a, b in skeleton), sigmas)


def decode_segmentation(segmentation: Any, height: int, width: int) -> np.ndarray:
    """A COCO ``segmentation`` (polygons, uncompressed or compressed RLE) as a uint8
    ``H x W`` array of 0/1. An empty one gives an empty mask. The segmentation is taken to be
    well formed, as :func:`coco_to_model_target` checks before it decodes."""
    if isinstance(segmentation, list):
        # pycocotools reads a 4-number "polygon" as a box; fewer than 3 points is no area.
        polygons = [p for p in segmentation if len(p) >= 6]
        if not polygons:
            return np.zeros((height, width), dtype=np.uint8)
        rle = mask_utils.merge(mask_utils.frPyObjects(polygons, height, width))
    else:
        rle = segmentation
        if isinstance(segmentation["counts"], list):  # uncompressed RLE
            rle = mask_utils.frPyObjects(segmentation, height, width)
    with warnings.catch_warnings():
        # pycocotools' mask buffer predates NumPy 2's __array__(copy=...) protocol; the warning
        # is about its internals, the decoded array is correct.
        warnings.filterwarnings(
            "ignore", "__array__ implementation doesn't accept a copy", DeprecationWarning
        )
        return mask_utils.decode(rle)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _segmentation_problem(segmentation: Any, height: int, width: int) -> str | None:
    """What is wrong with a COCO ``segmentation`` on an ``height x width`` image, or None."""
    if isinstance(segmentation, dict) and {"size", "counts"} <= segmentation.keys():
        counts, size = segmentation["counts"], segmentation["size"]
        if not isinstance(counts, (str, bytes)) and not (
            isinstance(counts, list) and all(map(_is_int, counts))
        ):
            return f"RLE counts must be a string or a list of ints, got {reprlib.repr(counts)}"
        if not isinstance(size, (list, tuple)) or list(size) != [height, width]:
            return f"RLE of size {reprlib.repr(size)} on an image of size {[height, width]}"
        return None
    if not (isinstance(segmentation, list) and all(isinstance(p, list) for p in segmentation)):
        return (
            "segmentation must be a list of polygons (lists of x, y numbers) or an RLE dict with "
            f"'size' and 'counts', got {reprlib.repr(segmentation)}"
        )
    for i, polygon in enumerate(segmentation):
        if len(polygon) % 2:
            return f"polygon {i} has {len(polygon)} numbers, expected x, y pairs"
        if not all(map(_is_number, polygon)):
            return f"polygon {i} must hold numbers, got {reprlib.repr(polygon)}"
    return None


def _annotation_problem(
    ann: dict[str, Any], height: int, width: int, with_masks: bool, num_keypoints: int | None
) -> str | None:
    """What is wrong with the fields of one annotation that the model format reads, or None."""
    if "bbox" not in ann:
        return "'bbox' is missing"
    bbox = ann["bbox"]
    if not (isinstance(bbox, (list, tuple)) and len(bbox) == 4 and all(map(_is_number, bbox))):
        return f"bbox must be 4 numbers [x, y, width, height], got {reprlib.repr(bbox)}"
    if not _is_int(ann.get("category_id")):
        return f"category_id must be an int, got {reprlib.repr(ann.get('category_id'))}"
    if "area" in ann and not _is_number(ann["area"]):
        return f"area must be a number, got {reprlib.repr(ann['area'])}"
    if ann.get("iscrowd", 0) not in (0, 1):
        return f"iscrowd must be 0 or 1, got {reprlib.repr(ann['iscrowd'])}"
    if with_masks and "segmentation" in ann:
        problem = _segmentation_problem(ann["segmentation"], height, width)
        if problem:
            return problem
    keypoints = ann.get("keypoints")
    if num_keypoints is not None and keypoints:
        if not isinstance(keypoints, list) or len(keypoints) != 3 * num_keypoints:
            count = len(keypoints) if isinstance(keypoints, list) else reprlib.repr(keypoints)
            return f"{count} keypoint values, expected 3 x {num_keypoints}"
        if not all(map(_is_number, keypoints)):
            return f"keypoints must be numbers, got {reprlib.repr(keypoints)}"
    return None


def coco_to_model_target(
    annotations: list[dict[str, Any]],
    image_id: int,
    height: int,
    width: int,
    with_masks: bool = False,
    num_keypoints: int | None = None,
    label_map: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """The detection dict of the shared target format from one image's COCO annotations.

    Boxes are converted from ``(x, y, width, height)`` to ``(x1, y1, x2, y2)`` and clipped to
    the image; annotations whose clipped box is empty are dropped. Crowd annotations are kept,
    flagged by ``"iscrowd"``. With ``label_map``, the labels are ``label_map[category_id]``
    and the annotations of categories that are not keys of it are dropped.

    Raises:
        ValueError: an annotation's fields do not have COCO's types and shapes (a bbox of
            three numbers, a flat list as polygons, an RLE of another size, a wrong keypoint
            count, ...); the message names the annotation id, ``image_id`` and the field.

    Returns:
        ``"boxes"`` float32 ``Tensor[N, 4]``; ``"labels"`` int64 ``Tensor[N]`` (the category
        ids, or their ``label_map`` values); ``"area"`` float32 ``Tensor[N]`` (the
        annotation's mask area); ``"iscrowd"`` int64 ``Tensor[N]``; ``"image_id"`` int; with
        ``with_masks`` ``"masks"`` uint8 ``Tensor[N, H, W]`` decoded from polygons or RLE
        (empty for an annotation without ``segmentation``); with ``num_keypoints = K``
        ``"keypoints"`` float32 ``Tensor[N, K, 3]`` of ``(x, y, visibility)`` (all zeros,
        "not labelled", for an annotation without keypoints).
    """
    for a in annotations:
        problem = _annotation_problem(a, height, width, with_masks, num_keypoints)
        if problem:
            raise ValueError(f"annotation {a.get('id')} of image {image_id}: {problem}")
    if label_map is not None:
        annotations = [a for a in annotations if a["category_id"] in label_map]
    boxes = torch.tensor([a["bbox"] for a in annotations], dtype=torch.float32).reshape(-1, 4)
    boxes[:, 2:] += boxes[:, :2]
    boxes[:, 0::2].clamp_(0, width)
    boxes[:, 1::2].clamp_(0, height)
    keep = ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).tolist()
    kept = [a for a, k in zip(annotations, keep, strict=True) if k]
    target: dict[str, Any] = {
        "boxes": boxes[torch.tensor(keep, dtype=torch.bool)],
        "labels": torch.tensor(
            [a["category_id"] if label_map is None else label_map[a["category_id"]] for a in kept],
            dtype=torch.int64,
        ),
        "area": torch.tensor(
            [a.get("area", a["bbox"][2] * a["bbox"][3]) for a in kept], dtype=torch.float32
        ),
        "iscrowd": torch.tensor([a.get("iscrowd", 0) for a in kept], dtype=torch.int64),
        "image_id": image_id,
    }
    if with_masks:
        masks = [decode_segmentation(a.get("segmentation", []), height, width) for a in kept]
        target["masks"] = (
            torch.from_numpy(np.stack(masks))
            if masks
            else torch.zeros((0, height, width), dtype=torch.uint8)
        )
    if num_keypoints is not None:
        keypoints = torch.zeros((len(kept), num_keypoints, 3), dtype=torch.float32)
        for i, a in enumerate(kept):
            if a.get("keypoints"):
                keypoints[i] = torch.tensor(a["keypoints"], dtype=torch.float32).reshape(-1, 3)
        target["keypoints"] = keypoints
    return target


def _checked_label_map(label_map: Any) -> dict[int, int]:
    if not isinstance(label_map, Mapping):
        raise ValueError(
            f"label_map must be a mapping from category id to label, got {type(label_map).__name__}"
        )
    for category, label in label_map.items():
        if not _is_int(category):
            raise ValueError(f"label_map keys must be int category ids, got {category!r}")
        if not _is_int(label) or label < 1:
            raise ValueError(
                f"label_map maps category {category} to {label!r}; labels must be ints >= 1 "
                "(0 is the background)"
            )
    return dict(label_map)


class CocoDetection(VisionDataset):
    """`COCO <https://cocodataset.org>`_-format detection: images in a folder, one json file.

    Reads the instances and person-keypoints files of COCO (and any file in that format):
    ``images`` (``id``, ``file_name``, ``height``, ``width``), ``annotations`` (``image_id``,
    ``category_id``, ``bbox`` as ``[x, y, width, height]``, ``segmentation``, ``area``,
    ``iscrowd``, ``keypoints``) and ``categories``. Samples are the images sorted by id,
    those without annotations included.

    Args:
        root: the image folder; ``file_name`` is relative to it.
        annFile: the annotation json.
        transform, target_transform, transforms: see :class:`VisionDataset`.
        target_format: ``"raw"``: the image's annotation dicts as in the file (a list, empty
            for an image without annotations), like torchvision; ``"model"``: the detection
            dict of :func:`coco_to_model_target` (xyxy boxes, labels = category ids or their
            ``label_map`` values, decoded masks, keypoints), N = 0 with correctly shaped empty
            tensors for an image without annotations; ``"tv_tensors"``: the model format
            typed for ``vdata.transforms.v2``, the image a uint8 :class:`vdata.tv_tensors.Image`
            and the target as :func:`~vdata.datasets.model_target_to_tv_tensors` makes it
            (``BoundingBoxes``, ``Mask``, and the keypoints as ``KeyPoints[N, K, 2]`` with a
            separate ``"keypoints_visibility"`` ``Tensor[N, K]``).
        with_masks: in the model and tv_tensors formats, decode masks (when the file has
            segmentations); turn off to save the time for box-only training.
        label_map: in the model and tv_tensors formats, the label of each category id, e.g.
            ``{1: 1, 3: 2}`` for contiguous labels or a subset of the categories: annotations
            of categories that are not keys are left out, and keys may name ids the file's
            ``categories`` do not declare. Labels are ints >= 1 (0 is the background).
            Default: the label is the category id itself.

    Raises:
        ValueError: in the model and tv_tensors formats, an annotation whose ``category_id``
            is neither in the file's ``categories`` nor a key of ``label_map`` (the message
            names the annotation, its image and the category), a category id below 1 without
            ``label_map``, or a ``label_map`` that is no mapping to ints >= 1; on reading a
            sample in those formats, an annotation with malformed fields (see
            :func:`coco_to_model_target`); on reading a sample, an ``index`` that is not an
            ``int`` (a slice, say), as in torchvision. The raw format returns the file's
            annotations unchecked, as torchvision does.
        DatasetArgumentError: ``label_map`` with ``target_format="raw"``.

    Attributes:
        ids: ``list[int]``, the image ids, in sample order.
        image_info: ``dict[int, dict]``, the ``images`` entries by id.
        categories: ``list[dict]``, the categories sorted by id.
        label_map: ``dict[int, int]``, the ``label_map`` argument, or None.
        keypoint_info: :class:`KeypointInfo` of the keypoint categories, or None (see
            :func:`keypoint_info_from_categories`).
        coco: the ``pycocotools.coco.COCO`` index of the file, as torchvision has it (for
            ``COCOeval``), built on first use from the already parsed file.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        annFile: str | os.PathLike,  # torchvision's spelling
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        target_format: str = "raw",
        with_masks: bool = True,
        label_map: Mapping[int, int] | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.target_format = check_choice(target_format, "target_format", _TARGET_FORMATS)
        self.ann_file = require_file(Path(annFile).expanduser())
        try:
            data = json.loads(self.ann_file.read_text())
            self.image_info = {image["id"]: image for image in data["images"]}
            annotations = data.get("annotations", [])
            self.categories = sorted(data.get("categories", []), key=lambda c: c["id"])
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"{self.ann_file} is not a COCO annotation file: {err!r}") from None
        self._data = data
        self._coco: COCO | None = None
        self.ids = sorted(self.image_info)
        self._annotations: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for ann in annotations:
            if ann.get("image_id") not in self.image_info:
                raise ValueError(
                    f"{self.ann_file}: annotation {ann.get('id')} refers to image "
                    f"{ann.get('image_id')!r}, which is not in 'images'"
                )
            self._annotations[ann["image_id"]].append(ann)
        self.keypoint_info = keypoint_info_from_categories(self.categories)
        self.with_masks = with_masks and any("segmentation" in ann for ann in annotations)
        if label_map is not None and target_format == "raw":
            raise DatasetArgumentError(
                "label_map applies to target_format='model' and 'tv_tensors' only"
            )
        self.label_map = None if label_map is None else _checked_label_map(label_map)
        if target_format != "raw":
            self._check_categories(annotations)

    def _check_categories(self, annotations: list[dict[str, Any]]) -> None:
        declared = [c["id"] for c in self.categories]
        if self.label_map is None:
            background = [i for i in declared if i < 1]
            if background:
                raise ValueError(
                    f"{self.ann_file}: category id {background[0]} would be the background "
                    f"label 0 in target_format={self.target_format!r}; category ids must start "
                    "at 1 (or pass label_map)"
                )
        known = set(declared) | set(self.label_map or ())
        for ann in annotations:
            category = ann.get("category_id")
            if not _is_int(category) or category not in known:
                raise ValueError(
                    f"{self.ann_file}: annotation {ann.get('id')} of image {ann['image_id']} has "
                    f"category_id {category!r}, which is not in 'categories' (ids {declared})"
                    + (
                        " nor in label_map"
                        if self.label_map is not None
                        else "; label_map can map it"
                    )
                )

    @property
    def coco(self) -> COCO:
        if self._coco is None:
            coco = COCO()
            coco.dataset = self._data
            with contextlib.redirect_stdout(io.StringIO()):  # createIndex prints progress
                coco.createIndex()
            self._coco = coco
        return self._coco

    def annotations(self, index: int) -> list[dict[str, Any]]:
        """The raw annotation dicts of sample ``index``."""
        return [dict(ann) for ann in self._annotations.get(self.ids[index], [])]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not isinstance(index, int):
            try:  # NumPy and 0-d tensor integers are integers too
                index = operator.index(index)
            except TypeError:
                raise ValueError(
                    f"index must be an int, got {index!r} of type {type(index).__name__}; "
                    "to take several samples, index one at a time or use torch.utils.data.Subset"
                ) from None
        info = self.image_info[self.ids[index]]
        path = inside_root(self.root, info["file_name"], str(self.ann_file))
        image = load_image(path)
        target = self.annotations(index)
        if self.target_format != "raw":
            if image.size != (info["width"], info["height"]):
                raise ValueError(
                    f"{path} is {image.size[0]}x{image.size[1]} but {self.ann_file} says "
                    f"{info['width']}x{info['height']}"
                )
            k = self.keypoint_info.num_keypoints if self.keypoint_info else None
            try:
                target = coco_to_model_target(
                    target,
                    info["id"],
                    info["height"],
                    info["width"],
                    self.with_masks,
                    k,
                    self.label_map,
                )
            except ValueError as err:
                raise ValueError(f"{self.ann_file}: {err}") from None
            if self.target_format == "tv_tensors":
                canvas_size = (info["height"], info["width"])
                image = tv_tensors.Image(image)
                target = model_target_to_tv_tensors(target, canvas_size)
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return len(self.ids)

    def extra_repr(self) -> list[str]:
        return [f"Annotation file: {self.ann_file}", f"Target format: {self.target_format}"]


class CocoCaptions(CocoDetection):
    """`COCO captions <https://cocodataset.org/#captions-2015>`_: each image's caption strings.

    Reads a ``captions_*.json`` file (``images``, and ``annotations`` with ``image_id`` and
    ``caption``); the target is the list of the image's captions, in file order, as in
    torchvision.

    Args:
        root: the image folder; ``file_name`` is relative to it.
        annFile: the annotation json.
        transform, target_transform, transforms: see :class:`VisionDataset`.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        annFile: str | os.PathLike,  # torchvision's spelling
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, annFile, transform, target_transform, transforms)

    def annotations(self, index: int) -> list[str]:
        """The captions of sample ``index``."""
        return [ann["caption"] for ann in super().annotations(index)]
