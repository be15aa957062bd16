"""The Semantic Boundaries Dataset (SBD): VOC images with class boundaries and segmentations."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from PIL import Image

from ._download import RemoteFile, download, download_and_extract
from ._io import check_choice, inside_root, load_image, require_dir, require_file
from .vision import VisionDataset

_BERKELEY = "eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours"
SBD_ARCHIVE = RemoteFile(
    "benchmark.tgz",
    (f"https://www2.{_BERKELEY}/benchmark.tgz", f"http://www.{_BERKELEY}/benchmark.tgz"),
    md5="82b4d87ceb2ed10f6038a1cba92111cb",
)
TRAIN_NOVAL_LIST = RemoteFile(
    "train_noval.txt",
    ("http://home.bharathh.info/pubs/codes/SBD/train_noval.txt",),
    md5="79bff800c5f0b1ec6b21080a3c066722",
)
_HINT = "Pass download=True, or place the contents of benchmark_RELEASE/dataset there."


class SBDataset(VisionDataset):
    """`Semantic Boundaries Dataset <http://home.bharathh.info/pubs/codes/SBD/download.html>`_.

    11,355 images of PASCAL VOC 2011 with per-class boundaries and segmentations of the 20 VOC
    classes. Its train and val lists differ from VOC's; ``train_noval`` leaves out every VOC
    2012 val image (for training before evaluating on VOC 2012 val).

    Layout (the ``benchmark_RELEASE/dataset`` folder of the official archive)::

        root/img/2008_000002.jpg
        root/cls/2008_000002.mat     struct GTcls: Segmentation (H x W class indices),
                                     Boundaries (cell of 20 sparse H x W boundary maps)
        root/train.txt, root/val.txt, root/train_noval.txt

    Args:
        root: the dataset folder.
        image_set: ``"train"``, ``"val"`` or ``"train_noval"``.
        mode: the target, as in torchvision: ``"segmentation"``, a PIL image of mode ``"L"`` of
            class indices (0 is background), or ``"boundaries"``, an ``ndarray[20, H, W]`` of
            the file's boundary maps (0/1, in the file's dtype), one per class (channel ``k`` is
            class ``k + 1``).
        download: fetch and unpack the official archive (and ``train_noval.txt``) when missing.
        transforms: joint transform of the image and the target.
        transform, target_transform: transforms of the image and of the target alone (vdata
            only), see :class:`VisionDataset`.

    Attributes:
        images: ``list[Path]``, the image files; masks: ``list[Path]``, their ``.mat`` files.
        image_set, mode: the arguments; num_classes: 20.
    """

    num_classes = 20

    def __init__(
        self,
        root: str | os.PathLike,
        image_set: str = "train",
        mode: str = "boundaries",
        download: bool = False,
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.image_set = check_choice(image_set, "image_set", ("train", "val", "train_noval"))
        self.split = image_set
        self.mode = check_choice(mode, "mode", ("segmentation", "boundaries"))
        if download:
            self._download()
        require_dir(self.root / "img", _HINT)
        list_file = require_file(self.root / f"{image_set}.txt", _HINT)
        names = list_file.read_text().split()
        self.images = [inside_root(self.root / "img", f"{n}.jpg", str(list_file)) for n in names]
        self.masks = [inside_root(self.root / "cls", f"{n}.mat", str(list_file)) for n in names]

    def _download(self) -> None:
        if not (self.root / "img").is_dir():
            download_and_extract((SBD_ARCHIVE,), self.root)
            extracted = self.root / "benchmark_RELEASE" / "dataset"
            for entry in extracted.iterdir():
                shutil.move(entry, self.root / entry.name)
            shutil.rmtree(self.root / "benchmark_RELEASE")
        download(TRAIN_NOVAL_LIST, self.root)

    def _load_target(self, path: Path) -> Image.Image | np.ndarray:
        require_file(path)
        try:
            gt = scipy.io.loadmat(path)["GTcls"][0, 0]
            if self.mode == "segmentation":
                return Image.fromarray(np.asarray(gt["Segmentation"], dtype=np.uint8))
            return np.stack([b.toarray() for b in gt["Boundaries"].ravel()[: self.num_classes]])
        except (KeyError, IndexError, ValueError, AttributeError) as err:
            raise ValueError(
                f"{path} is not an SBD annotation (struct GTcls with Segmentation and Boundaries): "
                f"{err!r}"
            ) from err

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image = load_image(self.images[index])
        return self.apply_transforms(image, self._load_target(self.masks[index]))

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> list[str]:
        return [f"Mode: {self.mode}"]
