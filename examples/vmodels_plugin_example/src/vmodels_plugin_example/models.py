"""A tiny classifier registered with vmodels: conv-bn-relu, global average pool, linear."""

import torch
from torch import Tensor, nn

from vmodels import register_model


class TinyPluginNet(nn.Module):
    """Input ``Tensor[N, in_channels, H, W]``; output logits ``Tensor[N, num_classes]``."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, width: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, width, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


@register_model(task="classification")
def tiny_plugin_net(*, weights: str | None = None, **kwargs) -> TinyPluginNet:
    """A one-block classifier for examples and tests; any input size of at least 1x1.

    Args:
        weights: None, or the path of a state-dict file saved from this model.
        **kwargs: ``num_classes``, ``in_channels``, ``width`` for :class:`TinyPluginNet`.
    """
    model = TinyPluginNet(**kwargs)
    if weights is not None:
        model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model
