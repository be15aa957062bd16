"""Flowers102, OxfordIIITPet, Food101 and Imagenette on tiny copies of the official layouts."""

import hashlib
import json
import re
import tarfile

import numpy as np
import pytest
import scipy.io
from PIL import Image

from vdata.datasets import DatasetNotFoundError, RemoteFile
from vdata.datasets import food101 as food101_module
from vdata.datasets.flowers102 import Flowers102
from vdata.datasets.food101 import Food101
from vdata.datasets.imagenette import Imagenette
from vdata.datasets.oxford_iiit_pet import OxfordIIITPet


def red(image: Image.Image) -> float:
    """The mean red value: the ``value`` the conftest's ``write_image`` wrote, JPEG or not."""
    return float(np.asarray(image)[..., 0].mean())


def assert_reds(dataset, values) -> None:
    """The images of ``dataset`` are RGB and carry ``values`` in their red channel (JPEG is
    lossy, so approximately)."""
    images = [dataset[i][0] for i in range(len(dataset))]
    assert all(image.mode == "RGB" for image in images)
    assert [red(image) for image in images] == pytest.approx(values, abs=6)


def bad_argument(name: str, value: str) -> str:
    return re.escape(f"Unknown value {value!r} for argument {name}. Valid values are")


# --- Flowers102 ---------------------------------------------------------------------------------


@pytest.fixture
def flowers_root(tmp_path, write_image):
    base = tmp_path / "flowers-102"
    for number, value in zip(range(1, 7), (10, 40, 70, 100, 130, 160), strict=True):
        write_image(base / "jpg" / f"image_{number:05d}.jpg", size=(8, 6), value=value)
    scipy.io.savemat(base / "imagelabels.mat", {"labels": np.array([[3, 1, 2, 3, 1, 102]])})
    splits = {"trnid": [[4, 1]], "valid": [[2]], "tstid": [[3, 5, 6]]}
    scipy.io.savemat(base / "setid.mat", {key: np.array(ids) for key, ids in splits.items()})
    return tmp_path


def test_flowers102_reads_each_split_from_setid(flowers_root):
    train = Flowers102(flowers_root)
    assert train.split == "train" and len(train) == 2
    assert [train[i][1] for i in range(2)] == [2, 2]
    assert all(type(train[i][1]) is int for i in range(2))
    assert_reds(train, [100, 10])
    val = Flowers102(flowers_root, "val")  # a one-element split is a scalar in the .mat file
    assert len(val) == 1 and val[0][1] == 0
    test = Flowers102(flowers_root, split="test")
    assert [test[i][1] for i in range(3)] == [1, 0, 101]
    assert_reds(test, [70, 130, 160])
    assert test._image_files[-1] == flowers_root / "flowers-102" / "jpg" / "image_00006.jpg"
    assert "Split: test" in repr(test)


def test_flowers102_classes_and_transforms(flowers_root):
    assert len(Flowers102.classes) == 102
    assert Flowers102.classes[0] == "pink primrose"
    assert Flowers102.classes[-1] == "blackberry lily"
    ds = Flowers102(flowers_root, "test", transforms=lambda image, label: (image.size, -label))
    assert ds[2] == ((8, 6), -101)
    ds = Flowers102(flowers_root, "test", transform=red, target_transform=str)
    assert ds[0][1] == "1" and ds[0][0] == pytest.approx(70, abs=6)
    ds = Flowers102(flowers_root, "test", loader=str)
    assert ds[0][0] == str(flowers_root / "flowers-102" / "jpg" / "image_00003.jpg")


def test_flowers102_errors(flowers_root, tmp_path):
    with pytest.raises(ValueError, match=bad_argument("split", "valid")):
        Flowers102(flowers_root, "valid")
    with pytest.raises(DatasetNotFoundError, match="flowers-102"):
        Flowers102(tmp_path / "elsewhere")
    (flowers_root / "flowers-102" / "setid.mat").unlink()
    with pytest.raises(RuntimeError, match=re.escape("setid.mat")):
        Flowers102(flowers_root)
    scipy.io.savemat(flowers_root / "flowers-102" / "setid.mat", {"trnid": np.array([[7]])})
    with pytest.raises(ValueError, match="names image 7"):
        Flowers102(flowers_root)
    with pytest.raises(ValueError, match="no variable 'tstid'"):
        Flowers102(flowers_root, "test")


# --- OxfordIIITPet ------------------------------------------------------------------------------

PET_SPLITS = {
    "trainval": [
        ("american_bulldog_10", 2, 2, 1, 40),
        ("Abyssinian_1", 1, 1, 1, 80),
        ("great_pyrenees_5", 3, 2, 4, 120),
    ],
    "test": [("Bengal_3", 6, 1, 2, 160)],
}


def trimap(value: int) -> np.ndarray:
    return np.full((6, 8), value, dtype=np.uint8)


@pytest.fixture
def pet_root(tmp_path, write_image):
    base = tmp_path / "oxford-iiit-pet"
    for split, entries in PET_SPLITS.items():
        lines = []
        for image_id, label, species, breed, value in entries:
            write_image(base / "images" / f"{image_id}.jpg", size=(8, 6), value=value)
            trimaps = base / "annotations" / "trimaps"
            trimaps.mkdir(parents=True, exist_ok=True)
            Image.fromarray(trimap(label)).save(trimaps / f"{image_id}.png")
            lines.append(f"{image_id} {label} {species} {breed}\n")
        (base / "annotations" / f"{split}.txt").write_text("".join(lines) + "\n")
    return tmp_path


def test_oxford_iiit_pet_categories_and_classes(pet_root):
    ds = OxfordIIITPet(pet_root)
    assert ds.split == "trainval" and len(ds) == 3
    assert [ds[i][1] for i in range(3)] == [1, 0, 2]
    assert_reds(ds, [40, 80, 120])
    assert ds.classes == ["Abyssinian", "American Bulldog", "Great Pyrenees"]
    assert ds.class_to_idx == {"Abyssinian": 0, "American Bulldog": 1, "Great Pyrenees": 2}
    assert ds.bin_classes == ["Cat", "Dog"] and ds.bin_class_to_idx == {"Cat": 0, "Dog": 1}
    test = OxfordIIITPet(pet_root, "test", "binary-category")
    assert len(test) == 1 and test[0][1] == 0
    assert test.classes == ["Bengal"]  # only the classes of the split, as in torchvision


def test_oxford_iiit_pet_target_types(pet_root):
    ds = OxfordIIITPet(pet_root, target_types=["segmentation", "binary-category", "category"])
    image, (mask, species, label) = ds[2]
    assert isinstance(mask, Image.Image) and mask.mode == "L" and mask.size == image.size
    np.testing.assert_array_equal(np.asarray(mask), trimap(3))
    assert (species, label) == (1, 2)
    assert OxfordIIITPet(pet_root, target_types=[])[0][1] is None
    assert OxfordIIITPet(pet_root, target_types=("category",))[0][1] == 1
    joint = OxfordIIITPet(pet_root, "test", "category", lambda im, t: (im.size, t + 100))
    assert joint[0] == ((8, 6), 105)
    separate = OxfordIIITPet(pet_root, "test", transform=red, target_transform=str)
    assert separate[0][1] == "5" and separate[0][0] == pytest.approx(160, abs=6)
    assert "Target types: ['category']" in repr(separate)


def test_oxford_iiit_pet_errors(pet_root, tmp_path):
    with pytest.raises(ValueError, match=bad_argument("split", "train")):
        OxfordIIITPet(pet_root, "train")
    with pytest.raises(ValueError, match=bad_argument("target_types", "mask")):
        OxfordIIITPet(pet_root, target_types=["category", "mask"])
    with pytest.raises(DatasetNotFoundError, match="oxford-iiit-pet"):
        OxfordIIITPet(tmp_path / "elsewhere")
    (pet_root / "oxford-iiit-pet" / "annotations" / "test.txt").write_text("Bengal_3 6\n")
    with pytest.raises(ValueError, match="line 1"):
        OxfordIIITPet(pet_root, "test")
    (pet_root / "oxford-iiit-pet" / "annotations" / "test.txt").write_text("../x 6 1 2\n")
    with pytest.raises(ValueError, match="not a relative path inside"):
        OxfordIIITPet(pet_root, "test")


# --- Food101 ------------------------------------------------------------------------------------


def make_food101(root, write_image):
    base = root / "food-101"
    meta = {
        "train": {
            "baby_back_ribs": ["baby_back_ribs/3"],
            "apple_pie": ["apple_pie/1", "apple_pie/2"],
        },
        "test": {"apple_pie": ["apple_pie/4"]},
    }
    values = {"1": 30, "2": 60, "3": 90, "4": 120}
    (base / "meta").mkdir(parents=True)
    for split, classes in meta.items():
        for names in classes.values():
            for name in names:
                write_image(base / "images" / f"{name}.jpg", size=(8, 6), value=values[name[-1]])
        (base / "meta" / f"{split}.json").write_text(json.dumps(classes))
    (base / "meta" / "classes.txt").write_text("apple_pie\nbaby_back_ribs\n")
    return root


@pytest.fixture
def food_root(tmp_path, write_image):
    return make_food101(tmp_path, write_image)


def test_food101_reads_the_split_json(food_root):
    ds = Food101(food_root)
    assert ds.split == "train" and len(ds) == 3
    assert ds.classes == ["apple_pie", "baby_back_ribs"]
    assert ds.class_to_idx == {"apple_pie": 0, "baby_back_ribs": 1}
    assert [ds[i][1] for i in range(3)] == [1, 0, 0]  # the json's order, sorted class indices
    assert_reds(ds, [90, 30, 60])
    assert ds._image_files[0] == food_root / "food-101" / "images" / "baby_back_ribs" / "3.jpg"
    test = Food101(food_root, "test", transforms=lambda image, label: (red(image), label))
    assert len(test) == 1 and test[0] == (pytest.approx(120, abs=6), 0)


def test_food101_errors(food_root, tmp_path):
    with pytest.raises(ValueError, match=bad_argument("split", "val")):
        Food101(food_root, "val")
    with pytest.raises(DatasetNotFoundError, match="food-101"):
        Food101(tmp_path / "elsewhere")
    (food_root / "food-101" / "meta" / "test.json").write_text('["apple_pie/4"]')
    with pytest.raises(ValueError, match="must map each class name"):
        Food101(food_root, "test")


def test_food101_downloads_and_extracts_the_archive_once(
    tmp_path, write_image, http_server, route, monkeypatch
):
    make_food101(tmp_path / "staging", write_image)
    archive = tmp_path / "food-101.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "staging" / "food-101", "food-101")
    data = archive.read_bytes()
    http_server.routes["/food.tgz"] = route(data)
    file = RemoteFile(
        "food-101.tar.gz", (http_server.url + "/food.tgz",), md5=hashlib.md5(data).hexdigest()
    )
    monkeypatch.setattr(food101_module, "FOOD101_FILES", (file,))
    root = tmp_path / "root"
    assert len(Food101(root, download=True)) == 3
    assert (root / "food-101.tar.gz").read_bytes() == data
    requests = len(http_server.requests)
    assert len(Food101(root, "test", None, None, True)) == 1  # torchvision's positional order
    assert len(http_server.requests) == requests


# --- Imagenette ---------------------------------------------------------------------------------


@pytest.fixture
def imagenette_root(tmp_path, write_image):
    base = tmp_path / "imagenette2-160"
    write_image(base / "train" / "n03888257" / "c.JPEG", value=20)
    write_image(base / "train" / "n01440764" / "b.jpeg", value=50)
    write_image(base / "train" / "n01440764" / "a.JPEG", value=80)
    (base / "train" / "n01440764" / "notes.txt").write_text("no image")
    write_image(base / "val" / "n02102040" / "d.JPEG", value=110)
    return tmp_path


def test_imagenette_reads_the_class_folders(imagenette_root):
    ds = Imagenette(imagenette_root, size="160px")
    assert (ds.split, ds.size, len(ds)) == ("train", "160px", 3)
    assert ds.wnids == ["n01440764", "n03888257"]
    assert ds.wnid_to_idx == {"n01440764": 0, "n03888257": 1}
    assert ds.classes == [("tench", "Tinca tinca"), ("parachute", "chute")]
    assert ds.class_to_idx == {"tench": 0, "Tinca tinca": 0, "parachute": 1, "chute": 1}
    assert [ds[i][1] for i in range(3)] == [0, 0, 1]
    assert_reds(ds, [80, 50, 20])
    val = Imagenette(imagenette_root, "val", "160px", False, transform=red)
    assert len(val) == 1 and val.classes == [("English springer", "English springer spaniel")]
    assert val[0] == (pytest.approx(110, abs=6), 0)
    assert "Size: 160px" in repr(val) and "Split: val" in repr(val)


def test_imagenette_errors(imagenette_root, write_image):
    with pytest.raises(ValueError, match=bad_argument("size", "160")):
        Imagenette(imagenette_root, size="160")
    with pytest.raises(ValueError, match=bad_argument("split", "test")):
        Imagenette(imagenette_root, "test", "160px")
    with pytest.raises(DatasetNotFoundError, match="imagenette2-320"):
        Imagenette(imagenette_root, size="320px")
    with pytest.raises(DatasetNotFoundError, match=re.escape("imagenette2/train")):
        Imagenette(imagenette_root)
    write_image(imagenette_root / "imagenette2-160" / "val" / "n99999999" / "x.JPEG")
    with pytest.raises(ValueError, match="n99999999"):
        Imagenette(imagenette_root, "val", "160px")
