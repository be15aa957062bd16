"""Training checkpoints: everything needed to continue a run exactly, written atomically.

A checkpoint is a dict of tensors and plain values (the arguments as a dict of str, int, float,
bool, None and lists of them; random states as tensors and lists), so that it loads with
``torch.load(weights_only=True)``.
"""

import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vdata.utils import atomic_path
from vmodels import CheckpointError, read_torch_file

CHECKPOINT_NAME = "checkpoint.pth"
# What a trainer's state holds (see Trainer.state_dict); a file without these cannot be resumed.
TRAINING_STATE_KEYS = ("model", "optimizer", "lr_scheduler", "scaler", "epoch", "rng")
# vdata.utils.atomic_path writes to ".<stem>.<12 hex digits>.tmp<suffix>" beside the target.
_TEMPORARY_NAME = re.compile(r"\..+\.[0-9a-f]{12}\.tmp(\.[^.]*)?")


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


def remove_stale_temporaries(output_dir: Path) -> list[Path]:
    """Delete the temporary files that writes interrupted by a kill left in ``output_dir``
    (an interrupted write never replaces its target, so they hold nothing of value). Call it
    before this run writes anything there. Returns the removed paths."""
    if not output_dir.is_dir():
        return []
    stale = [p for p in output_dir.iterdir() if _TEMPORARY_NAME.fullmatch(p.name) and p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def load_checkpoint(path: str | os.PathLike) -> Any:
    """The object in a file written by :func:`save_checkpoint` (or by ``torch.save`` of a state
    dict), loaded on the CPU with ``weights_only=True``: see :func:`vmodels.read_torch_file`."""
    return read_torch_file(path)


def _is_state_dict(loaded: object) -> bool:
    return isinstance(loaded, dict) and all(isinstance(v, torch.Tensor) for v in loaded.values())


def training_state(path: str | os.PathLike) -> dict[str, Any]:
    """The trainer state in a checkpoint written by vrefs (for ``--resume``).

    Raises:
        CheckpointError: naming ``path`` if it is unreadable or not a vrefs checkpoint, and
            saying what it holds instead.
    """
    loaded = load_checkpoint(path)
    if _is_state_dict(loaded) and loaded:
        raise CheckpointError(
            f"{path} is not a vrefs checkpoint: it holds a bare state dict; "
            "use --weights to initialize the model from it"
        )
    if not isinstance(loaded, dict):
        raise CheckpointError(
            f"{path} is not a vrefs checkpoint: it holds a {type(loaded).__name__}, not a dict"
        )
    missing = [key for key in TRAINING_STATE_KEYS if key not in loaded]
    if missing:
        raise CheckpointError(
            f"{path} is not a vrefs checkpoint: it lacks {', '.join(map(repr, missing))}"
        )
    return loaded


def model_state(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The model weights in ``path``: the ``"model"`` entry of a checkpoint, or a bare state
    dict (as ``torch.save(model.state_dict(), path)`` writes)."""
    loaded = load_checkpoint(path)
    if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):
        return loaded["model"]
    if _is_state_dict(loaded):
        return loaded
    raise CheckpointError(
        f"{path} holds neither a vrefs checkpoint (a dict with a 'model' entry) nor a state dict"
    )
