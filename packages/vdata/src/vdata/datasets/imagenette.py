"""Imagenette, the ten easy ImageNet classes, in the layout of fast.ai's archives."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._download import RemoteFile, download_and_extract
from ._io import check_choice, require_dir
from ._labelled_files import LabelledImageFiles
from .folder import default_loader, find_classes, make_dataset

_URL = "https://s3.amazonaws.com/fast-ai-imageclas/"
# Each size's archive, which extracts to the folder of the same name without ".tgz".
IMAGENETTE_ARCHIVES = {
    "full": RemoteFile(
        "imagenette2.tgz", (_URL + "imagenette2.tgz",), md5="fe2fc210e6bb7c5664d602c3cd71e612"
    ),
    "320px": RemoteFile(
        "imagenette2-320.tgz",
        (_URL + "imagenette2-320.tgz",),
        md5="3df6f0d01a2c9592104656642f5e78a3",
    ),
    "160px": RemoteFile(
        "imagenette2-160.tgz",
        (_URL + "imagenette2-160.tgz",),
        md5="e793b78cc4c9e9a4ccc0c1155377a412",
    ),
}
# The WordNet names of the ten classes, as torchvision has them.
IMAGENETTE_CLASSES = {
    "n01440764": ("tench", "Tinca tinca"),
    "n02102040": ("English springer", "English springer spaniel"),
    "n02979186": ("cassette player",),
    "n03000684": ("chain saw", "chainsaw"),
    "n03028079": ("church", "church building"),
    "n03394916": ("French horn", "horn"),
    "n03417042": ("garbage truck", "dustcart"),
    "n03425413": ("gas pump", "gasoline pump", "petrol pump", "island dispenser"),
    "n03445777": ("golf ball",),
    "n03888257": ("parachute", "chute"),
}
_DOWNLOAD_HINT = "Pass download=True, or extract the official archive there."


class Imagenette(LabelledImageFiles):
    """`Imagenette <https://github.com/fastai/imagenette>`_: ten easily told apart ImageNet
    classes, at full size or with the shorter side resized to 320 or 160 pixels.

    Layout (what ``imagenette2[-320|-160].tgz`` extracts to)::

        root/imagenette2/train/<wnid>/<name>.JPEG, root/imagenette2/val/<wnid>/<name>.JPEG
        root/imagenette2-320/..., root/imagenette2-160/...   (the same, resized)

    As in :class:`ImageFolder`, the classes are the sorted wnid folders and the images of each
    are the ``.jpeg`` files (any case) under it, in sorted order.

    Args:
        root: folder containing ``imagenette2``, ``imagenette2-320`` or ``imagenette2-160``.
        split: ``"train"`` or ``"val"``.
        size: ``"full"``, ``"320px"`` or ``"160px"``.
        download: fetch and extract the archive of ``size`` when its folder is missing.
        transform, target_transform: see :class:`VisionDataset`.
        loader: reads an image from its path (default: decoded in full, as RGB).
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        split, size: the split and size read.
        wnids: ``list[str]``, the WordNet ids of the classes, sorted; ``wnid_to_idx`` maps them
            to their index.
        classes: ``list[tuple[str, ...]]``, the names of each class.
        class_to_idx: ``dict[str, int]``, from every class name to its index.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        size: str = "full",
        download: bool = False,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        loader: Callable[[str | Path], Any] = default_loader,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform, loader)
        self.split = check_choice(split, "split", ("train", "val"))
        self.size = check_choice(size, "size", tuple(IMAGENETTE_ARCHIVES))
        archive = IMAGENETTE_ARCHIVES[self.size]
        size_root = self.root / archive.filename.removesuffix(".tgz")
        if download and not size_root.is_dir():
            download_and_extract((archive,), self.root)
        image_root = require_dir(size_root / self.split, _DOWNLOAD_HINT)
        self.wnids, self.wnid_to_idx = find_classes(image_root)
        unknown = sorted(set(self.wnids) - set(IMAGENETTE_CLASSES))
        if unknown:
            raise ValueError(
                f"{image_root} holds folders {unknown}, which are no Imagenette class: expected "
                f"only {sorted(IMAGENETTE_CLASSES)}"
            )
        self.classes = [IMAGENETTE_CLASSES[wnid] for wnid in self.wnids]
        self.class_to_idx = {
            name: index for index, names in enumerate(self.classes) for name in names
        }
        self._samples = make_dataset(image_root, self.wnid_to_idx, extensions=".jpeg")
        # str paths, as torchvision hands its loader here.
        self._image_files = [path for path, _ in self._samples]
        self._labels = [label for _, label in self._samples]

    def extra_repr(self) -> list[str]:
        return [f"Size: {self.size}"]
