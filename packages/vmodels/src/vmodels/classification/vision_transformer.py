"""Vision Transformer (ViT): the image cut into square patches, each patch linearly embedded, a
learnt class token prepended, learnt position embeddings added, a stack of pre-norm transformer
encoder blocks, and a linear head on the class token's final state.

Parameter names follow torchvision's layout (``class_token``, ``conv_proj``,
``encoder.pos_embedding``, ``encoder.layers.encoder_layer_<i>.self_attention.in_proj_weight``,
``heads.head``), so its checkpoints load with ``strict=True``; attention runs through
:func:`torch.nn.functional.scaled_dot_product_attention`.

Unlike torchvision, a model may be built at any ``image_size`` (a multiple of the patch size) and
still load weights trained at another: the position embeddings of a state dict with another
number of patches are resized bicubically on loading (the class token's embedding kept).

Input ``Tensor[N, 3, image_size, image_size]`` RGB normalized with the ImageNet mean
(0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); output ``Tensor[N, num_classes]`` of logits.
"""

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops

from .._builder import BuildRequest, build_model, model_builder
from .._weights import WeightsEnum
from .vision_transformer_weights import (
    ViT_B_16_Weights,
    ViT_B_32_Weights,
    ViT_H_14_Weights,
    ViT_L_16_Weights,
    ViT_L_32_Weights,
)

NormLayer = Callable[[int], nn.Module]
_LAYER_NORM = partial(nn.LayerNorm, eps=1e-6)


class ConvStemConfig(NamedTuple):
    """One convolution-norm-activation layer of a convolutional stem ("Early Convolutions Help
    Transformers See Better", Xiao et al., 2021), used in place of the patch embedding."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable[..., nn.Module] = nn.BatchNorm2d
    activation_layer: Callable[..., nn.Module] = nn.ReLU


class SelfAttention(nn.Module):
    """Multi-head self-attention computed by ``F.scaled_dot_product_attention``.

    The parameters carry :class:`torch.nn.MultiheadAttention`'s names and layout
    (``in_proj_weight`` stacking the query, key and value projections, ``in_proj_bias``,
    ``out_proj``), so its state dicts load, and its initialisation.

    Args:
        embed_dim: features per token; a multiple of ``num_heads``.
        num_heads: attention heads, each of ``embed_dim // num_heads`` features.
        dropout: drop probability of the attention weights, in training only.

    Shape:
        input ``Tensor[N, L, embed_dim]``; output ``Tensor[N, L, embed_dim]``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(
                f"hidden_dim must be a multiple of num_heads, got hidden_dim={embed_dim} and "
                f"num_heads={num_heads}"
            )
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = float(dropout)
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim))
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)
        nn.init.zeros_(self.out_proj.bias)

    def forward(self, x: Tensor) -> Tensor:
        n, length, _ = x.shape
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        qkv = qkv.reshape(n, length, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        dropout_p = self.dropout if self.training else 0.0
        x = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
        return self.out_proj(x.transpose(1, 2).reshape(n, length, self.embed_dim))


class MLPBlock(vops.MLP):
    """The encoder block's feed-forward part: ``Linear`` to ``mlp_dim``, GELU, dropout,
    ``Linear`` back to ``in_dim``, dropout (modules ``0`` to ``4``)."""

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float) -> None:
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, dropout=dropout)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.normal_(module.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        # torchvision's published ViT checkpoints predate its MLP module and name the two
        # linear layers linear_1 and linear_2.
        for old, new in (("linear_1", "0"), ("linear_2", "3")):
            for kind in ("weight", "bias"):
                if f"{prefix}{old}.{kind}" in state_dict:
                    state_dict[f"{prefix}{new}.{kind}"] = state_dict.pop(f"{prefix}{old}.{kind}")
        super()._load_from_state_dict(state_dict, prefix, *args)


class EncoderBlock(nn.Module):
    """Pre-norm transformer block: ``x + dropout(attention(ln_1(x)))``, then ``x +
    mlp(ln_2(x))``.

    Shape:
        input and output ``Tensor[N, L, hidden_dim]``.
    """

    def __init__(
        self,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float,
        attention_dropout: float,
        norm_layer: NormLayer = _LAYER_NORM,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = SelfAttention(hidden_dim, num_heads, attention_dropout)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        torch._assert(input.dim() == 3, f"expected Tensor[N, L, hidden_dim], got {input.shape}")
        x = self.dropout(self.self_attention(self.ln_1(input))) + input
        return x + self.mlp(self.ln_2(x))


def _resize_grid(pos_embedding: Tensor, num_patches: int, mode: str, align_corners: bool) -> Tensor:
    """``pos_embedding`` (``Tensor[1, 1 + g * g, D]``, the class token's first) with its square
    grid of patch embeddings resized to ``num_patches`` (a square) positions."""
    shape = tuple(pos_embedding.shape)
    old = shape[1] - 1 if len(shape) == 3 and shape[0] == 1 and shape[1] > 1 else 0
    old_side, new_side, dim = math.isqrt(old), math.isqrt(num_patches), shape[-1]
    if old == 0 or old_side * old_side != old:
        raise ValueError(
            "pos_embedding must be Tensor[1, 1 + g * g, hidden_dim] (a class token and a square "
            f"grid of patches), got shape {shape}"
        )
    if new_side * new_side != num_patches:
        raise ValueError(f"num_patches must be a square number, got {num_patches}")
    token, grid = pos_embedding[:, :1], pos_embedding[:, 1:]
    grid = grid.transpose(1, 2).reshape(1, dim, old_side, old_side)
    # Resampled in float32 at least: bicubic interpolation is not defined for every dtype.
    work_dtype = torch.promote_types(grid.dtype, torch.float32)
    grid = F.interpolate(
        grid.to(work_dtype), size=new_side, mode=mode, align_corners=align_corners
    ).to(grid.dtype)
    return torch.cat([token, grid.reshape(1, dim, num_patches).transpose(1, 2)], dim=1)


def interpolate_position_embedding(pos_embedding: Tensor, num_patches: int) -> Tensor:
    """Resize a ViT's position embeddings to another number of patches, as loading a state dict
    into a :class:`VisionTransformer` of another ``image_size`` does.

    The class token's embedding is kept; the patches' are laid out on their square grid and
    resized bicubically (``align_corners=False``). Resizing to the same size returns the input.

    Args:
        pos_embedding: ``Tensor[1, 1 + g * g, hidden_dim]``.
        num_patches: patches of the new grid, ``(image_size // patch_size) ** 2``.

    Returns:
        ``Tensor[1, 1 + num_patches, hidden_dim]``.
    """
    if pos_embedding.dim() == 3 and pos_embedding.shape[1] == num_patches + 1:
        return pos_embedding
    return _resize_grid(pos_embedding, num_patches, "bicubic", align_corners=False)


def interpolate_embeddings(
    image_size: int,
    patch_size: int,
    model_state: "OrderedDict[str, Tensor]",
    interpolation_mode: str = "bicubic",
    reset_heads: bool = False,
) -> "OrderedDict[str, Tensor]":
    """torchvision's helper: ``model_state`` with ``encoder.pos_embedding`` resized for
    ``image_size`` images of ``patch_size`` patches (``align_corners=True``, as torchvision
    resizes), and without the ``heads`` entries if ``reset_heads`` (only when resized).

    Loading into a :class:`VisionTransformer` resizes by itself; this keeps torchvision code
    working unchanged.
    """
    num_patches = (image_size // patch_size) ** 2
    pos_embedding = model_state["encoder.pos_embedding"]
    if pos_embedding.shape[1] == num_patches + 1:
        return model_state
    model_state["encoder.pos_embedding"] = _resize_grid(
        pos_embedding, num_patches, interpolation_mode, align_corners=True
    )
    if reset_heads:
        model_state = OrderedDict((k, v) for k, v in model_state.items() if k[:5] != "heads")
    return model_state


class Encoder(nn.Module):
    """Position embeddings, dropout, ``num_layers`` encoder blocks and a final norm.

    Loading a state dict whose ``pos_embedding`` has another number of patches resizes it to
    this encoder's (see :func:`interpolate_position_embedding`).

    Shape:
        input and output ``Tensor[N, seq_length, hidden_dim]``.
    """

    def __init__(
        self,
        seq_length: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float,
        attention_dropout: float,
        norm_layer: NormLayer = _LAYER_NORM,
    ) -> None:
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        blocks = [
            EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout, attention_dropout, norm_layer)
            for _ in range(num_layers)
        ]
        self.layers = nn.Sequential(
            OrderedDict((f"encoder_layer_{i}", block) for i, block in enumerate(blocks))
        )
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        torch._assert(input.dim() == 3, f"expected Tensor[N, L, hidden_dim], got {input.shape}")
        input = input + self.pos_embedding
        return self.ln(self.layers(self.dropout(input)))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args: Any) -> None:
        key = prefix + "pos_embedding"
        given = state_dict.get(key)
        own = self.pos_embedding
        if (
            isinstance(given, Tensor)
            and given.dim() == 3
            and given.shape[2] == own.shape[2]
            and given.shape[1] != own.shape[1]
        ):
            state_dict[key] = interpolate_position_embedding(given, own.shape[1] - 1)
        super()._load_from_state_dict(state_dict, prefix, *args)


def _check_positive(**values: Any) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_probability(**values: Any) -> None:
    for name, value in values.items():
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


def _conv_stem(configs: Sequence[ConvStemConfig], hidden_dim: int, patch_size: int) -> nn.Module:
    """Convolution-norm-activation layers ``conv_bn_relu_<i>``, then a 1x1 ``conv_last`` to
    ``hidden_dim``; their strides must multiply to ``patch_size``."""
    if math.prod(config.stride for config in configs) != patch_size:
        raise ValueError(
            f"the strides of conv_stem_configs must multiply to patch_size={patch_size}, got "
            f"{[config.stride for config in configs]}"
        )
    stem = nn.Sequential()
    channels = 3
    for i, config in enumerate(configs):
        stem.add_module(
            f"conv_bn_relu_{i}",
            vops.Conv2dNormActivation(
                channels,
                config.out_channels,
                kernel_size=config.kernel_size,
                stride=config.stride,
                norm_layer=config.norm_layer,
                activation_layer=config.activation_layer,
            ),
        )
        channels = config.out_channels
    stem.add_module("conv_last", nn.Conv2d(channels, hidden_dim, kernel_size=1))
    return stem


class VisionTransformer(nn.Module):
    """Vision Transformer: patch embedding (``conv_proj``), class token, encoder and ``heads``.

    Args:
        image_size: side of the square input images; a multiple of ``patch_size``.
        patch_size: side of the square patches, one token each.
        num_layers: encoder blocks.
        num_heads: attention heads per block; must divide ``hidden_dim``.
        hidden_dim: features per token.
        mlp_dim: hidden features of each block's MLP.
        dropout: dropout probability after the position embeddings, the attention and in the
            MLPs.
        attention_dropout: dropout probability of the attention weights.
        num_classes: outputs of the head.
        representation_size: if given, a ``Linear`` + ``tanh`` layer of this width
            (``heads.pre_logits``) before the head.
        norm_layer: normalization of the tokens, called with ``hidden_dim``; default
            :class:`torch.nn.LayerNorm` with ``eps=1e-6``.
        conv_stem_configs: if given, a convolutional stem of these layers replaces the patch
            embedding (their strides must multiply to ``patch_size``).

    Shape:
        input ``Tensor[N, 3, image_size, image_size]``; output ``Tensor[N, num_classes]``.
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        num_layers: int,
        num_heads: int,
        hidden_dim: int,
        mlp_dim: int,
        dropout: float = 0.0,
        attention_dropout: float = 0.0,
        num_classes: int = 1000,
        representation_size: int | None = None,
        norm_layer: NormLayer = _LAYER_NORM,
        conv_stem_configs: Sequence[ConvStemConfig] | None = None,
    ) -> None:
        super().__init__()
        _check_positive(
            image_size=image_size,
            patch_size=patch_size,
            num_layers=num_layers,
            num_heads=num_heads,
            hidden_dim=hidden_dim,
            mlp_dim=mlp_dim,
            num_classes=num_classes,
        )
        if representation_size is not None:
            _check_positive(representation_size=representation_size)
        _check_probability(dropout=dropout, attention_dropout=attention_dropout)
        if image_size % patch_size != 0:
            raise ValueError(
                f"image_size must be a multiple of patch_size, got image_size={image_size} and "
                f"patch_size={patch_size}"
            )
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer

        if conv_stem_configs is None:
            self.conv_proj: nn.Module = nn.Conv2d(3, hidden_dim, patch_size, stride=patch_size)
        else:
            self.conv_proj = _conv_stem(conv_stem_configs, hidden_dim, patch_size)
        self.seq_length = (image_size // patch_size) ** 2 + 1
        self.class_token = nn.Parameter(torch.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(
            self.seq_length,
            num_layers,
            num_heads,
            hidden_dim,
            mlp_dim,
            dropout,
            attention_dropout,
            norm_layer,
        )
        heads: OrderedDict[str, nn.Module] = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)
        self._init_weights()

    def _init_weights(self) -> None:
        if isinstance(self.conv_proj, nn.Conv2d):
            _lecun_normal_(self.conv_proj)
        else:
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, std=math.sqrt(2.0 / last.out_channels))
            nn.init.zeros_(last.bias)
        if self.representation_size is not None:
            _lecun_normal_(self.heads.pre_logits)
        # A zero head starts every class at the same logit.
        nn.init.zeros_(self.heads.head.weight)
        nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        """Images ``Tensor[N, 3, image_size, image_size]`` to patch tokens
        ``Tensor[N, (image_size // patch_size) ** 2, hidden_dim]``."""
        n, _, h, w = x.shape
        p = self.patch_size
        torch._assert(h == self.image_size, f"expected height {self.image_size}, got {h}")
        torch._assert(w == self.image_size, f"expected width {self.image_size}, got {w}")
        n_h = h // p
        n_w = w // p
        x = self.conv_proj(x)
        x = x.reshape(n, self.hidden_dim, n_h * n_w)
        return x.permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        n = x.shape[0]
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.encoder(x)
        return self.heads(x[:, 0])


def _lecun_normal_(layer: nn.Module) -> None:
    fan_in = layer.weight[0].numel()
    nn.init.trunc_normal_(layer.weight, std=math.sqrt(1.0 / fan_in))
    nn.init.zeros_(layer.bias)


def _vision_transformer(
    request: BuildRequest,
    patch_size: int,
    num_layers: int,
    num_heads: int,
    hidden_dim: int,
    mlp_dim: int,
    **kwargs: Any,
) -> VisionTransformer:
    # Registered weights set the default image size; another one resizes their position
    # embeddings on loading.
    if "image_size" not in kwargs:
        weights = request.weights
        kwargs["image_size"] = (
            weights.meta["min_size"][0] if isinstance(weights, WeightsEnum) else 224
        )
    return build_model(
        request,
        VisionTransformer,
        patch_size=patch_size,
        num_layers=num_layers,
        num_heads=num_heads,
        hidden_dim=hidden_dim,
        mlp_dim=mlp_dim,
        **kwargs,
    )


@model_builder(task="classification", weights=ViT_B_16_Weights)
def vit_b_16(request: BuildRequest, **kwargs) -> VisionTransformer:
    """ViT-B/16 from "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2021).

    Input ``Tensor[N, 3, S, S]``, ImageNet-normalized RGB, ``S = image_size`` (a multiple of 16,
    default the weights' ``min_size``, else 224). ``kwargs`` go to :class:`VisionTransformer`.
    """
    return _vision_transformer(request, 16, 12, 12, 768, 3072, **kwargs)


@model_builder(task="classification", weights=ViT_B_32_Weights)
def vit_b_32(request: BuildRequest, **kwargs) -> VisionTransformer:
    """ViT-B/32 from "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2021).

    Input ``Tensor[N, 3, S, S]``, ImageNet-normalized RGB, ``S = image_size`` (a multiple of 32,
    default the weights' ``min_size``, else 224). ``kwargs`` go to :class:`VisionTransformer`.
    """
    return _vision_transformer(request, 32, 12, 12, 768, 3072, **kwargs)


@model_builder(task="classification", weights=ViT_L_16_Weights)
def vit_l_16(request: BuildRequest, **kwargs) -> VisionTransformer:
    """ViT-L/16 from "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2021).

    Input ``Tensor[N, 3, S, S]``, ImageNet-normalized RGB, ``S = image_size`` (a multiple of 16,
    default the weights' ``min_size``, else 224). ``kwargs`` go to :class:`VisionTransformer`.
    """
    return _vision_transformer(request, 16, 24, 16, 1024, 4096, **kwargs)


@model_builder(task="classification", weights=ViT_L_32_Weights)
def vit_l_32(request: BuildRequest, **kwargs) -> VisionTransformer:
    """ViT-L/32 from "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2021).

    Input ``Tensor[N, 3, S, S]``, ImageNet-normalized RGB, ``S = image_size`` (a multiple of 32,
    default the weights' ``min_size``, else 224). ``kwargs`` go to :class:`VisionTransformer`.
    """
    return _vision_transformer(request, 32, 24, 16, 1024, 4096, **kwargs)


@model_builder(task="classification", weights=ViT_H_14_Weights)
def vit_h_14(request: BuildRequest, **kwargs) -> VisionTransformer:
    """ViT-H/14 from "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2021).

    Input ``Tensor[N, 3, S, S]``, ImageNet-normalized RGB, ``S = image_size`` (a multiple of 14,
    default the weights' ``min_size``, else 224). ``kwargs`` go to :class:`VisionTransformer`.
    """
    return _vision_transformer(request, 14, 32, 16, 1280, 5120, **kwargs)
