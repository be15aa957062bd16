"""The Oxford-IIIT Pet dataset, in the layout of its official archives."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ._download import RemoteFile, download_and_extract
from ._io import check_choice, inside_root, load_image, require_dir, require_file
from .vision import VisionDataset

_URL = "https://www.robots.ox.ac.uk/~vgg/data/pets/data/"
OXFORD_IIIT_PET_FILES = (
    RemoteFile("images.tar.gz", (_URL + "images.tar.gz",), md5="5c4f3ee8e5d25df40f4fd59a7f44e54c"),
    RemoteFile(
        "annotations.tar.gz",
        (_URL + "annotations.tar.gz",),
        md5="95a8c909bbe2e81eed6a22bccdf3f68f",
    ),
)
TARGET_TYPES = ("category", "binary-category", "segmentation")
_DOWNLOAD_HINT = "Pass download=True, or extract the official archives there."


def _read_split(path: Path) -> list[tuple[str, int, int]]:
    """``(image id, class, species)`` of each line ``<id> <class> <species> <breed id>`` of a
    split file, with the 1-based class and species made 0-based."""
    entries = []
    with open(require_file(path, _DOWNLOAD_HINT), encoding="utf-8") as file:
        for number, line in enumerate(file, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                image_id, label, species, _ = fields
                entries.append((image_id, int(label) - 1, int(species) - 1))
            except ValueError as err:
                raise ValueError(
                    f"{path}, line {number}: expected '<id> <class> <species> <breed id>', "
                    f"got {line.strip()!r}"
                ) from err
    return entries


def _class_names(entries: list[tuple[str, int, int]]) -> list[str]:
    """The breed names, in the order of their class index, as torchvision derives them from the
    image ids: ``"american_pit_bull_terrier_12"`` is class ``"American Pit Bull Terrier"``.

    Only the classes that occur in the split are named, as in torchvision.
    """
    breeds: dict[int, str] = {}
    for image_id, label, _ in entries:
        breeds.setdefault(label, image_id.rsplit("_", 1)[0])
    return [" ".join(part.title() for part in breeds[label].split("_")) for label in sorted(breeds)]


class OxfordIIITPet(VisionDataset):
    """`Oxford-IIIT Pet <https://www.robots.ox.ac.uk/~vgg/data/pets/>`_: 37 cat and dog breeds,
    with a trimap of each image.

    Layout (what ``images.tar.gz`` and ``annotations.tar.gz`` extract to)::

        root/oxford-iiit-pet/images/<Breed_name>_<n>.jpg
        root/oxford-iiit-pet/annotations/trainval.txt, test.txt
            one line per image: <id> <class 1..37> <species 1 cat, 2 dog> <breed id>
        root/oxford-iiit-pet/annotations/trimaps/<id>.png

    Args:
        root: folder containing ``oxford-iiit-pet``.
        split: ``"trainval"`` or ``"test"``.
        target_types: one of the following or a sequence of them (the target is then a tuple in
            that order; an empty sequence gives the target ``None``).

            - ``"category"``: ``int``, the breed (0..36).
            - ``"binary-category"``: ``int``, the species: 0 cat, 1 dog.
            - ``"segmentation"``: PIL image in the file's mode, the trimap (1 pet, 2 background,
              3 border).
        transforms, transform, target_transform: see :class:`VisionDataset` (torchvision's
            order: this dataset takes a joint transform there too).
        download: fetch and extract the official archives when ``images`` or ``annotations`` is
            missing.

    Attributes:
        split: the split read; target_types: ``list[str]``, the checked ``target_types``.
        classes: ``list[str]``, the breed names (``"Abyssinian"``, ...); ``class_to_idx`` maps
            them to their index.
        bin_classes: ``["Cat", "Dog"]``; ``bin_class_to_idx`` maps them to their index.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "trainval",
        target_types: Sequence[str] | str = "category",
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        self.split = check_choice(split, "split", ("trainval", "test"))
        types = [target_types] if isinstance(target_types, str) else list(target_types)
        self.target_types = [check_choice(t, "target_types", TARGET_TYPES) for t in types]
        super().__init__(root, transforms, transform, target_transform)
        base = self.root / "oxford-iiit-pet"
        images, annotations = base / "images", base / "annotations"
        if download and not (images.is_dir() and annotations.is_dir()):
            download_and_extract(OXFORD_IIIT_PET_FILES, base)
        require_dir(images, _DOWNLOAD_HINT)
        require_dir(annotations, _DOWNLOAD_HINT)
        split_file = annotations / f"{self.split}.txt"
        entries = _read_split(split_file)
        self._labels = [label for _, label, _ in entries]
        self._bin_labels = [species for _, _, species in entries]
        self._images = [inside_root(images, f"{i}.jpg", str(split_file)) for i, _, _ in entries]
        self._segs = [
            inside_root(annotations / "trimaps", f"{i}.png", str(split_file)) for i, _, _ in entries
        ]
        self.classes = _class_names(entries)
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        self.bin_classes = ["Cat", "Dog"]
        self.bin_class_to_idx = {name: index for index, name in enumerate(self.bin_classes)}

    def _target(self, kind: str, index: int) -> Any:
        if kind == "category":
            return self._labels[index]
        if kind == "binary-category":
            return self._bin_labels[index]
        return load_image(self._segs[index], mode=None)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL RGB image, target)`` of sample ``index``, the target as ``target_types``
        says."""
        image = load_image(self._images[index], "RGB")
        targets = [self._target(kind, index) for kind in self.target_types]
        target = None if not targets else targets[0] if len(targets) == 1 else tuple(targets)
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return len(self._images)

    def extra_repr(self) -> list[str]:
        return [f"Target types: {self.target_types}"]
