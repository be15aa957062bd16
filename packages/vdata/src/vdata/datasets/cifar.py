"""CIFAR-10 and CIFAR-100, in the layout of their official python archives."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ._download import RemoteFile, download_and_extract
from ._io import require_dir, require_file
from .vision import VisionDataset

_DOWNLOAD_HINT = "Pass download=True, or extract the official python archive there."
# What pickling a dict of numpy arrays and lists refers to, under numpy 1 and 2 and protocols
# 2 to 5; anything else a batch file names is refused rather than imported.
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),
}


class _ArrayUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays, lists, dicts and strings and nothing else: a
    batch file cannot run code."""

    def __init__(self, file: Any) -> None:
        super().__init__(file, encoding="latin1")

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"it refers to {module}.{name}, and a CIFAR file holds only numpy arrays, lists"
                " and strings"
            )
        return super().find_class(module, name)


def load_batch(path: Path) -> dict[str, Any]:
    """One pickled CIFAR file (a batch or the meta file) as a dict, read without running code.

    Raises:
        DatasetNotFoundError: the file is missing.
        ValueError: the file is no pickled dict, or refers to anything but numpy arrays.
    """
    with open(require_file(path, _DOWNLOAD_HINT), "rb") as file:
        try:
            entry = _ArrayUnpickler(file).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
            raise ValueError(f"cannot read CIFAR file {path}: {err}") from err
    if not isinstance(entry, dict):
        raise ValueError(f"{path} holds a {type(entry).__name__}, expected a dict")
    return entry


class CIFAR10(VisionDataset):
    """`CIFAR-10 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: 60000 32x32 colour images in
    10 classes, 50000 for training (five batches) and 10000 for testing.

    Layout (what ``cifar-10-python.tar.gz`` extracts to)::

        root/cifar-10-batches-py/data_batch_1 .. data_batch_5, test_batch, batches.meta

    The batches are Python pickles of ``{"data": uint8 ndarray[N, 3072], "labels": [int]}``
    (channel-major rows of 32x32 pixels). They are read without running code: a file that
    names anything but numpy's array builders is refused. torchvision checks each file's MD5
    on construction; here the download is checked instead, and every file's shape and labels
    are checked as it is read.

    Args:
        root: folder containing ``cifar-10-batches-py``.
        train: the five training batches, else the test batch.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch and extract the official archive when the batches are missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        data: uint8 ``ndarray[N, 32, 32, 3]``, the images in HWC order.
        targets: ``list[int]``, the class of each image.
        classes: ``list[str]``, the class names from the meta file; ``class_to_idx`` maps them
            to their index.
    """

    base_folder = "cifar-10-batches-py"
    archive = RemoteFile(
        "cifar-10-python.tar.gz",
        ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
        md5="c58f30108f718f92721af3b95e74349a",
    )
    train_files = tuple(f"data_batch_{i}" for i in range(1, 6))
    test_files = ("test_batch",)
    meta_file, meta_key, label_key = "batches.meta", "label_names", "labels"

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.train = train
        folder = self.root / self.base_folder
        if download and not folder.is_dir():
            download_and_extract((self.archive,), self.root)
        require_dir(folder, _DOWNLOAD_HINT)
        meta = load_batch(folder / self.meta_file)
        classes = meta.get(self.meta_key)
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            meta_path = folder / self.meta_file
            raise ValueError(f"{meta_path}: {self.meta_key!r} must be a list of class names")
        self.classes: list[str] = classes
        self.class_to_idx = {name: index for index, name in enumerate(classes)}
        images, self.targets = [], []
        for name in self.train_files if train else self.test_files:
            batch_images, batch_targets = self._read_batch(folder / name)
            images.append(batch_images)
            self.targets += batch_targets
        self.data: np.ndarray = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)

    def _read_batch(self, path: Path) -> tuple[np.ndarray, list[int]]:
        entry = load_batch(path)
        data, labels = entry.get("data"), entry.get(self.label_key)
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
            raise ValueError(f"{path}: 'data' must be a uint8 ndarray[N, 3072]")
        if data.shape[1] != 3 * 32 * 32:
            raise ValueError(f"{path}: 'data' rows hold {data.shape[1]} values, expected 3072")
        if not isinstance(labels, list) or len(labels) != len(data):
            raise ValueError(
                f"{path}: {self.label_key!r} must be a list of one label per image "
                f"({len(data)} images)"
            )
        labels = [int(label) for label in labels]
        if labels and not 0 <= min(labels) <= max(labels) < len(self.classes):
            raise ValueError(
                f"{path}: labels must lie in [0, {len(self.classes)}), got {min(labels)} to "
                f"{max(labels)}"
            )
        return data, labels

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL RGB image, class index)`` of sample ``index``."""
        return self.apply_transforms(Image.fromarray(self.data[index]), self.targets[index])

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> list[str]:
        return [f"Split: {'Train' if self.train else 'Test'}"]


class CIFAR100(CIFAR10):
    """`CIFAR-100 <https://www.cs.toronto.edu/~kriz/cifar.html>`_: as :class:`CIFAR10` with
    100 classes (the "fine" labels), one training file and one test file.

    Layout (what ``cifar-100-python.tar.gz`` extracts to)::

        root/cifar-100-python/train, test, meta
    """

    base_folder = "cifar-100-python"
    archive = RemoteFile(
        "cifar-100-python.tar.gz",
        ("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",),
        md5="eb9058c3a382ffc7106e4002c42a8d85",
    )
    train_files = ("train",)
    test_files = ("test",)
    meta_file, meta_key, label_key = "meta", "fine_label_names", "fine_labels"
