"""STL-10, in the layout of its official binary archive."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._download import RemoteFile, download_and_extract
from ._io import check_choice, require_file
from .vision import VisionDataset

_DOWNLOAD_HINT = "Pass download=True, or extract the official binary archive there."
_SIZE = 96
_NUM_CLASSES = 10
# The names class_names.txt holds, for a folder that lacks the file.
STL10_CLASSES = (
    "airplane",
    "bird",
    "car",
    "cat",
    "deer",
    "dog",
    "horse",
    "monkey",
    "ship",
    "truck",
)


def read_stl10_images(path: Path) -> np.ndarray:
    """The images of an STL-10 ``*_X.bin`` file as uint8 ``ndarray[N, 3, 96, 96]`` (CHW): a
    strided view of the file's bytes, not a contiguous copy.

    Raises:
        DatasetNotFoundError: the file is missing.
        ValueError: its size is no whole number of images.
    """
    raw = np.fromfile(require_file(path, _DOWNLOAD_HINT), dtype=np.uint8)
    image_bytes = 3 * _SIZE * _SIZE
    if raw.size % image_bytes:
        raise ValueError(
            f"{path}: {raw.size} bytes is no whole number of {image_bytes}-byte 96x96 RGB images"
        )
    # Each channel is stored column by column: the file's order is [image, channel, x, y].
    return raw.reshape(-1, 3, _SIZE, _SIZE).transpose(0, 1, 3, 2)


def read_stl10_labels(path: Path, count: int) -> np.ndarray:
    """The labels of an STL-10 ``*_y.bin`` file (one byte, 1 to 10, per image) as int64
    ``ndarray[count]`` from 0 to 9.

    Raises:
        DatasetNotFoundError: the file is missing.
        ValueError: it holds a label per image for other than ``count`` images, or a label
            outside 1 to 10.
    """
    raw = np.fromfile(require_file(path, _DOWNLOAD_HINT), dtype=np.uint8)
    if raw.size != count:
        raise ValueError(f"{path}: holds {raw.size} labels for {count} images")
    if count and not 1 <= raw.min() <= raw.max() <= _NUM_CLASSES:
        raise ValueError(f"{path}: labels must lie in 1 to 10, got {raw.min()} to {raw.max()}")
    return raw.astype(np.int64) - 1


def read_fold(path: Path, fold: int, count: int) -> np.ndarray:
    """The training-image indices of line ``fold`` of ``fold_indices.txt`` (0-based indices
    separated by spaces) as int64 ``ndarray``.

    Raises:
        DatasetNotFoundError: the file is missing.
        ValueError: the file has no such line, or it holds anything but indices below ``count``.
    """
    lines = require_file(path, _DOWNLOAD_HINT).read_text().splitlines()
    if fold >= len(lines):
        raise ValueError(f"{path}: has {len(lines)} lines, no fold {fold}")
    try:
        indices = np.array([int(word) for word in lines[fold].split()], dtype=np.int64)
    except ValueError as err:
        raise ValueError(f"{path}: line {fold + 1} must hold integers: {err}") from err
    if indices.size and not 0 <= indices.min() <= indices.max() < count:
        raise ValueError(f"{path}: fold {fold} indices must lie in [0, {count})")
    return indices


def _contiguous_concatenation(arrays: list[np.ndarray]) -> np.ndarray:
    # Into one C-ordered array (np.concatenate would keep the views' column order).
    out = np.empty((sum(len(a) for a in arrays), *arrays[0].shape[1:]), dtype=arrays[0].dtype)
    start = 0
    for array in arrays:
        out[start : start + len(array)] = array
        start += len(array)
    return out


def check_folds(folds: int | None) -> int | None:
    """``folds`` if it is None or an int from 0 to 9, else ValueError worded as torchvision
    words it."""
    if folds is None:
        return None
    # bool is an int subclass; torchvision takes True for fold 1, which is surely a mistake.
    if not isinstance(folds, int) or isinstance(folds, bool):
        raise ValueError(
            f"Expected type None or int for argument folds, but got type {type(folds)}."
        )
    if not 0 <= folds < 10:
        raise ValueError(
            f"Value for argument folds should be in the range [0, 10), but got {folds}."
        )
    return folds


class STL10(VisionDataset):
    """`STL-10 <https://cs.stanford.edu/~acoates/stl10/>`_: 96x96 colour images in 10 classes,
    5000 labelled for training (with 10 predefined folds of 1000), 8000 for testing and 100000
    unlabelled.

    Layout (what ``stl10_binary.tar.gz`` extracts to)::

        root/stl10_binary/train_X.bin, train_y.bin, test_X.bin, test_y.bin, unlabeled_X.bin,
                          class_names.txt, fold_indices.txt

    ``*_X.bin`` hold the images back to back, 3 x 96 x 96 bytes each, every channel stored
    column by column; ``*_y.bin`` one byte per image, the class from 1 to 10 (here 0 to 9);
    ``class_names.txt`` a class name per line; ``fold_indices.txt`` a line per fold of 0-based
    training-image indices. Only the files the split needs are read. torchvision checks every
    file's MD5 on construction; here the download is checked instead, and each file's size
    and labels as it is read.

    Args:
        root: folder containing ``stl10_binary``.
        split: ``"train"``, ``"test"``, ``"unlabeled"`` or ``"train+unlabeled"`` (the labelled
            training images, then the unlabelled ones).
        folds: 0 to 9 to keep only that fold of the training images, None for all of them.
            As in torchvision it is ignored for ``"test"`` and ``"unlabeled"``.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch and extract the official archive when a file the split needs is
            missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        data: uint8 ``ndarray[N, 3, 96, 96]``, the images in CHW order.
        labels: int64 ``ndarray[N]``, the class of each image, -1 for the unlabelled ones.
        classes: ``list[str]``, the names in ``class_names.txt`` (the official ten when the
            file is missing).
        split, folds: the arguments.
    """

    base_folder = "stl10_binary"
    archive = RemoteFile(
        "stl10_binary.tar.gz",
        ("http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",),
        md5="91f7769df0f17e558f3565bffb0c7dfb",
    )
    splits = ("train", "train+unlabeled", "unlabeled", "test")
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        folds: int | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.split = check_choice(split, "split", self.splits)
        self.folds = check_folds(folds)
        folder = self.root / self.base_folder
        if download and not all((folder / name).is_file() for name in self._needed_files()):
            download_and_extract((self.archive,), self.root)
        parts = []
        if split in ("train", "train+unlabeled"):
            parts.append(self._labelled("train"))
        if split == "test":
            parts.append(self._labelled("test"))
        if split in ("unlabeled", "train+unlabeled"):
            images = read_stl10_images(folder / "unlabeled_X.bin")
            parts.append((images, np.full(len(images), -1, dtype=np.int64)))
        # One part stays a view of the file's bytes, as torchvision's does (the unlabelled
        # images take 2.8 GB); two are copied once.
        self.data: np.ndarray = (
            parts[0][0] if len(parts) == 1 else _contiguous_concatenation([i for i, _ in parts])
        )
        self.labels: np.ndarray = np.concatenate([labels for _, labels in parts])
        self.classes = self._read_classes(folder / self.class_names_file)

    def _needed_files(self) -> list[str]:
        names = [self.class_names_file]
        if self.split in ("train", "train+unlabeled"):
            names += ["train_X.bin", "train_y.bin"]
            names += [self.folds_list_file] if self.folds is not None else []
        if self.split == "test":
            names += ["test_X.bin", "test_y.bin"]
        if self.split in ("unlabeled", "train+unlabeled"):
            names.append("unlabeled_X.bin")
        return names

    def _labelled(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        folder = self.root / self.base_folder
        images = read_stl10_images(folder / f"{part}_X.bin")
        labels = read_stl10_labels(folder / f"{part}_y.bin", len(images))
        if part == "train" and self.folds is not None:
            keep = read_fold(folder / self.folds_list_file, self.folds, len(images))
            images, labels = images[keep], labels[keep]
        return images, labels

    @staticmethod
    def _read_classes(path: Path) -> list[str]:
        if not path.is_file():
            return list(STL10_CLASSES)
        return path.read_text().splitlines()

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL RGB image, class index)`` of sample ``index``; the class is -1 for an
        unlabelled image."""
        image = Image.fromarray(self.data[index].transpose(1, 2, 0))
        return self.apply_transforms(image, int(self.labels[index]))

    def __len__(self) -> int:
        return len(self.data)
