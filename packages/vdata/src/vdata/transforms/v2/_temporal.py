"""Uniform temporal subsampling of videos: the functional, its video kernel and the
UniformTemporalSubsample transform (torchvision 0.29's names)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ... import tv_tensors
from ._dispatch import _dispatch, _image_kernel, register_kernel
from ._transform import Transform


def uniform_temporal_subsample(inpt: Tensor, num_samples: int) -> Tensor:
    """``num_samples`` frames evenly spaced over the time dimension of a video
    ``[..., T, C, H, W]``, the first and the last included; with more samples than frames,
    frames repeat (the nearest one is taken)."""
    return _dispatch(uniform_temporal_subsample, inpt, num_samples=num_samples)


def uniform_temporal_subsample_video(video: Tensor, num_samples: int) -> Tensor:
    """Kernel of :func:`uniform_temporal_subsample` for a plain ``Tensor[..., T, C, H, W]``."""
    # Positions rounded towards zero, as pytorchvideo (and so torchvision) takes them.
    positions = torch.linspace(0, video.shape[-4] - 1, num_samples, device=video.device)
    return video.index_select(-4, positions.long())


for _cls in (Tensor, tv_tensors.Video):
    register_kernel(uniform_temporal_subsample, _cls)(
        _image_kernel(uniform_temporal_subsample_video)
    )


class UniformTemporalSubsample(Transform):
    """Keep ``num_samples`` evenly spaced frames of each video (plain tensors taken for
    videos ``[..., T, C, H, W]``); see :func:`uniform_temporal_subsample`. Images, masks,
    boxes and points pass through."""

    _transformed_types = (torch.Tensor,)

    def __init__(self, num_samples: int) -> None:
        self.num_samples = num_samples

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(uniform_temporal_subsample, inpt, self.num_samples)


__all__ = [
    "UniformTemporalSubsample",
    "uniform_temporal_subsample",
    "uniform_temporal_subsample_video",
]
