"""One model per family captures as a single graph with torch.compile(fullgraph=True).

Traced on the meta device with the "eager" backend: this checks that dynamo follows the whole
forward without graph breaks, which is what fails when a model is not compile-friendly; the
numerics of a compiled model are checked on a real one in test_registry.py.
"""

import pytest
import torch

import vmodels

FAMILY_REPRESENTATIVES = {
    "alexnet": (1, 3, 64, 64),
    "densenet121": (1, 3, 32, 32),
    "googlenet": (1, 3, 32, 32),
    "inception_v3": (1, 3, 80, 80),
    "mobilenet_v2": (1, 3, 32, 32),
    "mobilenet_v3_small": (1, 3, 32, 32),
    "resnext50_32x4d": (1, 3, 32, 32),
    "shufflenet_v2_x0_5": (1, 3, 32, 32),
    "squeezenet1_1": (1, 3, 32, 32),
    "swin_t": (1, 3, 64, 64),
    "vgg11_bn": (1, 3, 32, 32),
    "convnext_tiny": (1, 3, 32, 32),
    "efficientnet_b0": (1, 3, 32, 32),
    "maxvit_t": (1, 3, 224, 224),
    "mnasnet0_5": (1, 3, 32, 32),
    "regnet_y_400mf": (1, 3, 32, 32),
    "vit_b_32": (1, 3, 224, 224),
    "fcn_resnet50": (1, 3, 32, 32),
    "deeplabv3_resnet50": (1, 3, 32, 32),
    "lraspp_mobilenet_v3_large": (1, 3, 32, 32),
}


@pytest.mark.parametrize(("name", "shape"), FAMILY_REPRESENTATIVES.items())
def test_model_family_compiles_without_graph_breaks(name, shape):
    torch._dynamo.reset()
    with torch.device("meta"):
        model = vmodels.get_model(name).eval()
        compiled = torch.compile(model, backend="eager", fullgraph=True)
        output = compiled(torch.empty(shape))
    logits = output["out"] if isinstance(output, dict) else output
    assert logits.shape[0] == shape[0]
