"""Box regression targets: boxes encoded as offsets from reference boxes (R-CNN)."""

import math

import torch
from torch import Tensor

# exp() of a larger log-scale would make a box over 1000/16 times its reference.
DEFAULT_SCALE_CLAMP = math.log(1000.0 / 16)


class BoxCoder:
    """Encodes boxes as ``(dx, dy, dw, dh)`` offsets from reference boxes, and decodes them back.

    For a reference box of centre ``(x, y)`` and size ``(w, h)`` and a target of centre
    ``(x', y')`` and size ``(w', h')``: ``dx = wx (x' - x) / w``, ``dy = wy (y' - y) / h``,
    ``dw = ww log(w' / w)``, ``dh = wh log(h' / h)``.

    Args:
        weights: ``(wx, wy, ww, wh)``; Fast R-CNN heads use ``(10, 10, 5, 5)``, the RPN ones.
        scale_clamp: upper bound on ``dw / ww`` and ``dh / wh`` when decoding, so that an
            untrained head cannot overflow ``exp``.
    """

    def __init__(
        self, weights: tuple[float, float, float, float], scale_clamp: float = DEFAULT_SCALE_CLAMP
    ) -> None:
        for w in weights:
            if w <= 0:
                raise ValueError(f"weights must be four positive numbers, got {weights}")
        self.weights = weights
        self.scale_clamp = scale_clamp

    def encode(self, targets: Tensor, references: Tensor) -> Tensor:
        """Offsets of ``targets`` from ``references``, both ``Tensor[K, 4]`` xyxy;
        returns ``Tensor[K, 4]``."""
        wx, wy, ww, wh = self.weights
        ref_w = references[:, 2] - references[:, 0]
        ref_h = references[:, 3] - references[:, 1]
        ref_x = references[:, 0] + 0.5 * ref_w
        ref_y = references[:, 1] + 0.5 * ref_h
        tgt_w = targets[:, 2] - targets[:, 0]
        tgt_h = targets[:, 3] - targets[:, 1]
        tgt_x = targets[:, 0] + 0.5 * tgt_w
        tgt_y = targets[:, 1] + 0.5 * tgt_h
        return torch.stack(
            (
                wx * (tgt_x - ref_x) / ref_w,
                wy * (tgt_y - ref_y) / ref_h,
                ww * torch.log(tgt_w / ref_w),
                wh * torch.log(tgt_h / ref_h),
            ),
            dim=1,
        )

    def encode_per_image(self, targets: list[Tensor], references: list[Tensor]) -> list[Tensor]:
        """:meth:`encode` over images, in one call."""
        counts = [r.shape[0] for r in references]
        codes = self.encode(torch.cat(targets, dim=0), torch.cat(references, dim=0))
        return list(codes.split(counts, 0))

    def decode(self, codes: Tensor, references: Tensor) -> Tensor:
        """Boxes from offsets: ``codes`` is ``Tensor[K, 4 * C]`` (``C`` boxes per reference, e.g.
        one per class), ``references`` ``Tensor[K, 4]``; returns ``Tensor[K, C, 4]`` xyxy."""
        references = references.to(codes.dtype)
        wx, wy, ww, wh = self.weights
        ref_w = references[:, 2:3] - references[:, 0:1]
        ref_h = references[:, 3:4] - references[:, 1:2]
        ref_x = references[:, 0:1] + 0.5 * ref_w
        ref_y = references[:, 1:2] + 0.5 * ref_h
        dx = codes[:, 0::4] / wx
        dy = codes[:, 1::4] / wy
        dw = (codes[:, 2::4] / ww).clamp(max=self.scale_clamp)
        dh = (codes[:, 3::4] / wh).clamp(max=self.scale_clamp)
        x = dx * ref_w + ref_x
        y = dy * ref_h + ref_y
        half_w = 0.5 * (torch.exp(dw) * ref_w)
        half_h = 0.5 * (torch.exp(dh) * ref_h)
        return torch.stack((x - half_w, y - half_h, x + half_w, y + half_h), dim=2)

    def decode_per_image(self, codes: Tensor, references: list[Tensor]) -> Tensor:
        """:meth:`decode` of ``codes`` ``Tensor[sum K_i, 4 * C]`` against the concatenated
        per-image ``references``; returns ``Tensor[sum K_i, C, 4]``."""
        return self.decode(codes, torch.cat(references, dim=0))


class BoxLinearCoder:
    """Encodes boxes as the distances ``(l, t, r, b)`` from a reference box's centre to their
    left, top, right and bottom sides (FCOS), and decodes them back.

    Args:
        normalize_by_size: divide the distances by the reference's width (``l``, ``r``) and
            height (``t``, ``b``), so that the codes do not grow with the pyramid level.
    """

    def __init__(self, normalize_by_size: bool = True) -> None:
        self.normalize_by_size = normalize_by_size

    def _reference_sizes(self, references: Tensor) -> Tensor:
        """``(w, h, w, h)`` of ``Tensor[..., 4]`` references, ``Tensor[..., 4]``."""
        sizes = references[..., 2:4] - references[..., 0:2]
        return torch.cat((sizes, sizes), dim=-1)

    def encode(self, reference_boxes: Tensor, proposals: Tensor) -> Tensor:
        """Distances from the centres of ``reference_boxes`` (the anchors) to the sides of
        ``proposals`` (the boxes to encode), both ``Tensor[..., 4]`` xyxy; returns
        ``Tensor[..., 4]``."""
        centres = 0.5 * (reference_boxes[..., 0:2] + reference_boxes[..., 2:4])
        codes = torch.cat((centres - proposals[..., 0:2], proposals[..., 2:4] - centres), dim=-1)
        if self.normalize_by_size:
            codes = codes / self._reference_sizes(reference_boxes)
        return codes

    def decode(self, rel_codes: Tensor, boxes: Tensor) -> Tensor:
        """Boxes from the distances ``rel_codes`` to the centres of the reference ``boxes``,
        both ``Tensor[..., 4]`` of the same leading shape; returns ``Tensor[..., 4]`` xyxy."""
        boxes = boxes.to(rel_codes.dtype)
        centres = 0.5 * (boxes[..., 0:2] + boxes[..., 2:4])
        if self.normalize_by_size:
            rel_codes = rel_codes * self._reference_sizes(boxes)
        return torch.cat((centres - rel_codes[..., 0:2], centres + rel_codes[..., 2:4]), dim=-1)
