"""Random images with random class labels, the same for a given index on every run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from PIL import Image

from .vision import VisionDataset


class FakeData(VisionDataset):
    """Random uint8 images with random labels, for smoke tests and benchmarks.

    Sample ``i`` is drawn from a generator seeded with ``i + random_offset``, so it is the same
    on every call, in every worker process and on every run.

    Args:
        size: number of samples.
        image_size: ``(C, H, W)`` with ``C`` 1 (mode ``"L"`` images) or 3 (``"RGB"``).
        num_classes: labels are drawn from ``0 .. num_classes - 1``.
        random_offset: shifts the seeds, giving another dataset of the same shape.
        transform, target_transform, transforms: see :class:`VisionDataset`.
    """

    def __init__(
        self,
        size: int = 1000,
        image_size: tuple[int, int, int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        transforms: Callable | None = None,
        random_offset: int = 0,
    ) -> None:
        super().__init__(None, transforms, transform, target_transform)
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        if len(image_size) != 3 or image_size[0] not in (1, 3) or min(image_size) < 1:
            raise ValueError(f"image_size must be (C, H, W) with C 1 or 3, got {image_size}")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.size = size
        self.image_size = tuple(image_size)
        self.num_classes = num_classes
        self.random_offset = random_offset

    def __getitem__(self, index: int) -> tuple[Any, int]:
        if not -self.size <= index < self.size:
            raise IndexError(f"index {index} out of range for FakeData of size {self.size}")
        generator = torch.Generator().manual_seed(index % self.size + self.random_offset)
        pixels = torch.randint(0, 256, self.image_size, dtype=torch.uint8, generator=generator)
        target = int(torch.randint(0, self.num_classes, (), generator=generator))
        # H x W gives an "L" image, H x W x 3 an "RGB" one.
        image = Image.fromarray(pixels.permute(1, 2, 0).squeeze(2).numpy())
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return self.size
