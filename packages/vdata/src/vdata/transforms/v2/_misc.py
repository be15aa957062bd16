"""Identity, Lambda and LinearTransformation (torchvision 0.29's names and arguments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import PIL.Image
import torch

from ... import tv_tensors
from ..classification import check_linear_transformation, linear_transformation
from ._dispatch import _plain
from ._transform import Transform, is_pure_tensor


class Identity(Transform):
    """The sample unchanged."""

    def __init__(self) -> None:  # no arguments, as torchvision has it
        pass

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return inpt


class Lambda(Transform):
    """``lambd`` applied to each input of the given ``types`` (all inputs when none are given;
    of the plain tensors, only the one taken for the image)."""

    _transformed_types = (object,)

    def __init__(self, lambd: Callable[[Any], Any], *types: type) -> None:
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def __repr__(self) -> str:
        name = getattr(self.lambd, "__name__", None)
        types = f"types={[cls.__name__ for cls in self.types]}"
        return f"{type(self).__name__}({f'{name}, ' if name else ''}{types})"


class LinearTransformation(Transform):
    """Images and videos (and plain tensors) flattened to ``D = C * H * W`` values, centred by
    ``mean_vector`` and multiplied by ``transformation_matrix`` (``x_flat @ M``, e.g. a
    whitening computed offline), then reshaped back. No PIL images.

    Args:
        transformation_matrix: ``Tensor[D, D]``.
        mean_vector: ``Tensor[D]``, of the matrix's dtype and device.
    """

    _transformed_types = (is_pure_tensor, tv_tensors.Image, tv_tensors.Video)

    def __init__(self, transformation_matrix: torch.Tensor, mean_vector: torch.Tensor) -> None:
        check_linear_transformation(transformation_matrix, mean_vector)
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if any(isinstance(inpt, PIL.Image.Image) for inpt in flat_inputs):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        matrix, mean = self.transformation_matrix, self.mean_vector
        output = linear_transformation(_plain(inpt), matrix, mean)
        return output if is_pure_tensor(inpt) else tv_tensors.wrap(output, like=inpt)


__all__ = ["Identity", "Lambda", "LinearTransformation"]
