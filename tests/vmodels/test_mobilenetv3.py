"""MobileNetV3 (large, small) and the MobileNetV3-Large segmentation models (LR-ASPP, DeepLabV3):
sizes, block configurations, shapes, dilation, training behaviour, feature maps, backbone
weights, compilation and arguments."""

import pytest
import torch
from torch import Tensor, nn

import vmodels
import vmodels.classification.mobilenetv3 as mobilenetv3
import vmodels.segmentation.deeplabv3 as deeplabv3
import vmodels.segmentation.lraspp as lraspp
from vmodels import _registry
from vmodels.classification.mobilenetv3 import (
    InvertedResidual,
    InvertedResidualConfig,
    MobileNetV3,
    mobilenet_v3_config,
)

CLASSIFIERS = {
    "mobilenet_v3_large": mobilenetv3.mobilenet_v3_large,
    "mobilenet_v3_small": mobilenetv3.mobilenet_v3_small,
}
SEGMENTERS = {
    "lraspp_mobilenet_v3_large": lraspp.lraspp_mobilenet_v3_large,
    "deeplabv3_mobilenet_v3_large": deeplabv3.deeplabv3_mobilenet_v3_large,
}
BUILDERS = {**CLASSIFIERS, **SEGMENTERS}
# Published parameter counts (1000 classes; 21 for segmentation); DeepLabV3 without its
# auxiliary head is torchvision's model's count (tests/compat checks the layouts).
PARAMETER_COUNTS = [
    ("mobilenet_v3_large", {}, 5_483_032),
    ("mobilenet_v3_small", {}, 2_542_856),
    ("lraspp_mobilenet_v3_large", {}, 3_221_538),
    ("deeplabv3_mobilenet_v3_large", {"aux_loss": True}, 11_029_328),
    ("deeplabv3_mobilenet_v3_large", {"aux_loss": False}, 11_025_477),
]


def _image(n: int, height: int, width: int | None = None, seed: int = 0) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, height, width or height, generator=generator)


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(scope="module")
def small10() -> MobileNetV3:
    torch.manual_seed(0)
    return mobilenetv3.mobilenet_v3_small(num_classes=10).eval()


@pytest.fixture(scope="module")
def deeplab3() -> nn.Module:
    torch.manual_seed(0)
    return deeplabv3.deeplabv3_mobilenet_v3_large(num_classes=3, aux_loss=True).eval()


def test_builders_are_registered_under_their_task():
    for name, builder in BUILDERS.items():
        entry = _registry._entries[name]
        assert entry.builder is builder
        assert entry.task == ("classification" if name in CLASSIFIERS else "segmentation")
        assert entry.provider == builder.__module__


@pytest.mark.parametrize(
    ("name", "kwargs", "count"), PARAMETER_COUNTS, ids=[f"{n}{k}" for n, k, _ in PARAMETER_COUNTS]
)
def test_parameter_count_matches_published_model(name, kwargs, count):
    with torch.device("meta"):
        model = BUILDERS[name](**kwargs)
    assert _count(model) == count


def test_large_config_is_table_1_of_the_paper():
    setting, last_channel = mobilenet_v3_config("mobilenet_v3_large")
    assert last_channel == 1280
    assert [c.out_channels for c in setting] == [16, 24, 24, 40, 40, 40, 80, 80, 80, 80, 112,
                                                 112, 160, 160, 160]  # fmt: skip
    assert [c.expanded_channels for c in setting][-3:] == [672, 960, 960]
    assert [c.stride for c in setting] == [1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1]
    assert sum(c.use_se for c in setting) == 8 and sum(c.use_hs for c in setting) == 9
    assert {c.dilation for c in setting} == {1}


def test_small_config_is_table_2_of_the_paper():
    setting, last_channel = mobilenet_v3_config("mobilenet_v3_small")
    assert last_channel == 1024
    assert [c.input_channels for c in setting][:3] == [16, 16, 24]
    assert [c.out_channels for c in setting] == [16, 24, 24, 40, 40, 40, 48, 48, 96, 96, 96]
    assert [c.kernel for c in setting] == [3, 3, 3] + [5] * 8


def test_reduced_tail_halves_and_dilated_dilates_the_last_stage():
    setting, last_channel = mobilenet_v3_config(
        "mobilenet_v3_large", reduced_tail=True, dilated=True
    )
    assert last_channel == 640
    tail = [(c.input_channels, c.expanded_channels, c.out_channels) for c in setting[-3:]]
    # the first tail block expands the unreduced 112 channels as usual
    assert tail == [(112, 672, 80), (80, 480, 80), (80, 480, 80)]
    assert [c.dilation for c in setting] == [1] * 12 + [2] * 3


def test_width_mult_scales_channels_to_multiples_of_8():
    setting, last_channel = mobilenet_v3_config("mobilenet_v3_small", width_mult=0.5)
    assert last_channel == 512
    assert [c.out_channels for c in setting][:4] == [8, 16, 16, 24]
    assert all(c.expanded_channels % 8 == 0 for c in setting)


@pytest.mark.parametrize("name", list(CLASSIFIERS))
def test_classifier_outputs_logits_per_class(name, small10):
    model = small10 if name == "mobilenet_v3_small" else CLASSIFIERS[name](num_classes=10).eval()
    with torch.no_grad():
        out = model(_image(2, 32))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


def test_blocks_use_hard_swish_and_hard_sigmoid_gates(small10):
    block = small10.features[4]  # 5x5, SE, hard swish
    assert isinstance(block, InvertedResidual) and block.use_res_connect is False
    assert isinstance(block.block[0][2], nn.Hardswish)
    assert isinstance(block.block[2].scale_activation, nn.Hardsigmoid)
    assert isinstance(small10.features[1].block[0][2], nn.ReLU)
    norm = small10.features[0][1]
    assert (norm.eps, norm.momentum) == (0.001, 0.01)


def test_dilated_backbone_keeps_output_stride_16():
    torch.manual_seed(0)
    model = mobilenetv3.mobilenet_v3_small(dilated=True).eval()
    with torch.no_grad():
        assert model.features(_image(1, 64)).shape == (1, 576, 4, 4)
    assert model.features[9].block[1][0].dilation == (2, 2)


def test_dropout_is_active_in_training_only(small10):
    image = _image(2, 32)
    small10.train()
    try:
        with torch.no_grad():
            first, second = small10(image), small10(image)
        assert not torch.equal(first, second)
        small10.classifier[2].p = 0.0
        with torch.no_grad():
            torch.testing.assert_close(small10(image), small10(image))
    finally:
        small10.classifier[2].p = 0.2
        small10.eval()
    with torch.no_grad():
        torch.testing.assert_close(small10(image), small10(image), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("name", "channels"),
    [("mobilenet_v3_large", [16, 24, 40, 112, 960]), ("mobilenet_v3_small", [16, 16, 24, 48, 576])],
)
def test_features_only_gives_the_last_block_at_each_resolution(name, channels):
    with torch.device("meta"):
        maps = vmodels.get_model(name, features_only=True)
    assert maps.feature_info.channels() == channels
    assert maps.feature_info.reduction() == [2, 4, 8, 16, 32]


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_deeplab_outputs_out_and_aux_at_input_resolution(deeplab3, mode):
    deeplab3.train(mode == "train")  # batch 1 in training, through the image pooling too
    try:
        with torch.no_grad():
            out = deeplab3(_image(1, 60, 52))
    finally:
        deeplab3.eval()
    assert list(out) == ["out", "aux"]
    for value in out.values():
        assert value.shape == (1, 3, 60, 52)
        assert torch.isfinite(value).all()


def test_segmentation_heads_see_stride_16_and_stride_8_features(deeplab3):
    seen = {}
    hooks = [
        head.register_forward_pre_hook(lambda _, args, key=key: seen.update({key: args[0].shape}))
        for key, head in [("out", deeplab3.classifier), ("aux", deeplab3.aux_classifier)]
    ]
    with torch.no_grad():
        deeplab3(_image(1, 64))
    for hook in hooks:
        hook.remove()
    assert seen == {"out": (1, 960, 4, 4), "aux": (1, 40, 8, 8)}


def test_lraspp_outputs_logits_at_input_resolution(tmp_path):
    torch.manual_seed(0)
    source = mobilenetv3.mobilenet_v3_large()
    path = tmp_path / "mobilenet_v3_large.pth"
    torch.save(source.state_dict(), path)
    model = lraspp.lraspp_mobilenet_v3_large(num_classes=4, weights_backbone=path).eval()
    # the backbone is the classifier's features, loaded from the file
    parameters = dict(model.backbone.named_parameters())
    assert all(torch.equal(p, source.features.get_parameter(k)) for k, p in parameters.items())
    assert len(parameters) == len(list(source.features.parameters()))
    with torch.no_grad():
        features = model.backbone(_image(1, 64))
        out = model(_image(1, 60, 52))
    assert {k: tuple(v.shape) for k, v in features.items()} == {
        "low": (1, 40, 8, 8),
        "high": (1, 960, 4, 4),
    }
    assert list(out) == ["out"] and out["out"].shape == (1, 4, 60, 52)
    assert model.build_info.weights_backbone == str(path)


@pytest.mark.slow  # 10-20 s on two loaded cores: Dynamo traces every block
def test_compiled_small_model_matches_eager(small10):
    image = _image(1, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(small10, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            expected, actual = small10(image), compiled(image)
    finally:
        torch._dynamo.reset()
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mobilenet_v3_config("mobilenet_v3_medium"), "arch must be one of"),
        (lambda: mobilenet_v3_config("mobilenet_v3_large", width_mult=0), "width_mult must be"),
        (lambda: mobilenet_v3_config("mobilenet_v3_large", dilated=1), "dilated must be True"),
        (lambda: mobilenetv3.mobilenet_v3_small(reduced_tail="yes"), "reduced_tail must be"),
        (lambda: InvertedResidualConfig(16, 3, 16, 16, False, "GELU", 1, 1, 1.0), "activation"),
        (lambda: MobileNetV3([], 1024), "inverted_residual_setting must be a non-empty"),
        (lambda: mobilenetv3.mobilenet_v3_small(num_classes=0), "num_classes must be"),
        (lambda: mobilenetv3.mobilenet_v3_small(last_channel=0), "last_channel must be"),
        (lambda: mobilenetv3.mobilenet_v3_small(dropout=1.5), "dropout must be"),
        (lambda: lraspp.lraspp_mobilenet_v3_large(aux_loss=True), "no auxiliary classifier"),
        (lambda: deeplabv3.deeplabv3_mobilenet_v3_large(aux_loss="yes"), "aux_loss must be"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, match):
    with torch.device("meta"), pytest.raises(ValueError, match=match):
        call()


def test_block_refuses_stride_3():
    cnf = InvertedResidualConfig(16, 3, 16, 16, False, "RE", 3, 1, 1.0)
    with pytest.raises(ValueError, match="stride must be 1 or 2, got 3"):
        InvertedResidual(cnf, nn.BatchNorm2d)


def test_weights_set_the_classes_and_keep_the_auxiliary_head():
    weights = deeplabv3.DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1
    with pytest.raises(ValueError, match="num_classes=3 does not match"):
        deeplabv3.deeplabv3_mobilenet_v3_large(weights=weights, num_classes=3)
    with pytest.raises(ValueError, match="aux_loss must be True or unset"):
        deeplabv3.deeplabv3_mobilenet_v3_large(weights=weights, aux_loss=False)
    assert vmodels.get_weight("MobileNet_V3_Large_Weights.DEFAULT").name == "IMAGENET1K_V2"
