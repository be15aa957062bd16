"""Loads the compiled extension, refusing a torch other than the one it was built against."""

from types import ModuleType

import torch


def load_extension() -> ModuleType:
    """Import ``vops._C`` (which registers the ops) after checking the torch version.

    Raises:
        ImportError: if the running torch is not the one vops was compiled against, or the
            extension is missing.
    """
    try:
        from . import _build_info
    except ImportError as error:
        raise ImportError(
            "vops was not built: its compiled extension is missing. Install it with "
            "`pip install --no-build-isolation ./packages/vops` after installing torch."
        ) from error
    if torch.__version__ != _build_info.TORCH_VERSION:
        raise ImportError(mismatch_message(_build_info.TORCH_VERSION, torch.__version__))
    from . import _C

    return _C


def mismatch_message(built_against: str, running: str) -> str:
    """The error text for a vops compiled against another torch than the one running."""
    return (
        f"vops was compiled against torch {built_against} but torch {running} is installed; "
        "the compiled ops only load under the torch they were built with. Rebuild vops against "
        "the installed torch with `pip install --no-build-isolation --force-reinstall "
        f"./packages/vops`, or install torch=={built_against.split('+')[0]}."
    )
