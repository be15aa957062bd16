"""Caltech101 and Caltech256 on tiny copies of the official layouts (JPEGs, .mat annotations)."""

import hashlib
import re
import tarfile

import numpy as np
import pytest
import scipy.io
import torch
from PIL import Image

from vdata.datasets import Caltech101, Caltech256, RemoteFile, caltech


@pytest.fixture
def caltech101_root(tmp_path, write_image):
    base = tmp_path / "caltech101"
    images = base / "101_ObjectCategories"
    for category, count in [("BACKGROUND_Google", 2), ("Faces", 2), ("accordion", 1)]:
        for i in range(1, count + 1):
            write_image(images / category / f"image_{i:04d}.jpg", size=(8, 6))
    write_image(images / "airplanes" / "image_0010.jpg", size=(8, 6))
    (images / "Faces" / "RENAME2").write_text("stray file in the official archive")
    annotations = base / "Annotations"
    # box_coord is [top, bottom, left, right] in 1-based pixels; obj_contour is 2 x K (x; y),
    # relative to the box's top-left corner.
    for folder, name, box, contour in [
        ("Faces_2", "annotation_0002.mat", [2, 5, 3, 7], [[0.0, 4.0, 2.0], [0.0, 0.0, 3.0]]),
        ("accordion", "annotation_0001.mat", [1, 6, 1, 8], [[1.0, 2.5], [1.0, 4.0]]),
    ]:
        (annotations / folder).mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(
            annotations / folder / name,
            {"box_coord": np.array([box], dtype=np.float64), "obj_contour": np.array(contour)},
        )
    return tmp_path


def test_caltech101_lists_categories_and_images(caltech101_root):
    ds = Caltech101(caltech101_root)
    assert ds.categories == ["Faces", "accordion", "airplanes"]
    assert len(ds) == 4
    assert [ds[i][1] for i in range(4)] == [0, 0, 1, 2]
    assert [p.name for p, _, _ in ds.samples][-1] == "image_0010.jpg"
    image = ds[0][0]
    assert (image.mode, image.size) == ("RGB", (8, 6))
    assert ds.y == [0, 0, 1, 2] and ds.index == [1, 2, 1, 10]
    assert ds.annotation_categories == ["Faces_2", "accordion", "Airplanes_Side_2"]


def test_caltech101_keeps_the_file_mode_unless_image_mode_is_given(caltech101_root):
    path = caltech101_root / "caltech101/101_ObjectCategories/accordion/image_0001.jpg"
    Image.new("L", (5, 3), 77).save(path)
    assert Caltech101(caltech101_root)[2][0].mode == "L"
    image = Caltech101(caltech101_root, image_mode="RGB")[2][0]
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (77, 77, 77)


def test_caltech101_annotation_is_the_contour_array_of_the_file(caltech101_root):
    ds = Caltech101(caltech101_root, target_type="annotation")
    contour = ds[1][1]  # Faces/image_0002 -> Annotations/Faces_2/annotation_0002.mat
    assert isinstance(contour, np.ndarray) and contour.dtype == np.float64
    np.testing.assert_array_equal(contour, [[0.0, 4.0, 2.0], [0.0, 0.0, 3.0]])


def test_caltech101_box_contour_in_pixel_coordinates(caltech101_root):
    ds = Caltech101(caltech101_root, target_type="box_contour")
    target = ds[1][1]
    torch.testing.assert_close(target["box"], torch.tensor([2.0, 1.0, 7.0, 5.0]))
    torch.testing.assert_close(
        target["contour"], torch.tensor([[2.0, 1.0], [6.0, 1.0], [4.0, 4.0]])
    )


def test_caltech101_several_target_types_give_a_tuple(caltech101_root):
    ds = Caltech101(
        caltech101_root,
        ["box_contour", "category", "annotation"],
        lambda im: im.size,
    )
    size, (annotation, category, contour) = ds[2]
    assert size == (8, 6)
    assert category == 1
    torch.testing.assert_close(annotation["box"], torch.tensor([0.0, 0.0, 8.0, 6.0]))
    torch.testing.assert_close(annotation["contour"], torch.tensor([[1.0, 1.0], [2.5, 4.0]]))
    np.testing.assert_array_equal(contour, [[1.0, 2.5], [1.0, 4.0]])


def test_caltech101_missing_annotation_is_named(caltech101_root):
    ds = Caltech101(caltech101_root, target_type="annotation")
    expected = caltech101_root / "caltech101/Annotations/Faces_2/annotation_0001.mat"
    with pytest.raises(FileNotFoundError, match=f"dataset file not found: {expected}"):
        ds[0]
    airplanes = caltech101_root / "caltech101/Annotations/Airplanes_Side_2/annotation_0010.mat"
    assert ds.annotation_path(3) == airplanes


def test_caltech101_corrupt_image_is_named(caltech101_root):
    path = caltech101_root / "caltech101/101_ObjectCategories/accordion/image_0001.jpg"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(OSError, match=f"cannot decode image {path}"):
        Caltech101(caltech101_root)[2]


def test_caltech101_rejects_unknown_target_type_and_missing_root(tmp_path, caltech101_root):
    with pytest.raises(
        ValueError,
        match=r"Unknown value 'outline' for argument target_type\. "
        r"Valid values are \{'category', 'annotation', 'box_contour'\}",
    ):
        Caltech101(caltech101_root, target_type=["category", "outline"])
    missing = tmp_path / "elsewhere" / "caltech101" / "101_ObjectCategories"
    with pytest.raises(FileNotFoundError, match=f"{missing}. Pass download=True"):
        Caltech101(tmp_path / "elsewhere")
    with pytest.raises(RuntimeError, match="dataset folder not found"):  # torchvision's type
        Caltech256(tmp_path / "elsewhere")


def test_caltech101_repr(caltech101_root):
    lines = repr(Caltech101(caltech101_root, target_type=["category"])).splitlines()
    assert lines[1:] == [
        "    Number of datapoints: 4",
        f"    Root location: {caltech101_root / 'caltech101'}",
        "    Target type: ['category']",
    ]


def make_caltech256(base, write_image):
    images = base / "256_ObjectCategories"
    write_image(images / "001.ak47" / "001_0001.jpg", value=10)
    write_image(images / "001.ak47" / "001_0002.jpg", value=20)
    write_image(images / "002.american-flag" / "002_0001.jpg", value=30)
    write_image(images / "257.clutter" / "257_0001.jpg")
    (images / "002.american-flag" / "RENAME2").write_text("stray")
    (images / "002.american-flag" / "greg").mkdir()


def test_caltech256_keeps_clutter_and_skips_stray_files(tmp_path, write_image):
    make_caltech256(tmp_path / "caltech256", write_image)
    ds = Caltech256(tmp_path, transform=lambda im: im.getpixel((0, 0))[0])
    assert ds.categories == ["001.ak47", "002.american-flag", "257.clutter"]
    assert len(ds) == 4
    assert [ds[i][1] for i in range(4)] == [0, 0, 1, 2]
    assert ds.y == [0, 0, 1, 2] and ds.index == [1, 2, 1, 1]
    assert [round(ds[i][0], -1) for i in range(4)] == [10, 20, 30, 0]  # JPEG is lossy


def test_caltech256_downloads_and_extracts_the_archive_once(
    tmp_path, write_image, http_server, route, monkeypatch
):
    make_caltech256(tmp_path / "staging", write_image)
    archive = tmp_path / "256_ObjectCategories.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(tmp_path / "staging" / "256_ObjectCategories", "256_ObjectCategories")
    data = archive.read_bytes()
    http_server.routes["/256.tar"] = route(data)
    file = RemoteFile(
        "256_ObjectCategories.tar",
        (http_server.url + "/dead", http_server.url + "/256.tar"),
        md5=hashlib.md5(data).hexdigest(),
    )
    monkeypatch.setattr(caltech, "CALTECH256_FILES", (file,))
    root = tmp_path / "root"
    assert len(Caltech256(root, download=True)) == 4
    assert (root / "caltech256" / "256_ObjectCategories.tar").read_bytes() == data
    requests = len(http_server.requests)
    assert len(Caltech256(root, None, None, True)) == 4  # torchvision's positional order
    assert len(http_server.requests) == requests


def test_caltech256_download_failure_says_where_to_put_the_archive(tmp_path, monkeypatch):
    file = RemoteFile("256_ObjectCategories.tar", ("http://127.0.0.1:9/x",), md5="ab" * 16)
    monkeypatch.setattr(caltech, "CALTECH256_FILES", (file,))
    target = tmp_path / "caltech256" / "256_ObjectCategories.tar"
    with pytest.raises(RuntimeError, match=re.escape(f"place it at {target} (md5 {'ab' * 16})")):
        Caltech256(tmp_path, download=True)
