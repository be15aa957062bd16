"""ConvNeXt and MNASNet: sizes, shapes, stochastic depth and dropout in training, channels-last
inputs, feature maps, compilation, arguments, and MNASNet's version-1 checkpoints."""

from collections import OrderedDict

import pytest
import torch
from torch import Tensor, nn

import vmodels
from vmodels import _registry
from vmodels.classification.convnext import (
    CNBlock,
    CNBlockConfig,
    ConvNeXt,
    LayerNorm2d,
    convnext_base,
    convnext_large,
    convnext_small,
    convnext_tiny,
)
from vmodels.classification.mnasnet import (
    MNASNet,
    mnasnet0_5,
    mnasnet0_75,
    mnasnet1_0,
    mnasnet1_3,
)

BUILDERS = {
    "convnext_tiny": convnext_tiny,
    "convnext_small": convnext_small,
    "convnext_base": convnext_base,
    "convnext_large": convnext_large,
    "mnasnet0_5": mnasnet0_5,
    "mnasnet0_75": mnasnet0_75,
    "mnasnet1_0": mnasnet1_0,
    "mnasnet1_3": mnasnet1_3,
}
# torchvision's published parameter counts (num_classes=1000).
PARAMETER_COUNTS = {
    "convnext_tiny": 28_589_128,
    "convnext_small": 50_223_688,
    "convnext_base": 88_591_464,
    "convnext_large": 197_767_336,
    "mnasnet0_5": 2_218_512,
    "mnasnet0_75": 3_170_208,
    "mnasnet1_0": 4_383_312,
    "mnasnet1_3": 6_282_256,
}
MNASNETS = [name for name in BUILDERS if name.startswith("mnasnet")]
# A two-stage ConvNeXt of a few thousand parameters, for behaviour that needs no real size.
SMALL_SETTING = [CNBlockConfig(8, 16, 2), CNBlockConfig(16, None, 2)]


def _image(n: int, size: int, seed: int = 0) -> Tensor:
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def tiny10() -> ConvNeXt:
    torch.manual_seed(0)
    return convnext_tiny(num_classes=10).eval()


def test_builders_are_registered_as_classification_models():
    for name, builder in BUILDERS.items():
        entry = _registry.get_model_entry(name)
        assert entry.builder is builder
        assert entry.task == "classification"


@pytest.mark.parametrize("name", BUILDERS)
def test_parameter_count_matches_published_model(name):
    with torch.device("meta"):
        model = BUILDERS[name]()
    assert _count(model) == PARAMETER_COUNTS[name]


@pytest.mark.parametrize("name", MNASNETS)
def test_mnasnet_outputs_logits_per_class(name):
    torch.manual_seed(0)
    model = BUILDERS[name](num_classes=10).eval()
    with torch.no_grad():
        out = model(_image(2, 32))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


def test_convnext_tiny_outputs_logits_at_its_smallest_input(tiny10):
    with torch.no_grad():
        out = tiny10(_image(2, 32))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", ["convnext_small", "convnext_base", "convnext_large"])
def test_larger_convnexts_output_logits_per_class(name):
    with torch.device("meta"):  # shapes only: these have 50M to 200M parameters
        out = BUILDERS[name](num_classes=10).eval()(torch.empty(2, 3, 64, 64))
    assert out.shape == (2, 10)


@pytest.mark.parametrize(
    ("name", "probability", "blocks"),
    [("convnext_tiny", 0.1, 18), ("convnext_small", 0.4, 36), ("convnext_large", 0.5, 36)],
)
def test_stochastic_depth_grows_linearly_to_the_builders_default(name, probability, blocks):
    with torch.device("meta"):
        model = BUILDERS[name]()
    depths = [m.stochastic_depth.p for m in model.modules() if isinstance(m, CNBlock)]
    assert len(depths) == blocks
    torch.testing.assert_close(depths, [probability * i / (blocks - 1) for i in range(blocks)])
    assert all(m.stochastic_depth.mode == "row" for m in model.modules() if isinstance(m, CNBlock))


def test_stochastic_depth_drops_whole_samples_in_training_only():
    torch.manual_seed(0)
    block = CNBlock(8, layer_scale=1.0, stochastic_depth_prob=0.5).train()
    x = torch.randn(64, 8, 4, 4)
    with torch.no_grad():
        out = block(x)
        dropped = (out == x).flatten(1).all(1)
        assert 0 < int(dropped.sum()) < 64  # some rows are the input alone, the others are not
        block.eval()
        torch.testing.assert_close(block(x), block(x), rtol=0, atol=0)
        assert not (block(x) == x).flatten(1).all(1).any()


def test_layer_scale_scales_the_residual_branch_and_starts_at_the_given_value():
    block = CNBlock(8, layer_scale=1e-6, stochastic_depth_prob=0.0).eval()
    assert torch.equal(block.layer_scale, torch.full((8, 1, 1), 1e-6))
    with torch.no_grad():
        block.layer_scale.zero_()
        x = torch.randn(2, 8, 5, 5)
        torch.testing.assert_close(block(x), x, rtol=0, atol=0)


def test_training_mode_is_random_and_eval_mode_is_not():
    torch.manual_seed(0)
    convnext = ConvNeXt(SMALL_SETTING, stochastic_depth_prob=0.9, layer_scale=1.0)
    mnasnet = MNASNet(0.5, dropout=0.5)
    for model, size in [(convnext, 32), (mnasnet, 32)]:
        image = _image(4, size)
        with torch.no_grad():
            model.train()
            assert not torch.equal(model(image), model(image))
            model.eval()
            torch.testing.assert_close(model(image), model(image), rtol=0, atol=0)


def test_layer_norm_2d_normalizes_each_pixels_channels():
    norm = LayerNorm2d(6, eps=1e-6)
    x = torch.randn(2, 6, 3, 4)
    expected = nn.functional.layer_norm(x.permute(0, 2, 3, 1), (6,), eps=1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(norm(x), expected)
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]


def test_convnext_weight_init_is_truncated_normal_with_zero_biases():
    torch.manual_seed(0)
    model = ConvNeXt([CNBlockConfig(64, None, 1)], num_classes=100)
    weight = model.features[1][0].block[3].weight.detach()
    torch.testing.assert_close(weight.std().item(), 0.02, rtol=0.05, atol=0)
    assert not model.features[1][0].block[3].bias.any() and not model.classifier[2].bias.any()
    assert torch.equal(model.classifier[0].weight, torch.ones(64))


def test_channels_last_model_gives_the_same_logits(tiny10):
    image = _image(2, 64)
    with torch.no_grad():
        expected = tiny10(image)
        fast = tiny10.to(memory_format=torch.channels_last)
        out = fast(image.to(memory_format=torch.channels_last))
        tiny10.to(memory_format=torch.contiguous_format)
    torch.testing.assert_close(out, expected)


def test_mnasnet_batch_norm_uses_the_papers_momentum():
    with torch.device("meta"):
        model = mnasnet1_0()
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.momentum == 1 - 0.9997 for m in norms)


@pytest.mark.parametrize(
    ("name", "channels", "reductions"),
    [
        ("convnext_tiny", [96, 192, 384, 768], [4, 8, 16, 32]),
        ("mnasnet1_0", [16, 24, 40, 96, 1280], [2, 4, 8, 16, 32]),
    ],
)
def test_features_only_gives_the_stages(name, channels, reductions):
    with torch.device("meta"):
        maps = vmodels.get_model(name, features_only=True)
        outputs = maps(torch.empty(1, 3, 64, 64))
    assert maps.feature_info.channels() == channels
    assert maps.feature_info.reduction() == reductions
    assert [o.shape[1] for o in outputs] == channels
    assert [64 // o.shape[-1] for o in outputs] == reductions


@pytest.mark.slow
@pytest.mark.parametrize(("name", "size"), [("convnext_tiny", 32), ("mnasnet0_5", 32)])
def test_compiled_model_matches_eager(name, size, tiny10):
    torch.manual_seed(0)
    model = tiny10 if name == "convnext_tiny" else BUILDERS[name](num_classes=10).eval()
    image = _image(1, size)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            torch.testing.assert_close(compiled(image), model(image))
    finally:
        torch._dynamo.reset()


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_scripted_models_match_eager():
    torch.manual_seed(0)
    for model in [ConvNeXt(SMALL_SETTING, num_classes=3).eval(), mnasnet0_5(num_classes=3).eval()]:
        scripted = torch.jit.script(model)
        image = _image(1, 32)
        with torch.no_grad():
            torch.testing.assert_close(scripted(image), model(image))


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (ConvNeXt, {"block_setting": []}, "block_setting must be a non-empty list of CNBlock"),
        (ConvNeXt, {"block_setting": [(96, 192, 3)]}, "block_setting must be a non-empty list"),
        (
            ConvNeXt,
            {"block_setting": [CNBlockConfig(96, None, 0)]},
            "block_setting must be a non-empty list",
        ),
        (
            ConvNeXt,
            {"block_setting": SMALL_SETTING, "stochastic_depth_prob": 1.5},
            r"stochastic_depth_prob must be a probability in \[0, 1\], got 1.5",
        ),
        (
            ConvNeXt,
            {"block_setting": SMALL_SETTING, "num_classes": 0},
            "num_classes must be a positive int, got 0",
        ),
        (
            ConvNeXt,
            {"block_setting": SMALL_SETTING, "layer_scale": "big"},
            "layer_scale must be a number, got 'big'",
        ),
        (MNASNet, {"alpha": 0.0}, "alpha must be a positive number, got 0.0"),
        (MNASNet, {"alpha": 1.0, "num_classes": 2.0}, "num_classes must be a positive int"),
        (MNASNet, {"alpha": 1.0, "dropout": 2}, r"dropout must be a probability in \[0, 1\]"),
    ],
)
def test_bad_arguments_are_named(make, kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        make(**kwargs)


def _version_1_state_dict() -> OrderedDict:
    """What an alpha-0.5 MNASNet saved before version 2: the stem of alpha 1.0 (32, 16
    channels), a first stack from 16 to 16 channels (as alpha 0.7's) and alpha 0.5's rest."""
    torch.manual_seed(0)
    parts = {alpha: MNASNet(alpha).state_dict() for alpha in (1.0, 0.7, 0.5)}
    state = OrderedDict()
    for key in parts[0.5]:
        index = int(key.split(".")[1]) if key.startswith("layers.") else None
        source = 1.0 if index is not None and index < 8 else 0.7 if index == 8 else 0.5
        state[key] = parts[source][key]
    state._metadata = OrderedDict({"": {"version": 1}})
    return state


def test_version_1_checkpoint_loads_into_the_old_stem_with_a_warning():
    state = _version_1_state_dict()
    model = MNASNet(0.5)
    with pytest.warns(UserWarning, match="version-1 MNASNet checkpoint"):
        model.load_state_dict(state, strict=True)
    assert model.layers[0].out_channels == 32 and model.layers[6].out_channels == 16
    assert model.layers[8][0].layers[0].in_channels == 16
    norms = [m for m in model.layers[:9].modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(m.momentum == 1 - 0.9997 for m in norms)
    assert all(torch.equal(value, state[key]) for key, value in model.state_dict().items())
    # It saves as version 1, so the file loads again the same way.
    saved = model.state_dict()
    assert saved._metadata[""]["version"] == 1
    with pytest.warns(UserWarning, match="version-1"):
        MNASNet(0.5).load_state_dict(saved)
    model.eval()
    with torch.no_grad():
        assert model(_image(1, 32)).shape == (1, 1000)


def test_version_1_needs_no_change_at_alpha_1_and_version_2_loads_silently(recwarn):
    state = MNASNet(1.0).state_dict()
    assert state._metadata[""]["version"] == 2
    model = MNASNet(1.0)
    model.load_state_dict(state)
    state._metadata[""]["version"] = 1
    model.load_state_dict(state)
    assert model.layers[0].out_channels == 32
    plain = dict(MNASNet(0.5).state_dict())  # no metadata: the current layout
    MNASNet(0.5).load_state_dict(plain)
    assert not recwarn.list


def test_unknown_state_dict_version_is_refused():
    state = MNASNet(0.5).state_dict()
    state._metadata[""]["version"] = 3
    with pytest.raises(ValueError, match="MNASNet state dict version must be 1 or 2, got 3"):
        MNASNet(0.5).load_state_dict(state)
