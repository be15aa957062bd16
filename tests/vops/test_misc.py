"""FrozenBatchNorm2d: eval-mode batch norm from fixed buffers, loading BatchNorm2d checkpoints."""

import pytest
import torch
import torch.fx
from torch import nn

from vops import FrozenBatchNorm2d


def _batch_norm_with_statistics(channels: int) -> nn.BatchNorm2d:
    generator = torch.Generator().manual_seed(0)
    bn = nn.BatchNorm2d(channels)
    with torch.no_grad():
        bn.weight.copy_(torch.rand(channels, generator=generator) + 0.5)
        bn.bias.copy_(torch.randn(channels, generator=generator))
        bn.running_mean.copy_(torch.randn(channels, generator=generator))
        bn.running_var.copy_(torch.rand(channels, generator=generator) + 0.1)
    bn.num_batches_tracked.fill_(7)
    return bn.eval()


def test_frozen_batch_norm_hand_computed_value():
    frozen = FrozenBatchNorm2d(1, eps=0.0)
    frozen.weight.fill_(2.0)
    frozen.bias.fill_(1.0)
    frozen.running_mean.fill_(3.0)
    frozen.running_var.fill_(4.0)
    x = torch.tensor([5.0, 3.0, -1.0]).reshape(1, 1, 1, 3)
    # (x - 3) / sqrt(4) * 2 + 1
    expected = torch.tensor([3.0, 1.0, -3.0]).reshape(1, 1, 1, 3)
    torch.testing.assert_close(frozen(x), expected)


def test_frozen_batch_norm_loads_batch_norm_state_dict_and_matches_eval_mode():
    bn = _batch_norm_with_statistics(3)
    assert "num_batches_tracked" in bn.state_dict()
    frozen = FrozenBatchNorm2d(3)
    frozen.load_state_dict(bn.state_dict(), strict=True)
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(frozen(x), bn(x))


def test_frozen_batch_norm_drops_num_batches_tracked_under_a_prefix():
    source = nn.Sequential(nn.Identity(), _batch_norm_with_statistics(2))
    target = nn.Sequential(nn.Identity(), FrozenBatchNorm2d(2))
    target.load_state_dict(source.state_dict(), strict=True)
    torch.testing.assert_close(target[1].running_var, source[1].running_var)


def test_frozen_batch_norm_still_reports_missing_buffers():
    state = _batch_norm_with_statistics(2).state_dict()
    del state["running_var"]
    with pytest.raises(RuntimeError, match="running_var"):
        FrozenBatchNorm2d(2).load_state_dict(state, strict=True)


def test_frozen_batch_norm_holds_only_buffers_with_batch_norm_names():
    frozen = FrozenBatchNorm2d(4)
    assert list(frozen.parameters()) == []
    assert set(frozen.state_dict()) == {"weight", "bias", "running_mean", "running_var"}


def test_frozen_batch_norm_defaults_only_divide_by_sqrt_one_plus_eps():
    frozen = FrozenBatchNorm2d(2, eps=0.25)
    x = torch.randn(1, 2, 3, 3, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(frozen(x), x / 1.25**0.5)


def test_frozen_batch_norm_repr_shows_features_and_eps():
    assert repr(FrozenBatchNorm2d(4)) == "FrozenBatchNorm2d(4, eps=1e-05)"
    assert repr(FrozenBatchNorm2d(8, eps=0.001)) == "FrozenBatchNorm2d(8, eps=0.001)"


@pytest.mark.parametrize("shape", [(1, 2, 4, 4), (3, 4, 4), (1, 3, 4, 4, 4)])
def test_frozen_batch_norm_rejects_input_that_is_not_n_c_h_w_with_c_channels(shape):
    match = rf"C = num_features = 3, got Tensor\[{', '.join(map(str, shape))}\]"
    with pytest.raises(ValueError, match=match):
        FrozenBatchNorm2d(3)(torch.zeros(shape))
    # torchvision's broadcasting failure for the same mistake is a RuntimeError.
    with pytest.raises(RuntimeError):
        FrozenBatchNorm2d(3)(torch.zeros(shape))


@pytest.mark.parametrize("num_features", [0, -2])
def test_frozen_batch_norm_rejects_non_positive_num_features(num_features):
    with pytest.raises(
        ValueError, match=f"num_features must be a positive int, got {num_features}"
    ):
        FrozenBatchNorm2d(num_features)


def test_frozen_batch_norm_fx_traces_with_its_input_check_as_a_leaf():
    bn = _batch_norm_with_statistics(3)
    frozen = FrozenBatchNorm2d(3)
    frozen.load_state_dict(bn.state_dict())
    traced = torch.fx.symbolic_trace(nn.Sequential(frozen))
    x = torch.randn(2, 3, 2, 2, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(traced(x), bn(x))
    with pytest.raises(ValueError, match="num_features = 3"):
        traced(torch.zeros(2, 4, 2, 2))


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_frozen_batch_norm_scripted_matches_batch_norm():
    bn = _batch_norm_with_statistics(3)
    frozen = FrozenBatchNorm2d(3)
    frozen.load_state_dict(bn.state_dict())
    scripted = torch.jit.script(frozen)
    x = torch.randn(1, 3, 2, 2, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(scripted(x), bn(x))
