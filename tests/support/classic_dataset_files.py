"""Tiny files in the official formats of the classic datasets: CIFAR's pickled batches and
MNIST's IDX files."""

import gzip
import pickle
from pathlib import Path

import numpy as np

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer"]
CIFAR10_NAMES += ["dog", "frog", "horse", "ship", "truck"]


def write_pickle(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value, protocol=2))


def cifar_rows(count: int, seed: int) -> np.ndarray:
    """``uint8 ndarray[count, 3072]``: random images as CIFAR stores them, channel planes."""
    return np.random.default_rng(seed).integers(0, 256, (count, 3072), dtype=np.uint8)


def write_cifar10(root: Path) -> None:
    """``root/cifar-10-batches-py``: training batch i holds i images labelled i - 1 .. 0; the
    test batch two, labelled 9 and 3."""
    folder = root / "cifar-10-batches-py"
    write_pickle(folder / "batches.meta", {"label_names": CIFAR10_NAMES, "num_vis": 3072})
    for i in range(1, 6):
        write_pickle(
            folder / f"data_batch_{i}",
            {"data": cifar_rows(i, i), "labels": list(range(i - 1, -1, -1)), "batch_label": "x"},
        )
    write_pickle(folder / "test_batch", {"data": cifar_rows(2, 9), "labels": [9, 3]})


def write_cifar100(root: Path) -> None:
    """``root/cifar-100-python``: three training images and one test image."""
    folder = root / "cifar-100-python"
    fine = [f"class{i}" for i in range(100)]
    write_pickle(folder / "meta", {"fine_label_names": fine, "coarse_label_names": ["c"] * 20})
    train = {"data": cifar_rows(3, 1), "fine_labels": [99, 5, 0], "coarse_labels": [19, 1, 0]}
    write_pickle(folder / "train", train)
    test = {"data": cifar_rows(1, 2), "fine_labels": [42], "coarse_labels": [3]}
    write_pickle(folder / "test", test)


def idx_bytes(values: np.ndarray, code: int) -> bytes:
    """``values`` as an IDX file of type ``code``: magic, big-endian sizes, big-endian data."""
    header = bytes([0, 0, code, values.ndim]) + np.asarray(values.shape, ">u4").tobytes()
    return header + values.astype(values.dtype.newbyteorder(">")).tobytes()


def mnist_arrays(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random ``uint8`` images ``[count, 28, 28]`` and labels ``[count]``."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    return images, rng.integers(0, 10, count, dtype=np.uint8)


def write_mnist(raw: Path, prefix: str, images: np.ndarray, labels: np.ndarray, gz: bool) -> None:
    """``<prefix>-images-idx3-ubyte`` and ``<prefix>-labels-idx1-ubyte`` in ``raw``, gzipped
    (``.gz`` added) or not."""
    raw.mkdir(parents=True, exist_ok=True)
    for name, values in (
        (f"{prefix}-images-idx3-ubyte", images),
        (f"{prefix}-labels-idx1-ubyte", labels),
    ):
        data = idx_bytes(values, 0x08)
        if gz:
            (raw / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (raw / name).write_bytes(data)


def qmnist_labels(count: int, seed: int) -> np.ndarray:
    """``int32 ndarray[count, 8]``: QMNIST's label rows (class first, then NIST metadata)."""
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, 100000, (count, 8)).astype(np.int32)
    rows[:, 0] = rng.integers(0, 10, count)
    return rows
