"""MaxViT: a convolutional stem, then stages of MaxViT layers, each an MBConv block followed by
relative-position self-attention within non-overlapping windows (local) and across a sparse grid
spanning the whole map (global), so every layer mixes information at both ranges.

Parameter and buffer names follow torchvision's layout (``stem``,
``blocks.<b>.layers.<l>.layers.MBconv / window_attention / grid_attention``, ``classifier``),
so its checkpoints load with ``strict=True``.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for ImageNet weights. Any size works whose feature map in every
block ``partition_size`` divides (sizes halve, rounding up, five times; multiples of 224 for
MaxViT-T); output ``Tensor[N, num_classes]`` of logits.
"""

from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification, InterpolationMode

NormLayer = Callable[[int], nn.Module]


def _halved(size: int) -> int:
    """A side after a 3x3 stride-2 convolution padded by 1 (or the matching average pool)."""
    return (size - 1) // 2 + 1


def check_input_size(x: Tensor, partition_size: int, num_blocks: int) -> Tensor:
    """``x``, after raising ValueError unless ``partition_size`` divides its feature map in each
    of the ``num_blocks`` blocks."""
    height, width = x.shape[-2], x.shape[-1]
    h, w = _halved(height), _halved(width)
    sizes: list[list[int]] = []
    fits = True
    for _ in range(num_blocks):
        h, w = _halved(h), _halved(w)
        sizes.append([h, w])
        fits = fits and h % partition_size == 0 and w % partition_size == 0
    if not fits:
        multiple = partition_size << (num_blocks + 1)  # TorchScript's int ** int is a float
        raise ValueError(
            f"input size {height}x{width} gives block feature maps {sizes}, which "
            f"partition_size={partition_size} must all divide (multiples of {multiple} do)"
        )
    return x


# One node under torch.fx tracing, on the data path so that traced feature extractors keep it.
torch.fx.wrap("check_input_size")


def relative_position_index(size: int) -> Tensor:
    """``Tensor[size**2, size**2]``: for each pair of positions in a ``size`` x ``size`` window,
    the row of their offset ``(dy, dx)`` in a ``(2 size - 1)**2``-row bias table."""
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    coords = torch.stack([rows.flatten(), cols.flatten()])
    offsets = coords[:, :, None] - coords[:, None, :] + (size - 1)
    return offsets[0] * (2 * size - 1) + offsets[1]


class MBConv(nn.Module):
    """Pre-normalized inverted bottleneck: norm, 1x1 expansion to ``expansion_ratio`` times
    ``out_channels``, 3x3 depthwise convolution at ``stride``, squeeze-and-excitation, 1x1
    projection; added to the input, average-pooled and projected by a 1x1 convolution where the
    shape changes.

    Shape:
        input ``Tensor[N, in_channels, H, W]``; output ``Tensor[N, out_channels, H', W']`` with
        ``H' = ceil(H / stride)``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        expansion_ratio: float,
        squeeze_ratio: float,
        stride: int,
        activation_layer: Callable[..., nn.Module],
        norm_layer: NormLayer,
        p_stochastic_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.proj: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            shortcut: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size=1)]
            if stride == 2:
                shortcut.insert(0, nn.AvgPool2d(kernel_size=3, stride=2, padding=1))
            self.proj = nn.Sequential(*shortcut)
        self.stochastic_depth: nn.Module = (
            vops.StochasticDepth(p_stochastic_dropout, "row")
            if p_stochastic_dropout
            else nn.Identity()
        )
        mid_channels = int(out_channels * expansion_ratio)
        conv = partial(
            vops.Conv2dNormActivation,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
            inplace=None,
        )
        self.layers = nn.Sequential()
        self.layers.add_module("pre_norm", norm_layer(in_channels))
        self.layers.add_module("conv_a", conv(in_channels, mid_channels, 1, padding=0))
        self.layers.add_module(
            "conv_b", conv(mid_channels, mid_channels, 3, stride, padding=1, groups=mid_channels)
        )
        self.layers.add_module(
            "squeeze_excitation",
            vops.SqueezeExcitation(
                mid_channels, int(out_channels * squeeze_ratio), activation=nn.SiLU
            ),
        )
        self.layers.add_module("conv_c", nn.Conv2d(mid_channels, out_channels, kernel_size=1))

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x) + self.stochastic_depth(self.layers(x))


class RelativePositionalMultiHeadAttention(nn.Module):
    """Multi-head self-attention within each group of ``max_seq_len`` tokens (a square window),
    with a learned bias per head and relative offset, computed by
    ``F.scaled_dot_product_attention`` (the bias as its ``attn_mask``).

    Logits are scaled by ``feat_dim ** -0.5`` (not the head size), as the published weights were
    trained.

    Args:
        feat_dim: features per token; a multiple of ``head_dim``.
        head_dim: features per head.
        max_seq_len: tokens per group, a square number.

    Shape:
        input ``Tensor[N, G, max_seq_len, feat_dim]``; output the same shape.
    """

    def __init__(self, feat_dim: int, head_dim: int, max_seq_len: int) -> None:
        super().__init__()
        if feat_dim % head_dim != 0:
            raise ValueError(
                f"feat_dim must be a multiple of head_dim, got feat_dim={feat_dim} and "
                f"head_dim={head_dim}"
            )
        self.n_heads = feat_dim // head_dim
        self.head_dim = head_dim
        self.size = int(max_seq_len**0.5)
        self.max_seq_len = max_seq_len
        self.scale_factor = feat_dim**-0.5
        self.to_qkv = nn.Linear(feat_dim, 3 * feat_dim)
        self.merge = nn.Linear(feat_dim, feat_dim)
        self.relative_position_bias_table = nn.Parameter(
            torch.empty((2 * self.size - 1) ** 2, self.n_heads)
        )
        self.register_buffer("relative_position_index", relative_position_index(self.size))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def get_relative_positional_bias(self) -> Tensor:
        """The bias of each head between each pair of tokens: ``Tensor[1, heads, L, L]``."""
        index = self.relative_position_index.view(-1)
        bias = self.relative_position_bias_table[index].view(self.max_seq_len, self.max_seq_len, -1)
        return bias.permute(2, 0, 1).unsqueeze(0)

    def forward(self, x: Tensor) -> Tensor:
        n, groups, length, features = x.shape
        qkv = self.to_qkv(x).reshape(n * groups, length, 3, self.n_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        bias = self.get_relative_positional_bias()
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=self.scale_factor)
        return self.merge(out.transpose(1, 2).reshape(n, groups, length, features))


class SwapAxes(nn.Module):
    """``torch.swapaxes(x, a, b)`` as a module."""

    def __init__(self, a: int, b: int) -> None:
        super().__init__()
        self.a = a
        self.b = b

    def forward(self, x: Tensor) -> Tensor:
        return torch.swapaxes(x, self.a, self.b)


class WindowPartition(nn.Module):
    """Cut a map into non-overlapping ``ph`` x ``pw`` windows, each a sequence of tokens.

    Shape:
        input ``Tensor[N, C, H, W]`` (``ph`` dividing ``H``, ``pw`` dividing ``W``); output
        ``Tensor[N, (H / ph) * (W / pw), ph * pw, C]``.
    """

    def forward(self, x: Tensor, ph: int, pw: int) -> Tensor:
        n, c, h, w = x.shape
        x = x.reshape(n, c, h // ph, ph, w // pw, pw).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(n, (h // ph) * (w // pw), ph * pw, c)


class WindowDepartition(nn.Module):
    """Reassemble ``gh`` x ``gw`` windows of ``ph`` x ``pw`` tokens into a map: the inverse of
    :class:`WindowPartition`.

    Shape:
        input ``Tensor[N, gh * gw, ph * pw, C]``; output ``Tensor[N, C, gh * ph, gw * pw]``.
    """

    def forward(self, x: Tensor, ph: int, pw: int, gh: int, gw: int) -> Tensor:
        n, _, _, c = x.shape
        x = x.reshape(n, gh, gw, ph, pw, c).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(n, c, gh * ph, gw * pw)


class PartitionAttentionLayer(nn.Module):
    """Pre-norm transformer layer (attention, then an MLP, each residual with stochastic depth)
    over partitions of the map.

    ``"window"`` attends within each ``partition_size`` x ``partition_size`` block of adjacent
    positions; ``"grid"`` within each set of ``partition_size`` x ``partition_size`` positions
    spaced ``H / partition_size`` rows and ``W / partition_size`` columns apart (the same
    relative-position table serves both). The spacing is taken from each input, so any map that
    ``partition_size`` divides works.

    Shape:
        input ``Tensor[N, C, H, W]``; output the same shape.
    """

    def __init__(
        self,
        in_channels: int,
        head_dim: int,
        partition_size: int,
        partition_type: str,
        mlp_ratio: int,
        activation_layer: Callable[..., nn.Module],
        norm_layer: NormLayer,
        attention_dropout: float,
        mlp_dropout: float,
        p_stochastic_dropout: float,
    ) -> None:
        super().__init__()
        if partition_type not in ("window", "grid"):
            raise ValueError(f"partition_type must be 'window' or 'grid', got {partition_type!r}")
        self.partition_size = partition_size
        self.partition_type = partition_type
        self.partition_op = WindowPartition()
        self.departition_op = WindowDepartition()
        # Grid tokens come out of the partition as the group axis: the swap makes them the
        # sequence attended over.
        self.partition_swap: nn.Module = (
            SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()
        )
        self.departition_swap: nn.Module = (
            SwapAxes(-2, -3) if partition_type == "grid" else nn.Identity()
        )
        self.attn_layer = nn.Sequential(
            norm_layer(in_channels),
            RelativePositionalMultiHeadAttention(in_channels, head_dim, partition_size**2),
            nn.Dropout(attention_dropout),
        )
        self.mlp_layer = nn.Sequential(
            nn.LayerNorm(in_channels),
            nn.Linear(in_channels, in_channels * mlp_ratio),
            activation_layer(),
            nn.Linear(in_channels * mlp_ratio, in_channels),
            nn.Dropout(mlp_dropout),
        )
        self.stochastic_dropout = vops.StochasticDepth(p_stochastic_dropout, "row")

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2], x.shape[-1]
        if self.partition_type == "window":
            ph, pw = self.partition_size, self.partition_size
        else:
            ph, pw = height // self.partition_size, width // self.partition_size
        x = self.partition_swap(self.partition_op(x, ph, pw))
        x = x + self.stochastic_dropout(self.attn_layer(x))
        x = x + self.stochastic_dropout(self.mlp_layer(x))
        return self.departition_op(self.departition_swap(x), ph, pw, height // ph, width // pw)


class MaxVitLayer(nn.Module):
    """An :class:`MBConv` block, window attention, then grid attention (children of
    ``layers``: ``MBconv``, ``window_attention``, ``grid_attention``).

    Shape:
        input ``Tensor[N, in_channels, H, W]``; output ``Tensor[N, out_channels, H', W']`` with
        ``H' = ceil(H / stride)``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        squeeze_ratio: float,
        expansion_ratio: float,
        stride: int,
        norm_layer: NormLayer,
        activation_layer: Callable[..., nn.Module],
        head_dim: int,
        mlp_ratio: int,
        mlp_dropout: float,
        attention_dropout: float,
        p_stochastic_dropout: float,
        partition_size: int,
    ) -> None:
        super().__init__()
        attention = partial(
            PartitionAttentionLayer,
            out_channels,
            head_dim,
            partition_size,
            mlp_ratio=mlp_ratio,
            activation_layer=activation_layer,
            norm_layer=nn.LayerNorm,
            attention_dropout=attention_dropout,
            mlp_dropout=mlp_dropout,
            p_stochastic_dropout=p_stochastic_dropout,
        )
        self.layers = nn.Sequential()
        self.layers.add_module(
            "MBconv",
            MBConv(
                in_channels,
                out_channels,
                expansion_ratio,
                squeeze_ratio,
                stride,
                activation_layer,
                norm_layer,
                p_stochastic_dropout,
            ),
        )
        self.layers.add_module("window_attention", attention("window"))
        self.layers.add_module("grid_attention", attention("grid"))

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class MaxVitBlock(nn.Module):
    """One stage: :class:`MaxVitLayer` s (``layers``), the first halving the map; ``kwargs``
    go to each layer.

    Shape:
        input ``Tensor[N, in_channels, H, W]``; output ``Tensor[N, out_channels, ceil(H / 2),
        ceil(W / 2)]``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, p_stochastic: Sequence[float], **kwargs
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            MaxVitLayer(
                in_channels if i == 0 else out_channels,
                out_channels,
                stride=2 if i == 0 else 1,
                p_stochastic_dropout=p,
                **kwargs,
            )
            for i, p in enumerate(p_stochastic)
        )

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x


def _linspace(stop: float, count: int) -> list[float]:
    """``count`` evenly spaced values from 0 to ``stop``, rounded as ``numpy.linspace``'s."""
    if count == 1:
        return [0.0]
    step = stop / (count - 1)
    return [i * step for i in range(count - 1)] + [float(stop)]


def _positive_ints(value: object, name: str) -> list[int]:
    items = list(value) if isinstance(value, (list, tuple)) else []
    if not items or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in items
    ):
        raise ValueError(f"{name} must be a non-empty list of positive ints, got {value!r}")
    return items


def _check_positive(value: object, name: str, integer: bool = True) -> None:
    kind = int if integer else (int, float)
    if not isinstance(value, kind) or isinstance(value, bool) or value <= 0:
        raise ValueError(
            f"{name} must be a positive {'int' if integer else 'number'}, got {value!r}"
        )


def _check_probability(value: object, name: str) -> None:
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


class MaxVit(nn.Module):
    """MaxViT: a two-convolution stride-2 stem, stages of :class:`MaxVitLayer` s each halving the
    map, then global average pooling, layer norm, a tanh pre-logits layer and a bias-free linear
    classifier.

    The defaults are MaxViT-T's.

    Args:
        input_size: accepted for torchvision's signature; the partitions are laid out for each
            input's actual size (see :func:`check_input_size`), so nothing depends on it.
        stem_channels: channels of the stem.
        partition_size: side of the attention windows and of the grid; it must divide the
            feature map of every stage.
        block_channels: channels of each stage.
        block_layers: layers in each stage.
        head_dim: features per attention head; divides every entry of ``block_channels``.
        stochastic_depth_prob: stochastic depth of the last layer, growing linearly from 0 at
            the first.
        norm_layer: normalization of the convolutions; default batch norm with eps 1e-3 and
            momentum 0.01. Attention uses layer norm.
        activation_layer: activation of the convolutions and the MLPs.
        squeeze_ratio: squeeze-and-excitation channels per output channel of an MBConv.
        expansion_ratio: MBConv hidden channels per output channel.
        mlp_ratio: MLP hidden features per channel.
        mlp_dropout: dropout after each MLP, in training.
        attention_dropout: dropout after each attention, in training.
        num_classes: outputs of the classifier.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        input_size: tuple[int, int] = (224, 224),
        stem_channels: int = 64,
        partition_size: int = 7,
        block_channels: Sequence[int] = (64, 128, 256, 512),
        block_layers: Sequence[int] = (2, 2, 5, 2),
        head_dim: int = 32,
        stochastic_depth_prob: float = 0.2,
        norm_layer: NormLayer | None = None,
        activation_layer: Callable[..., nn.Module] = nn.GELU,
        squeeze_ratio: float = 0.25,
        expansion_ratio: float = 4,
        mlp_ratio: int = 4,
        mlp_dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        if len(_positive_ints(input_size, "input_size")) != 2:
            raise ValueError(f"input_size must be (height, width), got {input_size!r}")
        for name, value in (
            ("stem_channels", stem_channels),
            ("partition_size", partition_size),
            ("head_dim", head_dim),
            ("mlp_ratio", mlp_ratio),
            ("num_classes", num_classes),
        ):
            _check_positive(value, name)
        _check_positive(squeeze_ratio, "squeeze_ratio", integer=False)
        _check_positive(expansion_ratio, "expansion_ratio", integer=False)
        for name, value in (
            ("stochastic_depth_prob", stochastic_depth_prob),
            ("mlp_dropout", mlp_dropout),
            ("attention_dropout", attention_dropout),
        ):
            _check_probability(value, name)
        channels = _positive_ints(block_channels, "block_channels")
        layers = _positive_ints(block_layers, "block_layers")
        if len(layers) != len(channels):
            raise ValueError(
                f"block_layers must have one entry per stage of block_channels ({len(channels)}), "
                f"got {block_layers!r}"
            )
        if any(c % head_dim for c in channels):
            raise ValueError(
                f"head_dim must divide every entry of block_channels {channels}, got {head_dim}"
            )
        norm_layer = norm_layer or partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
        self.partition_size = partition_size
        self.num_blocks = len(channels)

        self.stem = nn.Sequential(
            vops.Conv2dNormActivation(
                3,
                stem_channels,
                3,
                stride=2,
                norm_layer=norm_layer,
                activation_layer=activation_layer,
                inplace=None,
                bias=False,
            ),
            vops.Conv2dNormActivation(
                stem_channels, stem_channels, 3, norm_layer=None, activation_layer=None, bias=True
            ),
        )
        probabilities = _linspace(stochastic_depth_prob, sum(layers))
        self.blocks = nn.ModuleList()
        first = 0
        for in_channels, out_channels, count in zip(
            [stem_channels, *channels[:-1]], channels, layers, strict=True
        ):
            self.blocks.append(
                MaxVitBlock(
                    in_channels,
                    out_channels,
                    probabilities[first : first + count],
                    squeeze_ratio=squeeze_ratio,
                    expansion_ratio=expansion_ratio,
                    norm_layer=norm_layer,
                    activation_layer=activation_layer,
                    head_dim=head_dim,
                    mlp_ratio=mlp_ratio,
                    mlp_dropout=mlp_dropout,
                    attention_dropout=attention_dropout,
                    partition_size=partition_size,
                )
            )
            first += count
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.LayerNorm(channels[-1]),
            nn.Linear(channels[-1], channels[-1]),
            nn.Tanh(),
            nn.Linear(channels[-1], num_classes, bias=False),
        )

        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = check_input_size(x, self.partition_size, self.num_blocks)
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.classifier(x)


class MaxVit_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/maxvit_t-bc5ab103.pth",
        transforms=partial(
            ImageClassification,
            crop_size=224,
            resize_size=224,
            interpolation=InterpolationMode.BICUBIC,
        ),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": 30919624,
            "min_size": (224, 224),
            "recipe": "https://github.com/pytorch/vision/tree/main/references/classification#maxvit",
            "_metrics": {"ImageNet-1K": {"acc@1": 83.700, "acc@5": 96.722}},
            "_ops": 5.558,
            "_file_size": 118.769,
            "_docs": (
                "Close to the paper's accuracy with a similar recipe, though batch norm was "
                "trained with momentum 0.99 where 0.01 was meant."
            ),
        },
    )
    DEFAULT = IMAGENET1K_V1


def _maxvit_stages(model: nn.Module) -> list[str]:
    return ["stem", *(f"blocks.{i}" for i in range(len(model.blocks)))]


def _maxvit_probe_size(model: nn.Module) -> int:
    # The smallest side the partitions divide in every block (224 for MaxViT-T's 7x7).
    return model.partition_size << (model.num_blocks + 1)


# The stem and each stage: reductions 2, 4, 8, 16, 32.
MAXVIT_FEATURES = FeatureSpec(_maxvit_stages, probe_size=_maxvit_probe_size)


@model_builder(task="classification", weights=MaxVit_T_Weights, features=MAXVIT_FEATURES)
def maxvit_t(request: BuildRequest, **kwargs) -> MaxVit:
    """MaxViT-T from "MaxViT: Multi-Axis Vision Transformer" (Tu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights; any
    size whose block feature maps 7 divides, such as multiples of 224). ``kwargs`` go to
    :class:`MaxVit`, whose defaults are MaxViT-T's.
    """
    return build_model(request, MaxVit, **kwargs)
