"""ImageNet 2012 classification, from the official archives or from extracted folders."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io

from ._download import RemoteFile, checksum_mismatch, extract_archive
from ._io import check_choice, load_image
from .folder import ImageFolder

# ImageNet is only given out after registration, so these have no URL: the user places them.
ARCHIVES = {
    "devkit": RemoteFile(
        "ILSVRC2012_devkit_t12.tar.gz", (), md5="fa75699e90414af021442c21a62c3abf"
    ),
    "train": RemoteFile("ILSVRC2012_img_train.tar", (), md5="1d675b47d978889d74fa0da5fadfb00e"),
    "val": RemoteFile("ILSVRC2012_img_val.tar", (), md5="29b22e2961454d5413ddabcf34fc5622"),
}
META_FILE = "imagenet_meta.json"


def _placement_help(root: Path, split: str) -> str:
    needed = [ARCHIVES[split], ARCHIVES["devkit"]]
    files = " and ".join(f"{f.filename} ({f.describe_checksum()})" for f in needed)
    return (
        f"ImageNet cannot be downloaded automatically. Get {files} from https://image-net.org "
        f"and place them in {root}, or place the extracted images as "
        f"{root / split}/<wnid>/<image>.JPEG."
    )


def parse_devkit(archive: str | os.PathLike) -> dict[str, Any]:
    """Read the class names and the validation labels from the devkit archive.

    Returns:
        ``{"wnid_to_classes": {wnid: [name, ...]}, "val_wnids": [wnid, ...]}`` where
        ``val_wnids`` gives the class of each validation image in the order of the sorted
        validation file names.
    """
    archive = Path(archive)
    mismatch = checksum_mismatch(archive, ARCHIVES["devkit"])
    if mismatch:
        raise ValueError(f"{archive} is not the official devkit: {mismatch}")

    def read(tar: tarfile.TarFile, suffix: str) -> bytes:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(suffix):
                return tar.extractfile(member).read()
        raise FileNotFoundError(f"{archive} contains no file ending in {suffix}")

    with tarfile.open(archive) as tar:
        synsets = scipy.io.loadmat(io.BytesIO(read(tar, "data/meta.mat")), squeeze_me=True)[
            "synsets"
        ]
        truth = read(tar, "data/ILSVRC2012_validation_ground_truth.txt").decode().split()
    # The 1000 classes are the leaves of the synset tree; the other synsets are their ancestors.
    leaves = [s for s in np.atleast_1d(synsets) if int(s["num_children"]) == 0]
    idx_to_wnid = {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in leaves}
    try:
        val_wnids = [idx_to_wnid[int(label)] for label in truth]
    except KeyError as err:
        raise ValueError(f"{archive}: validation label {err} is not a leaf class") from None
    return {
        "wnid_to_classes": {str(s["WNID"]): str(s["words"]).split(", ") for s in leaves},
        "val_wnids": val_wnids,
    }


def load_meta(root: Path) -> dict[str, Any] | None:
    """The cached devkit metadata, parsed from the devkit (and cached) on first use.

    ``None`` when neither the cache nor the devkit archive is in ``root``.
    """
    cache = root / META_FILE
    if cache.is_file():
        return json.loads(cache.read_text())
    devkit = root / ARCHIVES["devkit"].filename
    if not devkit.is_file():
        return None
    meta = parse_devkit(devkit)
    partial = cache.with_name(cache.name + ".partial")
    partial.write_text(json.dumps(meta))
    os.replace(partial, cache)
    return meta


def _extract_split(root: Path, split: str, meta: dict[str, Any] | None) -> None:
    """Extract ``split``'s archive into ``root/split/<wnid>/``; the folder appears only once
    complete, so an interrupted extraction is redone from scratch."""
    remote = ARCHIVES[split]
    archive = root / remote.filename
    if not archive.is_file():
        raise FileNotFoundError(f"{root / split} not found. {_placement_help(root, split)}")
    if split == "val" and meta is None:
        raise FileNotFoundError(
            f"sorting the validation images into class folders needs the devkit: place "
            f"{ARCHIVES['devkit'].filename} ({ARCHIVES['devkit'].describe_checksum()}) in {root}"
        )
    mismatch = checksum_mismatch(archive, remote)
    if mismatch:
        raise ValueError(f"{archive} is not the official archive: {mismatch}")
    staging = root / f"{split}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    extract_archive(archive, staging)
    if split == "train":
        # The train archive holds one tar per class, named after its wnid.
        for inner in sorted(staging.glob("*.tar")):
            extract_archive(inner, staging / inner.name.removesuffix(".tar"))
            inner.unlink()
    else:
        images = sorted(p for p in staging.iterdir() if p.is_file())
        wnids = meta["val_wnids"]
        if len(images) != len(wnids):
            raise ValueError(
                f"{archive} holds {len(images)} images but the devkit labels {len(wnids)}"
            )
        for wnid in set(wnids):
            (staging / wnid).mkdir()
        for wnid, image in zip(wnids, images, strict=True):
            os.replace(image, staging / wnid / image.name)
    os.replace(staging, root / split)


class ImageNet(ImageFolder):
    """`ImageNet <https://image-net.org>`_ 2012 classification (ILSVRC2012), 1000 classes.

    Works from the official archives placed in ``root``::

        root/ILSVRC2012_devkit_t12.tar.gz   class names and validation labels
        root/ILSVRC2012_img_train.tar       one tar per class
        root/ILSVRC2012_img_val.tar         50,000 images in one folder

    which are checked against their MD5 and extracted once into ``root/train/<wnid>/`` and
    ``root/val/<wnid>/`` (the devkit is parsed into the small ``root/imagenet_meta.json``), or
    directly from those extracted folders with no archive at all. Without the devkit (nor its
    cached meta) each class is named by its wnid alone.

    Args:
        root: the folder holding the archives or the extracted split folders.
        split: ``"train"`` or ``"val"``.
        transform, target_transform, transforms: see :class:`VisionDataset`.
        loader: reads an image from its path.
        download: must stay False: ImageNet is only handed out after registration.
        is_valid_file, allow_empty: see :class:`ImageFolder` (torchvision passes them on too).

    Attributes:
        wnids: ``list[str]``, the WordNet ids of the classes, sorted; class ``i`` is
            ``wnids[i]``.
        wnid_to_idx: ``dict[str, int]``.
        classes: ``list[tuple[str, ...]]``, the names of each class.
        class_to_idx: ``dict[str, int]``, from every class name to its index (a few names,
            such as "crane", belong to two classes; the later one wins).
        samples, targets: as in :class:`ImageFolder`.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        loader: Callable[[str], Any] = load_image,
        download: bool = False,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        root = Path(root).expanduser()
        split = check_choice(split, "split", ("train", "val"))
        if download:
            raise RuntimeError(_placement_help(root, split))
        meta = load_meta(root)
        if not (root / split).is_dir():
            _extract_split(root, split, meta)
        super().__init__(
            root / split,
            transform=transform,
            target_transform=target_transform,
            transforms=transforms,
            loader=loader,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
        self.root = root
        self.split = split
        self.wnids, self.wnid_to_idx = self.classes, self.class_to_idx
        names = meta["wnid_to_classes"] if meta else {}
        self.classes = [tuple(names.get(wnid, (wnid,))) for wnid in self.wnids]
        self.class_to_idx = {
            name: idx for idx, class_names in enumerate(self.classes) for name in class_names
        }
