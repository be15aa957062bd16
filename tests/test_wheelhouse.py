"""`make wheels` builds a wheelhouse from which `pip install --find-links` gets our packages, and
never the unrelated `vops` / `vdata` projects of the package index.

Building vops and a fresh venv with torch takes minutes, so this runs where
``VISION_WHEELHOUSE_TEST=1`` (set by ``.ci/run``).
"""

import os
import subprocess
import sys
import textwrap
from importlib.metadata import distribution
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    os.environ.get("VISION_WHEELHOUSE_TEST") != "1",
    reason="slow (builds wheels and a venv): set VISION_WHEELHOUSE_TEST=1, as .ci/run does",
)


def run(*command: str | Path) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def test_vmodels_installs_from_the_wheelhouse_with_our_vops(tmp_path):
    import torch

    wheelhouse = tmp_path / "dist"
    run("make", "-C", REPO, "wheels", f"DIST={wheelhouse}")
    names = sorted(path.name.split("-")[0] for path in wheelhouse.glob("*.whl"))
    assert names == ["vdata", "vmodels", "vops", "vrefs"]

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    torch_version = torch.__version__.split("+")[0]
    run(python, "-m", "pip", "install", "--quiet", f"torch=={torch_version}")
    run(python, "-m", "pip", "install", "--quiet", "--find-links", wheelhouse, "vmodels")

    ours = distribution("vops").metadata["Summary"]
    report = run(
        python,
        "-c",
        textwrap.dedent(
            """
            from importlib.metadata import distribution
            import torch, vmodels, vops
            boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 10.0, 10.0]])
            print(vops.nms(boxes, torch.tensor([0.9, 0.8]), 0.5).tolist())
            print(distribution("vops").version)
            print(distribution("vops").metadata["Summary"])
            print(vmodels.list_models()[:1] != [])
            """
        ),
    ).splitlines()
    assert report == ["[0]", "0.1.0", ours, "True"]
