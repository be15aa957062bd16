"""PASCAL VOC 2007-2012 segmentation and detection, in the VOCdevkit layout."""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from .. import tv_tensors
from ._download import RemoteFile, download_and_extract
from ._io import check_choice, inside_root, load_image, require_dir, require_file
from ._typed_targets import model_target_to_tv_tensors
from .vision import VisionDataset

VOC_CLASSES = (
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
)

_OXFORD = "http://host.robots.ox.ac.uk/pascal/VOC"
_PJREDDIE = "https://pjreddie.com/media/files"


def _archive(year: str, name: str, md5: str | None, sha256: str) -> RemoteFile:
    urls = [f"{_OXFORD}/voc{year}/{name}"]
    if year in ("2007", "2012"):
        urls.append(f"{_PJREDDIE}/{name}")
    return RemoteFile(name, tuple(urls), md5=md5, sha256=sha256)


# year -> (folder inside root, trainval archive, test archive or None)
YEARS: dict[str, tuple[str, RemoteFile, RemoteFile | None]] = {
    "2012": (
        "VOCdevkit/VOC2012",
        _archive(
            "2012",
            "VOCtrainval_11-May-2012.tar",
            "6cd6e144f989b92b3379bac3b3de84fd",
            "e14f763270cf193d0b5f74b169f44157a4b0c6efa708f4dd0ff78ee691763bcb",
        ),
        None,
    ),
    "2011": (
        "TrainVal/VOCdevkit/VOC2011",  # this one archive has an extra top folder
        _archive(
            "2011",
            "VOCtrainval_25-May-2011.tar",
            "6c3384ef61512963050cb5d687e5bf1e",
            "0a7f5f5d154f7290ec65ec3f78b72ef72c6d93ff6d79acd40dc222a9ee5248ba",
        ),
        None,
    ),
    "2010": (
        "VOCdevkit/VOC2010",
        _archive(
            "2010",
            "VOCtrainval_03-May-2010.tar",
            "da459979d0c395079b5c75ee67908abb",
            "1af4189cbe44323ab212bff7afbc7d0f55a267cc191eb3aac911037887e5c7d4",
        ),
        None,
    ),
    "2009": (
        "VOCdevkit/VOC2009",
        # Two different MD5s circulate for this archive; only the SHA-256 is trusted here.
        _archive(
            "2009",
            "VOCtrainval_11-May-2009.tar",
            None,
            "11cbe1741fb5bdadbbca3c08e9ec62cd95c14884845527d50847bc2cf57e7fd6",
        ),
        None,
    ),
    "2008": (
        "VOCdevkit/VOC2008",
        _archive(
            "2008",
            "VOCtrainval_14-Jul-2008.tar",
            "2629fa636546599198acfcfbfcf1904a",
            "7f0ca53c1b5a838fbe946965fc106c6e86832183240af5c88e3f6c306318d42e",
        ),
        None,
    ),
    "2007": (
        "VOCdevkit/VOC2007",
        _archive(
            "2007",
            "VOCtrainval_06-Nov-2007.tar",
            "c52e279531787c972589f7e41ab4ae64",
            "7d8cd951101b0957ddfd7a530bdc8a94f06121cfc1e511bb5937e973020c7508",
        ),
        _archive(
            "2007",
            "VOCtest_06-Nov-2007.tar",
            "b6e924de25625d8de591ea690078ad9f",
            "6836888e2e01dca84577a849d339fa4f73e1e4f135d312430c4856b5609b4892",
        ),
    ),
}


def parse_voc_xml(node: ET.Element) -> dict[str, Any]:
    """A VOC annotation element as nested dicts of strings.

    Repeated child tags become lists; ``"object"`` under ``"annotation"`` is always a list
    (empty for an image without objects). As in torchvision, an empty element (``<x/>``) is
    left out and whitespace-only text becomes ``""``.
    """
    children = list(node)
    if not children:
        return {node.tag: node.text.strip()} if node.text else {}
    fields: dict[str, list] = defaultdict(list)
    for child in children:
        for tag, value in parse_voc_xml(child).items():
            fields[tag].append(value)
    content = {tag: v if len(v) > 1 or tag == "object" else v[0] for tag, v in fields.items()}
    if node.tag == "annotation":
        content.setdefault("object", [])
    return {node.tag: content}


def _voc_box(bndbox: dict[str, str], what: str) -> list[float]:
    """``[xmin, ymin, xmax, ymax]`` of a parsed ``bndbox``; ValueError naming ``what`` unless
    they are finite numbers with each min at most its max."""
    box = {}
    for key in ("xmin", "ymin", "xmax", "ymax"):
        try:
            box[key] = float(bndbox[key])
        except (TypeError, ValueError):
            box[key] = math.nan
        if not math.isfinite(box[key]):
            raise ValueError(f"{what}: {key} {bndbox[key]!r} is no number")
    for low, high in (("xmin", "xmax"), ("ymin", "ymax")):
        if box[low] > box[high]:
            raise ValueError(f"{what}: {low} {bndbox[low]} > {high} {bndbox[high]}")
    return list(box.values())


def voc_to_model_target(annotation: dict[str, Any], image_id: int) -> dict[str, Any]:
    """The detection dict of the shared target format from a parsed VOC annotation.

    Returns:
        ``"boxes"``: float32 ``Tensor[N, 4]``, ``(x1, y1, x2, y2)`` pixel edges (VOC's 1-based
        ``xmin``/``ymin`` minus one; ``xmax``/``ymax`` as is); ``"labels"``: int64
        ``Tensor[N]``, 1 + the index in :data:`VOC_CLASSES`; ``"difficult"``: bool
        ``Tensor[N]``; ``"image_id"``: ``image_id``.

    Raises:
        ValueError: an unknown class name, or a ``bndbox`` coordinate that is no finite
            number or a min above its max (naming the object's index and class).
    """
    objects = annotation["annotation"]["object"]
    boxes, labels = [], []
    for i, obj in enumerate(objects):
        name = obj.get("name", "")
        if name not in VOC_CLASSES:
            raise ValueError(f"unknown VOC class {name!r}; expected one of {VOC_CLASSES}")
        labels.append(VOC_CLASSES.index(name) + 1)
        boxes.append(_voc_box(obj["bndbox"], f"object {i} ({name})"))
    boxes_t = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    boxes_t[:, :2] -= 1
    return {
        "boxes": boxes_t,
        "labels": torch.tensor(labels, dtype=torch.int64),
        "difficult": torch.tensor(
            [obj.get("difficult") == "1" for obj in objects], dtype=torch.bool
        ),
        "image_id": image_id,
    }


class _VOCBase(VisionDataset):
    _SETS_FOLDER: str
    _TARGET_FOLDER: str
    _TARGET_SUFFIX: str

    def __init__(
        self,
        root: str | os.PathLike,
        year: str,
        image_set: str,
        download: bool,
        transforms: Callable | None,
        transform: Callable | None,
        target_transform: Callable | None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.year = check_choice(year, "year", tuple(YEARS))
        folder, trainval, test = YEARS[year]
        sets = ("train", "val", "trainval") + (("test",) if test else ())
        self.split = check_choice(image_set, "image_set", sets)
        self.voc_root = self.root / folder
        archive = test if image_set == "test" else trainval
        list_file = self.voc_root / "ImageSets" / self._SETS_FOLDER / f"{image_set}.txt"
        if download and not list_file.is_file():
            download_and_extract((archive,), self.root)
        hint = f"Pass download=True, or extract {archive.filename} in {self.root}."
        require_dir(self.voc_root, hint)
        ids = require_file(list_file, hint).read_text().split()
        self.images = [
            inside_root(self.voc_root / "JPEGImages", f"{i}.jpg", str(list_file)) for i in ids
        ]
        self.targets = [
            inside_root(
                self.voc_root / self._TARGET_FOLDER, f"{i}{self._TARGET_SUFFIX}", str(list_file)
            )
            for i in ids
        ]

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> list[str]:
        return [f"Year: {self.year}"]


class VOCSegmentation(_VOCBase):
    """`PASCAL VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_ semantic segmentation.

    Layout (what the official archives extract to)::

        root/VOCdevkit/VOC2012/JPEGImages/<id>.jpg
        root/VOCdevkit/VOC2012/SegmentationClass/<id>.png
        root/VOCdevkit/VOC2012/ImageSets/Segmentation/<image_set>.txt

    (``VOC<year>`` for the other years; 2011 extracts under ``TrainVal/VOCdevkit/VOC2011``.)
    The target is the palette PNG as a PIL image of mode ``"P"``: class indices, 0 is
    background, 255 the "void" border to ignore.

    Args:
        root: folder containing ``VOCdevkit``.
        year: ``"2007"`` to ``"2012"``.
        image_set: ``"train"``, ``"val"``, ``"trainval"``, or for 2007 also ``"test"``.
        download: fetch and extract the year's archive when the image set is missing.
        transform, target_transform, transforms: see :class:`VisionDataset`.
    """

    _SETS_FOLDER = "Segmentation"
    _TARGET_FOLDER = "SegmentationClass"
    _TARGET_SUFFIX = ".png"

    def __init__(
        self,
        root: str | os.PathLike,
        year: str = "2012",
        image_set: str = "train",
        download: bool = False,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, year, image_set, download, transforms, transform, target_transform)

    @property
    def masks(self) -> list[Path]:
        """The segmentation PNG of each sample (torchvision's name for :attr:`targets`)."""
        return self.targets

    def __getitem__(self, index: int) -> tuple[Any, Image.Image]:
        image = load_image(self.images[index])
        return self.apply_transforms(image, load_image(self.targets[index], mode=None))


class VOCDetection(_VOCBase):
    """`PASCAL VOC <http://host.robots.ox.ac.uk/pascal/VOC/>`_ object detection.

    Layout (what the official archives extract to)::

        root/VOCdevkit/VOC2012/JPEGImages/<id>.jpg
        root/VOCdevkit/VOC2012/Annotations/<id>.xml
        root/VOCdevkit/VOC2012/ImageSets/Main/<image_set>.txt

    Args:
        root: folder containing ``VOCdevkit``.
        year: ``"2007"`` to ``"2012"``.
        image_set: ``"train"``, ``"val"``, ``"trainval"``, or for 2007 also ``"test"``.
        download: fetch and extract the year's archive when the image set is missing.
        transform, target_transform, transforms: see :class:`VisionDataset`.
        target_format: ``"raw"``: the XML as nested dicts of strings (:func:`parse_voc_xml`,
            ``{"annotation": {"filename": ..., "size": ..., "object": [...]}}``); ``"model"``:
            the detection dict of :func:`voc_to_model_target` (boxes, labels 1..20, difficult
            flags, image_id = the sample's index), ready for a detection model;
            ``"tv_tensors"``: the model format typed for ``vdata.transforms.v2``, the image a
            uint8 :class:`vdata.tv_tensors.Image` and the boxes ``BoundingBoxes`` (XYXY, the
            image's size; see :func:`~vdata.datasets.model_target_to_tv_tensors`).
    """

    _SETS_FOLDER = "Main"
    _TARGET_FOLDER = "Annotations"
    _TARGET_SUFFIX = ".xml"

    def __init__(
        self,
        root: str | os.PathLike,
        year: str = "2012",
        image_set: str = "train",
        download: bool = False,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        target_format: str = "raw",
    ) -> None:
        super().__init__(root, year, image_set, download, transforms, transform, target_transform)
        self.target_format = check_choice(
            target_format, "target_format", ("raw", "model", "tv_tensors")
        )

    @property
    def annotations(self) -> list[Path]:
        """The annotation XML of each sample (torchvision's name for :attr:`targets`)."""
        return self.targets

    def parse_annotation(self, index: int) -> dict[str, Any]:
        """The raw annotation of sample ``index``."""
        path = self.targets[index]
        try:
            return parse_voc_xml(ET.parse(path).getroot())
        except FileNotFoundError:
            raise FileNotFoundError(f"annotation file not found: {path}") from None
        except ET.ParseError as err:
            raise ValueError(f"{path} is not valid XML: {err}") from None

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        image = load_image(self.images[index])
        target = self.parse_annotation(index)
        if self.target_format != "raw":
            try:
                target = voc_to_model_target(target, index)
            except KeyError as err:
                raise ValueError(f"{self.targets[index]}: an object has no {err} field") from None
            except ValueError as err:
                raise ValueError(f"{self.targets[index]}: {err}") from None
            if self.target_format == "tv_tensors":
                target = model_target_to_tv_tensors(target, (image.height, image.width))
                image = tv_tensors.Image(image)
        return self.apply_transforms(image, target)

    def extra_repr(self) -> list[str]:
        return [*super().extra_repr(), f"Target format: {self.target_format}"]
