"""Layers that detection backbones share: batch normalization with frozen statistics."""

import torch
from torch import Tensor, nn


class FrozenBatchNorm2d(nn.Module):
    """Batch normalization whose statistics and affine parameters are fixed buffers.

    Computes ``x * scale + shift`` per channel with ``scale = weight / sqrt(running_var + eps)``
    and ``shift = bias - running_mean * scale``: what an eval-mode :class:`torch.nn.BatchNorm2d`
    computes, but nothing is trained and batch statistics are never used, so small detection
    batches cannot corrupt a pretrained backbone. A :class:`torch.nn.BatchNorm2d` state dict
    loads as is (its ``num_batches_tracked`` is ignored).

    Args:
        num_features: number of channels ``C``.
        eps: added to the variance for numerical stability.

    Shape:
        input ``Tensor[N, C, H, W]``; output the same shape.
    """

    def __init__(self, num_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        if num_features <= 0:
            raise ValueError(f"num_features must be a positive int, got {num_features}")
        self.num_features = num_features
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Tensor],
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.size(1) != self.num_features:
            raise ValueError(
                f"input must be a Tensor[N, C, H, W] with C = num_features = {self.num_features}, "
                f"got Tensor{list(x.shape)}"
            )
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"
