"""Entry-point plugins of the model registry.

The example distribution under examples/ is really installed (with pip, into a temporary
directory, so the shared environment never changes) and checked from a fresh Python process,
because the registry reads entry points once per process. The failure modes use fake entry points
and fake plugin modules written to a temporary directory, without installing anything.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from torch import nn

from vmodels import _registry, _weights

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_PLUGIN = REPO / "examples" / "vmodels_plugin_example"
GROUP = "vmodels.models"


# --- the example plugin, installed -------------------------------------------------------------


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory) -> Path:
    """A directory holding the installed example plugin (its package and its dist-info with the
    entry point), ready to be put on a subprocess's PYTHONPATH.

    pip builds from a copy so its build/ and *.egg-info never land in the repository. --no-index
    and --no-build-isolation keep it offline: the build uses the environment's setuptools.
    Installing into --target instead of site-packages keeps other processes using the environment
    (and later tests of this session) from seeing the plugin; there is nothing to uninstall.
    """
    root = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(EXAMPLE_PLUGIN, root / "source")
    site = root / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return site


# Run with warnings as errors, so a plugin skipped with a RuntimeWarning fails the script, except
# torch.jit.script's deprecation FutureWarning (as in the other scripting tests).
PLUGIN_CHECKS = """
import json
import sys
from importlib.metadata import version

import torch
import vmodels

report = {"version": version("vmodels-plugin-example")}
report["imported_by_import_vmodels"] = "vmodels_plugin_example" in sys.modules
report["all"] = vmodels.list_models()
report["classification"] = vmodels.list_models(task="classification")
report["segmentation"] = vmodels.list_models(task="segmentation")

torch.manual_seed(0)
model = vmodels.get_model("tiny_plugin_net", num_classes=3).eval()
x = torch.rand(2, 3, 8, 8)
with torch.no_grad():
    eager = model(x)
    scripted = torch.jit.script(model)(x)
report["type"] = type(model).__module__ + "." + type(model).__name__
report["shape"] = list(eager.shape)
report["scripted_matches_eager"] = torch.allclose(scripted, eager)
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def plugin_report(plugin_site) -> dict:
    """What a fresh process with the example plugin installed sees through vmodels' public API."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_site), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-W", "error", "-W", "ignore::FutureWarning", "-c", PLUGIN_CHECKS],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_import_vmodels_does_not_import_plugins(plugin_report):
    assert plugin_report["version"] == "0.1.0"
    assert plugin_report["imported_by_import_vmodels"] is False


def test_installed_plugin_model_is_listed_under_its_task(plugin_report):
    assert "tiny_plugin_net" in plugin_report["all"]
    assert "tiny_plugin_net" in plugin_report["classification"]
    assert "tiny_plugin_net" not in plugin_report["segmentation"]


def test_installed_plugin_model_builds_runs_and_scripts(plugin_report):
    assert plugin_report["type"] == "vmodels_plugin_example.models.TinyPluginNet"
    assert plugin_report["shape"] == [2, 3]
    assert plugin_report["scripted_matches_eager"] is True


# --- failure modes, with fake entry points ------------------------------------------------------

BUILTIN_PACKAGE = "fake_vmodels_builtin"  # stands in for vmodels' own model packages
BUILTIN = f"{BUILTIN_PACKAGE}.nets"  # the module of its one model

BUILTIN_SOURCE = """
from torch import nn
from vmodels._registry import register_model

@register_model(task="classification")
def builtin_net(**kwargs):
    return nn.Linear(4, 2)
"""

PLUGIN_SOURCE = """
from torch import nn
from vmodels._registry import register_model

@register_model({name!r}, task="classification")
def build(**kwargs):
    return nn.Linear(4, 3)
"""


class FakePlugins:
    """Writes fake plugin modules to a directory on sys.path and serves entry points to them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.modules: list[str] = []
        self.entry_points: list[EntryPoint] = []
        self.reads = 0

    def module(self, name: str, source: str) -> None:
        """Write module ``name`` (dotted: inside packages that are made as needed)."""
        *packages, leaf = name.split(".")
        folder = self.directory.joinpath(*packages)
        folder.mkdir(parents=True, exist_ok=True)
        for depth in range(len(packages)):
            self.directory.joinpath(*packages[: depth + 1], "__init__.py").touch()
            self.modules.append(".".join(packages[: depth + 1]))
        (folder / f"{leaf}.py").write_text(textwrap.dedent(source))
        self.modules.append(name)

    def entry_point(self, name: str, value: str) -> None:
        self.entry_points.append(EntryPoint(name=name, value=value, group=GROUP))

    def read(self, *, group: str) -> list[EntryPoint]:
        assert group == GROUP
        self.reads += 1
        return list(self.entry_points)


@pytest.fixture
def fake_plugins(monkeypatch, tmp_path):
    """An empty, not yet loaded registry whose built-in models are one fake module and whose
    entry points are the test's fakes; the real registry is restored afterwards."""
    fakes = FakePlugins(tmp_path)
    fakes.module(BUILTIN, BUILTIN_SOURCE)
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.setattr(_registry, "_entries", {})
    monkeypatch.setattr(_registry, "_loaded", False)
    monkeypatch.setattr(_registry, "_MODEL_PACKAGES", (BUILTIN_PACKAGE,))
    monkeypatch.setattr(_registry, "entry_points", fakes.read)
    yield fakes
    for name in fakes.modules:
        sys.modules.pop(name, None)


def test_entry_points_are_read_once_on_first_lookup(fake_plugins):
    fake_plugins.module("fake_plugin", PLUGIN_SOURCE.format(name="plugin_net"))
    fake_plugins.entry_point("fake", "fake_plugin")
    assert fake_plugins.reads == 0
    assert _registry.list_models() == ["builtin_net", "plugin_net"]
    assert isinstance(_registry.get_model("plugin_net"), nn.Linear)
    assert fake_plugins.reads == 1


@pytest.mark.parametrize(
    "broken_source",
    [None, "import a_dependency_that_is_not_installed\n", "raise RuntimeError('bad config')\n"],
    ids=["module-missing", "dependency-missing", "raises-on-import"],
)
def test_plugin_failing_to_import_is_skipped_with_warning_naming_it(fake_plugins, broken_source):
    if broken_source is not None:
        fake_plugins.module("fake_broken_plugin", broken_source)
    fake_plugins.module("fake_good_plugin", PLUGIN_SOURCE.format(name="good_net"))
    fake_plugins.entry_point("broken", "fake_broken_plugin")
    fake_plugins.entry_point("good", "fake_good_plugin")

    with pytest.warns(RuntimeWarning, match=r"'broken' \(fake_broken_plugin\)"):
        listed = _registry.list_models()
    assert listed == ["builtin_net", "good_net"]
    # Skipped once: later lookups do not warn again (warnings are errors here).
    assert isinstance(_registry.get_model("good_net"), nn.Linear)


HALF_BROKEN_SOURCE = """
from torch import nn
from vmodels import Weights, WeightsEnum, model_builder
from vmodels.presets import ObjectDetection

class Half_Weights(WeightsEnum):
    V1 = Weights("https://example.org/half-00000000.pth", ObjectDetection)

@model_builder(task="classification", weights=Half_Weights)
def half_net(request, **kwargs):
    return nn.Linear(4, 2)

raise RuntimeError("fails after registering")
"""


def test_plugin_failing_after_registering_leaves_neither_models_nor_weights(
    fake_plugins, monkeypatch
):
    monkeypatch.setattr(_weights, "_models", {})
    monkeypatch.setattr(_weights, "_owners", {})
    fake_plugins.module("fake_half_plugin", HALF_BROKEN_SOURCE)
    fake_plugins.entry_point("half", "fake_half_plugin")
    with pytest.warns(RuntimeWarning, match="fails after registering"):
        assert _registry.list_models() == ["builtin_net"]
    assert _weights.list_weights() == []


@pytest.mark.parametrize("taken", ["builtin_net", "plugin_net"], ids=["builtin", "other-plugin"])
def test_plugin_module_registering_taken_name_raises_naming_both_providers(fake_plugins, taken):
    fake_plugins.module("fake_first_plugin", PLUGIN_SOURCE.format(name="plugin_net"))
    fake_plugins.module("fake_second_plugin", PLUGIN_SOURCE.format(name=taken))
    fake_plugins.entry_point("first", "fake_first_plugin")
    fake_plugins.entry_point("second", "fake_second_plugin")
    first = BUILTIN if taken == "builtin_net" else "fake_first_plugin"

    with pytest.raises(ValueError, match=rf"'{taken}'.* by {first} and by fake_second_plugin"):
        _registry.list_models()


def test_builder_entry_point_taking_a_name_raises_naming_both_providers(fake_plugins):
    fake_plugins.module("fake_builder_plugin", "def build(**kwargs):\n    return None\n")
    fake_plugins.entry_point("builtin_net", "fake_builder_plugin:build")

    with pytest.raises(
        ValueError, match=rf"'builtin_net'.* by {BUILTIN} and by fake_builder_plugin"
    ):
        _registry.list_models()


@pytest.mark.parametrize("task", [None, "segmentation"])
def test_entry_point_at_undecorated_builder_registers_it_under_entry_point_name(fake_plugins, task):
    task_line = "" if task is None else f"build_tiny.task = {task!r}\n"
    fake_plugins.module(
        "fake_builder_plugin",
        "from torch import nn\n\n"
        "def build_tiny(**kwargs):\n    return nn.Linear(4, 5)\n\n" + task_line,
    )
    fake_plugins.entry_point("tiny", "fake_builder_plugin:build_tiny")

    assert _registry.list_models(task=task or "classification") == (
        ["builtin_net", "tiny"] if task is None else ["tiny"]
    )
    assert "build_tiny" not in _registry.list_models()
    assert _registry.get_model_builder("tiny") is sys.modules["fake_builder_plugin"].build_tiny
    assert _registry.get_model_entry("tiny").provider == "fake_builder_plugin"
    assert _registry.get_model("tiny").out_features == 5
