"""The random warps of torchvision 0.29's ``transforms.v2``: RandomRotation, RandomAffine,
RandomPerspective and ElasticTransform.

Each ``make_params`` draws from torch's global generator with torchvision's calls in
torchvision's order, so that the same ``torch.manual_seed`` gives the same warp. A ``fill`` is
a number, one per channel, None (no fill blend at all, see ``_warp.sample_grid``), or a dict
from input type (or ``"others"``) to one of those.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from .._arguments import angle_range, check_affine_ranges, check_center, uniform
from .._warp import perspective_coefficients
from . import functional as F
from ._transform import RandomApplyTransform, Transform, query_size

Fill = float | Sequence[float] | None


def fill_table(fill: Fill | Mapping[Any, Fill]) -> dict[Any, Any]:
    """``fill`` as a dict from input type (or ``"others"``) to None, a number or a list of
    floats; TypeError for anything else."""

    def convert(value: Any) -> Any:
        if value is not None and not isinstance(value, (numbers.Number, tuple, list)):
            raise TypeError(
                "fill should be a number, a tuple or list of numbers, or a dict of them, got "
                f"{type(value).__name__}"
            )
        if value is None or isinstance(value, numbers.Number):
            return value
        return [float(v) for v in value]

    if isinstance(fill, Mapping):
        return {key: convert(value) for key, value in fill.items()}
    return {"others": convert(fill)}


def fill_of(table: dict[Any, Any], inpt: Any) -> Any:
    """The fill of ``inpt``: the table's entry for its exact type (not its bases, as
    torchvision looks it up), else ``"others"``, else None."""
    return table[type(inpt)] if type(inpt) in table else table.get("others")


def _pair(value: Any, name: str) -> list[float]:
    """``[value, value]`` for a number, else the one or two floats of a sequence."""
    if not isinstance(value, (int, float, Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers, got {value!r}")
    if isinstance(value, (int, float)):
        return [float(value), float(value)]
    if len(value) not in (1, 2):
        raise ValueError(f"If {name} is a sequence its length should be 1 or 2, got {value!r}")
    if not all(isinstance(v, (int, float)) for v in value):
        raise ValueError(f"{name} should be a sequence of numbers, got {value!r}")
    return [float(value[0]), float(value[-1])]


class RandomRotation(Transform):
    """Rotate the sample by an angle drawn uniformly from ``degrees`` (counter-clockwise).

    Args:
        degrees: ``(min, max)``, or a number ``d`` for ``(-d, d)``.
        interpolation: ``"nearest"`` or ``"bilinear"`` for tensors (any PIL filter for PIL
            images); masks always use nearest neighbours.
        expand: grow the canvas to hold the whole rotated image (boxes and points follow).
        center: ``(x, y)`` in pixels from the top-left corner; default the image centre.
        fill: what comes from outside the image (see the module).
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: Any = "nearest",
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: Fill | Mapping[Any, Fill] = 0,
    ) -> None:
        self.degrees = angle_range(degrees, "degrees")
        self.interpolation, self.expand = interpolation, expand
        self.fill, self._fill = fill, fill_table(fill)
        check_center(center)
        self.center = center

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {"angle": uniform(*self.degrees)}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            F.rotate,
            inpt,
            **params,
            interpolation=self.interpolation,
            expand=self.expand,
            center=self.center,
            fill=fill_of(self._fill, inpt),
        )


class RandomAffine(Transform):
    """A random affine warp of the sample about ``center``, drawn per call.

    Args:
        degrees: rotation range ``(min, max)`` (clockwise), or ``d`` for ``(-d, d)``.
        translate: ``(a, b)``, fractions in [0, 1]: shifts up to ``a`` times the width and
            ``b`` times the height either way (rounded to whole pixels). None: no shift.
        scale: ``(min, max)`` positive scale range. None: 1.
        shear: degrees along x: ``s`` for ``(-s, s)`` or ``(min, max)``; ``(x_min, x_max,
            y_min, y_max)`` along both axes. None: no shear.
        interpolation, fill, center: as for :class:`RandomRotation`.
    """

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: Any = "nearest",
        fill: Fill | Mapping[Any, Fill] = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        self.degrees = angle_range(degrees, "degrees")
        self.translate, self.scale = check_affine_ranges(translate, scale)
        self.shear = None if shear is None else angle_range(shear, "shear", (2, 4))
        self.interpolation = interpolation
        self.fill, self._fill = fill, fill_table(fill)
        check_center(center)
        self.center = center

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        angle = uniform(*self.degrees)
        translate = (0, 0)
        if self.translate is not None:
            reach_x, reach_y = float(self.translate[0] * width), float(self.translate[1] * height)
            # round() of a float is an int, half to even as torchvision rounds
            tx = round(uniform(-reach_x, reach_x))
            translate = (tx, round(uniform(-reach_y, reach_y)))
        scale = 1.0 if self.scale is None else uniform(*self.scale)
        shear_x = shear_y = 0.0
        if self.shear is not None:
            shear_x = float(uniform(self.shear[0], self.shear[1]))
            if len(self.shear) == 4:
                shear_y = float(uniform(self.shear[2], self.shear[3]))
        return {"angle": angle, "translate": translate, "scale": scale, "shear": (shear_x, shear_y)}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            F.affine,
            inpt,
            **params,
            interpolation=self.interpolation,
            fill=fill_of(self._fill, inpt),
            center=self.center,
        )


class RandomPerspective(RandomApplyTransform):
    """With probability ``p``, move each corner of the sample inwards by a random amount, up
    to ``distortion_scale`` (in [0, 1]) of half the size, and warp the sample to match.
    ``interpolation`` (default bilinear) and ``fill`` as for :class:`RandomRotation`."""

    def __init__(
        self,
        distortion_scale: float = 0.5,
        p: float = 0.5,
        interpolation: Any = "bilinear",
        fill: Fill | Mapping[Any, Fill] = 0,
    ) -> None:
        super().__init__(p=p)
        if not 0 <= distortion_scale <= 1:
            raise ValueError(f"distortion_scale should be between 0 and 1, got {distortion_scale}")
        self.distortion_scale, self.interpolation = distortion_scale, interpolation
        self.fill, self._fill = fill, fill_table(fill)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        reach_y = int(self.distortion_scale * (height // 2)) + 1
        reach_x = int(self.distortion_scale * (width // 2)) + 1

        def draw(low: int, high: int) -> int:
            return int(torch.randint(low, high, size=(1,)))

        near_x, far_x = (0, reach_x), (width - reach_x, width)
        near_y, far_y = (0, reach_y), (height - reach_y, height)
        # drawn corner by corner, x before y: top-left, top-right, bottom-right, bottom-left
        corners = ((near_x, near_y), (far_x, near_y), (far_x, far_y), (near_x, far_y))
        endpoints = [[draw(*x_range), draw(*y_range)] for x_range, y_range in corners]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return {"coefficients": perspective_coefficients(startpoints, endpoints)}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            F.perspective,
            inpt,
            startpoints=None,
            endpoints=None,
            interpolation=self.interpolation,
            fill=fill_of(self._fill, inpt),
            **params,
        )


class ElasticTransform(Transform):
    """Elastic distortions (Simard et al., 2003): random displacements, uniform in [-1, 1]
    per pixel, smoothed by a Gaussian of ``sigma`` and scaled by ``alpha`` (in pixels),
    displace the sample's pixels.

    Args:
        alpha: the strength ``(along x, along y)``, or one number for both.
        sigma: the smoothness; the x and y displacements are both blurred with
            ``sigma = (sx, sy)``, each with the odd kernel size ``8 * s + 1`` of its own axis.
        interpolation, fill: as for :class:`RandomRotation` (default bilinear).

    Boxes and points move by an approximate inverse of the field (see ``F.elastic``).
    """

    def __init__(
        self,
        alpha: float | Sequence[float] = 50.0,
        sigma: float | Sequence[float] = 5.0,
        interpolation: Any = "bilinear",
        fill: Fill | Mapping[Any, Fill] = 0,
    ) -> None:
        self.alpha, self.sigma = _pair(alpha, "alpha"), _pair(sigma, "sigma")
        self.interpolation = interpolation
        self.fill, self._fill = fill, fill_table(fill)

    def _field(self, axis: int, height: int, width: int) -> torch.Tensor:
        field = torch.rand(1, 1, height, width) * 2 - 1
        if self.sigma[axis] > 0.0:
            size = int(8 * self.sigma[axis] + 1)
            size += 1 - size % 2  # odd
            field = F.gaussian_blur(field, [size, size], list(self.sigma))
        return field * self.alpha[axis] / (width, height)[axis]

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        dx, dy = self._field(0, height, width), self._field(1, height, width)
        return {"displacement": torch.concat([dx, dy], 1).permute([0, 2, 3, 1])}  # [1, H, W, 2]

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(
            F.elastic,
            inpt,
            **params,
            interpolation=self.interpolation,
            fill=fill_of(self._fill, inpt),
        )


__all__ = ["ElasticTransform", "RandomAffine", "RandomPerspective", "RandomRotation"]
