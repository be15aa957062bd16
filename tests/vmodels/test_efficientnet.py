"""EfficientNet B0-B7 and V2 S/M/L: sizes, shapes, stochastic depth and dropout in training,
initialisation, custom stages, feature maps, arguments, torch.compile."""

import math

import pytest
import torch
from torch import Tensor, nn

import vmodels
import vops
from vmodels import _registry
from vmodels.classification import efficientnet
from vmodels.classification.efficientnet import (
    EfficientNet,
    FusedMBConv,
    FusedMBConvConfig,
    MBConv,
    MBConvConfig,
    efficientnet_v1_setting,
    efficientnet_v2_setting,
)
from vmodels.classification.efficientnet_weights import (
    EfficientNet_B1_Weights,
    EfficientNet_V2_L_Weights,
)
from vmodels.presets import InterpolationMode

# torchvision's published num_params (num_classes=1000).
PARAMETER_COUNTS = {
    "efficientnet_b0": 5_288_548,
    "efficientnet_b1": 7_794_184,
    "efficientnet_b2": 9_109_994,
    "efficientnet_b3": 12_233_232,
    "efficientnet_b4": 19_341_616,
    "efficientnet_b5": 30_389_784,
    "efficientnet_b6": 43_040_704,
    "efficientnet_b7": 66_347_960,
    "efficientnet_v2_s": 21_458_488,
    "efficientnet_v2_m": 54_139_356,
    "efficientnet_v2_l": 118_515_272,
}
BUILDERS = {name: getattr(efficientnet, name) for name in PARAMETER_COUNTS}
# Real forwards for these; the others' shapes on the meta device (tests/compat runs them all).
REAL = ["efficientnet_b0", "efficientnet_b1", "efficientnet_v2_s"]


def _image(n: int, size: int, seed: int = 0) -> Tensor:
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope="module")
def meta_models() -> dict[str, EfficientNet]:
    """Every builder's default model on the meta device, built once (seconds for the big ones)."""
    with torch.device("meta"):
        return {name: builder() for name, builder in BUILDERS.items()}


@pytest.fixture(scope="module")
def b0() -> EfficientNet:
    torch.manual_seed(0)
    return efficientnet.efficientnet_b0(num_classes=10)


def test_builders_are_registered_as_classification_models():
    for name, builder in BUILDERS.items():
        entry = _registry._entries[name]
        assert entry.builder is builder
        assert entry.task == "classification"
        assert entry.features is efficientnet.EFFICIENTNET_FEATURES


@pytest.mark.parametrize("name", PARAMETER_COUNTS)
def test_parameter_count_matches_published_model(name, meta_models):
    assert sum(p.numel() for p in meta_models[name].parameters()) == PARAMETER_COUNTS[name]


@pytest.mark.parametrize("name", REAL)
def test_model_outputs_logits_per_class(name):
    torch.manual_seed(0)
    model = BUILDERS[name](num_classes=10).eval()
    with torch.no_grad():
        out = model(_image(1, 32))
    assert out.shape == (1, 10)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", [n for n in BUILDERS if n not in REAL])
def test_output_shape_on_meta_device(name, meta_models):
    out = meta_models[name].eval()(torch.empty(2, 3, 33, 33, device="meta"))
    assert out.shape == (2, 1000)


@pytest.mark.parametrize(
    ("name", "dropout", "eps", "momentum"),
    [
        ("efficientnet_b0", 0.2, 1e-5, 0.1),
        ("efficientnet_b4", 0.4, 1e-5, 0.1),
        ("efficientnet_b5", 0.4, 1e-3, 0.01),
        ("efficientnet_b7", 0.5, 1e-3, 0.01),
        ("efficientnet_v2_s", 0.2, 1e-3, 0.1),
        ("efficientnet_v2_l", 0.4, 1e-3, 0.1),
    ],
)
def test_variant_dropout_and_batch_norm(name, dropout, eps, momentum, meta_models):
    model = meta_models[name]
    assert model.classifier[0].p == dropout
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert {(m.eps, m.momentum) for m in norms} == {(eps, momentum)}


def test_builder_defaults_can_be_overridden():
    with torch.device("meta"):
        model = efficientnet.efficientnet_v2_s(dropout=0.1, norm_layer=nn.BatchNorm2d)
    assert model.classifier[0].p == 0.1
    assert {m.eps for m in model.modules() if isinstance(m, nn.BatchNorm2d)} == {1e-5}


def test_stochastic_depth_grows_linearly_over_blocks():
    with torch.device("meta"):
        model = efficientnet.efficientnet_b0(stochastic_depth_prob=0.4)
    blocks = [block for stage in list(model.features)[1:-1] for block in stage]
    assert len(blocks) == 16
    for k, block in enumerate(blocks):
        assert isinstance(block.stochastic_depth, vops.StochasticDepth)
        assert block.stochastic_depth.mode == "row"
        assert block.stochastic_depth.p == pytest.approx(0.4 * k / 16)


def _small(dropout: float, stochastic_depth_prob: float) -> EfficientNet:
    torch.manual_seed(0)
    setting = [FusedMBConvConfig(1, 3, 1, 8, 8, 2), MBConvConfig(4, 3, 2, 8, 16, 3)]
    return EfficientNet(setting, dropout, stochastic_depth_prob, num_classes=10)


@torch.no_grad()
def test_dropout_and_stochastic_depth_act_in_training_only():
    model = _small(dropout=0.5, stochastic_depth_prob=0.5)
    image = _image(4, 16)
    model.train()
    torch.manual_seed(1)
    assert not torch.allclose(model(image), model(image))
    model.eval()
    torch.testing.assert_close(model(image), model(image), rtol=0, atol=0)


@torch.no_grad()
def test_training_without_dropout_or_stochastic_depth_is_deterministic():
    model = _small(dropout=0.0, stochastic_depth_prob=0.0).train()
    image = _image(4, 16)
    torch.testing.assert_close(model(image), model(image), rtol=0, atol=0)


def test_stochastic_depth_drops_rows_of_the_residual_branch():
    cnf = MBConvConfig(6, 3, 1, 16, 16, 1)
    block = MBConv(cnf, stochastic_depth_prob=1.0, norm_layer=nn.BatchNorm2d).train()
    x = _image(3, 8)[:, :1].expand(3, 16, 8, 8).contiguous()
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)  # branch always dropped


def test_initialisation_follows_torchvision(b0):
    linear = b0.classifier[1]
    assert linear.weight.abs().max() <= 1 / math.sqrt(10)
    assert torch.equal(linear.bias, torch.zeros(10))
    norm = b0.features[0][1]
    assert torch.equal(norm.weight, torch.ones(32)) and torch.equal(norm.bias, torch.zeros(32))
    conv = b0.features[8][0].weight  # 1x1, fan_out 1280
    torch.testing.assert_close(conv.std().item(), math.sqrt(2 / 1280), rtol=0.05, atol=0)
    se = b0.features[1][0].block[1]
    assert torch.equal(se.fc1.bias, torch.zeros(8))
    assert isinstance(se.activation, nn.SiLU) and isinstance(se.scale_activation, nn.Sigmoid)


def test_blocks_follow_the_configuration(meta_models):
    setting = efficientnet_v2_setting("s")
    assert [type(c) for c in setting] == [FusedMBConvConfig] * 3 + [MBConvConfig] * 3
    # B1's first stage has ceil(1 * 1.1) = 2 blocks; B2's stem ceil-rounds 32 * 1.1 to 32.
    assert [c.num_layers for c in efficientnet_v1_setting(1.0, 1.1)] == [2, 3, 3, 4, 4, 5, 2]
    assert efficientnet_v1_setting(1.1, 1.2)[0].input_channels == 32
    model = meta_models["efficientnet_v2_s"]
    single = model.features[1][0]  # no expansion: one 3x3 convolution
    assert isinstance(single, FusedMBConv) and len(single.block) == 1 and single.use_res_connect
    fused = model.features[2][0]  # 3x3 expansion at stride 2, then a 1x1 projection
    assert [tuple(layer[0].weight.shape) for layer in fused.block] == [
        (96, 24, 3, 3),
        (48, 96, 1, 1),
    ]
    assert not fused.use_res_connect and fused.block[0][0].stride == (2, 2)


def test_custom_setting_and_default_last_channel():
    setting = [FusedMBConvConfig(2, 3, 1, 8, 8, 1), MBConvConfig(4, 5, 2, 8, 16, 2)]
    torch.manual_seed(0)
    model = EfficientNet(setting, dropout=0.1, num_classes=3).eval()
    assert model.features[-1][0].out_channels == 64  # four times the last stage's channels
    assert model.features[2][1].block[0][0].in_channels == 16  # later blocks take out_channels
    with torch.no_grad():
        assert model(_image(2, 16)).shape == (2, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dropout": 1.5}, "dropout"),
        ({"stochastic_depth_prob": -0.1}, "stochastic_depth_prob"),
        ({"num_classes": 0}, "num_classes"),
        ({"last_channel": 0}, "last_channel"),
        ({"inverted_residual_setting": []}, "inverted_residual_setting"),
        ({"inverted_residual_setting": [[1, 3, 1, 32, 16, 1]]}, "inverted_residual_setting"),
    ],
)
def test_bad_model_arguments_raise_value_error(kwargs, match):
    arguments = {"inverted_residual_setting": efficientnet_v1_setting(1.0, 1.0), "dropout": 0.2}
    with torch.device("meta"), pytest.raises(ValueError, match=match):
        EfficientNet(**{**arguments, **kwargs})


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: MBConvConfig(6, 3, 3, 16, 24, 2), "stride"),
        (lambda: MBConvConfig(6, 3, 1, 16, 24, 0), "num_layers"),
        (lambda: FusedMBConvConfig(0, 3, 1, 16, 24, 1), "expand_ratio"),
        (lambda: efficientnet_v1_setting(0, 1.0), "width_mult"),
        (lambda: efficientnet_v2_setting("xl"), "size"),
    ],
    ids=["stride", "num_layers", "expand_ratio", "width_mult", "size"],
)
def test_bad_configuration_raises_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_b0_feature_maps_are_the_last_module_at_each_resolution():
    torch.manual_seed(0)
    model = vmodels.get_model("efficientnet_b0", features_only=True).eval()
    info = [(s.module, s.channels, s.reduction) for s in model.feature_info]
    assert info == [
        ("features.1", 16, 2),
        ("features.2", 24, 4),
        ("features.3", 40, 8),
        ("features.5", 112, 16),
        ("features.8", 1280, 32),
    ]
    with torch.no_grad():
        maps = model(_image(1, 64))
    assert [tuple(m.shape[1:]) for m in maps] == [
        (16, 32, 32),
        (24, 16, 16),
        (40, 8, 8),
        (112, 4, 4),
        (1280, 2, 2),
    ]


def test_v2_feature_stages(meta_models):
    for name, last in [("efficientnet_v2_s", "features.7"), ("efficientnet_v2_m", "features.8")]:
        stages = efficientnet.EFFICIENTNET_FEATURES.stages(meta_models[name])
        assert stages == ["features.1", "features.2", "features.3", "features.5", last]


def test_weights_transforms_record_bicubic_crops():
    ported = EfficientNet_B1_Weights.IMAGENET1K_V1.transforms()
    assert (ported.crop_size, ported.resize_size) == ([240], [256])
    assert ported.interpolation == InterpolationMode.BICUBIC
    retrained = EfficientNet_B1_Weights.DEFAULT.transforms()
    assert retrained.resize_size == [255] and retrained.interpolation == InterpolationMode.BILINEAR
    v2_l = EfficientNet_V2_L_Weights.DEFAULT.transforms()
    assert v2_l.mean == [0.5, 0.5, 0.5] and v2_l.crop_size == [480]


@pytest.mark.slow  # aot_eager traces the 16 blocks forward and backward: ~10-30 s on two cores
def test_compiles_to_one_graph_matching_eager(b0):
    b0.eval()
    image = _image(1, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(b0, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            torch.testing.assert_close(compiled(image), b0(image))
    finally:
        torch._dynamo.reset()
