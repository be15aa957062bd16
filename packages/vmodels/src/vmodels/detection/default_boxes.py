"""SSD's default boxes (Liu et al., 2016): at every cell of every feature map, boxes of one scale
per map in several aspect ratios, laid out in fractions of the image."""

import math

import torch
from torch import Tensor, nn

from vops.symbolic import size_float

from .transform import ImageList


def default_scales(num_maps: int, min_ratio: float, max_ratio: float) -> list[float]:
    """The paper's scales: ``num_maps`` evenly spaced from ``min_ratio`` to ``max_ratio``, then
    1 (the last map's second square box sits between its scale and the next)."""
    if num_maps == 1:
        return [min_ratio, max_ratio]
    step = max_ratio - min_ratio
    return [min_ratio + step * k / (num_maps - 1.0) for k in range(num_maps)] + [1.0]


def box_shapes(scale: float, next_scale: float, aspect_ratios: list[int]) -> Tensor:
    """``(w, h)`` of one cell's default boxes as fractions of the image, ``Tensor[2 + 2R, 2]``:
    a square of ``scale``, a square of ``sqrt(scale * next_scale)``, then per ratio ``r`` the
    boxes ``scale * (sqrt(r), 1 / sqrt(r))`` and its transpose."""
    between = math.sqrt(scale * next_scale)
    shapes = [[scale, scale], [between, between]]
    for ratio in aspect_ratios:
        root = math.sqrt(ratio)
        shapes += [[scale * root, scale / root], [scale / root, scale * root]]
    return torch.as_tensor(shapes, dtype=torch.float32)


class DefaultBoxGenerator(nn.Module):
    """SSD's default boxes for every cell of every feature map, the same for each image.

    Map ``k`` gets :func:`box_shapes` of ``scales[k]``, ``scales[k + 1]`` and
    ``aspect_ratios[k]``, centred on each cell: ``((j + 0.5) / f, (i + 0.5) / f)`` of the
    image's width and height, where ``f`` is the image side over ``steps[k]``, or the map's
    own side without ``steps``.

    Args:
        aspect_ratios: per feature map, the ratios (besides 1) of its boxes.
        min_ratio: smallest scale (fraction of the image), when ``scales`` is not given.
        max_ratio: largest scale, when ``scales`` is not given.
        scales: one scale per map plus one more, instead of ``min_ratio`` .. ``max_ratio``.
        steps: per map, the stride in pixels its cell centres are spaced by.
        clip: clamp the box widths and heights to the image (``[0, 1]``).

    Shape:
        ``forward(images, features)`` returns per image a ``Tensor[A, 4]`` xyxy in batch
        pixels with, for each map in order, its cells row-major and at each cell its
        :func:`box_shapes` in order.
    """

    def __init__(
        self,
        aspect_ratios: list[list[int]],
        min_ratio: float = 0.15,
        max_ratio: float = 0.9,
        scales: list[float] | None = None,
        steps: list[int] | None = None,
        clip: bool = True,
    ) -> None:
        super().__init__()
        num_maps = len(aspect_ratios)
        if num_maps == 0:
            raise ValueError("aspect_ratios must hold one list per feature map, got []")
        if steps is not None and len(steps) != num_maps:
            raise ValueError(
                f"steps must have one entry per feature map ({num_maps}, as aspect_ratios), "
                f"got {len(steps)}"
            )
        if scales is not None and len(scales) != num_maps + 1:
            raise ValueError(
                f"scales must have one entry per feature map plus one ({num_maps + 1}), "
                f"got {len(scales)}"
            )
        self.aspect_ratios = [list(r) for r in aspect_ratios]
        self.steps = None if steps is None else list(steps)
        self.clip = clip
        self.scales = (
            default_scales(num_maps, min_ratio, max_ratio) if scales is None else list(scales)
        )
        shapes = [
            box_shapes(self.scales[k], self.scales[k + 1], self.aspect_ratios[k])
            for k in range(num_maps)
        ]
        self.box_shapes = [s.clamp(min=0, max=1) if clip else s for s in shapes]

    def num_anchors_per_location(self) -> list[int]:
        """The default boxes per cell of each map."""
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def forward(self, images: ImageList, features: list[Tensor]) -> list[Tensor]:
        if len(features) != len(self.box_shapes):
            raise ValueError(
                f"the default box generator has boxes for {len(self.box_shapes)} feature maps, "
                f"got {len(features)}; give aspect_ratios one entry per map"
            )
        batch_h, batch_w = images.tensors.shape[-2:]
        dtype, device = features[0].dtype, features[0].device
        levels: list[Tensor] = []
        for k, (feature, shapes) in enumerate(zip(features, self.box_shapes, strict=True)):
            height, width = feature.shape[-2:]
            if self.steps is not None:
                cells_x = size_float(batch_w) / float(self.steps[k])
                cells_y = size_float(batch_h) / float(self.steps[k])
            else:
                cells_x = size_float(width)
                cells_y = size_float(height)
            centre_x = ((torch.arange(width, device=device) + 0.5) / cells_x).to(dtype)
            centre_y = ((torch.arange(height, device=device) + 0.5) / cells_y).to(dtype)
            grid_y, grid_x = torch.meshgrid(centre_y, centre_x, indexing="ij")
            centres = torch.stack((grid_x.reshape(-1), grid_y.reshape(-1)), dim=1)
            centres = centres[:, None, :].expand(-1, shapes.size(0), 2)
            half = 0.5 * shapes.to(dtype=dtype, device=device)[None].expand_as(centres)
            levels.append(torch.cat((centres - half, centres + half), dim=2).reshape(-1, 4))
        corners = torch.cat(levels).view(-1, 2, 2)  # [[x1, y1], [x2, y2]]
        scale_x, scale_y = size_float(batch_w), size_float(batch_h)
        boxes = torch.stack((corners[..., 0] * scale_x, corners[..., 1] * scale_y), dim=2)
        boxes = boxes.view(-1, 4)
        return [boxes for _ in range(len(images.image_sizes))]

    def extra_repr(self) -> str:
        return (
            f"aspect_ratios={self.aspect_ratios}, clip={self.clip}, scales={self.scales}, "
            f"steps={self.steps}"
        )
