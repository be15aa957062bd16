"""Checks shared by the torchvision state-dict compatibility tests in tests/compat."""

import torch
from torch import nn


def state_dict_shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    """Each state-dict key with its tensor's shape, in the model's order."""
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def randomize_norm_statistics(model: nn.Module, generator: torch.Generator) -> None:
    """Give every batch norm non-trivial statistics and affine parameters, so that eval
    outputs depend on each buffer landing in the right place."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):  # 1d, 2d and 3d
                c = module.num_features
                module.running_mean.copy_(0.1 * torch.randn(c, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(c, generator=generator))
                module.weight.copy_(0.5 + torch.rand(c, generator=generator))
                module.bias.copy_(0.1 * torch.randn(c, generator=generator))
