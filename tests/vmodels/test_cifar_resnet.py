"""The small-image ResNets of He et al. (2015), section 4.2: sizes, shortcuts, shapes, errors."""

import pytest
import torch
from torch import nn

from vmodels._registry import get_model, list_models
from vmodels.classification.cifar_resnet import CifarResNet, ZeroPadShortcut

# Table 6 of the paper: parameters in millions, to two significant figures, with 10 classes.
PUBLISHED_MILLIONS = {
    "cifar_resnet20": 0.27,
    "cifar_resnet32": 0.46,
    "cifar_resnet56": 0.85,
    "cifar_resnet110": 1.7,
}


def test_every_depth_of_the_paper_table_is_registered():
    assert list_models(task="classification", pattern="cifar_resnet*") == sorted(PUBLISHED_MILLIONS)


@pytest.mark.parametrize(("name", "millions"), PUBLISHED_MILLIONS.items())
def test_parameter_count_matches_the_paper(name, millions):
    count = sum(p.numel() for p in get_model(name).parameters())
    assert f"{count / 1e6:.2g}" == f"{millions:.2g}"


def test_resnet20_counts_each_layer_by_hand():
    # stem 3*16*9 + bn 32; per stage of width w with input c: first block 9*c*w + 9*w*w,
    # others 2 * 9*w*w, and 4w of batch norm per block; classifier 64*10 + 10.
    convs = 3 * 16 * 9
    channels = 16
    for width in (16, 32, 64):
        convs += 9 * channels * width + 9 * width * width + 2 * (2 * 9 * width * width)
        channels = width
    norms = 2 * 16 + sum(3 * 4 * width for width in (16, 32, 64))
    assert sum(p.numel() for p in get_model("cifar_resnet20").parameters()) == (
        convs + norms + 64 * 10 + 10
    )


def test_depth_is_six_blocks_per_stage_plus_two():
    model = CifarResNet(32)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == 32  # the classifier is the last weighted layer
    assert [len(stage) for stage in (model.layer1, model.layer2, model.layer3)] == [5, 5, 5]


def test_stages_keep_then_halve_the_map_and_output_logits():
    model = CifarResNet(20, num_classes=7).eval()
    seen = []
    for stage in (model.layer1, model.layer2, model.layer3):
        stage.register_forward_hook(lambda _, __, out: seen.append(tuple(out.shape[1:])))
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 32, 30))
    assert seen == [(16, 32, 30), (32, 16, 15), (64, 8, 8)]
    assert logits.shape == (2, 7)


def test_zero_pad_shortcut_subsamples_and_appends_zero_channels():
    x = torch.arange(2 * 3 * 5 * 4, dtype=torch.float32).reshape(2, 3, 5, 4)
    out = ZeroPadShortcut(2, 4)(x)
    assert out.shape == (2, 7, 3, 2)
    torch.testing.assert_close(out[:, :3], x[:, :, ::2, ::2])
    assert not out[:, 3:].any()


def test_shortcuts_have_no_parameters():
    model = CifarResNet(20)
    shortcuts = [m for m in model.modules() if isinstance(m, ZeroPadShortcut)]
    assert len(shortcuts) == 2
    assert not any(p.numel() for s in shortcuts for p in s.parameters())


def test_learns_a_separable_toy_problem():
    # Bright versus dark images: a few steps of Adam must separate them.
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (32,), generator=generator)
    brightness = (labels * 2 - 1).float()[:, None, None, None]
    images = torch.randn(32, 3, 8, 8, generator=generator) * 0.1 + brightness
    torch.manual_seed(0)
    model = CifarResNet(8, num_classes=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(20):
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        assert (model(images).argmax(1) == labels).all()


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_scripted_model_matches_eager():
    model = CifarResNet(8).eval()
    image = torch.randn(1, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.script(model)(image), model(image))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": 21}, "depth must be 6n \\+ 2"),
        ({"depth": 2}, "depth must be 6n \\+ 2"),
        ({"depth": 20.0}, "depth must be 6n \\+ 2"),
        ({"depth": 20, "num_classes": 0}, "num_classes must be a positive int"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CifarResNet(**kwargs)
