"""The R-CNN pipeline shared by Faster, Mask and Keypoint R-CNN: transform -> backbone -> region
proposal network -> RoI heads -> post-processing."""

from collections import OrderedDict

import torch
from torch import Tensor, nn

from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork
from .transform import GeneralizedRCNNTransform


def backbone_channels(backbone: nn.Module) -> int:
    """The ``out_channels`` of a detector's backbone (the channels of its feature maps)."""
    out_channels = getattr(backbone, "out_channels", None)
    if not isinstance(out_channels, int):
        raise ValueError(
            "backbone must have an int attribute out_channels (the channels of its "
            f"feature maps); {type(backbone).__name__} has {out_channels!r}"
        )
    return out_channels


def check_targets(targets: list[dict[str, Tensor]], needs: list[str]) -> None:
    """Validate training targets: per image ``boxes`` float ``Tensor[G, 4]`` xyxy with positive
    width and height, ``labels`` int64 ``Tensor[G]``, and the other keys in ``needs``
    (``"masks"`` ``Tensor[G, H, W]``, ``"keypoints"`` ``Tensor[G, K, 3]``)."""
    for i, target in enumerate(targets):
        if "boxes" not in target or "labels" not in target:
            raise ValueError(
                f"targets[{i}] must hold 'boxes' and 'labels', got {list(target.keys())}"
            )
        boxes = target["boxes"]
        if boxes.dim() != 2 or boxes.size(1) != 4 or not boxes.is_floating_point():
            raise ValueError(
                f"targets[{i}]['boxes'] must be a float Tensor[G, 4], got "
                f"Tensor{list(boxes.shape)} of dtype {boxes.dtype}"
            )
        labels = target["labels"]
        if labels.dim() != 1 or labels.size(0) != boxes.size(0) or labels.dtype != torch.int64:
            raise ValueError(
                f"targets[{i}]['labels'] must be an int64 Tensor[G] with G = {boxes.size(0)}, got "
                f"Tensor{list(labels.shape)} of dtype {labels.dtype}"
            )
        degenerate = torch.where((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1]))[0]
        if degenerate.numel() > 0:
            j = int(degenerate[0].item())
            box: list[float] = boxes[j].tolist()
            raise ValueError(
                f"targets[{i}]['boxes'][{j}] = {box} has non-positive width or "
                "height; boxes must be (x1, y1, x2, y2) with x2 > x1 and y2 > y1"
            )
        for key in needs:
            if key == "boxes" or key == "labels":
                continue
            if key not in target:
                raise ValueError(f"targets[{i}] must hold '{key}' for this model")
            value = target[key]
            if value.dim() != 3 or value.size(0) != boxes.size(0):
                raise ValueError(
                    f"targets[{i}]['{key}'] must be a Tensor[G, ...] of 3 dimensions with G = "
                    f"{boxes.size(0)}, got Tensor{list(value.shape)}"
                )


class GeneralizedRCNN(nn.Module):
    """An R-CNN from its parts.

    Args:
        backbone: maps ``Tensor[N, 3, H, W]`` to a feature map or a dict of them.
        rpn: the :class:`RegionProposalNetwork`.
        roi_heads: the :class:`RoIHeads`.
        transform: the :class:`GeneralizedRCNNTransform`.

    ``forward(images, targets=None)``: ``images`` is a list of float ``Tensor[3, H, W]`` in
    ``[0, 1]``, of any sizes. In training it returns the dict of losses; in evaluation a list of
    one dict per image with ``boxes`` ``Tensor[D, 4]`` (xyxy, in the image's own pixels),
    ``labels`` ``Tensor[D]``, ``scores`` ``Tensor[D]``, and, for the branches present, ``masks``
    ``Tensor[D, 1, H, W]`` probabilities or ``keypoints`` ``Tensor[D, K, 3]`` with
    ``keypoints_scores`` ``Tensor[D, K]``. Under TorchScript it returns ``(losses, detections)``.
    """

    def __init__(
        self,
        backbone: nn.Module,
        rpn: RegionProposalNetwork,
        roi_heads: RoIHeads,
        transform: GeneralizedRCNNTransform,
    ) -> None:
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads

    def target_keys(self) -> list[str]:
        """The keys each training target needs."""
        needs = ["boxes", "labels"]
        if self.roi_heads.has_mask():
            needs.append("masks")
        if self.roi_heads.has_keypoint():
            needs.append("keypoints")
        return needs

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
        proposals, proposal_losses = self.rpn(batch, features, targets)
        detections, detector_losses = self.roi_heads(
            features, proposals, batch.image_sizes, targets
        )
        detections = self.transform.postprocess(detections, batch.image_sizes, original_sizes)
        losses: dict[str, Tensor] = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        if torch.jit.is_scripting():
            return losses, detections
        return self.eager_outputs(losses, detections)
