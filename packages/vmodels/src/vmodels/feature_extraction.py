"""Intermediate activations of a model by node name, through ``torch.fx`` symbolic tracing.

The API follows torchvision's ``torchvision.models.feature_extraction``:
:func:`get_graph_node_names` lists the nodes a model's forward pass goes through, and
:func:`create_feature_extractor` rewrites the traced graph to return a chosen few of them as a
dict. A node's name is the path of the module it runs in plus, for anything but a module call,
the operation (``"layer1.0.relu"``, ``"layer1.0.add"``, ``"flatten"``); repeated calls of the
same module or operation in one module get ``_1``, ``_2``... suffixes (``"layer1.0.relu_1"``).
A module path alone (``"layer4"``) names the last node inside that module.

``torch.nn`` modules and the public modules of :mod:`vops` are not traced through: each call is
one node. Functions of :mod:`math` and :mod:`vops` called from a model's forward are likewise
recorded as single nodes. Models are traced twice, in training and in evaluation mode, because
their graphs may differ (auxiliary heads, dropout paths); the returned module switches between
the two graphs with ``.train()`` and ``.eval()``.
"""

import difflib
import inspect
import math
import re
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from torch import fx, nn
from torch.fx.graph_module import _copy_attr

import vops

__all__ = ["DualGraphModule", "create_feature_extractor", "get_graph_node_names"]

ReturnNodes = Sequence[str] | Mapping[str, str]

_MODES = {"train": True, "eval": False}
_NUMBERED = re.compile(r"(.+)_([0-9]+)")
_DEFAULT_AUTOWRAP_MODULES = (math, vops)
_DEFAULT_LEAF_MODULES = tuple(
    obj
    for obj in (getattr(vops, name) for name in vops.__all__)
    if inspect.isclass(obj) and issubclass(obj, nn.Module)
)


class _NodeNameTracer(fx.Tracer):
    """A tracer that keeps instances of ``leaf_modules`` whole (and, where ``trace_only_into``
    names modules, every module it does not name) and names every node it records.

    ``node_names`` maps each recorded node, in recording order, to its qualified name.
    """

    def __init__(
        self,
        leaf_modules: Sequence[type[nn.Module]] = (),
        trace_only_into: Collection[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._leaf_types = tuple(leaf_modules)
        self._traced = None if trace_only_into is None else frozenset(trace_only_into)
        self.node_names: dict[fx.Node, str] = {}
        # For each base name, the number of the latest name recorded as base_<n> (0: base).
        self._latest_number: dict[str, int] = {}
        self._taken: set[str] = set()

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if self._traced is not None and module_qualified_name not in self._traced:
            return True
        return isinstance(m, self._leaf_types) or super().is_leaf_module(m, module_qualified_name)

    def create_proxy(
        self,
        kind: str,
        target: fx.node.Target,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: str | None = None,
        type_expr: Any | None = None,
        proxy_factory_fn: Callable[[fx.Node], fx.Proxy] | None = None,
    ) -> fx.Proxy:
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
        self.node_names[proxy.node] = self._name(proxy.node)
        return proxy

    def _name(self, node: fx.Node) -> str:
        # ``scope`` is the module whose forward is running (the leaf itself for a module call).
        parts = [self.scope.module_path] if self.scope.module_path else []
        if node.op != "call_module":
            parts.append(node.name)
        name = ".".join(parts)
        # fx numbers repeated operation names across the whole graph ("add_3"); as torchvision
        # does, the number is dropped and the name numbered after the latest one like it.
        numbered = _NUMBERED.fullmatch(name)
        base = numbered.group(1) if numbered else name
        latest = self._latest_number.get(base)
        number = 0 if latest is None else latest + 1
        name = f"{base}_{number}" if number else base
        # Only modules whose own names end in "_<n>" can make the name a taken one.
        while name in self._taken:
            number += 1
            name = f"{base}_{number}"
        self._taken.add(name)
        self._latest_number[name] = 0
        numbered = _NUMBERED.fullmatch(name)
        if numbered:
            self._latest_number[numbered.group(1)] = int(numbered.group(2))
        return name


class DualGraphModule(fx.GraphModule):
    """A ``torch.fx.GraphModule`` that runs ``train_graph`` in training mode and
    ``eval_graph`` in evaluation mode; ``.train()`` and ``.eval()`` switch between them.

    Args:
        root: the module whose submodules, parameters and buffers both graphs refer to.
        train_graph: graph run in training mode.
        eval_graph: graph run in evaluation mode.
        class_name: the name this module's class reports (e.g. in ``repr``).
    """

    def __init__(
        self,
        root: nn.Module,
        train_graph: fx.Graph,
        eval_graph: fx.Graph,
        class_name: str = "GraphModule",
    ) -> None:
        active, other = (train_graph, eval_graph) if root.training else (eval_graph, train_graph)
        super().__init__(root, active, class_name)
        for node in other.nodes:
            if node.op in ("get_attr", "call_module"):
                _copy_attr(root, self, node.target)
        other.owning_module = self
        self.train_graph = train_graph
        self.eval_graph = eval_graph

    def train(self, mode: bool = True) -> "DualGraphModule":
        """Set training mode and run the graph traced in that mode."""
        graph = self.train_graph if mode else self.eval_graph
        if self.graph is not graph:  # setting the graph recompiles the forward
            self.graph = graph
        return super().train(mode)

    def _deepcopy_init(self) -> Callable[..., None]:
        # fx.GraphModule.__deepcopy__ initializes the copy from a module holding deep copies of
        # this one's attributes (both graphs among them) and passes only the active graph.
        class_name = type(self).__name__

        def init(copy: "DualGraphModule", attributes: nn.Module, _active: fx.Graph) -> None:
            DualGraphModule.__init__(
                copy,
                attributes,
                attributes.__dict__["train_graph"],
                attributes.__dict__["eval_graph"],
                class_name,
            )

        return init


def _merged(user: Any, defaults: tuple[Any, ...], key: str) -> tuple[Any, ...]:
    if not isinstance(user, (list, tuple)):
        raise TypeError(
            f"tracer_kwargs[{key!r}] must be a list or tuple, got {type(user).__name__}"
        )
    return tuple(dict.fromkeys([*user, *defaults]))


def _tracer_options(tracer_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The caller's tracer options with vops' and math's defaults added (never replaced)."""
    if tracer_kwargs is None:
        tracer_kwargs = {}
    if not isinstance(tracer_kwargs, Mapping):
        raise TypeError(
            f"tracer_kwargs must be a dict of torch.fx.Tracer options or None, "
            f"got {type(tracer_kwargs).__name__}"
        )
    options = dict(tracer_kwargs)
    options["autowrap_modules"] = _merged(
        options.get("autowrap_modules", ()), _DEFAULT_AUTOWRAP_MODULES, "autowrap_modules"
    )
    options["leaf_modules"] = _merged(
        options.get("leaf_modules", ()), _DEFAULT_LEAF_MODULES, "leaf_modules"
    )
    for leaf in options["leaf_modules"]:
        if not (inspect.isclass(leaf) and issubclass(leaf, nn.Module)):
            raise TypeError(
                f"tracer_kwargs['leaf_modules'] must hold torch.nn.Module subclasses, got {leaf!r}"
            )
    return options


def _trace(
    model: nn.Module,
    training: bool,
    tracer_kwargs: Mapping[str, Any] | None,
    concrete_args: dict[str, Any] | None,
) -> tuple[fx.Graph, dict[fx.Node, str]]:
    """Trace ``model`` in the given mode, restoring its mode afterwards."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    tracer = _NodeNameTracer(**_tracer_options(tracer_kwargs))
    was_training = model.training
    try:
        graph = tracer.trace(model.train(training), concrete_args=concrete_args)
    finally:
        model.train(was_training)
    return graph, tracer.node_names


def _is_subsequence(items: Sequence[str], sequence: Sequence[str]) -> bool:
    remaining = iter(sequence)
    return all(item in remaining for item in items)


def _warn_if_modes_differ(train_names: list[str], eval_names: list[str]) -> None:
    if train_names == eval_names:
        return
    if _is_subsequence(eval_names, train_names):
        relation = "the eval-mode nodes are a subsequence of the train-mode nodes"
    elif _is_subsequence(train_names, eval_names):
        relation = "the train-mode nodes are a subsequence of the eval-mode nodes"
    else:
        relation = "each mode has nodes the other lacks"
    train_set, eval_set = set(train_names), set(eval_names)
    only_train = [name for name in train_names if name not in eval_set]
    only_eval = [name for name in eval_names if name not in train_set]
    warnings.warn(
        f"The model traces to different graphs in train and eval mode: {relation} "
        f"(only in train: {only_train[:5]}, only in eval: {only_eval[:5]}). Nodes may need to "
        "be chosen per mode with train_return_nodes and eval_return_nodes.",
        UserWarning,
        stacklevel=3,
    )


def get_graph_node_names(
    model: nn.Module,
    tracer_kwargs: dict[str, Any] | None = None,
    suppress_diff_warning: bool = False,
    concrete_args: dict[str, Any] | None = None,
) -> tuple[list[str], list[str]]:
    """The names of the nodes ``model``'s forward pass goes through, in execution order.

    The model is traced once in training and once in evaluation mode (its own mode is restored).
    Any of these names, or a module path that prefixes some of them, can be given to
    :func:`create_feature_extractor`.

    Args:
        model: the model to trace.
        tracer_kwargs: keyword arguments for the tracer (those of ``torch.fx.Tracer``, plus
            ``leaf_modules``: module classes not to trace through, and, beyond torchvision,
            ``trace_only_into``: qualified names of the only modules to trace through, every
            other submodule staying one call). The given ``leaf_modules`` and
            ``autowrap_modules`` are added to the defaults (vops' modules; ``math`` and
            ``vops``), never replace them.
        suppress_diff_warning: do not warn when the train and eval graphs differ.
        concrete_args: forward arguments to hold fixed while tracing (see
            ``torch.fx.Tracer.trace``).

    Returns:
        The node names of the train-mode graph and those of the eval-mode graph.

    Raises:
        TypeError: ``model`` is not an ``nn.Module`` or ``tracer_kwargs`` is malformed.

    Example:
        >>> train_nodes, eval_nodes = get_graph_node_names(vmodels.get_model("resnet18"))
        >>> train_nodes[-3:]
        ['avgpool', 'flatten', 'fc']
    """
    names = {
        mode: list(_trace(model, training, tracer_kwargs, concrete_args)[1].values())
        for mode, training in _MODES.items()
    }
    if not suppress_diff_warning:
        _warn_if_modes_differ(names["train"], names["eval"])
    return names["train"], names["eval"]


def _as_request(nodes: ReturnNodes, argument: str) -> dict[str, str]:
    """``nodes`` as a dict from node name to output name."""
    if isinstance(nodes, Mapping):
        pairs = list(nodes.items())
    elif isinstance(nodes, (list, tuple)):
        pairs = [(node, node) for node in nodes]
    else:
        raise TypeError(
            f"{argument} must be a list of node names or a dict mapping node names to output "
            f"names, got {type(nodes).__name__}"
        )
    for node, key in pairs:
        if not (isinstance(node, str) and isinstance(key, str)):
            raise TypeError(
                f"{argument} must hold str node names and output names, got {node!r}: {key!r}"
            )
    if not pairs:
        raise ValueError(f"{argument} must name at least one node, got {nodes!r}")
    keys = [key for _, key in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"{argument} gives several nodes the same output names {repeated}")
    return dict(pairs)


def _requests(
    return_nodes: ReturnNodes | None,
    train_return_nodes: ReturnNodes | None,
    eval_return_nodes: ReturnNodes | None,
) -> dict[str, tuple[str, dict[str, str]]]:
    """For each mode: the argument its nodes came from, and those nodes as a dict."""
    per_mode = train_return_nodes is not None or eval_return_nodes is not None
    if return_nodes is not None and per_mode:
        raise ValueError(
            "give either return_nodes or train_return_nodes and eval_return_nodes, not both"
        )
    if return_nodes is not None:
        request = _as_request(return_nodes, "return_nodes")
        return {mode: ("return_nodes", request) for mode in _MODES}
    if train_return_nodes is None or eval_return_nodes is None:
        given = "train_return_nodes" if train_return_nodes is not None else "eval_return_nodes"
        raise ValueError(
            "return_nodes, or train_return_nodes and eval_return_nodes together, must be given"
            + (f"; only {given} was" if per_mode else "")
        )
    return {
        "train": ("train_return_nodes", _as_request(train_return_nodes, "train_return_nodes")),
        "eval": ("eval_return_nodes", _as_request(eval_return_nodes, "eval_return_nodes")),
    }


def _missing_node_error(query: str, names: list[str], argument: str, mode: str) -> ValueError:
    # A module path is a valid request too, so suggest those alongside the node names.
    prefixes = (
        name.rsplit(".", depth)[0] for name in names for depth in range(1, name.count(".") + 1)
    )
    candidates = list(dict.fromkeys([*names, *prefixes]))
    close = difflib.get_close_matches(query, candidates, n=5)
    hint = f"closest names: {close}" if close else f"available names begin {names[:8]}"
    return ValueError(
        f"{argument}: no node named {query!r} in the model's {mode}-mode graph; {hint}. "
        "get_graph_node_names(model) lists all nodes; if the train and eval graphs differ, give "
        "train_return_nodes and eval_return_nodes separately."
    )


def _names_node(name: str, query: str) -> bool:
    return name == query or name.startswith(query + ".")


def _return_only(
    graph: fx.Graph, names: dict[fx.Node, str], request: dict[str, str], argument: str, mode: str
) -> None:
    """Make ``graph`` return ``{output name: node}`` for the requested nodes."""
    chosen: dict[str, fx.Node] = {}
    for node, name in names.items():  # in graph order: the last match wins
        for query in request:
            if _names_node(name, query):
                chosen[query] = node
    for query in request:
        if query not in chosen:
            raise _missing_node_error(query, list(names.values()), argument, mode)
    position = {node: index for index, node in enumerate(graph.nodes)}
    in_graph_order = sorted(request, key=lambda query: position[chosen[query]])
    (old_output,) = (node for node in graph.nodes if node.op == "output")
    graph.erase_node(old_output)
    graph.output({request[query]: chosen[query] for query in in_graph_order})


def create_feature_extractor(
    model: nn.Module,
    return_nodes: ReturnNodes | None = None,
    train_return_nodes: ReturnNodes | None = None,
    eval_return_nodes: ReturnNodes | None = None,
    tracer_kwargs: dict[str, Any] | None = None,
    suppress_diff_warning: bool = False,
    concrete_args: dict[str, Any] | None = None,
) -> DualGraphModule:
    """A module that runs ``model`` up to the requested nodes and returns their values.

    ``model`` is traced in training and in evaluation mode; in each graph the requested nodes
    become the outputs and everything they do not depend on is removed, parameters included.
    The result holds ``model``'s submodules (shared, not copied) and starts in ``model``'s mode.

    Args:
        model: the model to extract features from.
        return_nodes: the nodes to return, in both modes: a list of names (each also the
            output's key) or a dict from node name to output key. A name is a node name from
            :func:`get_graph_node_names` or a module path, which picks the last node inside that
            module (``"layer4"`` is ResNet's ``"layer4.1.relu_1"``).
        train_return_nodes: like ``return_nodes``, for training mode only; give it together
            with ``eval_return_nodes`` and instead of ``return_nodes``.
        eval_return_nodes: like ``return_nodes``, for evaluation mode only.
        tracer_kwargs: see :func:`get_graph_node_names`.
        suppress_diff_warning: do not warn when the train and eval graphs differ.
        concrete_args: see :func:`get_graph_node_names`.

    Returns:
        A :class:`DualGraphModule` whose forward takes ``model``'s inputs and returns a dict from
        output key to tensor, ordered as the nodes run.

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: no nodes, or both ``return_nodes`` and per-mode nodes, or only one of the
            per-mode arguments are given, output keys repeat, or a name matches no node (the
            message lists the closest names).

    Example:
        >>> extractor = create_feature_extractor(
        ...     vmodels.get_model("resnet18"), {"layer1": "feat1", "layer3": "feat2"}
        ... )
        >>> {k: v.shape for k, v in extractor(torch.rand(1, 3, 224, 224)).items()}
        {'feat1': torch.Size([1, 64, 56, 56]), 'feat2': torch.Size([1, 256, 14, 14])}
    """
    requests = _requests(return_nodes, train_return_nodes, eval_return_nodes)
    graphs: dict[str, fx.Graph] = {}
    node_names: dict[str, list[str]] = {}
    for mode, training in _MODES.items():
        graph, names = _trace(model, training, tracer_kwargs, concrete_args)
        argument, request = requests[mode]
        _return_only(graph, names, request, argument, mode)
        # Owned by a throwaway module only so that dead-code elimination can look up the
        # called submodules (to keep impure ones).
        fx.GraphModule(model, graph)
        graph.eliminate_dead_code()
        graphs[mode] = graph
        node_names[mode] = list(names.values())
    if not suppress_diff_warning:
        _warn_if_modes_differ(node_names["train"], node_names["eval"])
    return DualGraphModule(model, graphs["train"], graphs["eval"], type(model).__name__)
