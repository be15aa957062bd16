"""Food-101, in the layout of its official archive."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._download import RemoteFile, download_and_extract
from ._io import check_choice, inside_root, require_dir, require_file
from ._labelled_files import LabelledImageFiles
from .folder import default_loader

FOOD101_FILES = (
    RemoteFile(
        "food-101.tar.gz",
        ("http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz",),
        md5="85eeb15f3717b99a5da872d97d918f87",
    ),
)
_DOWNLOAD_HINT = "Pass download=True, or extract the official archive there."


def _read_split(path: Path) -> dict[str, list[str]]:
    """A ``meta/<split>.json``: each class name with the ``<class>/<id>`` of its images."""
    with open(require_file(path, _DOWNLOAD_HINT), encoding="utf-8") as file:
        try:
            metadata = json.load(file)
        except json.JSONDecodeError as err:
            raise ValueError(f"cannot read {path}: {err}") from err
    if not isinstance(metadata, dict) or not all(
        isinstance(names, list) and all(isinstance(name, str) for name in names)
        for names in metadata.values()
    ):
        raise ValueError(f"{path} must map each class name to a list of image names")
    return metadata


class Food101(LabelledImageFiles):
    """`Food-101 <https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/>`_: 101 food
    categories, 750 training and 250 test images each.

    Layout (what ``food-101.tar.gz`` extracts to)::

        root/food-101/images/<class>/<id>.jpg
        root/food-101/meta/train.json, test.json   {"<class>": ["<class>/<id>", ...], ...}
        root/food-101/meta/classes.txt             (not read)

    As in torchvision, the classes are the sorted keys of the split's json file, and the samples
    come class by class in the file's order.

    Args:
        root: folder containing ``food-101``.
        split: ``"train"`` or ``"test"``.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch and extract the official archive when ``meta`` or ``images`` is missing.
        loader: reads an image from its path (default: decoded in full, as RGB).
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        split: the split read.
        classes: ``list[str]``, the sorted class names; ``class_to_idx`` maps them to their
            index.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        loader: Callable[[str | Path], Any] = default_loader,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform, loader)
        self.split = check_choice(split, "split", ("train", "test"))
        base = self.root / "food-101"
        meta, images = base / "meta", base / "images"
        if download and not (meta.is_dir() and images.is_dir()):
            download_and_extract(FOOD101_FILES, self.root)
        require_dir(meta, _DOWNLOAD_HINT)
        require_dir(images, _DOWNLOAD_HINT)
        split_file = meta / f"{self.split}.json"
        metadata = _read_split(split_file)
        self.classes = sorted(metadata)
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        for name, image_names in metadata.items():
            self._labels += [self.class_to_idx[name]] * len(image_names)
            self._image_files += [
                inside_root(images, f"{image}.jpg", str(split_file)) for image in image_names
            ]
