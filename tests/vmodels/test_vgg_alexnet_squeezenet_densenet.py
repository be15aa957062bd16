"""The classic classifiers: VGG, AlexNet, SqueezeNet and DenseNet.

Parameter counts and output shapes are computed on the meta device (no memory, no compute);
only one small model per family runs on real tensors, for the scripting check.
"""

import pytest
import torch

from vmodels import _registry
from vmodels.classification import alexnet, densenet, squeezenet, vgg

# Parameters at num_classes=1000; the compat tests check the same layouts against torchvision.
PARAMETER_COUNTS = {
    "vgg11": 132_863_336,
    "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848,
    "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544,
    "vgg16_bn": 138_365_992,
    "vgg19": 143_667_240,
    "vgg19_bn": 143_678_248,
    "alexnet": 61_100_840,
    "squeezenet1_0": 1_248_424,
    "squeezenet1_1": 1_235_496,
    "densenet121": 7_978_856,
    "densenet161": 28_681_000,
    "densenet169": 14_149_480,
    "densenet201": 20_013_928,
}
MODULES = {"vgg": vgg, "alexnet": alexnet, "squeezenet": squeezenet, "densenet": densenet}
# The smallest convenient input of each family (five stride-2 stages, or AlexNet's 11x11/4 stem).
INPUT_SIZE = {"vgg": 32, "alexnet": 64, "squeezenet": 32, "densenet": 32}


def _family(name: str) -> str:
    return next(family for family in MODULES if name.startswith(family))


def _builder(name: str):
    return getattr(MODULES[_family(name)], name)


@pytest.mark.parametrize("name", list(PARAMETER_COUNTS))
def test_builder_is_registered_as_classification_model(name):
    entry = _registry._entries[name]
    assert entry.builder is _builder(name)
    assert entry.task == "classification"
    assert entry.provider == MODULES[_family(name)].__name__


@pytest.mark.parametrize(("name", "expected"), list(PARAMETER_COUNTS.items()))
def test_parameter_count_matches_published_architecture(name, expected):
    with torch.device("meta"):
        model = _builder(name)()
    assert sum(p.numel() for p in model.parameters()) == expected


@pytest.mark.parametrize("name", list(PARAMETER_COUNTS))
def test_output_has_one_logit_per_class_at_small_input(name):
    size = INPUT_SIZE[_family(name)]
    with torch.device("meta"):
        model = _builder(name)(num_classes=10).eval()
        out = model(torch.empty(2, 3, size, size))
    assert out.shape == (2, 10)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("name", ["vgg11", "alexnet", "squeezenet1_1", "densenet121"])
def test_scripted_model_matches_eager(name):
    size = INPUT_SIZE[_family(name)]
    torch.manual_seed(0)
    model = _builder(name)(num_classes=10).eval()
    x = torch.randn(2, 3, size, size)
    scripted = torch.jit.script(model)
    with torch.no_grad():
        expected = model(x)
        torch.testing.assert_close(scripted(x), expected)
    assert expected.shape == (2, 10)


def test_densenet_loads_checkpoint_with_legacy_key_names():
    torch.manual_seed(0)
    source = densenet.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8)
    # Give the buffers non-default values so a skipped key would show.
    for name, buffer in source.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            buffer.uniform_(0.5, 1.5)
    state_dict = source.state_dict()
    legacy = {
        key.replace(".norm1.", ".norm.1.")
        .replace(".conv1.", ".conv.1.")
        .replace(".norm2.", ".norm.2.")
        .replace(".conv2.", ".conv.2."): value
        for key, value in state_dict.items()
    }
    assert "features.denseblock1.denselayer1.norm.1.running_var" in legacy
    legacy_keys = list(legacy)

    target = densenet.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8)
    target.load_state_dict(legacy, strict=True)

    assert list(legacy) == legacy_keys  # the caller's dict is left as it was
    for key, value in target.state_dict().items():
        torch.testing.assert_close(value, state_dict[key], rtol=0, atol=0, msg=key)


def test_densenet_dropout_acts_only_in_training():
    torch.manual_seed(0)
    model = densenet.DenseNet(
        growth_rate=4, block_config=(2, 2), num_init_features=8, drop_rate=0.5
    )
    x = torch.randn(1, 3, 32, 32)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    torch.testing.assert_close(model(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: squeezenet.SqueezeNet(version="1_2"), "version must be one of"),
        (lambda: vgg.VGG([64, "M"]), "config must end with 512 channels"),
        (lambda: vgg.vgg11(num_classes=0), "num_classes must be a positive int, got 0"),
        (lambda: alexnet.alexnet(dropout=1.5), r"dropout must be a probability in \[0, 1\]"),
        (lambda: densenet.DenseNet(block_config=()), "block_config must be a non-empty"),
    ],
)
def test_invalid_arguments_are_rejected_with_what_was_given(make, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        make()
