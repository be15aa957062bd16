"""Swin Transformer (V1 and V2): a hierarchy of transformer stages over non-overlapping patches,
self-attention restricted to local windows that shift by half a window every other block, and
patch merging (2x2 neighbours concatenated and projected) halving the resolution between stages.

V2 normalizes after the attention and the MLP instead of before, replaces the dot product by a
cosine similarity with a learnt per-head temperature, and computes the relative position bias
with a small MLP over log-spaced coordinates.

Parameter and buffer names follow torchvision's layout (``features.<i>.<j>.attn.qkv``,
``relative_position_bias_table``, ``cpb_mlp``, ``head``), so its checkpoints load with
``strict=True``; attention runs through :func:`torch.nn.functional.scaled_dot_product_attention`.
Inside the network maps are channels-last, ``Tensor[N, H, W, C]``.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 (V1) or 256x256 (V2) for ImageNet weights; any size works, the
maps being padded to whole windows. Output ``Tensor[N, num_classes]`` of logits.
"""

import math
from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.fx
import torch.nn.functional as F
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from .swin_transformer_weights import (
    Swin_B_Weights,
    Swin_S_Weights,
    Swin_T_Weights,
    Swin_V2_B_Weights,
    Swin_V2_S_Weights,
    Swin_V2_T_Weights,
)

NormLayer = Callable[..., nn.Module]


def _patch_merging_pad(x: Tensor) -> Tensor:
    """``Tensor[..., H, W, C]`` → ``Tensor[..., ceil(H / 2), ceil(W / 2), 4 * C]``: each 2x2
    neighbourhood (odd sides zero-padded) concatenated as top-left, bottom-left, top-right,
    bottom-right, the channel order of torchvision's checkpoints."""
    height, width = x.shape[-3], x.shape[-2]
    x = F.pad(x, (0, 0, 0, width % 2, 0, height % 2))
    x = x.unflatten(-3, [x.shape[-3] // 2, 2]).unflatten(-2, [x.shape[-2] // 2, 2])
    # (..., h, row, w, column, C) → (..., h, w, column, row, C)
    return x.transpose(-4, -3).transpose(-3, -2).flatten(-3)


def _get_relative_position_bias(
    relative_position_bias_table: Tensor, relative_position_index: Tensor, window_size: list[int]
) -> Tensor:
    """``Tensor[1, heads, n, n]`` bias between the ``n`` tokens of a window, looked up in a
    ``Tensor[(2 * Wh - 1) * (2 * Ww - 1), heads]`` table by relative offset."""
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index].view(n, n, -1)
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0)


def _relative_position_index(window_size: list[int]) -> Tensor:
    """``Tensor[n * n]``: row-major ``(i, j)`` → table row of token ``i``'s offset from ``j``."""
    rows = torch.arange(window_size[0]).repeat_interleave(window_size[1])
    cols = torch.arange(window_size[1]).repeat(window_size[0])
    d_rows = rows[:, None] - rows[None, :] + window_size[0] - 1
    d_cols = cols[:, None] - cols[None, :] + window_size[1] - 1
    return (d_rows * (2 * window_size[1] - 1) + d_cols).flatten()


def _shift_regions(size: int, window: int, shift: int, device: torch.device) -> Tensor:
    """Which of the three bands a rolled axis of ``size`` positions splits into each position
    comes from: the windows before the last, the last window's unshifted part, the wrapped part."""
    if shift == 0:
        return torch.zeros(size, dtype=torch.long, device=device)
    index = torch.arange(size, device=device)
    return (index >= size - window).long() + (index >= size - shift).long()


def _shift_mask(
    height: int, width: int, window_size: list[int], shift: list[int], like: Tensor
) -> Tensor:
    """``Tensor[windows, n, n]``: -100 between tokens of one shifted window that the roll brought
    together from different places of the map, 0 elsewhere."""
    rows = _shift_regions(height, window_size[0], shift[0], like.device)
    cols = _shift_regions(width, window_size[1], shift[1], like.device)
    region = rows[:, None] * 3 + cols[None, :]
    region = region.view(height // window_size[0], window_size[0], width // window_size[1], -1)
    region = region.transpose(1, 2).reshape(-1, window_size[0] * window_size[1])
    apart = region[:, None, :] != region[:, :, None]
    return torch.zeros(apart.shape, dtype=like.dtype, device=like.device).masked_fill(apart, -100.0)


def shifted_window_attention(
    input: Tensor,
    qkv_weight: Tensor,
    proj_weight: Tensor,
    relative_position_bias: Tensor,
    window_size: list[int],
    num_heads: int,
    shift_size: list[int],
    attention_dropout: float = 0.0,
    dropout: float = 0.0,
    qkv_bias: Tensor | None = None,
    proj_bias: Tensor | None = None,
    logit_scale: Tensor | None = None,
    training: bool = True,
) -> Tensor:
    """Multi-head self-attention within (shifted) windows, with a relative position bias.

    The map is zero-padded to whole windows, rolled back by ``shift_size`` (an axis whose
    padded side fits in one window is not shifted), cut into windows whose tokens attend to each
    other, and put back together; tokens the roll brought together from opposite borders do not
    attend to each other.

    Args:
        input: ``Tensor[N, H, W, C]``.
        qkv_weight: ``Tensor[3 * C, C]``, the query, key and value projections stacked.
        proj_weight: ``Tensor[C, C]``, the output projection.
        relative_position_bias: ``Tensor[1, num_heads, n, n]`` added to the attention logits of
            the ``n = Wh * Ww`` tokens of every window.
        window_size: ``[Wh, Ww]``.
        num_heads: attention heads; ``C`` is a multiple of it.
        shift_size: ``[rows, columns]`` the windows are shifted by.
        attention_dropout: drop probability of the attention weights.
        dropout: drop probability of the output.
        qkv_bias: ``Tensor[3 * C]`` or None.
        proj_bias: ``Tensor[C]`` or None.
        logit_scale: ``Tensor[num_heads, 1, 1]``, the log temperature of V2's cosine attention
            (clamped at log 100); None for V1's scaled dot product.
        training: whether the dropouts are active.

    Returns:
        ``Tensor[N, H, W, C]``.
    """
    batch, height, width, channels = input.shape
    wh, ww = window_size[0], window_size[1]
    x = F.pad(input, (0, 0, 0, (ww - width % ww) % ww, 0, (wh - height % wh) % wh))
    padded_h, padded_w = x.shape[1], x.shape[2]
    shift = [0 if wh >= padded_h else shift_size[0], 0 if ww >= padded_w else shift_size[1]]
    shifted = shift[0] + shift[1] > 0
    if shifted:
        x = torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(1, 2))

    n, windows = wh * ww, (padded_h // wh) * (padded_w // ww)
    x = x.view(batch, padded_h // wh, wh, padded_w // ww, ww, channels).transpose(2, 3)
    x = x.reshape(batch, windows, n, channels)
    if logit_scale is not None and qkv_bias is not None:
        # V2 projects the keys without bias; the stored bias slot is kept for the checkpoints.
        third = qkv_bias.numel() // 3
        qkv_bias = torch.cat([qkv_bias[:third], qkv_bias.new_zeros(third), qkv_bias[2 * third :]])
    qkv = F.linear(x, qkv_weight, qkv_bias).view(batch, windows, n, 3, num_heads, -1)
    q, k, v = qkv.permute(3, 0, 1, 4, 2, 5).unbind(0)  # each [N, windows, heads, n, head_dim]

    if logit_scale is not None:
        temperature = torch.clamp(logit_scale, max=math.log(100.0)).exp()
        q = F.normalize(q, dim=-1) * temperature
        k = F.normalize(k, dim=-1)
        scale = 1.0
    else:
        scale = float(channels // num_heads) ** -0.5
    # 4-D calls reach the fused kernels. The windows of an image share the shift mask: folded
    # into the heads dimension, one mask broadcasts over the batch.
    mask = relative_position_bias
    outer, inner = batch * windows, num_heads
    if shifted:
        shift_mask = _shift_mask(padded_h, padded_w, window_size, shift, mask)
        mask = (mask + shift_mask.unsqueeze(1)).view(1, windows * num_heads, n, n)
        outer, inner = batch, windows * num_heads
    x = F.scaled_dot_product_attention(
        q.reshape(outer, inner, n, -1),
        k.reshape(outer, inner, n, -1),
        v.reshape(outer, inner, n, -1),
        attn_mask=mask,
        dropout_p=attention_dropout if training else 0.0,
        scale=scale,
    )
    x = x.view(batch, windows, num_heads, n, -1).transpose(2, 3)
    x = x.reshape(batch, windows, n, channels)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)

    x = x.view(batch, padded_h // wh, padded_w // ww, wh, ww, channels).transpose(2, 3)
    x = x.reshape(batch, padded_h, padded_w, channels)
    if shifted:
        x = torch.roll(x, shifts=(shift[0], shift[1]), dims=(1, 2))
    return x[:, :height, :width, :].contiguous()


# Leaves under torch.fx.symbolic_trace, as in torchvision's graphs (their shapes drive Python
# control flow).
torch.fx.wrap("_patch_merging_pad")
torch.fx.wrap("_get_relative_position_bias")
torch.fx.wrap("shifted_window_attention")


class PatchMerging(nn.Module):
    """Halve the resolution: each 2x2 neighbourhood's ``4 * dim`` features normalized, then
    projected to ``2 * dim``.

    Shape:
        input ``Tensor[..., H, W, dim]``; output ``Tensor[..., ceil(H / 2), ceil(W / 2), 2 * dim]``.
    """

    def __init__(self, dim: int, norm_layer: NormLayer = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """:class:`PatchMerging` normalizing after the projection (Swin V2).

    Shape:
        input ``Tensor[..., H, W, dim]``; output ``Tensor[..., ceil(H / 2), ceil(W / 2), 2 * dim]``.
    """

    def __init__(self, dim: int, norm_layer: NormLayer = nn.LayerNorm) -> None:
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _check_pair(value: Sequence[int], name: str, minimum: int) -> list[int]:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 2
        or not all(isinstance(v, int) and v >= minimum for v in value)
    ):
        raise ValueError(f"{name} must be a list of 2 ints >= {minimum}, got {value!r}")
    return list(value)


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learnt relative position bias table (see
    :func:`shifted_window_attention`).

    Args:
        dim: features per token; a multiple of ``num_heads``.
        window_size: ``[Wh, Ww]``.
        shift_size: ``[rows, columns]`` the windows are shifted by (``[0, 0]`` for none).
        num_heads: attention heads.
        qkv_bias: whether the query, key and value projections have biases.
        proj_bias: whether the output projection has a bias.
        attention_dropout: drop probability of the attention weights.
        dropout: drop probability of the output.

    Shape:
        input ``Tensor[N, H, W, dim]``; output ``Tensor[N, H, W, dim]``.
    """

    def __init__(
        self,
        dim: int,
        window_size: list[int],
        shift_size: list[int],
        num_heads: int,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attention_dropout: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.window_size = _check_pair(window_size, "window_size", 1)
        self.shift_size = _check_pair(shift_size, "shift_size", 0)
        if not isinstance(num_heads, int) or num_heads <= 0 or dim % num_heads != 0:
            raise ValueError(
                f"num_heads must be a positive int dividing dim={dim}, got {num_heads!r}"
            )
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.logit_scale: Tensor | None = None  # V2's cosine attention temperature
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self) -> None:
        """Register the learnt bias of every relative offset, ``Tensor[(2*Wh-1)*(2*Ww-1),
        heads]``."""
        offsets = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(torch.empty(offsets, self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self) -> None:
        """Register the table row of each token pair of a window, ``Tensor[n * n]``."""
        self.register_buffer("relative_position_index", _relative_position_index(self.window_size))

    def get_relative_position_bias(self) -> Tensor:
        """The bias added to the attention logits, ``Tensor[1, heads, n, n]``."""
        return _get_relative_position_bias(
            self.relative_position_bias_table, self.relative_position_index, self.window_size
        )

    def forward(self, x: Tensor) -> Tensor:
        relative_position_bias = self.get_relative_position_bias()
        return shifted_window_attention(
            x,
            self.qkv.weight,
            self.proj.weight,
            relative_position_bias,
            self.window_size,
            self.num_heads,
            shift_size=self.shift_size,
            attention_dropout=self.attention_dropout,
            dropout=self.dropout,
            qkv_bias=self.qkv.bias,
            proj_bias=self.proj.bias,
            logit_scale=self.logit_scale,
            training=self.training,
        )


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """Swin V2's window attention: cosine similarity scaled by a learnt per-head temperature
    (``logit_scale``), a relative position bias computed by an MLP (``cpb_mlp``) from log-spaced
    offsets (``relative_coords_table``) and squashed to (0, 16), no key bias.

    Args and shape as :class:`ShiftedWindowAttention`.
    """

    def __init__(
        self,
        dim: int,
        window_size: list[int],
        shift_size: list[int],
        num_heads: int,
        qkv_bias: bool = True,
        proj_bias: bool = True,
        attention_dropout: float = 0.0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__(
            dim, window_size, shift_size, num_heads, qkv_bias, proj_bias, attention_dropout, dropout
        )
        self.logit_scale = nn.Parameter(torch.full((num_heads, 1, 1), math.log(10.0)))
        self.cpb_mlp = nn.Sequential(
            nn.Linear(2, 512, bias=True),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_heads, bias=False),
        )
        if self.qkv.bias is not None:
            with torch.no_grad():
                self.qkv.bias[dim : 2 * dim].zero_()

    def define_relative_position_bias_table(self) -> None:
        """Register the MLP's input: every relative offset, scaled to [-8, 8] by the window and
        log-spaced, ``Tensor[1, 2*Wh-1, 2*Ww-1, 2]``."""
        axes = [
            torch.arange(1 - size, size, dtype=torch.float32) * (8.0 / (size - 1))
            for size in self.window_size
        ]
        table = torch.stack(torch.meshgrid(axes[0], axes[1], indexing="ij"), dim=-1)
        table = torch.sign(table) * torch.log2(table.abs() + 1.0) / 3.0
        self.register_buffer("relative_coords_table", table.unsqueeze(0))

    def get_relative_position_bias(self) -> Tensor:
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.num_heads)
        bias = _get_relative_position_bias(table, self.relative_position_index, self.window_size)
        return 16 * torch.sigmoid(bias)


class SwinTransformerBlock(nn.Module):
    """Pre-norm residual block: window attention, then an MLP (GELU, ``mlp_ratio * dim`` hidden
    features), each branch dropped per sample with ``stochastic_depth_prob`` in training.

    Args:
        dim: features per token.
        num_heads: attention heads.
        window_size: ``[Wh, Ww]``.
        shift_size: ``[rows, columns]`` the windows are shifted by.
        mlp_ratio: MLP hidden features per token feature.
        dropout: drop probability after the attention and inside the MLP.
        attention_dropout: drop probability of the attention weights.
        stochastic_depth_prob: probability of dropping a residual branch of a sample.
        norm_layer: normalization module, called with ``dim``.
        attn_layer: the attention, called as ``attn_layer(dim, window_size, shift_size,
            num_heads, attention_dropout=..., dropout=...)``; default the class's
            ``default_attention``, :class:`ShiftedWindowAttention`.

    Shape:
        input ``Tensor[N, H, W, dim]``; output ``Tensor[N, H, W, dim]``.
    """

    default_attention: Callable[..., nn.Module] = ShiftedWindowAttention

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: list[int],
        shift_size: list[int],
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        stochastic_depth_prob: float = 0.0,
        norm_layer: NormLayer = nn.LayerNorm,
        attn_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = (attn_layer or self.default_attention)(
            dim,
            window_size,
            shift_size,
            num_heads,
            attention_dropout=attention_dropout,
            dropout=dropout,
        )
        self.stochastic_depth = vops.StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = vops.MLP(
            dim,
            [int(dim * mlp_ratio), dim],
            activation_layer=nn.GELU,
            inplace=None,
            dropout=dropout,
        )
        for module in self.mlp.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.normal_(module.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """:class:`SwinTransformerBlock` normalizing each branch's output instead of its input, with
    :class:`ShiftedWindowAttentionV2` by default (Swin V2)."""

    default_attention = ShiftedWindowAttentionV2

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


def _check_probability(value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def _check_stages(embed_dim: int, depths: Sequence[int], num_heads: Sequence[int]) -> None:
    if not isinstance(embed_dim, int) or embed_dim <= 0:
        raise ValueError(f"embed_dim must be a positive int, got {embed_dim!r}")
    if not (
        isinstance(depths, (list, tuple))
        and depths
        and all(isinstance(d, int) and d > 0 for d in depths)
    ):
        raise ValueError(f"depths must be a non-empty list of positive ints, got {depths!r}")
    if not isinstance(num_heads, (list, tuple)) or len(num_heads) != len(depths):
        raise ValueError(
            f"num_heads must be a list of {len(depths)} ints (one per stage), got {num_heads!r}"
        )
    for stage, heads in enumerate(num_heads):
        dim = embed_dim * 2**stage
        if not isinstance(heads, int) or heads <= 0 or dim % heads != 0:
            raise ValueError(
                f"num_heads[{stage}] must be a positive int dividing the stage's {dim} "
                f"features, got {heads!r}"
            )


class SwinTransformer(nn.Module):
    """Swin Transformer: a patch embedding (strided convolution, then norm), stages of blocks
    alternating plain and shifted windows with patch merging between them, a final norm, global
    average pooling and a linear head.

    Args:
        patch_size: ``[height, width]`` of the embedded patches.
        embed_dim: features per token of the first stage; each later stage doubles them.
        depths: blocks per stage.
        num_heads: attention heads per stage.
        window_size: ``[Wh, Ww]`` of the attention windows.
        mlp_ratio: MLP hidden features per token feature.
        dropout: drop probability after the attentions and inside the MLPs.
        attention_dropout: drop probability of the attention weights.
        stochastic_depth_prob: drop probability of the last block's branches; it grows linearly
            from 0 at the first block.
        num_classes: outputs of the head.
        norm_layer: normalization module, called with the feature count; default
            :class:`torch.nn.LayerNorm` (eps 1e-5).
        block: the block; default :class:`SwinTransformerBlock`.
        downsample_layer: the patch merging, called as ``downsample_layer(dim, norm_layer)``.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        patch_size: list[int],
        embed_dim: int,
        depths: list[int],
        num_heads: list[int],
        window_size: list[int],
        mlp_ratio: float = 4.0,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        stochastic_depth_prob: float = 0.1,
        num_classes: int = 1000,
        norm_layer: NormLayer | None = None,
        block: Callable[..., nn.Module] | None = None,
        downsample_layer: Callable[..., nn.Module] = PatchMerging,
    ) -> None:
        super().__init__()
        patch_size = _check_pair(patch_size, "patch_size", 1)
        window_size = _check_pair(window_size, "window_size", 1)
        _check_stages(embed_dim, depths, num_heads)
        if not isinstance(mlp_ratio, (int, float)) or mlp_ratio <= 0:
            raise ValueError(f"mlp_ratio must be a positive number, got {mlp_ratio!r}")
        _check_probability(dropout, "dropout")
        _check_probability(attention_dropout, "attention_dropout")
        _check_probability(stochastic_depth_prob, "stochastic_depth_prob")
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        self.num_classes = num_classes
        block = block or SwinTransformerBlock
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-5)

        layers: list[nn.Module] = [
            nn.Sequential(
                nn.Conv2d(3, embed_dim, kernel_size=tuple(patch_size), stride=tuple(patch_size)),
                vops.Permute([0, 2, 3, 1]),
                norm_layer(embed_dim),
            )
        ]
        total_blocks, index = sum(depths), 0
        for stage, (depth, heads) in enumerate(zip(depths, num_heads, strict=True)):
            dim = embed_dim * 2**stage
            blocks: list[nn.Module] = []
            for i in range(depth):
                blocks.append(
                    block(
                        dim,
                        heads,
                        window_size=window_size,
                        shift_size=[0 if i % 2 == 0 else w // 2 for w in window_size],
                        mlp_ratio=mlp_ratio,
                        dropout=dropout,
                        attention_dropout=attention_dropout,
                        stochastic_depth_prob=stochastic_depth_prob
                        * index
                        / max(total_blocks - 1, 1),
                        norm_layer=norm_layer,
                    )
                )
                index += 1
            layers.append(nn.Sequential(*blocks))
            if stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)

        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = vops.Permute([0, 3, 1, 2])
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)

        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


# torchvision's published checkpoints: file, crop and resize sides (bicubic), parameters,
# ImageNet-1K top-1 and top-5 accuracy, GFLOPs, file size in MB.
_SIZES = {
    "t": (96, [2, 2, 6, 2], [3, 6, 12, 24]),
    "s": (96, [2, 2, 18, 2], [3, 6, 12, 24]),
    "b": (128, [2, 2, 18, 2], [4, 8, 16, 32]),
}


def _swin(
    request: BuildRequest, size: str, v2: bool, stochastic_depth_prob: float, **kwargs
) -> SwinTransformer:
    embed_dim, depths, num_heads = _SIZES[size]
    version = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2} if v2 else {}
    return build_model(
        request,
        SwinTransformer,
        patch_size=[4, 4],
        embed_dim=embed_dim,
        depths=depths,
        num_heads=num_heads,
        window_size=[8, 8] if v2 else [7, 7],
        stochastic_depth_prob=stochastic_depth_prob,
        **{**version, **kwargs},
    )


@model_builder(task="classification", weights=Swin_T_Weights)
def swin_t(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.2, **kwargs
) -> SwinTransformer:
    """Swin-T from "Swin Transformer: Hierarchical Vision Transformer using Shifted
    Windows" (Liu et al., 2021).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``dropout``, ``attention_dropout``, ``norm_layer``...) go to
    :class:`SwinTransformer`.
    """
    return _swin(request, "t", False, stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=Swin_S_Weights)
def swin_s(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.3, **kwargs
) -> SwinTransformer:
    """Swin-S from "Swin Transformer: Hierarchical Vision Transformer using Shifted
    Windows" (Liu et al., 2021).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``dropout``, ``attention_dropout``, ``norm_layer``...) go to
    :class:`SwinTransformer`.
    """
    return _swin(request, "s", False, stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=Swin_B_Weights)
def swin_b(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.5, **kwargs
) -> SwinTransformer:
    """Swin-B from "Swin Transformer: Hierarchical Vision Transformer using Shifted
    Windows" (Liu et al., 2021).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``dropout``, ``attention_dropout``, ``norm_layer``...) go to
    :class:`SwinTransformer`.
    """
    return _swin(request, "b", False, stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=Swin_V2_T_Weights)
def swin_v2_t(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.2, **kwargs
) -> SwinTransformer:
    """Swin-V2-T from "Swin Transformer V2: Scaling Up Capacity and Resolution" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (256x256 for ImageNet weights).
    ``kwargs`` (``dropout``, ``attention_dropout``, ``norm_layer``...) go to
    :class:`SwinTransformer`.
    """
    return _swin(request, "t", True, stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=Swin_V2_S_Weights)
def swin_v2_s(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.3, **kwargs
) -> SwinTransformer:
    """Swin-V2-S from "Swin Transformer V2: Scaling Up Capacity and Resolution" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (256x256 for ImageNet weights).
    ``kwargs`` (``dropout``, ``attention_dropout``, ``norm_layer``...) go to
    :class:`SwinTransformer`.
    """
    return _swin(request, "s", True, stochastic_depth_prob, **kwargs)


@model_builder(task="classification", weights=Swin_V2_B_Weights)
def swin_v2_b(
    request: BuildRequest, *, stochastic_depth_prob: float = 0.5, **kwargs
) -> SwinTransformer:
    """Swin-V2-B from "Swin Transformer V2: Scaling Up Capacity and Resolution" (Liu et al., 2022).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (256x256 for ImageNet weights).
    ``kwargs`` (``dropout``, ``attention_dropout``, ``norm_layer``...) go to
    :class:`SwinTransformer`.
    """
    return _swin(request, "b", True, stochastic_depth_prob, **kwargs)
