"""ImageNet from tiny copies of the official archives (devkit with meta.mat, per-class train
tars, flat val tar) and from already-extracted folders."""

import hashlib
import io
import json
import re
import tarfile

import numpy as np
import pytest
import scipy.io

from vdata.datasets import ImageNet, RemoteFile, imagenet

SYNSET_FIELDS = [
    "ILSVRC2012_ID",
    "WNID",
    "words",
    "gloss",
    "num_children",
    "children",
    "wordnet_height",
    "num_train_images",
]
# (ILSVRC2012_ID, WNID, words, num_children): two leaf classes and one ancestor.
SYNSETS = [
    (1, "n01440764", "tench, Tinca tinca", 0),
    (2, "n02012849", "crane", 0),
    (3, "n00001740", "entity", 2),
]
# Labels of the validation images, in the order of their sorted file names.
VAL_LABELS = [2, 1, 2]


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def jpeg_bytes(tmp_path, write_image, value):
    return write_image(tmp_path / "tmp.jpg", size=(4, 3), value=value).read_bytes()


def make_archives(root, tmp_path, write_image):
    """Write the three archives into ``root``; return their RemoteFile descriptions."""
    root.mkdir(parents=True, exist_ok=True)
    synsets = np.empty((len(SYNSETS), 1), dtype=[(f, "O") for f in SYNSET_FIELDS])
    for i, (idx, wnid, words, children) in enumerate(SYNSETS):
        synsets[i, 0] = (idx, wnid, words, "gloss", children, np.zeros((1, 0)), 0, 10)
    meta = io.BytesIO()
    scipy.io.savemat(meta, {"synsets": synsets})
    with tarfile.open(root / "ILSVRC2012_devkit_t12.tar.gz", "w:gz") as tar:
        add_bytes(tar, "ILSVRC2012_devkit_t12/data/meta.mat", meta.getvalue())
        truth = "".join(f"{label}\n" for label in VAL_LABELS).encode()
        add_bytes(tar, "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", truth)

    with tarfile.open(root / "ILSVRC2012_img_train.tar", "w") as outer:
        for wnid, count in [("n01440764", 2), ("n02012849", 1)]:
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as tar:
                for i in range(count):
                    add_bytes(tar, f"{wnid}_{i}.JPEG", jpeg_bytes(tmp_path, write_image, 50 * i))
            add_bytes(outer, f"{wnid}.tar", inner.getvalue())

    with tarfile.open(root / "ILSVRC2012_img_val.tar", "w") as tar:
        for i in (3, 1, 2):  # archive order is not file-name order
            add_bytes(tar, f"ILSVRC2012_val_{i:08d}.JPEG", jpeg_bytes(tmp_path, write_image, i))

    return {
        key: RemoteFile(name, (), md5=hashlib.md5((root / name).read_bytes()).hexdigest())
        for key, name in [
            ("devkit", "ILSVRC2012_devkit_t12.tar.gz"),
            ("train", "ILSVRC2012_img_train.tar"),
            ("val", "ILSVRC2012_img_val.tar"),
        ]
    }


@pytest.fixture
def archives_root(tmp_path, write_image, monkeypatch):
    root = tmp_path / "imagenet"
    monkeypatch.setattr(imagenet, "ARCHIVES", make_archives(root, tmp_path, write_image))
    return root


def test_imagenet_train_from_archives(archives_root):
    ds = ImageNet(archives_root, split="train")
    assert ds.wnids == ["n01440764", "n02012849"]
    assert ds.wnid_to_idx == {"n01440764": 0, "n02012849": 1}
    assert ds.classes == [("tench", "Tinca tinca"), ("crane",)]
    assert ds.class_to_idx == {"tench": 0, "Tinca tinca": 0, "crane": 1}
    assert ds.targets == [0, 0, 1]
    assert sorted(p.name for p in (archives_root / "train" / "n01440764").iterdir()) == [
        "n01440764_0.JPEG",
        "n01440764_1.JPEG",
    ]
    assert not list((archives_root / "train").glob("*.tar"))
    image, target = ds[2]
    assert (image.mode, image.size, target) == ("RGB", (4, 3), 1)


def test_imagenet_val_sorted_into_class_folders_by_the_devkit(archives_root):
    ds = ImageNet(archives_root, split="val")
    by_name = {p.rsplit("/", 1)[1]: target for p, target in ds.samples}
    # Sorted file names 1, 2, 3 carry labels 2, 1, 2 -> crane, tench, crane.
    assert by_name == {
        "ILSVRC2012_val_00000001.JPEG": 1,
        "ILSVRC2012_val_00000002.JPEG": 0,
        "ILSVRC2012_val_00000003.JPEG": 1,
    }
    assert (archives_root / "val" / "n02012849" / "ILSVRC2012_val_00000003.JPEG").is_file()
    meta = json.loads((archives_root / imagenet.META_FILE).read_text())
    assert meta["val_wnids"] == ["n02012849", "n01440764", "n02012849"]
    assert ds.split == "val"
    assert f"Root location: {archives_root}" in repr(ds)


def test_imagenet_extracts_once_and_then_needs_no_archive(archives_root):
    ImageNet(archives_root, split="train")
    ImageNet(archives_root, split="val")
    for archive in archives_root.glob("*.tar*"):
        archive.unlink()
    ds = ImageNet(archives_root, split="val")  # names come from the cached meta
    assert ds.classes == [("tench", "Tinca tinca"), ("crane",)]
    assert len(ds) == 3


def test_imagenet_redoes_an_interrupted_extraction(archives_root):
    (archives_root / "train.partial" / "n01440764").mkdir(parents=True)
    (archives_root / "train.partial" / "n01440764" / "junk.JPEG").write_bytes(b"half")
    assert len(ImageNet(archives_root, split="train")) == 3
    assert not (archives_root / "train.partial").exists()


def test_imagenet_from_extracted_folders_without_devkit(tmp_path, write_image):
    write_image(tmp_path / "val" / "n02" / "a.JPEG")
    write_image(tmp_path / "val" / "n01" / "b.JPEG")
    ds = ImageNet(tmp_path, split="val")
    assert ds.wnids == ["n01", "n02"]
    assert ds.classes == [("n01",), ("n02",)]
    assert ds.targets == [0, 1]


def test_imagenet_missing_archives_say_what_to_place_where(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError) as info:
        ImageNet(tmp_path, split="train")
    message = str(info.value)
    assert f"{tmp_path / 'train'} not found" in message
    assert "ILSVRC2012_img_train.tar (md5 1d675b47d978889d74fa0da5fadfb00e)" in message
    assert f"place them in {tmp_path}" in message
    with pytest.raises(RuntimeError, match="ImageNet cannot be downloaded automatically"):
        ImageNet(tmp_path, download=True)


def test_imagenet_val_archive_without_devkit_is_explained(archives_root):
    (archives_root / "ILSVRC2012_devkit_t12.tar.gz").unlink()
    with pytest.raises(FileNotFoundError, match="needs the devkit: place ILSVRC2012_devkit_t12"):
        ImageNet(archives_root, split="val")


def test_imagenet_archive_with_wrong_checksum_is_refused(archives_root, monkeypatch):
    wrong = RemoteFile("ILSVRC2012_img_train.tar", (), md5="0" * 32)
    monkeypatch.setattr(imagenet, "ARCHIVES", {**imagenet.ARCHIVES, "train": wrong})
    with pytest.raises(
        ValueError, match=re.escape("ILSVRC2012_img_train.tar is not the official archive")
    ):
        ImageNet(archives_root, split="train")
    assert not (archives_root / "train").exists()


def test_imagenet_rejects_unknown_split(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown value 'test' for argument split"):
        ImageNet(tmp_path, split="test")
