"""The second stage of an R-CNN: per-RoI classification and box refinement (Fast R-CNN), and the
optional mask and keypoint branches, with their training targets and post-processing."""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops

from .box_coding import BoxCoder
from .keypoint_head import keypointrcnn_inference, keypointrcnn_loss
from .mask_head import maskrcnn_inference, maskrcnn_loss
from .matching import BalancedPositiveNegativeSampler, Matcher


def fastrcnn_loss(
    class_logits: Tensor,
    box_regression: Tensor,
    labels: list[Tensor],
    regression_targets: list[Tensor],
) -> tuple[Tensor, Tensor]:
    """Cross-entropy over classes for every sampled RoI, and smooth-L1 (beta 1/9) on the
    regression of each positive RoI's ground-truth class, summed and divided by the number of
    sampled RoIs.

    Args:
        class_logits: ``Tensor[K, C]``.
        box_regression: ``Tensor[K, 4C]``.
        labels: per image, the class of each sampled RoI (0 background).
        regression_targets: per image, ``Tensor[K_i, 4]`` encoded ground-truth boxes.
    """
    all_labels = torch.cat(labels, dim=0)
    targets = torch.cat(regression_targets, dim=0)
    classification_loss = F.cross_entropy(class_logits, all_labels)
    positive = torch.where(all_labels > 0)[0]
    per_class = box_regression.reshape(class_logits.size(0), -1, 4)
    box_loss = F.smooth_l1_loss(
        per_class[positive, all_labels[positive]], targets[positive], beta=1 / 9, reduction="sum"
    )
    return classification_loss, box_loss / all_labels.numel()


class RoIHeads(nn.Module):
    """Box head and predictor over pooled RoI features, plus optional mask and keypoint branches.

    Training: ground-truth boxes join the proposals, each proposal is matched (IoU
    ``>= fg_iou_thresh`` positive, ``< bg_iou_thresh`` background), ``batch_size_per_image``
    are sampled with at most ``positive_fraction`` positives, and the branches see the positive
    ones. Inference: per class, boxes decoded, clipped, scores ``<= score_thresh`` and boxes
    under 1e-2 pixels a side dropped, NMS at ``nms_thresh`` per class, the best
    ``detections_per_img`` kept; the branches run on the kept boxes.

    Args:
        box_roi_pool, box_head, box_predictor: pooling (e.g. :class:`vops.MultiScaleRoIAlign`),
            the head and a predictor returning ``(class_logits, box_regression)``.
        mask_roi_pool, mask_head, mask_predictor: the mask branch, all three or none.
        keypoint_roi_pool, keypoint_head, keypoint_predictor: the keypoint branch, likewise.
    """

    # Plain-class attributes TorchScript compiles as classes.
    box_coder: BoxCoder
    proposal_matcher: Matcher
    fg_bg_sampler: BalancedPositiveNegativeSampler

    def __init__(
        self,
        box_roi_pool: nn.Module,
        box_head: nn.Module,
        box_predictor: nn.Module,
        fg_iou_thresh: float,
        bg_iou_thresh: float,
        batch_size_per_image: int,
        positive_fraction: float,
        bbox_reg_weights: tuple[float, float, float, float] | None,
        score_thresh: float,
        nms_thresh: float,
        detections_per_img: int,
        mask_roi_pool: nn.Module | None = None,
        mask_head: nn.Module | None = None,
        mask_predictor: nn.Module | None = None,
        keypoint_roi_pool: nn.Module | None = None,
        keypoint_head: nn.Module | None = None,
        keypoint_predictor: nn.Module | None = None,
    ) -> None:
        super().__init__()
        for branch, parts in (
            ("mask", (mask_roi_pool, mask_head, mask_predictor)),
            ("keypoint", (keypoint_roi_pool, keypoint_head, keypoint_predictor)),
        ):
            given = [part is not None for part in parts]
            if any(given) and not all(given):
                raise ValueError(
                    f"the {branch} branch needs {branch}_roi_pool, {branch}_head and "
                    f"{branch}_predictor together; got only some of them"
                )
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.proposal_matcher = Matcher(
            fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=False
        )
        self.fg_bg_sampler = BalancedPositiveNegativeSampler(
            batch_size_per_image, positive_fraction
        )
        self.box_coder = BoxCoder(bbox_reg_weights or (10.0, 10.0, 5.0, 5.0))
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.mask_roi_pool = mask_roi_pool
        self.mask_head = mask_head
        self.mask_predictor = mask_predictor
        self.keypoint_roi_pool = keypoint_roi_pool
        self.keypoint_head = keypoint_head
        self.keypoint_predictor = keypoint_predictor

    def has_mask(self) -> bool:
        return self.mask_roi_pool is not None

    def has_keypoint(self) -> bool:
        return self.keypoint_roi_pool is not None

    def forward(
        self,
        features: dict[str, Tensor],
        proposals: list[Tensor],
        image_shapes: list[tuple[int, int]],
        targets: list[dict[str, Tensor]] | None = None,
    ) -> tuple[list[dict[str, Tensor]], dict[str, Tensor]]:
        """Detections per image (inference) or the losses (training), the other empty."""
        losses: dict[str, Tensor] = {}
        detections: list[dict[str, Tensor]] = []
        if self.training:
            if targets is None:
                raise ValueError("targets must be given in training mode")
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(
                proposals, targets
            )
            class_logits, box_regression = self._box_predictions(features, proposals, image_shapes)
            loss_classifier, loss_box_reg = fastrcnn_loss(
                class_logits, box_regression, labels, regression_targets
            )
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
            positive_proposals: list[Tensor] = []
            positive_matches: list[Tensor] = []
            for image_proposals, image_labels, image_matches in zip(
                proposals, labels, matched_idxs, strict=True
            ):
                positive = torch.where(image_labels > 0)[0]
                positive_proposals.append(image_proposals[positive])
                positive_matches.append(image_matches[positive])
            if self.has_mask():
                logits = self._mask_logits(features, positive_proposals, image_shapes)
                gt_masks = [t["masks"] for t in targets]
                gt_labels = [t["labels"] for t in targets]
                losses["loss_mask"] = maskrcnn_loss(
                    logits, positive_proposals, gt_masks, gt_labels, positive_matches
                )
            if self.has_keypoint():
                heatmaps = self._keypoint_heatmaps(features, positive_proposals, image_shapes)
                gt_keypoints = [t["keypoints"] for t in targets]
                losses["loss_keypoint"] = keypointrcnn_loss(
                    heatmaps, positive_proposals, gt_keypoints, positive_matches
                )
            return detections, losses

        class_logits, box_regression = self._box_predictions(features, proposals, image_shapes)
        boxes, scores, labels = self.postprocess_detections(
            class_logits, box_regression, proposals, image_shapes
        )
        for image_boxes, image_scores, image_labels in zip(boxes, scores, labels, strict=True):
            detections.append(
                {"boxes": image_boxes, "labels": image_labels, "scores": image_scores}
            )
        if self.has_mask():
            logits = self._mask_logits(features, boxes, image_shapes)
            for detection, masks in zip(
                detections, maskrcnn_inference(logits, labels), strict=True
            ):
                detection["masks"] = masks
        if self.has_keypoint():
            heatmaps = self._keypoint_heatmaps(features, boxes, image_shapes)
            keypoints, keypoint_scores = keypointrcnn_inference(heatmaps, boxes)
            for detection, points, point_scores in zip(
                detections, keypoints, keypoint_scores, strict=True
            ):
                detection["keypoints"] = points
                detection["keypoints_scores"] = point_scores
        return detections, losses

    def _box_predictions(
        self,
        features: dict[str, Tensor],
        proposals: list[Tensor],
        image_shapes: list[tuple[int, int]],
    ) -> tuple[Tensor, Tensor]:
        pooled = self.box_roi_pool(features, proposals, image_shapes)
        return self.box_predictor(self.box_head(pooled))

    def _mask_logits(
        self, features: dict[str, Tensor], boxes: list[Tensor], image_shapes: list[tuple[int, int]]
    ) -> Tensor:
        if self.mask_roi_pool is None or self.mask_head is None or self.mask_predictor is None:
            raise RuntimeError("this RoIHeads has no mask branch")
        pooled = self.mask_roi_pool(features, boxes, image_shapes)
        return self.mask_predictor(self.mask_head(pooled))

    def _keypoint_heatmaps(
        self, features: dict[str, Tensor], boxes: list[Tensor], image_shapes: list[tuple[int, int]]
    ) -> Tensor:
        if (
            self.keypoint_roi_pool is None
            or self.keypoint_head is None
            or self.keypoint_predictor is None
        ):
            raise RuntimeError("this RoIHeads has no keypoint branch")
        pooled = self.keypoint_roi_pool(features, boxes, image_shapes)
        return self.keypoint_predictor(self.keypoint_head(pooled))

    def select_training_samples(
        self, proposals: list[Tensor], targets: list[dict[str, Tensor]]
    ) -> tuple[list[Tensor], list[Tensor], list[Tensor], list[Tensor]]:
        """Per image, the sampled RoIs (ground-truth boxes included), the index of the box each
        is matched to, its class (0 background) and its encoded regression target."""
        sampled_proposals: list[Tensor] = []
        sampled_matches: list[Tensor] = []
        sampled_labels: list[Tensor] = []
        matched_boxes: list[Tensor] = []
        all_labels: list[Tensor] = []
        all_matches: list[Tensor] = []
        all_proposals: list[Tensor] = []
        for image_proposals, target in zip(proposals, targets, strict=True):
            gt_boxes = target["boxes"].to(image_proposals.dtype)
            image_proposals = torch.cat([image_proposals, gt_boxes])
            if gt_boxes.numel() == 0:
                matches = torch.zeros(
                    image_proposals.size(0), dtype=torch.int64, device=image_proposals.device
                )
                labels = torch.zeros_like(matches)
            else:
                raw = self.proposal_matcher(vops.box_iou(gt_boxes, image_proposals))
                matches = raw.clamp(min=0)
                labels = target["labels"][matches].to(torch.int64)
                labels[raw == -1] = 0
                labels[raw == -2] = -1
            all_proposals.append(image_proposals)
            all_matches.append(matches)
            all_labels.append(labels)
        positive, negative = self.fg_bg_sampler(all_labels)
        for i, target in enumerate(targets):
            chosen = torch.where(positive[i] | negative[i])[0]
            sampled_proposals.append(all_proposals[i][chosen])
            sampled_matches.append(all_matches[i][chosen])
            sampled_labels.append(all_labels[i][chosen])
            gt_boxes = target["boxes"].to(all_proposals[i].dtype)
            if gt_boxes.numel() == 0:
                gt_boxes = torch.zeros((1, 4), dtype=gt_boxes.dtype, device=gt_boxes.device)
            matched_boxes.append(gt_boxes[sampled_matches[i]])
        regression_targets = self.box_coder.encode_per_image(matched_boxes, sampled_proposals)
        return sampled_proposals, sampled_matches, sampled_labels, regression_targets

    def postprocess_detections(
        self,
        class_logits: Tensor,
        box_regression: Tensor,
        proposals: list[Tensor],
        image_shapes: list[tuple[int, int]],
    ) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """Per image: boxes ``Tensor[D, 4]``, scores ``Tensor[D]`` and labels ``Tensor[D]``."""
        num_classes = class_logits.size(-1)
        counts = [p.shape[0] for p in proposals]
        decoded = self.box_coder.decode_per_image(box_regression, proposals).split(counts, 0)
        probabilities = F.softmax(class_logits, -1).split(counts, 0)
        all_boxes: list[Tensor] = []
        all_scores: list[Tensor] = []
        all_labels: list[Tensor] = []
        for boxes, scores, shape in zip(decoded, probabilities, image_shapes, strict=True):
            boxes = vops.clip_boxes_to_image(boxes.reshape(-1, 4), shape).reshape(
                -1, num_classes, 4
            )
            labels = torch.arange(num_classes, device=boxes.device).view(1, -1).expand_as(scores)
            # column 0 is the background
            boxes = boxes[:, 1:].reshape(-1, 4)
            scores = scores[:, 1:].reshape(-1)
            labels = labels[:, 1:].reshape(-1)
            keep = torch.where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = vops.remove_small_boxes(boxes, 1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = vops.batched_nms(boxes, scores, labels, self.nms_thresh)[
                : self.detections_per_img
            ]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_labels.append(labels[keep])
        return all_boxes, all_scores, all_labels
