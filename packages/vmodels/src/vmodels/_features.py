"""Backbone adapters shared by the segmentation and detection models."""

from torch import Tensor, nn


class IntermediateLayerGetter(nn.ModuleDict):
    """Runs the direct children of a backbone in order and returns some of their outputs by name.

    Only the children up to the last requested one are kept (for a ResNet asked for ``layer4``, the
    average pool and classifier are dropped), under their own names, so the state dict keys of
    ``backbone.<child>...`` equal the backbone's. The backbone's ``forward`` must be nothing more
    than its children applied one after the other.

    Args:
        model: the backbone.
        return_layers: ``{child name: output name}``, e.g. ``{"layer4": "out", "layer3": "aux"}``.

    Shape:
        input whatever the first child takes; output ``dict[str, Tensor]`` with one entry per
        requested child, in the order the children run.

    Raises:
        ValueError: if ``return_layers`` is empty, not ``dict[str, str]``, names something that is
            not a direct child of ``model``, or repeats an output name.
    """

    return_layers: dict[str, str]

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if (
            not isinstance(return_layers, dict)
            or not return_layers
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in return_layers.items())
        ):
            raise ValueError(
                "return_layers must be a non-empty dict[str, str] of child name to output name, "
                f"got {return_layers!r}"
            )
        children = list(model.named_children())
        names = [name for name, _ in children]
        unknown = [name for name in return_layers if name not in names]
        if unknown:
            raise ValueError(
                f"return_layers names {unknown}, which are not direct children of the "
                f"{type(model).__name__}; its children are {names}"
            )
        if len(set(return_layers.values())) != len(return_layers):
            raise ValueError(f"return_layers repeats an output name: {return_layers!r}")
        last = max(names.index(name) for name in return_layers)
        super().__init__(children[: last + 1])
        self.return_layers = dict(return_layers)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        features: dict[str, Tensor] = {}
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                features[self.return_layers[name]] = x
        return features
