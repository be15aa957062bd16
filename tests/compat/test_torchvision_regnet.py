"""vmodels RegNetX, RegNetY and ResNeXt-101 64x4d against torchvision's: the width rule, state
dicts interchange, logits agree, graph node names."""

import random
from functools import partial

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes
from torch import nn

import vmodels.classification.regnet as regnet
import vmodels.classification.resnet as resnet
from vmodels.feature_extraction import get_graph_node_names

torchvision = pytest.importorskip("torchvision")
from torchvision.models import feature_extraction as tv_extraction  # noqa: E402
from torchvision.models import regnet as tv_regnet  # noqa: E402

REGNETS = list(regnet.REGNET_SETTINGS)
BUILDERS = [getattr(regnet, name) for name in REGNETS] + [resnet.resnext101_64x4d]
SMALL = [n for n in REGNETS if n.endswith("mf") or n.endswith(("1_6gf", "3_2gf"))]


@pytest.fixture
def tv_builds_on_meta(monkeypatch):
    """torchvision's width rule makes tensors on the default device and reads them back, which
    the meta device refuses: run it on the CPU."""
    rule = tv_regnet.BlockParams.from_init_params.__func__

    def on_cpu(cls, *args, **kwargs):
        with torch.device("cpu"):
            return rule(cls, *args, **kwargs)

    monkeypatch.setattr(tv_regnet.BlockParams, "from_init_params", classmethod(on_cpu))


@pytest.mark.parametrize("name", REGNETS)
def test_published_block_params_equal_torchvision(name):
    settings = dict(regnet.REGNET_SETTINGS[name])
    assert vars(regnet.block_params_of(name)) == vars(
        tv_regnet.BlockParams.from_init_params(**settings)
    )


def test_width_rule_equals_torchvision_on_random_design_parameters():
    rng = random.Random(0)
    for _ in range(300):
        settings = dict(
            depth=rng.randint(1, 40),
            w_0=8 * rng.randint(1, 60),
            w_a=round(rng.uniform(0, 200), 2),
            w_m=round(rng.uniform(1.01, 3.5), 2),
            group_width=rng.choice([1, 8, 16, 24, 56, 112]),
            bottleneck_multiplier=rng.choice([0.25, 0.5, 1.0, 2.0]),
            se_ratio=rng.choice([None, 0.25]),
        )
        ours = regnet.BlockParams.from_init_params(**settings)
        theirs = tv_regnet.BlockParams.from_init_params(**settings)
        assert vars(ours) == vars(theirs), settings


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_state_dict_names_and_shapes_equal_torchvision(builder, tv_builds_on_meta):
    with torch.device("meta"):
        ours = builder()
        theirs = getattr(torchvision.models, builder.__name__)(weights=None)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.mark.parametrize(
    "kwargs",
    [
        {"num_classes": 10, "stem_width": 16},
        {"activation": nn.SiLU, "norm_layer": partial(nn.BatchNorm2d, eps=1e-3)},
    ],
    ids=["classes-stem", "silu-norm"],
)
def test_arguments_build_the_same_modules_as_torchvision(kwargs, tv_builds_on_meta):
    with torch.device("meta"):
        ours = regnet.regnet_y_800mf(**kwargs)
        theirs = torchvision.models.regnet_y_800mf(**kwargs)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    assert str(ours) == str(theirs)


def _pair(name: str, **kwargs) -> tuple[nn.Module, nn.Module]:
    """torchvision's randomly initialised model (random norm statistics) and ours holding its
    state dict, built on the meta device and materialised empty, both in eval mode."""
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, **kwargs).eval()
    randomize_norm_statistics(theirs, torch.Generator().manual_seed(1))
    builder = resnet.resnext101_64x4d if name.startswith("resnext") else getattr(regnet, name)
    with torch.device("meta"):
        ours = builder(**kwargs)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


def _assert_same_logits(ours: nn.Module, theirs: nn.Module) -> None:
    image = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0


@pytest.mark.parametrize("name", SMALL)
def test_torchvision_state_dict_loads_strictly_and_gives_same_logits(name):
    _assert_same_logits(*_pair(name, num_classes=10))


@pytest.mark.slow  # each builds and initialises a 40-80M parameter model on loaded cores
@pytest.mark.parametrize("name", ["regnet_y_8gf", "regnet_x_8gf", "resnext101_64x4d"])
def test_large_models_load_strictly_and_give_same_logits(name):
    _assert_same_logits(*_pair(name))


def test_custom_activation_and_stem_give_same_logits():
    _assert_same_logits(*_pair("regnet_x_400mf", activation=nn.SiLU, stem_width=24))


@pytest.mark.parametrize("name", ["regnet_y_400mf", "regnet_x_400mf"])
def test_graph_node_names_equal_torchvision(name):
    ours, theirs = _pair(name)
    expected = tv_extraction.get_graph_node_names(theirs, suppress_diff_warning=True)
    assert get_graph_node_names(ours, suppress_diff_warning=True) == expected
