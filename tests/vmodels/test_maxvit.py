"""MaxViT-T: size, shapes at any size the partitions divide (rectangles included) and the error
otherwise, the grid partition, stochastic depth and dropout in training, initialisation, weights
entry, feature maps, arguments, scripting, torch.compile."""

import pytest
import torch
from torch import Tensor, nn

import vmodels
import vops
from vmodels.classification import maxvit
from vmodels.classification.maxvit import MaxVit, MaxVit_T_Weights
from vmodels.presets import InterpolationMode

# torchvision's published num_params (num_classes=1000).
MAXVIT_T_PARAMETERS = 30_919_624
# Small enough for real forwards: 2x2 partitions divide the maps of a 64x64 input (32, 16, 8, 4,
# 2 after the stem and each block).
SMALL = {
    "stem_channels": 8,
    "partition_size": 2,
    "block_channels": [8, 16, 16, 32],
    "block_layers": [1, 2, 1, 1],
    "head_dim": 4,
}
# Two blocks: 32x32 inputs, the cheapest for training, scripting and compiling.
TINY = {**SMALL, "block_channels": [8, 16], "block_layers": [2, 1]}


def _image(n: int, height: int, width: int | None = None, seed: int = 0) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, height, width or height, generator=generator)


@pytest.fixture(scope="module")
def maxvit_t() -> MaxVit:
    torch.manual_seed(0)
    return maxvit.maxvit_t().eval()


def test_parameter_count_is_torchvisions():
    with torch.device("meta"):
        model = maxvit.maxvit_t()
    assert sum(p.numel() for p in model.parameters()) == MAXVIT_T_PARAMETERS
    assert model.classifier[-1].bias is None and model.classifier[-1].out_features == 1000


def test_maxvit_t_classifies_a_224_image(maxvit_t):
    with torch.no_grad():
        out = maxvit_t(_image(1, 224))
    assert out.shape == (1, 1000) and torch.isfinite(out).all()


def test_maxvit_t_is_initialised_as_torchvisions(maxvit_t):
    attention = maxvit_t.blocks[2].layers[0].layers.grid_attention.attn_layer[1]
    mbconv = maxvit_t.blocks[1].layers[0].layers.MBconv
    for weight in (mbconv.layers.conv_b[0].weight, attention.to_qkv.weight):
        assert abs(weight.std().item() - 0.02) < 0.002
    assert not attention.to_qkv.bias.any() and not mbconv.layers.squeeze_excitation.fc1.bias.any()
    table = attention.relative_position_bias_table
    assert table.shape == (13 * 13, 8) and abs(table.std().item() - 0.02) < 0.004
    norm = mbconv.layers.pre_norm
    assert (norm.eps, norm.momentum) == (1e-3, 0.01)
    assert (norm.weight == 1).all() and not norm.bias.any()


@pytest.mark.parametrize(("height", "width"), [(64, 64), (64, 128), (128, 64), (63, 64)])
def test_any_size_the_partitions_divide_works(height, width):
    torch.manual_seed(0)
    model = MaxVit(num_classes=5, **SMALL).eval()
    with torch.no_grad():
        assert model(_image(2, height, width)).shape == (2, 5)


def test_sizes_the_partitions_do_not_divide_are_named():
    model = MaxVit(**SMALL).eval()
    with pytest.raises(ValueError, match=r"input size 60x64 gives block feature maps .*\[15, 16\]"):
        model(_image(1, 60, 64))
    with pytest.raises(ValueError, match=r"partition_size=2 must all divide \(multiples of 64"):
        model(_image(1, 96))


def test_window_and_grid_partitions_group_the_right_positions():
    """Each window holds a partition_size block of adjacent positions; each grid group the
    positions spaced (H / p, W / p) apart, also on a rectangle; departition inverts both."""
    p, height, width = 2, 4, 6
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    coords = torch.stack([rows, cols]).unsqueeze(0).float()  # Tensor[1, 2, H, W]
    layer = MaxVit(**SMALL).blocks[0].layers[0].layers
    window, grid = layer.window_attention, layer.grid_attention

    windows = window.partition_swap(window.partition_op(coords, p, p))
    assert windows.shape == (1, (height // p) * (width // p), p * p, 2)
    assert windows[0, 1].tolist() == [[0, 2], [0, 3], [1, 2], [1, 3]]

    ph, pw = height // p, width // p
    groups = grid.partition_swap(grid.partition_op(coords, ph, pw))
    assert groups.shape == (1, ph * pw, p * p, 2)
    assert groups[0, 1].tolist() == [[0, 1], [0, 4], [2, 1], [2, 4]]

    for op, tokens, (a, b) in ((window, windows, (p, p)), (grid, groups, (ph, pw))):
        back = op.departition_op(op.departition_swap(tokens), a, b, height // a, width // b)
        assert torch.equal(back, coords)


def test_relative_position_index_is_a_persistent_buffer_of_offsets():
    index = maxvit.relative_position_index(2)
    # Positions (0, 0), (0, 1), (1, 0), (1, 1); offset (dy, dx) is row (dy + 1) * 3 + dx + 1.
    assert index.tolist() == [[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]]
    attention = MaxVit(**SMALL).blocks[0].layers[0].layers.window_attention.attn_layer[1]
    assert "relative_position_index" in attention.state_dict()
    assert attention.get_relative_positional_bias().shape == (1, 2, 4, 4)


def test_stochastic_depth_grows_linearly_and_is_off_in_eval():
    model = MaxVit(stochastic_depth_prob=0.5, **SMALL)
    drops = [m.p for m in model.modules() if isinstance(m, vops.StochasticDepth)]
    # Five layers, each with its probability in its MBConv and both attention layers; the first
    # MBConv (probability 0) has no module.
    assert drops == [0.0, 0.0, *(p for p in [0.125, 0.25, 0.375, 0.5] for _ in range(3))]
    first = model.blocks[0].layers[0].layers
    assert isinstance(first.MBconv.stochastic_depth, nn.Identity)
    assert first.grid_attention.stochastic_dropout.p == 0.0
    assert model.blocks[3].layers[0].layers.MBconv.stochastic_depth.p == 0.5

    image = _image(4, 64)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(image), model(image))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stochastic_depth_prob": 0.5},
        {"stochastic_depth_prob": 0.0, "mlp_dropout": 0.5},
        {"stochastic_depth_prob": 0.0, "attention_dropout": 0.5},
    ],
)
@torch.no_grad()
def test_stochastic_depth_and_dropout_act_in_training_only(kwargs):
    torch.manual_seed(0)
    model = MaxVit(**TINY, **kwargs).train()
    image = _image(4, 32)
    torch.manual_seed(1)
    first = model(image)
    torch.manual_seed(2)
    assert not torch.allclose(first, model(image))
    quiet = MaxVit(**TINY, stochastic_depth_prob=0.0).train()
    quiet.load_state_dict(model.state_dict())
    torch.manual_seed(1)
    first = quiet(image)
    torch.manual_seed(2)
    torch.testing.assert_close(quiet(image), first)


def test_weights_entry():
    weights = MaxVit_T_Weights.DEFAULT
    assert weights is MaxVit_T_Weights.IMAGENET1K_V1
    assert weights.meta["num_params"] == MAXVIT_T_PARAMETERS
    assert weights.meta["min_size"] == (224, 224)
    preset = weights.transforms()
    assert (preset.crop_size, preset.resize_size) == ([224], [224])
    assert preset.interpolation == InterpolationMode.BICUBIC
    assert vmodels.get_model_weights("maxvit_t") is MaxVit_T_Weights


def test_feature_maps_of_maxvit_t():
    with torch.device("meta"):
        maps = vmodels.get_model("maxvit_t", features_only=True)
    assert maps.feature_info.channels() == [64, 64, 128, 256, 512]
    assert maps.feature_info.reduction() == [2, 4, 8, 16, 32]
    assert maps.feature_info.module_name() == ["stem", *(f"blocks.{i}" for i in range(4))]


def test_feature_maps_run_and_check_the_size():
    torch.manual_seed(0)
    small = {**SMALL, "partition_size": 7, "block_layers": [1, 1, 1, 1]}
    maps = vmodels.get_model("maxvit_t", features_only=True, out_indices=[0, 2, 4], **small)
    maps.eval()
    with torch.no_grad():
        shapes = [f.shape for f in maps(_image(1, 224))]
    assert shapes == [(1, 8, 112, 112), (1, 16, 28, 28), (1, 32, 7, 7)]
    with pytest.raises(ValueError, match="input size 192x192"):
        maps(_image(1, 192))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"partition_size": 0}, "partition_size must be a positive int, got 0"),
        ({"stem_channels": 8.0}, "stem_channels must be a positive int"),
        ({"input_size": (224,)}, r"input_size must be \(height, width\)"),
        ({"block_channels": []}, "block_channels must be a non-empty list of positive ints"),
        ({"block_layers": [2, 2]}, "block_layers must have one entry per stage"),
        ({"head_dim": 48}, "head_dim must divide every entry of block_channels"),
        ({"stochastic_depth_prob": 1.5}, r"stochastic_depth_prob must be a probability"),
        ({"attention_dropout": -0.1}, r"attention_dropout must be a probability"),
        ({"expansion_ratio": 0}, "expansion_ratio must be a positive number"),
        ({"num_classes": 0}, "num_classes must be a positive int"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        MaxVit(**kwargs)


def test_weights_fix_the_classes():
    with pytest.raises(ValueError, match="num_classes=10 does not match weights"):
        maxvit.maxvit_t(weights="DEFAULT", num_classes=10)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_scripted_model_agrees_and_checks_the_size():
    torch.manual_seed(0)
    model = MaxVit(**TINY).eval()
    scripted = torch.jit.script(model)
    image = _image(2, 32)
    with torch.no_grad():
        torch.testing.assert_close(scripted(image), model(image))
        with pytest.raises(Exception, match="input size 28x28"):
            scripted(_image(1, 28))


@pytest.mark.slow
def test_compiles_to_one_graph():
    torch.manual_seed(0)
    model = MaxVit(**TINY).eval()
    image = _image(2, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            torch.testing.assert_close(compiled(image), model(image))
    finally:
        torch._dynamo.reset()
