"""The one build step every registered builder shares: construct, then load weights."""

from collections.abc import Callable

from torch import nn

from ._weights import load_weights


def build_model(
    name: str, make: Callable[..., nn.Module], weights=None, pretrained: bool = False, **kwargs
) -> nn.Module:
    """Construct ``make(**kwargs)`` and load the requested weights into it (strictly).

    Args:
        name: the model's registry name (weights entries are looked up under it).
        make: the model's constructor.
        weights: None, a registered weights name or entry, or a checkpoint file path.
        pretrained: True loads the model's default weights (the 2019 API).
    """
    model = make(**kwargs)
    state_dict = load_weights(name, weights, pretrained)
    if state_dict is not None:
        model.load_state_dict(state_dict)
    return model
