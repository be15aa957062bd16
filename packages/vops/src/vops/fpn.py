"""Feature Pyramid Network (Lin et al., 2017): a top-down pathway with lateral connections that
gives every backbone stage the same number of channels and the semantics of the coarsest."""

from collections import OrderedDict
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._errors import ArgumentError, ArgumentIndexError, ArgumentTypeError
from ._fx import leaf_call
from .misc import Conv2dNormActivation


class ExtraFPNBlock(nn.Module):
    """Base class for blocks that append levels after the FPN's own outputs.

    Subclasses implement ``forward(results, x, names) -> (results, names)`` where ``results``
    are the FPN outputs, ``x`` the backbone features they were computed from (both finest
    first) and ``names`` the keys of ``results``; the returned lists carry the new levels at
    the end.
    """

    def forward(
        self, results: list[Tensor], x: list[Tensor], names: list[str]
    ) -> tuple[list[Tensor], list[str]]:
        raise NotImplementedError("ExtraFPNBlock subclasses must implement forward")


class LastLevelMaxPool(ExtraFPNBlock):
    """Adds level ``"pool"``: the last FPN output subsampled by 2 (``max_pool2d``, kernel 1,
    stride 2), as Faster R-CNN's RPN uses for its coarsest anchors."""

    # The argument names are torchvision's: x are the FPN outputs, y the backbone features.
    def forward(
        self, x: list[Tensor], y: list[Tensor], names: list[str]
    ) -> tuple[list[Tensor], list[str]]:
        results, names = list(x), list(names)
        results.append(F.max_pool2d(results[-1], kernel_size=1, stride=2, padding=0))
        names.append("pool")
        return results, names


class LastLevelP6P7(ExtraFPNBlock):
    """Adds levels ``"p6"`` and ``"p7"`` with stride-2 3x3 convolutions, as in RetinaNet.

    P6 is computed from the last FPN output (P5) when ``in_channels == out_channels``, else
    from the last backbone feature (C5); P7 from ReLU(P6).

    Args:
        in_channels: channels of the map P6 is computed from.
        out_channels: channels of P6 and P7.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value <= 0:
                raise ArgumentError(f"{name} must be a positive int, got {value}")
        self.p6 = nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=2, padding=1)
        self.p7 = nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=2, padding=1)
        for conv in (self.p6, self.p7):
            nn.init.kaiming_uniform_(conv.weight, a=1)
            nn.init.zeros_(conv.bias)
        self.use_P5 = in_channels == out_channels

    # The argument names are torchvision's: p are the FPN outputs, c the backbone features.
    def forward(
        self, p: list[Tensor], c: list[Tensor], names: list[str]
    ) -> tuple[list[Tensor], list[str]]:
        source = p[-1] if self.use_P5 else c[-1]
        p6 = self.p6(source)
        p7 = self.p7(F.relu(p6))
        results, names = list(p), list(names)
        results.extend([p6, p7])
        names.extend(["p6", "p7"])
        return results, names


def _check_pyramid(names: list[str], features: list[Tensor], in_channels_list: list[int]) -> None:
    """Require one ``Tensor[N, C_i, H, W]`` per entry of ``in_channels_list``."""
    if not torch.jit.is_scripting():
        # Under torch.fx the check becomes a graph node, run when the traced module runs.
        traced = leaf_call(_check_pyramid, names, features, in_channels_list)
        if traced is not None:
            return
    if len(features) != len(in_channels_list):
        raise ArgumentError(
            f"x must hold {len(in_channels_list)} feature maps, one per entry of "
            f"in_channels_list, got {len(features)}: {names}"
        )
    for name, feature, channels in zip(names, features, in_channels_list, strict=True):
        if feature.dim() != 4 or feature.size(1) != channels:
            raise ArgumentError(
                f"x['{name}'] must be a Tensor[N, {channels}, H, W], "
                f"got Tensor{list(feature.shape)}"
            )


class FeaturePyramidNetwork(nn.Module):
    """Feature Pyramid Network over a dict of backbone features, finest first.

    Each feature goes through a 1x1 lateral convolution (``inner_blocks``); from the coarsest
    down, the running top-down map is upsampled (nearest neighbour) to the next lateral's size
    and added to it; every sum then goes through a 3x3 convolution (``layer_blocks``).

    Args:
        in_channels_list: channels of each input feature, in the order of the input dict.
        out_channels: channels of every output level.
        extra_blocks: appends levels after the FPN outputs, e.g. :class:`LastLevelMaxPool`.
        norm_layer: called as ``norm_layer(out_channels)`` to add a normalization after each
            convolution, which then has no bias.
    """

    # Version 2 nests each convolution in a Sequential; see _load_from_state_dict.
    _version = 2

    def __init__(
        self,
        in_channels_list: list[int],
        out_channels: int,
        extra_blocks: ExtraFPNBlock | None = None,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        if len(in_channels_list) == 0:
            raise ArgumentIndexError(
                "in_channels_list must hold at least one channel count, got []"
            )
        for i, channels in enumerate(in_channels_list):
            if channels <= 0:
                raise ArgumentError(
                    f"in_channels_list must hold positive channel counts, got {channels} at "
                    f"index {i} of {list(in_channels_list)}"
                )
        if out_channels <= 0:
            raise ArgumentError(f"out_channels must be a positive int, got {out_channels}")
        if extra_blocks is not None and not isinstance(extra_blocks, ExtraFPNBlock):
            raise ArgumentTypeError(
                f"extra_blocks must be an ExtraFPNBlock or None, got {type(extra_blocks).__name__}"
            )
        self.in_channels_list = list(in_channels_list)
        self.inner_blocks = nn.ModuleList(
            Conv2dNormActivation(
                channels, out_channels, 1, padding=0, norm_layer=norm_layer, activation_layer=None
            )
            for channels in in_channels_list
        )
        self.layer_blocks = nn.ModuleList(
            Conv2dNormActivation(
                out_channels, out_channels, 3, norm_layer=norm_layer, activation_layer=None
            )
            for _ in in_channels_list
        )
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_uniform_(module.weight, a=1)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        self.extra_blocks = extra_blocks

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
        # Checkpoints from before version 2 (torchvision < 0.13, among them its original COCO
        # detection weights) store each convolution directly at ``inner_blocks.{i}``.
        version = local_metadata.get("version")
        if version is None or version < 2:
            for block in ("inner_blocks", "layer_blocks"):
                for i in range(len(self.inner_blocks)):
                    for kind in ("weight", "bias"):
                        old_key = f"{prefix}{block}.{i}.{kind}"
                        if old_key in state_dict:
                            state_dict[f"{prefix}{block}.{i}.0.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

    def forward(self, x: dict[str, Tensor]) -> dict[str, Tensor]:
        """Compute the pyramid.

        Args:
            x: backbone features ``Tensor[N, C_i, H_i, W_i]`` by name, finest first, with
                ``C_i = in_channels_list[i]``.

        Returns:
            ``OrderedDict`` of ``Tensor[N, out_channels, H_i, W_i]`` under the keys of ``x`` in
            the same order, followed by any levels ``extra_blocks`` adds.
        """
        names = list(x.keys())
        features = list(x.values())
        _check_pyramid(names, features, self.in_channels_list)

        laterals: list[Tensor] = []
        for i, inner_block in enumerate(self.inner_blocks):
            laterals.append(inner_block(features[i]))
        merged: list[Tensor] = [laterals[-1]]
        for i in range(len(laterals) - 2, -1, -1):
            top_down = F.interpolate(merged[0], size=laterals[i].shape[-2:], mode="nearest")
            merged.insert(0, laterals[i] + top_down)
        results: list[Tensor] = []
        for i, layer_block in enumerate(self.layer_blocks):
            results.append(layer_block(merged[i]))

        if self.extra_blocks is not None:
            results, names = self.extra_blocks(results, features, names)
        return OrderedDict([(name, result) for name, result in zip(names, results, strict=True)])
