"""Training checkpoints: everything needed to continue a run exactly, written atomically.

A checkpoint is a dict of tensors and plain values (the arguments as a dict of str, int, float,
bool, None and lists of them; random states as tensors and lists), so that it loads with
``torch.load(weights_only=True)``.
"""

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vdata.utils import atomic_path

CHECKPOINT_NAME = "checkpoint.pth"


def plain_args(args: Any) -> dict[str, Any]:
    """``vars(args)`` with paths as strings, so that ``weights_only`` loading accepts them."""
    return {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in vars(args).items()}


def rng_state() -> dict[str, Any]:
    """The states of Python's, NumPy's and torch's (CPU and CUDA) global generators."""
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": list(random.getstate()[1]),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "position": int(position),
            "has_gauss": int(has_gauss),
            "gauss": float(gauss),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the generators saved by :func:`rng_state`."""
    random.setstate((3, tuple(state["python"]), None))
    saved = state["numpy"]
    np.random.set_state(
        (
            saved["kind"],
            saved["keys"].numpy().astype(np.uint32),
            saved["position"],
            saved["has_gauss"],
            saved["gauss"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(state: dict[str, Any], output_dir: Path) -> Path:
    """Write ``state`` to ``output_dir/checkpoint.pth`` through a temporary file and a rename,
    so that an interrupted write leaves the previous checkpoint intact."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / CHECKPOINT_NAME
    with atomic_path(path) as temporary:
        torch.save(state, temporary)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """A checkpoint written by :func:`save_checkpoint`, loaded on the CPU with
    ``weights_only=True``.

    Raises:
        FileNotFoundError: naming ``path`` if it is not a file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist or is not a file")
    return torch.load(path, map_location="cpu", weights_only=True)


def model_state(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The model weights in ``path``: the ``"model"`` entry of a checkpoint, or a bare state
    dict (as ``torch.save(model.state_dict(), path)`` writes)."""
    loaded = load_checkpoint(path)
    if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):
        return loaded["model"]
    if isinstance(loaded, dict) and all(isinstance(v, torch.Tensor) for v in loaded.values()):
        return loaded
    raise ValueError(
        f"{path} holds neither a vrefs checkpoint (a dict with a 'model' entry) nor a state dict"
    )
