"""Cityscapes on tiny files in its official layout."""

import zipfile

import pytest
from cityscapes_files import write_city

from vdata.datasets import DatasetNotFoundError
from vdata.datasets.cityscapes import Cityscapes


def test_cityscapes_lists_cities_and_frames_in_order(tmp_path):
    write_city(tmp_path)
    ds = Cityscapes(tmp_path, target_type="semantic")
    names = [path.rsplit("/", 1)[1] for path in ds.images]
    assert names == [
        "aachen_000000_000019_leftImg8bit.png",
        "aachen_000001_000019_leftImg8bit.png",
        "bonn_000000_000019_leftImg8bit.png",
    ]
    image, semantic = ds[0]
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (1, 6, 7)
    assert semantic.mode == "L" and semantic.getpixel((0, 0)) == 8
    assert semantic.getpixel((1, 0)) == 26


def test_cityscapes_several_target_types_make_a_tuple(tmp_path):
    write_city(tmp_path)
    ds = Cityscapes(tmp_path, target_type=["instance", "polygon", "color"])
    _, (instance, polygons, color) = ds[2]
    assert instance.mode in ("I", "I;16") and instance.getpixel((3, 2)) == 26001
    assert polygons["objects"] == [{"label": "car", "k": 0}]
    assert color.mode == "RGBA" and color.getpixel((0, 0)) == (0, 0, 142, 255)
    assert "Mode: gtFine" in repr(ds) and "Type: ['instance', 'polygon', 'color']" in repr(ds)


def test_cityscapes_coarse_mode_and_its_splits(tmp_path):
    write_city(tmp_path, mode="gtCoarse", split="train_extra")
    ds = Cityscapes(tmp_path, "train_extra", "coarse", "semantic")
    assert len(ds) == 3 and ds.targets[0][0].endswith("_gtCoarse_labelIds.png")
    with pytest.raises(ValueError, match="argument split if mode is 'fine'"):
        Cityscapes(tmp_path, "train_extra", "fine")
    with pytest.raises(ValueError, match="argument mode"):
        Cityscapes(tmp_path, mode="medium")
    with pytest.raises(ValueError, match="argument target_type"):
        Cityscapes(tmp_path, "train_extra", "coarse", "depth")


def test_cityscapes_extracts_the_official_zips_when_the_folders_are_missing(tmp_path):
    staging, root = tmp_path / "staging", tmp_path / "root"
    root.mkdir()
    write_city(staging, split="val", frames={"lindau": ["lindau_000000_000019"]})
    for name, folder in (
        ("leftImg8bit_trainvaltest.zip", "leftImg8bit"),
        ("gtFine_trainvaltest.zip", "gtFine"),
    ):
        with zipfile.ZipFile(root / name, "w") as archive:
            for path in (staging / folder).rglob("*"):
                archive.write(path, path.relative_to(staging))
    ds = Cityscapes(root, "val", target_type="polygon")
    assert len(ds) == 1 and ds[0][1]["imgWidth"] == 8


def test_cityscapes_missing_folders_and_targets_are_named(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="leftImg8bit/train"):
        Cityscapes(tmp_path)
    write_city(tmp_path)
    (tmp_path / "gtFine/train/bonn/bonn_000000_000019_gtFine_instanceIds.png").unlink()
    with pytest.raises(FileNotFoundError, match="bonn_000000_000019_gtFine_instanceIds"):
        Cityscapes(tmp_path)[2]


def test_cityscapes_classes_are_the_official_labels():
    by_name = {c.name: c for c in Cityscapes.classes}
    assert len(Cityscapes.classes) == 35
    assert sorted(c.train_id for c in Cityscapes.classes if c.train_id not in (255, -1)) == list(
        range(19)
    )
    assert by_name["car"].id == 26 and by_name["car"].train_id == 13
    assert by_name["car"].color == (0, 0, 142) and by_name["car"].has_instances
