"""scikit-build-core metadata provider: vops requires exactly the torch it is compiled against."""

import torch


def dynamic_metadata(field: str, settings: dict) -> list:
    if field != "dependencies" or settings:
        raise RuntimeError("torch_pin only provides 'dependencies' and takes no settings")
    return [f"torch=={torch.__version__.split('+')[0]}"]
