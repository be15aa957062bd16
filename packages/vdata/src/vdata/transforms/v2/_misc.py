"""Identity, Lambda and LinearTransformation (torchvision 0.29's names and arguments)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import PIL.Image
import torch

from ... import tv_tensors
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
        matrix_shape = tuple(transformation_matrix.size())
        if transformation_matrix.size(0) != transformation_matrix.size(1):
            raise ValueError(
                f"transformation_matrix should be square. Got {matrix_shape} rectangular matrix."
            )
        if mean_vector.size(0) != transformation_matrix.size(0):
            raise ValueError(
                f"mean_vector should have the same length {mean_vector.size(0)} as any one of "
                f"the dimensions of the transformation_matrix [{matrix_shape}]"
            )
        if transformation_matrix.device != mean_vector.device:
            raise ValueError(
                "Input tensors should be on the same device. Got "
                f"{transformation_matrix.device} and {mean_vector.device}"
            )
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(
                "Input tensors should have the same dtype. Got "
                f"{transformation_matrix.dtype} and {mean_vector.dtype}"
            )
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if any(isinstance(inpt, PIL.Image.Image) for inpt in flat_inputs):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        shape = inpt.shape
        size = shape[-3] * shape[-2] * shape[-1]
        if size != self.transformation_matrix.shape[0]:
            raise ValueError(
                "Input tensor and transformation matrix have incompatible shape."
                f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                f"{self.transformation_matrix.shape[0]}"
            )
        if inpt.device.type != self.mean_vector.device.type:
            raise ValueError(
                "Input tensor should be on the same device as transformation matrix and mean "
                f"vector. Got {inpt.device} vs {self.mean_vector.device}"
            )
        centred = _plain(inpt).reshape(-1, size) - self.mean_vector
        output = torch.mm(centred, self.transformation_matrix.to(centred.dtype)).reshape(shape)
        return output if is_pure_tensor(inpt) else tv_tensors.wrap(output, like=inpt)


__all__ = ["Identity", "Lambda", "LinearTransformation"]
