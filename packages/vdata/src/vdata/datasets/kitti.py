"""KITTI's object detection benchmark ("left color images of object"), in its archives'
layout."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._download import RemoteFile, download_and_extract
from ._io import load_image, require_dir, require_file
from .vision import VisionDataset

_DOWNLOAD_HINT = "Pass download=True, or extract the official archives there."
# The columns of a label line: type, truncated, occluded, alpha, bbox (4), dimensions (3),
# location (3), rotation_y. Result files add a 16th, the score.
_LABEL_COLUMNS = 15


def parse_kitti_labels(path: Path) -> list[dict[str, Any]]:
    """The objects of one KITTI label file, as torchvision returns them: a dict per line with
    ``type`` (str), ``truncated`` (float), ``occluded`` (int), ``alpha`` (float), ``bbox``
    (4 floats: left, top, right, bottom pixels), ``dimensions`` (height, width, length in
    metres), ``location`` (x, y, z in camera coordinates) and ``rotation_y`` (float).

    Raises:
        ValueError: a line with too few columns or a value that is no number, naming the file
            and the line.
    """
    objects = []
    for number, line in enumerate(require_file(path).read_text().splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < _LABEL_COLUMNS:
            raise ValueError(
                f"{path}, line {number}: {len(fields)} columns, expected {_LABEL_COLUMNS}"
            )
        try:
            values = [float(field) for field in fields[1:_LABEL_COLUMNS]]
            occluded = int(fields[2])
        except ValueError as err:
            raise ValueError(f"{path}, line {number}: {err}") from err
        objects.append(
            {
                "type": fields[0],
                "truncated": values[0],
                "occluded": occluded,
                "alpha": values[2],
                "bbox": values[3:7],
                "dimensions": values[7:10],
                "location": values[10:13],
                "rotation_y": values[13],
            }
        )
    return objects


class Kitti(VisionDataset):
    """`KITTI <https://www.cvlibs.net/datasets/kitti/eval_object.php>`_ object detection: 7481
    training images with labels, 7518 test images without.

    Layout (torchvision's: what ``data_object_image_2.zip`` and ``data_object_label_2.zip``
    extract to, in a folder named after the class)::

        root/Kitti/raw/training/image_2/000000.png, training/label_2/000000.txt
        root/Kitti/raw/testing/image_2/000000.png

    Images are listed in file-name order (torchvision lists them in the order the file system
    returns them, which differs between machines). Targets are read when a sample is: a list
    of dicts per :func:`parse_kitti_labels`; None for the test images.

    Args:
        root: folder containing ``Kitti``.
        train: the labelled training images, else the test images.
        transform, target_transform, transforms: see :class:`VisionDataset` (torchvision's
            order: ``transforms`` before ``download``).
        download: fetch and extract the official archives when the folders are missing (no
            checksum is published for them).

    Attributes:
        images: the image paths; targets: the label file of each (empty for the test images).
    """

    data_url = "https://s3.eu-central-1.amazonaws.com/avg-kitti/"
    resources = ("data_object_image_2.zip", "data_object_label_2.zip")
    image_dir_name = "image_2"
    labels_dir_name = "label_2"

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.train = train
        location = self.raw_folder / ("training" if train else "testing")
        image_dir = location / self.image_dir_name
        labels_dir = location / self.labels_dir_name
        needed = [image_dir, labels_dir] if train else [image_dir]
        if download and not all(folder.is_dir() for folder in needed):
            files = tuple(RemoteFile(name, (self.data_url + name,)) for name in self.resources)
            download_and_extract(files, self.raw_folder)
        for folder in needed:
            require_dir(folder, _DOWNLOAD_HINT)
        self.images = sorted(entry.path for entry in os.scandir(image_dir) if entry.is_file())
        self.targets = (
            [str(labels_dir / f"{Path(path).name.split('.')[0]}.txt") for path in self.images]
            if train
            else []
        )

    @property
    def raw_folder(self) -> Path:
        """``root/Kitti/raw``."""
        return self.root / type(self).__name__ / "raw"

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL image, target)``: the image in its file's mode, the objects of its label file
        (None for a test image)."""
        image = load_image(self.images[index], mode=None)
        target = parse_kitti_labels(Path(self.targets[index])) if self.train else None
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return len(self.images)
