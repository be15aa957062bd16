"""vops.symbolic: the built-ins' results in eager mode and TorchScript, sizes kept dynamic under
torch.export."""

import pytest
import torch

from vops.symbolic import float_min, size_float, size_max, size_min


def _padded_square(x: torch.Tensor) -> torch.Tensor:
    side = size_max(x.shape[0], x.shape[1])
    scale = float_min(size_float(size_min(x.shape[0], x.shape[1])) / size_float(side), 0.5)
    return torch.nn.functional.pad(x, (0, side - x.shape[1], 0, side - x.shape[0])) * scale


@pytest.mark.parametrize(("a", "b"), [(3, 5), (5, 3), (4, 4)])
def test_eager_results_are_the_builtins(a, b):
    assert size_min(a, b) == min(a, b) and size_max(a, b) == max(a, b)
    assert size_float(a) == float(a) and isinstance(size_float(a), float)
    assert float_min(a / 7, b / 7) == min(a / 7, b / 7)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_torchscript_compiles_the_builtin_branch():
    scripted = torch.jit.script(_padded_square)
    x = torch.rand(3, 5)
    torch.testing.assert_close(scripted(x), _padded_square(x), rtol=0, atol=0)


def test_exported_sizes_stay_dynamic():
    class PaddedSquare(torch.nn.Module):
        def forward(self, x):
            return _padded_square(x)

    dims = {0: torch.export.Dim("rows", max=64), 1: torch.export.Dim("cols", max=64)}
    program = torch.export.export(PaddedSquare(), (torch.rand(3, 5),), dynamic_shapes=(dims,))
    for shape in [(3, 5), (7, 2), (4, 4)]:
        x = torch.rand(shape)
        torch.testing.assert_close(program.module()(x), _padded_square(x), rtol=0, atol=0)
