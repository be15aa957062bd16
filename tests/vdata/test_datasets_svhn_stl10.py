"""SVHN and STL-10 on tiny files written in their official formats: SVHN's MATLAB files and
STL-10's raw column-major bytes."""

import hashlib
import io
import re
import tarfile

import numpy as np
import pytest
import scipy.io
from PIL import Image

from vdata.datasets._download import RemoteFile
from vdata.datasets._io import DatasetNotFoundError
from vdata.datasets.stl10 import STL10
from vdata.datasets.svhn import SVHN

# --- SVHN ---------------------------------------------------------------------------------------


def svhn_value(n: int, row: int, col: int, channel: int) -> int:
    return (n * 7 + row * 3 + col * 5 + channel * 11) % 256


def write_svhn(root, split: str, labels: list[int]):
    """``root/{split}_32x32.mat`` with ``X[row, col, channel, n] = svhn_value(...)``."""
    n, row, col, channel = np.meshgrid(
        np.arange(len(labels)), np.arange(32), np.arange(32), np.arange(3), indexing="ij"
    )
    images = svhn_value(n, row, col, channel).astype(np.uint8)
    x = images.transpose(1, 2, 3, 0)  # [row, col, channel, n], as the official files hold
    y = np.array(labels, dtype=np.uint8).reshape(-1, 1)
    root.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(root / f"{split}_32x32.mat", {"X": x, "y": y})
    return root / f"{split}_32x32.mat"


def assert_svhn_image(image, n: int) -> None:
    assert isinstance(image, Image.Image) and (image.mode, image.size) == ("RGB", (32, 32))
    for col, row in ((0, 0), (31, 0), (0, 31), (17, 5), (31, 31)):
        assert image.getpixel((col, row)) == tuple(svhn_value(n, row, col, c) for c in range(3))


@pytest.mark.parametrize("split", ["train", "test", "extra"])
def test_svhn_reads_each_split_and_maps_label_10_to_0(tmp_path, split):
    write_svhn(tmp_path, split, [10, 1, 9, 5])
    dataset = SVHN(tmp_path, split)
    assert len(dataset) == 4 and dataset.split == split
    assert dataset.data.dtype == np.uint8 and dataset.data.shape == (4, 3, 32, 32)
    assert dataset.labels.dtype == np.int64
    assert dataset.labels.tolist() == [0, 1, 9, 5]
    assert dataset.data[2, 1, 4, 6] == svhn_value(2, 4, 6, 1)
    first, last = dataset[0], dataset[-1]
    assert_svhn_image(first[0], 0)
    assert_svhn_image(last[0], 3)
    assert (first[1], last[1]) == (0, 5) and type(first[1]) is int
    assert "Split: " + split in repr(dataset)


def test_svhn_reads_a_single_image_file(tmp_path):
    write_svhn(tmp_path, "test", [3])
    dataset = SVHN(tmp_path, "test")
    assert dataset.labels.shape == (1,) and dataset[0][1] == 3


def test_svhn_applies_transforms(tmp_path):
    write_svhn(tmp_path, "train", [2, 10])
    dataset = SVHN(tmp_path, transform=lambda im: im.size, target_transform=lambda t: t + 100)
    assert dataset[1] == ((32, 32), 100)
    joint = SVHN(tmp_path, transforms=lambda im, t: (im.getpixel((1, 0)), -t))
    assert joint[0] == (tuple(svhn_value(0, 0, 1, c) for c in range(3)), -2)


def test_svhn_missing_file_names_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"train_32x32\.mat"):
        SVHN(tmp_path)
    with pytest.raises(RuntimeError, match=r"test_32x32\.mat"):
        SVHN(tmp_path, "test")


def test_svhn_bad_split_is_worded_as_torchvision(tmp_path):
    with pytest.raises(ValueError, match="Unknown value 'valid' for argument split"):
        SVHN(tmp_path, "valid")


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X": np.zeros((32, 32, 3, 2), np.float32), "y": np.ones((2, 1))}, "uint8"),
        ({"X": np.zeros((28, 28, 3, 2), np.uint8), "y": np.ones((2, 1))}, "shape"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.ones((3, 1))}, "'y' has shape"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1], [11]])}, "1 to 10"),
        ({"X": np.zeros((32, 32, 3, 2), np.uint8)}, "'y'"),
    ],
)
def test_svhn_refuses_malformed_arrays_naming_the_file(tmp_path, arrays, message):
    scipy.io.savemat(tmp_path / "train_32x32.mat", arrays)
    with pytest.raises(ValueError, match=message) as info:
        SVHN(tmp_path)
    assert "train_32x32.mat" in str(info.value)


def test_svhn_refuses_a_file_that_is_no_mat_file(tmp_path):
    (tmp_path / "train_32x32.mat").write_bytes(b"not a MATLAB file at all" * 10)
    with pytest.raises(ValueError, match=r"train_32x32\.mat"):
        SVHN(tmp_path)


def test_svhn_downloads_the_split_file(tmp_path, http_server, route, monkeypatch):
    data = write_svhn(tmp_path / "source", "test", [10, 4]).read_bytes()
    http_server.routes["/test.mat"] = route(data)
    files = dict(SVHN.files)
    files["test"] = RemoteFile(
        "test_32x32.mat", (http_server.url + "/test.mat",), md5=hashlib.md5(data).hexdigest()
    )
    monkeypatch.setattr(SVHN, "files", files)
    root = tmp_path / "fresh"
    assert SVHN(root, "test", download=True).labels.tolist() == [0, 4]
    assert (root / "test_32x32.mat").read_bytes() == data
    assert len(SVHN(root, "test", download=True)) == 2  # present: not fetched again
    assert len(http_server.requests) == 1


# --- STL-10 -------------------------------------------------------------------------------------

SIZE = 96
CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
FOLDS = [[(k + i) % 4 for i in range(2)] for k in range(10)]  # two training images per fold


def stl_value(n: int, channel: int, row: int, col: int) -> int:
    return (n * 13 + channel * 50 + row * 2 + col * 3) % 256


def stl_bytes(first: int, count: int) -> bytes:
    """Images ``first`` to ``first + count - 1``, each channel stored column by column."""
    n, channel, col, row = np.meshgrid(
        np.arange(first, first + count),
        np.arange(3),
        np.arange(SIZE),
        np.arange(SIZE),
        indexing="ij",
    )
    return stl_value(n, channel, row, col).astype(np.uint8).tobytes()


def write_stl10(root, train_labels=(1, 10, 3, 7), test_labels=(2, 4, 10), unlabeled=2):
    """``root/stl10_binary`` with the training images numbered 0.., the test images 100.. and
    the unlabelled ones 200.., labels as in the files (1 to 10)."""
    folder = root / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train_X.bin").write_bytes(stl_bytes(0, len(train_labels)))
    (folder / "train_y.bin").write_bytes(bytes(train_labels))
    (folder / "test_X.bin").write_bytes(stl_bytes(100, len(test_labels)))
    (folder / "test_y.bin").write_bytes(bytes(test_labels))
    (folder / "unlabeled_X.bin").write_bytes(stl_bytes(200, unlabeled))
    (folder / "class_names.txt").write_text("\n".join(CLASSES) + "\n")
    # The official file ends each line with a space.
    (folder / "fold_indices.txt").write_text("".join(" ".join(map(str, f)) + " \n" for f in FOLDS))
    return folder


def assert_stl_image(image, n: int) -> None:
    assert isinstance(image, Image.Image) and (image.mode, image.size) == ("RGB", (SIZE, SIZE))
    for col, row in ((0, 0), (95, 0), (0, 95), (40, 7), (95, 95)):
        assert image.getpixel((col, row)) == tuple(stl_value(n, c, row, col) for c in range(3))


@pytest.fixture
def stl10_root(tmp_path):
    write_stl10(tmp_path)
    return tmp_path


def test_stl10_train_reads_images_and_labels_from_0(stl10_root):
    dataset = STL10(stl10_root)
    assert len(dataset) == 4 and dataset.split == "train" and dataset.folds is None
    assert dataset.classes == CLASSES
    assert dataset.data.dtype == np.uint8 and dataset.data.shape == (4, 3, SIZE, SIZE)
    assert dataset.data[1, 2, 5, 9] == stl_value(1, 2, 5, 9)  # [n, channel, row, col]
    assert dataset.labels.dtype == np.int64 and dataset.labels.tolist() == [0, 9, 2, 6]
    (first, first_label), (last, last_label) = dataset[0], dataset[3]
    assert_stl_image(first, 0)
    assert_stl_image(last, 3)
    assert (first_label, last_label) == (0, 6) and type(first_label) is int
    assert "Split: train" in repr(dataset)


def test_stl10_test_split(stl10_root):
    dataset = STL10(stl10_root, "test")
    assert len(dataset) == 3 and dataset.labels.tolist() == [1, 3, 9]
    assert_stl_image(dataset[0][0], 100)
    assert_stl_image(dataset[2][0], 102)


def test_stl10_unlabeled_split_has_label_minus_1(stl10_root):
    dataset = STL10(stl10_root, "unlabeled")
    assert len(dataset) == 2 and dataset.labels.tolist() == [-1, -1]
    assert_stl_image(dataset[1][0], 201)
    assert dataset[0][1] == -1


def test_stl10_train_plus_unlabeled_appends_the_unlabeled_images(stl10_root):
    dataset = STL10(stl10_root, "train+unlabeled")
    assert dataset.labels.tolist() == [0, 9, 2, 6, -1, -1]
    assert_stl_image(dataset[0][0], 0)
    assert_stl_image(dataset[4][0], 200)
    assert_stl_image(dataset[5][0], 201)


@pytest.mark.parametrize("fold", [0, 3, 9])
def test_stl10_folds_select_the_listed_training_images(stl10_root, fold):
    dataset = STL10(stl10_root, "train", folds=fold)
    expected = FOLDS[fold]
    assert dataset.labels.tolist() == [[0, 9, 2, 6][i] for i in expected]
    assert_stl_image(dataset[0][0], expected[0])
    assert_stl_image(dataset[1][0], expected[1])
    with_unlabeled = STL10(stl10_root, "train+unlabeled", folds=fold)
    assert len(with_unlabeled) == 4 and with_unlabeled.labels.tolist()[2:] == [-1, -1]


def test_stl10_folds_are_ignored_for_test_as_in_torchvision(stl10_root):
    assert len(STL10(stl10_root, "test", folds=2)) == 3


def test_stl10_without_class_names_has_the_official_ones(stl10_root):
    (stl10_root / "stl10_binary" / "class_names.txt").write_text("a\nb\n")
    assert STL10(stl10_root).classes == ["a", "b"]
    (stl10_root / "stl10_binary" / "class_names.txt").unlink()
    assert STL10(stl10_root).classes == CLASSES


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "val"}, "Unknown value 'val' for argument split"),
        ({"split": 1}, "Expected type str for argument split"),
        ({"folds": 10}, r"Value for argument folds should be in the range \[0, 10\), but got 10"),
        ({"folds": -1}, r"in the range \[0, 10\), but got -1"),
        ({"folds": "1"}, "Expected type None or int for argument folds, but got type"),
        ({"folds": True}, "Expected type None or int for argument folds"),
    ],
)
def test_stl10_bad_arguments_are_worded_as_torchvision(stl10_root, kwargs, message):
    with pytest.raises(ValueError, match=message):
        STL10(stl10_root, **kwargs)


@pytest.mark.parametrize(
    ("split", "missing"),
    [
        ("train", "train_X.bin"),
        ("train", "train_y.bin"),
        ("test", "test_y.bin"),
        ("unlabeled", "unlabeled_X.bin"),
        ("train+unlabeled", "unlabeled_X.bin"),
    ],
)
def test_stl10_missing_file_names_it(stl10_root, split, missing):
    (stl10_root / "stl10_binary" / missing).unlink()
    with pytest.raises(DatasetNotFoundError, match=re.escape(missing)):
        STL10(stl10_root, split)


def test_stl10_missing_fold_file_matters_only_with_folds(stl10_root):
    (stl10_root / "stl10_binary" / "fold_indices.txt").unlink()
    assert len(STL10(stl10_root)) == 4
    with pytest.raises(RuntimeError, match=r"fold_indices\.txt"):
        STL10(stl10_root, folds=0)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("train_X.bin", stl_bytes(0, 4)[:-1], "no whole number"),
        ("train_y.bin", bytes([1, 2, 3]), "3 labels for 4 images"),
        ("train_y.bin", bytes([1, 0, 3, 4]), "1 to 10"),
        ("train_y.bin", bytes([1, 11, 3, 4]), "1 to 10"),
        ("fold_indices.txt", b"0 1\n", "no fold 3"),
        ("fold_indices.txt", b"0\n0\n0\n0 x\n", "integers"),
        ("fold_indices.txt", b"0\n0\n0\n0 4\n", r"\[0, 4\)"),
    ],
)
def test_stl10_refuses_malformed_files_naming_them(stl10_root, name, content, message):
    (stl10_root / "stl10_binary" / name).write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        STL10(stl10_root, folds=3)
    assert name in str(info.value)


def test_stl10_downloads_and_extracts_the_archive(tmp_path, http_server, route, monkeypatch):
    folder = write_stl10(tmp_path / "source")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, "stl10_binary")
    data = buffer.getvalue()
    http_server.routes["/stl10.tar.gz"] = route(data)
    archive = RemoteFile(
        "stl10_binary.tar.gz",
        (http_server.url + "/stl10.tar.gz",),
        md5=hashlib.md5(data).hexdigest(),
    )
    monkeypatch.setattr(STL10, "archive", archive)
    root = tmp_path / "fresh"
    dataset = STL10(root, "test", download=True)
    assert dataset.labels.tolist() == [1, 3, 9]
    assert (root / "stl10_binary.tar.gz").read_bytes() == data
    assert len(STL10(root, "train", folds=1, download=True)) == 2
    assert len(http_server.requests) == 1  # everything was there the second time
