"""Layers that backbones share: frozen batch norm, conv-norm-activation blocks, squeeze-and-
excitation, the multi-layer perceptron and a permutation.

Names, arguments, defaults, parameter names and reprs follow ``torchvision.ops.misc``, so
checkpoints interchange and printed models read the same.
"""

from collections.abc import Callable, Sequence

import torch
import torch.fx
from torch import Tensor, nn

from ._errors import ArgumentError, ArgumentIndexError


def _check_frozen_batch_norm_input(x: Tensor, num_features: int) -> None:
    if x.dim() != 4 or x.size(1) != num_features:
        raise ArgumentError(
            f"input must be a Tensor[N, C, H, W] with C = num_features = {num_features}, "
            f"got Tensor{list(x.shape)}"
        )


# A leaf under torch.fx.symbolic_trace: the check branches on the input's shape.
torch.fx.wrap("_check_frozen_batch_norm_input")


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
            raise ArgumentError(f"num_features must be a positive int, got {num_features}")
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
        _check_frozen_batch_norm_input(x, self.num_features)
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.reshape(1, -1, 1, 1) + shift.reshape(1, -1, 1, 1)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


def _same_padding(
    kernel_size: int | Sequence[int], dilation: int | Sequence[int], dims: int
) -> int | tuple[int, ...]:
    """Padding that keeps the spatial size at stride 1: ``(kernel_size - 1) // 2 * dilation``
    per axis; an int when both arguments are ints, else a ``dims``-tuple."""
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        return (kernel_size - 1) // 2 * dilation
    kernel = _per_axis(kernel_size, "kernel_size", dims)
    spacing = _per_axis(dilation, "dilation", dims)
    return tuple((k - 1) // 2 * d for k, d in zip(kernel, spacing, strict=True))


def _per_axis(value: int | Sequence[int], name: str, dims: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * dims
    if len(value) != dims:
        raise ArgumentError(f"{name} must be an int or {dims} ints, got {value}")
    return tuple(value)


class _ConvNormActivation(nn.Sequential):
    """Convolution, then an optional normalization, then an optional activation, as children
    ``0``, ``1``, ``2`` (numbered in order of presence) of an :class:`torch.nn.Sequential`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Sequence[int],
        stride: int | Sequence[int],
        padding: int | Sequence[int] | str | None,
        groups: int,
        norm_layer: Callable[..., nn.Module] | None,
        activation_layer: Callable[..., nn.Module] | None,
        dilation: int | Sequence[int],
        inplace: bool | None,
        bias: bool | None,
        conv_layer: type[nn.Module],
        dims: int,
    ) -> None:
        if padding is None:
            padding = _same_padding(kernel_size, dilation, dims)
        if bias is None:
            bias = norm_layer is None
        layers = [
            conv_layer(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                dilation=dilation,
                groups=groups,
                bias=bias,
            )
        ]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**_inplace_kwargs(inplace)))
        super().__init__(*layers)
        self.out_channels = out_channels


def _inplace_kwargs(inplace: bool | None) -> dict[str, bool]:
    """``None`` leaves a layer's own ``inplace`` default alone."""
    return {} if inplace is None else {"inplace": inplace}


class Conv2dNormActivation(_ConvNormActivation):
    """``Conv2d`` → optional normalization → optional activation, as one ``nn.Sequential``.

    Args:
        in_channels: channels of the input.
        out_channels: channels the convolution produces; kept as ``self.out_channels``.
        kernel_size: size of the convolving kernel, an int or ``(kh, kw)``.
        stride: stride of the convolution.
        padding: padding of the convolution (an int, a tuple or a string such as ``"same"``);
            ``None`` computes ``(kernel_size - 1) // 2 * dilation`` per axis.
        groups: blocked connections from input to output channels.
        norm_layer: called with ``out_channels`` to build the normalization; ``None`` for none.
        activation_layer: called (with ``inplace`` unless it is ``None``) to build the
            activation; ``None`` for none.
        dilation: spacing between kernel elements.
        inplace: ``inplace`` argument of the activation; ``None`` keeps the layer's default.
        bias: whether the convolution has a bias; ``None`` means "only without a norm layer".

    Shape:
        input ``Tensor[N, in_channels, H, W]``; output ``Tensor[N, out_channels, H', W']``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str | None = None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm2d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation: int | tuple[int, int] = 1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer,
            activation_layer, dilation, inplace, bias, nn.Conv2d, dims=2,
        )  # fmt: skip


class Conv3dNormActivation(_ConvNormActivation):
    """``Conv3d`` → optional normalization → optional activation, as one ``nn.Sequential``.

    Takes the arguments of :class:`Conv2dNormActivation`, with three-element tuples
    ``(kd, kh, kw)`` and ``norm_layer`` defaulting to :class:`torch.nn.BatchNorm3d`.

    Shape:
        input ``Tensor[N, in_channels, D, H, W]``; output ``Tensor[N, out_channels, D', H', W']``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int, int] = 3,
        stride: int | tuple[int, int, int] = 1,
        padding: int | tuple[int, int, int] | str | None = None,
        groups: int = 1,
        norm_layer: Callable[..., nn.Module] | None = nn.BatchNorm3d,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        dilation: int | tuple[int, int, int] = 1,
        inplace: bool | None = True,
        bias: bool | None = None,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer,
            activation_layer, dilation, inplace, bias, nn.Conv3d, dims=3,
        )  # fmt: skip


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018): rescale each channel by a gate computed from
    the globally averaged input, ``x * scale_activation(fc2(activation(fc1(avgpool(x)))))``.

    Args:
        input_channels: channels ``C`` of the input.
        squeeze_channels: channels of the bottleneck between ``fc1`` and ``fc2`` (1x1 convs).
        activation: builds the bottleneck activation (``delta`` in the paper).
        scale_activation: builds the gate activation (``sigma`` in the paper).

    Shape:
        input ``Tensor[N, C, H, W]``; output the same shape.
    """

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Callable[..., nn.Module] = nn.ReLU,
        scale_activation: Callable[..., nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input: Tensor) -> Tensor:
        """The per-channel gate ``Tensor[N, C, 1, 1]``; subclasses (quantized models) reuse it."""
        squeezed = self.activation(self.fc1(self.avgpool(input)))
        return self.scale_activation(self.fc2(squeezed))

    def forward(self, input: Tensor) -> Tensor:
        return self._scale(input) * input


class MLP(nn.Sequential):
    """Multi-layer perceptron: ``Linear`` → optional norm → activation → ``Dropout`` for each
    hidden width but the last, then ``Linear`` → ``Dropout``, as one ``nn.Sequential``.

    Args:
        in_channels: features of the input's last dimension.
        hidden_channels: output features of each ``Linear``; the last is the output width.
        norm_layer: called with a hidden width to build a norm after each hidden ``Linear``;
            ``None`` for none.
        activation_layer: builds the activation after each hidden ``Linear``; ``None`` for none.
        inplace: ``inplace`` argument of the activations and dropouts; ``None`` keeps their
            defaults.
        bias: whether the ``Linear`` layers have biases.
        dropout: drop probability of every ``Dropout``.

    Shape:
        input ``Tensor[..., in_channels]``; output ``Tensor[..., hidden_channels[-1]]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: list[int],
        norm_layer: Callable[..., nn.Module] | None = None,
        activation_layer: Callable[..., nn.Module] | None = nn.ReLU,
        inplace: bool | None = None,
        bias: bool = True,
        dropout: float = 0.0,
    ) -> None:
        if len(hidden_channels) == 0:
            raise ArgumentIndexError("hidden_channels must hold at least one width, got []")
        params = _inplace_kwargs(inplace)
        layers: list[nn.Module] = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            if activation_layer is not None:
                layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """Return a view of the input with its dimensions reordered by ``dims``.

    Args:
        dims: the new order of the input's dimensions, e.g. ``[0, 2, 3, 1]`` for NCHW → NHWC.
    """

    def __init__(self, dims: list[int]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return torch.permute(x, self.dims)
