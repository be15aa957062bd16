"""MNIST and the datasets in its IDX format: Fashion-MNIST and Kuzushiji-MNIST."""

from __future__ import annotations

import gzip
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from ._download import RemoteFile, download
from ._io import DatasetNotFoundError, require_dir
from .vision import VisionDataset

# The IDX type codes (third byte of the magic number) and their big-endian numpy types.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """An IDX file (gzipped when its name ends in ``.gz``) as a tensor of its type and shape.

    The format: a magic number ``0x00 0x00 <type> <dims>``, one big-endian int32 size per
    dimension, then the values in row-major order, big-endian.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: a bad magic number or type, or a payload whose length is not what the
            sizes say; the message names ``path``.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ValueError(f"cannot read IDX file {path}: {err}") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is no IDX file: it does not start with 0x00 0x00 <type code>")
    dims = data[3]
    header = 4 + 4 * dims
    if len(data) < header:
        raise ValueError(f"{path}: the header of {dims} sizes is cut short")
    shape = tuple(int(size) for size in np.frombuffer(data, ">u4", count=dims, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = math.prod(shape) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: {len(data) - header} bytes of values, expected {expected} for shape {shape}"
        )
    values = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return torch.from_numpy(values.astype(dtype.newbyteorder("="), copy=True))


def _read_checked(path: Path, dims: int) -> torch.Tensor:
    values = read_idx(path)
    if values.dtype != torch.uint8 or values.dim() != dims:
        raise ValueError(
            f"{path} holds {values.dtype} values of {values.dim()} dimensions, expected uint8 "
            f"values of {dims}"
        )
    return values


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_: 70000 28x28 greyscale handwritten
    digits, 60000 for training and 10000 for testing.

    Layout (torchvision's: the official files in a folder named after the class)::

        root/MNIST/raw/train-images-idx3-ubyte, train-labels-idx1-ubyte,
                       t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte

    Each file may also be there gzipped only (``<name>.gz``, as downloaded), and is then read
    from the archive directly. ``download=True`` fetches the gzipped files, checked against
    their published MD5, from the first mirror that answers.

    Args:
        root: folder containing ``MNIST`` (the class's name).
        train: the training set, else the test set.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch the files when they are missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        data: uint8 ``Tensor[N, 28, 28]``; targets: int64 ``Tensor[N]``.
        classes: ``list[str]``; ``class_to_idx`` maps each name to its index.
    """

    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    resources = (
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    )
    classes: ClassVar[list[str]] = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

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
        if download:
            self.download()
        require_dir(self.raw_folder, "Pass download=True, or put the official files there.")
        prefix = "train" if train else "t10k"
        self.data = _read_checked(self._find(f"{prefix}-images-idx3-ubyte"), 3)
        self.targets = _read_checked(self._find(f"{prefix}-labels-idx1-ubyte"), 1).long()
        if len(self.data) != len(self.targets):
            raise ValueError(
                f"{self.raw_folder}: {len(self.data)} {prefix} images but {len(self.targets)} "
                "labels"
            )

    @property
    def raw_folder(self) -> Path:
        """``root/<class name>/raw``, where the files are."""
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}

    def _find(self, name: str) -> Path:
        """The file ``name`` in the raw folder, else its gzipped download."""
        for path in (self.raw_folder / name, self.raw_folder / f"{name}.gz"):
            if path.is_file():
                return path
        raise DatasetNotFoundError(
            f"dataset file not found: {self.raw_folder / name} (nor {name}.gz). Pass "
            "download=True, or put the official files there."
        )

    def download(self) -> None:
        """Fetch the files that are in the raw folder neither plain nor gzipped."""
        for filename, md5 in self.resources:
            plain = self.raw_folder / filename.removesuffix(".gz")
            if plain.is_file() or (self.raw_folder / filename).is_file():
                continue
            urls = tuple(mirror + filename for mirror in self.mirrors)
            download(RemoteFile(filename, urls, md5=md5), self.raw_folder)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL "L" image, class index)`` of sample ``index``."""
        image = Image.fromarray(self.data[index].numpy())
        return self.apply_transforms(image, int(self.targets[index]))

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> list[str]:
        return [f"Split: {'Train' if self.train else 'Test'}"]


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_: Zalando's article
    images in MNIST's format and sizes, 10 classes of clothing; layout ``root/FashionMNIST/raw``
    (see :class:`MNIST`)."""

    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    resources = (
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    )
    classes: ClassVar[list[str]] = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


class KMNIST(MNIST):
    """`Kuzushiji-MNIST <https://github.com/rois-codh/kmnist>`_: 10 classes of cursive
    Japanese characters in MNIST's format and sizes; layout ``root/KMNIST/raw`` (see
    :class:`MNIST`)."""

    mirrors = ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",)
    resources = (
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    )
    classes: ClassVar[list[str]] = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
