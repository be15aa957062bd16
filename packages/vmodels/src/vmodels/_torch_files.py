"""Reading ``torch.save`` files safely, with errors that name the file."""

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

# torch.save writes a zip archive; before torch 1.6 (and many published checkpoints) it wrote a
# pickle stream that begins with this pickled magic number.
_LEGACY_TORCH_MAGIC = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used as asked: unreadable, unsafe to load, or of the
    wrong structure. The message names the file and what it holds or lacks."""


def read_torch_file(path: str | os.PathLike) -> Any:
    """The object in a ``torch.save`` file, loaded on the CPU with ``weights_only=True``, so
    that no code in the file ever runs.

    Raises:
        FileNotFoundError: naming ``path`` if it is not a file.
        CheckpointError: naming ``path`` if it is not a torch file (truncated or corrupt) or
            holds objects other than tensors and plain values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist or is not a file")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as file:
            if file.read(len(_LEGACY_TORCH_MAGIC)) != _LEGACY_TORCH_MAGIC:
                raise CheckpointError(
                    f"{path} is not a readable torch file: it is neither the zip archive nor "
                    "the legacy pickle stream that torch.save writes (truncated or corrupt?)"
                )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        lines = str(error).strip().splitlines()
        raise CheckpointError(
            f"{path} was not loaded: it holds objects other than tensors and plain values, "
            f"which could run code when unpickled ({lines[-1] if lines else type(error).__name__})"
        ) from error
    except Exception as error:  # torch's reader fails in many ways on a damaged file
        lines = str(error).strip().splitlines()
        raise CheckpointError(
            f"{path} is not a readable torch file (truncated or corrupt?): "
            f"{type(error).__name__}: {lines[0] if lines else ''}"
        ) from error
