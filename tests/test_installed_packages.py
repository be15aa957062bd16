"""The installed packages are this repository's (never same-named projects from the index)."""

import importlib
import json
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("vops", "vmodels", "vdata", "vrefs")


@pytest.mark.parametrize("name", PACKAGES)
def test_package_is_installed_from_this_repository(name):
    direct_url = json.loads(distribution(name).read_text("direct_url.json"))
    assert direct_url["url"] == (REPO / "packages" / name).as_uri()


@pytest.mark.parametrize("name", PACKAGES)
def test_package_imports_with_its_metadata_version(name):
    module = importlib.import_module(name)
    assert module.__version__ == distribution(name).version


@pytest.mark.parametrize("name", ("vmodels", "vdata", "vrefs"))
def test_pure_python_package_requires_vops_and_pinned_torch(name):
    requires = distribution(name).requires
    assert "vops==0.1.0" in requires
    assert "torch==2.14.1" in requires


def test_vops_wheel_pins_the_torch_it_was_built_against():
    import torch

    requires = distribution("vops").requires
    assert requires == [f"torch=={torch.__version__.split('+')[0]}"]


def test_packages_never_import_torchvision():
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "packages").rglob("*.py")
        if "build" not in path.parts
        for line in path.read_text().splitlines()
        if line.lstrip().startswith(("import torchvision", "from torchvision"))
    ]
    assert offenders == []


def test_python_m_vops_reports_the_build_and_registered_kernels():
    report = subprocess.run(
        [sys.executable, "-m", "vops"], capture_output=True, text=True, check=True
    ).stdout
    import torch

    assert f"built against torch {torch.__version__}" in report
    assert "CUDA kernels compiled:" in report
    assert "vops::roi_align: CPU" in report
