"""vmodels GoogLeNet, Inception v3, MobileNetV2 and ShuffleNetV2 against torchvision's: state
dicts interchange and outputs agree."""

import pytest
import torch
from model_checks import randomize_norm_statistics, state_dict_shapes

from vmodels.classification import googlenet, inception, mobilenetv2, shufflenetv2

torchvision = pytest.importorskip("torchvision")

# Builder, then the keyword arguments given to both sides. torchvision's GoogLeNet and Inception
# v3 are asked for init_weights=False: their default warns, and the initialisation is not compared.
CASES = [
    (googlenet.googlenet, {"aux_logits": True, "init_weights": False}),
    (googlenet.googlenet, {"aux_logits": False, "init_weights": False}),
    (inception.inception_v3, {"aux_logits": True, "init_weights": False}),
    (inception.inception_v3, {"aux_logits": False, "init_weights": False}),
    (mobilenetv2.mobilenet_v2, {}),
    (mobilenetv2.mobilenet_v2, {"width_mult": 0.5}),
    (mobilenetv2.mobilenet_v2, {"width_mult": 1.4, "num_classes": 10}),
    (shufflenetv2.shufflenet_v2_x0_5, {}),
    (shufflenetv2.shufflenet_v2_x1_0, {}),
    (shufflenetv2.shufflenet_v2_x1_5, {}),
    (shufflenetv2.shufflenet_v2_x2_0, {}),
]


@pytest.mark.parametrize(("builder", "kwargs"), CASES, ids=[f"{b.__name__}{k}" for b, k in CASES])
def test_state_dict_names_and_shapes_equal_torchvision(builder, kwargs):
    with torch.device("meta"):
        ours = builder(**kwargs)
        theirs = getattr(torchvision.models, builder.__name__)(weights=None, **kwargs)
    assert list(state_dict_shapes(ours).items()) == list(state_dict_shapes(theirs).items())


@pytest.mark.parametrize(
    ("builder", "kwargs", "size"),
    [
        (mobilenetv2.mobilenet_v2, {}, 64),
        (shufflenetv2.shufflenet_v2_x1_0, {}, 64),
        (googlenet.googlenet, {"init_weights": False}, 64),
        (googlenet.googlenet, {"init_weights": False, "transform_input": True}, 64),
        (inception.inception_v3, {"init_weights": False, "transform_input": True}, 75),
    ],
    ids=["mobilenet_v2", "shufflenet_v2_x1_0", "googlenet", "googlenet-transform", "inception_v3"],
)
def test_torchvision_state_dict_loads_strictly_and_gives_same_output(builder, kwargs, size):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    make_theirs = getattr(torchvision.models, builder.__name__)
    theirs = make_theirs(weights=None, num_classes=10, **kwargs).eval()
    randomize_norm_statistics(theirs, generator)
    # Built on the meta device and materialised empty: every value comes from the load.
    with torch.device("meta"):
        ours = builder(num_classes=10, **kwargs)
    ours = ours.to_empty(device="cpu").eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)

    image = torch.randn(2, 3, size, size, generator=generator)
    with torch.no_grad():
        expected = theirs(image)
        torch.testing.assert_close(ours(image), expected)
    assert expected.std() > 0
