"""WIDER FACE, in the layout of its official archives."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import torch

from ._download import RemoteFile, download_and_extract, google_drive
from ._io import check_choice, inside_root, load_image, require_dir, require_file
from .vision import VisionDataset

_DOWNLOAD_HINT = "Pass download=True, or extract the official archives there."
# The columns of a face line: x, y, width, height, then one flag each.
_ATTRIBUTES = ("blur", "expression", "illumination", "occlusion", "pose", "invalid")
_FACE_COLUMNS = 4 + len(_ATTRIBUTES)


def _face_lines(path: Path) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(require_file(path).read_text().splitlines(), start=1):
        if line.strip():
            yield number, line.strip()


def parse_widerface_annotations(path: Path) -> list[tuple[str, dict[str, torch.Tensor]]]:
    """The images of a ``wider_face_{train,val}_bbx_gt.txt`` file and their faces.

    The file repeats: an image's relative path, its face count, one line per face. An image
    without faces is followed by one line of zeros, which is no face: its tensors are empty
    (torchvision returns that line as a face box of zeros).

    Returns:
        ``(relative path, annotations)`` per image: ``bbox`` int64 ``Tensor[N, 4]`` (x, y,
        width, height in pixels) and int64 ``Tensor[N]`` for each of ``blur``, ``expression``,
        ``illumination``, ``occlusion``, ``pose``, ``invalid``.

    Raises:
        ValueError: a count or face line that does not parse, or a file that ends early; the
            message names the file and the line.
    """
    lines = _face_lines(path)
    images = []
    for number, name in lines:
        count_number, count = next(lines, (number, ""))
        if not count.isdigit():
            raise ValueError(f"{path}, line {count_number}: expected the face count of {name}")
        faces = [_face(path, lines, name) for _ in range(max(int(count), 1))]
        rows = torch.tensor(faces[: int(count)], dtype=torch.int64).reshape(-1, _FACE_COLUMNS)
        annotations = {"bbox": rows[:, :4].clone()}
        annotations.update({key: rows[:, 4 + i].clone() for i, key in enumerate(_ATTRIBUTES)})
        images.append((name, annotations))
    return images


def _face(path: Path, lines: Iterator[tuple[int, str]], name: str) -> list[int]:
    number, line = next(lines, (0, ""))
    if not line:
        raise ValueError(f"{path} ends within the faces of {name}")
    try:
        values = [int(field) for field in line.split()]
    except ValueError as err:
        raise ValueError(f"{path}, line {number}: {err}") from err
    if len(values) != _FACE_COLUMNS:
        raise ValueError(
            f"{path}, line {number}: {len(values)} columns, expected {_FACE_COLUMNS} "
            "(x, y, width, height and six flags)"
        )
    return values


class WIDERFace(VisionDataset):
    """`WIDER FACE <http://shuoyang1213.me/WIDERFACE/>`_: 32203 images with 393703 labelled
    faces, in train, val and test splits (test without labels).

    Layout (what the official zips extract to)::

        root/widerface/wider_face_split/wider_face_{train,val}_bbx_gt.txt,
                                        wider_face_test_filelist.txt
        root/widerface/WIDER_{train,val,test}/images/<event>/<image>.jpg

    Only the folders of the chosen split are needed (torchvision asks for all four).

    Args:
        root: folder containing ``widerface``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch and extract the split's image archive (from Google Drive) and the
            annotations.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        img_info: one dict per image, ``"img_path"`` (str) and, but for the test split,
            ``"annotations"`` (see :func:`parse_widerface_annotations`), as torchvision's.
    """

    BASE_FOLDER = "widerface"
    IMAGE_FILES: ClassVar[dict[str, RemoteFile]] = {
        split: RemoteFile(f"WIDER_{split}.zip", (google_drive(file_id),), md5=md5)
        for split, file_id, md5 in (
            ("train", "15hGDLhsx8bLgLcIRD5DhYt5iBxnjNF1M", "3fedf70df600953d25982bcd13d91ba2"),
            ("val", "1GUCogbp16PMGa39thoMMeWxp7Rp5oM8Q", "dfa7d7e790efa35df3788964cf0bbaea"),
            ("test", "1HIfDbVEWKmsYKJZm4lchTBDLW5N7dY5T", "e5d8f4248ed24c334bbd12f49c29dd40"),
        )
    }
    ANNOTATIONS_FILE = RemoteFile(
        "wider_face_split.zip",
        ("http://shuoyang1213.me/WIDERFACE/support/bbx_annotation/wider_face_split.zip",),
        md5="0e3767bcf0e326556d407bf5bff5d27c",
    )

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(Path(root) / self.BASE_FOLDER, transforms, transform, target_transform)
        self.split = check_choice(split, "split", ("train", "val", "test"))
        images = self.root / f"WIDER_{split}" / "images"
        annotations = self.root / "wider_face_split"
        if download and not (images.is_dir() and annotations.is_dir()):
            self.download()
        require_dir(annotations, _DOWNLOAD_HINT)
        require_dir(images, _DOWNLOAD_HINT)
        self.img_info: list[dict[str, Any]] = []
        if split == "test":
            for _, name in _face_lines(annotations / "wider_face_test_filelist.txt"):
                self.img_info.append({"img_path": self._image_path(images, name)})
        else:
            labels = annotations / f"wider_face_{split}_bbx_gt.txt"
            for name, faces in parse_widerface_annotations(labels):
                self.img_info.append(
                    {"img_path": self._image_path(images, name), "annotations": faces}
                )

    @staticmethod
    def _image_path(images: Path, name: str) -> str:
        return str(inside_root(images, name, "the annotation file").absolute())

    def download(self) -> None:
        """Fetch and extract the split's image archive and the annotations (torchvision fetches
        every split's images)."""
        download_and_extract((self.IMAGE_FILES[self.split], self.ANNOTATIONS_FILE), self.root)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(PIL image, annotations)`` of image ``index``; the target is None for test."""
        info = self.img_info[index]
        image = load_image(info["img_path"], mode=None)
        return self.apply_transforms(image, info.get("annotations"))

    def __len__(self) -> int:
        return len(self.img_info)
