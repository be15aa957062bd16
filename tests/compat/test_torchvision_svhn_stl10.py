"""vdata's SVHN and STL10 against torchvision's on the same tiny files in the official formats:
the same arrays, the same samples (PIL mode, size and pixels; int targets) and the same errors
for bad arguments."""

import numpy as np
import pytest
import scipy.io
from PIL import Image

from vdata.datasets.stl10 import STL10
from vdata.datasets.svhn import SVHN

torchvision = pytest.importorskip("torchvision")
tv = torchvision.datasets


@pytest.fixture
def unchecked_torchvision(monkeypatch):
    """torchvision checks every file's published MD5, which tiny test files cannot have; with
    the check off it reads them as it reads the real ones."""
    monkeypatch.setattr(torchvision.datasets.svhn, "check_integrity", lambda *args: True)
    monkeypatch.setattr(torchvision.datasets.stl10, "check_integrity", lambda *args: True)


def assert_same_samples(ours, theirs) -> None:
    assert len(ours) == len(theirs) > 0
    for index in range(len(theirs)):
        (image, target), (their_image, their_target) = ours[index], theirs[index]
        assert isinstance(image, Image.Image) and isinstance(their_image, Image.Image)
        assert (image.mode, image.size) == (their_image.mode, their_image.size)
        assert image.tobytes() == their_image.tobytes()
        assert type(target) is type(their_target) and target == their_target


def write_svhn(root, split: str, count: int) -> None:
    rng = np.random.default_rng(count)
    x = rng.integers(0, 256, (32, 32, 3, count), dtype=np.uint8)
    y = (np.arange(count, dtype=np.uint8) % 10 + 1).reshape(-1, 1)  # 1 to 10, 10 is the digit 0
    scipy.io.savemat(root / f"{split}_32x32.mat", {"X": x, "y": y})


@pytest.mark.parametrize("split", ["train", "test", "extra"])
def test_svhn_equals_torchvision(tmp_path, unchecked_torchvision, split):
    write_svhn(tmp_path, split, 12)
    ours, theirs = SVHN(tmp_path, split), tv.SVHN(tmp_path, split)
    assert ours.data.dtype == theirs.data.dtype and ours.data.shape == theirs.data.shape
    np.testing.assert_array_equal(ours.data, theirs.data)
    assert ours.labels.dtype == theirs.labels.dtype
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert 0 in ours.labels.tolist()
    assert_same_samples(ours, theirs)
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


def test_svhn_bad_split_raises_what_torchvision_raises(tmp_path):
    with pytest.raises(ValueError) as theirs:
        tv.SVHN(tmp_path, "valid")
    with pytest.raises(ValueError) as ours:
        SVHN(tmp_path, "valid")
    assert str(ours.value) == str(theirs.value)


def test_svhn_missing_file_raises_what_torchvision_raises(tmp_path):
    with pytest.raises(RuntimeError):
        tv.SVHN(tmp_path)
    with pytest.raises(RuntimeError):
        SVHN(tmp_path)


def write_stl10(root) -> None:
    """Every file of ``stl10_binary``: 5 training, 3 test and 2 unlabelled random images."""
    folder = root / "stl10_binary"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, count in (("train", 5), ("test", 3), ("unlabeled", 2)):
        pixels = rng.integers(0, 256, count * 3 * 96 * 96, dtype=np.uint8)
        (folder / f"{name}_X.bin").write_bytes(pixels.tobytes())
    (folder / "train_y.bin").write_bytes(bytes([1, 10, 4, 7, 2]))
    (folder / "test_y.bin").write_bytes(bytes([10, 3, 1]))
    (folder / "class_names.txt").write_text("airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\n")
    folds = "".join(f"{k % 5} {(k + 2) % 5} {(k + 3) % 5} \n" for k in range(10))
    (folder / "fold_indices.txt").write_text(folds)


@pytest.mark.parametrize(
    ("split", "folds"),
    [
        ("train", None),
        ("train", 4),
        ("test", None),
        ("unlabeled", None),
        ("train+unlabeled", None),
        ("train+unlabeled", 7),
    ],
)
def test_stl10_equals_torchvision(tmp_path, unchecked_torchvision, split, folds):
    write_stl10(tmp_path)
    ours, theirs = STL10(tmp_path, split, folds), tv.STL10(tmp_path, split, folds)
    assert ours.classes == theirs.classes
    assert ours.data.dtype == theirs.data.dtype and ours.data.shape == theirs.data.shape
    np.testing.assert_array_equal(ours.data, theirs.data)
    # torchvision's labels are uint8 for "train" and "test", int64 where -1 is among them;
    # ours are always int64, with the same values.
    assert ours.labels.tolist() == theirs.labels.tolist()
    assert_same_samples(ours, theirs)
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


@pytest.mark.parametrize(
    ("split", "folds"), [("val", None), (3, None), ("train", 10), ("train", -2), ("train", "1")]
)
def test_stl10_bad_arguments_raise_what_torchvision_raises(tmp_path, split, folds):
    with pytest.raises(ValueError) as theirs:
        tv.STL10(tmp_path, split, folds)
    with pytest.raises(ValueError) as ours:
        STL10(tmp_path, split, folds)
    if isinstance(split, str):
        assert str(ours.value) == str(theirs.value)
    else:  # vdata's shared check adds the value given to torchvision's message
        assert str(ours.value).startswith(str(theirs.value).removesuffix("."))


def test_stl10_missing_files_raise_what_torchvision_raises(tmp_path):
    with pytest.raises(RuntimeError):
        tv.STL10(tmp_path)
    with pytest.raises(RuntimeError):
        STL10(tmp_path)
