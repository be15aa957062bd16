"""What the one-stage detectors (RetinaNet, FCOS, SSD) share: transform -> backbone -> dense head
over every feature map -> anchors -> training losses, or per-image detections after NMS."""

from collections import OrderedDict

import torch
from torch import Tensor, nn

import vops
from vops.symbolic import size_min

from .generalized_rcnn import check_targets
from .transform import GeneralizedRCNNTransform


def check_dense_settings(
    num_classes: int | None,
    head: nn.Module | None,
    detections_per_img: int,
    topk_candidates: int,
    nms_thresh: float,
) -> None:
    """Validate the arguments every one-stage detector takes: ``num_classes`` unless a ``head``
    is given, positive int ``detections_per_img`` and ``topk_candidates``, an IoU
    ``nms_thresh``."""
    if head is None and num_classes is None:
        raise ValueError("num_classes must be given unless head is, got num_classes=None")
    for name, value in (
        ("detections_per_img", detections_per_img),
        ("topk_candidates", topk_candidates),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not 0.0 <= nms_thresh <= 1.0:
        raise ValueError(f"nms_thresh must be an IoU in [0, 1], got {nms_thresh!r}")


def per_anchor(maps: Tensor, width: int) -> Tensor:
    """A head's ``Tensor[N, A * width, H, W]`` output as ``Tensor[N, H * W * A, width]``: cells
    row-major, then anchors, the anchor generator's order."""
    n, _, h, w = maps.shape
    return maps.view(n, -1, width, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, width)


def matched_values(
    targets: list[dict[str, Tensor]], matched_idxs: list[Tensor], key: str
) -> Tensor:
    """``targets[i][key]`` of the box each anchor is matched to, ``Tensor[N, A, ...]``; zeros
    where an image has no boxes (every anchor is then background)."""
    values: list[Tensor] = []
    for target, matched in zip(targets, matched_idxs, strict=True):
        source = target[key]
        if source.size(0) == 0:
            shape = [matched.size(0)] + list(source.shape[1:])  # noqa: RUF005 (TorchScript)
            values.append(source.new_zeros(shape))
        else:
            values.append(source[matched.clamp(min=0)])
    return torch.stack(values)


def best_anchors(
    logits: Tensor, num_anchors_per_level: list[int], topk: int
) -> tuple[Tensor, list[int]]:
    """Per image and level the ``topk`` anchors of highest best-class logit, the only ones
    whose (anchor, class) pairs can be among the level's ``topk`` best: any other anchor has
    ``topk`` better pairs. Ranking them first is exact (ties aside) and spares the class-wise
    top-k and sigmoid over every anchor.

    Args:
        logits: ``Tensor[N, A, K]``, map-major.

    Returns:
        ``(rows, counts)``: int64 ``Tensor[N, R]`` anchor indices, level by level, and how
        many of the ``R`` each level has.
    """
    rows: list[Tensor] = []
    counts: list[int] = []
    first_anchor = 0
    for level in logits.split(num_anchors_per_level, dim=1):
        best = level.amax(dim=2)
        count = size_min(topk, best.size(1))
        rows.append(best.topk(count, dim=1).indices + first_anchor)
        counts.append(count)
        first_anchor += level.size(1)
    return torch.cat(rows, dim=1), counts


def top_candidates(
    scores: Tensor, num_anchors_per_level: list[int], topk_candidates: int
) -> tuple[Tensor, Tensor, Tensor]:
    """The ``topk_candidates`` best (anchor, class) pairs of every feature map, for all images
    at once.

    Args:
        scores: ``Tensor[N, A, K]`` class scores of the ``A`` anchors of all maps, map-major.
        num_anchors_per_level: how many of the ``A`` anchors each map has.
        topk_candidates: pairs kept per image and map (all of a map's if it has fewer).

    Returns:
        ``(scores, anchor_indices, labels)``, each ``Tensor[N, C]``: the kept pairs of every map
        in turn, best first within a map; ``anchor_indices`` index the ``A`` anchors.
    """
    num_classes = scores.size(2)
    kept_scores: list[Tensor] = []
    kept_indices: list[Tensor] = []
    first_anchor = 0
    for level in scores.split(num_anchors_per_level, dim=1):
        flat = level.flatten(start_dim=1)
        level_scores, indices = flat.topk(size_min(topk_candidates, flat.size(1)), dim=1)
        kept_scores.append(level_scores)
        kept_indices.append(indices + first_anchor * num_classes)
        first_anchor += level.size(1)
    indices = torch.cat(kept_indices, dim=1)
    anchor_indices = torch.div(indices, num_classes, rounding_mode="floor")
    return torch.cat(kept_scores, dim=1), anchor_indices, indices % num_classes


def select_detections(
    boxes: Tensor,
    scores: Tensor,
    labels: Tensor,
    image_sizes: list[tuple[int, int]],
    score_thresh: float,
    nms_thresh: float,
    detections_per_img: int,
) -> list[dict[str, Tensor]]:
    """Per image: candidates scoring above ``score_thresh``, clipped to the image, NMS at
    ``nms_thresh`` within each class, the ``detections_per_img`` best.

    Args:
        boxes: ``Tensor[N, C, 4]`` xyxy candidates in batch coordinates.
        scores: ``Tensor[N, C]``.
        labels: int64 ``Tensor[N, C]``.
        image_sizes: ``(height, width)`` of each image inside the batch.

    Returns:
        per image ``{"boxes": Tensor[D, 4], "scores": Tensor[D], "labels": Tensor[D]}``, best
        first.
    """
    detections: list[dict[str, Tensor]] = []
    for image_boxes, image_scores, image_labels, size in zip(
        boxes, scores, labels, image_sizes, strict=True
    ):
        keep = torch.where(image_scores > score_thresh)[0]
        image_boxes = vops.clip_boxes_to_image(image_boxes[keep], size)
        image_scores, image_labels = image_scores[keep], image_labels[keep]
        keep = vops.batched_nms(image_boxes, image_scores, image_labels, nms_thresh)
        keep = keep[:detections_per_img]
        detections.append(
            {"boxes": image_boxes[keep], "scores": image_scores[keep], "labels": image_labels[keep]}
        )
    return detections


class OneStageDetector(nn.Module):
    """A detector that predicts classes and boxes densely at every anchor of every feature map.

    Subclasses define :meth:`compute_loss` and :meth:`postprocess_detections`; the head returns
    a dict of ``Tensor[N, A, ...]`` over the anchors of all maps (map-major, then cell
    row-major, then anchor), in the order the anchor generator lists them.

    Args:
        backbone: maps ``Tensor[N, 3, H, W]`` to a feature map or a dict of them.
        head: maps the list of feature maps to the dict of dense predictions.
        anchor_generator: ``(ImageList, list of feature maps) -> list of Tensor[A, 4]``, with
            ``num_anchors_per_location()``, the anchors per cell of each map.
        transform: the :class:`GeneralizedRCNNTransform` that resizes and batches the images.

    ``forward(images, targets=None)``: ``images`` is a list of float ``Tensor[3, H, W]`` in
    ``[0, 1]``; targets per image ``boxes`` float ``Tensor[G, 4]`` xyxy and ``labels`` int64
    ``Tensor[G]``. In training it returns the dict of losses; in evaluation a list of one dict
    per image with ``boxes`` ``Tensor[D, 4]`` (in the image's own pixels), ``scores`` and
    ``labels`` ``Tensor[D]``. Under TorchScript it returns ``(losses, detections)``.
    """

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        anchor_generator: nn.Module,
        transform: GeneralizedRCNNTransform,
    ) -> None:
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.anchor_generator = anchor_generator
        self.head = head

    def target_keys(self) -> list[str]:
        """The keys each training target needs."""
        return ["boxes", "labels"]

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        num_anchors_per_level: list[int],
    ) -> dict[str, Tensor]:
        """The training losses, from targets in batch coordinates."""
        raise NotImplementedError

    def postprocess_detections(
        self,
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        image_sizes: list[tuple[int, int]],
        num_anchors_per_level: list[int],
    ) -> list[dict[str, Tensor]]:
        """Per image ``boxes``, ``scores`` and ``labels`` in batch coordinates."""
        raise NotImplementedError

    @torch.jit.unused
    def eager_outputs(
        self, losses: dict[str, Tensor], detections: list[dict[str, Tensor]]
    ) -> dict[str, Tensor] | list[dict[str, Tensor]]:
        return losses if self.training else detections

    def forward(
        self, images: list[Tensor], targets: list[dict[str, Tensor]] | None = None
    ) -> tuple[dict[str, Tensor], list[dict[str, Tensor]]]:
        if self.training:
            if targets is None:
                raise ValueError("targets must be given in training mode")
            if len(targets) != len(images):
                raise ValueError(
                    f"targets must hold one dict per image: {len(images)} images, "
                    f"{len(targets)} targets"
                )
            check_targets(targets, self.target_keys())
        if len(images) == 0:
            raise ValueError("images must be a non-empty list of Tensor[3, H, W]")
        original_sizes: list[tuple[int, int]] = []
        for image in images:
            original_sizes.append((image.shape[-2], image.shape[-1]))
        batch, targets = self.transform(images, targets)
        features = self.backbone(batch.tensors)
        if isinstance(features, Tensor):
            features = OrderedDict([("0", features)])
        feature_list = list(features.values())
        head_outputs = self.head(feature_list)
        anchors = self.anchor_generator(batch, feature_list)
        num_anchors_per_level = [
            f.size(2) * f.size(3) * per_cell
            for f, per_cell in zip(
                feature_list, self.anchor_generator.num_anchors_per_location(), strict=True
            )
        ]
        losses: dict[str, Tensor] = {}
        detections: list[dict[str, Tensor]] = []
        if self.training:
            if targets is None:
                raise ValueError("targets must be given in training mode")
            losses = self.compute_loss(targets, head_outputs, anchors, num_anchors_per_level)
        else:
            detections = self.postprocess_detections(
                head_outputs, anchors, batch.image_sizes, num_anchors_per_level
            )
            detections = self.transform.postprocess(detections, batch.image_sizes, original_sizes)
        if torch.jit.is_scripting():
            return losses, detections
        return self.eager_outputs(losses, detections)
