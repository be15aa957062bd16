"""Cityscapes, in the layout of its official archives."""

from __future__ import annotations

import json
import os
from collections import namedtuple
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from ._download import extract_archive
from ._io import as_target_types, check_choice, load_image, require_dir
from .vision import VisionDataset

CityscapesClass = namedtuple(
    "CityscapesClass",
    [
        "name",
        "id",
        "train_id",
        "category",
        "category_id",
        "has_instances",
        "ignore_in_eval",
        "color",
    ],
)


def _classes() -> list[CityscapesClass]:
    """The 34 labels of the Cityscapes scripts and the license plate (id -1): train ids 0-18
    for the 19 evaluated classes, 255 (or -1) for the rest."""
    rows = [
        # name, id, train id, category, category id, has instances, ignored, colour
        ("unlabeled", 0, 255, "void", 0, False, True, (0, 0, 0)),
        ("ego vehicle", 1, 255, "void", 0, False, True, (0, 0, 0)),
        ("rectification border", 2, 255, "void", 0, False, True, (0, 0, 0)),
        ("out of roi", 3, 255, "void", 0, False, True, (0, 0, 0)),
        ("static", 4, 255, "void", 0, False, True, (0, 0, 0)),
        ("dynamic", 5, 255, "void", 0, False, True, (111, 74, 0)),
        ("ground", 6, 255, "void", 0, False, True, (81, 0, 81)),
        ("road", 7, 0, "flat", 1, False, False, (128, 64, 128)),
        ("sidewalk", 8, 1, "flat", 1, False, False, (244, 35, 232)),
        ("parking", 9, 255, "flat", 1, False, True, (250, 170, 160)),
        ("rail track", 10, 255, "flat", 1, False, True, (230, 150, 140)),
        ("building", 11, 2, "construction", 2, False, False, (70, 70, 70)),
        ("wall", 12, 3, "construction", 2, False, False, (102, 102, 156)),
        ("fence", 13, 4, "construction", 2, False, False, (190, 153, 153)),
        ("guard rail", 14, 255, "construction", 2, False, True, (180, 165, 180)),
        ("bridge", 15, 255, "construction", 2, False, True, (150, 100, 100)),
        ("tunnel", 16, 255, "construction", 2, False, True, (150, 120, 90)),
        ("pole", 17, 5, "object", 3, False, False, (153, 153, 153)),
        ("polegroup", 18, 255, "object", 3, False, True, (153, 153, 153)),
        ("traffic light", 19, 6, "object", 3, False, False, (250, 170, 30)),
        ("traffic sign", 20, 7, "object", 3, False, False, (220, 220, 0)),
        ("vegetation", 21, 8, "nature", 4, False, False, (107, 142, 35)),
        ("terrain", 22, 9, "nature", 4, False, False, (152, 251, 152)),
        ("sky", 23, 10, "sky", 5, False, False, (70, 130, 180)),
        ("person", 24, 11, "human", 6, True, False, (220, 20, 60)),
        ("rider", 25, 12, "human", 6, True, False, (255, 0, 0)),
        ("car", 26, 13, "vehicle", 7, True, False, (0, 0, 142)),
        ("truck", 27, 14, "vehicle", 7, True, False, (0, 0, 70)),
        ("bus", 28, 15, "vehicle", 7, True, False, (0, 60, 100)),
        ("caravan", 29, 255, "vehicle", 7, True, True, (0, 0, 90)),
        ("trailer", 30, 255, "vehicle", 7, True, True, (0, 0, 110)),
        ("train", 31, 16, "vehicle", 7, True, False, (0, 80, 100)),
        ("motorcycle", 32, 17, "vehicle", 7, True, False, (0, 0, 230)),
        ("bicycle", 33, 18, "vehicle", 7, True, False, (119, 11, 32)),
        ("license plate", -1, -1, "vehicle", 7, False, True, (0, 0, 142)),
    ]
    return [CityscapesClass(*row) for row in rows]


_SPLITS = {"fine": ("train", "test", "val"), "coarse": ("train", "train_extra", "val")}
_TARGET_FILES = {
    "instance": "instanceIds.png",
    "semantic": "labelIds.png",
    "color": "color.png",
    "polygon": "polygons.json",
}


class Cityscapes(VisionDataset):
    """`Cityscapes <https://www.cityscapes-dataset.com/>`_: street scenes of 50 cities, 5000
    images with fine annotations and 20000 with coarse ones.

    Layout (what the official zips extract to; when the folders are missing but the zips are
    in ``root``, they are extracted there first, as torchvision does)::

        root/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png
        root/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_{instanceIds,labelIds,color}.png,
                                                            ..._gtFine_polygons.json
        root/gtCoarse/... (the same with gtCoarse)

    Images are listed by city and file name (torchvision lists them in the order the file
    system returns them). The data cannot be downloaded without an account: there is no
    ``download``.

    Args:
        root: the folder holding ``leftImg8bit`` and ``gtFine``/``gtCoarse``.
        split: ``"train"``, ``"val"`` or ``"test"`` (fine); ``"train"``, ``"train_extra"``
            or ``"val"`` (coarse).
        mode: ``"fine"`` or ``"coarse"``.
        target_type: ``"instance"`` (``I`` image: class id, or ``1000 * id + instance``),
            ``"semantic"`` (``L`` image of class ids), ``"color"`` (RGBA picture) or
            ``"polygon"`` (the json dict), or a list of them (the target is then a tuple).
        transform, target_transform, transforms: see :class:`VisionDataset`.

    Attributes:
        classes: the labels, :data:`CityscapesClass` tuples (``name``, ``id``, ``train_id``,
            ``category``, ``category_id``, ``has_instances``, ``ignore_in_eval``, ``color``).
        images: the image paths; targets: for each, the paths of its targets.
    """

    CityscapesClass = CityscapesClass
    classes: ClassVar[list[CityscapesClass]] = _classes()

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        mode: str = "fine",
        target_type: str | list[str] = "instance",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        check_choice(mode, "mode", tuple(_SPLITS))
        if split not in _SPLITS[mode]:
            valid = ", ".join(f"'{s}'" for s in _SPLITS[mode])
            raise ValueError(
                f"Unknown value '{split}' for argument split if mode is '{mode}'. "
                f"Valid values are {{{valid}}}."
            )
        self.split = split
        self.mode = "gtFine" if mode == "fine" else "gtCoarse"
        self.target_type = as_target_types(target_type, tuple(_TARGET_FILES))
        self.images_dir = self.root / "leftImg8bit" / split
        self.targets_dir = self.root / self.mode / split
        if not (self.images_dir.is_dir() and self.targets_dir.is_dir()):
            self._extract_archives()
        hint = "Extract the official zips there (or place them in the root)."
        require_dir(self.images_dir, hint)
        require_dir(self.targets_dir, hint)
        self.images: list[str] = []
        self.targets: list[list[str]] = []
        for city in sorted(entry.name for entry in os.scandir(self.images_dir) if entry.is_dir()):
            for name in sorted(os.listdir(self.images_dir / city)):
                if not name.endswith("_leftImg8bit.png"):
                    continue
                stem = name.removesuffix("_leftImg8bit.png")
                self.images.append(str(self.images_dir / city / name))
                self.targets.append(
                    [
                        str(self.targets_dir / city / f"{stem}_{self.mode}_{_TARGET_FILES[t]}")
                        for t in self.target_type
                    ]
                )

    def _extract_archives(self) -> None:
        images_zip = (
            "leftImg8bit_trainextra.zip"
            if self.split == "train_extra"
            else ("leftImg8bit_trainvaltest.zip")
        )
        targets_zip = "gtFine_trainvaltest.zip" if self.mode == "gtFine" else "gtCoarse.zip"
        archives = [self.root / images_zip, self.root / targets_zip]
        if all(path.is_file() for path in archives):
            for path in archives:
                extract_archive(path, self.root)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL RGB image, target)``; the target a tuple when several types were asked for."""
        image = load_image(self.images[index])
        targets = [
            _load_target(Path(path), kind)
            for path, kind in zip(self.targets[index], self.target_type, strict=True)
        ]
        return self.apply_transforms(image, tuple(targets) if len(targets) > 1 else targets[0])

    def __len__(self) -> int:
        return len(self.images)

    def extra_repr(self) -> list[str]:
        return [f"Mode: {self.mode}", f"Type: {self.target_type}"]


def _load_target(path: Path, kind: str) -> Any:
    if kind != "polygon":
        return load_image(path, mode=None)
    try:
        with open(path) as file:
            return json.load(file)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"Cityscapes target not found: {path}") from err
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is no json: {err}") from err
