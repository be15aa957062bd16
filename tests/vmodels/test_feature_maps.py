"""Classifiers as feature-map backbones: ``get_model(name, features_only=True, out_indices=...)``
returns the maps of the family's stages, with ``feature_info``, equal to what forward hooks on the
same modules of the whole model see."""

import pytest
import torch
from torch import nn

import vmodels
from vmodels.backbones import FeatureMaps, stages_before_max_pools

FEATURE_MODELS = vmodels.list_models(features_only=True)

# Hand-checked stage facts of one model per family: (channels, reductions).
KNOWN = {
    "resnet50": ([64, 256, 512, 1024, 2048], [2, 4, 8, 16, 32]),
    "resnet18": ([64, 64, 128, 256, 512], [2, 4, 8, 16, 32]),
    "cifar_resnet20": ([16, 16, 32, 64], [1, 1, 2, 4]),
    "vgg11": ([64, 128, 256, 512, 512], [2, 4, 8, 16, 32]),
    "densenet121": ([64, 256, 512, 1024, 1024], [2, 4, 8, 16, 32]),
    "mobilenet_v2": ([16, 24, 32, 96, 1280], [2, 4, 8, 16, 32]),
    "mobilenet_v3_large": ([16, 24, 40, 112, 960], [2, 4, 8, 16, 32]),
    "shufflenet_v2_x1_0": ([24, 24, 116, 232, 1024], [2, 4, 8, 16, 32]),
    "googlenet": ([64, 192, 480, 832, 1024], [2, 4, 8, 16, 32]),
    "inception_v3": ([64, 192, 288, 768, 2048], [2, 4, 8, 16, 32]),
    "squeezenet1_0": ([96, 256, 512, 512], [2, 4, 8, 16]),
    "alexnet": ([64, 192, 256, 256], [4, 8, 16, 32]),
    "convnext_tiny": ([96, 192, 384, 768], [4, 8, 16, 32]),
    "efficientnet_b0": ([16, 24, 40, 112, 1280], [2, 4, 8, 16, 32]),
    "regnet_y_400mf": ([32, 48, 104, 208, 440], [2, 4, 8, 16, 32]),
    "maxvit_t": ([64, 64, 128, 256, 512], [2, 4, 8, 16, 32]),
    "mnasnet1_0": ([16, 24, 40, 96, 1280], [2, 4, 8, 16, 32]),
}


def test_every_classification_family_builds_as_feature_maps():
    assert set(KNOWN) <= set(FEATURE_MODELS)
    assert set(FEATURE_MODELS) <= set(vmodels.list_models(task="classification"))
    assert "fcn_resnet50" not in FEATURE_MODELS


@pytest.mark.parametrize("name", FEATURE_MODELS)
def test_feature_info_is_in_order_of_reduction(name):
    with torch.device("meta"):
        maps = vmodels.get_model(name, features_only=True)
    info = maps.feature_info
    assert len(info) >= 4
    assert info.reduction() == sorted(info.reduction())
    assert all(c > 0 for c in info.channels())
    if name in KNOWN:
        assert (info.channels(), info.reduction()) == KNOWN[name]


def _hooked_outputs(model: nn.Module, modules: list[str], image: torch.Tensor) -> list:
    """What the named modules of the whole model output in one eval forward pass."""
    seen: dict[str, torch.Tensor] = {}
    handles = [
        model.get_submodule(name).register_forward_hook(
            lambda _module, _args, out, name=name: seen.setdefault(name, out.clone())
        )
        for name in modules
    ]
    with torch.no_grad():
        model(image)
    for handle in handles:
        handle.remove()
    return [seen[name] for name in modules]


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("resnet18", 64),
        ("cifar_resnet20", 32),
        ("mobilenet_v2", 64),
        ("shufflenet_v2_x0_5", 64),
        ("squeezenet1_1", 64),
        ("googlenet", 64),
    ],
)
def test_feature_maps_equal_the_whole_models_intermediate_outputs(name, size):
    torch.manual_seed(0)
    model = vmodels.get_model(name).eval()
    maps = FeatureMaps(model, vmodels._registry.get_model_entry(name).features.stages(model))
    maps.eval()
    image = torch.rand(2, 3, size, size)
    with torch.no_grad():
        features = maps(image)
    expected = _hooked_outputs(model, maps.feature_info.module_name(), image)
    for got, want, stage in zip(features, expected, maps.feature_info, strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
        assert got.shape[1] == stage.channels
        # Unpadded convolutions trim a few pixels; the reduction is the nearest power of two.
        assert stage.reduction / 2 < size / got.shape[-1] < stage.reduction * 2


def test_probe_size_follows_the_models_arguments():
    # MaxViT's probe is the smallest side its partitions divide: 64 for partition_size=2,
    # where the default probe of 224 would not fit.
    torch.manual_seed(0)
    maps = vmodels.get_model("maxvit_t", features_only=True, partition_size=2).eval()
    assert maps.feature_info.reduction() == [2, 4, 8, 16, 32]
    with torch.no_grad():
        outputs = maps(torch.rand(1, 3, 64, 64))
    assert [o.shape[-1] for o in outputs] == [32, 16, 8, 4, 2]


def test_out_indices_choose_stages_and_count_from_the_end():
    torch.manual_seed(0)
    maps = vmodels.get_model("resnet18", features_only=True, out_indices=(1, -1)).eval()
    assert maps.feature_info.module_name() == ["layer1", "layer4"]
    assert maps.feature_info.reduction() == [4, 32]
    outputs = maps(torch.rand(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outputs] == [(1, 64, 16, 16), (1, 512, 2, 2)]
    # What follows the last chosen stage is not kept.
    assert not any(key.startswith(("body.fc", "body.layer4")) for key in _keys("resnet18", (2,)))


def _keys(name: str, out_indices: tuple[int, ...]) -> list[str]:
    with torch.device("meta"):
        return list(
            vmodels.get_model(name, features_only=True, out_indices=out_indices).state_dict()
        )


def test_feature_maps_keep_the_models_parameter_names():
    keys = _keys("resnet18", (0, 1, 2, 3, 4))
    assert "body.layer4.1.bn2.running_var" in keys and "body.conv1.weight" in keys


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"out_indices": (5,)}, r"out_indices must be distinct stage indices in \[-5, 4\]"),
        ({"out_indices": (1, -4)}, "out_indices must be distinct"),
        ({"out_indices": ()}, "out_indices must be distinct"),
        ({"out_indices": "1"}, "out_indices must be distinct"),
    ],
)
def test_bad_out_indices_are_named(kwargs, message):
    with torch.device("meta"), pytest.raises(ValueError, match=message):
        vmodels.get_model("resnet18", features_only=True, **kwargs)


def test_out_indices_without_features_only_is_an_error():
    with pytest.raises(ValueError, match="out_indices needs features_only=True"):
        vmodels.get_model("resnet18", out_indices=(1,))


def test_models_without_stages_say_so():
    with pytest.raises(ValueError, match="fcn_resnet50 does not build as a feature-map backbone"):
        vmodels.get_model("fcn_resnet50", features_only=True)


def test_stages_before_max_pools_of_a_plain_stack():
    stack = nn.Module()
    stack.features = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.MaxPool2d(2)
    )
    assert stages_before_max_pools(stack) == ["features.1", "features.3", "features.4"]


def test_build_info_records_the_feature_map_arguments():
    with torch.device("meta"):
        maps = vmodels.get_model("resnet18", features_only=True, out_indices=(2, 3))
    assert maps.build_info.kwargs == {"features_only": True, "out_indices": (2, 3)}
