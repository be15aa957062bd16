"""Flowers102, OxfordIIITPet, Food101 and Imagenette against torchvision's on the same tiny files
in the official layouts: the same samples, attributes and errors."""

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image

from vdata.datasets.flowers102 import Flowers102
from vdata.datasets.food101 import Food101
from vdata.datasets.imagenette import Imagenette
from vdata.datasets.oxford_iiit_pet import OxfordIIITPet

torchvision = pytest.importorskip("torchvision")
tv = torchvision.datasets


def write_image(path: Path, value: int, size=(7, 5)) -> None:
    """An RGB image whose pixels vary with ``value`` and position; saved in the format the name
    says (both libraries decode it with PIL, so even JPEG gives the same pixels)."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([np.full_like(xs, value), xs * 30, ys * 40], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def assert_same_value(ours, theirs) -> None:
    """Equal values of the same kind, recursively: PIL images by mode, size and pixels, tensors
    by dtype, shape and values, everything else by type and value."""
    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image)
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
        assert ours.tobytes() == theirs.tobytes()
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, torch.Tensor) and ours.dtype == theirs.dtype
        assert ours.equal(theirs)
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same_value(a, b)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def assert_same_samples(ours, theirs) -> None:
    assert len(ours) == len(theirs) > 0
    for i in range(len(theirs)):
        assert_same_value(ours[i], theirs[i])


def assert_same_error(error: type[Exception], ours_cls, theirs_cls, *args, **kwargs) -> None:
    """Both datasets raise ``error`` on these arguments; a bad-argument ValueError with the very
    same message."""
    with pytest.raises(error) as theirs:
        theirs_cls(*args, **kwargs)
    with pytest.raises(error) as ours:
        ours_cls(*args, **kwargs)
    if error is ValueError:
        assert str(ours.value) == str(theirs.value)


# --- Flowers102 ---------------------------------------------------------------------------------


@pytest.fixture
def flowers_root(tmp_path, monkeypatch):
    base = tmp_path / "flowers-102"
    for number in range(1, 8):
        write_image(base / "jpg" / f"image_{number:05d}.jpg", value=30 * number)
    scipy.io.savemat(base / "imagelabels.mat", {"labels": np.array([[5, 1, 102, 5, 2, 1, 77]])})
    splits = {"trnid": [[6, 1, 3]], "valid": [[2, 7]], "tstid": [[4, 5]]}
    scipy.io.savemat(base / "setid.mat", {key: np.array(ids) for key, ids in splits.items()})
    # torchvision checks the published MD5s of the .mat files on construction.
    monkeypatch.setattr(tv.flowers102, "check_integrity", lambda *args, **kwargs: True)
    return tmp_path


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_flowers102_equals_torchvision(flowers_root, split):
    ours, theirs = Flowers102(flowers_root, split), tv.Flowers102(flowers_root, split)
    assert ours.classes == theirs.classes
    assert ours._labels == theirs._labels and ours._image_files == theirs._image_files
    assert_same_samples(ours, theirs)


def test_flowers102_errors_as_torchvision(flowers_root, tmp_path):
    assert_same_error(ValueError, Flowers102, tv.Flowers102, flowers_root, "valid")
    missing = tmp_path / "missing"
    assert_same_error(RuntimeError, Flowers102, tv.Flowers102, missing)


# --- OxfordIIITPet ------------------------------------------------------------------------------


@pytest.fixture
def pet_root(tmp_path):
    base = tmp_path / "oxford-iiit-pet"
    splits = {
        "trainval": [("keeshond_4", 21, 2, 18), ("Bombay_2", 7, 1, 4), ("basset_hound_9", 4, 2, 3)],
        "test": [("Sphynx_1", 34, 1, 12), ("pug_3", 26, 2, 21)],
    }
    (base / "annotations" / "trimaps").mkdir(parents=True)
    for split, entries in splits.items():
        for value, (image_id, label, _, _) in enumerate(entries):
            write_image(base / "images" / f"{image_id}.jpg", value=40 * value + label)
            mask = np.array([[1, 2, 3, 1], [3, 2, 1, label % 3 + 1]], dtype=np.uint8)
            Image.fromarray(mask).save(base / "annotations" / "trimaps" / f"{image_id}.png")
        lines = "".join(f"{i} {label} {species} {breed}\n" for i, label, species, breed in entries)
        (base / "annotations" / f"{split}.txt").write_text(lines)
    return tmp_path


@pytest.mark.parametrize("split", ["trainval", "test"])
@pytest.mark.parametrize(
    "target_types",
    ["category", "binary-category", "segmentation", ["segmentation", "category"], []],
)
def test_oxford_iiit_pet_equals_torchvision(pet_root, split, target_types):
    ours = OxfordIIITPet(pet_root, split, target_types)
    theirs = tv.OxfordIIITPet(pet_root, split, target_types)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.bin_classes == theirs.bin_classes
    assert ours.bin_class_to_idx == theirs.bin_class_to_idx
    assert_same_samples(ours, theirs)


def test_oxford_iiit_pet_transforms_as_torchvision(pet_root):
    def joint(image, target):
        return image.size, target

    assert_same_samples(
        OxfordIIITPet(pet_root, "test", "category", joint),
        tv.OxfordIIITPet(pet_root, "test", "category", joint),
    )
    kwargs = {"transform": lambda image: image.getpixel((0, 0)), "target_transform": str}
    assert_same_samples(
        OxfordIIITPet(pet_root, target_types="binary-category", **kwargs),
        tv.OxfordIIITPet(pet_root, target_types="binary-category", **kwargs),
    )


def test_oxford_iiit_pet_errors_as_torchvision(pet_root, tmp_path):
    for kwargs in ({"split": "train"}, {"target_types": ["category", "trimap"]}):
        assert_same_error(ValueError, OxfordIIITPet, tv.OxfordIIITPet, pet_root, **kwargs)
    missing = tmp_path / "missing"
    assert_same_error(RuntimeError, OxfordIIITPet, tv.OxfordIIITPet, missing)


# --- Food101 ------------------------------------------------------------------------------------


@pytest.fixture
def food_root(tmp_path):
    base = tmp_path / "food-101"
    meta = {
        "train": {"tacos": ["tacos/11", "tacos/3"], "bibimbap": ["bibimbap/7"], "pho": ["pho/2"]},
        "test": {"pho": ["pho/5"], "tacos": ["tacos/1"]},
    }
    (base / "meta").mkdir(parents=True)
    for split, classes in meta.items():
        for names in classes.values():
            for name in names:
                write_image(base / "images" / f"{name}.jpg", value=len(name) * 9)
        (base / "meta" / f"{split}.json").write_text(json.dumps(classes))
    (base / "meta" / "classes.txt").write_text("bibimbap\npho\ntacos\n")
    return tmp_path


@pytest.mark.parametrize("split", ["train", "test"])
def test_food101_equals_torchvision(food_root, split):
    ours, theirs = Food101(food_root, split), tv.Food101(food_root, split)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours._labels == theirs._labels and ours._image_files == theirs._image_files
    assert_same_samples(ours, theirs)


def test_food101_errors_as_torchvision(food_root, tmp_path):
    assert_same_error(ValueError, Food101, tv.Food101, food_root, "val")
    missing = tmp_path / "missing"
    assert_same_error(RuntimeError, Food101, tv.Food101, missing)


# --- Imagenette ---------------------------------------------------------------------------------


@pytest.fixture
def imagenette_root(tmp_path):
    for folder in ("imagenette2", "imagenette2-320"):
        base = tmp_path / folder
        write_image(base / "train" / "n03425413" / "z.JPEG", value=10)
        write_image(base / "train" / "n03425413" / "sub" / "a.jpeg", value=20)
        write_image(base / "train" / "n01440764" / "b.JPEG", value=30)
        write_image(base / "train" / "n01440764" / "c.png", value=40)  # not a .jpeg: skipped
        write_image(base / "val" / "n03000684" / "d.JPEG", value=50)
        write_image(base / "val" / "n02979186" / "e.JPEG", value=60)
    return tmp_path


@pytest.mark.parametrize("split", ["train", "val"])
@pytest.mark.parametrize("size", ["full", "320px"])
def test_imagenette_equals_torchvision(imagenette_root, split, size):
    ours, theirs = (
        Imagenette(imagenette_root, split, size),
        tv.Imagenette(imagenette_root, split, size),
    )
    assert ours.wnids == theirs.wnids and ours.wnid_to_idx == theirs.wnid_to_idx
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours._samples == theirs._samples
    assert_same_samples(ours, theirs)


def test_imagenette_loader_gets_what_torchvision_gives_it(imagenette_root):
    assert_same_samples(
        Imagenette(imagenette_root, loader=lambda path: path),
        tv.Imagenette(imagenette_root, loader=lambda path: path),
    )


def test_imagenette_errors_as_torchvision(imagenette_root):
    for kwargs in ({"split": "test"}, {"size": "160"}):
        assert_same_error(ValueError, Imagenette, tv.Imagenette, imagenette_root, **kwargs)
    assert_same_error(RuntimeError, Imagenette, tv.Imagenette, imagenette_root, size="160px")
