"""Oxford 102 Flowers, in the layout of its official files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.io

from ._download import RemoteFile, download_and_extract
from ._io import check_choice, require_dir, require_file
from ._labelled_files import LabelledImageFiles
from .folder import default_loader

_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
FLOWERS102_FILES = (
    RemoteFile(
        "102flowers.tgz", (_URL + "102flowers.tgz",), md5="52808999861908f626f3c1f4e79d11fa"
    ),
    RemoteFile(
        "imagelabels.mat", (_URL + "imagelabels.mat",), md5="e0620be6f572b9609742df49c70aed4d"
    ),
    RemoteFile("setid.mat", (_URL + "setid.mat",), md5="a5357ecc9cb78c4bef273ce3793fc85c"),
)
# The variable of setid.mat that lists the image numbers of each split.
SPLIT_KEYS = {"train": "trnid", "val": "valid", "test": "tstid"}
_DOWNLOAD_HINT = "Pass download=True, or place the official files there."
# The names of the 102 classes, in the order of their labels (as torchvision has them).
FLOWERS102_CLASSES = [
    "pink primrose",
    "hard-leaved pocket orchid",
    "canterbury bells",
    "sweet pea",
    "english marigold",
    "tiger lily",
    "moon orchid",
    "bird of paradise",
    "monkshood",
    "globe thistle",
    "snapdragon",
    "colt's foot",
    "king protea",
    "spear thistle",
    "yellow iris",
    "globe-flower",
    "purple coneflower",
    "peruvian lily",
    "balloon flower",
    "giant white arum lily",
    "fire lily",
    "pincushion flower",
    "fritillary",
    "red ginger",
    "grape hyacinth",
    "corn poppy",
    "prince of wales feathers",
    "stemless gentian",
    "artichoke",
    "sweet william",
    "carnation",
    "garden phlox",
    "love in the mist",
    "mexican aster",
    "alpine sea holly",
    "ruby-lipped cattleya",
    "cape flower",
    "great masterwort",
    "siam tulip",
    "lenten rose",
    "barbeton daisy",
    "daffodil",
    "sword lily",
    "poinsettia",
    "bolero deep blue",
    "wallflower",
    "marigold",
    "buttercup",
    "oxeye daisy",
    "common dandelion",
    "petunia",
    "wild pansy",
    "primula",
    "sunflower",
    "pelargonium",
    "bishop of llandaff",
    "gaura",
    "geranium",
    "orange dahlia",
    "pink-yellow dahlia?",
    "cautleya spicata",
    "japanese anemone",
    "black-eyed susan",
    "silverbush",
    "californian poppy",
    "osteospermum",
    "spring crocus",
    "bearded iris",
    "windflower",
    "tree poppy",
    "gazania",
    "azalea",
    "water lily",
    "rose",
    "thorn apple",
    "morning glory",
    "passion flower",
    "lotus",
    "toad lily",
    "anthurium",
    "frangipani",
    "clematis",
    "hibiscus",
    "columbine",
    "desert-rose",
    "tree mallow",
    "magnolia",
    "cyclamen",
    "watercress",
    "canna lily",
    "hippeastrum",
    "bee balm",
    "ball moss",
    "foxglove",
    "bougainvillea",
    "camellia",
    "mallow",
    "mexican petunia",
    "bromelia",
    "blanket flower",
    "trumpet creeper",
    "blackberry lily",
]


def _mat_numbers(path: Path, key: str) -> list[int]:
    """The integers stored under ``key`` in the ``.mat`` file ``path``, as a flat list."""
    mat = scipy.io.loadmat(require_file(path, _DOWNLOAD_HINT), squeeze_me=True)
    if key not in mat:
        raise ValueError(f"{path} has no variable {key!r}")
    # squeeze_me turns a one-element array into a scalar; atleast_1d undoes that.
    return [int(value) for value in np.atleast_1d(mat[key]).ravel()]


class Flowers102(LabelledImageFiles):
    """`Oxford 102 Flowers <https://www.robots.ox.ac.uk/~vgg/data/flowers/102/>`_: 8189 images
    of 102 flower categories common in the United Kingdom.

    Layout (``102flowers.tgz`` extracted next to the two ``.mat`` files)::

        root/flowers-102/jpg/image_00001.jpg .. image_08189.jpg
        root/flowers-102/imagelabels.mat   labels: the class (1..102) of image n at n - 1
        root/flowers-102/setid.mat         trnid, valid, tstid: the image numbers of each split

    The target is the label minus one. torchvision checks the MD5 of both ``.mat`` files on
    construction; here the download is checked instead.

    Args:
        root: folder containing ``flowers-102``.
        split: ``"train"``, ``"val"`` or ``"test"``.
        transform, target_transform: see :class:`VisionDataset`.
        download: fetch the official files (and extract the images) when any is missing.
        loader: reads an image from its path (default: decoded in full, as RGB).
        transforms: joint transform (vdata only), see :class:`VisionDataset`.

    Attributes:
        split: the split read.
        classes: ``list[str]``, the 102 class names; class ``i`` is ``classes[i]``.
    """

    classes: ClassVar[list[str]] = FLOWERS102_CLASSES

    def __init__(
        self,
        root: str | os.PathLike,
        split: str = "train",
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
        loader: Callable[[str | Path], Any] = default_loader,
        transforms: Callable | None = None,
    ) -> None:
        super().__init__(root, transforms, transform, target_transform, loader)
        self.split = check_choice(split, "split", tuple(SPLIT_KEYS))
        base = self.root / "flowers-102"
        images = base / "jpg"
        present = images.is_dir() and all(
            (base / f.filename).is_file() for f in FLOWERS102_FILES[1:]
        )
        if download and not present:
            download_and_extract(FLOWERS102_FILES, base)
        require_dir(images, _DOWNLOAD_HINT)
        labels = _mat_numbers(base / "imagelabels.mat", "labels")
        for number in _mat_numbers(base / "setid.mat", SPLIT_KEYS[self.split]):
            if not 1 <= number <= len(labels):
                raise ValueError(
                    f"{base / 'setid.mat'} names image {number}, but imagelabels.mat labels "
                    f"images 1 to {len(labels)}"
                )
            self._labels.append(labels[number - 1] - 1)
            self._image_files.append(images / f"image_{number:05d}.jpg")
