"""Which input dimensions an export leaves dynamic, and inputs of other sizes along them.

The dynamic dimensions are written as ``torch.export`` takes them (``dynamic_shapes``): a spec
that mirrors the positional arguments, with ``{dim: Dim}`` at each tensor. The check then runs
the artefact on inputs resized along exactly those dimensions.
"""

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.export import Dim
from torch.utils import _pytree as pytree


@dataclass(frozen=True)
class DynamicDim:
    """Dimension ``dim`` of the ``leaf``-th tensor of the inputs (in pytree order) is dynamic;
    ``batch``: it is dimension 0 of a tensor argument, so other sizes are other counts."""

    leaf: int
    dim: int
    batch: bool


def default_dynamic_shapes(inputs: tuple) -> tuple:
    """The batch of each tensor argument, both sides of each image in a list (or tuple) of
    ``Tensor[C, H, W]`` (a detector's input); everything else static."""
    spec: list[Any] = []
    for argument in inputs:
        if isinstance(argument, Tensor) and argument.dim() >= 1:
            spec.append({0: Dim.DYNAMIC})
        elif (
            isinstance(argument, (list, tuple))
            and argument
            and all(isinstance(t, Tensor) and t.dim() == 3 for t in argument)
        ):
            spec.append(type(argument)({1: Dim.DYNAMIC, 2: Dim.DYNAMIC} for _ in argument))
        else:
            spec.append(None)
    return tuple(spec)


def dynamic_dims(inputs: tuple, spec: Any) -> list[DynamicDim]:
    """The dynamic dimensions that ``spec`` (a ``dynamic_shapes`` value) marks in ``inputs``."""
    found: list[DynamicDim] = []
    leaves = 0

    def visit(value: Any, spec: Any, top_level: bool) -> None:
        nonlocal leaves
        if isinstance(value, Tensor):
            index, leaves = leaves, leaves + 1
            if spec is None:
                return
            items = spec.items() if isinstance(spec, dict) else enumerate(spec)
            for dim, hint in items:
                if _is_dynamic(hint):
                    found.append(DynamicDim(index, dim % value.dim(), top_level and dim == 0))
        elif isinstance(value, (list, tuple)):
            specs = [None] * len(value) if spec is None else list(spec)
            for item, item_spec in zip(value, specs, strict=True):
                visit(item, item_spec, False)
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(item, None if spec is None else spec.get(key), False)

    try:
        specs = [None] * len(inputs) if spec is None else list(spec)
        for argument, argument_spec in zip(inputs, specs, strict=True):
            visit(argument, argument_spec, True)
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            "dynamic_shapes must mirror example_inputs as torch.export takes it (a tuple with "
            f"{{dim: Dim}} or None at each tensor), got {spec!r}"
        ) from error
    return found


def _is_dynamic(hint: Any) -> bool:
    return hint is not None and not isinstance(hint, int) and hint != Dim.STATIC


def traceable(inputs: tuple, dims: list[DynamicDim]) -> tuple:
    """``inputs`` with each dynamic dimension of size 1 grown to 2: torch.export specializes a
    size of 1, so a single image would fix the batch."""
    sizes = {(d.leaf, d.dim): 2 for d in dims if _leaf_tensors(inputs)[d.leaf].size(d.dim) == 1}
    return resized(inputs, dims, sizes) if sizes else inputs


def other_sizes(inputs: tuple, dims: list[DynamicDim]) -> list[tuple]:
    """Inputs of other sizes along the dynamic dimensions: for a batch, 1 and one more than
    given (3 for a batch of 1); for other dimensions, 3/4 and 5/4 of the size alternately, so a
    ``[C, H, W]`` image changes its aspect ratio. Empty without dynamic dimensions."""
    tensors = _leaf_tensors(inputs)
    choices: dict[tuple[int, int], list[int]] = {}
    sides_seen: dict[int, int] = {}
    for d in dims:
        size = tensors[d.leaf].size(d.dim)
        if d.batch:
            choices[(d.leaf, d.dim)] = [1, size + 1] if size > 1 else [3]
        else:
            k = sides_seen[d.leaf] = sides_seen.get(d.leaf, -1) + 1
            choices[(d.leaf, d.dim)] = [max(2, round(size * (0.75 if k % 2 == 0 else 1.25)))]
    count = max((len(c) for c in choices.values()), default=0)
    return [
        resized(inputs, dims, {key: c[min(i, len(c) - 1)] for key, c in choices.items()})
        for i in range(count)
    ]


def resized(inputs: tuple, dims: list[DynamicDim], sizes: dict[tuple[int, int], int]) -> tuple:
    """``inputs`` with dimension ``dim`` of tensor leaf ``leaf`` at ``sizes[(leaf, dim)]``: a
    batch repeats its items (mirrored left to right for images, so that no two are equal),
    other dimensions are resampled to the nearest index."""
    batch = {(d.leaf, d.dim) for d in dims if d.batch}
    leaves, spec = pytree.tree_flatten(inputs)
    tensor_positions = [i for i, leaf in enumerate(leaves) if isinstance(leaf, Tensor)]
    for (leaf, dim), new in sizes.items():
        position = tensor_positions[leaf]
        tensor = leaves[position]
        old = tensor.size(dim)
        if (leaf, dim) in batch:
            index = torch.arange(new, device=tensor.device) % old
            grown = tensor.index_select(dim, index)
            if new > old and tensor.is_floating_point() and tensor.dim() >= 3:
                repeats = grown.narrow(dim, old, new - old).flip(-1)
                grown = torch.cat([grown.narrow(dim, 0, old), repeats], dim)
        else:
            index = torch.arange(new, device=tensor.device) * old // new
            grown = tensor.index_select(dim, index)
        leaves[position] = grown.contiguous()
    return pytree.tree_unflatten(leaves, spec)


def tensor_shapes(inputs: tuple) -> tuple[tuple[int, ...], ...]:
    """The shape of each tensor in ``inputs``, in pytree order."""
    return tuple(tuple(t.shape) for t in _leaf_tensors(inputs))


def _leaf_tensors(inputs: tuple) -> list[Tensor]:
    return [leaf for leaf in pytree.tree_leaves(inputs) if isinstance(leaf, Tensor)]
