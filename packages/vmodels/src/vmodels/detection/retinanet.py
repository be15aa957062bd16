"""RetinaNet (Lin et al., 2017): dense class and box predictions at nine anchors per cell of a
five-level feature pyramid, trained with the focal loss; and its v2 with group-normalized heads
and a GIoU box loss."""

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
from .box_coding import BoxCoder
from .faster_rcnn import IMAGENET_MEAN, IMAGENET_STD, build_resnet50_fpn_detector
from .generalized_rcnn import backbone_channels
from .matching import Matcher
from .one_stage import (
    OneStageDetector,
    best_anchors,
    check_dense_settings,
    matched_values,
    per_anchor,
    select_detections,
    top_candidates,
)
from .transform import GeneralizedRCNNTransform

BOX_LOSSES = ("l1", "smooth_l1", "giou", "diou", "ciou")


def retinanet_anchor_generator() -> AnchorGenerator:
    """Three sizes an octave apart in thirds (``x``, ``x * 2^(1/3)``, ``x * 2^(2/3)``, rounded
    down) for ``x`` = 32 to 512, one ``x`` per pyramid level P3 to P7, each at ratios 0.5, 1
    and 2: nine anchors per cell."""
    sizes = tuple(
        (x, int(x * 2 ** (1 / 3)), int(x * 2 ** (2 / 3))) for x in (32, 64, 128, 256, 512)
    )
    return AnchorGenerator(sizes, ((0.5, 1.0, 2.0),) * len(sizes))


class ConvTower(nn.Module):
    """Four 3x3 convolutions with ReLU (``conv``, each a :class:`vops.Conv2dNormActivation`,
    with ``norm_layer`` if given) that a RetinaNet head runs on every pyramid level.

    Checkpoints saved before the tower had normalization (torchvision's v1 weights) name its
    convolutions ``conv.0``, ``conv.2``, ``conv.4``, ``conv.6`` (ReLUs in between); they load
    as ``conv.{i}.0``.
    """

    _version = 2

    def __init__(self, in_channels: int, norm_layer: Callable[..., nn.Module] | None) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            *[
                vops.Conv2dNormActivation(in_channels, in_channels, norm_layer=norm_layer)
                for _ in range(4)
            ]
        )
        for layer in self.conv.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    def _load_from_state_dict(
        self,
        state_dict: dict,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        version = local_metadata.get("version")
        if version is None or version < 2:
            for i in range(4):
                for kind in ("weight", "bias"):
                    old = f"{prefix}conv.{2 * i}.{kind}"
                    if old in state_dict:
                        state_dict[f"{prefix}conv.{i}.0.{kind}"] = state_dict.pop(old)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


class RetinaNetClassificationHead(ConvTower):
    """Per anchor and class a logit: the :class:`ConvTower`, then a 3x3 convolution
    (``cls_logits``) whose bias starts every class at probability ``prior_probability``.

    Args:
        in_channels: channels of every feature map.
        num_anchors: anchors per cell.
        num_classes: classes including the background.
        prior_probability: the initial foreground probability, so that the many background
            anchors do not swamp the first steps.
        norm_layer: normalization in the tower (none in v1, ``GroupNorm(32, C)`` in v2).

    Shape:
        input per level ``Tensor[N, C, H_l, W_l]``; output ``Tensor[N, A, num_classes]`` over
        the ``A`` anchors of all levels.
    """

    def __init__(
        self,
        in_channels: int,
        num_anchors: int,
        num_classes: int,
        prior_probability: float = 0.01,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        if not 0.0 < prior_probability < 1.0:
            raise ValueError(f"prior_probability must be in (0, 1), got {prior_probability!r}")
        super().__init__(in_channels, norm_layer)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, 3, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(
            self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability)
        )
        self.num_classes = num_classes
        self.num_anchors = num_anchors

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        matched_idxs: list[Tensor],
    ) -> Tensor:
        """Sigmoid focal loss against one-hot targets (all zeros for background anchors),
        summed over the anchors that are not ignored and divided by the image's foreground
        count (at least 1), averaged over the images.

        Args:
            matched_idxs: per image ``Tensor[A]``: the matched box, -1 background, -2 ignored.
        """
        logits = head_outputs["cls_logits"]
        matched = torch.stack(matched_idxs)
        foreground = matched >= 0
        labels = matched_values(targets, matched_idxs, "labels")
        one_hot = torch.zeros_like(logits).scatter_(
            2, labels.unsqueeze(2), foreground.unsqueeze(2).to(logits.dtype)
        )
        loss = vops.sigmoid_focal_loss(logits, one_hot)
        # The literal is Matcher's BETWEEN_THRESHOLDS, which TorchScript cannot read.
        loss = torch.where((matched != -2).unsqueeze(2), loss, torch.zeros_like(loss))
        per_image = loss.sum(dim=(1, 2)) / foreground.sum(dim=1).clamp(min=1)
        return per_image.sum() / len(targets)

    def forward(self, x: list[Tensor]) -> Tensor:
        return torch.cat(
            [per_anchor(self.cls_logits(self.conv(f)), self.num_classes) for f in x], dim=1
        )


class RetinaNetRegressionHead(ConvTower):
    """Per anchor four box offsets: the :class:`ConvTower`, then a 3x3 convolution
    (``bbox_reg``).

    ``_loss_type`` (torchvision's attribute) picks the box loss: ``"l1"`` on the encoded
    offsets (v1), ``"smooth_l1"``, or ``"giou"`` (v2), ``"diou"``, ``"ciou"`` on the decoded
    boxes.

    Args:
        in_channels: channels of every feature map.
        num_anchors: anchors per cell.
        norm_layer: normalization in the tower (none in v1, ``GroupNorm(32, C)`` in v2).

    Shape:
        input per level ``Tensor[N, C, H_l, W_l]``; output ``Tensor[N, A, 4]``.
    """

    box_coder: BoxCoder

    def __init__(
        self,
        in_channels: int,
        num_anchors: int,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__(in_channels, norm_layer)
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, 3, padding=1)
        nn.init.normal_(self.bbox_reg.weight, std=0.01)
        nn.init.zeros_(self.bbox_reg.bias)
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
        self._loss_type = "l1"

    def box_loss(self, codes: Tensor, anchors: Tensor, boxes: Tensor) -> Tensor:
        """Per pair the ``_loss_type`` loss of predicted ``codes`` at ``anchors`` against the
        matched ``boxes``, all ``Tensor[F, 4]``; returns ``Tensor[F]``."""
        loss_type = self._loss_type
        if loss_type == "l1" or loss_type == "smooth_l1":
            target = self.box_coder.encode(boxes, anchors)
            if loss_type == "l1":
                return F.l1_loss(codes, target, reduction="none").sum(dim=1)
            return F.smooth_l1_loss(codes, target, reduction="none", beta=1.0).sum(dim=1)
        predicted = self.box_coder.decode(codes, anchors).view(-1, 4)
        if loss_type == "giou":
            return vops.generalized_box_iou_loss(predicted, boxes)
        if loss_type == "diou":
            return vops.distance_box_iou_loss(predicted, boxes)
        if loss_type == "ciou":
            return vops.complete_box_iou_loss(predicted, boxes)
        raise ValueError(
            "_loss_type must be one of 'l1', 'smooth_l1', 'giou', 'diou', 'ciou', got " + loss_type
        )

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        matched_idxs: list[Tensor],
    ) -> Tensor:
        """The box loss of the foreground anchors, summed per image and divided by its
        foreground count (at least 1), averaged over the images.

        Args:
            anchors: per image ``Tensor[A, 4]``.
            matched_idxs: per image ``Tensor[A]``: the matched box, or negative.
        """
        foreground = torch.stack(matched_idxs) >= 0
        where = foreground.nonzero()
        image, anchor = where[:, 0], where[:, 1]
        boxes = matched_values(targets, matched_idxs, "boxes")[image, anchor]
        codes = head_outputs["bbox_regression"][image, anchor]
        losses = self.box_loss(codes, torch.stack(anchors)[image, anchor], boxes)
        per_box = 1.0 / foreground.sum(dim=1).clamp(min=1).to(losses.dtype)
        return (losses * per_box[image]).sum() / max(1, len(targets))

    def forward(self, x: list[Tensor]) -> Tensor:
        return torch.cat([per_anchor(self.bbox_reg(self.conv(f)), 4) for f in x], dim=1)


class RetinaNetHead(nn.Module):
    """The classification and regression heads side by side (``classification_head``,
    ``regression_head``).

    Args:
        in_channels: channels of every feature map.
        num_anchors: anchors per cell.
        num_classes: classes including the background.
        norm_layer: normalization in both towers (v2: ``partial(nn.GroupNorm, 32)``).

    Shape:
        input per level ``Tensor[N, C, H_l, W_l]``; output ``{"cls_logits": Tensor[N, A, K],
        "bbox_regression": Tensor[N, A, 4]}``.
    """

    def __init__(
        self,
        in_channels: int,
        num_anchors: int,
        num_classes: int,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.classification_head = RetinaNetClassificationHead(
            in_channels, num_anchors, num_classes, norm_layer=norm_layer
        )
        self.regression_head = RetinaNetRegressionHead(
            in_channels, num_anchors, norm_layer=norm_layer
        )

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        matched_idxs: list[Tensor],
    ) -> dict[str, Tensor]:
        """``{"classification": focal loss, "bbox_regression": box loss}``."""
        return {
            "classification": self.classification_head.compute_loss(
                targets, head_outputs, matched_idxs
            ),
            "bbox_regression": self.regression_head.compute_loss(
                targets, head_outputs, anchors, matched_idxs
            ),
        }

    def forward(self, x: list[Tensor]) -> dict[str, Tensor]:
        return {
            "cls_logits": self.classification_head(x),
            "bbox_regression": self.regression_head(x),
        }


class RetinaNet(OneStageDetector):
    """RetinaNet over any backbone that has an ``out_channels`` attribute.

    Training matches each anchor to the box it overlaps most (positive from ``fg_iou_thresh``,
    background below ``bg_iou_thresh``, ignored in between, every box keeping its best
    anchors); the head's ``compute_loss`` gives the losses. Evaluation keeps, per image and
    level, the ``topk_candidates`` best (anchor, class) sigmoid scores, decodes their boxes and
    keeps those above ``score_thresh``, after per-class NMS at ``nms_thresh``, the
    ``detections_per_img`` best.

    Args:
        backbone: the feature extractor, with ``out_channels``; returns a map or a dict of them.
        num_classes: classes including the background; required unless ``head`` is given.
        min_size, max_size, image_mean, image_std, size_divisible, fixed_size: the
            :class:`GeneralizedRCNNTransform`.
        anchor_generator: default :func:`retinanet_anchor_generator` (five levels).
        head: default a :class:`RetinaNetHead` for the anchors and classes.
        proposal_matcher: default a :class:`Matcher` at ``fg_iou_thresh``, ``bg_iou_thresh``
            with low-quality matches.

    See :class:`OneStageDetector` for inputs and outputs; the losses are ``classification``
    and ``bbox_regression``.
    """

    box_coder: BoxCoder
    proposal_matcher: Matcher

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
        proposal_matcher: Matcher | None = None,
        score_thresh: float = 0.05,
        nms_thresh: float = 0.5,
        detections_per_img: int = 300,
        fg_iou_thresh: float = 0.5,
        bg_iou_thresh: float = 0.4,
        topk_candidates: int = 1000,
        *,
        size_divisible: int = 32,
        fixed_size: tuple[int, int] | None = None,
    ) -> None:
        out_channels = backbone_channels(backbone)
        check_dense_settings(num_classes, head, detections_per_img, topk_candidates, nms_thresh)
        anchor_generator = anchor_generator or retinanet_anchor_generator()
        if head is None:
            head = RetinaNetHead(
                out_channels, anchor_generator.num_anchors_per_location()[0], num_classes
            )
        transform = GeneralizedRCNNTransform(
            min_size,
            max_size,
            list(image_mean or IMAGENET_MEAN),
            list(image_std or IMAGENET_STD),
            size_divisible,
            fixed_size,
        )
        super().__init__(backbone, head, anchor_generator, transform)
        self.proposal_matcher = proposal_matcher or Matcher(
            fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=True
        )
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
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
        matched_idxs: list[Tensor] = []
        for image_anchors, target in zip(anchors, targets, strict=True):
            if target["boxes"].numel() == 0:
                matched_idxs.append(
                    torch.full(
                        (image_anchors.size(0),), -1, dtype=torch.int64, device=image_anchors.device
                    )
                )
            else:
                quality = vops.box_iou(target["boxes"], image_anchors)
                matched_idxs.append(self.proposal_matcher(quality))
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(
        self,
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        image_sizes: list[tuple[int, int]],
        num_anchors_per_level: list[int],
    ) -> list[dict[str, Tensor]]:
        logits = head_outputs["cls_logits"]
        rows, counts = best_anchors(logits, num_anchors_per_level, self.topk_candidates)
        row_logits = logits.gather(1, rows.unsqueeze(2).expand(-1, -1, logits.size(2)))
        scores, picked, labels = top_candidates(
            torch.sigmoid(row_logits), counts, self.topk_candidates
        )
        anchor_indices = rows.gather(1, picked)
        gather = anchor_indices.unsqueeze(2).expand(-1, -1, 4)
        codes = head_outputs["bbox_regression"].gather(1, gather)
        references = torch.stack(anchors).gather(1, gather)
        boxes = self.box_coder.decode(codes.reshape(-1, 4), references.reshape(-1, 4))
        return select_detections(
            boxes.view(codes.shape),
            scores,
            labels,
            image_sizes,
            self.score_thresh,
            self.nms_thresh,
            self.detections_per_img,
        )


_COMMON_META = {"categories": COCO_CATEGORIES, "min_size": (1, 1)}


class RetinaNet_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/retinanet_resnet50_fpn_coco-eeacb38b.pth",
        transforms=ObjectDetection,
        meta={
            **_COMMON_META,
            "num_params": 34014999,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/detection#retinanet",
            "_metrics": {"COCO-val2017": {"box_map": 36.4}},
            "_ops": 151.54,
            "_file_size": 130.267,
            "_docs": "Trained on COCO with a recipe close to the paper's, linked in recipe.",
        },
    )
    DEFAULT = COCO_V1


class RetinaNet_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/retinanet_resnet50_fpn_v2_coco-5905b1c5.pth",
        transforms=ObjectDetection,
        meta={
            **_COMMON_META,
            "num_params": 38198935,
            "recipe": "https://github.com/pytorch/vision/pull/5756",
            "_metrics": {"COCO-val2017": {"box_map": 41.5}},
            "_ops": 152.238,
            "_file_size": 146.037,
            "_docs": "About five points above v1's box AP, from the longer recipe linked.",
        },
    )
    DEFAULT = COCO_V1


def _retinanet_v2(backbone: nn.Module, num_classes: int, **kwargs) -> RetinaNet:
    """A :class:`RetinaNet` whose default head has group-normalized towers and a GIoU loss."""
    anchor_generator = kwargs.pop("anchor_generator", None) or retinanet_anchor_generator()
    head = kwargs.pop("head", None)
    if head is None:
        head = RetinaNetHead(
            backbone.out_channels,
            anchor_generator.num_anchors_per_location()[0],
            num_classes,
            norm_layer=partial(nn.GroupNorm, 32),
        )
        head.regression_head._loss_type = "giou"
    return RetinaNet(backbone, num_classes, anchor_generator=anchor_generator, head=head, **kwargs)


# P2 is left out: at stride 4 it would hold most of the anchors (the paper's choice).
PYRAMID_FROM_LAYER2 = [2, 3, 4]


@model_builder(task="detection", weights=RetinaNet_ResNet50_FPN_Weights, backbone="resnet50")
def retinanet_resnet50_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> RetinaNet:
    """RetinaNet with a ResNet-50 FPN backbone (P3 to P7), from "Focal Loss for Dense Object
    Detection" (Lin et al., 2017).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`RetinaNet`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`RetinaNet`.
    """
    backbone_kwargs = {
        "returned_layers": PYRAMID_FROM_LAYER2,
        "extra_blocks": vops.LastLevelP6P7(256, 256),
    }
    return build_resnet50_fpn_detector(
        request,
        RetinaNet,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        RetinaNet_ResNet50_FPN_Weights.COCO_V1,
        backbone_kwargs=backbone_kwargs,
        **kwargs,
    )


@model_builder(task="detection", weights=RetinaNet_ResNet50_FPN_V2_Weights, backbone="resnet50")
def retinanet_resnet50_fpn_v2(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> RetinaNet:
    """RetinaNet v2 with a ResNet-50 FPN backbone, as in "Bridging the Gap Between Anchor-based
    and Anchor-free Detection via Adaptive Training Sample Selection" (Zhang et al., 2020):
    batch norm kept in the backbone, P6 from C5, group-normalized heads and a GIoU box loss.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`RetinaNet`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`RetinaNet`.
    """
    backbone_kwargs = {
        "norm_layer": nn.BatchNorm2d,
        "returned_layers": PYRAMID_FROM_LAYER2,
        "extra_blocks": vops.LastLevelP6P7(2048, 256),
    }
    return build_resnet50_fpn_detector(
        request,
        _retinanet_v2,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        None,
        backbone_kwargs=backbone_kwargs,
        **kwargs,
    )
