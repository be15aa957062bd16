"""FCOS (Tian et al., 2019): anchor-free detection, one point per cell of a five-level feature
pyramid predicting a class, its distances to the box's four sides and how central it is."""

import math
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, model_builder
from .._weights import Weights, WeightsEnum
from ..presets import ObjectDetection
from ._meta import COCO_CATEGORIES
from .anchors import AnchorGenerator
from .box_coding import BoxLinearCoder
from .faster_rcnn import IMAGENET_MEAN, IMAGENET_STD, build_resnet50_fpn_detector
from .generalized_rcnn import backbone_channels
from .one_stage import (
    OneStageDetector,
    best_anchors,
    check_dense_settings,
    matched_values,
    per_anchor,
    select_detections,
    top_candidates,
)
from .retinanet import PYRAMID_FROM_LAYER2
from .transform import GeneralizedRCNNTransform


def fcos_anchor_generator() -> AnchorGenerator:
    """One square anchor per cell, as large as the level's stride (8 on P3 to 128 on P7): its
    centre is the FCOS point and its size the unit of the level's distances."""
    sizes = ((8,), (16,), (32,), (64,), (128,))
    return AnchorGenerator(sizes, ((1.0,),) * len(sizes))


def centerness_targets(distances: Tensor) -> Tensor:
    """How central a point is in its box, from its distances ``(l, t, r, b)`` to the box's
    sides, ``Tensor[..., 4]``: ``sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b))``, 1 at
    the centre and 0 on a side; returns ``Tensor[...]``."""
    left_right = distances[..., 0::2]
    top_bottom = distances[..., 1::2]
    return torch.sqrt(
        (left_right.amin(dim=-1) / left_right.amax(dim=-1))
        * (top_bottom.amin(dim=-1) / top_bottom.amax(dim=-1))
    )


def center_sampling_matches(
    anchors: Tensor, boxes: Tensor, num_anchors_per_level: list[int], center_sampling_radius: float
) -> Tensor:
    """The box each anchor learns, by FCOS's centre sampling.

    An anchor of size ``s`` (its level's stride) and centre ``p`` may learn a box if ``p`` is
    inside the box, within ``center_sampling_radius * s`` of the box's centre along both axes,
    and the largest of its distances to the box's sides is in its level's range ``(4 s, 8 s)``
    (from 0 on the first level, without bound on the last). Of several such boxes it learns the
    smallest.

    Args:
        anchors: ``Tensor[A, 4]`` xyxy, level by level.
        boxes: ``Tensor[G, 4]`` xyxy.
        num_anchors_per_level: how many of the ``A`` anchors each level has.

    Returns:
        int64 ``Tensor[A]``: the index of the box, or -1 for background.
    """
    if boxes.size(0) == 0:
        return torch.full((anchors.size(0),), -1, dtype=torch.int64, device=anchors.device)
    box_centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    points = (anchors[:, :2] + anchors[:, 2:]) / 2
    sizes = anchors[:, 2] - anchors[:, 0]
    offsets = (points[:, None, :] - box_centres[None, :, :]).abs().amax(dim=2)
    match = offsets < center_sampling_radius * sizes[:, None]
    x, y = points[:, 0:1], points[:, 1:2]
    distances = torch.stack((x - boxes[:, 0], y - boxes[:, 1], boxes[:, 2] - x, boxes[:, 3] - y), 2)
    lower = sizes * 4
    lower[: num_anchors_per_level[0]] = 0
    upper = sizes * 8
    upper[anchors.size(0) - num_anchors_per_level[-1] :] = float("inf")
    reach = distances.amax(dim=2)
    match &= distances.amin(dim=2) > 0
    match &= (reach > lower[:, None]) & (reach < upper[:, None])
    # The smallest box has the largest 1e8 - area. In float32 areas closer than its rounding
    # step (8) tie and go to the first box, as in torchvision, whose losses this keeps.
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    priority = torch.where(match, 1e8 - areas[None, :], torch.zeros_like(offsets))
    best, index = priority.max(dim=1)
    return torch.where(best < 1e-5, torch.full_like(index, -1), index)


def conv_tower(
    in_channels: int, num_convs: int, norm_layer: Callable[..., nn.Module] | None
) -> nn.Sequential:
    """``num_convs`` times a 3x3 convolution, ``norm_layer`` (``GroupNorm(32)`` if None) and
    ReLU, flat (``conv.0`` convolution, ``conv.1`` norm, ``conv.2`` ReLU, ``conv.3`` ...)."""
    if not isinstance(num_convs, int) or isinstance(num_convs, bool) or num_convs < 0:
        raise ValueError(f"num_convs must be an int >= 0, got {num_convs!r}")
    norm_layer = norm_layer or partial(nn.GroupNorm, 32)
    layers: list[nn.Module] = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, in_channels, 3, padding=1), norm_layer(in_channels)]
        layers.append(nn.ReLU())
    tower = nn.Sequential(*layers)
    for layer in tower:
        if isinstance(layer, nn.Conv2d):
            init_prediction(layer, 0.0)
    return tower


def init_prediction(conv: nn.Conv2d, bias: float) -> None:
    """Small random weights (std 0.01) and a constant bias."""
    nn.init.normal_(conv.weight, std=0.01)
    nn.init.constant_(conv.bias, bias)


class FCOSClassificationHead(nn.Module):
    """Per point and class a logit: a :func:`conv_tower` (``conv``), then a 3x3 convolution
    (``cls_logits``) whose bias starts every class at probability ``prior_probability``.

    Args:
        in_channels: channels of every feature map.
        num_anchors: points per cell (1).
        num_classes: classes including the background.
        num_convs: convolutions in the tower.
        prior_probability: the initial foreground probability, so that the many background
            points do not swamp the first steps.
        norm_layer: normalization in the tower (``GroupNorm(32, C)`` if None).

    Shape:
        input per level ``Tensor[N, C, H_l, W_l]``; output ``Tensor[N, A, num_classes]`` over
        the ``A`` points of all levels.
    """

    def __init__(
        self,
        in_channels: int,
        num_anchors: int,
        num_classes: int,
        num_convs: int = 4,
        prior_probability: float = 0.01,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        if not 0.0 < prior_probability < 1.0:
            raise ValueError(f"prior_probability must be in (0, 1), got {prior_probability!r}")
        super().__init__()
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.conv = conv_tower(in_channels, num_convs, norm_layer)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, 3, padding=1)
        init_prediction(self.cls_logits, -math.log((1 - prior_probability) / prior_probability))

    def forward(self, x: list[Tensor]) -> Tensor:
        return torch.cat(
            [per_anchor(self.cls_logits(self.conv(f)), self.num_classes) for f in x], dim=1
        )


class FCOSRegressionHead(nn.Module):
    """Per point its normalized distances to the box's sides (``bbox_reg``, through ReLU) and
    a centerness logit (``bbox_ctrness``), both 3x3 convolutions on one :func:`conv_tower`
    (``conv``).

    Args:
        in_channels: channels of every feature map.
        num_anchors: points per cell (1).
        num_convs: convolutions in the tower.
        norm_layer: normalization in the tower (``GroupNorm(32, C)`` if None).

    Shape:
        input per level ``Tensor[N, C, H_l, W_l]``; output ``(Tensor[N, A, 4], Tensor[N, A, 1])``.
    """

    def __init__(
        self,
        in_channels: int,
        num_anchors: int,
        num_convs: int = 4,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.conv = conv_tower(in_channels, num_convs, norm_layer)
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, 3, padding=1)
        self.bbox_ctrness = nn.Conv2d(in_channels, num_anchors, 3, padding=1)
        for conv in (self.bbox_reg, self.bbox_ctrness):
            init_prediction(conv, 0.0)

    def forward(self, x: list[Tensor]) -> tuple[Tensor, Tensor]:
        distances: list[Tensor] = []
        centerness: list[Tensor] = []
        for f in x:
            features = self.conv(f)
            distances.append(per_anchor(F.relu(self.bbox_reg(features)), 4))
            centerness.append(per_anchor(self.bbox_ctrness(features), 1))
        return torch.cat(distances, dim=1), torch.cat(centerness, dim=1)


class FCOSHead(nn.Module):
    """The classification and regression heads side by side (``classification_head``,
    ``regression_head``), and FCOS's losses.

    Args:
        in_channels: channels of every feature map.
        num_anchors: points per cell (1).
        num_classes: classes including the background.
        num_convs: convolutions in each tower.

    Shape:
        input per level ``Tensor[N, C, H_l, W_l]``; output ``{"cls_logits": Tensor[N, A, K],
        "bbox_regression": Tensor[N, A, 4], "bbox_ctrness": Tensor[N, A, 1]}``.
    """

    box_coder: BoxLinearCoder

    def __init__(
        self, in_channels: int, num_anchors: int, num_classes: int, num_convs: int = 4
    ) -> None:
        super().__init__()
        self.box_coder = BoxLinearCoder(normalize_by_size=True)
        self.classification_head = FCOSClassificationHead(
            in_channels, num_anchors, num_classes, num_convs
        )
        self.regression_head = FCOSRegressionHead(in_channels, num_anchors, num_convs)

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        matched_idxs: list[Tensor],
    ) -> dict[str, Tensor]:
        """FCOS's three losses, each summed over the batch and divided by its foreground
        count (at least 1): ``classification``, the sigmoid focal loss of every point against
        one-hot targets (zeros for background); ``bbox_regression``, the GIoU loss of the
        foreground's decoded boxes; ``bbox_ctrness``, binary cross-entropy of the foreground's
        centerness logits against :func:`centerness_targets`.

        Args:
            anchors: per image ``Tensor[A, 4]``.
            matched_idxs: per image ``Tensor[A]``: the matched box, or -1 for background.
        """
        logits = head_outputs["cls_logits"]
        foreground = torch.stack(matched_idxs) >= 0
        count = foreground.sum().clamp(min=1)
        labels = matched_values(targets, matched_idxs, "labels")
        one_hot = torch.zeros_like(logits).scatter_(
            2, labels.unsqueeze(2), foreground.unsqueeze(2).to(logits.dtype)
        )
        where = foreground.nonzero()
        image, anchor = where[:, 0], where[:, 1]
        boxes = matched_values(targets, matched_idxs, "boxes")[image, anchor]
        points = torch.stack(anchors)[image, anchor]
        predicted = self.box_coder.decode(head_outputs["bbox_regression"][image, anchor], points)
        centerness = centerness_targets(self.box_coder.encode(points, boxes))
        return {
            "classification": vops.sigmoid_focal_loss(logits, one_hot, reduction="sum") / count,
            "bbox_regression": vops.generalized_box_iou_loss(predicted, boxes, reduction="sum")
            / count,
            "bbox_ctrness": F.binary_cross_entropy_with_logits(
                head_outputs["bbox_ctrness"][image, anchor, 0], centerness, reduction="sum"
            )
            / count,
        }

    def forward(self, x: list[Tensor]) -> dict[str, Tensor]:
        distances, centerness = self.regression_head(x)
        return {
            "cls_logits": self.classification_head(x),
            "bbox_regression": distances,
            "bbox_ctrness": centerness,
        }


class FCOS(OneStageDetector):
    """FCOS over any backbone that has an ``out_channels`` attribute.

    Training assigns each point (anchor centre) a box by :func:`center_sampling_matches`; the
    head's ``compute_loss`` gives the losses. Evaluation scores each (point, class) pair
    ``sqrt(sigmoid(class logit) * sigmoid(centerness logit))``, keeps per image and level the
    ``topk_candidates`` best, decodes their boxes and keeps those above ``score_thresh``, after
    per-class NMS at ``nms_thresh``, the ``detections_per_img`` best.

    Args:
        backbone: the feature extractor, with ``out_channels``; returns a map or a dict of them.
        num_classes: classes including the background; required unless ``head`` is given.
        min_size, max_size, image_mean, image_std, size_divisible, fixed_size: the
            :class:`GeneralizedRCNNTransform`.
        anchor_generator: one anchor per cell on every level; default
            :func:`fcos_anchor_generator` (five levels, sizes 8 to 128).
        head: default an :class:`FCOSHead` for the classes.
        center_sampling_radius: how near a box's centre, in strides, its points must be.

    See :class:`OneStageDetector` for inputs and outputs; the losses are ``classification``,
    ``bbox_regression`` and ``bbox_ctrness``.
    """

    box_coder: BoxLinearCoder

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int | None = None,
        min_size: int | tuple[int, ...] = 800,
        max_size: int = 1333,
        image_mean: tuple[float, ...] | None = None,
        image_std: tuple[float, ...] | None = None,
        anchor_generator: AnchorGenerator | None = None,
        head: nn.Module | None = None,
        center_sampling_radius: float = 1.5,
        score_thresh: float = 0.2,
        nms_thresh: float = 0.6,
        detections_per_img: int = 100,
        topk_candidates: int = 1000,
        *,
        size_divisible: int = 32,
        fixed_size: tuple[int, int] | None = None,
    ) -> None:
        out_channels = backbone_channels(backbone)
        check_dense_settings(num_classes, head, detections_per_img, topk_candidates, nms_thresh)
        if not center_sampling_radius > 0:
            raise ValueError(
                f"center_sampling_radius must be positive, got {center_sampling_radius!r}"
            )
        anchor_generator = anchor_generator or fcos_anchor_generator()
        per_cell = anchor_generator.num_anchors_per_location()
        if any(n != 1 for n in per_cell):
            raise ValueError(
                "anchor_generator must give one anchor per cell on every level (FCOS predicts "
                f"at points), got {per_cell}"
            )
        transform = GeneralizedRCNNTransform(
            min_size,
            max_size,
            list(image_mean or IMAGENET_MEAN),
            list(image_std or IMAGENET_STD),
            size_divisible,
            fixed_size,
        )
        if head is None:
            head = FCOSHead(out_channels, 1, num_classes)
        super().__init__(backbone, head, anchor_generator, transform)
        self.box_coder = BoxLinearCoder(normalize_by_size=True)
        self.center_sampling_radius = center_sampling_radius
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        num_anchors_per_level: list[int],
    ) -> dict[str, Tensor]:
        matched_idxs = [
            center_sampling_matches(
                image_anchors, target["boxes"], num_anchors_per_level, self.center_sampling_radius
            )
            for image_anchors, target in zip(anchors, targets, strict=True)
        ]
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(
        self,
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        image_sizes: list[tuple[int, int]],
        num_anchors_per_level: list[int],
    ) -> list[dict[str, Tensor]]:
        logits = head_outputs["cls_logits"]
        centerness = torch.sigmoid(head_outputs["bbox_ctrness"])
        # A point's best pair is its best class: ranking the points by it first spares the
        # sigmoid and the class-wise top-k over every point (see best_anchors).
        best = torch.sqrt(torch.sigmoid(logits.amax(dim=2, keepdim=True)) * centerness)
        rows, counts = best_anchors(best, num_anchors_per_level, self.topk_candidates)
        row_logits = logits.gather(1, rows.unsqueeze(2).expand(-1, -1, logits.size(2)))
        row_scores = torch.sqrt(torch.sigmoid(row_logits) * centerness.gather(1, rows[:, :, None]))
        scores, picked, labels = top_candidates(row_scores, counts, self.topk_candidates)
        gather = rows.gather(1, picked).unsqueeze(2).expand(-1, -1, 4)
        boxes = self.box_coder.decode(
            head_outputs["bbox_regression"].gather(1, gather),
            torch.stack(anchors).gather(1, gather),
        )
        return select_detections(
            boxes,
            scores,
            labels,
            image_sizes,
            self.score_thresh,
            self.nms_thresh,
            self.detections_per_img,
        )


class FCOS_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fcos_resnet50_fpn_coco-99b0c9b7.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 32269600,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "detection#fcos-resnet-50-fpn"
            ),
            "_metrics": {"COCO-val2017": {"box_map": 39.2}},
            "_ops": 128.207,
            "_file_size": 123.608,
            "_docs": "Trained on COCO with a recipe close to the paper's, linked in recipe.",
        },
    )
    DEFAULT = COCO_V1


@model_builder(task="detection", weights=FCOS_ResNet50_FPN_Weights, backbone="resnet50")
def fcos_resnet50_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> FCOS:
    """FCOS with a ResNet-50 FPN backbone (P3 to P7), from "FCOS: Fully Convolutional
    One-Stage Object Detection" (Tian et al., 2019).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`FCOS`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`FCOS`.
    """
    backbone_kwargs = {
        "returned_layers": PYRAMID_FROM_LAYER2,
        "extra_blocks": vops.LastLevelP6P7(256, 256),
    }
    return build_resnet50_fpn_detector(
        request,
        FCOS,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        None,
        backbone_kwargs=backbone_kwargs,
        **kwargs,
    )
