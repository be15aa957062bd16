"""Running under torchrun: process-group set-up, model wrapping and cross-process reductions.

Every helper also works in a single process without a process group, so the engine calls them
unconditionally.
"""

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: its rank among ``world_size`` and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0, the only process that writes files and prints."""
        return self.rank == 0


def init_distributed(device: str) -> DistInfo:
    """Join the process group described by torchrun's ``RANK``, ``WORLD_SIZE`` and
    ``LOCAL_RANK`` (nccl on CUDA, gloo on CPU), or run alone when they are not set.

    Args:
        device: ``"cpu"``, ``"cuda"`` or ``"cuda:<index>"``; under torchrun ``"cuda"`` becomes
            ``cuda:<LOCAL_RANK>``.
    """
    device_ = torch.device(device)
    if device_.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {device} needs CUDA, which is not available here; use cpu")
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return DistInfo(0, 1, 0, device_)
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device_.type == "cuda":
        device_ = torch.device("cuda", local_rank)
        torch.cuda.set_device(device_)
    if not dist.is_initialized():
        dist.init_process_group(
            "nccl" if device_.type == "cuda" else "gloo", rank=rank, world_size=world_size
        )
    return DistInfo(rank, world_size, local_rank, device_)


def is_distributed() -> bool:
    """Whether a process group with more than one process is running."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def cleanup() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap_model(model: nn.Module, info: DistInfo, sync_bn: bool) -> nn.Module:
    """``model`` wrapped in DistributedDataParallel when distributed (with its batch norms
    turned into SyncBatchNorm if ``sync_bn``), else ``model`` itself."""
    if sync_bn:
        if info.device.type != "cuda":
            raise ValueError("--sync-bn needs CUDA devices: SyncBatchNorm has no CPU kernels")
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    if not is_distributed():
        return model
    device_ids = [info.device.index] if info.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The module inside a DistributedDataParallel wrapper (the model itself otherwise)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def all_reduce_sum(tensor: Tensor) -> Tensor:
    """The element-wise sum of ``tensor`` over all processes: a new tensor, or ``tensor``
    itself when alone."""
    if not is_distributed():
        return tensor
    # nccl reduces CUDA tensors only; the metrics accumulate on the CPU.
    device = torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")
    reduced = tensor.to(device, copy=True)
    dist.all_reduce(reduced)
    return reduced.to(tensor.device)


def all_gather_object(value: object) -> list[object]:
    """``value`` of every process, in rank order (``[value]`` when alone)."""
    if not is_distributed():
        return [value]
    gathered: list[object] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, value)
    return gathered
