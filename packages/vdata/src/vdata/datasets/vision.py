"""The dataset base class and the keypoint metadata datasets hand to models and evaluators."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

# Mean of COCO's 17 person sigmas (0.067), rounded: the OKS sigma used when a dataset names none.
DEFAULT_OKS_SIGMA = 0.07


@dataclass(frozen=True)
class KeypointInfo:
    """What a model and an evaluator need to know about a dataset's keypoints.

    Args:
        names: one name per keypoint, ``K`` in all.
        flip_map: for each keypoint the index of its mirror image under a horizontal flip
            (``flip_map[i] == i`` for points on the axis of symmetry); a permutation that is
            its own inverse.
        skeleton: pairs of 0-based keypoint indices joined by a limb, for drawing.
        sigmas: the per-keypoint OKS sigmas used by COCO-style keypoint evaluation; left empty,
            every keypoint gets the uniform :data:`DEFAULT_OKS_SIGMA` (0.07, the mean of COCO's
            17 person sigmas, rounded).

    Sequences are stored as tuples, so instances are hashable and safe to share.
    """

    names: tuple[str, ...]
    flip_map: tuple[int, ...]
    skeleton: tuple[tuple[int, int], ...] = ()
    sigmas: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        names = tuple(str(name) for name in self.names)
        flip_map = tuple(int(i) for i in self.flip_map)
        skeleton = tuple((int(a), int(b)) for a, b in self.skeleton)
        k = len(names)
        sigmas = tuple(float(s) for s in self.sigmas) or (DEFAULT_OKS_SIGMA,) * k
        if len(set(names)) != k:
            raise ValueError(f"keypoint names must be unique, got {names}")
        if len(flip_map) != k:
            raise ValueError(f"flip_map must have one entry per keypoint ({k}), got {flip_map}")
        if any(not 0 <= j < k or flip_map[j] != i for i, j in enumerate(flip_map)):
            raise ValueError(
                f"flip_map must be a permutation of 0..{k - 1} that is its own inverse, "
                f"got {flip_map}"
            )
        if any(not (0 <= a < k and 0 <= b < k) for a, b in skeleton):
            raise ValueError(f"skeleton indices must lie in 0..{k - 1}, got {skeleton}")
        if len(sigmas) != k or any(s <= 0 for s in sigmas):
            raise ValueError(f"sigmas must be {k} positive numbers, got {sigmas}")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "flip_map", flip_map)
        object.__setattr__(self, "skeleton", skeleton)
        object.__setattr__(self, "sigmas", sigmas)

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    @classmethod
    def from_names(
        cls,
        names: Sequence[str],
        skeleton: Sequence[tuple[int, int]] = (),
        sigmas: Sequence[float] = (),
    ) -> KeypointInfo:
        """Build the metadata from keypoint names, deriving the flip map from them.

        A keypoint named ``left_<x>`` and one named ``right_<x>`` are each other's mirror (the
        prefixes are matched case-insensitively); every other keypoint, including a ``left_``
        one without a ``right_`` partner, maps to itself. Without ``sigmas`` every keypoint gets
        :data:`DEFAULT_OKS_SIGMA`.
        """
        names = tuple(names)
        index = {name.lower(): i for i, name in enumerate(names)}
        flip_map = []
        for i, name in enumerate(names):
            lower = name.lower()
            for side, other in (("left_", "right_"), ("right_", "left_")):
                if lower.startswith(side):
                    flip_map.append(index.get(other + lower[len(side) :], i))
                    break
            else:
                flip_map.append(i)
        return cls(names, tuple(flip_map), tuple(skeleton), tuple(sigmas))


class VisionDataset(Dataset):
    """Base class of the datasets: a root folder, and how samples are transformed.

    Pass either ``transforms``, a joint callable ``(image, target) -> (image, target)`` (needed
    whenever the target moves with the image: boxes, masks, keypoints), or ``transform`` and/or
    ``target_transform``, applied to the image and to the target separately; not both kinds.

    Subclasses implement ``__getitem__`` and ``__len__``, call :meth:`apply_transforms` on each
    sample, store their split (if they have one) as ``self.split`` and may add lines to the repr
    by overriding :meth:`extra_repr`.

    Args:
        root: the dataset's folder (``~`` is expanded), or ``None`` for generated data.
        transforms: joint transform of image and target.
        transform: transform of the image alone.
        target_transform: transform of the target alone.
    """

    def __init__(
        self,
        root: str | os.PathLike | None,
        transforms: Callable | None = None,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError(
                "pass either transforms (joint) or transform/target_transform (separate), not both"
            )
        self.root = None if root is None else Path(root).expanduser()
        self.transforms = transforms
        self.transform = transform
        self.target_transform = target_transform

    def apply_transforms(self, image: Any, target: Any) -> tuple[Any, Any]:
        """Apply the joint transform, or the image and target transforms, to one sample."""
        if self.transforms is not None:
            return self.transforms(image, target)
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> list[str]:
        """Lines a subclass adds to the repr, after root and split."""
        return []

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        if getattr(self, "split", None) is not None:
            lines.append(f"Split: {self.split}")
        lines += self.extra_repr()
        for title, value in (
            ("Transforms", self.transforms),
            ("Transform", self.transform),
            ("Target transform", self.target_transform),
        ):
            if value is not None:
                lines.append(f"{title}: " + repr(value).replace("\n", "\n    "))
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in lines])
