"""VGG, AlexNet, SqueezeNet and DenseNet against torchvision: same state-dict layout, and a
torchvision checkpoint loads strictly and gives the same outputs."""

import pytest
import torch

from vmodels import _registry
from vmodels.classification import alexnet, densenet, squeezenet, vgg  # noqa: F401 (registers)

torchvision = pytest.importorskip("torchvision")

NAMES = [
    *(f"vgg{depth}{bn}" for depth in (11, 13, 16, 19) for bn in ("", "_bn")),
    "alexnet",
    "squeezenet1_0",
    "squeezenet1_1",
    *(f"densenet{depth}" for depth in (121, 161, 169, 201)),
]


def _layout(model: torch.nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(key, tuple(value.shape)) for key, value in model.state_dict().items()]


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_layout_equals_torchvision(name):
    with torch.device("meta"):
        ours = _registry._entries[name].builder()
        theirs = torchvision.models.get_model(name)
    assert _layout(ours) == _layout(theirs)


@pytest.mark.parametrize(
    ("name", "size"),
    [("alexnet", 64), ("squeezenet1_1", 32), ("densenet121", 32), ("vgg11_bn", 32)],
)
def test_torchvision_checkpoint_loads_strictly_and_gives_same_output(name, size):
    torch.manual_seed(0)
    theirs = torchvision.models.get_model(name, num_classes=10)
    # Non-trivial batch-norm statistics, so eval outputs depend on the loaded buffers.
    for key, buffer in theirs.named_buffers():
        if key.endswith(("running_mean", "running_var")):
            buffer.uniform_(0.5, 1.5)
    theirs.eval()
    # Built on meta and given torchvision's tensors, so no big model is allocated twice.
    with torch.device("meta"):
        ours = _registry._entries[name].builder(num_classes=10)
    ours.load_state_dict(theirs.state_dict(), strict=True, assign=True)
    ours.eval()

    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))
