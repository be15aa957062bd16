"""CelebA, the aligned-and-cropped face images with their attribute and landmark lists."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ._download import RemoteFile, download_and_extract, google_drive
from ._io import (
    DatasetArgumentError,
    check_choice,
    inside_root,
    load_image,
    require_dir,
    require_file,
)
from .vision import VisionDataset

# The official Google Drive folder; it often answers with a quota page (detected as HTML).
CELEBA_FILES = tuple(
    RemoteFile(name, (google_drive(file_id),), md5=md5)
    for file_id, md5, name in (
        (
            "0B7EVK8r0v71pZjFTYXZWM3FlRnM",
            "00d2c5bc6d35e252742224ab0c1e8fcb",
            "img_align_celeba.zip",
        ),
        (
            "0B7EVK8r0v71pblRyaVFSWGxPY0U",
            "75e246fa4810816ffd6ee81facbd244c",
            "list_attr_celeba.txt",
        ),
        (
            "1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS",
            "32bd1bd63d3c78cd57e08160ec5ed1e2",
            "identity_CelebA.txt",
        ),
        (
            "0B7EVK8r0v71pbThiMVRxWXZ4dU0",
            "00566efa6fedff7a56946cd1c10f1c16",
            "list_bbox_celeba.txt",
        ),
        (
            "0B7EVK8r0v71pd0FJY3Blby1HUTQ",
            "cc24ecafdb5b50baae59b03474781f8c",
            "list_landmarks_align_celeba.txt",
        ),
        (
            "0B7EVK8r0v71pY0NSMzRuSXJEVkk",
            "d32c9cbf5e040fd4025c592c306e6668",
            "list_eval_partition.txt",
        ),
    )
)
SPLITS = {"train": 0, "valid": 1, "test": 2, "all": None}
TARGET_TYPES = ("attr", "identity", "bbox", "landmarks")
_HINT = (
    "Pass download=True, or place img_align_celeba.zip (extracted) and the list_*.txt and "
    "identity_CelebA.txt files there."
)


class _Table:
    """A CelebA list file: one row of integers per image file name."""

    def __init__(self, path: Path, has_header: bool) -> None:
        # Files with a header start with the row count, then the column names; the bbox file
        # names its first column (image_id), the others do not.
        text = require_file(path, _HINT).read_text().splitlines()
        lines = [parts for parts in (line.split() for line in text) if parts]
        self.header: list[str] = []
        first_row = 1
        if has_header:
            if len(lines) < 2 or not lines[0][0].isdigit():
                raise ValueError(f"{path}: expected a row count and a header line at the top")
            count, self.header, lines, first_row = int(lines[0][0]), lines[1], lines[2:], 3
            if count != len(lines):
                raise ValueError(f"{path}: header announces {count} rows, found {len(lines)}")
            # torchvision splits the header on single spaces after leading ones, so the
            # official attribute header's trailing space gives a last, empty name.
            if text[1].endswith(" "):
                self.header = [*self.header, ""]
        value_columns = [name for name in self.header if name not in ("image_id", "")]
        width = len(value_columns) if has_header else 1
        rows = []
        for number, parts in enumerate(lines, start=first_row):
            try:
                if len(parts) != width + 1:
                    raise ValueError(f"expected a file name and {width} values, got {parts}")
                rows.append([int(v) for v in parts[1:]])
            except ValueError as err:
                raise ValueError(f"{path}, line {number}: {err}") from None
        self.names = [parts[0] for parts in lines]
        self.values = torch.tensor(rows, dtype=torch.int64).reshape(len(rows), width)
        self.path = path

    def rows_for(self, names: list[str]) -> Tensor:
        """The rows of ``names``, in that order."""
        if names == self.names:
            return self.values
        index = {name: i for i, name in enumerate(self.names)}
        missing = [name for name in names if name not in index]
        if missing:
            raise ValueError(f"{self.path} has no row for {missing[0]} ({len(missing)} missing)")
        return self.values[[index[name] for name in names]]


class CelebA(VisionDataset):
    """`CelebA <https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html>`_ aligned and cropped faces.

    Layout::

        root/celeba/img_align_celeba/000001.jpg
        root/celeba/list_eval_partition.txt      file name, split (0 train, 1 valid, 2 test)
        root/celeba/identity_CelebA.txt          file name, identity
        root/celeba/list_attr_celeba.txt         count, 40 names, file name and -1/1 per name
        root/celeba/list_bbox_celeba.txt         count, header, file name, x, y, width, height
        root/celeba/list_landmarks_align_celeba.txt  count, header, file name, 10 coordinates

    Rows are matched to images by file name, not by line number. Samples and attributes are
    those of torchvision's ``CelebA``.

    Args:
        root: folder containing ``celeba``.
        split: ``"train"``, ``"valid"``, ``"test"`` or ``"all"`` (in any letter case).
        target_type: one of the following or a list of them (the target is then a tuple in
            that order; an empty list gives ``None``):

            - ``"attr"``: int64 ``Tensor[40]`` of 0/1 (the file's -1 becomes 0), in the order of
              :attr:`attr_names`.
            - ``"identity"``: int64 ``Tensor[]`` (0-dimensional, as in torchvision), the person.
            - ``"bbox"``: int64 ``Tensor[4]``, ``(x, y, width, height)``. These refer to the
              original in-the-wild photos, not to the aligned crops returned here.
            - ``"landmarks"``: int64 ``Tensor[10]``, ``(x, y)`` of the left eye, right eye,
              nose, left and right mouth corners, in the aligned crops.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch the files from the official Google Drive when some are missing.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Raises:
        ValueError: an unknown ``split`` or ``target_type`` (torchvision's type; it rejects a
            target type only when a sample is read, vdata at once).
        DatasetArgumentError: a ``target_transform`` with an empty ``target_type`` (also the
            ``RuntimeError`` torchvision raises).
        DatasetNotFoundError: missing files (also the ``RuntimeError`` torchvision raises).

    Attributes:
        base_folder: ``"celeba"``, the folder under ``root``.
        filename: ``list[str]``, the image file names of the split.
        attr: int64 ``Tensor[N, 40]`` of 0/1; identity: int64 ``Tensor[N, 1]``; bbox: int64
            ``Tensor[N, 4]``; landmarks_align: int64 ``Tensor[N, 10]``.
        attr_names: ``list[str]``, the attribute names as torchvision reads them from the
            header (the official header's trailing space adds a last, empty name).
    """

    base_folder = "celeba"

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        target_type: str | list[str] = "attr",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.split = check_choice(
            split.lower() if isinstance(split, str) else split, "split", tuple(SPLITS)
        )
        self.target_type = [target_type] if isinstance(target_type, str) else list(target_type)
        for kind in self.target_type:
            if kind not in TARGET_TYPES:
                raise ValueError(
                    f'Target type "{kind}" is not recognized: target_type must be one of '
                    f"{TARGET_TYPES} or a list of them, got {target_type!r}"
                )
        if not self.target_type and target_transform is not None:
            raise DatasetArgumentError(
                "target_transform is specified but target_type is empty: there is no target "
                "to transform"
            )
        folder = self.root / self.base_folder
        self.image_dir = folder / "img_align_celeba"
        if download and not self._complete():
            download_and_extract(CELEBA_FILES, folder)
        require_dir(self.image_dir, _HINT)

        partition = _Table(folder / "list_eval_partition.txt", has_header=False)
        names, code = partition.names, SPLITS[self.split]
        keep = (
            partition.values[:, 0] == code
            if code is not None
            else torch.ones(len(names), dtype=torch.bool)
        )
        self.filename = [name for name, k in zip(names, keep.tolist(), strict=True) if k]
        identity = _Table(folder / "identity_CelebA.txt", has_header=False)
        attr = _Table(folder / "list_attr_celeba.txt", has_header=True)
        bbox = _Table(folder / "list_bbox_celeba.txt", has_header=True)
        landmarks = _Table(folder / "list_landmarks_align_celeba.txt", has_header=True)
        self.attr_names = attr.header
        self.identity = identity.rows_for(names)[keep]
        self.attr = (attr.rows_for(names)[keep] + 1) // 2
        self.bbox = bbox.rows_for(names)[keep]
        self.landmarks_align = landmarks.rows_for(names)[keep]

    def _complete(self) -> bool:
        return self.image_dir.is_dir() and all(
            (self.root / self.base_folder / file.filename).is_file()
            for file in CELEBA_FILES
            if not file.filename.endswith(".zip")
        )

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        source = self.root / self.base_folder / "list_eval_partition.txt"
        path = inside_root(self.image_dir, self.filename[index], str(source))
        image = load_image(path, mode=None)  # the file's mode, as in torchvision
        targets = [self._target(kind, index) for kind in self.target_type]
        target = None if not targets else targets[0] if len(targets) == 1 else tuple(targets)
        return self.apply_transforms(image, target)

    def _target(self, kind: str, index: int) -> Tensor:
        if kind == "identity":
            return self.identity[index, 0]
        table = {"attr": self.attr, "bbox": self.bbox, "landmarks": self.landmarks_align}[kind]
        return table[index, :]

    def __len__(self) -> int:
        return len(self.filename)

    def extra_repr(self) -> list[str]:
        return [f"Target type: {self.target_type}"]
