"""Comparing vdata's outputs with torchvision's when they hold typed tensors (the two libraries'
tensor types do not mix in one torch call)."""

import numpy as np
import PIL.Image
import torch

_IMAGE_TYPES = ("Image", "Video", "Tensor")


def _values(item):
    if isinstance(item, PIL.Image.Image):
        return torch.from_numpy(np.array(item))
    return item.as_subclass(torch.Tensor)


def assert_same_typed(mine, their, image_atol: float = 0, atol: float = 0) -> None:
    """The same structure (dicts, tuples, lists), equal plain values, and for tensors and PIL
    images the same type name, dtype, shape, metadata (format, canvas_size, clamping_mode) and
    values: within ``image_atol`` for images, videos and plain tensors, ``atol`` for the rest."""
    if isinstance(their, dict):
        assert isinstance(mine, dict) and mine.keys() == their.keys()
        for key in their:
            assert_same_typed(mine[key], their[key], image_atol, atol)
        return
    if isinstance(their, (tuple, list)):
        assert type(mine) is type(their) and len(mine) == len(their)
        for a, b in zip(mine, their, strict=True):
            assert_same_typed(a, b, image_atol, atol)
        return
    if not isinstance(their, (torch.Tensor, PIL.Image.Image)):
        assert mine == their
        return
    assert type(mine).__name__ == type(their).__name__
    if isinstance(their, PIL.Image.Image):
        assert (mine.mode, mine.size) == (their.mode, their.size)
    for name in ("canvas_size", "clamping_mode"):
        mine_value, their_value = getattr(mine, name, None), getattr(their, name, None)
        assert (tuple(mine_value) if name == "canvas_size" and mine_value else mine_value) == (
            tuple(their_value) if name == "canvas_size" and their_value else their_value
        )
    if isinstance(their, torch.Tensor) and hasattr(their, "format"):  # PIL has a format too
        assert mine.format.name == their.format.name
    mine, their_values = _values(mine), _values(their)
    assert mine.dtype == their_values.dtype and mine.shape == their_values.shape
    tolerance = (
        image_atol
        if type(their).__name__ in _IMAGE_TYPES or isinstance(their, PIL.Image.Image)
        else atol
    )
    torch.testing.assert_close(
        mine.double(), their_values.double(), rtol=0, atol=tolerance, equal_nan=True
    )
