"""Reading dataset files: images that fail loudly, and paths that stay inside the root."""

from __future__ import annotations

import os
from pathlib import Path, PurePath

from PIL import Image


class DatasetNotFoundError(FileNotFoundError, RuntimeError):
    """A dataset folder or file is missing: a ``FileNotFoundError`` that is also the
    ``RuntimeError`` ("Dataset not found or corrupted") torchvision raises for it."""


class DatasetArgumentError(ValueError, RuntimeError):
    """A bad combination of dataset arguments: a ``ValueError`` that is also the
    ``RuntimeError`` torchvision raises for it."""


def load_image(path: str | os.PathLike, mode: str | None = "RGB") -> Image.Image:
    """Decode an image file completely and return it converted to ``mode``.

    ``mode=None`` keeps the file's own mode (a palette ``"P"`` mask stays a palette image).
    The whole file is decoded here, so a truncated or corrupt file fails now, naming its path,
    rather than later inside a transform.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        OSError: the file is truncated, corrupt or no image; the message names ``path``.
        PIL.Image.DecompressionBombError: the image has more than twice
            ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (PIL's limit, read at each call: set it to
            None to turn the check off); PIL's error type with ``path`` in the message. Between
            one and two times the limit PIL warns (``DecompressionBombWarning``) and the image
            loads; where warnings are errors, that error names ``path`` too.
    """
    try:
        with Image.open(path) as image:
            return image.convert(mode) if mode is not None else image.copy()
    except FileNotFoundError as err:
        raise FileNotFoundError(f"image file not found: {path}") from err
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        # The same type, so code written against PIL's error still catches it.
        raise type(err)(f"{path}: {err} (the limit is PIL.Image.MAX_IMAGE_PIXELS)") from err
    # PIL reports truncated data as OSError and bad headers as UnidentifiedImageError (an
    # OSError too); SyntaxError and ValueError come from some malformed plugin headers.
    except (OSError, SyntaxError, ValueError) as err:
        raise OSError(f"cannot decode image {path}: {err}") from err


def inside_root(root: Path, relative: str | os.PathLike, source: str) -> Path:
    """``root / relative``, refusing a ``relative`` that names a place outside ``root``.

    ``relative`` comes from an annotation or list file (named by ``source`` in the error), so it
    must be a relative path without ``..`` components. The check is on the name, not on where
    symlinks lead: links the user made inside the root (an image folder on another disk) are
    followed, names written into annotation files cannot escape.
    """
    name = os.fspath(relative)
    parts = PurePath(name.replace("\\", "/")).parts
    if not name or PurePath(name).is_absolute() or name.startswith(("/", "\\")) or ".." in parts:
        raise ValueError(
            f"{source} names {name!r}, which is not a relative path inside the dataset root {root}"
        )
    return root / name


def require_dir(path: Path, hint: str) -> Path:
    """``path`` if it is a directory, else DatasetNotFoundError naming it and what to do."""
    if not path.is_dir():
        raise DatasetNotFoundError(f"dataset folder not found: {path}. {hint}")
    return path


def require_file(path: Path, hint: str = "") -> Path:
    """``path`` if it is a file, else DatasetNotFoundError naming it (and ``hint``)."""
    if not path.is_file():
        raise DatasetNotFoundError(
            f"dataset file not found: {path}" + (f". {hint}" if hint else "")
        )
    return path


def check_choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else ValueError naming the argument, worded as
    torchvision words it."""
    if not isinstance(value, str):
        raise ValueError(
            f"Expected type str for argument {name}, but got type {type(value)}: {value!r}"
        )
    if value not in choices:
        raise ValueError(
            f"Unknown value {value!r} for argument {name}. "
            f"Valid values are {{{', '.join(map(repr, choices))}}}."
        )
    return value


def as_target_types(target_type: str | list[str], choices: tuple[str, ...]) -> list[str]:
    """The ``target_type`` argument of the multi-target datasets as a checked list."""
    types = [target_type] if isinstance(target_type, str) else list(target_type)
    for t in types:
        check_choice(t, "target_type", choices)
    return types
