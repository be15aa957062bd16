"""Mask R-CNN's mask branch (He et al., 2017): a small fully convolutional head predicting an
``M x M`` mask per RoI and class, its loss and its inference."""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops


def init_relu_convs(module: nn.Module) -> None:
    """He (fan-out) initialization of every (transposed) convolution in ``module`` that feeds a
    ReLU, with zero biases; normalization layers keep theirs."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class MaskRCNNHeads(nn.Sequential):
    """3x3 convolutions, each with optional normalization and ReLU, one per entry of
    ``layers``, as ``<i>.0`` (conv), ``<i>.1`` ...

    Args:
        in_channels: channels of the pooled RoI features.
        layers: output channels of each convolution.
        dilation: dilation of the convolutions.
        norm_layer: normalization after each convolution (none by default; batch norm in
            Mask R-CNN v2).
    """

    def __init__(
        self,
        in_channels: int,
        layers: tuple[int, ...],
        dilation: int = 1,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        blocks: list[nn.Module] = []
        channels = in_channels
        for width in layers:
            blocks.append(
                vops.Conv2dNormActivation(
                    channels, width, 3, padding=dilation, dilation=dilation, norm_layer=norm_layer
                )
            )
            channels = width
        super().__init__(*blocks)
        init_relu_convs(self)


class MaskRCNNPredictor(nn.Sequential):
    """Upsamples by 2 (transposed convolution and ReLU) and predicts one mask logit map per class.

    Shape:
        input ``Tensor[K, in_channels, S, S]``; output ``Tensor[K, num_classes, 2S, 2S]``.
    """

    def __init__(self, in_channels: int, dim_reduced: int, num_classes: int) -> None:
        super().__init__()
        self.conv5_mask = nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)
        self.relu = nn.ReLU(inplace=True)
        self.mask_fcn_logits = nn.Conv2d(dim_reduced, num_classes, 1, 1, 0)
        init_relu_convs(self)


def project_masks_on_boxes(
    gt_masks: Tensor, boxes: Tensor, matched_idxs: Tensor, size: int
) -> Tensor:
    """The ground-truth masks ``Tensor[G, H, W]`` cropped to ``boxes`` ``Tensor[K, 4]`` (box
    ``k`` from mask ``matched_idxs[k]``) and resampled to ``Tensor[K, size, size]``."""
    rois = torch.cat([matched_idxs[:, None].to(boxes), boxes], dim=1)
    masks = gt_masks[:, None].to(rois)
    return vops.roi_align(masks, rois, (size, size), 1.0)[:, 0]


def maskrcnn_loss(
    mask_logits: Tensor,
    proposals: list[Tensor],
    gt_masks: list[Tensor],
    gt_labels: list[Tensor],
    matched_idxs: list[Tensor],
) -> Tensor:
    """Mean binary cross-entropy between each positive RoI's mask logits for its ground-truth
    class and that object's mask projected on the RoI.

    Args:
        mask_logits: ``Tensor[K, C, M, M]`` for the positive RoIs of all images.
        proposals: per image, the positive RoIs ``Tensor[K_i, 4]``.
        gt_masks: per image, ``Tensor[G_i, H, W]``.
        gt_labels: per image, ``Tensor[G_i]``.
        matched_idxs: per image, the ground-truth index of each positive RoI.
    """
    size = mask_logits.shape[-1]
    labels = [gt[idxs] for gt, idxs in zip(gt_labels, matched_idxs, strict=True)]
    targets = [
        project_masks_on_boxes(masks, boxes, idxs, size)
        for masks, boxes, idxs in zip(gt_masks, proposals, matched_idxs, strict=True)
    ]
    if len(targets) == 0 or sum(t.numel() for t in targets) == 0:
        return mask_logits.sum() * 0
    all_labels = torch.cat(labels, dim=0)
    rows = torch.arange(all_labels.size(0), device=all_labels.device)
    return F.binary_cross_entropy_with_logits(mask_logits[rows, all_labels], torch.cat(targets))


def maskrcnn_inference(mask_logits: Tensor, labels: list[Tensor]) -> list[Tensor]:
    """Per image, the mask probabilities ``Tensor[K_i, 1, M, M]`` of each detection's class."""
    probabilities = mask_logits.sigmoid()
    all_labels = torch.cat(labels)
    rows = torch.arange(all_labels.size(0), device=all_labels.device)
    chosen = probabilities[rows, all_labels][:, None]
    return list(chosen.split([image_labels.shape[0] for image_labels in labels], dim=0))
