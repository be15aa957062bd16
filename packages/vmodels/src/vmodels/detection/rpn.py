"""Region proposal network (Ren et al., Faster R-CNN, 2015): objectness and box offsets for every
anchor, turned into a few thousand class-agnostic proposals per image."""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops
from vops.symbolic import size_min

from .anchors import AnchorGenerator
from .box_coding import BoxCoder
from .matching import BalancedPositiveNegativeSampler, Matcher
from .transform import ImageList


class RPNHead(nn.Module):
    """A 3x3 convolution with ReLU shared by all feature maps, then per anchor an objectness
    logit (1x1 convolution) and four box offsets (1x1 convolution).

    Args:
        in_channels: channels of every feature map.
        num_anchors: anchors per cell.
        conv_depth: number of 3x3 convolutions before the two predictors.
    """

    def __init__(self, in_channels: int, num_anchors: int, conv_depth: int = 1) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            *[
                nn.Sequential(nn.Conv2d(in_channels, in_channels, 3, padding=1), nn.ReLU(True))
                for _ in range(conv_depth)
            ]
        )
        self.cls_logits = nn.Conv2d(in_channels, num_anchors, kernel_size=1)
        self.bbox_pred = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=1)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.normal_(layer.weight, std=0.01)
                nn.init.zeros_(layer.bias)

    def forward(self, features: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Per feature map ``Tensor[N, C, H, W]``: logits ``Tensor[N, A, H, W]`` and offsets
        ``Tensor[N, 4A, H, W]``."""
        logits: list[Tensor] = []
        offsets: list[Tensor] = []
        for feature in features:
            shared = self.conv(feature)
            logits.append(self.cls_logits(shared))
            offsets.append(self.bbox_pred(shared))
        return logits, offsets


def flatten_predictions(logits: list[Tensor], offsets: list[Tensor]) -> tuple[Tensor, Tensor]:
    """Per-level head outputs as ``Tensor[N * A_total, 1]`` logits and ``Tensor[N * A_total, 4]``
    offsets, image-major, then level, cell (row-major) and anchor: the anchors' order."""
    flat_logits: list[Tensor] = []
    flat_offsets: list[Tensor] = []
    for level_logits, level_offsets in zip(logits, offsets, strict=True):
        n, a, h, w = level_logits.shape
        flat_logits.append(level_logits.permute(0, 2, 3, 1).reshape(n, -1, 1))
        flat_offsets.append(
            level_offsets.view(n, a, 4, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 4)
        )
    return torch.cat(flat_logits, dim=1).flatten(0, -2), torch.cat(flat_offsets, dim=1).reshape(
        -1, 4
    )


class RegionProposalNetwork(nn.Module):
    """Scores the anchors, decodes their offsets and keeps the best boxes per image.

    Per image and feature map the ``pre_nms_top_n`` highest-scoring anchors are decoded; boxes
    are clipped to the image, those under 1e-3 pixels a side or scoring below ``score_thresh``
    dropped, NMS at ``nms_thresh`` runs within each feature map, and the ``post_nms_top_n`` best
    remain. In training the losses are binary cross-entropy on objectness and smooth-L1 on the
    offsets of ``batch_size_per_image`` sampled anchors.

    Args:
        anchor_generator: the anchors, as many per cell as ``head`` predicts.
        head: the :class:`RPNHead`.
        fg_iou_thresh: IoU with a ground-truth box from which an anchor is positive.
        bg_iou_thresh: IoU below which an anchor is negative.
        batch_size_per_image: anchors sampled per image for the losses.
        positive_fraction: at most this share of them positive.
        pre_nms_top_n: ``{"training": n, "testing": n}``, boxes kept per map before NMS.
        post_nms_top_n: ``{"training": n, "testing": n}``, proposals kept per image.
        nms_thresh: IoU threshold of the NMS.
        score_thresh: proposals with a lower objectness probability are dropped.
    """

    # Plain-class attributes TorchScript compiles as classes.
    box_coder: BoxCoder
    proposal_matcher: Matcher
    fg_bg_sampler: BalancedPositiveNegativeSampler

    def __init__(
        self,
        anchor_generator: AnchorGenerator,
        head: nn.Module,
        fg_iou_thresh: float,
        bg_iou_thresh: float,
        batch_size_per_image: int,
        positive_fraction: float,
        pre_nms_top_n: dict[str, int],
        post_nms_top_n: dict[str, int],
        nms_thresh: float,
        score_thresh: float = 0.0,
    ) -> None:
        super().__init__()
        self.anchor_generator = anchor_generator
        self.head = head
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
        self.proposal_matcher = Matcher(
            fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=True
        )
        self.fg_bg_sampler = BalancedPositiveNegativeSampler(
            batch_size_per_image, positive_fraction
        )
        self._pre_nms_top_n = pre_nms_top_n
        self._post_nms_top_n = post_nms_top_n
        self.nms_thresh = nms_thresh
        self.score_thresh = score_thresh
        self.min_size = 1e-3

    def pre_nms_top_n(self) -> int:
        return self._pre_nms_top_n["training" if self.training else "testing"]

    def post_nms_top_n(self) -> int:
        return self._post_nms_top_n["training" if self.training else "testing"]

    def forward(
        self,
        images: ImageList,
        features: dict[str, Tensor],
        targets: list[dict[str, Tensor]] | None = None,
    ) -> tuple[list[Tensor], dict[str, Tensor]]:
        """Proposals per image (``Tensor[P_i, 4]`` xyxy in batch coordinates) and, in training,
        ``{"loss_objectness", "loss_rpn_box_reg"}``."""
        feature_list = list(features.values())
        logits, offsets = self.head(feature_list)
        anchors = self.anchor_generator(images, feature_list)
        anchors_per_level = [o[0].numel() for o in logits]
        objectness, deltas = flatten_predictions(logits, offsets)
        proposals = self.box_coder.decode_per_image(deltas.detach(), anchors)
        proposals = proposals.view(len(anchors), -1, 4)
        boxes = self.filter_proposals(
            proposals, objectness.detach(), images.image_sizes, anchors_per_level
        )
        losses: dict[str, Tensor] = {}
        if self.training:
            if targets is None:
                raise ValueError("targets must be given in training mode")
            labels, matched_boxes = self.assign_targets_to_anchors(anchors, targets)
            regression_targets = self.box_coder.encode_per_image(matched_boxes, anchors)
            loss_objectness, loss_box = self.compute_loss(
                objectness, deltas, labels, regression_targets
            )
            losses = {"loss_objectness": loss_objectness, "loss_rpn_box_reg": loss_box}
        return boxes, losses

    def _top_n_per_level(self, objectness: Tensor, anchors_per_level: list[int]) -> Tensor:
        top: list[Tensor] = []
        offset = 0
        for level in objectness.split(anchors_per_level, dim=1):
            count = size_min(self.pre_nms_top_n(), level.size(1))
            top.append(level.topk(count, dim=1).indices + offset)
            offset += level.size(1)
        return torch.cat(top, dim=1)

    def filter_proposals(
        self,
        proposals: Tensor,
        objectness: Tensor,
        image_sizes: list[tuple[int, int]],
        anchors_per_level: list[int],
    ) -> list[Tensor]:
        num_images = proposals.size(0)
        objectness = objectness.reshape(num_images, -1)
        levels = torch.cat(
            [
                torch.full((n,), i, dtype=torch.int64, device=proposals.device)
                for i, n in enumerate(anchors_per_level)
            ]
        ).expand_as(objectness)
        top = self._top_n_per_level(objectness, anchors_per_level)
        rows = torch.arange(num_images, device=proposals.device)[:, None]
        objectness = objectness[rows, top]
        levels = levels[rows, top]
        proposals = proposals[rows, top]
        kept: list[Tensor] = []
        for boxes, scores, level, size in zip(
            proposals, torch.sigmoid(objectness), levels, image_sizes, strict=True
        ):
            boxes = vops.clip_boxes_to_image(boxes, size)
            keep = vops.remove_small_boxes(boxes, self.min_size)
            boxes, scores, level = boxes[keep], scores[keep], level[keep]
            keep = torch.where(scores >= self.score_thresh)[0]
            boxes, scores, level = boxes[keep], scores[keep], level[keep]
            keep = vops.batched_nms(boxes, scores, level, self.nms_thresh)
            kept.append(boxes[keep[: self.post_nms_top_n()]])
        return kept

    def assign_targets_to_anchors(
        self, anchors: list[Tensor], targets: list[dict[str, Tensor]]
    ) -> tuple[list[Tensor], list[Tensor]]:
        """Per image, a label per anchor (1 object, 0 background, -1 ignored) and the
        ground-truth box each is regressed to."""
        labels: list[Tensor] = []
        matched_boxes: list[Tensor] = []
        for image_anchors, target in zip(anchors, targets, strict=True):
            gt_boxes = target["boxes"]
            if gt_boxes.numel() == 0:
                labels.append(torch.zeros(len(image_anchors), device=image_anchors.device))
                matched_boxes.append(torch.zeros_like(image_anchors))
                continue
            matches = self.proposal_matcher(vops.box_iou(gt_boxes, image_anchors))
            matched_boxes.append(gt_boxes[matches.clamp(min=0)])
            image_labels = (matches >= 0).to(torch.float32)
            image_labels[matches == -2] = -1.0
            labels.append(image_labels)
        return labels, matched_boxes

    def compute_loss(
        self, objectness: Tensor, deltas: Tensor, labels: list[Tensor], targets: list[Tensor]
    ) -> tuple[Tensor, Tensor]:
        positive, negative = self.fg_bg_sampler(labels)
        positive_index = torch.where(torch.cat(positive))[0]
        sampled = torch.where(torch.cat(positive) | torch.cat(negative))[0]
        box_loss = F.smooth_l1_loss(
            deltas[positive_index],
            torch.cat(targets)[positive_index],
            beta=1 / 9,
            reduction="sum",
        ) / max(1, sampled.numel())
        objectness_loss = F.binary_cross_entropy_with_logits(
            objectness.flatten()[sampled], torch.cat(labels)[sampled]
        )
        return objectness_loss, box_loss
