"""Classification datasets stored as one folder per class: ``root/<class>/<...>/<file>``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._io import load_image
from .vision import VisionDataset

IMG_EXTENSIONS = (
    ".jpg",
    ".jpeg",
    ".png",
    ".ppm",
    ".bmp",
    ".pgm",
    ".tif",
    ".tiff",
    ".webp",
)


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The class folders of ``directory``, sorted, and their indices.

    Hidden folders (``.ipynb_checkpoints``, ``.git``) are not classes.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {directory}")
    classes = sorted(
        entry.name for entry in os.scandir(directory) if entry.is_dir() and entry.name[0] != "."
    )
    if not classes:
        raise FileNotFoundError(f"no class folders found in {directory}")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(
    directory: str | os.PathLike,
    class_to_idx: dict[str, int],
    extensions: tuple[str, ...] | None = None,
    is_valid_file: Callable[[str], bool] | None = None,
    allow_empty: bool = False,
) -> list[tuple[str, int]]:
    """``(path, class index)`` for every valid file under each class folder, in sorted order.

    Files are searched recursively (following symlinks). Exactly one of ``extensions`` (matched
    case-insensitively) and ``is_valid_file`` says which files count.

    Raises:
        FileNotFoundError: a class folder has no valid file (unless ``allow_empty``), naming the
            folder and what was looked for.
    """
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("pass exactly one of extensions and is_valid_file")
    if extensions is not None:
        suffixes = tuple(ext.lower() for ext in extensions)

        def is_valid_file(path: str) -> bool:
            return path.lower().endswith(suffixes)

        wanted = f"files with extensions {', '.join(suffixes)}"
    else:
        wanted = "files accepted by is_valid_file"
    directory = Path(directory)
    samples = []
    for name, index in sorted(class_to_idx.items(), key=lambda item: item[1]):
        class_dir = directory / name
        found = [
            os.path.join(folder, file)
            for folder, _, files in sorted(os.walk(class_dir, followlinks=True))
            for file in sorted(files)
            if is_valid_file(os.path.join(folder, file))
        ]
        if not found and not allow_empty:
            raise FileNotFoundError(f"class folder {class_dir} contains no {wanted}")
        samples += [(path, index) for path in found]
    return samples


class DatasetFolder(VisionDataset):
    """Samples arranged as ``root/<class>/**/<file>``; the target is the class index.

    Classes are the sorted names of the non-hidden sub-folders of ``root``.

    Args:
        root: folder holding one sub-folder per class.
        loader: reads one sample from its path.
        extensions: file extensions to accept (case-insensitive), or ``None`` with
            ``is_valid_file``.
        transform, target_transform, transforms: see :class:`VisionDataset`.
        is_valid_file: decides from a file's path whether it is a sample.
        allow_empty: accept class folders without any sample.

    Attributes:
        classes: ``list[str]``, the class names.
        class_to_idx: ``dict[str, int]``.
        samples: ``list[tuple[str, int]]``, the path and class index of each sample.
        targets: ``list[int]``, the class index of each sample.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        loader: Callable[[str], Any],
        extensions: tuple[str, ...] | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.classes, self.class_to_idx = find_classes(self.root)
        self.samples = make_dataset(
            self.root, self.class_to_idx, extensions, is_valid_file, allow_empty
        )
        self.targets = [target for _, target in self.samples]
        self.loader = loader
        self.extensions = extensions

    def __getitem__(self, index: int) -> tuple[Any, int]:
        path, target = self.samples[index]
        return self.apply_transforms(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images arranged as ``root/<class>/**/<image>``, loaded as RGB PIL images.

    The target is the index of the class in the sorted class names. Accepts the files whose
    extension is in :data:`IMG_EXTENSIONS` unless ``is_valid_file`` is given. See
    :class:`DatasetFolder` for the arguments and attributes.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        loader: Callable[[str], Any] = load_image,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> None:
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            transforms=transforms,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
        )
