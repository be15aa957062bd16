"""Every registered model compiles with torch.jit.script (the issue asks all of them to)."""

import pytest
import torch

import vmodels


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize("name", vmodels.list_models())
def test_every_registered_model_scripts(name):
    with torch.device("meta"):  # scripting compiles code; it never needs real weights
        model = vmodels.get_model(name).eval()
    scripted = torch.jit.script(model)
    assert isinstance(scripted, torch.jit.ScriptModule)
