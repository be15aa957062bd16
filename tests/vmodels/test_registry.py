"""The public registry API (register_model, get_model, get_model_builder, list_models), and what
every registered model promises through it.

The per-model tests are parametrized over ``list_models()`` at collection time, so a model added
to vmodels (or by a plugin) is checked without a new test. They build on the meta device: shapes
and signatures only, no memory, no arithmetic.
"""

import inspect
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

import vmodels
from vmodels import _registry
from vmodels.classification import resnet

CLASSIFICATION_MODELS = vmodels.list_models(task="classification")
SEGMENTATION_MODELS = vmodels.list_models(task="segmentation")

# Input side of the classification forward checks; inception_v3 is defined on 299x299 images (its
# auxiliary head, which runs in training mode, needs the 17x17 map 299 gives).
INPUT_SIZE = {"inception_v3": 299}


@pytest.fixture
def scratch_registry(monkeypatch) -> dict[str, _registry.ModelEntry]:
    """A copy of the loaded registry that the test may register into; the real one is put back
    afterwards, untouched."""
    _registry.list_models()  # load built-ins and plugins first, so they land in the real table
    entries = dict(_registry._entries)
    monkeypatch.setattr(_registry, "_entries", entries)
    return entries


def _builder(module: str, returns: object = None):
    """A fresh builder function that claims to live in ``module`` (its provider)."""

    def build(**kwargs):
        return returns

    build.__module__ = module
    return build


# --- list_models -------------------------------------------------------------------------------


def test_list_models_is_sorted_and_holds_every_family():
    names = vmodels.list_models()
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    assert {"resnet50", "mobilenet_v2", "googlenet", "inception_v3", "vgg16_bn"} <= set(names)


def test_list_models_filters_by_task():
    everything = set(vmodels.list_models())
    classification = vmodels.list_models(task="classification")
    segmentation = vmodels.list_models(task="segmentation")
    assert classification == sorted(classification)
    assert "resnet18" in classification
    assert set(classification) <= everything
    assert set(segmentation) <= everything
    assert not set(classification) & set(segmentation)
    assert "resnet18" not in segmentation


def test_list_models_of_unknown_task_is_empty():
    assert vmodels.list_models(task="no_such_task") == []


def test_list_models_filters_by_shell_pattern():
    everything = vmodels.list_models()
    resnets = vmodels.list_models(pattern="resnet*")
    assert resnets == [n for n in everything if n.startswith("resnet")]
    assert set(resnets) >= {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"}
    assert "resnext50_32x4d" not in resnets  # "resnet*" is a pattern, not a substring search

    batch_norm = vmodels.list_models(pattern="*_bn")
    assert batch_norm == [n for n in everything if n.endswith("_bn")]
    assert set(batch_norm) >= {"vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"}


def test_list_models_combines_task_and_pattern():
    assert vmodels.list_models(task="classification", pattern="vgg1?") == [
        "vgg11",
        "vgg13",
        "vgg16",
        "vgg19",
    ]
    assert vmodels.list_models(task="no_such_task", pattern="resnet*") == []


# --- get_model, get_model_builder --------------------------------------------------------------


def test_get_model_of_unknown_name_raises_naming_it():
    with pytest.raises(ValueError, match=r"unknown model 'nonexistent'") as raised:
        vmodels.get_model("nonexistent")
    assert "list_models()" in str(raised.value)


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("mobilnet_v2", "mobilenet_v2"),
        ("resnet5", "resnet50"),  # a shared prefix must not crowd out the closest name
        ("rsenet50", "resnet50"),  # nor a slip in the first letters hide it
    ],
)
def test_get_model_of_misspelt_name_suggests_close_names(typo, meant):
    with pytest.raises(ValueError, match=rf"unknown model '{typo}'.*'{meant}'"):
        vmodels.get_model(typo)


def test_get_model_builder_is_the_registered_function():
    assert vmodels.get_model_builder("resnet18") is resnet.resnet18


def test_get_model_calls_the_builder_get_model_builder_returns(scratch_registry):
    built = nn.Identity()
    calls = []

    @vmodels.register_model("registry_probe_net", task="classification")
    def registry_probe_net(**kwargs):
        calls.append(kwargs)
        return built

    assert vmodels.get_model_builder("registry_probe_net") is registry_probe_net
    assert vmodels.get_model("registry_probe_net", num_classes=3, weights=None) is built
    assert calls == [{"num_classes": 3, "weights": None}]


# --- register_model ----------------------------------------------------------------------------


def test_register_model_defaults_name_to_function_name_and_returns_it(scratch_registry):
    probe = _builder("probe_provider")
    probe.__name__ = "named_after_function_net"
    assert vmodels.register_model(task="detection")(probe) is probe
    assert vmodels.list_models(task="detection", pattern="named_after_*") == [
        "named_after_function_net"
    ]
    assert _registry.get_model_entry("named_after_function_net").provider == "probe_provider"


def test_register_model_twice_with_same_function_is_harmless(scratch_registry):
    probe = _builder("probe_provider")
    vmodels.register_model("twice_net", task="classification")(probe)
    vmodels.register_model("twice_net", task="classification")(probe)
    assert vmodels.get_model_builder("twice_net") is probe


def test_register_model_clash_between_two_functions_raises_naming_both_providers(
    scratch_registry,
):
    first = _builder("first_provider.models")
    second = _builder("second_provider.models")
    vmodels.register_model("clashing_net", task="classification")(first)

    with pytest.raises(
        ValueError,
        match=r"'clashing_net'.* by first_provider\.models and by second_provider\.models",
    ):
        vmodels.register_model("clashing_net", task="segmentation")(second)
    assert vmodels.get_model_builder("clashing_net") is first  # the first one stays


def test_register_model_taking_a_builtin_name_raises_naming_vmodels_module(scratch_registry):
    with pytest.raises(
        ValueError, match=r"'resnet18'.* by vmodels\.classification\.resnet and by my_plugin"
    ):
        vmodels.register_model("resnet18", task="classification")(_builder("my_plugin"))
    assert vmodels.get_model_builder("resnet18") is resnet.resnet18


@pytest.mark.parametrize("task", ["", None])
def test_register_model_without_task_raises(scratch_registry, task):
    with pytest.raises(ValueError, match="task must be a non-empty string"):
        vmodels.register_model("taskless_net", task=task)
    assert "taskless_net" not in vmodels.list_models()


# --- import is cheap ---------------------------------------------------------------------------

IMPORT_CHECK = textwrap.dedent(
    """
    import importlib.metadata
    import sys

    reads = []
    real_entry_points = importlib.metadata.entry_points

    def spy(*args, **kwargs):
        if kwargs.get("group") == "vmodels.models":  # torch reads its own group on import
            reads.append(kwargs["group"])
        return real_entry_points(*args, **kwargs)

    importlib.metadata.entry_points = spy  # before vmodels binds the name

    import vmodels

    model_modules = sorted(
        m for m in sys.modules if m.startswith(("vmodels.classification.", "vmodels.segmentation."))
    )
    assert "vmodels.classification.resnet" not in sys.modules, model_modules
    assert model_modules == [], model_modules
    assert reads == [], reads

    # The spy sees the first lookup, so the checks above are not vacuous.
    vmodels.list_models()
    assert "vmodels.classification.resnet" in sys.modules
    assert reads == ["vmodels.models"], reads
    print("ok")
    """
)


def test_import_vmodels_imports_no_model_module_and_reads_no_entry_point():
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", IMPORT_CHECK],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --- every classification model ----------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFICATION_MODELS)
def test_classification_builder_takes_weights_and_pretrained_keyword_only(name):
    parameters = inspect.signature(vmodels.get_model_builder(name)).parameters
    for keyword, default in (("weights", None), ("pretrained", False)):
        assert keyword in parameters, f"{name} has no {keyword}="
        assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters[keyword].default is default


@pytest.mark.parametrize("name", CLASSIFICATION_MODELS)
def test_classification_model_gives_logits_per_class_in_eval_and_train(name):
    with torch.device("meta"):
        model = vmodels.get_model(name, num_classes=7)
        size = INPUT_SIZE.get(name, 224)
        images = torch.empty(2, 3, size, size)
    assert isinstance(model, nn.Module)

    with torch.no_grad():
        logits = model.eval()(images)
    assert isinstance(logits, torch.Tensor)
    assert logits.shape == (2, 7)
    assert logits.device.type == "meta"

    # In training, GoogLeNet and Inception v3 return a namedtuple whose first field is the logits.
    out = model.train()(images)
    logits = out[0] if isinstance(out, tuple) else out
    assert logits.shape == (2, 7)


# --- every segmentation model ------------------------------------------------------------------


@pytest.mark.parametrize("name", SEGMENTATION_MODELS)
def test_segmentation_model_gives_per_pixel_scores_at_input_resolution(name):
    with torch.device("meta"):
        model = vmodels.get_model(name, num_classes=5).eval()
        images = torch.empty(1, 3, 64, 64)
    with torch.no_grad():
        out = model(images)
    assert isinstance(out, dict)
    assert out["out"].shape == (1, 5, 64, 64)


# --- torch.compile -----------------------------------------------------------------------------


def test_resnet18_compiles_fullgraph_and_matches_eager():
    torch.manual_seed(0)
    model = vmodels.get_model("resnet18", num_classes=3).eval()
    images = torch.randn(1, 3, 32, 32)
    torch._dynamo.reset()
    try:
        compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
        with torch.no_grad():
            expected = model(images)
            actual = compiled(images)
    finally:
        torch._dynamo.reset()
    assert actual.shape == (1, 3)
    torch.testing.assert_close(actual, expected)
