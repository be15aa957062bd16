"""sigmoid_focal_loss against a per-element Python reference and hand-computed cases."""

import math

import pytest
import torch
from torch import Tensor

import vops


def focal_of(logit: float, target: float, alpha: float, gamma: float) -> float:
    """The RetinaNet focal loss of one logit, in Python floats (a stable log-sigmoid)."""
    p = 1 / (1 + math.exp(-logit)) if logit >= 0 else math.exp(logit) / (1 + math.exp(logit))
    log_p = -math.log1p(math.exp(-abs(logit))) + min(logit, 0.0)
    log_not_p = log_p - logit
    ce = -(target * log_p + (1 - target) * log_not_p)
    p_t = p * target + (1 - p) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss *= alpha * target + (1 - alpha) * (1 - target)
    return loss


def reference(inputs: Tensor, targets: Tensor, alpha: float, gamma: float) -> Tensor:
    values = [
        focal_of(x, t, alpha, gamma)
        for x, t in zip(
            inputs.double().flatten().tolist(), targets.double().flatten().tolist(), strict=True
        )
    ]
    return torch.tensor(values, dtype=torch.float64).reshape(inputs.shape)


def logits_and_labels(
    shape: tuple[int, ...], seed: int, dtype=torch.float64
) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(shape, generator=g, dtype=torch.float64) * 3
    targets = (torch.rand(shape, generator=g) < 0.3).to(torch.float64)
    return inputs.to(dtype), targets.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2), (-1, 2), (0.0, 0), (1.0, 1.5), (0.6, 3)])
def test_focal_loss_matches_per_element_reference(alpha, gamma, dtype):
    inputs, targets = logits_and_labels((4, 9), seed=1, dtype=dtype)
    result = vops.sigmoid_focal_loss(inputs, targets, alpha=alpha, gamma=gamma)
    assert result.shape == (4, 9) and result.dtype == dtype
    torch.testing.assert_close(result, reference(inputs, targets, alpha, gamma).to(dtype))


def test_soft_targets_follow_the_same_formula():
    inputs, _ = logits_and_labels((20,), seed=2)
    targets = torch.rand(20, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    torch.testing.assert_close(
        vops.sigmoid_focal_loss(inputs, targets), reference(inputs, targets, 0.25, 2)
    )


def test_focal_loss_by_hand():
    # Logit 0: p = 1/2, cross-entropy log 2, (1 - p_t)^2 = 1/4; alpha 0.25 for the positive,
    # 0.75 for the negative.
    inputs = torch.zeros(2, dtype=torch.float64)
    targets = torch.tensor([1.0, 0.0], dtype=torch.float64)
    expected = torch.tensor([0.25, 0.75], dtype=torch.float64) * math.log(2) / 4
    torch.testing.assert_close(vops.sigmoid_focal_loss(inputs, targets), expected)


def test_confident_logits_stay_finite_and_accurate():
    inputs = torch.tensor([-60.0, -20.0, 20.0, 60.0])
    targets = torch.tensor([1.0, 0.0, 1.0, 0.0])
    result = vops.sigmoid_focal_loss(inputs, targets, alpha=-1)
    assert torch.isfinite(result).all()
    torch.testing.assert_close(result, reference(inputs, targets, -1, 2).float())


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_reductions_of_the_focal_loss(reduction):
    inputs, targets = logits_and_labels((3, 5), seed=4)
    per_element = reference(inputs, targets, 0.25, 2)
    expected = {"none": per_element, "mean": per_element.mean(), "sum": per_element.sum()}
    torch.testing.assert_close(
        vops.sigmoid_focal_loss(inputs, targets, reduction=reduction), expected[reduction]
    )


def test_mean_of_no_elements_is_nan_and_sum_is_zero():
    empty = torch.zeros(0)
    assert torch.isnan(vops.sigmoid_focal_loss(empty, empty, reduction="mean"))
    assert vops.sigmoid_focal_loss(empty, empty, reduction="sum").item() == 0


@pytest.mark.parametrize(
    ("input_dtype", "target_dtype", "result_dtype"),
    [
        (torch.float16, torch.float16, torch.float16),
        (torch.float32, torch.float64, torch.float64),
        (torch.float64, torch.float32, torch.float64),
    ],
)
def test_focal_loss_computes_in_the_promoted_dtype(input_dtype, target_dtype, result_dtype):
    inputs, targets = logits_and_labels((10,), seed=5)
    inputs, targets = inputs.to(input_dtype), targets.to(target_dtype)
    result = vops.sigmoid_focal_loss(inputs, targets)
    assert result.dtype == result_dtype
    torch.testing.assert_close(result, reference(inputs, targets, 0.25, 2).to(result_dtype))


@pytest.mark.parametrize("gamma", [0, 1.5, 2])
def test_focal_loss_gradients_match_finite_differences(gamma):
    inputs, _ = logits_and_labels((12,), seed=6)
    targets = torch.rand(12, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    inputs.requires_grad_()
    targets.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x, t: vops.sigmoid_focal_loss(x, t, gamma=gamma, reduction="sum"), (inputs, targets)
    )


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_focal_loss_scripts_and_gives_the_eager_result():
    scripted = torch.jit.script(vops.sigmoid_focal_loss)
    inputs, targets = logits_and_labels((6,), seed=8)
    for alpha, reduction in ((0.25, "none"), (-1.0, "mean"), (0.5, "sum")):
        torch.testing.assert_close(
            scripted(inputs, targets, alpha, 2.0, reduction),
            vops.sigmoid_focal_loss(inputs, targets, alpha=alpha, reduction=reduction),
        )


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [-0.5, 1.5, 2.0])
def test_alpha_outside_unit_interval_and_not_minus_one_raises_value_error(alpha):
    inputs, targets = logits_and_labels((3,), seed=9)
    with pytest.raises(ValueError, match=rf"alpha must be in \[0, 1\], or -1 .*got {alpha}"):
        vops.sigmoid_focal_loss(inputs, targets, alpha=alpha)


def test_unknown_reduction_raises_value_error_naming_reduction():
    inputs, targets = logits_and_labels((3,), seed=10)
    with pytest.raises(ValueError, match="reduction must be 'none', 'mean' or 'sum', got 'max'"):
        vops.sigmoid_focal_loss(inputs, targets, reduction="max")


def test_targets_of_another_shape_raise_value_error():
    with pytest.raises(ValueError, match=r"targets must have the shape of inputs, Tensor\[5\]"):
        vops.sigmoid_focal_loss(torch.zeros(5), torch.zeros(3, 5))


@pytest.mark.parametrize(
    ("inputs", "targets", "name", "error"),
    [
        (torch.zeros(3, dtype=torch.int64), torch.zeros(3), "inputs", NotImplementedError),
        (torch.zeros(3), torch.zeros(3, dtype=torch.int64), "targets", RuntimeError),
        (torch.zeros(3), torch.zeros(3, dtype=torch.bool), "targets", NotImplementedError),
    ],
    ids=["int_inputs", "int_targets", "bool_targets"],
)
def test_non_float_tensors_raise_value_error_also_of_torchs_type(inputs, targets, name, error):
    with pytest.raises(ValueError, match=rf"{name} must be a floating-point tensor") as raised:
        vops.sigmoid_focal_loss(inputs, targets)
    assert isinstance(raised.value, error)
