"""RoIPool (Girshick, Fast R-CNN, 2015): maximum over each quantized output bin."""

import torch
from torch import Tensor, nn
from torch.jit.annotations import BroadcastingList2

from ._fx import leaf_call
from ._validation import checked_roi_arguments


def roi_pool(
    input: Tensor,
    boxes: Tensor | list[Tensor],
    output_size: BroadcastingList2[int],
    spatial_scale: float = 1.0,
) -> Tensor:
    """Max-pool each region of interest to a fixed size.

    Under ``torch.fx.symbolic_trace`` the call is recorded as one graph node.

    Args:
        input: feature map ``Tensor[N, C, H, W]``.
        boxes: ``Tensor[K, 5]`` rows of ``(batch index, x1, y1, x2, y2)``, or a list (or tuple)
            of ``Tensor[L_i, 4]`` boxes, one per image from the first (at most ``N``). Same
            dtype and device as ``input``.
        output_size: ``(height, width)`` of each pooled region, or one int for both.
        spatial_scale: factor from box coordinates to ``input`` coordinates (e.g. 1/16).

    Returns:
        ``Tensor[K, C, output_size[0], output_size[1]]``; bins that fall outside the map are 0.
    """
    if not torch.jit.is_scripting():
        traced = leaf_call(roi_pool, input, boxes, output_size, spatial_scale)
        if traced is not None:
            return traced
    rois, size = checked_roi_arguments(input, boxes, output_size, spatial_scale)
    # The argmax only serves the backward pass; inference skips writing it.
    with_argmax = torch.is_grad_enabled() and input.requires_grad
    output, _ = torch.ops.vops.roi_pool(input, rois, spatial_scale, size[0], size[1], with_argmax)
    return output


class RoIPool(nn.Module):
    """Module form of :func:`roi_pool`."""

    def __init__(self, output_size: BroadcastingList2[int], spatial_scale: float) -> None:
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois: Tensor | list[Tensor]) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"


@torch.library.register_fake("vops::roi_pool")
def _roi_pool_fake(
    input: Tensor,
    rois: Tensor,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    with_argmax: bool = True,
) -> tuple[Tensor, Tensor]:
    shape = (rois.size(0), input.size(1), pooled_height, pooled_width)
    argmax_shape = shape if with_argmax else (0,)
    return input.new_empty(shape), input.new_empty(argmax_shape, dtype=torch.int32)


@torch.library.register_fake("vops::_roi_pool_backward")
def _roi_pool_backward_fake(
    grad: Tensor,
    rois: Tensor,
    argmax: Tensor,
    spatial_scale: float,
    pooled_height: int,
    pooled_width: int,
    batch_size: int,
    channels: int,
    height: int,
    width: int,
) -> Tensor:
    return grad.new_empty((batch_size, channels, height, width))


def _setup_context(ctx, inputs: tuple, output: tuple[Tensor, Tensor]) -> None:
    input, rois, *params = inputs
    ctx.save_for_backward(rois, output[1])
    ctx.input_shape = input.shape
    ctx.params = params
    ctx.mark_non_differentiable(output[1])


def _backward(ctx, grad: Tensor, grad_argmax: Tensor) -> tuple:
    rois, argmax = ctx.saved_tensors
    spatial_scale, pooled_height, pooled_width, with_argmax = ctx.params
    # Autograd records the op when only the rois require grad; they get no gradient.
    if not ctx.needs_input_grad[0]:
        return (None,) * 6
    if not with_argmax:
        raise RuntimeError(
            "vops::roi_pool was called with with_argmax=False, so it cannot be differentiated; "
            "call vops.roi_pool, which asks for the argmax when a gradient is needed"
        )
    batch_size, channels, height, width = ctx.input_shape
    grad_input = torch.ops.vops._roi_pool_backward(
        grad, rois, argmax, spatial_scale, pooled_height, pooled_width,
        batch_size, channels, height, width,
    )  # fmt: skip
    return (grad_input,) + (None,) * 5


torch.library.register_autograd("vops::roi_pool", _backward, setup_context=_setup_context)


def _double_backward(ctx, *grads: Tensor) -> tuple:
    raise RuntimeError(
        "vops.roi_pool does not support double backward (differentiating its gradient)"
    )


torch.library.register_autograd("vops::_roi_pool_backward", _double_backward)
