"""Loading the compiled extension and the torch-version guard."""

import pytest
import torch

import vops
from vops import _build_info, _extension


def test_build_info_reports_versions():
    info = vops.build_info()
    assert info["vops_version"] == vops.__version__ == _build_info.VERSION
    assert info["torch_version"] == torch.__version__ == _build_info.TORCH_VERSION
    assert isinstance(info["cuda"], bool)


def test_import_under_another_torch_names_both_versions_and_the_fix(monkeypatch):
    monkeypatch.setattr(torch, "__version__", "2.99.0+cpu")
    with pytest.raises(ImportError) as error:
        _extension.load_extension()
    message = str(error.value)
    assert _build_info.TORCH_VERSION in message
    assert "2.99.0+cpu" in message
    assert "pip install --no-build-isolation" in message


@pytest.mark.parametrize(
    "op",
    ["nms", "batched_nms", "roi_align", "_roi_align_backward", "roi_pool", "_roi_pool_backward"],
)
def test_ops_are_registered_with_cpu_kernels(op):
    assert torch._C._dispatch_has_kernel_for_dispatch_key(f"vops::{op}", "CPU")
