"""FeaturePyramidNetwork and its extra blocks: top-down sums, layout of parameters, scripting."""

import math
from collections import OrderedDict

import pytest
import torch
from torch import nn

from vops import ExtraFPNBlock, FeaturePyramidNetwork, LastLevelMaxPool, LastLevelP6P7


@pytest.fixture
def features():
    generator = torch.Generator().manual_seed(0)
    # Keys deliberately out of alphabetical order: outputs must follow the input order.
    return OrderedDict(
        [
            ("fine", torch.randn(2, 2, 8, 8, generator=generator)),
            ("mid", torch.randn(2, 3, 4, 4, generator=generator)),
            ("coarse", torch.randn(2, 4, 2, 2, generator=generator)),
        ]
    )


def test_outputs_keep_input_keys_order_and_sizes(features):
    fpn = FeaturePyramidNetwork([2, 3, 4], 5)
    out = fpn(features)
    assert isinstance(out, OrderedDict)
    assert list(out) == ["fine", "mid", "coarse"]
    assert [tuple(v.shape) for v in out.values()] == [(2, 5, 8, 8), (2, 5, 4, 4), (2, 5, 2, 2)]


def _set_conv(conv: nn.Conv2d, center: float) -> None:
    """A per-channel identity kernel times ``center`` (channel counts must match)."""
    with torch.no_grad():
        conv.weight.zero_()
        middle = conv.kernel_size[0] // 2
        for c in range(conv.out_channels):
            conv.weight[c, c, middle, middle] = center


def test_top_down_adds_nearest_upsampled_coarser_sums_before_the_3x3():
    fpn = FeaturePyramidNetwork([1, 1, 1], 1)
    for inner, lateral_weight in zip(fpn.inner_blocks, [2.0, 1.0, 1.0], strict=True):
        _set_conv(inner[0], lateral_weight)
    for layer in fpn.layer_blocks:
        _set_conv(layer[0], 3.0)
    c0 = torch.arange(9.0).reshape(1, 1, 3, 3)
    c1 = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    c2 = torch.tensor([[10.0]]).reshape(1, 1, 1, 1)
    out = fpn(OrderedDict([("c0", c0), ("c1", c1), ("c2", c2)]))

    merged2 = torch.tensor([[10.0]])
    merged1 = torch.tensor([[11.0, 12.0], [13.0, 14.0]])
    # 2 x 2 -> 3 x 3 nearest: output row/column i reads input floor(i * 2 / 3) = 0, 0, 1.
    upsampled1 = torch.tensor([[11.0, 11.0, 12.0], [11.0, 11.0, 12.0], [13.0, 13.0, 14.0]])
    merged0 = 2 * c0[0, 0] + upsampled1
    torch.testing.assert_close(out["c2"][0, 0], 3 * merged2)
    torch.testing.assert_close(out["c1"][0, 0], 3 * merged1)
    torch.testing.assert_close(out["c0"][0, 0], 3 * merged0)


def test_parameter_names_follow_torchvision_layout():
    fpn = FeaturePyramidNetwork([2, 3], 4, extra_blocks=LastLevelP6P7(4, 4))
    assert list(fpn.state_dict()) == [
        "inner_blocks.0.0.weight",
        "inner_blocks.0.0.bias",
        "inner_blocks.1.0.weight",
        "inner_blocks.1.0.bias",
        "layer_blocks.0.0.weight",
        "layer_blocks.0.0.bias",
        "layer_blocks.1.0.weight",
        "layer_blocks.1.0.bias",
        "extra_blocks.p6.weight",
        "extra_blocks.p6.bias",
        "extra_blocks.p7.weight",
        "extra_blocks.p7.bias",
    ]


def test_norm_layer_follows_each_conv_which_then_has_no_bias():
    fpn = FeaturePyramidNetwork([2], 4, norm_layer=nn.BatchNorm2d)
    norm_keys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(fpn.state_dict()) == [
        "inner_blocks.0.0.weight",
        *[f"inner_blocks.0.1.{key}" for key in norm_keys],
        "layer_blocks.0.0.weight",
        *[f"layer_blocks.0.1.{key}" for key in norm_keys],
    ]
    assert fpn.layer_blocks[0][0].kernel_size == (3, 3)
    assert fpn.layer_blocks[0][0].padding == (1, 1)


def test_convs_start_kaiming_uniform_with_zero_bias():
    torch.manual_seed(0)
    fpn = FeaturePyramidNetwork([16, 32], 8)
    for conv in [block[0] for block in [*fpn.inner_blocks, *fpn.layer_blocks]]:
        fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
        # kaiming_uniform_ with a=1: U(-b, b), b = sqrt(6 / ((1 + a^2) fan_in)) = sqrt(3 / fan_in)
        bound = math.sqrt(3.0 / fan_in)
        assert conv.weight.abs().max().item() <= bound
        assert conv.weight.abs().max().item() > 0.8 * bound
        assert torch.equal(conv.bias, torch.zeros_like(conv.bias))


def test_last_level_max_pool_appends_every_other_pixel_of_last_output(features):
    fpn = FeaturePyramidNetwork([2, 3, 4], 5, extra_blocks=LastLevelMaxPool())
    out = fpn(features)
    assert list(out) == ["fine", "mid", "coarse", "pool"]
    torch.testing.assert_close(out["pool"], out["coarse"][..., ::2, ::2])


def test_last_level_max_pool_handles_odd_sizes_and_leaves_inputs_alone():
    last = torch.arange(9.0).reshape(1, 1, 3, 3)
    results, names = [last], ["p5"]
    new_results, new_names = LastLevelMaxPool()(results, [last], names)
    assert new_names == ["p5", "pool"]
    assert names == ["p5"] and len(results) == 1
    torch.testing.assert_close(new_results[1], torch.tensor([[[[0.0, 2.0], [6.0, 8.0]]]]))


def test_last_level_p6p7_subsamples_p5_when_channels_match():
    block = LastLevelP6P7(2, 2)
    _set_conv(block.p6, 1.0)
    _set_conv(block.p7, 1.0)
    p5 = torch.randn(1, 2, 8, 8, generator=torch.Generator().manual_seed(1))
    c5 = torch.full((1, 2, 8, 8), 100.0)
    results, names = block([p5], [c5], ["p5"])
    assert names == ["p5", "p6", "p7"]
    # A centred identity kernel with stride 2 and padding 1 reads pixels 0, 2, 4, ...
    torch.testing.assert_close(results[1], p5[..., ::2, ::2])
    torch.testing.assert_close(results[2], p5[..., ::2, ::2].relu()[..., ::2, ::2])


def test_last_level_p6p7_reads_c5_when_channels_differ(features):
    fpn = FeaturePyramidNetwork([2, 3, 4], 6, extra_blocks=LastLevelP6P7(4, 6))
    out = fpn(features)
    assert list(out)[-2:] == ["p6", "p7"]
    assert out["p6"].shape == (2, 6, 1, 1)
    assert out["p7"].shape == (2, 6, 1, 1)
    block = fpn.extra_blocks
    expected = nn.functional.conv2d(
        features["coarse"], block.p6.weight, block.p6.bias, stride=2, padding=1
    )
    torch.testing.assert_close(out["p6"], expected)


def test_extra_block_base_class_must_be_subclassed():
    with pytest.raises(NotImplementedError):
        ExtraFPNBlock()([], [], [])


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize(
    "extra_blocks",
    [None, LastLevelMaxPool(), LastLevelP6P7(4, 5), LastLevelP6P7(5, 5)],
    ids=["none", "maxpool", "p6p7-from-c5", "p6p7-from-p5"],
)
def test_scripted_fpn_matches_eager(features, extra_blocks):
    fpn = FeaturePyramidNetwork([2, 3, 4], 5, extra_blocks=extra_blocks, norm_layer=nn.BatchNorm2d)
    fpn.eval()
    scripted = torch.jit.script(fpn)
    eager, out = fpn(features), scripted(features)
    assert list(out) == list(eager)
    for key in eager:
        torch.testing.assert_close(out[key], eager[key])


def test_loads_checkpoint_from_before_the_sequential_layout(features):
    source = FeaturePyramidNetwork([2, 3, 4], 5)
    old = OrderedDict(
        (key.replace(".0.", ".", 1), value) for key, value in source.state_dict().items()
    )
    assert "inner_blocks.0.weight" in old
    old._metadata = OrderedDict([("", {"version": 1})])
    target = FeaturePyramidNetwork([2, 3, 4], 5)
    target.load_state_dict(old, strict=True)
    for key, value in target(features).items():
        torch.testing.assert_close(value, source(features)[key])


def test_current_checkpoint_with_old_style_key_is_not_renamed():
    state = FeaturePyramidNetwork([2], 5).state_dict()
    state["inner_blocks.0.weight"] = state.pop("inner_blocks.0.0.weight")
    with pytest.raises(RuntimeError, match=r"inner_blocks\.0\.0\.weight"):
        FeaturePyramidNetwork([2], 5).load_state_dict(state, strict=True)


def test_rejects_zero_channels():
    with pytest.raises(ValueError, match=r"got 0 at index 1 of \[2, 0, 4\]"):
        FeaturePyramidNetwork([2, 0, 4], 5)


@pytest.mark.parametrize(
    "args, error, message",
    [
        (([], 5), ValueError, "in_channels_list must hold at least one"),
        (([2], 0), ValueError, "out_channels must be a positive int, got 0"),
        (([2], 5, nn.ReLU()), TypeError, "extra_blocks must be an ExtraFPNBlock or None, got ReLU"),
    ],
)
def test_rejects_bad_configuration(args, error, message):
    with pytest.raises(error, match=message):
        FeaturePyramidNetwork(*args)


def test_p6p7_rejects_non_positive_channels():
    with pytest.raises(ValueError, match="in_channels must be a positive int, got 0"):
        LastLevelP6P7(0, 4)


def test_rejects_wrong_number_of_features(features):
    del features["coarse"]
    with pytest.raises(ValueError, match="x must hold 3 feature maps, one per entry"):
        FeaturePyramidNetwork([2, 3, 4], 5)(features)


def test_rejects_feature_with_wrong_channels(features):
    with pytest.raises(ValueError, match=r"x\['mid'\] must be a Tensor\[N, 7, H, W\]"):
        FeaturePyramidNetwork([2, 7, 4], 5)(features)
