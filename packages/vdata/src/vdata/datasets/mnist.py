"""MNIST and the datasets in its IDX format: Fashion-MNIST, Kuzushiji-MNIST, EMNIST and
QMNIST."""

from __future__ import annotations

import gzip
import lzma
import math
import os
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from PIL import Image

from ._download import RemoteFile, download, download_and_extract
from ._io import DatasetNotFoundError, check_choice, require_dir
from .vision import VisionDataset

# The IDX type codes (third byte of the magic number) and their big-endian numpy types.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> torch.Tensor:
    """An IDX file (compressed when its name ends in ``.gz`` or ``.xz``) as a tensor of its
    type and shape.

    The format: a magic number ``0x00 0x00 <type> <dims>``, one big-endian int32 size per
    dimension, then the values in row-major order, big-endian.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: a bad magic number or type, or a payload whose length is not what the
            sizes say; the message names ``path``.
    """
    path = Path(path)
    opener = {".gz": gzip.open, ".xz": lzma.open}.get(path.suffix, open)
    try:
        with opener(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError, lzma.LZMAError) as err:
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


def _read_checked(path: Path, dims: int, dtype: torch.dtype = torch.uint8) -> torch.Tensor:
    values = read_idx(path)
    if values.dtype != dtype or values.dim() != dims:
        raise ValueError(
            f"{path} holds {values.dtype} values of {values.dim()} dimensions, expected "
            f"{dtype} values of {dims}"
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
        self.data, self.targets = self._load_data()

    def _file_names(self) -> tuple[str, str]:
        """The names of the images' and the labels' files, without a compression suffix."""
        prefix = "train" if self.train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _load_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        images_name, labels_name = self._file_names()
        images = _read_checked(self._find(images_name), 3)
        labels = _read_checked(self._find(labels_name), 1).long()
        _check_counts(self.raw_folder, images, labels)
        return images, labels

    @property
    def raw_folder(self) -> Path:
        """``root/<class name>/raw``, where the files are."""
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}

    # Where a file may be besides its plain name: compressed as downloaded, or in the folder
    # EMNIST's zip archive extracts to.
    _compressed = (".gz", ".xz")

    def _find(self, name: str) -> Path:
        """The file ``name`` in the raw folder, else as downloaded (compressed)."""
        candidates = [self.raw_folder / name]
        candidates += [self.raw_folder / f"{name}{suffix}" for suffix in self._compressed]
        candidates.append(self.raw_folder / "gzip" / f"{name}.gz")
        for path in candidates:
            if path.is_file():
                return path
        raise DatasetNotFoundError(
            f"dataset file not found: {self.raw_folder / name} (nor {name}.gz, .xz or "
            f"gzip/{name}.gz). Pass download=True, or put the official files there."
        )

    def _has(self, name: str) -> bool:
        try:
            self._find(name)
        except DatasetNotFoundError:
            return False
        return True

    def download(self) -> None:
        """Fetch the files that are in the raw folder neither plain nor compressed."""
        for filename, md5 in self.resources:
            if self._has(filename.removesuffix(".gz")):
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


def _check_counts(folder: Path, images: torch.Tensor, labels: torch.Tensor) -> None:
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")


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


_EMNIST_MERGED = set("cijklmopsuvwxyz")  # letters whose two cases EMNIST's merged splits join
_EMNIST_ALL = sorted(string.digits + string.ascii_letters)


class EMNIST(MNIST):
    """`EMNIST <https://www.nist.gov/itl/products-and-services/emnist-dataset>`_: NIST's
    handwritten digits and letters in MNIST's format, in six splits.

    Layout: ``root/EMNIST/raw/emnist-<split>-{train,test}-{images-idx3,labels-idx1}-ubyte``,
    each plain, gzipped, or in the ``gzip/`` folder the official ``gzip.zip`` extracts to
    (``download=True`` fetches and extracts that archive, 562 MB). The images are stored
    transposed, and returned as stored, as torchvision does.

    Args:
        root: folder containing ``EMNIST``.
        split: ``"byclass"`` (62 classes), ``"bymerge"`` and ``"balanced"`` (47: the letters
            whose cases look alike merged), ``"letters"`` (26, labels 1 to 26; class 0 is
            ``"N/A"``), ``"digits"`` or ``"mnist"`` (10).
        train, transform, target_transform, download, transforms: see :class:`MNIST`.

    Attributes:
        classes: the split's class names (instance attribute).
    """

    archive = RemoteFile(
        "gzip.zip",
        ("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",),
        md5="58c8d27c78d21e728a6bc7b3cc06412e",
    )
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict: ClassVar[dict[str, list[str]]] = {
        "byclass": _EMNIST_ALL,
        "bymerge": [c for c in _EMNIST_ALL if c not in _EMNIST_MERGED],
        "balanced": [c for c in _EMNIST_ALL if c not in _EMNIST_MERGED],
        "letters": ["N/A", *string.ascii_lowercase],
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root: str | os.PathLike, split: str, **kwargs: Any) -> None:
        self.split = check_choice(split, "split", self.splits)
        self.classes = self.classes_split_dict[split]
        super().__init__(root, **kwargs)

    def _file_names(self) -> tuple[str, str]:
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def download(self) -> None:
        """Fetch and extract the official archive unless the split's files are there."""
        if not all(self._has(name) for name in self._file_names()):
            download_and_extract((self.archive,), self.raw_folder)


class QMNIST(MNIST):
    """`QMNIST <https://github.com/facebookresearch/qmnist>`_: MNIST's images traced back to
    NIST, with 60000 more test images and each image's NIST metadata.

    Layout: ``root/QMNIST/raw/qmnist-{train,test}-images-idx3-ubyte``,
    ``qmnist-{train,test}-labels-idx2-int`` and ``xnist-{images-idx3-ubyte,labels-idx2-int}``,
    each plain or as downloaded (``.gz``; ``.xz`` for the ``xnist`` files). A label row holds 8
    int32: class, NIST series (hsf), writer, digit index, NIST class, global index, duplicate
    and unused.

    Args:
        root: folder containing ``QMNIST``.
        what: ``"train"``, ``"test"`` (60000 images), ``"test10k"`` (the first 10000 of the
            test set, MNIST's test set), ``"test50k"`` (the other 50000) or ``"nist"`` (all
            402953 NIST digits); default ``"train"`` or ``"test"`` as ``train`` says.
        compat: targets are class indices (as MNIST's), else the whole int64 ``Tensor[8]`` row.
        train, transform, target_transform, download, transforms: see :class:`MNIST`.
    """

    subsets: ClassVar[dict[str, str]] = {
        "train": "train",
        "test": "test",
        "test10k": "test",
        "test50k": "test",
        "nist": "nist",
    }
    _base_url = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    qmnist_resources: ClassVar[dict[str, tuple[tuple[str, str], tuple[str, str]]]] = {
        "train": (
            ("qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
            ("qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4"),
        ),
        "test": (
            ("qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
            ("qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa"),
        ),
        "nist": (
            ("xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
            ("xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d"),
        ),
    }
    # The test files hold MNIST's 10000 test images first, then the 50000 others.
    _test_parts: ClassVar[dict[str, slice]] = {
        "test10k": slice(0, 10000),
        "test50k": slice(10000, None),
    }

    def __init__(
        self,
        root: str | os.PathLike,
        what: str | None = None,
        compat: bool = True,
        train: bool = True,
        **kwargs: Any,
    ) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = check_choice(what, "what", tuple(self.subsets))
        self.compat = compat
        super().__init__(root, train, **kwargs)

    def _file_names(self) -> tuple[str, str]:
        images, labels = self.qmnist_resources[self.subsets[self.what]]
        return Path(images[0]).stem, Path(labels[0]).stem

    def _load_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        images_name, labels_name = self._file_names()
        images = _read_checked(self._find(images_name), 3)
        labels = _read_checked(self._find(labels_name), 2, torch.int32).long()
        _check_counts(self.raw_folder, images, labels)
        part = self._test_parts.get(self.what, slice(None))
        return images[part].clone(), labels[part].clone()

    def download(self) -> None:
        """Fetch the files of ``what`` that are not there."""
        for filename, md5 in self.qmnist_resources[self.subsets[self.what]]:
            if not self._has(Path(filename).stem):
                url = self._base_url + filename
                download(RemoteFile(filename, (url,), md5=md5), self.raw_folder)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL "L" image, target)``: the class index with ``compat``, else the label row."""
        image = Image.fromarray(self.data[index].numpy())
        row = self.targets[index]
        return self.apply_transforms(image, int(row[0]) if self.compat else row)

    def extra_repr(self) -> list[str]:
        return [f"Split: {self.what}"]
