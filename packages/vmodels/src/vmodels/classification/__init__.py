"""Image classification models. Each family is one module whose builders register themselves
with the model registry; look them up with ``vmodels.list_models(task="classification")``."""


def __getattr__(name: str) -> object:
    """This package's builders and weights enums, such as
    ``vmodels.classification.resnet50``, found in the registry on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    from .._registry import find_public

    return find_public(name, __name__)
