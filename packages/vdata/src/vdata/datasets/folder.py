"""Classification datasets stored as one folder per class: ``root/<class>/<...>/<file>``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PIL import Image

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


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    """Whether ``filename``, lower-cased, ends with one of ``extensions`` (given lower-case)."""
    return filename.lower().endswith(
        extensions if isinstance(extensions, str) else tuple(extensions)
    )


def is_image_file(filename: str) -> bool:
    """Whether ``filename`` has one of the :data:`IMG_EXTENSIONS`."""
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def pil_loader(path: str | os.PathLike) -> Image.Image:
    """The image at ``path``, decoded in full and converted to RGB."""
    return load_image(path, "RGB")


default_loader = pil_loader


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """The sub-folders of ``directory``, sorted, and their indices.

    Every sub-folder is a class, hidden ones (``.ipynb_checkpoints``) included, as in
    torchvision, so that class indices agree; override :meth:`DatasetFolder.find_classes` to
    choose others.

    Raises:
        FileNotFoundError: ``directory`` is missing or has no sub-folder.
    """
    directory = os.path.expanduser(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"dataset folder not found: {directory}")
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(
            f"Couldn't find any class folder in {directory}: expected one sub-folder per class"
        )
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(
    directory: str | os.PathLike,
    class_to_idx: dict[str, int] | None = None,
    extensions: str | tuple[str, ...] | None = None,
    is_valid_file: Callable[[str], bool] | None = None,
    allow_empty: bool = False,
) -> list[tuple[str, int]]:
    """``(path, class index)`` for every valid file under each class folder.

    Classes are visited in the order of their names and the files of each in sorted order,
    recursively (following symlinks). Exactly one of ``extensions`` (matched against the
    lower-cased file name) and ``is_valid_file`` says which files count. Without
    ``class_to_idx`` the classes are those of :func:`find_classes`.

    Raises:
        ValueError: ``class_to_idx`` is empty, or not exactly one of ``extensions`` and
            ``is_valid_file`` is given.
        FileNotFoundError: some class folders (named) have no valid file, unless
            ``allow_empty``.
    """
    directory = os.path.expanduser(directory)
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError(
            "Both extensions and is_valid_file cannot be None or not None at the same time: "
            "pass exactly one of extensions and is_valid_file"
        )
    if extensions is not None:

        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    samples = []
    empty = []
    for name in sorted(class_to_idx):
        class_dir = os.path.join(directory, name)
        found = [
            os.path.join(folder, file)
            for folder, _, files in sorted(os.walk(class_dir, followlinks=True))
            for file in sorted(files)
            if is_valid_file(os.path.join(folder, file))
        ]
        if not found:
            empty.append(name)
        samples += [(path, class_to_idx[name]) for path in found]
    if empty and not allow_empty:
        wanted = (
            f"Supported extensions are: "
            f"{extensions if isinstance(extensions, str) else ', '.join(extensions)}"
            if extensions is not None
            else "No file passed is_valid_file."
        )
        raise FileNotFoundError(
            f"Found no valid file for the classes {', '.join(sorted(empty))} in {directory}. "
            f"{wanted} (pass allow_empty=True to keep empty classes)"
        )
    return samples


class DatasetFolder(VisionDataset):
    """Samples arranged as ``root/<class>/**/<file>``; the target is the class index.

    Classes are the sorted names of the sub-folders of ``root`` (see :func:`find_classes`);
    subclasses may override :meth:`find_classes` and :meth:`make_dataset`.

    Args:
        root: folder holding one sub-folder per class.
        loader: reads one sample from its path.
        extensions: file extensions to accept (lower-case; file names are lower-cased), or
            ``None`` with ``is_valid_file``.
        transform, target_transform: see :class:`VisionDataset`.
        is_valid_file: decides from a file's path whether it is a sample.
        allow_empty: accept class folders without any sample.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

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
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(
            self.root, self.class_to_idx, extensions, is_valid_file, allow_empty
        )
        self.targets = [target for _, target in self.samples]
        self.loader = loader
        self.extensions = extensions

    @staticmethod
    def make_dataset(
        directory: str | os.PathLike,
        class_to_idx: dict[str, int],
        extensions: tuple[str, ...] | None = None,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
    ) -> list[tuple[str, int]]:
        """The samples of ``directory``: :func:`make_dataset`, with ``class_to_idx`` required
        (so that an overridden :meth:`find_classes` is not bypassed)."""
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
        """The classes of ``directory`` and their indices: :func:`find_classes`."""
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        return self.apply_transforms(self.loader(path), target)

    def __len__(self) -> int:
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images arranged as ``root/<class>/**/<image>``, loaded as RGB PIL images.

    The target is the index of the class in the sorted class names. Accepts the files whose
    extension is in :data:`IMG_EXTENSIONS` unless ``is_valid_file`` is given. See
    :class:`DatasetFolder` for the arguments and attributes; ``imgs`` is ``samples``.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        loader: Callable[[str], Any] = default_loader,
        is_valid_file: Callable[[str], bool] | None = None,
        allow_empty: bool = False,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(
            root,
            loader,
            IMG_EXTENSIONS if is_valid_file is None else None,
            transform=transform,
            target_transform=target_transform,
            is_valid_file=is_valid_file,
            allow_empty=allow_empty,
            transforms=transforms,
        )
        self.imgs = self.samples
