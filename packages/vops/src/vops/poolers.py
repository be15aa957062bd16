"""RoI pooling over a feature pyramid (Lin et al., Feature Pyramid Networks, 2017): each box is
pooled from the one pyramid level that suits its size."""

import torch
from torch import Tensor, nn
from torch.jit.annotations import BroadcastingList2

from ._validation import as_pair, check_box_list, check_output_size, check_same, to_rois
from .roi_align import roi_align
from .symbolic import size_max


def _pyramid_level(name: str, feature: Tensor, image_size: list[int]) -> int:
    """Level ``k`` of a feature map whose stride from the image is ``2 ** k``."""
    levels: list[int] = []
    for feature_length, image_length in zip(feature.shape[-2:], image_size, strict=True):
        # round(log2(image / feature)): the k for which feature * 2**k is within a factor sqrt(2)
        # of the image side. In integers, so that an exported program checks inequalities that
        # hold for every image size with this stride, not the traced sizes' exact ratio.
        level = 0
        scaled_feature, scaled_image = feature_length, image_length
        while 2 * scaled_feature * scaled_feature < scaled_image * scaled_image and level < 32:
            scaled_feature *= 2
            level += 1
        while scaled_feature * scaled_feature > 2 * scaled_image * scaled_image and level > -32:
            scaled_image *= 2
            level -= 1
        levels.append(level)
    if levels[0] != levels[1]:
        raise ValueError(
            f"feature map '{name}' of size {list(feature.shape[-2:])} must have the same stride "
            f"along height and width from images of at most {image_size}, got strides "
            f"2 ** {levels[0]} and 2 ** {levels[1]}"
        )
    return levels[0]


def _assign_levels(
    boxes: Tensor, k_min: int, k_max: int, canonical_scale: int, canonical_level: int
) -> Tensor:
    """Pyramid level of each ``Tensor[K, 4]`` box, counted from ``k_min``, as int64 ``Tensor[K]``.

    A box of side ``canonical_scale`` goes to ``canonical_level``, one of half that side one level
    lower (Eq. 1 of the FPN paper); the 1e-6 keeps a box whose side sits exactly on a level
    boundary from dropping a level through rounding error.
    """
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # Degenerate boxes have area <= 0: they land on the finest level instead of producing NaN.
    side = area.clamp(min=0).sqrt()
    eps = torch.tensor(1e-6, dtype=side.dtype, device=side.device)
    levels = torch.floor(canonical_level + torch.log2(side / canonical_scale) + eps)
    return levels.clamp(min=k_min, max=k_max).to(torch.int64) - k_min


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign over a feature pyramid, each box pooled from the level that matches its size.

    The stride of each feature map is inferred from its size against the largest image size,
    rounded to a power of two. A box of side ``s = sqrt(area)`` is pooled from level
    ``floor(canonical_level + log2(s / canonical_scale))``, clamped to the levels present.
    Pooling uses :func:`vops.roi_align` with ``aligned=False``.

    Args:
        featmap_names: keys of the feature maps to pool from, one per pyramid level; their
            strides must be ``2 ** k`` for consecutive ``k``.
        output_size: ``(height, width)`` of each pooled region, or one int for both.
        sampling_ratio: sampling points per bin along each axis; ``<= 0`` picks
            ``ceil(bin size)`` per RoI.
        canonical_scale: box side that maps to ``canonical_level`` (224, the ImageNet crop).
        canonical_level: pyramid level (stride ``2 ** level``) of a ``canonical_scale`` box.
    """

    def __init__(
        self,
        featmap_names: list[str],
        output_size: BroadcastingList2[int],
        sampling_ratio: int,
        *,
        canonical_scale: int = 224,
        canonical_level: int = 4,
    ) -> None:
        super().__init__()
        if (
            isinstance(featmap_names, str)
            or len(featmap_names) == 0
            or not all(isinstance(name, str) for name in featmap_names)
        ):
            raise ValueError(
                f"featmap_names must be a non-empty list of str, got {featmap_names!r}"
            )
        if canonical_scale <= 0:
            raise ValueError(f"canonical_scale must be positive, got {canonical_scale}")
        self.featmap_names = list(featmap_names)
        self.output_size = as_pair(output_size)
        check_output_size(self.output_size)
        self.sampling_ratio = sampling_ratio
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(
        self,
        x: dict[str, Tensor],
        boxes: list[Tensor],
        image_shapes: list[tuple[int, int]],
    ) -> Tensor:
        """Pool every box from its level.

        Args:
            x: feature maps ``Tensor[N, C, H_l, W_l]`` by name; keys not in ``featmap_names``
                are ignored.
            boxes: ``N`` float ``Tensor[L_i, 4]`` boxes ``(x1, y1, x2, y2)`` in image
                coordinates, one per image.
            image_shapes: ``(height, width)`` of each image before batching/padding.

        Returns:
            ``Tensor[K, C, output_size[0], output_size[1]]`` with ``K = sum(L_i)``, rows in the
            order of the boxes.
        """
        features = self._features(x)
        check_box_list(boxes, features[0])
        if len(image_shapes) != len(boxes):
            raise ValueError(
                f"image_shapes must hold one (height, width) per image: got {len(boxes)} box "
                f"tensors and {len(image_shapes)} image shapes"
            )
        image_size = [0, 0]
        for height, width in image_shapes:
            image_size = [size_max(image_size[0], height), size_max(image_size[1], width)]
        if image_size[0] <= 0 or image_size[1] <= 0:
            raise ValueError(f"image_shapes must be positive (height, width), got {image_shapes}")

        levels: list[int] = []
        for name, feature in zip(self.featmap_names, features, strict=True):
            levels.append(_pyramid_level(name, feature, image_size))
        k_min = min(levels)
        k_max = max(levels)
        # by_level[l] is the index of the feature map at level k_min + l.
        by_level = [-1] * (k_max - k_min + 1)
        for i, level in enumerate(levels):
            by_level[level - k_min] = i
        if len(levels) != len(by_level) or -1 in by_level:
            raise ValueError(
                f"feature maps {self.featmap_names} must have strides 2 ** k for consecutive k, "
                f"one map per k, got strides 2 ** {levels} for images of at most {image_size}"
            )

        rois = to_rois(boxes)
        if len(features) == 1:
            return self._pool(features[0], rois, k_min)

        box_levels = _assign_levels(
            rois[:, 1:], k_min, k_max, self.canonical_scale, self.canonical_level
        )
        result = features[0].new_zeros(
            (rois.size(0), features[0].size(1), self.output_size[0], self.output_size[1])
        )
        for offset, i in enumerate(by_level):
            index = torch.where(box_levels == offset)[0]
            result[index] = self._pool(features[i], rois[index], k_min + offset)
        return result

    def _features(self, x: dict[str, Tensor]) -> list[Tensor]:
        features: list[Tensor] = []
        for name in self.featmap_names:
            if name not in x:
                raise ValueError(
                    f"x must hold a feature map for every name in featmap_names "
                    f"{self.featmap_names}, missing '{name}' among {list(x.keys())}"
                )
            feature = x[name]
            if feature.dim() != 4 or not feature.is_floating_point():
                raise ValueError(
                    f"x['{name}'] must be a float Tensor[N, C, H, W], got "
                    f"Tensor{list(feature.shape)} of dtype {feature.dtype}"
                )
            features.append(feature)
        first = features[0]
        for name, feature in zip(self.featmap_names, features, strict=True):
            if feature.shape[:2] != first.shape[:2]:
                raise ValueError(
                    f"feature maps must share N and C, got x['{self.featmap_names[0]}'] of "
                    f"Tensor{list(first.shape)} and x['{name}'] of Tensor{list(feature.shape)}"
                )
            check_same(feature, first, f"x['{name}']", f"x['{self.featmap_names[0]}']")
        return features

    def _pool(self, feature: Tensor, rois: Tensor, level: int) -> Tensor:
        return roi_align(
            feature,
            rois,
            self.output_size,
            spatial_scale=2.0**-level,
            sampling_ratio=self.sampling_ratio,
            aligned=False,
        )

    def extra_repr(self) -> str:
        return (
            f"featmap_names={self.featmap_names}, output_size={self.output_size}, "
            f"sampling_ratio={self.sampling_ratio}"
        )
