"""GoogLeNet, Inception v3, MobileNetV2 and ShuffleNetV2: sizes, shapes, auxiliary outputs in
training, width multiplier, channel shuffle, input transform, scripting, arguments."""

import pytest
import torch
from torch import Tensor, nn

from vmodels import _registry
from vmodels.classification import googlenet, inception, mobilenetv2, shufflenetv2
from vmodels.classification.googlenet import GoogLeNet, GoogLeNetOutputs
from vmodels.classification.inception import Inception3, InceptionOutputs
from vmodels.classification.mobilenetv2 import InvertedResidual, MobileNetV2, make_divisible
from vmodels.classification.shufflenetv2 import ShuffleNetV2, channel_shuffle

BUILDERS = {
    "googlenet": googlenet.googlenet,
    "inception_v3": inception.inception_v3,
    "mobilenet_v2": mobilenetv2.mobilenet_v2,
    "shufflenet_v2_x0_5": shufflenetv2.shufflenet_v2_x0_5,
    "shufflenet_v2_x1_0": shufflenetv2.shufflenet_v2_x1_0,
    "shufflenet_v2_x1_5": shufflenetv2.shufflenet_v2_x1_5,
    "shufflenet_v2_x2_0": shufflenetv2.shufflenet_v2_x2_0,
}
# Published parameter counts (num_classes=1000); the ones without auxiliary heads are
# torchvision's models' counts (tests/compat checks the layouts against torchvision).
PARAMETER_COUNTS = [
    ("googlenet", {}, 13_004_888),
    ("googlenet", {"aux_logits": False}, 6_624_904),
    ("inception_v3", {}, 27_161_264),
    ("inception_v3", {"aux_logits": False}, 23_834_568),
    ("mobilenet_v2", {}, 3_504_872),
    ("shufflenet_v2_x0_5", {}, 1_366_792),
    ("shufflenet_v2_x1_0", {}, 2_278_604),
    ("shufflenet_v2_x1_5", {}, 3_503_624),
    ("shufflenet_v2_x2_0", {}, 7_393_996),
]
SMALL_MODELS = [name for name in BUILDERS if name not in ("googlenet", "inception_v3")]


def _image(n: int, size: int, seed: int = 0) -> Tensor:
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# One real model of each big family for the whole module (each costs seconds to build on CPU).
@pytest.fixture(scope="module")
def googlenet10() -> GoogLeNet:
    torch.manual_seed(0)
    return googlenet.googlenet(num_classes=10)


@pytest.fixture(scope="module")
def inception10() -> Inception3:
    # PyTorch's default initialisation: the truncated normal of 27M weights costs seconds.
    torch.manual_seed(0)
    return inception.inception_v3(num_classes=10, init_weights=False)


def test_builders_are_registered_as_classification_models():
    for name, builder in BUILDERS.items():
        entry = _registry._entries[name]
        assert entry.builder is builder
        assert entry.task == "classification"
        assert entry.provider == builder.__module__


@pytest.mark.parametrize(
    ("name", "kwargs", "count"), PARAMETER_COUNTS, ids=[f"{n}{k}" for n, k, _ in PARAMETER_COUNTS]
)
def test_parameter_count_matches_published_model(name, kwargs, count):
    with torch.device("meta"):
        model = BUILDERS[name](**kwargs)
    assert _count(model) == count


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_small_model_outputs_logits_per_class(name):
    model = BUILDERS[name](num_classes=10).eval()
    with torch.no_grad():
        out = model(_image(2, 32))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


def test_googlenet_returns_aux_logits_only_in_training(googlenet10):
    image = _image(2, 32)
    googlenet10.train()
    out = googlenet10(image)
    assert isinstance(out, GoogLeNetOutputs)
    assert [tuple(t.shape) for t in out] == [(2, 10)] * 3
    googlenet10.eval()
    with torch.no_grad():
        logits = googlenet10(image)
    assert isinstance(logits, Tensor)
    assert logits.shape == (2, 10)


def test_inception_v3_returns_aux_logits_only_in_training(inception10):
    inception10.train()
    with torch.no_grad():
        out = inception10(_image(2, 299))
    assert isinstance(out, InceptionOutputs)
    assert [tuple(t.shape) for t in out] == [(2, 10), (2, 10)]
    inception10.eval()
    with torch.no_grad():
        logits = inception10(_image(1, 75))
    assert isinstance(logits, Tensor)
    assert logits.shape == (1, 10)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize(
    ("make", "size", "aux"),
    [(GoogLeNet, 32, ["aux1", "aux2"]), (Inception3, 75, ["AuxLogits"])],
    ids=["googlenet", "inception_v3"],
)
def test_without_aux_logits_training_returns_plain_logits(make, size, aux):
    with torch.device("meta"):  # shapes and control flow only
        model = make(num_classes=10, aux_logits=False).train()
        out = model(torch.empty(2, 3, size, size))
    assert all(getattr(model, name) is None for name in aux)
    assert isinstance(out, Tensor)
    assert out.shape == (2, 10)


def test_googlenet_init_draws_normal_weights_truncated_at_two_std(googlenet10):
    weight = googlenet10.inception5b.branch2[1].conv.weight.detach()
    assert weight.abs().max() <= 0.02
    # std of a normal truncated at two std: 0.01 * sqrt(1 - 4 * pdf(2) / (2 * cdf(2) - 1))
    torch.testing.assert_close(weight.std().item(), 0.01 * 0.8796, rtol=0.02, atol=0)
    assert torch.equal(googlenet10.conv1.bn.weight, torch.ones(64))


def test_transform_input_maps_imagenet_normalization_to_half_normalization():
    pixels = torch.rand(2, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    normalized = googlenet.imagenet_to_half_normalized((pixels - mean) / std)
    torch.testing.assert_close(normalized, (pixels - 0.5) / 0.5)


def test_transform_input_is_off_by_default_and_loading_weights_keeps_it(googlenet10, tmp_path):
    path = tmp_path / "googlenet.pth"
    torch.save(googlenet10.state_dict(), path)
    loaded = googlenet.googlenet(num_classes=10, weights=path, init_weights=False).eval()
    assert loaded.transform_input is False
    assert googlenet10.transform_input is False
    image = _image(1, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(image), googlenet10.eval()(image), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("value", "divisor", "expected"),
    [(32.0, 8, 32), (22.4, 8, 24), (11.2, 8, 16), (3.0, 8, 8), (1792.0, 8, 1792), (11.2, 1, 11)],
)
def test_make_divisible_rounds_to_nearest_multiple_losing_at_most_ten_percent(
    value, divisor, expected
):
    assert make_divisible(value, divisor) == expected


@pytest.mark.parametrize(
    ("width_mult", "round_nearest", "stem", "first_block", "last"),
    [
        (1.0, 8, 32, 16, 1280),
        (0.5, 8, 16, 8, 1280),
        (1.4, 8, 48, 24, 1792),
        (0.75, 1, 24, 12, 1280),
    ],
)
def test_width_multiplier_scales_channels(width_mult, round_nearest, stem, first_block, last):
    with torch.device("meta"):
        model = mobilenetv2.mobilenet_v2(width_mult=width_mult, round_nearest=round_nearest)
    assert model.features[0][0].out_channels == stem
    assert model.features[1].out_channels == first_block
    assert model.features[-1][0].out_channels == last == model.last_channel
    assert model.classifier[1].in_features == last


def test_inverted_residual_adds_input_only_when_shapes_match():
    assert InvertedResidual(16, 16, 1, 6).use_res_connect
    assert not InvertedResidual(16, 24, 1, 6).use_res_connect
    assert not InvertedResidual(16, 16, 2, 6).use_res_connect
    block = InvertedResidual(8, 8, 1, 1).eval()
    with torch.no_grad():
        for p in block.conv[-1].parameters():  # last batch norm's affine -> branch outputs 0
            p.zero_()
        x = torch.randn(1, 8, 4, 4)
        torch.testing.assert_close(block(x), x, rtol=0, atol=0)


def test_channel_shuffle_interleaves_the_two_halves():
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    assert channel_shuffle(x, 3).flatten().tolist() == [0, 2, 4, 1, 3, 5]


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("name", ["mobilenet_v2", "shufflenet_v2_x0_5"])
def test_scripted_small_model_matches_eager(name):
    model = BUILDERS[name](num_classes=10).eval()
    scripted = torch.jit.script(model)
    image = _image(1, 32)
    with torch.no_grad():
        torch.testing.assert_close(scripted(image), model(image), rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_scripted_googlenet_matches_eager_in_eval_and_training(googlenet10):
    scripted = torch.jit.script(googlenet10)
    image = _image(2, 32)
    googlenet10.eval()
    scripted.eval()
    with torch.no_grad():
        out = scripted(image)
        assert isinstance(out, Tensor)
        torch.testing.assert_close(out, googlenet10(image), rtol=0, atol=0)
    # Training: the same named tuple as eager (dropout draws the same numbers from one seed).
    googlenet10.train()
    scripted.train()
    with torch.no_grad():
        torch.manual_seed(1)
        expected = googlenet10(image)
        torch.manual_seed(1)
        out = scripted(image)
    assert out._fields == GoogLeNetOutputs._fields
    for ours, theirs in zip(out, expected, strict=True):
        torch.testing.assert_close(ours, theirs)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_scripted_inception_v3_matches_eager_in_eval(inception10):
    inception10.eval()
    scripted = torch.jit.script(inception10)
    image = _image(1, 75)
    with torch.no_grad():
        torch.testing.assert_close(scripted(image), inception10(image), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (GoogLeNet, {"num_classes": 0}, "num_classes must be a positive int, got 0"),
        (GoogLeNet, {"dropout": 1.5}, r"dropout must be a probability in \[0, 1\], got 1.5"),
        (GoogLeNet, {"dropout_aux": -0.1}, "dropout_aux must be a probability"),
        (Inception3, {"num_classes": 2.0}, "num_classes must be a positive int, got 2.0"),
        (Inception3, {"dropout": 2}, "dropout must be a probability"),
        (MobileNetV2, {"width_mult": 0}, "width_mult must be a positive number, got 0"),
        (MobileNetV2, {"round_nearest": 0}, "round_nearest must be a positive int, got 0"),
        (MobileNetV2, {"num_classes": -1}, "num_classes must be a positive int, got -1"),
        (MobileNetV2, {"inverted_residual_setting": []}, "non-empty list of .t, c, n, s. rows"),
        (MobileNetV2, {"inverted_residual_setting": [[6, 24, 2]]}, r"\[t, c, n, s\] rows"),
        (MobileNetV2, {"inverted_residual_setting": [[6, 24, 2, 4]]}, r"stride s in \(1, 2\)"),
    ],
)
def test_bad_arguments_raise_value_error(make, kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        make(**kwargs)


@pytest.mark.parametrize(
    ("repeats", "channels", "message"),
    [
        ([4, 8], [24, 48, 96, 192, 1024], "stages_repeats must be 3 positive ints"),
        ([4, 0, 4], [24, 48, 96, 192, 1024], "stages_repeats must be 3 positive ints"),
        ([4, 8, 4], [24, 48, 96, 192], "stages_out_channels must be 5 positive ints"),
        ([4, 8, 4], [24, 47, 96, 192, 1024], "output channels must be even"),
    ],
)
def test_shufflenet_bad_stages_raise_value_error(repeats, channels, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        ShuffleNetV2(repeats, channels)


@pytest.mark.parametrize(
    ("make", "training", "size", "message"),
    [
        (GoogLeNet, False, 14, r"H, W >= 15, got Tensor\[1, 3, 14, 14\]"),
        (Inception3, False, 74, r"H, W >= 75, got Tensor\[1, 3, 74, 74\]"),
        (Inception3, True, 298, "H, W >= 299 in training with the auxiliary classifier"),
    ],
)
def test_too_small_input_raises_value_error(make, training, size, message):
    with torch.device("meta"):
        model = make(num_classes=10).train(training)
        with pytest.raises(ValueError, match=message):
            model(torch.empty(1, 3, size, size))
