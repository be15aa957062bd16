"""--opt, --lr, --momentum, --nesterov and --weight-decay reach the optimizer."""

import pytest
import torch
from torch import nn

from vrefs import cli
from vrefs.optimizers import build_optimizer


def _optimizer(*options: str) -> torch.optim.Optimizer:
    args, _ = cli.parse_args(["classification", *options])
    return build_optimizer(nn.Linear(2, 2).parameters(), args)


def test_sgd_takes_momentum_nesterov_and_weight_decay():
    optimizer = _optimizer("--opt=sgd", "--lr=0.5", "--momentum=0.8", "--nesterov")
    assert type(optimizer) is torch.optim.SGD
    group = optimizer.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"]) == (0.5, 0.8, True)
    assert group["weight_decay"] == cli.DEFAULTS["weight_decay"]


def test_adamw_takes_momentum_as_its_first_beta():
    optimizer = _optimizer("--opt=adamw", "--lr=0.003", "--momentum=0.85", "--weight-decay=0.05")
    assert type(optimizer) is torch.optim.AdamW
    group = optimizer.param_groups[0]
    assert (group["lr"], group["betas"], group["weight_decay"]) == (0.003, (0.85, 0.999), 0.05)


def test_unknown_optimizer_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["classification", "--opt=lamb"])
    assert "invalid choice: 'lamb'" in capsys.readouterr().err


def test_build_optimizer_names_the_valid_choices():
    args, _ = cli.parse_args(["classification"])
    args.opt = "lamb"
    with pytest.raises(ValueError, match="unknown --opt 'lamb'; choose one of: sgd, adamw"):
        build_optimizer(nn.Linear(2, 2).parameters(), args)
