"""vmodels EfficientNet B0-B7 and V2 S/M/L against torchvision's: state dicts interchange,
outputs agree, and feature extraction sees the same graph."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes

from vmodels.classification import efficientnet
from vmodels.feature_extraction import get_graph_node_names

torchvision = pytest.importorskip("torchvision")

NAMES = [f"efficientnet_b{i}" for i in range(8)] + [
    f"efficientnet_v2_{size}" for size in ("s", "m", "l")
]
# Builder, then the keyword arguments given to both sides.
CASES = [(name, {}) for name in NAMES] + [
    ("efficientnet_b0", {"num_classes": 10, "dropout": 0.5, "stochastic_depth_prob": 0.1}),
    ("efficientnet_v2_s", {"num_classes": 10}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_state_dict_names_and_shapes_equal_torchvision(name, kwargs):
    with torch.device("meta"):
        ours = getattr(efficientnet, name)(**kwargs)
        theirs = getattr(torchvision.models, name)(weights=None, **kwargs)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())
    # Training-time behaviour: the same dropout, stochastic depth and batch-norm settings.
    assert [(type(m).__name__, vars(m).get("p"), vars(m).get("eps")) for m in ours.modules()] == [
        (type(m).__name__, vars(m).get("p"), vars(m).get("eps")) for m in theirs.modules()
    ]


# The largest take 10-20 s each to build, randomize and load on two loaded cores; B5 (with
# TensorFlow's batch norm) and V2-S stay in the quick loop for their variants.
SLOW = {"efficientnet_b6", "efficientnet_b7", "efficientnet_v2_m", "efficientnet_v2_l"}
LOGIT_CASES = [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in NAMES]


@pytest.mark.parametrize("name", LOGIT_CASES)
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(name):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    theirs = getattr(torchvision.models, name)(weights=None, num_classes=10).eval()
    randomize_norm_statistics(theirs, generator)
    # Built on the meta device and materialised empty: every value comes from the load.
    with torch.device("meta"):
        ours = getattr(efficientnet, name)(num_classes=10)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)

    image = torch.randn(2, 3, 32, 32, generator=generator)
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0


def test_graph_node_names_equal_torchvision():
    from torchvision.models.feature_extraction import get_graph_node_names as theirs_names

    with torch.device("meta"):
        ours = efficientnet.efficientnet_b0()
        theirs = torchvision.models.efficientnet_b0()
    for train in (True, False):
        ours.train(train)
        theirs.train(train)
        assert get_graph_node_names(ours) == theirs_names(theirs)
