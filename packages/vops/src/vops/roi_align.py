"""RoIAlign (He et al., Mask R-CNN, 2017): average of bilinear samples in each output bin."""

import torch
from torch import Tensor, nn
from torch.jit.annotations import BroadcastingList2

from ._fx import leaf_call
from ._validation import checked_roi_arguments


def roi_align(
    input: Tensor,
    boxes: Tensor | list[Tensor],
    output_size: BroadcastingList2[int],
    spatial_scale: float = 1.0,
    sampling_ratio: int = -1,
    aligned: bool = False,
) -> Tensor:
    """Pool each region of interest to a fixed size by bilinear sampling.

    Under ``torch.fx.symbolic_trace`` the call is recorded as one graph node.

    Args:
        input: feature map ``Tensor[N, C, H, W]``.
        boxes: ``Tensor[K, 5]`` rows of ``(batch index, x1, y1, x2, y2)``, or a list (or tuple)
            of ``Tensor[L_i, 4]`` boxes, one per image from the first (at most ``N``). Same
            dtype and device as ``input``.
        output_size: ``(height, width)`` of each pooled region, or one int for both.
        spatial_scale: factor from box coordinates to ``input`` coordinates (e.g. 1/16).
        sampling_ratio: sampling points per bin along each axis; ``<= 0`` picks
            ``ceil(bin size)`` per RoI.
        aligned: shift boxes by -0.5 pixel so that pixel centres are sampled exactly (the
            Detectron2 convention); ``False`` keeps the original, misaligned behaviour.

    Returns:
        ``Tensor[K, C, output_size[0], output_size[1]]``.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(
            roi_align, input, boxes, output_size, spatial_scale, sampling_ratio, aligned
        )
        if traced is not None:
            return traced
    rois, size = checked_roi_arguments(input, boxes, output_size, spatial_scale)
    return torch.ops.vops.roi_align(
        input, rois, spatial_scale, size[0], size[1], sampling_ratio, aligned
    )


class RoIAlign(nn.Module):
    """Module form of :func:`roi_align`."""

    def __init__(
        self,
        output_size: BroadcastingList2[int],
        spatial_scale: float,
        sampling_ratio: int,
        aligned: bool = False,
    ) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return roi_align(
            input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
            f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}"
        )


@torch.library.register_fake("vops::roi_align")
def _roi_align_fake(
    input: Tensor,
    rois: Tensor,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    sampling_ratio: int,
    aligned: bool,
) -> Tensor:
    return input.new_empty((rois.size(0), input.size(1), pooled_height, pooled_width))


@torch.library.register_fake("vops::_roi_align_backward")
def _roi_align_backward_fake(
    grad: Tensor,
    rois: Tensor,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    batch_size: int,
    channels: int,
    height: int,
    width: int,
    sampling_ratio: int,
    aligned: bool,
) -> Tensor:
    return grad.new_empty((batch_size, channels, height, width))


def _setup_context(ctx, inputs: tuple, output: Tensor) -> None:
    input, rois, *params = inputs
    ctx.save_for_backward(rois)
    ctx.input_shape = input.shape
    ctx.params = params


def _backward(ctx, grad: Tensor) -> tuple:
    (rois,) = ctx.saved_tensors
    spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned = ctx.params
    batch_size, channels, height, width = ctx.input_shape
    grad_input = torch.ops.vops._roi_align_backward(
        grad, rois, spatial_scale, pooled_height, pooled_width,
        batch_size, channels, height, width, sampling_ratio, aligned,
    )  # fmt: skip
    return (grad_input,) + (None,) * 6


torch.library.register_autograd("vops::roi_align", _backward, setup_context=_setup_context)


def _double_backward(ctx, *grads: Tensor) -> tuple:
    raise RuntimeError(
        "vops.roi_align does not support double backward (differentiating its gradient)"
    )


torch.library.register_autograd("vops::_roi_align_backward", _double_backward)
