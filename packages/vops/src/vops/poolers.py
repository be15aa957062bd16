"""RoI pooling over a feature pyramid (Lin et al., Feature Pyramid Networks, 2017): each box is
pooled from the one pyramid level that suits its size."""

import torch
from torch import Tensor, nn
from torch.jit.annotations import BroadcastingList2

from ._errors import ArgumentError, ArgumentIndexError, ArgumentTypeError
from ._fx import leaf_call
from ._validation import as_pair, check_box_list, check_same, to_rois
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
        raise ArgumentError(
            f"x['{name}'] of size {list(feature.shape[-2:])} must have the same stride "
            f"(a power of two) along height and width from the largest image_shapes "
            f"{image_size}, got strides 2 ** {levels[0]} and 2 ** {levels[1]}"
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


def _present_features(
    x: dict[str, Tensor], featmap_names: list[str]
) -> tuple[list[str], list[Tensor]]:
    """The names of ``featmap_names`` found in ``x``, in that order, and their maps; names
    ``x`` lacks are skipped, as torchvision skips them, but at least one must be there."""
    features: list[Tensor] = []
    present: list[str] = []
    for name in featmap_names:
        if name in x:
            feature = x[name]
            if feature.dim() != 4 or not feature.is_floating_point():
                raise ArgumentError(
                    f"x['{name}'] must be a float Tensor[N, C, H, W], got "
                    f"Tensor{list(feature.shape)} of dtype {feature.dtype}"
                )
            features.append(feature)
            present.append(name)
    if len(features) == 0:
        raise ArgumentIndexError(
            f"x must hold a feature map for at least one name in featmap_names {featmap_names}, "
            f"got keys {list(x.keys())}"
        )
    first = features[0]
    for name, feature in zip(present, features, strict=True):
        if feature.shape[:2] != first.shape[:2]:
            raise ArgumentError(
                f"feature maps must share N and C, got x['{present[0]}'] of "
                f"Tensor{list(first.shape)} and x['{name}'] of Tensor{list(feature.shape)}"
            )
        check_same(feature, first, f"x['{name}']", f"x['{present[0]}']")
    return present, features


def _check_eager_types(x: dict[str, Tensor], boxes: list[Tensor]) -> list[Tensor]:
    """``x`` must be a dict; ``boxes`` a list (a tuple is taken as one), returned as a list."""
    if not isinstance(x, dict):
        raise ArgumentTypeError(f"x must be a dict of feature maps by name, got {type(x).__name__}")
    if isinstance(boxes, tuple):
        return list(boxes)
    if not isinstance(boxes, list):
        raise ArgumentTypeError(
            f"boxes must be a list of Tensor[L, 4], one per image, got {type(boxes).__name__}"
        )
    return boxes


def _check_finite_boxes(boxes: list[Tensor], rois: Tensor) -> None:
    """Name the first non-finite box as ``boxes[i][j]``: one host sync for the whole batch, and
    it must run here, since a NaN box is assigned no level and would silently pool to zeros.
    Skipped under torch.compile and torch.export, which cannot trace the sync."""
    if torch.compiler.is_compiling() or torch.compiler.is_exporting():
        return
    finite = torch.isfinite(rois[:, 1:]).all(dim=1)
    if bool(finite.all()):
        return
    row = int(torch.where(~finite)[0][0])
    for i, b in enumerate(boxes):
        if row < b.size(0):
            raise ArgumentError(f"boxes[{i}][{row}] must be finite, got {b[row].tolist()}")
        row -= b.size(0)


def _pool(
    feature: Tensor, rois: Tensor, level: int, output_size: list[int], sampling_ratio: int
) -> Tensor:
    return roi_align(
        feature,
        rois,
        output_size,
        spatial_scale=2.0**-level,
        sampling_ratio=sampling_ratio,
        aligned=False,
    )


def _multiscale_roi_align(
    x: dict[str, Tensor],
    boxes: list[Tensor],
    image_shapes: list[tuple[int, int]],
    featmap_names: list[str],
    output_size: list[int],
    sampling_ratio: int,
    canonical_scale: int,
    canonical_level: int,
) -> Tensor:
    """Functional form of :class:`MultiScaleRoIAlign`, whose arguments it takes."""
    if not torch.jit.is_scripting():
        traced = leaf_call(
            _multiscale_roi_align,
            x, boxes, image_shapes, featmap_names, output_size,
            sampling_ratio, canonical_scale, canonical_level,
        )  # fmt: skip
        if traced is not None:
            return traced
        boxes = _check_eager_types(x, boxes)
    names, features = _present_features(x, featmap_names)
    check_box_list(boxes, features[0])
    if len(image_shapes) == 0:
        raise ArgumentError("image_shapes must hold the (height, width) of each image, got []")
    image_size = [0, 0]
    for height, width in image_shapes:
        image_size = [size_max(image_size[0], height), size_max(image_size[1], width)]
    if image_size[0] <= 0 or image_size[1] <= 0:
        raise ArgumentError(f"image_shapes must be positive (height, width), got {image_shapes}")

    levels: list[int] = []
    for name, feature in zip(names, features, strict=True):
        levels.append(_pyramid_level(name, feature, image_size))
    k_min = min(levels)
    k_max = max(levels)
    # by_level[l] is the index of the feature map at level k_min + l.
    by_level = [-1] * (k_max - k_min + 1)
    for i, level in enumerate(levels):
        by_level[level - k_min] = i
    # Maps that all share one stride (MobileNetV3's two-map pyramid) pool from the first, as
    # torchvision's pooler does.
    if k_min != k_max and (len(levels) != len(by_level) or -1 in by_level):
        raise ArgumentError(
            f"feature maps {names} must have strides 2 ** k for consecutive k, "
            f"one map per k, or one stride for all, got strides 2 ** {levels} for images of at "
            f"most {image_size}"
        )

    rois = to_rois(boxes)
    if not torch.jit.is_scripting():
        _check_finite_boxes(boxes, rois)
    if k_min == k_max:
        return _pool(features[0], rois, k_min, output_size, sampling_ratio)

    box_levels = _assign_levels(rois[:, 1:], k_min, k_max, canonical_scale, canonical_level)
    result = features[0].new_zeros(
        (rois.size(0), features[0].size(1), output_size[0], output_size[1])
    )
    for offset, i in enumerate(by_level):
        index = torch.where(box_levels == offset)[0]
        result[index] = _pool(features[i], rois[index], k_min + offset, output_size, sampling_ratio)
    return result


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign over a feature pyramid, each box pooled from the level that matches its size.

    The stride of each feature map is inferred from its size against the largest image size,
    rounded to a power of two. A box of side ``s = sqrt(area)`` is pooled from level
    ``floor(canonical_level + log2(s / canonical_scale))``, clamped to the levels present.
    Pooling uses :func:`vops.roi_align` with ``aligned=False``. Under ``torch.fx`` tracing the
    pooling is one graph node.

    Args:
        featmap_names: keys of the feature maps to pool from, one per pyramid level; their
            strides must be ``2 ** k`` for consecutive ``k`` (or all one stride: every box is
            then pooled from the first map, as torchvision does). Names missing from the input are
            skipped (at least one must be there).
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
        if isinstance(featmap_names, str) or not all(isinstance(n, str) for n in featmap_names):
            raise ArgumentTypeError(f"featmap_names must be a list of str, got {featmap_names!r}")
        if len(featmap_names) == 0:
            raise ArgumentIndexError("featmap_names must name at least one feature map, got []")
        if canonical_scale <= 0:
            raise ArgumentError(f"canonical_scale must be positive, got {canonical_scale}")
        self.featmap_names = list(featmap_names)
        height, width = as_pair(output_size)
        self.output_size = (height, width)
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
            boxes: float ``Tensor[L_i, 4]`` boxes ``(x1, y1, x2, y2)`` in image coordinates,
                one per image (the first ``len(boxes)`` images when there are fewer).
            image_shapes: ``(height, width)`` of the images before batching/padding; only the
                largest height and width are used.

        Returns:
            ``Tensor[K, C, output_size[0], output_size[1]]`` with ``K = sum(L_i)``, rows in the
            order of the boxes.
        """
        return _multiscale_roi_align(
            x,
            boxes,
            image_shapes,
            self.featmap_names,
            [self.output_size[0], self.output_size[1]],
            self.sampling_ratio,
            self.canonical_scale,
            self.canonical_level,
        )

    def extra_repr(self) -> str:
        return (
            f"featmap_names={self.featmap_names}, output_size={self.output_size}, "
            f"sampling_ratio={self.sampling_ratio}"
        )
