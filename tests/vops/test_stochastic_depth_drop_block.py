"""Stochastic depth and DropBlock against independent references: what survives, how it is
rescaled, keep-probability statistics under a fixed seed, block shapes, argument errors, and
that eval mode is the identity."""

import math

import pytest
import torch
import torch.fx
from torch import nn

from vops import (
    DropBlock2d,
    DropBlock3d,
    StochasticDepth,
    drop_block2d,
    drop_block3d,
    stochastic_depth,
)


def _seeded(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------------------- stochastic depth


@pytest.mark.parametrize(
    "p, mode, training", [(0.5, "row", False), (0.0, "row", True), (0.0, "batch", True)]
)
def test_stochastic_depth_is_the_identity_in_eval_mode_or_at_p_zero(p, mode, training):
    x = _seeded(3, 2, 2)
    assert stochastic_depth(x, p, mode, training) is x


def test_stochastic_depth_module_is_the_identity_in_eval_mode():
    x = _seeded(3, 2, 2)
    assert StochasticDepth(0.9, "row").eval()(x) is x


def test_stochastic_depth_row_mode_keeps_or_zeroes_whole_rows_scaled_by_survival():
    torch.manual_seed(0)
    x = _seeded(64, 3, 2, 2) + 5  # no zero entries of its own
    y = stochastic_depth(x, 0.25, "row")
    for row_in, row_out in zip(x, y, strict=True):
        if row_out.eq(0).any():
            assert row_out.eq(0).all()
        else:
            torch.testing.assert_close(row_out, row_in / 0.75)
    kept = y.flatten(1).ne(0).all(dim=1)
    assert 0 < kept.sum() < 64


def test_stochastic_depth_batch_mode_keeps_or_zeroes_the_whole_input():
    torch.manual_seed(1)
    x = _seeded(4, 3) + 5
    outcomes = set()
    for _ in range(40):
        y = stochastic_depth(x, 0.5, "batch")
        if y.eq(0).all():
            outcomes.add("dropped")
        else:
            torch.testing.assert_close(y, x / 0.5)
            outcomes.add("kept")
    assert outcomes == {"dropped", "kept"}


@pytest.mark.parametrize("p", [0.1, 0.4, 0.8])
def test_stochastic_depth_row_keep_rate_is_one_minus_p_and_mean_is_preserved(p):
    torch.manual_seed(2)
    rows = 20000
    y = stochastic_depth(torch.ones(rows, 2), p, "row")
    keep_rate = y[:, 0].ne(0).double().mean().item()
    # A binomial standard deviation is sqrt(p (1 - p) / rows) <= 0.0036: 0.015 is over 4 of them.
    assert abs(keep_rate - (1 - p)) < 0.015
    assert abs(y.double().mean().item() - 1.0) < 0.015 / (1 - p)


def test_stochastic_depth_batch_keep_rate_is_one_minus_p():
    torch.manual_seed(3)
    draws = [stochastic_depth(torch.ones(2, 2), 0.3, "batch")[0, 0].item() for _ in range(4000)]
    keep_rate = sum(d != 0 for d in draws) / len(draws)
    assert abs(keep_rate - 0.7) < 0.03  # 4 binomial standard deviations (0.0072)
    assert sorted(set(draws)) == pytest.approx([0.0, 1 / 0.7])


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_at_p_one_drops_everything_without_dividing_by_zero(mode):
    y = stochastic_depth(_seeded(5, 3), 1.0, mode)
    assert torch.equal(y, torch.zeros(5, 3))


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_stochastic_depth_keeps_shape_and_dtype(dtype):
    x = _seeded(4, 3, 2).to(dtype)
    y = stochastic_depth(x, 0.5, "row")
    assert y.shape == x.shape and y.dtype == dtype


@pytest.mark.parametrize(
    "p, mode, match",
    [
        (-0.1, "row", r"p must be a drop probability between 0 and 1, got -0.1"),
        (1.5, "batch", r"got 1.5"),
        (math.nan, "row", r"got nan"),
        (0.5, "col", r"mode must be 'batch' or 'row', got 'col'"),
    ],
)
def test_stochastic_depth_rejects_bad_p_or_mode_even_in_eval_mode(p, mode, match):
    for training in [True, False]:
        with pytest.raises(ValueError, match=match):
            stochastic_depth(torch.ones(2, 2), p, mode, training)
    with pytest.raises(ValueError, match=match):
        StochasticDepth(p, mode)
    with pytest.raises(RuntimeError):
        StochasticDepth(p, mode)


def test_stochastic_depth_repr_shows_p_and_mode():
    assert repr(StochasticDepth(0.2, "row")) == "StochasticDepth(p=0.2, mode=row)"


# --------------------------------------------------------------------------------- drop block


def _keep_mask_is_a_union_of_blocks(zero: torch.Tensor, block_size: int) -> bool:
    """Whether the zero entries of each map are exactly the union of the all-zero windows of
    side ``block_size`` that lie inside the map (checked window by window)."""
    spatial = zero.shape[2:]
    covered = torch.zeros_like(zero)
    for corner in torch.cartesian_prod(*[torch.arange(s - block_size + 1) for s in spatial]):
        corner = corner.reshape(-1).tolist()
        window = (..., *(slice(c, c + block_size) for c in corner))
        full = zero[window].flatten(2).all(dim=2)
        covered[window] |= full.reshape(full.shape + (1,) * len(spatial))
    return torch.equal(covered, zero)


@pytest.mark.parametrize(
    "fn, shape", [(drop_block2d, (2, 3, 5, 5)), (drop_block3d, (1, 2, 3, 3, 3))]
)
@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True)])
def test_drop_block_is_the_identity_in_eval_mode_or_at_p_zero(fn, shape, p, training):
    x = _seeded(*shape)
    assert fn(x, p, 3, training=training) is x


@pytest.mark.parametrize("module", [DropBlock2d(0.5, 3), DropBlock3d(0.5, 3)])
def test_drop_block_modules_are_the_identity_in_eval_mode(module):
    x = _seeded(1, 1, 3, 3, 3) if isinstance(module, DropBlock3d) else _seeded(1, 1, 3, 3)
    assert module.eval()(x) is x


DEVICES = [
    "cpu",
    pytest.param(
        "cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
    ),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("block_size, seed", [(3, 0), (5, 1), (1, 2)])
def test_drop_block2d_zeroes_whole_blocks_inside_the_map(block_size, seed, device):
    torch.manual_seed(seed)
    y = drop_block2d(torch.ones(2, 3, 9, 11, device=device), 0.4, block_size)
    zero = y.eq(0).cpu()
    assert zero.any() and not zero.all()
    assert _keep_mask_is_a_union_of_blocks(zero, block_size)


@pytest.mark.parametrize("device", DEVICES)
def test_drop_block3d_zeroes_whole_cubes_inside_the_volume(device):
    torch.manual_seed(3)
    y = drop_block3d(torch.ones(2, 2, 5, 6, 7, device=device), 0.4, 3)
    zero = y.eq(0).cpu()
    assert zero.any() and not zero.all()
    assert _keep_mask_is_a_union_of_blocks(zero, 3)


@pytest.mark.parametrize("block_size", [1, 3, 5])
@pytest.mark.parametrize(
    "fn, shape", [(drop_block2d, (2, 3, 9, 11)), (drop_block3d, (1, 2, 5, 6, 7))]
)
def test_drop_block_keeps_the_input_shape_on_the_meta_device(fn, shape, block_size):
    y = fn(torch.ones(shape, device="meta"), 0.3, block_size)
    assert y.shape == shape and y.device.type == "meta"


@pytest.mark.parametrize("eps", [1e-6, 50.0])
def test_drop_block_scales_kept_units_by_count_over_kept_count_plus_eps(eps):
    torch.manual_seed(4)
    x = _seeded(2, 2, 8, 8) + 10
    y = drop_block2d(x, 0.3, 3, eps=eps)
    kept = y.ne(0)
    scale = x.numel() / (eps + kept.sum().item())
    torch.testing.assert_close(y, x * kept * scale)


def test_drop_block_preserves_the_sum_of_a_constant_input():
    torch.manual_seed(5)
    y = drop_block2d(torch.ones(4, 4, 10, 10), 0.2, 3)
    assert y.sum().item() == pytest.approx(y.numel(), rel=1e-5)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_drop_block_rescales_correctly_past_the_float16_range(dtype):
    # 4 * 64 * 32 * 32 = 262144 units: more kept units than float16 can count.
    torch.manual_seed(10)
    y = drop_block2d(torch.ones(4, 64, 32, 32, dtype=dtype), 0.1, 3)
    assert y.dtype == dtype
    kept = y.ne(0).sum().item()
    torch.testing.assert_close(y.double().max().item(), y.numel() / kept, rtol=1e-2, atol=0)
    assert y.double().mean().item() == pytest.approx(1.0, rel=1e-2)


def _expected_keep_fraction(sizes: tuple[int, ...], block_size: int, p: float) -> float:
    """Probability that a unit survives, averaged over the map: a unit is dropped when any of
    the block centres covering it is drawn, each with probability gamma."""
    seed_positions = math.prod(s - block_size + 1 for s in sizes)
    gamma = p * math.prod(sizes) / (block_size ** len(sizes) * seed_positions)
    total = 0.0
    for index in torch.cartesian_prod(*[torch.arange(s) for s in sizes]).reshape(-1, len(sizes)):
        covering = 1
        for i, s in zip(index.tolist(), sizes, strict=True):
            covering *= min(i, s - block_size) - max(0, i - block_size + 1) + 1
        total += (1 - gamma) ** covering
    return total / math.prod(sizes)


@pytest.mark.parametrize(
    "fn, sizes, block_size, p, tolerance",
    [
        # Tolerances are about 4 standard deviations of the kept fraction over these maps.
        (drop_block2d, (16, 16), 3, 0.2, 0.012),
        (drop_block2d, (12, 9), 5, 0.3, 0.03),
        (drop_block3d, (6, 7, 8), 3, 0.25, 0.02),
    ],
)
def test_drop_block_keep_fraction_matches_the_block_centre_probability(
    fn, sizes, block_size, p, tolerance
):
    torch.manual_seed(6)
    y = fn(torch.ones((16, 16, *sizes)), p, block_size)
    kept = y.ne(0).double().mean().item()
    assert abs(kept - _expected_keep_fraction(sizes, block_size, p)) < tolerance


def test_drop_block_clips_block_size_to_the_map_and_drops_it_whole_at_p_one():
    # block_size 5 is clipped to 3 on a 3 x 3 map: one centre, drawn with probability 1.
    y = drop_block2d(torch.ones(1, 2, 3, 3), 1.0, 5)
    assert torch.equal(y, torch.zeros(1, 2, 3, 3))


def test_drop_block_inplace_multiplies_and_returns_the_input():
    torch.manual_seed(7)
    x = torch.ones(2, 2, 8, 8)
    torch.manual_seed(7)
    expected = drop_block2d(x.clone(), 0.3, 3)
    torch.manual_seed(7)
    y = drop_block2d(x, 0.3, 3, inplace=True)
    assert y is x
    torch.testing.assert_close(x, expected)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: drop_block2d(torch.ones(1, 1, 5, 5), 1.2, 3), r"p must be .* got 1.2"),
        (lambda: drop_block2d(torch.ones(1, 1, 5, 5), -0.5, 3), r"got -0.5"),
        (lambda: drop_block2d(torch.ones(1, 5, 5), 0.1, 3), r"C, H, W\], got Tensor\[1, 5, 5\]"),
        (lambda: drop_block3d(torch.ones(1, 1, 5, 5), 0.1, 3), r"Tensor\[N, C, D, H, W\], got"),
        (lambda: drop_block2d(torch.ones(1, 1, 8, 8), 0.1, 4), r"block_size must be odd, got 4"),
        (lambda: drop_block2d(torch.ones(1, 1, 4, 9), 0.1, 5), r"odd, got 4 \(after clipping"),
        (lambda: drop_block3d(torch.ones(1, 1, 6, 8, 8), 0.1, 7), r"odd, got 6"),
        (lambda: drop_block2d(torch.ones(1, 1, 5, 5), 0.1, 0), r"block_size must be a positive"),
        (lambda: drop_block2d(torch.ones(1, 1, 5, 5), 0.1, -3), r"positive odd int, got -3"),
        (lambda: DropBlock2d(1.5, 3), r"p must be .* got 1.5"),
        (lambda: DropBlock3d(0.1, 0), r"block_size must be a positive odd int, got 0"),
    ],
)  # fmt: skip
def test_drop_block_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
    with pytest.raises(RuntimeError):
        call()


def test_drop_block_accepts_an_even_block_size_that_clips_to_odd():
    torch.manual_seed(8)
    y = drop_block2d(torch.ones(1, 1, 3, 3), 0.5, 4)  # clipped to 3
    assert y.eq(0).all() or y.ne(0).all()


def test_drop_block_reprs_show_p_block_size_and_inplace():
    assert repr(DropBlock2d(0.1, 3)) == "DropBlock2d(p=0.1, block_size=3, inplace=False)"
    assert repr(DropBlock3d(0.2, 5, True)) == "DropBlock3d(p=0.2, block_size=5, inplace=True)"


# ------------------------------------------------------------------------------ script and fx


REGULARIZERS = {
    "stochastic-depth-row": (lambda: StochasticDepth(0.3, "row"), (8, 3, 4, 4)),
    "stochastic-depth-batch": (lambda: StochasticDepth(0.5, "batch"), (2, 3)),
    "drop-block-2d": (lambda: DropBlock2d(0.3, 3), (2, 3, 7, 7)),
    "drop-block-3d": (lambda: DropBlock3d(0.3, 3), (2, 2, 4, 5, 6)),
}


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("name", list(REGULARIZERS))
def test_regularizers_script_and_fx_trace_draw_as_eager_does(name):
    build, shape = REGULARIZERS[name]
    model = nn.Sequential(nn.Identity(), build())
    x = _seeded(*shape) + 5
    torch.manual_seed(9)
    expected = model(x)
    assert expected.eq(0).any() or name == "stochastic-depth-batch"
    scripted = torch.jit.script(model)
    for training in [True, False]:
        model.train(training)
        scripted.train(training)
        # fx records self.training as a constant, so each mode gets its own trace.
        for converted in [scripted, torch.fx.symbolic_trace(model)]:
            torch.manual_seed(9)
            torch.testing.assert_close(converted(x), expected if training else x)


def test_regularizer_functions_are_leaves_of_an_fx_graph():
    traced = torch.fx.symbolic_trace(
        nn.Sequential(StochasticDepth(0.1, "row"), DropBlock2d(0.1, 3))
    )
    targets = [node.target for node in traced.graph.nodes if node.op == "call_function"]
    assert targets == [stochastic_depth, drop_block2d]
