"""vmodels.feature_extraction: node names, extracted features against forward hooks on the same
modules, train and eval graphs, leaf modules, argument errors."""

import copy
import functools
import re

import pytest
import torch
from model_checks import randomize_norm_statistics
from torch import Tensor, nn

import vmodels
import vops
from vmodels.feature_extraction import (
    DualGraphModule,
    create_feature_extractor,
    get_graph_node_names,
)

# Model, input side, module paths whose outputs are extracted (none is modified in place later,
# so a hook's copy of the module's output is the node's value).
FAMILIES = [
    ("resnet18", 64, ["conv1", "layer1.0.conv1", "layer1", "layer3", "avgpool", "fc"]),
    ("mobilenet_v2", 64, ["features.0", "features.3", "features.18", "classifier"]),
    (
        "densenet121",
        64,
        ["features.denseblock1", "features.transition2", "features.denseblock4", "classifier"],
    ),
    ("squeezenet1_0", 64, ["features.2", "features.3", "features.12", "classifier"]),
    ("shufflenet_v2_x0_5", 64, ["conv1", "maxpool", "stage2", "stage4", "conv5", "fc"]),
    ("googlenet", 64, ["conv1", "inception3a", "inception4e", "avgpool", "fc"]),
    ("inception_v3", 75, ["Conv2d_1a_3x3", "Mixed_5b", "Mixed_6e", "Mixed_7c", "fc"]),
    ("vgg11", 32, ["features.1", "features.2", "features", "avgpool", "classifier"]),
    ("alexnet", 64, ["features.1", "features.2", "features", "avgpool", "classifier"]),
]
AUXILIARY = {"googlenet": ["aux1", "aux2"], "inception_v3": ["AuxLogits"]}


@functools.cache
def _built(name: str) -> nn.Module:
    torch.manual_seed(0)
    model = vmodels.get_model(name, num_classes=10)
    randomize_norm_statistics(model, torch.Generator().manual_seed(1))
    return model


def _model(name: str) -> nn.Module:
    """A fresh copy of a randomly initialized model, in eval mode (built once: some init slowly)."""
    return copy.deepcopy(_built(name)).eval()


def _image(size: int, batch: int = 1) -> Tensor:
    return torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(2))


def _record(outputs: dict[str, Tensor], name: str, module: nn.Module, args, output) -> None:
    outputs[name] = output.clone()  # a module called again overwrites: the last call counts


def _hooked_outputs(model: nn.Module, paths: list[str], x: Tensor) -> dict[str, Tensor]:
    """The output of each module in ``paths`` during ``model(x)``, through forward hooks."""
    outputs: dict[str, Tensor] = {}
    handles = [
        model.get_submodule(path).register_forward_hook(functools.partial(_record, outputs, path))
        for path in paths
    ]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


@pytest.mark.parametrize(("name", "size", "paths"), FAMILIES)
@torch.no_grad()
def test_features_equal_forward_hooks_on_the_same_modules(name, size, paths):
    model = _model(name)
    x = _image(size)
    extractor = create_feature_extractor(model, paths, suppress_diff_warning=name in AUXILIARY)
    assert not extractor.training
    features = extractor(x)
    assert list(features) == paths  # the paths are in execution order
    torch.testing.assert_close(features, _hooked_outputs(model, paths, x), rtol=0, atol=0)


@pytest.mark.parametrize(("name", "size", "paths"), FAMILIES)
def test_node_names_are_unique_and_cover_the_modules(name, size, paths):
    model = _model(name)
    train_names, eval_names = get_graph_node_names(model, suppress_diff_warning=True)
    assert not model.training  # the model's mode is restored
    for names in (train_names, eval_names):
        assert len(set(names)) == len(names)
        assert names[0] == "x"
        for path in paths:
            assert any(n == path or n.startswith(path + ".") for n in names)
    if name in AUXILIARY:
        assert set(eval_names) < set(train_names)
        only_train = {n.split(".")[0] for n in set(train_names) - set(eval_names)}
        assert only_train == set(AUXILIARY[name])
    else:
        assert train_names == eval_names


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("googlenet", 64),
        ("inception_v3", 75),
    ],
)
def test_auxiliary_heads_warn_and_extract_per_mode(name, size):
    model = _model(name)
    aux = AUXILIARY[name][-1]
    extractor = create_feature_extractor(
        model, train_return_nodes=[aux, "fc"], eval_return_nodes=["fc"], suppress_diff_warning=True
    )
    assert list(extractor(_image(size))) == ["fc"]
    # The auxiliary heads need large inputs in training mode: read the train graph's outputs.
    (output,) = extractor.train().graph.find_nodes(op="output")
    assert list(output.args[0]) == [aux, "fc"]
    with pytest.warns(UserWarning, match="eval-mode nodes are a subsequence of the train-mode"):
        get_graph_node_names(model)
    with pytest.raises(ValueError, match=f"return_nodes: no node named '{aux}'.*eval-mode"):
        create_feature_extractor(model, [aux, "fc"], suppress_diff_warning=True)


def test_resnet18_node_names():
    model = _model("resnet18")
    train_names, eval_names = get_graph_node_names(model)
    assert train_names == eval_names
    assert train_names[:5] == ["x", "conv1", "bn1", "relu", "maxpool"]
    assert train_names[-3:] == ["avgpool", "flatten", "fc"]
    block = [n for n in train_names if n.startswith("layer1.0.")]
    assert block == [
        f"layer1.0.{op}" for op in ("conv1", "bn1", "relu", "conv2", "bn2", "add", "relu_1")
    ]
    assert len(train_names) == 70  # x, 4 stem modules, 8 blocks x 7, 3 downsamples x 2, 3 head


@torch.no_grad()
def test_module_path_function_nodes_and_renamed_outputs_resnet18():
    model = _model("resnet18")
    x = _image(64)
    hooked = _hooked_outputs(model, ["layer1.0", "layer1.1.relu", "avgpool"], x)
    extractor = create_feature_extractor(
        model, {"flatten": "pooled", "layer1.1.relu_1": "last_relu", "layer1.0": "block"}
    )
    features = extractor(x)
    assert list(features) == ["block", "last_relu", "pooled"]  # execution order, not given order
    torch.testing.assert_close(features["block"], hooked["layer1.0"])
    torch.testing.assert_close(features["last_relu"], hooked["layer1.1.relu"])
    torch.testing.assert_close(features["pooled"], torch.flatten(hooked["avgpool"], 1))


def test_unused_modules_and_parameters_are_dropped_and_the_rest_shared():
    model = _model("resnet18")
    extractor = create_feature_extractor(model, ["layer2"])
    assert not hasattr(extractor, "layer3") and not hasattr(extractor, "fc")
    assert {key.split(".")[0] for key in extractor.state_dict()} == {
        "conv1",
        "bn1",
        "layer1",
        "layer2",
    }
    # Leaf modules are the model's own; the containers above them are rebuilt.
    assert extractor.get_submodule("layer2.0.conv1") is model.layer2[0].conv1


@torch.no_grad()
def test_train_mode_uses_batch_statistics_like_the_model():
    model = _model("resnet18").train()
    x = _image(64, batch=2)
    extractor = create_feature_extractor(model, ["layer2", "fc"])
    assert extractor.training and model.training
    features = extractor(x)
    torch.testing.assert_close(features, _hooked_outputs(model, ["layer2", "fc"], x))
    eval_features = extractor.eval()(x)
    assert not torch.allclose(eval_features["fc"], features["fc"])
    torch.testing.assert_close(eval_features, _hooked_outputs(model.eval(), ["layer2", "fc"], x))


@torch.no_grad()
def test_requests_for_the_same_node_each_get_it():
    model = _model("resnet18")
    x = _image(64)
    extractor = create_feature_extractor(model, ["layer4", "layer4.1", "layer4.1.relu_1"])
    assert type(extractor).__name__ == "ResNet"
    features = extractor(x)
    assert list(features) == ["layer4", "layer4.1", "layer4.1.relu_1"]
    for value in features.values():
        torch.testing.assert_close(value, _hooked_outputs(model, ["layer4"], x)["layer4"])


class _Repeats(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.relu = nn.ReLU()
        self.block = nn.Sequential(nn.Conv2d(4, 4, 1), nn.ReLU())

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.conv(x))
        x = self.relu(x + 1)
        x = self.block(x) + x
        x = self.block(x)
        return self.relu(x) + 1


def test_repeated_calls_get_numbered_suffixes():
    names, _ = get_graph_node_names(_Repeats())
    assert names == [
        "x",
        "conv",
        "relu",
        "add",
        "relu_1",
        "block.0",
        "block.1",
        "add_1",
        "block.0_1",
        "block.1_1",
        "relu_2",
        "add_2",
    ]


@torch.no_grad()
def test_repeated_call_nodes_hold_each_calls_output():
    model = _Repeats()
    x = torch.randn(1, 3, 5, 5)
    features = create_feature_extractor(model, ["relu", "relu_1", "block", "block.0_1"])(x)
    first = torch.relu(model.conv(x))
    second = torch.relu(first + 1)
    third = model.block(second) + second
    torch.testing.assert_close(features["relu"], first)
    torch.testing.assert_close(features["relu_1"], second)
    torch.testing.assert_close(features["block"], model.block(third))  # last node in "block"
    torch.testing.assert_close(features["block.0_1"], model.block[0](third))


class _ModeBranch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)
        self.head = nn.Linear(4, 2)
        self.aux = nn.Linear(4, 3)

    def forward(self, x: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        x = self.conv(x).mean((2, 3))
        if self.training:
            return self.head(x), self.aux(x)
        return self.head(x)


def test_train_and_eval_graphs_differ_and_the_extractor_switches():
    model = _ModeBranch().eval()
    with pytest.warns(UserWarning, match=r"only in train: \['aux'\], only in eval: \[\]"):
        train_names, eval_names = get_graph_node_names(model)
    assert train_names == ["x", "conv", "mean", "head", "aux"]
    assert eval_names == ["x", "conv", "mean", "head"]
    assert get_graph_node_names(model, suppress_diff_warning=True) == (train_names, eval_names)

    extractor = create_feature_extractor(
        model,
        train_return_nodes={"aux": "a", "mean": "m"},
        eval_return_nodes={"mean": "m"},
        suppress_diff_warning=True,
    )
    x = torch.randn(2, 3, 4, 4)
    pooled = model.conv(x).mean((2, 3))
    assert not extractor.training and list(extractor(x)) == ["m"]
    torch.testing.assert_close(extractor(x)["m"], pooled)
    features = extractor.train()(x)
    assert list(features) == ["m", "a"]
    torch.testing.assert_close(features["a"], model.aux(pooled))
    assert list(extractor.eval()(x)) == ["m"]
    assert not model.training  # switching the extractor leaves the model alone


def test_deepcopy_keeps_both_graphs_and_the_mode():
    model = _ModeBranch().train()
    extractor = create_feature_extractor(
        model,
        train_return_nodes=["aux"],
        eval_return_nodes=["head"],
        suppress_diff_warning=True,
    )
    extractor.eval()
    clone = copy.deepcopy(extractor)
    assert isinstance(clone, DualGraphModule) and not clone.training
    assert clone.aux.weight is not model.aux.weight
    x = torch.randn(1, 3, 2, 2)
    with torch.no_grad():
        torch.testing.assert_close(clone(x), extractor(x))
        assert list(clone(x)) == ["head"]
        assert list(clone.train()(x)) == ["aux"]
        torch.testing.assert_close(clone(x), extractor.train()(x))


def test_the_models_mode_is_restored():
    for training in (True, False):
        model = _ModeBranch().train(training)
        get_graph_node_names(model, suppress_diff_warning=True)
        assert model.training is training
        extractor = create_feature_extractor(
            model,
            train_return_nodes=["head"],
            eval_return_nodes=["head"],
            suppress_diff_warning=True,
        )
        assert model.training is training and extractor.training is training


class _Flagged(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x: Tensor, double: bool = False) -> Tensor:
        x = self.conv(x)
        return x * 2 if double else x.neg()


@torch.no_grad()
def test_concrete_args_fix_forward_arguments():
    model = _Flagged()
    names, _ = get_graph_node_names(model, concrete_args={"double": True})
    # fx keeps an argument for the fixed value, and checks that it is given that value.
    assert names == ["x", "double", "eq", "_assert", "conv", "mul"]
    extractor = create_feature_extractor(model, ["mul"], concrete_args={"double": True})
    x = torch.randn(1, 3, 2, 2)
    torch.testing.assert_close(extractor(x, True)["mul"], model.conv(x) * 2)


class _Untraceable(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * int(x.shape[0])  # int() of a traced value fails


class _UsesUntraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        self.scale = _Untraceable()

    def forward(self, x: Tensor) -> Tensor:
        return self.scale(self.conv(x)).relu()


@torch.no_grad()
def test_user_leaf_modules_are_added_to_the_defaults():
    model = _UsesUntraceable()
    with pytest.raises(TypeError, match="not 'Proxy'"):
        get_graph_node_names(model)
    tracer_kwargs = {"leaf_modules": [_Untraceable]}
    names, _ = get_graph_node_names(model, tracer_kwargs=tracer_kwargs)
    assert names == ["x", "conv", "scale", "relu"]
    assert tracer_kwargs == {"leaf_modules": [_Untraceable]}  # not modified
    extractor = create_feature_extractor(model, ["scale"], tracer_kwargs=tracer_kwargs)
    x = torch.randn(2, 3, 3, 3)
    torch.testing.assert_close(extractor(x)["scale"], model.conv(x) * 2)


class _WithVops(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = vops.Conv2dNormActivation(3, 4, 3)
        self.frozen = vops.FrozenBatchNorm2d(4)
        self.drop = vops.StochasticDepth(0.5, "row")

    def forward(self, x: Tensor) -> Tensor:
        x = self.drop(self.frozen(self.conv(x)))
        corners = x.flatten(1)[:, :2].abs()
        return vops.box_area(torch.cat([-corners, corners], 1))


@torch.no_grad()
def test_vops_modules_and_functions_are_single_nodes():
    model = _WithVops().eval()
    names, eval_names = get_graph_node_names(model)
    assert names == eval_names
    ops = ["flatten", "getitem", "abs", "neg", "cat", "box_area"]
    assert names == ["x", "conv", "frozen", "drop", *ops]
    x = torch.randn(2, 3, 4, 4)
    features = create_feature_extractor(model, ["frozen", "box_area"])(x)
    torch.testing.assert_close(features["frozen"], model.frozen(model.conv(x)))
    torch.testing.assert_close(features["box_area"], model(x))


def _resnet18() -> nn.Module:
    return _model("resnet18")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({}, ValueError, "return_nodes, or train_return_nodes and eval_return_nodes together"),
        (
            {"return_nodes": ["fc"], "train_return_nodes": ["fc"]},
            ValueError,
            "either return_nodes or train_return_nodes and eval_return_nodes, not both",
        ),
        ({"train_return_nodes": ["fc"]}, ValueError, "only train_return_nodes was"),
        ({"eval_return_nodes": ["fc"]}, ValueError, "only eval_return_nodes was"),
        ({"return_nodes": "fc"}, TypeError, "return_nodes must be a list of node names or a dict"),
        ({"return_nodes": []}, ValueError, "return_nodes must name at least one node"),
        ({"return_nodes": [3]}, TypeError, "return_nodes must hold str node names"),
        (
            {"return_nodes": {"layer1": "f", "layer2": "f"}},
            ValueError,
            r"return_nodes gives several nodes the same output names \['f'\]",
        ),
        (
            {"train_return_nodes": ["fc"], "eval_return_nodes": {"fc": 1}},
            TypeError,
            "eval_return_nodes must hold str",
        ),
        (
            {"return_nodes": ["fc"], "tracer_kwargs": {"leaf_modules": [int]}},
            TypeError,
            r"tracer_kwargs\['leaf_modules'\] must hold torch.nn.Module subclasses",
        ),
        (
            {"return_nodes": ["fc"], "tracer_kwargs": {"leaf_modules": nn.ReLU}},
            TypeError,
            r"tracer_kwargs\['leaf_modules'\] must be a list or tuple",
        ),
        ({"return_nodes": ["fc"], "tracer_kwargs": [nn.ReLU]}, TypeError, "tracer_kwargs must be"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        create_feature_extractor(_ModeBranch(), **kwargs)


@pytest.mark.parametrize(
    ("query", "closest"),
    [("layer5", "'layer4'"), ("layer1.0.rleu", "'layer1.0.relu'"), ("fc1", "'fc'")],
)
def test_unknown_node_lists_the_closest_names(query, closest):
    model = _resnet18()
    with pytest.raises(ValueError) as info:
        create_feature_extractor(model, ["layer1", query])
    message = str(info.value)
    assert message.startswith(f"return_nodes: no node named '{query}' in the model's train-mode")
    close = re.search(r"closest names: (\[.*?\])", message).group(1)
    assert closest in close
    assert "get_graph_node_names" in message
    assert model.training is False


def test_unknown_eval_node_names_its_argument():
    with pytest.raises(ValueError, match=r"eval_return_nodes: no node named 'aux'.*eval-mode"):
        create_feature_extractor(
            _ModeBranch(), train_return_nodes=["aux"], eval_return_nodes=["aux"]
        )


def test_model_must_be_a_module():
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module, got function"):
        get_graph_node_names(lambda x: x)
