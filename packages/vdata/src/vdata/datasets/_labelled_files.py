"""The base of the datasets whose samples are an image file and a class index."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .vision import VisionDataset


class LabelledImageFiles(VisionDataset):
    """Base of the datasets whose sample ``i`` is the image file ``_image_files[i]``, read by
    ``loader``, and the class index ``_labels[i]`` (the attribute names torchvision uses).

    Subclasses fill both lists in their ``__init__``.

    Args:
        root, transforms, transform, target_transform: see :class:`VisionDataset`.
        loader: reads an image from its path.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        transforms: Callable | None,
        transform: Callable | None,
        target_transform: Callable | None,
        loader: Callable[[str | Path], Any],
    ) -> None:
        super().__init__(root, transforms, transform, target_transform)
        self.loader = loader
        self._image_files: list[str | Path] = []
        self._labels: list[int] = []

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, class index)`` of sample ``index``."""
        image = self.loader(self._image_files[index])
        return self.apply_transforms(image, self._labels[index])

    def __len__(self) -> int:
        return len(self._image_files)
