"""Random images with random class labels, the same for a given index on every run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from PIL import Image

from .vision import VisionDataset

# PIL's mode for an image of 1 to 4 channels.
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


class FakeData(VisionDataset):
    """Random images with random labels, for smoke tests and benchmarks: the same samples as
    torchvision's ``FakeData``.

    Sample ``i`` is drawn from a generator seeded with ``i + random_offset``, so it is the same
    on every call, in every worker process and on every run: standard normal values, scaled by
    255 and cast to uint8 (wrapping, as torchvision's ``ToPILImage`` does), then the label. A
    negative index counts from the end (torchvision seeds with the negative number instead).

    Args:
        size: number of samples.
        image_size: ``(C, H, W)`` with ``C`` 1 to 4 (PIL modes ``"L"``, ``"LA"``, ``"RGB"``,
            ``"RGBA"``).
        num_classes: labels are drawn from ``0 .. num_classes - 1``.
        transform, target_transform: see :class:`VisionDataset`.
        random_offset: shifts the seeds, giving another dataset of the same shape.
        transforms: joint transform (vdata only), see :class:`VisionDataset`.
    """

    def __init__(
        self,
        size: int = 1000,
        image_size: tuple[int, int, int] = (3, 224, 224),
        num_classes: int = 10,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        random_offset: int = 0,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(None, transforms, transform, target_transform)
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        if len(image_size) != 3 or image_size[0] not in _MODES or min(image_size) < 1:
            raise ValueError(f"image_size must be (C, H, W) with C 1 to 4, got {image_size}")
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
        values = torch.randn(self.image_size, generator=generator)
        target = int(torch.randint(0, self.num_classes, (1,), generator=generator)[0])
        pixels = values.mul(255).byte().permute(1, 2, 0).contiguous().numpy()
        height, width = pixels.shape[:2]
        image = Image.frombytes(_MODES[self.image_size[0]], (width, height), pixels.tobytes())
        return self.apply_transforms(image, target)

    def __len__(self) -> int:
        return self.size
