"""Conv-norm-activation blocks, squeeze-and-excitation, MLP and Permute against hand-written
references: layer layout, state-dict keys, padding and bias rules, outputs, script and fx."""

import pytest
import torch
import torch.fx
import torch.nn.functional as F
from model_checks import randomize_norm_statistics
from torch import nn

from vops import (
    MLP,
    Conv2dNormActivation,
    Conv3dNormActivation,
    Permute,
    SqueezeExcitation,
)


def _seeded(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def test_conv2d_norm_activation_defaults_are_conv_batch_norm_inplace_relu():
    block = Conv2dNormActivation(3, 8)
    conv, bn, act = block
    assert type(conv) is nn.Conv2d and type(bn) is nn.BatchNorm2d and type(act) is nn.ReLU
    assert conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (1, 1)
    assert conv.bias is None
    assert act.inplace is True
    assert block.out_channels == 8
    assert list(block.state_dict()) == [
        "0.weight",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    ]


@pytest.mark.parametrize(
    "kernel_size, dilation, expected_padding",
    [
        (3, 1, (1, 1)),
        (1, 1, (0, 0)),
        (5, 2, (4, 4)),
        (4, 1, (1, 1)),
        ((3, 5), 1, (1, 2)),
        ([1, 7], 1, (0, 3)),
        (3, (1, 2), (1, 2)),
        ((3, 5), (2, 3), (2, 6)),
    ],
)
def test_conv2d_norm_activation_default_padding_is_half_kernel_times_dilation(
    kernel_size, dilation, expected_padding
):
    block = Conv2dNormActivation(2, 2, kernel_size, dilation=dilation)
    assert block[0].padding == expected_padding


@pytest.mark.parametrize("kernel_size, dilation", [(3, 1), ((3, 5), 1), (5, 2), ((1, 3), (3, 2))])
def test_conv2d_norm_activation_default_padding_keeps_size_at_stride_one(kernel_size, dilation):
    block = Conv2dNormActivation(2, 3, kernel_size, dilation=dilation).eval()
    assert block(_seeded(1, 2, 9, 10)).shape == (1, 3, 9, 10)


def test_conv2d_norm_activation_passes_explicit_padding_through():
    assert Conv2dNormActivation(2, 2, 3, padding=0)[0].padding == (0, 0)
    assert Conv2dNormActivation(2, 2, 3, padding="same")[0].padding == "same"


@pytest.mark.parametrize(
    "norm_layer, bias, expected_bias",
    [(nn.BatchNorm2d, None, False), (None, None, True), (nn.BatchNorm2d, True, True),
     (None, False, False)],
)  # fmt: skip
def test_conv2d_norm_activation_has_a_bias_only_without_norm_unless_told(
    norm_layer, bias, expected_bias
):
    block = Conv2dNormActivation(2, 4, norm_layer=norm_layer, bias=bias)
    assert (block[0].bias is not None) == expected_bias


def test_conv2d_norm_activation_without_norm_and_activation_is_a_lone_conv():
    block = Conv2dNormActivation(2, 4, norm_layer=None, activation_layer=None)
    assert len(block) == 1
    assert list(block.state_dict()) == ["0.weight", "0.bias"]


def test_conv2d_norm_activation_inplace_none_keeps_the_activation_default():
    assert Conv2dNormActivation(2, 4, inplace=None)[2].inplace is False
    assert Conv2dNormActivation(2, 4, inplace=False)[2].inplace is False
    # GELU takes no inplace argument: inplace=None must not pass one.
    assert type(Conv2dNormActivation(2, 4, activation_layer=nn.GELU, inplace=None)[2]) is nn.GELU


def test_conv2d_norm_activation_passes_stride_and_groups_to_the_conv():
    conv = Conv2dNormActivation(4, 8, 3, stride=2, groups=4)[0]
    assert conv.stride == (2, 2) and conv.groups == 4
    assert conv.weight.shape == (8, 1, 3, 3)


def test_conv2d_norm_activation_computes_relu_of_normalized_convolution():
    block = Conv2dNormActivation(3, 4, 3, stride=2)
    randomize_norm_statistics(block, torch.Generator().manual_seed(0))
    block.eval()
    x = _seeded(2, 3, 7, 6, seed=1)
    conv, bn = block[0], block[1]
    y = F.conv2d(x, conv.weight, stride=2, padding=1)
    mean, var = bn.running_mean.reshape(1, -1, 1, 1), bn.running_var.reshape(1, -1, 1, 1)
    y = (y - mean) / torch.sqrt(var + bn.eps) * bn.weight.reshape(1, -1, 1, 1)
    expected = (y + bn.bias.reshape(1, -1, 1, 1)).clamp_min(0)
    torch.testing.assert_close(block(x), expected)


def test_conv3d_norm_activation_defaults_to_batch_norm_3d_and_keeps_size():
    block = Conv3dNormActivation(2, 5, (3, 1, 5))
    conv, bn, act = block
    assert type(conv) is nn.Conv3d and type(bn) is nn.BatchNorm3d and type(act) is nn.ReLU
    assert conv.padding == (1, 0, 2) and conv.bias is None
    assert block.out_channels == 5
    assert block.eval()(_seeded(1, 2, 4, 5, 6)).shape == (1, 5, 4, 5, 6)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: Conv2dNormActivation(2, 2, (3, 3, 3)), r"kernel_size must be an int or 2 ints"),
        (lambda: Conv2dNormActivation(2, 2, 3, dilation=(1, 1, 1)), r"dilation .* 2 ints"),
        (lambda: Conv3dNormActivation(2, 2, (3, 3)), r"kernel_size must be an int or 3 ints"),
    ],
)
def test_conv_norm_activation_rejects_per_axis_sizes_of_the_wrong_length(build, match):
    with pytest.raises(ValueError, match=match):
        build()
    with pytest.raises(RuntimeError):
        build()


def test_squeeze_excitation_has_one_by_one_conv_fc_layers():
    se = SqueezeExcitation(6, 2)
    assert {k: tuple(v.shape) for k, v in se.state_dict().items()} == {
        "fc1.weight": (2, 6, 1, 1),
        "fc1.bias": (2,),
        "fc2.weight": (6, 2, 1, 1),
        "fc2.bias": (6,),
    }
    assert type(se.activation) is nn.ReLU and type(se.scale_activation) is nn.Sigmoid


def test_squeeze_excitation_with_zero_excitation_halves_the_input():
    se = SqueezeExcitation(3, 2)
    with torch.no_grad():
        se.fc2.weight.zero_()
        se.fc2.bias.zero_()
    x = _seeded(2, 3, 4, 4)
    torch.testing.assert_close(se(x), x * 0.5)  # sigmoid(0) = 1/2


@pytest.mark.parametrize(
    "activation, scale_activation, delta, sigma",
    [
        (nn.ReLU, nn.Sigmoid, torch.relu, torch.sigmoid),
        (nn.SiLU, nn.Hardsigmoid, F.silu, lambda t: (t / 6 + 0.5).clamp(0, 1)),
    ],
)
def test_squeeze_excitation_gates_channels_by_their_global_average(
    activation, scale_activation, delta, sigma
):
    se = SqueezeExcitation(4, 3, activation, scale_activation)
    x = _seeded(2, 4, 5, 3, seed=4)
    squeezed = x.mean(dim=(2, 3))  # [N, C]
    hidden = delta(squeezed @ se.fc1.weight.flatten(1).T + se.fc1.bias)
    gate = sigma(hidden @ se.fc2.weight.flatten(1).T + se.fc2.bias)
    torch.testing.assert_close(se(x), x * gate[:, :, None, None])


def test_mlp_layout_alternates_linear_norm_activation_dropout():
    mlp = MLP(4, [8, 6, 3], norm_layer=nn.LayerNorm, dropout=0.25)
    kinds = [type(layer) for layer in mlp]
    assert kinds == [nn.Linear, nn.LayerNorm, nn.ReLU, nn.Dropout] * 2 + [nn.Linear, nn.Dropout]
    assert all(layer.p == 0.25 for layer in mlp if isinstance(layer, nn.Dropout))
    assert list(mlp.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias",
        "4.weight", "4.bias", "5.weight", "5.bias",
        "8.weight", "8.bias",
    ]  # fmt: skip
    assert mlp[8].weight.shape == (3, 6)


def test_mlp_without_bias_or_norm_has_only_linear_weights():
    mlp = MLP(4, [5, 2], bias=False)
    assert list(mlp.state_dict()) == ["0.weight", "3.weight"]


def test_mlp_inplace_reaches_activations_and_dropouts():
    mlp = MLP(4, [5, 2], inplace=True)
    assert mlp[1].inplace is True and mlp[2].inplace is True and mlp[4].inplace is True
    default = MLP(4, [5, 2])
    assert default[1].inplace is False and default[2].inplace is False


def test_mlp_without_activation_leaves_it_out():
    mlp = MLP(4, [5, 2], activation_layer=None)
    assert [type(layer) for layer in mlp] == [nn.Linear, nn.Dropout, nn.Linear, nn.Dropout]


def test_mlp_computes_linear_relu_linear_over_the_last_dimension():
    mlp = MLP(3, [4, 2]).eval()
    x = _seeded(2, 5, 3, seed=5)
    first, second = mlp[0], mlp[3]
    hidden = (x @ first.weight.T + first.bias).clamp_min(0)
    torch.testing.assert_close(mlp(x), hidden @ second.weight.T + second.bias)


def test_mlp_with_a_single_width_is_one_linear():
    mlp = MLP(3, [2])
    assert [type(layer) for layer in mlp] == [nn.Linear, nn.Dropout]


def test_mlp_rejects_empty_hidden_channels():
    with pytest.raises(ValueError, match=r"hidden_channels must hold at least one width, got \[\]"):
        MLP(3, [])
    with pytest.raises(IndexError):
        MLP(3, [])


def test_permute_returns_a_view_in_the_given_order():
    x = torch.arange(24.0).reshape(1, 2, 3, 4)
    y = Permute([0, 2, 3, 1])(x)
    assert y.shape == (1, 3, 4, 2)
    assert y[0, 2, 1, 1] == x[0, 1, 2, 1]
    assert y.data_ptr() == x.data_ptr()
    assert repr(Permute([0, 2, 3, 1])) == "Permute()"


LAYERS = {
    "conv2d": (lambda: Conv2dNormActivation(3, 4, (3, 5), dilation=2), (2, 3, 9, 9)),
    "conv2d-plain": (
        lambda: Conv2dNormActivation(3, 4, norm_layer=None, activation_layer=nn.Hardswish),
        (2, 3, 5, 5),
    ),
    "conv3d": (lambda: Conv3dNormActivation(3, 2), (1, 3, 4, 5, 5)),
    "squeeze-excitation": (lambda: SqueezeExcitation(3, 2), (2, 3, 4, 4)),
    "mlp": (lambda: MLP(3, [6, 4], norm_layer=nn.LayerNorm, dropout=0.5), (2, 5, 3)),
    "permute": (lambda: Permute([0, 2, 3, 1]), (2, 3, 4, 5)),
}


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_script_and_fx_trace_to_the_eager_result(name):
    build, shape = LAYERS[name]
    layer = build()
    randomize_norm_statistics(layer, torch.Generator().manual_seed(0))
    layer.eval()
    x = _seeded(*shape, seed=6)
    expected = layer(x)
    torch.testing.assert_close(torch.jit.script(layer)(x), expected)
    torch.testing.assert_close(torch.fx.symbolic_trace(layer)(x), expected)
