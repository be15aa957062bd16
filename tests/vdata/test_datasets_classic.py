"""CIFAR and the MNIST family on tiny files written in their official formats: CIFAR's pickled
batches and the IDX files, plain and gzipped."""

import gzip
import hashlib
import io
import lzma
import pickle
import tarfile
import zipfile

import numpy as np
import pytest
import torch
from classic_dataset_files import (
    cifar_rows,
    idx_bytes,
    mnist_arrays,
    qmnist_labels,
    write_cifar10,
    write_cifar100,
    write_mnist,
)

from vdata.datasets import (
    CIFAR10,
    CIFAR100,
    EMNIST,
    KMNIST,
    MNIST,
    QMNIST,
    DatasetNotFoundError,
    FashionMNIST,
    RemoteFile,
)
from vdata.datasets.mnist import read_idx


@pytest.fixture
def cifar10_root(tmp_path):
    write_cifar10(tmp_path)
    return tmp_path


def test_cifar10_reads_the_five_training_batches_in_order(cifar10_root):
    ds = CIFAR10(cifar10_root)
    assert len(ds) == 1 + 2 + 3 + 4 + 5
    assert ds.targets == [0, 1, 0, 2, 1, 0, 3, 2, 1, 0, 4, 3, 2, 1, 0]
    assert ds.classes[0] == "airplane" and ds.class_to_idx["truck"] == 9
    assert ds.data.shape == (15, 32, 32, 3) and ds.data.dtype == np.uint8
    # The last image is batch 5's last row: channel planes of 32x32, row-major.
    row = cifar_rows(5, 5)[-1]
    image, label = ds[14]
    assert image.mode == "RGB" and image.size == (32, 32) and label == 0
    red, green, blue = row[:1024], row[1024:2048], row[2048:]
    x, y = 7, 21
    assert image.getpixel((x, y)) == (red[y * 32 + x], green[y * 32 + x], blue[y * 32 + x])
    first, label = ds[0]
    assert np.array_equal(
        np.asarray(first), cifar_rows(1, 1)[0].reshape(3, 32, 32).transpose(1, 2, 0)
    )
    assert "Split: Train" in repr(ds)


def test_cifar10_test_split_and_transforms(cifar10_root):
    ds = CIFAR10(cifar10_root, train=False, transform=lambda im: im.size, target_transform=str)
    assert len(ds) == 2
    assert ds[1] == ((32, 32), "3")
    assert "Split: Test" in repr(ds)


def test_cifar100_reads_the_fine_labels(tmp_path):
    write_cifar100(tmp_path)
    train, test = CIFAR100(tmp_path), CIFAR100(tmp_path, train=False)
    assert train.targets == [99, 5, 0] and test.targets == [42]
    assert train.classes[:2] == ["class0", "class1"] and len(train.classes) == 100
    assert train[0][1] == 99


def test_cifar_batches_are_read_without_running_code(cifar10_root):
    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    path = cifar10_root / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(pickle.dumps({"data": Payload(), "labels": []}, protocol=2))
    refused = r"data_batch_3: it refers to (__builtin__|builtins)\.print"
    with pytest.raises(ValueError, match=refused):
        CIFAR10(cifar10_root)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"data": np.zeros((2, 3000), np.uint8), "labels": [0, 1]}, "3000 values, expected 3072"),
        ({"data": np.zeros((2, 3072), np.float32), "labels": [0, 1]}, "uint8 ndarray"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": [0]}, "one label per image"),
        ({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}, r"\[0, 10\), got 0 to 10"),
        ([1, 2], "holds a list, expected a dict"),
    ],
)
def test_cifar_bad_batches_name_the_file(cifar10_root, entry, message):
    path = cifar10_root / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(pickle.dumps(entry, protocol=2))
    with pytest.raises(ValueError, match=message) as info:
        CIFAR10(cifar10_root, train=False)
    assert "test_batch" in str(info.value)


def test_cifar_missing_folder_and_file(tmp_path, cifar10_root):
    with pytest.raises(DatasetNotFoundError, match=r"cifar-10-batches-py\. Pass download=True"):
        CIFAR10(tmp_path / "elsewhere")
    (cifar10_root / "cifar-10-batches-py" / "data_batch_4").unlink()
    with pytest.raises(DatasetNotFoundError, match="data_batch_4"):
        CIFAR10(cifar10_root)
    assert len(CIFAR10(cifar10_root, train=False)) == 2


def test_cifar10_downloads_and_extracts_the_archive(
    tmp_path, cifar10_root, http_server, route, monkeypatch
):
    archive = tmp_path / "cifar.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(cifar10_root / "cifar-10-batches-py", "cifar-10-batches-py")
    data = archive.read_bytes()
    http_server.routes["/cifar.tar.gz"] = route(data)
    monkeypatch.setattr(
        CIFAR10,
        "archive",
        RemoteFile(
            "cifar-10-python.tar.gz",
            (http_server.url + "/cifar.tar.gz",),
            md5=hashlib.md5(data).hexdigest(),
        ),
    )
    root = tmp_path / "fresh"
    assert len(CIFAR10(root, download=True)) == 15
    assert (root / "cifar-10-python.tar.gz").read_bytes() == data


# --- IDX and the MNIST family -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "code", "torch_dtype"),
    [
        (np.uint8, 0x08, torch.uint8),
        (np.int16, 0x0B, torch.int16),
        (np.int32, 0x0C, torch.int32),
        (np.float32, 0x0D, torch.float32),
        (np.float64, 0x0E, torch.float64),
    ],
)
def test_read_idx_decodes_big_endian_values_of_every_type(tmp_path, dtype, code, torch_dtype):
    values = (np.arange(24).reshape(2, 3, 4) * 37 - 100).astype(dtype)
    if dtype == np.uint8:
        values = np.arange(24, dtype=np.uint8).reshape(2, 3, 4) * 9
    path = tmp_path / "values.idx"
    path.write_bytes(idx_bytes(values, code))
    read = read_idx(path)
    assert read.dtype == torch_dtype and read.shape == (2, 3, 4)
    assert np.array_equal(read.numpy(), values)
    gz = tmp_path / "values.idx.gz"
    gz.write_bytes(gzip.compress(idx_bytes(values, code)))
    assert read_idx(gz).equal(read)


def test_read_idx_rejects_bad_files_naming_them(tmp_path):
    good = idx_bytes(np.zeros((2, 2), np.uint8), 0x08)
    cases = {
        "magic": b"\x01" + good[1:],
        "type": good[:2] + b"\x07" + good[3:],
        "short": good[:-1],
        "header": good[:6],
    }
    messages = {
        "magic": "is no IDX file",
        "type": "is no IDX file",
        "short": "3 bytes of values, expected 4",
        "header": "cut short",
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.idx"
        path.write_bytes(data)
        with pytest.raises(ValueError, match=messages[name]) as info:
            read_idx(path)
        assert f"{name}.idx" in str(info.value)
    not_gzip = tmp_path / "fake.gz"
    not_gzip.write_bytes(good)
    with pytest.raises(ValueError, match=r"cannot read IDX file .*fake\.gz"):
        read_idx(not_gzip)


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST, KMNIST])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_mnist_family_reads_its_raw_folder(tmp_path, cls, gz):
    raw = tmp_path / cls.__name__ / "raw"
    train_images, train_labels = mnist_arrays(5, 0)
    test_images, test_labels = mnist_arrays(3, 1)
    write_mnist(raw, "train", train_images, train_labels, gz)
    write_mnist(raw, "t10k", test_images, test_labels, gz)
    train, test = cls(tmp_path), cls(tmp_path, train=False)
    assert (len(train), len(test)) == (5, 3)
    assert train.data.dtype == torch.uint8 and train.targets.dtype == torch.int64
    assert np.array_equal(train.data.numpy(), train_images)
    image, label = test[2]
    assert image.mode == "L" and image.size == (28, 28)
    assert np.array_equal(np.asarray(image), test_images[2]) and label == int(test_labels[2])
    assert isinstance(label, int) and len(train.classes) == 10
    assert train.class_to_idx[train.classes[3]] == 3
    assert "Split: Test" in repr(test) and train.raw_folder == raw


def test_mnist_class_names_are_torchvisions():
    assert MNIST.classes[7] == "7 - seven"
    assert FashionMNIST.classes[9] == "Ankle boot"
    assert KMNIST.classes[:3] == ["o", "ki", "su"]


def test_mnist_missing_and_mismatched_files(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"MNIST/raw\. Pass download=True"):
        MNIST(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    images, labels = mnist_arrays(4, 0)
    write_mnist(raw, "train", images, labels[:3], gz=False)
    with pytest.raises(ValueError, match="raw: 4 images but 3 labels"):
        MNIST(tmp_path)
    with pytest.raises(
        DatasetNotFoundError,
        match=r"t10k-images-idx3-ubyte \(nor t10k-images-idx3-ubyte\.gz, \.xz or gzip/",
    ):
        MNIST(tmp_path, train=False)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros((4, 1), np.uint8), 0x08))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte holds torch\.uint8 values of 2"):
        MNIST(tmp_path)


def test_mnist_downloads_the_missing_gzipped_files_from_the_mirrors(
    tmp_path, http_server, route, monkeypatch
):
    images, labels = mnist_arrays(2, 3)
    files = {
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images, 0x08)),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels, 0x08)),
    }
    for name, data in files.items():
        http_server.routes[f"/good/{name}"] = route(data)
    resources = tuple((name, hashlib.md5(data).hexdigest()) for name, data in files.items())
    monkeypatch.setattr(MNIST, "mirrors", (http_server.url + "/dead/", http_server.url + "/good/"))
    monkeypatch.setattr(MNIST, "resources", resources)
    test = MNIST(tmp_path, train=False, download=True)
    assert len(test) == 2 and np.array_equal(test.data.numpy(), images)
    requests = len(http_server.requests)
    MNIST(tmp_path, train=False, download=True)
    assert len(http_server.requests) == requests


def test_emnist_reads_a_split_from_the_folder_its_zip_extracts_to(tmp_path):
    gzip_folder = tmp_path / "EMNIST" / "raw" / "gzip"
    images, labels = mnist_arrays(3, 4)
    labels = np.array([1, 26, 5], np.uint8)
    for part in ("train", "test"):
        stem = f"emnist-letters-{part}"
        (gzip_folder).mkdir(parents=True, exist_ok=True)
        (gzip_folder / f"{stem}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(idx_bytes(images, 0x08))
        )
        (gzip_folder / f"{stem}-labels-idx1-ubyte.gz").write_bytes(
            gzip.compress(idx_bytes(labels, 0x08))
        )
    ds = EMNIST(tmp_path, "letters", train=False)
    assert len(ds) == 3 and ds.split == "letters"
    assert ds.classes[0] == "N/A" and ds.classes[26] == "z" and len(ds.classes) == 27
    assert [ds[i][1] for i in range(3)] == [1, 26, 5]
    assert np.array_equal(np.asarray(ds[2][0]), images[2])
    assert len(EMNIST.classes_split_dict["balanced"]) == 47
    assert len(EMNIST.classes_split_dict["byclass"]) == 62


def test_emnist_bad_split_names_the_choices(tmp_path):
    with pytest.raises(ValueError, match="argument split"):
        EMNIST(tmp_path, "cursive")


def test_emnist_downloads_and_extracts_the_official_zip(tmp_path, http_server, route, monkeypatch):
    images, labels = mnist_arrays(2, 5)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in ("train", "test"):
            stem = f"gzip/emnist-digits-{part}"
            archive.writestr(f"{stem}-images-idx3-ubyte.gz", gzip.compress(idx_bytes(images, 8)))
            archive.writestr(f"{stem}-labels-idx1-ubyte.gz", gzip.compress(idx_bytes(labels, 8)))
    data = buffer.getvalue()
    http_server.routes["/gzip.zip"] = route(data)
    file = RemoteFile(
        "gzip.zip", (http_server.url + "/gzip.zip",), md5=hashlib.md5(data).hexdigest()
    )
    monkeypatch.setattr(EMNIST, "archive", file)
    ds = EMNIST(tmp_path, "digits", download=True)
    assert len(ds) == 2 and ds.targets.tolist() == labels.tolist()
    requests = len(http_server.requests)
    EMNIST(tmp_path, "digits", train=False, download=True)
    assert len(http_server.requests) == requests


@pytest.fixture
def qmnist_root(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, count, seed in (("qmnist-train", 4, 0), ("qmnist-test", 6, 1)):
        (raw / f"{prefix}-images-idx3-ubyte.gz").write_bytes(
            gzip.compress(idx_bytes(mnist_arrays(count, seed)[0], 0x08))
        )
        (raw / f"{prefix}-labels-idx2-int.gz").write_bytes(
            gzip.compress(idx_bytes(qmnist_labels(count, seed), 0x0C))
        )
    return tmp_path


def test_qmnist_targets_are_classes_or_whole_label_rows(qmnist_root):
    train = QMNIST(qmnist_root)
    assert len(train) == 4 and train.what == "train"
    rows = qmnist_labels(4, 0)
    assert [train[i][1] for i in range(4)] == rows[:, 0].tolist()
    full = QMNIST(qmnist_root, compat=False)
    target = full[3][1]
    assert target.dtype == torch.int64 and target.tolist() == rows[3].tolist()
    assert "Split: train" in repr(train)


def test_qmnist_test10k_and_test50k_split_the_test_files(qmnist_root, monkeypatch):
    # Shrink the 10000 images of MNIST's test set to 2 for files of 6 images.
    monkeypatch.setattr(QMNIST, "_test_parts", {"test10k": slice(0, 2), "test50k": slice(2, None)})
    test = QMNIST(qmnist_root, train=False)
    first, rest = QMNIST(qmnist_root, "test10k"), QMNIST(qmnist_root, "test50k")
    assert (len(test), len(first), len(rest)) == (6, 2, 4)
    assert torch.equal(torch.cat([first.data, rest.data]), test.data)


def test_qmnist_reads_the_xz_nist_files_and_checks_the_label_type(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    images = mnist_arrays(3, 2)[0]
    (raw / "xnist-images-idx3-ubyte.xz").write_bytes(lzma.compress(idx_bytes(images, 0x08)))
    (raw / "xnist-labels-idx2-int.xz").write_bytes(
        lzma.compress(idx_bytes(qmnist_labels(3, 2), 0x0C))
    )
    assert len(QMNIST(tmp_path, "nist")) == 3
    (raw / "xnist-labels-idx2-int").write_bytes(idx_bytes(np.zeros((3, 8), np.uint8), 0x08))
    with pytest.raises(ValueError, match=r"expected torch\.int32 values of 2"):
        QMNIST(tmp_path, "nist")
