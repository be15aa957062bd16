"""Training targets: which ground-truth box each anchor or proposal stands for, and which of them
a loss sees."""

import torch
from torch import Tensor

BELOW_LOW_THRESHOLD = -1
BETWEEN_THRESHOLDS = -2


class Matcher:
    """Matches each prediction (anchor or proposal) to the ground-truth box it overlaps most.

    A prediction whose best IoU is ``>= high_threshold`` is matched to that box; below
    ``low_threshold`` it is background (:data:`BELOW_LOW_THRESHOLD`); in between it is ignored
    (:data:`BETWEEN_THRESHOLDS`). With ``allow_low_quality_matches``, every ground-truth box also
    keeps the predictions that overlap it best (ties included), however low, so that no object
    is left without a positive (the RPN's rule in Faster R-CNN).

    Args:
        high_threshold: IoU at or above which a prediction is matched.
        low_threshold: IoU below which a prediction is background; ``<= high_threshold``.
        allow_low_quality_matches: keep each box's best predictions matched.
    """

    def __init__(
        self, high_threshold: float, low_threshold: float, allow_low_quality_matches: bool = False
    ) -> None:
        if low_threshold > high_threshold:
            raise ValueError(
                f"low_threshold ({low_threshold}) must not exceed high_threshold ({high_threshold})"
            )
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, quality: Tensor) -> Tensor:
        """Index of the matched box per prediction, or a negative code.

        Args:
            quality: ``Tensor[G, P]`` of IoUs between ``G >= 1`` ground-truth boxes and ``P``
                predictions.

        Returns:
            int64 ``Tensor[P]``: box index in ``[0, G)``, :data:`BELOW_LOW_THRESHOLD` or
            :data:`BETWEEN_THRESHOLDS`.
        """
        if quality.numel() == 0:
            raise ValueError(
                "quality must be a non-empty Tensor[G, P]; images without boxes are handled "
                f"before matching, got Tensor{list(quality.shape)}"
            )
        best_quality, matches = quality.max(dim=0)
        unmatched = matches.clone()
        # The literals are BELOW_LOW_THRESHOLD and BETWEEN_THRESHOLDS: TorchScript cannot read
        # module globals.
        matches[best_quality < self.low_threshold] = -1
        between = (best_quality >= self.low_threshold) & (best_quality < self.high_threshold)
        matches[between] = -2
        if self.allow_low_quality_matches:
            best_per_box = quality.max(dim=1).values
            keep = torch.where(quality == best_per_box[:, None])[1]
            matches[keep] = unmatched[keep]
        return matches


class BalancedPositiveNegativeSampler:
    """Draws a fixed-size, class-balanced subset of labelled predictions per image.

    Args:
        batch_size_per_image: predictions drawn per image (fewer when there are not enough).
        positive_fraction: at most this share of them positive; negatives fill the rest.
    """

    def __init__(self, batch_size_per_image: int, positive_fraction: float) -> None:
        if batch_size_per_image <= 0:
            raise ValueError(f"batch_size_per_image must be positive, got {batch_size_per_image}")
        if not 0.0 <= positive_fraction <= 1.0:
            raise ValueError(f"positive_fraction must be in [0, 1], got {positive_fraction}")
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, labels: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """Sample per image.

        Args:
            labels: per image, ``Tensor[P_i]`` with ``-1`` ignored, ``0`` negative and ``>= 1``
                positive.

        Returns:
            ``(positive, negative)``: per image, uint8 ``Tensor[P_i]`` masks of the drawn
            positives and negatives.
        """
        positive_masks: list[Tensor] = []
        negative_masks: list[Tensor] = []
        for image_labels in labels:
            positive = torch.where(image_labels >= 1)[0]
            negative = torch.where(image_labels == 0)[0]
            num_pos = min(int(self.batch_size_per_image * self.positive_fraction), positive.numel())
            num_neg = min(self.batch_size_per_image - num_pos, negative.numel())
            chosen_pos = positive[
                torch.randperm(positive.numel(), device=positive.device)[:num_pos]
            ]
            chosen_neg = negative[
                torch.randperm(negative.numel(), device=negative.device)[:num_neg]
            ]
            positive_mask = torch.zeros_like(image_labels, dtype=torch.uint8)
            negative_mask = torch.zeros_like(image_labels, dtype=torch.uint8)
            positive_mask[chosen_pos] = 1
            negative_mask[chosen_neg] = 1
            positive_masks.append(positive_mask)
            negative_masks.append(negative_mask)
        return positive_masks, negative_masks
