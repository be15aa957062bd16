"""RegNetX and RegNetY (and ResNeXt-101 64x4d): sizes, the width rule, block structure, shapes,
training behaviour, initialisation, feature maps, weights entries, compilation and arguments."""

import copy
import math
from functools import partial

import pytest
import torch
from torch import Tensor, nn

import vmodels
import vmodels.classification.regnet as regnet
import vmodels.classification.resnet as resnet
from vmodels import _registry
from vmodels.classification.regnet import BlockParams, RegNet, ResBottleneckBlock
from vmodels.presets import InterpolationMode

# torchvision's published parameter counts at 1000 classes.
PARAMETER_COUNTS = {
    "regnet_y_400mf": 4_344_144,
    "regnet_y_800mf": 6_432_512,
    "regnet_y_1_6gf": 11_202_430,
    "regnet_y_3_2gf": 19_436_338,
    "regnet_y_8gf": 39_381_472,
    "regnet_y_16gf": 83_590_140,
    "regnet_y_32gf": 145_046_770,
    "regnet_y_128gf": 644_812_894,
    "regnet_x_400mf": 5_495_976,
    "regnet_x_800mf": 7_259_656,
    "regnet_x_1_6gf": 9_190_136,
    "regnet_x_3_2gf": 15_296_552,
    "regnet_x_8gf": 39_572_648,
    "regnet_x_16gf": 54_278_536,
    "regnet_x_32gf": 107_811_560,
}
REGNETS = list(PARAMETER_COUNTS)
# Run for real at 32x32; the larger ones only on the meta device (tests/compat runs every model
# up to 3.2GF, and the 8GF ones, for real against torchvision's).
SMALL = [n for n in REGNETS if n.endswith("mf")]


def _image(n: int, size: int, seed: int = 0) -> Tensor:
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def y400() -> RegNet:
    torch.manual_seed(0)
    return regnet.regnet_y_400mf(num_classes=10).eval()


def test_builders_are_registered_as_classifiers():
    for name in [*REGNETS, "resnext101_64x4d"]:
        entry = _registry._entries[name]
        assert entry.task == "classification"
        assert entry.builder.__name__ == name
    assert _registry._entries["resnext101_64x4d"].builder is resnet.resnext101_64x4d


@pytest.mark.parametrize("name", REGNETS)
def test_parameter_count_matches_published_model(name):
    with torch.device("meta"):
        model = getattr(regnet, name)()
    assert _count(model) == PARAMETER_COUNTS[name]


def test_resnext101_64x4d_parameter_count_and_groups():
    with torch.device("meta"):
        model = resnet.resnext101_64x4d()
    assert _count(model) == 83_455_272
    conv = model.layer1[0].conv2
    assert conv.groups == 64 and conv.in_channels == 256  # 64 groups of 4 channels


def test_y_400mf_stages_follow_the_quantised_linear_rule():
    params = regnet.block_params_of("regnet_y_400mf")
    assert params.depths == [1, 3, 6, 6]
    assert params.widths == [48, 104, 208, 440]
    assert params.group_widths == [8, 8, 8, 8]
    assert params.strides == [2, 2, 2, 2]
    assert params.se_ratio == 0.25
    x = regnet.block_params_of("regnet_x_400mf")
    assert (x.depths, x.widths, x.se_ratio) == ([1, 2, 7, 12], [32, 64, 160, 400], None)


def test_group_width_is_capped_and_bottlenecks_fit_the_groups():
    params = BlockParams.from_init_params(
        depth=6, w_0=8, w_a=8.0, w_m=2.0, group_width=24, bottleneck_multiplier=0.5
    )
    # block widths 8, 16, 32, 32, 32, 64; bottlenecks 4, 8, 16, 32, the last rounded to 48
    assert params.depths == [1, 1, 3, 1]
    assert params.group_widths == [4, 8, 16, 24]
    assert params.widths == [8, 16, 32, 96]
    assert params.bottleneck_multipliers == [0.5] * 4


def test_y_blocks_squeeze_relative_to_their_input_and_x_blocks_have_no_se(y400):
    first, second = y400.trunk_output.block1[0], y400.trunk_output.block2[1]
    assert isinstance(first, ResBottleneckBlock)
    assert list(first.f) == [first.f.a, first.f.b, first.f.se, first.f.c]
    assert (first.f.se.fc1.in_channels, first.f.se.fc1.out_channels) == (48, 8)  # 32 / 4
    assert second.proj is None and first.proj is not None
    assert first.f.b[0].groups == 48 // 8 and first.f.b[0].stride == (2, 2)
    assert isinstance(first.activation, nn.ReLU) and first.activation.inplace
    with torch.device("meta"):
        x400 = regnet.regnet_x_400mf()
    assert all(not hasattr(m.f, "se") for m in x400.modules() if isinstance(m, ResBottleneckBlock))


def test_module_names_are_torchvisions(y400):
    names = [name for name, _ in y400.named_children()]
    assert names == ["stem", "trunk_output", "avgpool", "fc"]
    assert list(y400.trunk_output._modules) == ["block1", "block2", "block3", "block4"]
    assert list(y400.trunk_output.block2._modules) == [f"block2-{i}" for i in range(3)]
    assert "trunk_output.block1.block1-0.f.se.fc1.weight" in y400.state_dict()


@pytest.mark.parametrize("name", SMALL)
def test_small_models_output_logits_at_32x32(name):
    torch.manual_seed(0)
    model = getattr(regnet, name)(num_classes=7).eval()
    with torch.no_grad():
        out = model(_image(2, 32))
    assert out.shape == (2, 7)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", [n for n in REGNETS if n not in SMALL])
def test_large_models_output_logits_on_the_meta_device(name):
    with torch.device("meta"):
        model = getattr(regnet, name)(num_classes=7).eval()
        out = model(torch.empty(2, 3, 32, 32))
    assert out.shape == (2, 7)


def test_any_input_size_works(y400):
    with torch.no_grad():
        assert y400(_image(1, 1)).shape == (1, 10)
        assert y400(_image(1, 45)).shape == (1, 10)


def test_batch_norm_uses_batch_statistics_in_training_only(y400):
    model = copy.deepcopy(y400)
    image = _image(2, 16)
    before = model.stem[1].running_mean.clone()
    with torch.no_grad():
        expected = y400(image)
        trained = model.train()(image)
        model.eval()
        assert not torch.allclose(trained, expected)
        assert not torch.equal(model.stem[1].running_mean, before)
        torch.testing.assert_close(y400(image), expected, rtol=0, atol=0)


def test_initialisation_is_resnet_style():
    torch.manual_seed(0)
    model = regnet.regnet_x_800mf()
    conv = model.trunk_output.block4[0].f.a[0]
    fan_out = conv.out_channels  # 1x1 kernel
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2.0 / fan_out), rel=0.05)
    norm = model.trunk_output.block4[0].f.a[1]
    assert torch.equal(norm.weight, torch.ones_like(norm.weight))
    assert torch.equal(norm.bias, torch.zeros_like(norm.bias))
    assert model.fc.weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.equal(model.fc.bias, torch.zeros_like(model.fc.bias))


def test_norm_layer_activation_and_stem_width_are_used():
    with torch.device("meta"):
        model = regnet.regnet_y_400mf(
            norm_layer=partial(nn.BatchNorm2d, eps=1e-3), activation=nn.SiLU, stem_width=16
        )
    assert model.stem[0].out_channels == 16 and model.stem[1].eps == 1e-3
    block = model.trunk_output.block1[0]
    assert isinstance(block.f.a[2], nn.SiLU) and isinstance(block.f.se.activation, nn.SiLU)
    assert block.f.se.fc1.out_channels == 4  # a quarter of the 16 stem channels
    default = regnet.regnet_x_400mf().stem[1]
    assert (default.eps, default.momentum) == (1e-05, 0.1)


def test_features_only_gives_the_stem_and_every_stage():
    with torch.device("meta"):
        maps = vmodels.get_model("regnet_y_400mf", features_only=True)
    assert maps.feature_info.channels() == [32, 48, 104, 208, 440]
    assert maps.feature_info.reduction() == [2, 4, 8, 16, 32]


def test_weights_entries_as_torchvision_lists_them():
    assert regnet.RegNet_Y_400MF_Weights.DEFAULT is regnet.RegNet_Y_400MF_Weights.IMAGENET1K_V2
    members = list(regnet.RegNet_Y_16GF_Weights.__members__)
    assert members == [
        "IMAGENET1K_V1",
        "IMAGENET1K_V2",
        "IMAGENET1K_SWAG_E2E_V1",
        "IMAGENET1K_SWAG_LINEAR_V1",
        "DEFAULT",
    ]
    huge = regnet.RegNet_Y_128GF_Weights
    assert list(huge.__members__) == [
        "IMAGENET1K_SWAG_E2E_V1",
        "IMAGENET1K_SWAG_LINEAR_V1",
        "DEFAULT",
    ]
    assert huge.DEFAULT is huge.IMAGENET1K_SWAG_E2E_V1
    e2e = huge.IMAGENET1K_SWAG_E2E_V1.transforms.keywords
    linear = huge.IMAGENET1K_SWAG_LINEAR_V1.transforms.keywords
    assert e2e == {"crop_size": 384, "resize_size": 384, "interpolation": InterpolationMode.BICUBIC}
    assert linear == {
        "crop_size": 224,
        "resize_size": 224,
        "interpolation": InterpolationMode.BICUBIC,
    }
    assert huge.IMAGENET1K_SWAG_E2E_V1.meta["num_params"] == 644_812_894
    assert resnet.ResNeXt101_64X4D_Weights.DEFAULT.meta["num_params"] == 83_455_272


def test_weights_fix_the_number_of_classes():
    weights = regnet.RegNet_X_400MF_Weights.IMAGENET1K_V1
    with pytest.raises(ValueError, match="num_classes=10 does not match"):
        regnet.regnet_x_400mf(weights=weights, num_classes=10)


@pytest.mark.slow  # Dynamo traces the whole network: several seconds on two loaded cores
def test_compiled_x_400mf_matches_eager():
    torch.manual_seed(0)
    model = regnet.regnet_x_400mf(num_classes=10).eval()
    image = _image(1, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            expected, actual = model(image), compiled(image)
    finally:
        torch._dynamo.reset()
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: BlockParams.from_init_params(0, 48, 27.89, 2.09, 8), "depth must be"),
        (lambda: BlockParams.from_init_params(16, 50, 27.89, 2.09, 8), "w_0 must be"),
        (lambda: BlockParams.from_init_params(16, 48, -1.0, 2.09, 8), "w_a must be"),
        (lambda: BlockParams.from_init_params(16, 48, 27.89, 1.0, 8), "w_m must be"),
        (lambda: BlockParams.from_init_params(16, 48, 27.89, 2.09, 0), "group_width must be"),
        (
            lambda: BlockParams.from_init_params(16, 48, 27.89, 2.09, 8, bottleneck_multiplier=0),
            "bottleneck_multiplier must be",
        ),
        (lambda: BlockParams([1], [8, 16], [8], [1.0], [2]), "one entry per stage"),
        (lambda: RegNet([1, 2]), "block_params must be a BlockParams"),
        (lambda: regnet.regnet_x_400mf(num_classes=0), "num_classes must be"),
        (lambda: regnet.regnet_x_400mf(stem_width=-8), "stem_width must be"),
        (lambda: regnet.block_params_of("regnet_z_1gf"), "name must be one of"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, match):
    with torch.device("meta"), pytest.raises(ValueError, match=match):
        call()
