"""Keypoint R-CNN's keypoint branch (He et al., Mask R-CNN, 2017): one heatmap per keypoint and
RoI, trained as a softmax over heatmap cells, read back as image coordinates."""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .heatmap_peaks import resized_heatmap_peaks


class KeypointRCNNHeads(nn.Sequential):
    """3x3 convolutions, each followed by ReLU (children ``0, 1, 2, ...``).

    Args:
        in_channels: channels of the pooled RoI features.
        layers: output channels of each convolution.
    """

    def __init__(self, in_channels: int, layers: tuple[int, ...]) -> None:
        blocks: list[nn.Module] = []
        channels = in_channels
        for width in layers:
            blocks += [nn.Conv2d(channels, width, 3, stride=1, padding=1), nn.ReLU(inplace=True)]
            channels = width
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(layer.bias)


class KeypointRCNNPredictor(nn.Module):
    """A stride-2 transposed convolution to one map per keypoint, then bilinear upsampling by 2.

    Shape:
        input ``Tensor[K, in_channels, S, S]``; output ``Tensor[K, num_keypoints, 4S, 4S]``.
    """

    def __init__(self, in_channels: int, num_keypoints: int) -> None:
        super().__init__()
        self.kps_score_lowres = nn.ConvTranspose2d(
            in_channels, num_keypoints, 4, stride=2, padding=1
        )
        nn.init.kaiming_normal_(self.kps_score_lowres.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(self.kps_score_lowres.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.kps_score_lowres(x)
        return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


def keypoints_to_heatmap(keypoints: Tensor, rois: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """The heatmap cell of each keypoint in its RoI's ``size x size`` grid.

    Args:
        keypoints: ``Tensor[K, P, 3]`` (x, y, visibility) in image coordinates.
        rois: ``Tensor[K, 4]`` xyxy.
        size: heatmap side.

    Returns:
        ``(cells, valid)``: int64 ``Tensor[K, P]`` flat cell index ``y * size + x`` (0 where not
        valid), and int64 ``Tensor[K, P]``, 1 for visible keypoints inside their RoI. A keypoint
        on the RoI's right or bottom edge falls in the last cell.
    """
    x0 = rois[:, 0:1]
    y0 = rois[:, 1:2]
    scale_x = size / (rois[:, 2:3] - x0)
    scale_y = size / (rois[:, 3:4] - y0)
    x = keypoints[..., 0]
    y = keypoints[..., 1]
    cell_x = ((x - x0) * scale_x).floor().long()
    cell_y = ((y - y0) * scale_y).floor().long()
    cell_x[x == rois[:, 2:3]] = size - 1
    cell_y[y == rois[:, 3:4]] = size - 1
    inside = (cell_x >= 0) & (cell_y >= 0) & (cell_x < size) & (cell_y < size)
    valid = (inside & (keypoints[..., 2] > 0)).long()
    return (cell_y * size + cell_x) * valid, valid


def keypointrcnn_loss(
    heatmap_logits: Tensor,
    proposals: list[Tensor],
    gt_keypoints: list[Tensor],
    matched_idxs: list[Tensor],
) -> Tensor:
    """Cross-entropy over the heatmap cells of each visible keypoint inside its positive RoI.

    Args:
        heatmap_logits: ``Tensor[K, P, S, S]`` for the positive RoIs of all images.
        proposals: per image, the positive RoIs ``Tensor[K_i, 4]``.
        gt_keypoints: per image, ``Tensor[G_i, P, 3]``.
        matched_idxs: per image, the ground-truth index of each positive RoI.
    """
    count, num_keypoints, height, width = heatmap_logits.shape
    if height != width:
        raise ValueError(f"keypoint heatmaps must be square, got {height}x{width}")
    cells: list[Tensor] = []
    valid: list[Tensor] = []
    for boxes, keypoints, idxs in zip(proposals, gt_keypoints, matched_idxs, strict=True):
        image_cells, image_valid = keypoints_to_heatmap(keypoints[idxs], boxes, height)
        cells.append(image_cells.view(-1))
        valid.append(image_valid.view(-1))
    if len(cells) == 0:
        return heatmap_logits.sum() * 0
    targets = torch.cat(cells)
    chosen = torch.where(torch.cat(valid))[0]
    if chosen.numel() == 0:
        return heatmap_logits.sum() * 0
    flat = heatmap_logits.reshape(count * num_keypoints, height * width)
    return F.cross_entropy(flat[chosen], targets[chosen])


def heatmaps_to_keypoints(heatmaps: Tensor, rois: Tensor) -> tuple[Tensor, Tensor]:
    """Keypoint coordinates from heatmaps: each map, resized (bicubic) to its RoI's size in
    pixels (rounded up), peaks at a pixel whose centre is the keypoint. All RoIs at once, with
    no resized map built (:func:`resized_heatmap_peaks`).

    Args:
        heatmaps: ``Tensor[K, P, S, S]`` logits.
        rois: ``Tensor[K, 4]`` xyxy in image coordinates.

    Returns:
        ``(keypoints, scores)``: ``Tensor[K, P, 3]`` (x, y, 1) and ``Tensor[K, P]``, the resized
        logit at the maximum.
    """
    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    map_widths = widths.ceil()
    map_heights = heights.ceil()
    cell_y, cell_x, scores = resized_heatmap_peaks(heatmaps, map_heights.long(), map_widths.long())
    x = (cell_x.float() + 0.5) * (widths / map_widths)[:, None] + rois[:, 0:1]
    y = (cell_y.float() + 0.5) * (heights / map_heights)[:, None] + rois[:, 1:2]
    return torch.stack([x, y, torch.ones_like(x)], dim=2), scores


def keypointrcnn_inference(
    heatmaps: Tensor, boxes: list[Tensor]
) -> tuple[list[Tensor], list[Tensor]]:
    """:func:`heatmaps_to_keypoints` split per image: keypoints ``Tensor[K_i, P, 3]`` and scores
    ``Tensor[K_i, P]``."""
    counts = [b.shape[0] for b in boxes]
    if len(boxes) == 0:
        return [], []
    keypoints, scores = heatmaps_to_keypoints(heatmaps, torch.cat(boxes, dim=0))
    return list(keypoints.split(counts, dim=0)), list(scores.split(counts, dim=0))
