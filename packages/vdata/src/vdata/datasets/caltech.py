"""Caltech 101 and Caltech 256, in the layout of their official archives."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import scipy.io
import torch

from ._download import RemoteFile, download_and_extract, google_drive
from ._io import as_target_types, load_image, require_dir, require_file
from .vision import VisionDataset

CALTECH101_FILES = (
    RemoteFile(
        "101_ObjectCategories.tar.gz",
        (
            google_drive("137RyRjvTBkBiIfeYBNZBtViDHQ6_Ewsp"),
            "http://www.vision.caltech.edu/Image_Datasets/Caltech101/101_ObjectCategories.tar.gz",
        ),
        md5="b224c7392d521a49829488ab0f1120d9",
    ),
    RemoteFile(
        "Annotations.tar",
        (
            google_drive("175kQy3UsZ0wUEHZjqkUDdNVssr7bgh_m"),
            "http://www.vision.caltech.edu/Image_Datasets/Caltech101/Annotations.tar",
        ),
        md5="6f83eeb1f24d99cab4eb377263132c91",
    ),
)
CALTECH256_FILES = (
    RemoteFile(
        "256_ObjectCategories.tar",
        (
            "https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar",
            google_drive("1r6o0pSROcV1_VwT4oSjA2FBUSCWGuxLK"),
            "http://www.vision.caltech.edu/Image_Datasets/Caltech256/256_ObjectCategories.tar",
        ),
        md5="67b4f42ca05d46448c6bb8ecd2220f6d",
    ),
)

# Four categories are spelled differently in Annotations/ than in 101_ObjectCategories/.
ANNOTATION_FOLDERS = {
    "Faces": "Faces_2",
    "Faces_easy": "Faces_3",
    "Motorbikes": "Motorbikes_16",
    "airplanes": "Airplanes_Side_2",
}
_DOWNLOAD_HINT = "Pass download=True, or extract the official archives there."


def _numbered_images(folder: Path, pattern: str) -> list[tuple[int, Path]]:
    """``(number, path)`` of the images in ``folder`` whose name matches ``pattern``, by number.

    The official folders hold a few stray files (``RENAME2``, ``greg/``) that are not samples.
    """
    regex = re.compile(pattern)
    found = []
    for entry in os.scandir(folder):
        match = regex.fullmatch(entry.name)
        if match and entry.is_file():
            found.append((int(match.group(1)), folder / entry.name))
    return sorted(found)


class Caltech101(VisionDataset):
    """`Caltech 101 <https://data.caltech.edu/records/mzrjq-6wc02>`_: 101 object categories.

    Layout (what the official archives extract to)::

        root/caltech101/101_ObjectCategories/<category>/image_0001.jpg
        root/caltech101/Annotations/<category>/annotation_0001.mat

    ``BACKGROUND_Google`` is not a category and is left out. Four categories have a differently
    named annotation folder (:data:`ANNOTATION_FOLDERS`). Images are returned in the file's own
    mode, as torchvision does: a few Caltech 101 images are greyscale (``"L"``); pass
    ``image_mode="RGB"`` to convert them.

    Args:
        root: folder containing ``caltech101``.
        target_type: one of the following or a list of them (the target is then a tuple in
            that order).

            - ``"category"``: ``int``, the index of the category in :attr:`categories`.
            - ``"annotation"``: float64 ``ndarray[2, K]``, the file's ``obj_contour`` as
              torchvision returns it: the outline's ``x`` (row 0) and ``y`` (row 1) in 1-based
              pixels relative to the box's top-left corner.
            - ``"box_contour"`` (vdata only): ``dict`` with ``"box"``, float32 ``Tensor[4]``,
              the object's box as ``(x1, y1, x2, y2)`` pixel edges (``box_coord`` is ``[top,
              bottom, left, right]`` in 1-based pixels, so ``x1 = left - 1``, ``x2 = right``),
              and ``"contour"``, float32 ``Tensor[K, 2]``, the outline's ``(x, y)`` points in
              0-based image coordinates.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch and extract the official archives when the images are missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.
        image_mode: a PIL mode to convert the images to (vdata only); None keeps the file's.

    Attributes:
        categories: ``list[str]``, the sorted category folder names.
        annotation_categories: ``list[str]``, the annotation folder of each category.
        y: ``list[int]``, the category of each sample; index: ``list[int]``, its file number.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        target_type: str | list[str] = "category",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
        image_mode: str | None = None,
    ) -> None:
        super().__init__(Path(root) / "caltech101", transforms, transform, target_transform)
        self.target_type = as_target_types(target_type, ("category", "annotation", "box_contour"))
        self.image_mode = image_mode
        image_root = self.root / "101_ObjectCategories"
        if download and not image_root.is_dir():
            download_and_extract(CALTECH101_FILES, self.root)
        require_dir(image_root, _DOWNLOAD_HINT)
        self.categories = sorted(
            entry.name
            for entry in os.scandir(image_root)
            if entry.is_dir() and entry.name != "BACKGROUND_Google"
        )
        self.annotation_categories = [ANNOTATION_FOLDERS.get(c, c) for c in self.categories]
        self.samples: list[tuple[Path, int, int]] = [
            (path, number, label)
            for label, category in enumerate(self.categories)
            for number, path in _numbered_images(image_root / category, r"image_(\d+)\.jpg")
        ]
        self.index = [number for _, number, _ in self.samples]
        self.y = [label for _, _, label in self.samples]

    def annotation_path(self, index: int) -> Path:
        """The ``.mat`` annotation file of sample ``index``."""
        _, number, label = self.samples[index]
        folder = self.annotation_categories[label]
        return self.root / "Annotations" / folder / f"annotation_{number:04d}.mat"

    def _target(self, kind: str, index: int) -> Any:
        if kind == "category":
            return self.samples[index][2]
        mat = scipy.io.loadmat(require_file(self.annotation_path(index)))
        if kind == "annotation":
            return mat["obj_contour"]
        top, bottom, left, right = (float(v) for v in mat["box_coord"].ravel()[:4])
        contour = torch.as_tensor(mat["obj_contour"], dtype=torch.float32).T
        return {
            "box": torch.tensor([left - 1, top - 1, right, bottom], dtype=torch.float32),
            "contour": contour + torch.tensor([left - 1, top - 1]),
        }

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = load_image(self.samples[index][0], mode=self.image_mode)
        targets = [self._target(kind, index) for kind in self.target_type]
        target = targets[0] if len(targets) == 1 else tuple(targets)
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return len(self.samples)

    def extra_repr(self) -> list[str]:
        return [f"Target type: {self.target_type}"]


class Caltech256(VisionDataset):
    """`Caltech 256 <https://data.caltech.edu/records/nyy15-4j048>`_: 256 object categories and
    clutter.

    Layout (what the official archive extracts to)::

        root/caltech256/256_ObjectCategories/001.ak47/001_0001.jpg

    As in torchvision, every category folder is a class, the clutter folder ``257.clutter``
    included (class 256); the target is the index of the category in :attr:`categories` (on the
    full dataset, the folder number minus one). Images keep the file's own mode, as in
    torchvision (``image_mode="RGB"`` converts the few greyscale ones).

    Args:
        root: folder containing ``caltech256``.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch and extract the official archive when the images are missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.
        image_mode: a PIL mode to convert the images to (vdata only); None keeps the file's.

    Attributes:
        categories: ``list[str]``, the category folder names, in order (``"001.ak47"``, ...).
        y: ``list[int]``, the category of each sample; index: ``list[int]``, its file number.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
        image_mode: str | None = None,
    ) -> None:
        super().__init__(Path(root) / "caltech256", transforms, transform, target_transform)
        self.image_mode = image_mode
        image_root = self.root / "256_ObjectCategories"
        if download and not image_root.is_dir():
            download_and_extract(CALTECH256_FILES, self.root)
        require_dir(image_root, _DOWNLOAD_HINT)
        self.categories = sorted(
            entry.name
            for entry in os.scandir(image_root)
            if entry.is_dir() and re.fullmatch(r"\d{3}\..+", entry.name)
        )
        self.samples: list[tuple[Path, int]] = [
            (path, label)
            for label, category in enumerate(self.categories)
            for _, path in _numbered_images(image_root / category, category[:3] + r"_(\d+)\.jpg")
        ]
        self.index = [int(path.stem[4:]) for path, _ in self.samples]
        self.y = [label for _, label in self.samples]

    def __getitem__(self, index: int) -> tuple[Any, int]:
        path, label = self.samples[index]
        return self.apply_transforms(load_image(path, mode=self.image_mode), label)

    def __len__(self) -> int:
        return len(self.samples)
