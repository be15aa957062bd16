"""Anchor boxes: reference boxes of several sizes and aspect ratios at every feature-map cell."""

import torch
from torch import Tensor, nn

from .transform import ImageList


def cell_anchors(sizes: list[int], aspect_ratios: list[float]) -> Tensor:
    """The anchors of one cell, centred on the origin: ``Tensor[R * S, 4]`` xyxy, aspect-ratio
    major, rounded to integers. An anchor of size ``s`` and ratio ``r = h / w`` has area ``s^2``:
    ``w = s / sqrt(r)``, ``h = s * sqrt(r)``."""
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    ratios = torch.as_tensor(aspect_ratios, dtype=torch.float32)
    height_ratios = torch.sqrt(ratios)
    width_ratios = 1 / height_ratios
    widths = (width_ratios[:, None] * scales[None, :]).reshape(-1)
    heights = (height_ratios[:, None] * scales[None, :]).reshape(-1)
    return (torch.stack([-widths, -heights, widths, heights], dim=1) / 2).round()


class AnchorGenerator(nn.Module):
    """Anchors for every cell of every feature map, the same for each image of a batch.

    Feature map ``l`` gets the anchors of ``sizes[l]`` x ``aspect_ratios[l]`` at each of its
    cells, shifted by the cell's position times the map's stride (batch size // map size).

    Args:
        sizes: per feature map, the anchor sizes (square root of the area, in pixels).
        aspect_ratios: per feature map, the height / width ratios.

    Shape:
        ``forward(images, features)`` returns per image a ``Tensor[A, 4]`` xyxy with, for each
        map in order, its cells row-major and at each cell its anchors in :func:`cell_anchors`
        order: the order in which the RPN head's outputs are flattened.
    """

    def __init__(
        self,
        sizes: tuple[tuple[int, ...], ...] = ((128, 256, 512),),
        aspect_ratios: tuple[tuple[float, ...], ...] = ((0.5, 1.0, 2.0),),
    ) -> None:
        super().__init__()
        if len(sizes) != len(aspect_ratios):
            raise ValueError(
                f"sizes and aspect_ratios must have one entry per feature map, got {len(sizes)} "
                f"and {len(aspect_ratios)}"
            )
        self.sizes = [list(level) for level in sizes]
        self.aspect_ratios = [[float(r) for r in level] for level in aspect_ratios]
        self.cell_anchors = [
            cell_anchors(s, r) for s, r in zip(self.sizes, self.aspect_ratios, strict=True)
        ]

    def num_anchors_per_location(self) -> list[int]:
        return [len(s) * len(r) for s, r in zip(self.sizes, self.aspect_ratios, strict=True)]

    def forward(self, images: ImageList, features: list[Tensor]) -> list[Tensor]:
        if len(features) != len(self.cell_anchors):
            raise ValueError(
                f"the anchor generator has anchors for {len(self.cell_anchors)} feature maps, "
                f"got {len(features)}; give sizes and aspect_ratios one entry per map"
            )
        batch_h, batch_w = images.tensors.shape[-2:]
        reference = features[0]
        levels: list[Tensor] = []
        for feature, base in zip(features, self.cell_anchors, strict=True):
            height, width = feature.shape[-2:]
            stride_h = batch_h // height
            stride_w = batch_w // width
            base = base.to(dtype=reference.dtype, device=reference.device)
            shift_x = torch.arange(width, dtype=torch.int32, device=reference.device) * stride_w
            shift_y = torch.arange(height, dtype=torch.int32, device=reference.device) * stride_h
            grid_y, grid_x = torch.meshgrid(shift_y, shift_x, indexing="ij")
            grid_x = grid_x.reshape(-1)
            grid_y = grid_y.reshape(-1)
            shifts = torch.stack((grid_x, grid_y, grid_x, grid_y), dim=1)
            levels.append((shifts.view(-1, 1, 4) + base.view(1, -1, 4)).reshape(-1, 4))
        anchors = torch.cat(levels)
        return [anchors for _ in range(len(images.image_sizes))]

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, aspect_ratios={self.aspect_ratios}"
