"""SBDataset on a tiny copy of its layout, with .mat files in the real GTcls structure (a struct
holding the segmentation and a cell array of sparse per-class boundary maps)."""

import hashlib
import io
import re
import tarfile

import numpy as np
import pytest
import scipy.io
import scipy.sparse
from PIL import Image

from vdata.datasets import RemoteFile, SBDataset, sbd

NUM_CLASSES = 20
SEGMENTATIONS = {
    "2008_000002": np.array([[0, 0, 1, 1], [0, 1, 1, 0], [15, 15, 0, 0]], dtype=np.uint8),
    "2008_000003": np.array([[20, 20, 0, 0], [20, 0, 0, 0], [0, 0, 0, 3]], dtype=np.uint8),
}


def boundaries_of(segmentation):
    """A stand-in boundary map per class: the pixels of the class that touch another class."""
    padded = np.pad(segmentation, 1, mode="edge")
    differs = np.zeros(segmentation.shape, dtype=bool)
    for dy, dx in [(0, 1), (2, 1), (1, 0), (1, 2)]:
        shifted = padded[dy : dy + segmentation.shape[0], dx : dx + segmentation.shape[1]]
        differs |= shifted != segmentation
    return [differs & (segmentation == k) for k in range(1, NUM_CLASSES + 1)]


def write_gtcls(path, segmentation):
    cell = np.empty((NUM_CLASSES, 1), dtype=object)
    for k, boundary in enumerate(boundaries_of(segmentation)):
        cell[k, 0] = scipy.sparse.csc_matrix(boundary)
    present = np.unique(segmentation[segmentation > 0]).reshape(-1, 1)
    scipy.io.savemat(
        path,
        {
            "GTcls": {
                "Segmentation": segmentation,
                "Boundaries": cell,
                "CategoriesPresent": present,
            }
        },
    )


def make_sbd(base, write_image):
    (base / "cls").mkdir(parents=True)
    for i, (name, segmentation) in enumerate(SEGMENTATIONS.items()):
        write_image(base / "img" / f"{name}.jpg", size=(4, 3), value=100 * i)
        write_gtcls(base / "cls" / f"{name}.mat", segmentation)
    (base / "train.txt").write_text("2008_000002\n2008_000003\n")
    (base / "val.txt").write_text("2008_000003\n")
    (base / "train_noval.txt").write_text("2008_000002\n")


@pytest.fixture
def root(tmp_path, write_image):
    make_sbd(tmp_path / "sbd", write_image)
    return tmp_path / "sbd"


@pytest.mark.parametrize(("image_set", "length"), [("train", 2), ("val", 1), ("train_noval", 1)])
def test_sbd_image_sets(root, image_set, length):
    assert len(SBDataset(root, image_set=image_set)) == length


def test_sbd_segmentation_mode_gives_class_index_image(root):
    image, mask = SBDataset(root, image_set="val", mode="segmentation")[0]
    assert (image.mode, image.size) == ("RGB", (4, 3))
    assert isinstance(mask, Image.Image) and mask.mode == "L"
    np.testing.assert_array_equal(np.asarray(mask), SEGMENTATIONS["2008_000003"])


def test_sbd_boundaries_mode_gives_one_binary_map_per_class(root):
    ds = SBDataset(root, image_set="train", mode="boundaries")
    assert ds.masks == [root / "cls" / "2008_000002.mat", root / "cls" / "2008_000003.mat"]
    assert (ds.image_set, ds.num_classes) == ("train", NUM_CLASSES)
    _, boundaries = ds[0]
    # The file's sparse maps densified in the dtype scipy reads them in (MATLAB logical ->
    # uint8), as torchvision does.
    assert isinstance(boundaries, np.ndarray) and boundaries.dtype == np.uint8
    assert boundaries.shape == (NUM_CLASSES, 3, 4)
    # Class 1 occupies (0,2), (0,3), (1,1), (1,2): each has a 4-neighbour of another class.
    assert boundaries[0].tolist() == [[0, 0, 1, 1], [0, 1, 1, 0], [0, 0, 0, 0]]
    assert boundaries[14].tolist() == [[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0]]
    assert boundaries[[k for k in range(NUM_CLASSES) if k not in (0, 14)]].sum() == 0


def test_sbd_joint_transforms(root):
    # torchvision's positional order: root, image_set, mode, download, transforms.
    ds = SBDataset(
        root, "train", "segmentation", False, lambda im, m: (im.size, m.getpixel((0, 2)))
    )
    assert ds[0] == ((4, 3), 15)


def test_sbd_missing_and_corrupt_files_are_named(root):
    (root / "cls" / "2008_000002.mat").unlink()
    ds = SBDataset(root)
    with pytest.raises(FileNotFoundError, match=f"dataset file not found: {root}/cls/2008_000002"):
        ds[0]
    scipy.io.savemat(root / "cls" / "2008_000003.mat", {"other": np.zeros(2)})
    with pytest.raises(ValueError, match=re.escape("2008_000003.mat is not an SBD annotation")):
        ds[1]


def test_sbd_list_entry_escaping_the_root_is_rejected(root):
    (root / "val.txt").write_text("../../etc/passwd\n")
    with pytest.raises(ValueError, match=f"{root / 'val.txt'} names '../../etc/passwd.jpg'"):
        SBDataset(root, image_set="val")


def test_sbd_rejects_bad_arguments_and_missing_data(tmp_path, root):
    with pytest.raises(ValueError, match="Unknown value 'test' for argument image_set"):
        SBDataset(root, image_set="test")
    with pytest.raises(
        ValueError, match=r"argument mode\. Valid values are \{'segmentation', 'boundaries'\}"
    ):
        SBDataset(root, mode="edges")
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'none' / 'img'}. Pass download"):
        SBDataset(tmp_path / "none")
    with pytest.raises(RuntimeError, match="dataset folder not found"):  # torchvision's type
        SBDataset(tmp_path / "none")


def test_sbd_download_moves_the_dataset_folder_up(
    tmp_path, write_image, http_server, route, monkeypatch
):
    staging = tmp_path / "staging" / "benchmark_RELEASE" / "dataset"
    make_sbd(staging, write_image)
    (staging / "train_noval.txt").unlink()  # fetched separately, as upstream
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(tmp_path / "staging" / "benchmark_RELEASE", "benchmark_RELEASE")
    data, noval = archive.getvalue(), b"2008_000002\n"
    http_server.routes["/benchmark.tgz"] = route(data)
    http_server.routes["/train_noval.txt"] = route(noval)
    md5 = hashlib.md5
    monkeypatch.setattr(
        sbd,
        "SBD_ARCHIVE",
        RemoteFile("benchmark.tgz", (http_server.url + "/benchmark.tgz",), md5(data).hexdigest()),
    )
    monkeypatch.setattr(
        sbd,
        "TRAIN_NOVAL_LIST",
        RemoteFile(
            "train_noval.txt", (http_server.url + "/train_noval.txt",), md5(noval).hexdigest()
        ),
    )
    root = tmp_path / "root"
    ds = SBDataset(root, image_set="train_noval", mode="segmentation", download=True)
    np.testing.assert_array_equal(np.asarray(ds[0][1]), SEGMENTATIONS["2008_000002"])
    assert sorted(p.name for p in root.iterdir()) == [
        "benchmark.tgz",
        "cls",
        "img",
        "train.txt",
        "train_noval.txt",
        "val.txt",
    ]
