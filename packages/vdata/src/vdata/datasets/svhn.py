"""SVHN, the Street View House Numbers, in the layout of its official cropped-digit files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.io
from PIL import Image

from ._download import RemoteFile, download_and_extract
from ._io import check_choice, require_file
from .vision import VisionDataset

_DOWNLOAD_HINT = "Pass download=True, or put the official .mat file there."
_URL = "http://ufldl.stanford.edu/housenumbers/"


def load_svhn_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of one SVHN ``.mat`` file, checked.

    Returns:
        ``(data, labels)``: uint8 ``ndarray[N, 3, 32, 32]`` (CHW) and int64 ``ndarray[N]``
        with the file's label 10 (the digit 0) mapped to 0.

    Raises:
        DatasetNotFoundError: the file is missing.
        ValueError: the file is no MATLAB file, or its ``X`` or ``y`` has the wrong shape,
            type or values; the message names the file.
    """
    require_file(path, _DOWNLOAD_HINT)
    try:
        mat = scipy.io.loadmat(path)
    except (ValueError, TypeError, NotImplementedError, OSError) as err:
        # NotImplementedError: a v7.3 (HDF5) file, which scipy does not read.
        raise ValueError(f"cannot read SVHN file {path}: {err}") from err
    images, labels = mat.get("X"), mat.get("y")
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 4:
        raise ValueError(f"{path}: 'X' must be a uint8 array[32, 32, 3, N]")
    if images.shape[:3] != (32, 32, 3):
        raise ValueError(f"{path}: 'X' has shape {images.shape}, expected (32, 32, 3, N)")
    count = images.shape[3]
    if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "uif":
        raise ValueError(f"{path}: 'y' must be a numeric array of one label per image")
    if labels.size != count or labels.ndim > 2 or (labels.ndim == 2 and 1 not in labels.shape):
        raise ValueError(f"{path}: 'y' has shape {labels.shape}, expected ({count}, 1)")
    labels = labels.reshape(-1)
    if count and not ((labels >= 1) & (labels <= 10) & (labels == labels.round())).all():
        raise ValueError(f"{path}: labels must be whole numbers from 1 to 10")
    labels = labels.astype(np.int64)
    labels[labels == 10] = 0
    # X is indexed [row, column, channel, image].
    return np.ascontiguousarray(images.transpose(3, 2, 0, 1)), labels


class SVHN(VisionDataset):
    """`SVHN <http://ufldl.stanford.edu/housenumbers/>`_: 32x32 colour crops of house-number
    digits, 73257 for training, 26032 for testing and 531131 extra (easier) training images.

    Layout (the official "format 2" files, one per split)::

        root/train_32x32.mat, test_32x32.mat, extra_32x32.mat

    Each file is a MATLAB (v5) file holding ``X``, uint8 ``[32, 32, 3, N]``, and ``y``,
    ``[N, 1]`` labels from 1 to 10, where 10 stands for the digit 0. As in torchvision the
    digit 0 gets label 0 here, so labels run from 0 to 9 and equal the digit. torchvision
    checks the file's MD5 on construction; here the download is checked instead, and the
    arrays' shapes, types and labels as the file is read.

    Args:
        root: folder containing the ``.mat`` files.
        split: ``"train"``, ``"test"`` or ``"extra"``.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch the split's file when it is missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        data: uint8 ``ndarray[N, 3, 32, 32]``, the images in CHW order.
        labels: int64 ``ndarray[N]``, the digit of each image (0 to 9).
        split: the split read.
    """

    files: ClassVar[dict[str, RemoteFile]] = {
        split: RemoteFile(f"{split}_32x32.mat", (f"{_URL}{split}_32x32.mat",), md5=md5)
        for split, md5 in (
            ("train", "e26dedcc434d2e4c54c9b2d4a06d8373"),
            ("test", "eb5a983be6a315427106f1b164d9cef3"),
            ("extra", "a93ce644f1a588dc4d68dda5feec44a7"),
        )
    }

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.split = check_choice(split, "split", tuple(self.files))
        file = self.files[split]
        self.filename = file.filename
        if download and not (self.root / file.filename).is_file():
            download_and_extract((file,), self.root)
        self.data, self.labels = load_svhn_mat(self.root / file.filename)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL RGB image, digit)`` of sample ``index``."""
        image = Image.fromarray(self.data[index].transpose(1, 2, 0))
        return self.apply_transforms(image, int(self.labels[index]))

    def __len__(self) -> int:
        return len(self.data)
