"""vops layers against torchvision.ops: same state-dict keys and shapes, checkpoints load both
ways with equal outputs, equal reprs, equal random draws under one seed, and errors that are
catchable as torchvision's."""

import math

import pytest
import torch
from model_checks import randomize_norm_statistics
from torch import nn

import vops

torchvision = pytest.importorskip("torchvision")
tv_ops = torchvision.ops


def _seeded(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# name -> (class name, positional args, keyword args, input shape)
LAYERS = {
    "conv2d-defaults": ("Conv2dNormActivation", (3, 8), {}, (2, 3, 9, 9)),
    "conv2d-tuple-kernel-dilation": (
        "Conv2dNormActivation",
        (3, 8, (3, 5)),
        {"stride": 2, "dilation": (2, 1), "activation_layer": nn.SiLU, "inplace": None},
        (2, 3, 11, 10),
    ),
    "conv2d-grouped-plain": (
        "Conv2dNormActivation",
        (4, 8, 1),
        {"groups": 2, "norm_layer": None, "activation_layer": None},
        (1, 4, 5, 5),
    ),
    "conv2d-same-padding-bias": (
        "Conv2dNormActivation",
        (3, 6, 3),
        {"padding": "same", "bias": True, "activation_layer": nn.Hardswish},
        (1, 3, 6, 7),
    ),
    "conv2d-dilated-not-inplace": (
        "Conv2dNormActivation",
        (3, 6, 5),
        {"dilation": 2, "inplace": False},
        (1, 3, 12, 12),
    ),
    "conv3d-defaults": ("Conv3dNormActivation", (3, 4), {}, (1, 3, 4, 5, 6)),
    "conv3d-tuple-kernel": (
        "Conv3dNormActivation",
        (3, 4, (1, 3, 3)),
        {"stride": (1, 2, 2)},
        (1, 3, 4, 7, 7),
    ),
    "squeeze-excitation": ("SqueezeExcitation", (8, 2), {}, (2, 8, 5, 5)),
    "squeeze-excitation-hard": (
        "SqueezeExcitation",
        (6, 3, nn.SiLU, nn.Hardsigmoid),
        {},
        (2, 6, 3, 4),
    ),
    "mlp": ("MLP", (5, [8, 4]), {}, (3, 5)),
    "mlp-norm-dropout-no-bias": (
        "MLP",
        (5, [8, 6, 3]),
        {"norm_layer": nn.LayerNorm, "dropout": 0.2, "inplace": False, "bias": False},
        (2, 4, 5),
    ),
    "permute": ("Permute", ([0, 2, 3, 1],), {}, (2, 3, 4, 5)),
    "stochastic-depth": ("StochasticDepth", (0.2, "row"), {}, (4, 3, 2, 2)),
    "drop-block-2d": ("DropBlock2d", (0.1, 3), {}, (2, 3, 6, 6)),
    "drop-block-3d": ("DropBlock3d", (0.2, 5, True), {"eps": 1e-5}, (1, 2, 5, 6, 7)),
    "frozen-batch-norm": ("FrozenBatchNorm2d", (4, 1e-3), {}, (2, 4, 3, 3)),
}


def _pair(name: str) -> tuple[nn.Module, nn.Module]:
    cls, args, kwargs, _ = LAYERS[name]
    torch.manual_seed(0)
    theirs = getattr(tv_ops, cls)(*args, **kwargs)
    randomize_norm_statistics(theirs, torch.Generator().manual_seed(0))
    ours = getattr(vops, cls)(*args, **kwargs)
    return theirs, ours


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_have_torchvision_state_dict_keys_and_shapes(name):
    theirs, ours = _pair(name)
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in theirs.state_dict().items()
    ]


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_load_torchvision_checkpoints_and_give_their_eval_outputs(name):
    theirs, ours = _pair(name)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    theirs.eval()
    ours.eval()
    x = _seeded(*LAYERS[name][3], seed=1)
    torch.testing.assert_close(ours(x.clone()), theirs(x.clone()))
    back = _pair(name)[0]
    back.load_state_dict(ours.state_dict(), strict=True)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_print_as_torchvision_does(name):
    theirs, ours = _pair(name)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", [n for n in LAYERS if LAYERS[n][0].startswith("Conv")])
def test_conv_norm_activation_out_channels_match(name):
    theirs, ours = _pair(name)
    assert ours.out_channels == theirs.out_channels


@pytest.mark.parametrize(
    "call",
    [
        lambda ops, x: ops.stochastic_depth(x, 0.3, "row"),
        lambda ops, x: ops.stochastic_depth(x, 0.6, "batch"),
        lambda ops, x: ops.stochastic_depth(x, 1.0, "row"),
        lambda ops, x: ops.drop_block2d(x, 0.3, 3),
        lambda ops, x: ops.drop_block2d(x, 0.5, 5, eps=1e-3),
        lambda ops, x: ops.drop_block2d(x, 0.2, 9),  # clipped to the 7-wide map
        lambda ops, x: ops.drop_block2d(x, 0.3, 3, inplace=True),
        lambda ops, x: ops.drop_block3d(x.reshape(2, 3, 4, 7, 2), 0.3, 1),
        lambda ops, x: ops.StochasticDepth(0.5, "row")(x),
        lambda ops, x: ops.DropBlock2d(0.4, 3)(x),
        lambda ops, x: ops.DropBlock3d(0.4, 3)(x.unsqueeze(2).expand(-1, -1, 3, -1, -1).clone()),
    ],
)
def test_random_draws_under_one_seed_match_torchvision(call):
    x = _seeded(2, 3, 8, 7, seed=2) + 3
    torch.manual_seed(3)
    expected = call(tv_ops, x.clone())
    torch.manual_seed(3)
    torch.testing.assert_close(call(vops, x.clone()), expected)


@pytest.mark.parametrize(
    "call",
    [
        lambda ops: ops.stochastic_depth(torch.ones(2, 2), -0.1, "row"),
        lambda ops: ops.stochastic_depth(torch.ones(2, 2), 1.5, "batch", training=False),
        lambda ops: ops.stochastic_depth(torch.ones(2, 2), math.nan, "row"),
        lambda ops: ops.stochastic_depth(torch.ones(2, 2), 0.5, "column"),
        lambda ops: ops.StochasticDepth(2.0, "row")(torch.ones(2, 2)),
        lambda ops: ops.StochasticDepth(0.5, "all")(torch.ones(2, 2)),
        lambda ops: ops.drop_block2d(torch.ones(1, 1, 5, 5), 1.5, 3),
        lambda ops: ops.drop_block2d(torch.ones(1, 5, 5), 0.1, 3),
        lambda ops: ops.drop_block2d(torch.ones(1, 1, 8, 8), 0.1, 4),
        lambda ops: ops.drop_block2d(torch.ones(1, 1, 4, 9), 0.1, 5),
        lambda ops: ops.drop_block2d(torch.ones(1, 1, 5, 5), 0.1, 0),
        lambda ops: ops.drop_block2d(torch.ones(1, 1, 5, 5), 0.1, -3),
        lambda ops: ops.drop_block3d(torch.ones(1, 1, 5, 5), 0.1, 3),
        lambda ops: ops.DropBlock2d(-1.0, 3)(torch.ones(1, 1, 5, 5)),
        lambda ops: ops.DropBlock3d(0.1, 2)(torch.ones(1, 1, 5, 5, 5)),
        lambda ops: ops.MLP(3, []),
        lambda ops: ops.Conv2dNormActivation(2, 2, (3, 3, 3))(torch.ones(1, 2, 5, 5)),
        lambda ops: ops.Conv3dNormActivation(2, 2, (3, 3))(torch.ones(1, 2, 5, 5, 5)),
        lambda ops: ops.FrozenBatchNorm2d(3)(torch.ones(1, 2, 4, 4)),
        lambda ops: ops.FrozenBatchNorm2d(-1),
    ],
)
def test_bad_arguments_raise_what_torchvision_raises(call):
    # Whatever torchvision raises for the mistake, ours must be catchable as that type.
    with pytest.raises(Exception) as theirs:
        call(tv_ops)
    with pytest.raises(theirs.type) as ours:
        call(vops)
    assert isinstance(ours.value, ValueError), "vops reports bad arguments as ValueError"
