"""The v2 automatic augmentation policies AutoAugment, RandAugment, TrivialAugmentWide and AugMix
(torchvision 0.29's names, arguments, operations and random draws).

They transform one image or video per sample (a plain tensor, a PIL image, an ``Image`` or a
``Video``) and refuse samples with boxes, masks or key points. The warps are the v2
``affine`` and ``rotate``, so results agree with torchvision's to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Any

import PIL.Image
import torch
from torch import Tensor
from torch.utils._pytree import tree_flatten, tree_unflatten

from ... import tv_tensors
from .. import functional as F1
from .._image import interpolation_mode, max_value
from . import _color_functional as CF
from ._dispatch import _plain
from ._transform import Transform, is_pure_tensor
from ._warp_functional import affine, rotate
from ._warp_transforms import fill_of, fill_table


class AutoAugmentPolicy(Enum):
    """The datasets AutoAugment learned a policy on."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# --- the operations -------------------------------------------------------------------------


def _shear(axis: int) -> Callable:
    def op(image: Any, magnitude: float, mode: str, fill: Any) -> Any:
        shear = [0.0, 0.0]
        shear[axis] = math.degrees(math.atan(magnitude))
        return affine(image, 0.0, [0, 0], 1.0, shear, interpolation=mode, fill=fill, center=[0, 0])

    return op


def _translate(axis: int) -> Callable:
    def op(image: Any, magnitude: float, mode: str, fill: Any) -> Any:
        shift = [0, 0]
        shift[axis] = int(magnitude)
        return affine(image, 0.0, shift, 1.0, [0.0, 0.0], interpolation=mode, fill=fill)

    return op


def _factor(functional: Callable) -> Callable:
    """An enhancement by ``1 + magnitude``."""
    return lambda image, magnitude, mode, fill: functional(image, 1.0 + magnitude)


def _plain_op(functional: Callable) -> Callable:
    """An operation without magnitude."""
    return lambda image, magnitude, mode, fill: functional(image)


def _solarize(image: Any, magnitude: float, mode: str, fill: Any) -> Any:
    bound = max_value(image.dtype) if isinstance(image, Tensor) else 255.0
    return CF.solarize(image, threshold=bound * magnitude)


# Each operation as ``op(image, magnitude, interpolation, fill)``.
_OPERATIONS: dict[str, Callable] = {
    "Identity": lambda image, magnitude, mode, fill: image,
    "ShearX": _shear(0),
    "ShearY": _shear(1),
    "TranslateX": _translate(0),
    "TranslateY": _translate(1),
    "Rotate": lambda image, magnitude, mode, fill: rotate(
        image, magnitude, interpolation=mode, fill=fill
    ),
    "Brightness": _factor(CF.adjust_brightness),
    "Color": _factor(CF.adjust_saturation),
    "Contrast": _factor(CF.adjust_contrast),
    "Sharpness": _factor(CF.adjust_sharpness),
    "Posterize": lambda image, magnitude, mode, fill: CF.posterize(image, bits=int(magnitude)),
    "Solarize": _solarize,
    "AutoContrast": _plain_op(CF.autocontrast),
    "Equalize": _plain_op(CF.equalize),
    "Invert": _plain_op(CF.invert),
}


# --- the magnitude bins ---------------------------------------------------------------------

# A space maps an operation's name to ``(bins(num_bins, height, width), signed)``: its
# magnitudes (None: it has none), and whether a draw negates them half of the time.
Space = dict[str, tuple[Callable[[int, int, int], Tensor | None], bool]]


def _up_to(high: float) -> Callable[[int, int, int], Tensor]:
    return lambda bins, height, width: torch.linspace(0.0, high, bins)


def _bits(top: int, span: int) -> Callable[[int, int, int], Tensor]:
    """Posterize's bits, from ``top`` down by ``span`` over the bins."""
    return lambda bins, height, width: (
        (top - torch.arange(bins) / ((bins - 1) / span)).round().int()
    )


def _no_magnitude(bins: int, height: int, width: int) -> None:
    return None


_SOLARIZE = (lambda bins, height, width: torch.linspace(1.0, 0.0, bins), False)
_UNSIGNED_NONE = (_no_magnitude, False)
_ENHANCEMENTS = ("Brightness", "Color", "Contrast", "Sharpness")


def _space(
    shear: float,
    translate: tuple[Callable, Callable],
    rotate: float,
    enhance: float,
    bits: tuple[int, int],
    identity: bool,
) -> Space:
    """An augmentation space in torchvision's order of keys (the draws index into it)."""
    space: Space = {"Identity": _UNSIGNED_NONE} if identity else {}
    space.update(ShearX=(_up_to(shear), True), ShearY=(_up_to(shear), True))
    space.update(TranslateX=(translate[0], True), TranslateY=(translate[1], True))
    space["Rotate"] = (_up_to(rotate), True)
    space.update({name: (_up_to(enhance), True) for name in _ENHANCEMENTS})
    space.update(Posterize=(_bits(*bits), False), Solarize=_SOLARIZE)
    space.update(AutoContrast=_UNSIGNED_NONE, Equalize=_UNSIGNED_NONE)
    return space


_TRANSLATE_331 = (
    lambda bins, height, width: torch.linspace(0.0, 150.0 / 331.0 * width, bins),
    lambda bins, height, width: torch.linspace(0.0, 150.0 / 331.0 * height, bins),
)
_RAND_SPACE = _space(0.3, _TRANSLATE_331, 30.0, 0.9, (8, 4), identity=True)
_AUTO_SPACE = {
    **{k: v for k, v in _RAND_SPACE.items() if k != "Identity"},
    "Invert": _UNSIGNED_NONE,
}
_TRIVIAL_SPACE = _space(0.99, (_up_to(32.0), _up_to(32.0)), 135.0, 0.99, (8, 6), identity=True)
_AUGMIX_TRANSLATE = (
    lambda bins, height, width: torch.linspace(0.0, width / 3.0, bins),
    lambda bins, height, width: torch.linspace(0.0, height / 3.0, bins),
)
_AUGMIX_SPACE = _space(0.3, _AUGMIX_TRANSLATE, 30.0, 0.9, (4, 4), identity=False)
# AugMix's partial space: its operations without the enhancements, in the same order.
_AUGMIX_PARTIAL_SPACE = {k: v for k, v in _AUGMIX_SPACE.items() if k not in _ENHANCEMENTS}
# torchvision lists the enhancements last in AugMix's full space.
_AUGMIX_SPACE = {**_AUGMIX_PARTIAL_SPACE, **{k: _AUGMIX_SPACE[k] for k in _ENHANCEMENTS}}


# --- the policies ---------------------------------------------------------------------------

Fill = float | Sequence[float] | None


class _AutoAugmentBase(Transform):
    """Base of the policies: finds the sample's one image or video, augments it with
    :meth:`augment` and puts it back."""

    _unsupported = (tv_tensors.BoundingBoxes, tv_tensors.Mask, tv_tensors.KeyPoints)

    def __init__(
        self, *, interpolation: Any = "nearest", fill: Fill | Mapping[Any, Fill] = None
    ) -> None:
        self.interpolation = interpolation
        self._mode = interpolation_mode(interpolation).value
        self.fill = fill
        self._fill = fill_table(fill)

    def augment(self, image: Any) -> Any:
        """The augmented ``image``; all random draws of a call happen here."""
        raise NotImplementedError

    def __call__(self, *inputs: Any) -> Any:
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        index = self._image_index(flat_inputs)
        flat_inputs[index] = self.augment(flat_inputs[index])
        return tree_unflatten(flat_inputs, spec)

    def _image_index(self, flat_inputs: list[Any]) -> int:
        image_like = (tv_tensors.Image, tv_tensors.Video, PIL.Image.Image)
        found = []
        needs = self._needs_transform_list(flat_inputs)
        for index, (inpt, need) in enumerate(zip(flat_inputs, needs, strict=True)):
            if need and (isinstance(inpt, image_like) or is_pure_tensor(inpt)):
                found.append(index)
            elif isinstance(inpt, self._unsupported):
                raise TypeError(
                    f"Inputs of type {type(inpt).__name__} are not supported by "
                    f"{type(self).__name__}()"
                )
        if not found:
            raise TypeError("Found no image in the sample.")
        if len(found) > 1:
            raise TypeError(
                "Auto augment transformations are only properly defined for a single image or "
                f"video, but found {len(found)}."
            )
        return found[0]

    @staticmethod
    def _size(image: Any) -> tuple[int, int]:
        if isinstance(image, PIL.Image.Image):
            return image.height, image.width
        return image.shape[-2], image.shape[-1]

    @staticmethod
    def _random_op(space: Space) -> str:
        names = tuple(space)
        return names[int(torch.randint(len(names), ()))]

    @staticmethod
    def _signed(magnitude: float, signed: bool) -> float:
        return -magnitude if signed and torch.rand(()) <= 0.5 else magnitude

    def _magnitude(self, space: Space, name: str, bins: int, size: tuple[int, int], pick) -> float:
        """The magnitude of ``name``: the bin ``pick()`` chooses (drawn only when the operation
        has magnitudes), negated at random for signed operations."""
        values_of, signed = space[name]
        values = values_of(bins, *size)
        if values is None:
            return 0.0
        return self._signed(float(values[pick()]), signed)

    def _apply(self, image: Any, name: str, magnitude: float) -> Any:
        return _OPERATIONS[name](image, magnitude, self._mode, fill_of(self._fill, image))


def _policy_table(policy: AutoAugmentPolicy) -> list[tuple[tuple[str, float, int | None], ...]]:
    """AutoAugment's sub-policies: pairs of ``(operation, probability, magnitude bin)``."""
    rows = _POLICIES[policy]
    return [tuple(_parse_op(op) for op in row.split(" | ")) for row in rows]


def _parse_op(text: str) -> tuple[str, float, int | None]:
    name, probability, magnitude = text.split()
    return name, float(probability), None if magnitude == "-" else int(magnitude)


# The sub-policies of the AutoAugment paper (appendix), one per line: "op p bin | op p bin".
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: [
        "Posterize 0.4 8 | Rotate 0.6 9",
        "Solarize 0.6 5 | AutoContrast 0.6 -",
        "Equalize 0.8 - | Equalize 0.6 -",
        "Posterize 0.6 7 | Posterize 0.6 6",
        "Equalize 0.4 - | Solarize 0.2 4",
        "Equalize 0.4 - | Rotate 0.8 8",
        "Solarize 0.6 3 | Equalize 0.6 -",
        "Posterize 0.8 5 | Equalize 1.0 -",
        "Rotate 0.2 3 | Solarize 0.6 8",
        "Equalize 0.6 - | Posterize 0.4 6",
        "Rotate 0.8 8 | Color 0.4 0",
        "Rotate 0.4 9 | Equalize 0.6 -",
        "Equalize 0.0 - | Equalize 0.8 -",
        "Invert 0.6 - | Equalize 1.0 -",
        "Color 0.6 4 | Contrast 1.0 8",
        "Rotate 0.8 8 | Color 1.0 2",
        "Color 0.8 8 | Solarize 0.8 7",
        "Sharpness 0.4 7 | Invert 0.6 -",
        "ShearX 0.6 5 | Equalize 1.0 -",
        "Color 0.4 0 | Equalize 0.6 -",
        "Equalize 0.4 - | Solarize 0.2 4",
        "Solarize 0.6 5 | AutoContrast 0.6 -",
        "Invert 0.6 - | Equalize 1.0 -",
        "Color 0.6 4 | Contrast 1.0 8",
        "Equalize 0.8 - | Equalize 0.6 -",
    ],
    AutoAugmentPolicy.CIFAR10: [
        "Invert 0.1 - | Contrast 0.2 6",
        "Rotate 0.7 2 | TranslateX 0.3 9",
        "Sharpness 0.8 1 | Sharpness 0.9 3",
        "ShearY 0.5 8 | TranslateY 0.7 9",
        "AutoContrast 0.5 - | Equalize 0.9 -",
        "ShearY 0.2 7 | Posterize 0.3 7",
        "Color 0.4 3 | Brightness 0.6 7",
        "Sharpness 0.3 9 | Brightness 0.7 9",
        "Equalize 0.6 - | Equalize 0.5 -",
        "Contrast 0.6 7 | Sharpness 0.6 5",
        "Color 0.7 7 | TranslateX 0.5 8",
        "Equalize 0.3 - | AutoContrast 0.4 -",
        "TranslateY 0.4 3 | Sharpness 0.2 6",
        "Brightness 0.9 6 | Color 0.2 8",
        "Solarize 0.5 2 | Invert 0.0 -",
        "Equalize 0.2 - | AutoContrast 0.6 -",
        "Equalize 0.2 - | Equalize 0.6 -",
        "Color 0.9 9 | Equalize 0.6 -",
        "AutoContrast 0.8 - | Solarize 0.2 8",
        "Brightness 0.1 3 | Color 0.7 0",
        "Solarize 0.4 5 | AutoContrast 0.9 -",
        "TranslateY 0.9 9 | TranslateY 0.7 9",
        "AutoContrast 0.9 - | Solarize 0.8 3",
        "Equalize 0.8 - | Invert 0.1 -",
        "TranslateY 0.7 9 | AutoContrast 0.9 -",
    ],
    AutoAugmentPolicy.SVHN: [
        "ShearX 0.9 4 | Invert 0.2 -",
        "ShearY 0.9 8 | Invert 0.7 -",
        "Equalize 0.6 - | Solarize 0.6 6",
        "Invert 0.9 - | Equalize 0.6 -",
        "Equalize 0.6 - | Rotate 0.9 3",
        "ShearX 0.9 4 | AutoContrast 0.8 -",
        "ShearY 0.9 8 | Invert 0.4 -",
        "ShearY 0.9 5 | Solarize 0.2 6",
        "Invert 0.9 - | AutoContrast 0.8 -",
        "Equalize 0.6 - | Rotate 0.9 3",
        "ShearX 0.9 4 | Solarize 0.3 3",
        "ShearY 0.8 8 | Invert 0.7 -",
        "Equalize 0.9 - | TranslateY 0.6 6",
        "Invert 0.9 - | Equalize 0.6 -",
        "Contrast 0.3 3 | Rotate 0.8 4",
        "Invert 0.8 - | TranslateY 0.0 2",
        "ShearY 0.7 6 | Solarize 0.4 8",
        "Invert 0.6 - | Rotate 0.8 4",
        "ShearY 0.3 7 | TranslateX 0.9 3",
        "ShearX 0.1 6 | Invert 0.6 -",
        "Solarize 0.7 2 | TranslateY 0.6 7",
        "ShearY 0.8 4 | Invert 0.8 -",
        "ShearX 0.7 9 | TranslateY 0.8 3",
        "ShearY 0.8 5 | AutoContrast 0.7 -",
        "ShearX 0.7 2 | Invert 0.1 -",
    ],
}


class AutoAugment(_AutoAugmentBase):
    """AutoAugment (https://arxiv.org/abs/1805.09501): one of the ``policy``'s 25 sub-policies,
    drawn per call, applies its two operations, each with its own probability.

    Args:
        policy: an :class:`AutoAugmentPolicy` (or its value, e.g. ``"cifar10"``).
        interpolation: for the warps: ``"nearest"`` or ``"bilinear"`` for tensors, any PIL
            filter for PIL images.
        fill: the colour warps bring in from outside the image (None: zeros): a number, one per
            channel, or a dict from input type (or ``"others"``) to one of those.
    """

    def __init__(
        self,
        policy: AutoAugmentPolicy | str = AutoAugmentPolicy.IMAGENET,
        interpolation: Any = "nearest",
        fill: Fill | Mapping[Any, Fill] = None,
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        try:
            self.policy = AutoAugmentPolicy(policy)
        except ValueError:
            raise ValueError(f"The provided policy {policy} is not recognized.") from None
        self._policies = _policy_table(self.policy)

    def augment(self, image: Any) -> Any:
        size = self._size(image)
        sub_policy = self._policies[int(torch.randint(len(self._policies), ()))]
        for name, probability, bin_index in sub_policy:
            if not torch.rand(()) <= probability:
                continue
            magnitude = self._magnitude(_AUTO_SPACE, name, 10, size, lambda i=bin_index: i)
            image = self._apply(image, name, magnitude)
        return image


class RandAugment(_AutoAugmentBase):
    """RandAugment (https://arxiv.org/abs/1909.13719): ``num_ops`` operations drawn uniformly,
    each at bin ``magnitude`` of ``num_magnitude_bins``. ``interpolation`` and ``fill`` as for
    :class:`AutoAugment`."""

    def __init__(
        self,
        num_ops: int = 2,
        magnitude: int = 9,
        num_magnitude_bins: int = 31,
        interpolation: Any = "nearest",
        fill: Fill | Mapping[Any, Fill] = None,
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(
                f"num_ops should be a non-negative integer, but got {num_ops} instead."
            )
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def augment(self, image: Any) -> Any:
        size = self._size(image)
        for _ in range(self.num_ops):
            name = self._random_op(_RAND_SPACE)
            bins = self.num_magnitude_bins
            magnitude = self._magnitude(_RAND_SPACE, name, bins, size, lambda: self.magnitude)
            image = self._apply(image, name, magnitude)
        return image


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment Wide (https://arxiv.org/abs/2103.10158): one operation and one of its
    ``num_magnitude_bins`` magnitudes, both drawn uniformly. ``interpolation`` and ``fill`` as
    for :class:`AutoAugment`."""

    def __init__(
        self,
        num_magnitude_bins: int = 31,
        interpolation: Any = "nearest",
        fill: Fill | Mapping[Any, Fill] = None,
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def augment(self, image: Any) -> Any:
        bins = self.num_magnitude_bins
        name = self._random_op(_TRIVIAL_SPACE)
        pick = lambda: int(torch.randint(bins, ()))  # noqa: E731
        magnitude = self._magnitude(_TRIVIAL_SPACE, name, bins, self._size(image), pick)
        return self._apply(image, name, magnitude)


class AugMix(_AutoAugmentBase):
    """AugMix (https://arxiv.org/abs/1912.02781): ``mixture_width`` chains of random operations
    mixed with Dirichlet weights, then blended with the original by a Beta weight.

    Args:
        severity: 1 to 10, the number of magnitude bins to draw from.
        mixture_width: the number of chains.
        chain_depth: operations per chain; -1 draws 1 to 3 per chain.
        alpha: the Dirichlet and Beta parameter.
        all_ops: include the enhancements (brightness, colour, contrast, sharpness).
        interpolation, fill: as for :class:`AutoAugment` (default interpolation bilinear).
    """

    _PARAMETER_MAX = 10

    def __init__(
        self,
        severity: int = 3,
        mixture_width: int = 3,
        chain_depth: int = -1,
        alpha: float = 1.0,
        all_ops: bool = True,
        interpolation: Any = "bilinear",
        fill: Fill | Mapping[Any, Fill] = None,
    ) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(
                f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead."
            )
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops = alpha, all_ops

    def _dirichlet(self, count: int, batch: int, device: torch.device) -> Tensor:
        concentration = torch.tensor([self.alpha] * count, device=device)
        return torch._sample_dirichlet(concentration.expand(batch, -1))

    def augment(self, image: Any) -> Any:
        size = self._size(image)
        pixels = F1.pil_to_tensor(image) if isinstance(image, PIL.Image.Image) else image
        space = _AUGMIX_SPACE if self.all_ops else _AUGMIX_PARTIAL_SPACE
        ndim = 5 if isinstance(image, tv_tensors.Video) else 4
        batch = _plain(pixels).reshape([1] * max(ndim - pixels.ndim, 0) + list(pixels.shape))
        weight_shape = [batch.shape[0]] + [1] * (batch.ndim - 1)
        original_vs_chains = self._dirichlet(2, batch.shape[0], batch.device)
        chain_weights = self._dirichlet(self.mixture_width, batch.shape[0], batch.device)
        chain_weights = chain_weights * original_vs_chains[:, 1].reshape(batch.shape[0], -1)
        mix = original_vs_chains[:, 0].reshape(weight_shape) * batch
        for chain in range(self.mixture_width):
            mix.add_(
                chain_weights[:, chain].reshape(weight_shape) * self._chain(batch, space, size)
            )
        mix = mix.reshape(pixels.shape).to(dtype=pixels.dtype)  # truncates, as torchvision does
        if isinstance(image, PIL.Image.Image):
            return F1.to_pil_image(mix)
        return mix if is_pure_tensor(image) else tv_tensors.wrap(mix, like=image)

    def _chain(self, batch: Tensor, space: Space, size: tuple[int, int]) -> Tensor:
        depth = self.chain_depth
        if depth <= 0:
            depth = int(torch.randint(low=1, high=4, size=(1,)).item())
        pick = lambda: int(torch.randint(self.severity, ()))  # noqa: E731
        for _ in range(depth):
            name = self._random_op(space)
            magnitude = self._magnitude(space, name, self._PARAMETER_MAX, size, pick)
            batch = self._apply(batch, name, magnitude)
        return batch


__all__ = [
    "AugMix",
    "AutoAugment",
    "AutoAugmentPolicy",
    "RandAugment",
    "TrivialAugmentWide",
]
