"""ResNet, ResNeXt and Wide ResNet: sizes, shapes, dilation, init, scripting, arguments."""

import pytest
import torch
from torch import nn

from vmodels._registry import get_model, list_models
from vmodels.classification.resnet import BasicBlock, Bottleneck, ResNet

# Published parameter counts of the ImageNet models (num_classes=1000).
PARAMETER_COUNTS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "resnext50_32x4d": 25_028_904,
    "resnext101_32x8d": 88_791_336,
    "wide_resnet50_2": 68_883_240,
    "wide_resnet101_2": 126_886_696,
}
SMALL_MODELS = ["resnet18", "resnet34", "resnet50", "resnext50_32x4d"]


@pytest.fixture
def image() -> torch.Tensor:
    return torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def _feature_map_shape(model: nn.Module, image: torch.Tensor) -> list[int]:
    """Shape of layer4's output, as the average pool receives it."""
    seen: list[list[int]] = []
    handle = model.avgpool.register_forward_pre_hook(
        lambda _, args: seen.append(list(args[0].shape))
    )
    with torch.no_grad():
        model(image)
    handle.remove()
    return seen[0]


def test_every_resnet_is_registered_as_classification_model():
    assert set(PARAMETER_COUNTS) <= set(list_models(task="classification"))
    assert set(list_models(task="classification", pattern="*resne*t*")) >= set(PARAMETER_COUNTS)


@pytest.mark.parametrize("name", sorted(PARAMETER_COUNTS))
def test_parameter_count_matches_published_model(name):
    with torch.device("meta"):
        model = get_model(name)
    assert sum(p.numel() for p in model.parameters()) == PARAMETER_COUNTS[name]


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_output_is_logits_per_class(name, image):
    model = get_model(name, num_classes=10).eval()
    with torch.no_grad():
        out = model(image.expand(2, -1, -1, -1))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()
    assert _feature_map_shape(model, image)[2:] == [2, 2]  # output stride 32


@pytest.mark.parametrize(
    ("dilate", "size", "layer4_dilation"),
    [([False, False, True], 4, 2), ([False, True, True], 8, 4)],
)
def test_replace_stride_with_dilation_reduces_output_stride(dilate, size, layer4_dilation, image):
    model = ResNet(Bottleneck, [1, 1, 1, 2], num_classes=10, replace_stride_with_dilation=dilate)
    assert _feature_map_shape(model.eval(), image) == [1, 2048, size, size]
    # the stage's first block keeps the previous dilation, the next ones take the new one
    assert model.layer4[0].conv2.dilation == (layer4_dilation // 2,) * 2
    assert model.layer4[1].conv2.dilation == (layer4_dilation,) * 2
    assert model.layer4[0].conv2.stride == (1, 1)


def test_dilated_resnet50_keeps_its_parameter_count():
    with torch.device("meta"):
        model = get_model("resnet50", replace_stride_with_dilation=[False, True, True])
    assert sum(p.numel() for p in model.parameters()) == PARAMETER_COUNTS["resnet50"]


@pytest.mark.parametrize(
    ("block", "last_norm"), [(BasicBlock, "bn2"), (Bottleneck, "bn3")], ids=["basic", "bottleneck"]
)
def test_zero_init_residual_zeroes_last_norm_of_every_block(block, last_norm):
    model = ResNet(block, [1, 2, 1, 1], zero_init_residual=True)
    blocks = [m for m in model.modules() if isinstance(m, block)]
    assert len(blocks) == 5
    for b in blocks:
        assert torch.count_nonzero(getattr(b, last_norm).weight) == 0
        assert torch.equal(b.bn1.weight, torch.ones_like(b.bn1.weight))
    default = ResNet(block, [1, 1, 1, 1])
    assert all(
        torch.equal(getattr(b, last_norm).weight, torch.ones_like(getattr(b, last_norm).weight))
        for b in default.modules()
        if isinstance(b, block)
    )


def test_zero_init_residual_makes_identity_blocks(image):
    model = ResNet(Bottleneck, [1, 2, 1, 1], zero_init_residual=True).eval()
    block = model.layer2[1]  # no downsample: a zeroed residual branch leaves relu(x) = x
    x = torch.relu(torch.randn(1, 512, 8, 8))
    with torch.no_grad():
        assert torch.equal(block(x), x)


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(
    "build",
    [
        lambda: get_model("resnet18", num_classes=10),
        lambda: ResNet(
            Bottleneck,
            [1, 1, 1, 1],
            num_classes=10,
            groups=2,
            width_per_group=8,
            replace_stride_with_dilation=[False, True, True],
        ),
    ],
    ids=["resnet18", "dilated-grouped-bottleneck"],
)
def test_scripted_model_matches_eager(build, image):
    model = build().eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        torch.testing.assert_close(scripted(image), model(image), rtol=0, atol=0)


def test_norm_layer_replaces_every_batch_norm(image):
    model = ResNet(
        BasicBlock, [1, 1, 1, 1], num_classes=10, norm_layer=lambda c: nn.GroupNorm(8, c)
    )
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert sum(isinstance(m, nn.GroupNorm) for m in model.modules()) == 1 + 4 * 2 + 3
    assert model(image).shape == (1, 10)


def test_weights_from_local_file_round_trip(tmp_path, image):
    source = get_model("resnet18", num_classes=10).eval()
    path = tmp_path / "resnet18.pth"
    torch.save(source.state_dict(), path)
    loaded = get_model("resnet18", num_classes=10, weights=path).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(image), source(image), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"replace_stride_with_dilation": [False, True]}, "list of 3 bools"),
        ({"replace_stride_with_dilation": [0, 1, 1]}, "list of 3 bools"),
        ({"replace_stride_with_dilation": "ftt"}, "list of 3 bools"),
        ({"num_classes": 0}, "num_classes must be a positive int, got 0"),
        ({"groups": 0}, "groups must be a positive int, got 0"),
        ({"width_per_group": -4}, "width_per_group must be a positive int, got -4"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResNet(Bottleneck, [1, 1, 1, 1], **kwargs)


@pytest.mark.parametrize("layers", [[1, 1, 1], [1, 1, 0, 1], [1, 1, 1, 1, 1]])
def test_bad_layers_raise_value_error(layers):
    with pytest.raises(ValueError, match="layers must be 4 positive ints"):
        ResNet(Bottleneck, layers)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"groups": 2}, "BasicBlock supports only groups=1 and width_per_group=64"),
        ({"width_per_group": 128}, "BasicBlock supports only groups=1 and width_per_group=64"),
        ({"replace_stride_with_dilation": [False, False, True]}, "BasicBlock supports only dila"),
    ],
)
def test_basic_block_rejects_bottleneck_only_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        get_model("resnet18", **kwargs)
