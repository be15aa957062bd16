"""vmodels MobileNetV3 and its LR-ASPP and DeepLabV3 segmentation models against torchvision's:
block configurations, state dicts interchange, outputs agree, graph node names."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes

import vmodels.classification.mobilenetv3 as mobilenetv3
import vmodels.segmentation.deeplabv3 as deeplabv3
import vmodels.segmentation.lraspp as lraspp
from vmodels.feature_extraction import get_graph_node_names

torchvision = pytest.importorskip("torchvision")
from torchvision.models import feature_extraction as tv_extraction  # noqa: E402
from torchvision.models import mobilenetv3 as tv_mobilenetv3  # noqa: E402

# Builder, then the keyword arguments given to both sides.
CASES = [
    (mobilenetv3.mobilenet_v3_large, {}),
    (mobilenetv3.mobilenet_v3_large, {"width_mult": 0.75, "num_classes": 10}),
    (mobilenetv3.mobilenet_v3_large, {"reduced_tail": True, "dilated": True}),
    (mobilenetv3.mobilenet_v3_small, {}),
    (mobilenetv3.mobilenet_v3_small, {"width_mult": 1.25, "reduced_tail": True}),
    (lraspp.lraspp_mobilenet_v3_large, {}),
    (lraspp.lraspp_mobilenet_v3_large, {"num_classes": 5}),
    (deeplabv3.deeplabv3_mobilenet_v3_large, {"aux_loss": True}),
    (deeplabv3.deeplabv3_mobilenet_v3_large, {"aux_loss": False, "num_classes": 5}),
]
SEGMENTATION = {"lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"}


def _theirs(name: str, **kwargs) -> torch.nn.Module:
    if name in SEGMENTATION:
        kwargs["weights_backbone"] = None
    return torchvision.models.get_model(name, weights=None, **kwargs)


@pytest.mark.parametrize("arch", ["mobilenet_v3_large", "mobilenet_v3_small"])
@pytest.mark.parametrize(
    "kwargs", [{}, {"width_mult": 0.5}, {"reduced_tail": True, "dilated": True, "width_mult": 1.5}]
)
def test_block_configuration_equals_torchvision(arch, kwargs):
    ours, our_last = mobilenetv3.mobilenet_v3_config(arch, **kwargs)
    theirs, their_last = tv_mobilenetv3._mobilenet_v3_conf(arch, **kwargs)
    assert our_last == their_last
    assert [vars(c) for c in ours] == [vars(c) for c in theirs]


@pytest.mark.parametrize(("builder", "kwargs"), CASES, ids=[f"{b.__name__}{k}" for b, k in CASES])
def test_state_dict_names_and_shapes_equal_torchvision(builder, kwargs):
    with torch.device("meta"):
        ours = builder(**kwargs)
        theirs = _theirs(builder.__name__, **kwargs)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


def _pair(builder, kwargs: dict) -> tuple[torch.nn.Module, torch.nn.Module]:
    """torchvision's randomly initialised model (random norm statistics) and ours holding its
    state dict, built on the meta device and materialised empty, both in eval mode."""
    torch.manual_seed(0)
    theirs = _theirs(builder.__name__, **kwargs).eval()
    randomize_norm_statistics(theirs, torch.Generator().manual_seed(1))
    with torch.device("meta"):
        ours = builder(**kwargs)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours, theirs


@pytest.mark.parametrize(
    ("builder", "kwargs"),
    [
        (mobilenetv3.mobilenet_v3_large, {"num_classes": 10}),
        (mobilenetv3.mobilenet_v3_large, {"reduced_tail": True, "dilated": True}),
        (mobilenetv3.mobilenet_v3_small, {"num_classes": 10, "width_mult": 0.75}),
    ],
    ids=["large", "large-reduced-dilated", "small-0.75"],
)
def test_torchvision_state_dict_loads_strictly_and_gives_same_logits(builder, kwargs):
    ours, theirs = _pair(builder, kwargs)
    image = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0


@pytest.mark.parametrize(
    ("builder", "kwargs", "keys"),
    [
        (lraspp.lraspp_mobilenet_v3_large, {"num_classes": 3}, ["out"]),
        (
            deeplabv3.deeplabv3_mobilenet_v3_large,
            {"num_classes": 3, "aux_loss": True},
            ["out", "aux"],
        ),
    ],
    ids=["lraspp", "deeplabv3"],
)
def test_segmentation_state_dict_loads_strictly_and_gives_same_output(builder, kwargs, keys):
    ours, theirs = _pair(builder, kwargs)
    image = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected, actual = theirs(image), ours(image)
    assert list(actual) == list(expected) == keys
    for key in keys:
        torch.testing.assert_close(actual[key], expected[key])
        assert expected[key].std() > 0


@pytest.mark.parametrize(
    "builder", [mobilenetv3.mobilenet_v3_large, lraspp.lraspp_mobilenet_v3_large]
)
def test_graph_node_names_equal_torchvision(builder):
    ours, theirs = _pair(builder, {})
    expected = tv_extraction.get_graph_node_names(theirs, suppress_diff_warning=True)
    assert get_graph_node_names(ours, suppress_diff_warning=True) == expected
