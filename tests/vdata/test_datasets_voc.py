"""VOCSegmentation and VOCDetection on tiny VOCdevkit copies (JPEGs, palette PNGs, XML)."""

import hashlib
import re
import tarfile
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch
from detection_dataset_files import MASK, XML_TWO_OBJECTS, make_voc

from vdata.datasets import RemoteFile, VOCDetection, VOCSegmentation, voc
from vdata.datasets.voc import parse_voc_xml


@pytest.fixture
def root(tmp_path, write_image):
    make_voc(tmp_path / "VOCdevkit" / "VOC2012", write_image)
    return tmp_path


def test_voc_segmentation_returns_the_palette_mask(root):
    ds = VOCSegmentation(root, image_set="val")
    assert len(ds) == 1
    image, mask = ds[0]
    assert (image.mode, image.size) == ("RGB", (6, 4))
    assert mask.mode == "P"
    np.testing.assert_array_equal(np.asarray(mask), MASK)
    assert mask.getpalette()[3 * 15 : 3 * 16] == [15, 30, 240]
    assert ds.masks == [root / "VOCdevkit/VOC2012/SegmentationClass/2007_000032.png"]


def test_voc_segmentation_joint_transforms(root):
    ds = VOCSegmentation(root, transforms=lambda im, m: (im.size, np.asarray(m)[1, 1]))
    assert ds[0] == ((6, 4), 15)


def test_voc_detection_raw_target_is_the_xml_as_dicts(root):
    ds = VOCDetection(root, image_set="trainval")
    assert len(ds) == 2
    annotation = ds[0][1]["annotation"]
    assert annotation["filename"] == "2007_000032.jpg"
    assert annotation["size"] == {"width": "6", "height": "4", "depth": "3"}
    first, second = annotation["object"]
    assert first == {
        "name": "aeroplane",
        "pose": "Frontal",
        "truncated": "0",
        "difficult": "0",
        "bndbox": {"xmin": "2", "ymin": "1", "xmax": "5", "ymax": "4"},
    }
    assert [part["name"] for part in second["part"]] == ["head", "hand"]
    assert ds[1][1]["annotation"]["object"] == []
    assert (
        ds.annotations
        == ds.targets
        == [
            root / "VOCdevkit/VOC2012/Annotations/2007_000032.xml",
            root / "VOCdevkit/VOC2012/Annotations/2007_000033.xml",
        ]
    )


def test_voc_empty_elements_are_left_out_and_blank_text_is_empty():
    node = ET.fromstring("<annotation><a/><b> </b><object><name>cat</name></object></annotation>")
    assert parse_voc_xml(node) == {"annotation": {"b": "", "object": [{"name": "cat"}]}}


def test_voc_detection_model_format(root):
    ds = VOCDetection(root, target_format="model")
    target = ds[0][1]
    torch.testing.assert_close(
        target["boxes"], torch.tensor([[1.0, 0.0, 5.0, 4.0], [0.0, 1.0, 3.5, 3.0]])
    )
    assert target["labels"].tolist() == [1, 15]  # aeroplane, person
    assert target["difficult"].tolist() == [False, True]
    assert target["image_id"] == 0
    empty = ds[1][1]
    assert empty["boxes"].shape == (0, 4) and empty["boxes"].dtype == torch.float32
    assert empty["labels"].shape == (0,) and empty["labels"].dtype == torch.int64
    assert empty["difficult"].shape == (0,) and empty["image_id"] == 1


def test_voc_detection_unknown_class_names_the_file(tmp_path, write_image):
    make_voc(
        tmp_path / "VOCdevkit" / "VOC2012", write_image, XML_TWO_OBJECTS.replace("person", "alien")
    )
    ds = VOCDetection(tmp_path, target_format="model")
    with pytest.raises(ValueError, match=re.escape("2007_000032.xml: unknown VOC class 'alien'")):
        ds[0]


def test_voc_detection_missing_and_broken_xml_are_named(root):
    xml = root / "VOCdevkit/VOC2012/Annotations/2007_000032.xml"
    xml.write_text("<annotation><object>")
    ds = VOCDetection(root)
    with pytest.raises(ValueError, match=f"{xml} is not valid XML"):
        ds[0]
    xml.unlink()
    with pytest.raises(FileNotFoundError, match=f"annotation file not found: {xml}"):
        ds[0]


def test_voc_image_set_entry_escaping_the_root_is_rejected(root):
    (root / "VOCdevkit/VOC2012/ImageSets/Main/val.txt").write_text("../../../../outside\n")
    with pytest.raises(
        ValueError, match=re.escape("names '../../../../outside.jpg', which is not a relative")
    ):
        VOCDetection(root, image_set="val")


def test_voc_year_folders_and_test_set(tmp_path, write_image):
    make_voc(tmp_path / "TrainVal" / "VOCdevkit" / "VOC2011", write_image)
    assert len(VOCDetection(tmp_path, year="2011")) == 2
    make_voc(tmp_path / "VOCdevkit" / "VOC2007", write_image)
    (tmp_path / "VOCdevkit/VOC2007/ImageSets/Main/test.txt").write_text("2007_000033\n")
    assert len(VOCDetection(tmp_path, year="2007", image_set="test")) == 1
    with pytest.raises(
        ValueError,
        match=r"Unknown value 'test' for argument image_set\. Valid values are "
        r"\{'train', 'val', 'trainval'\}",
    ):
        VOCDetection(tmp_path, year="2011", image_set="test")
    with pytest.raises(ValueError, match="Unknown value '2013' for argument year"):
        VOCDetection(tmp_path, year="2013")
    with pytest.raises(ValueError, match="Expected type str for argument year"):
        VOCDetection(tmp_path, year=2012)


def test_voc_missing_dataset_says_which_archive(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=re.escape("extract VOCtrainval_11-May-2012.tar in")
    ):
        VOCSegmentation(tmp_path)


def test_voc_downloads_the_year_archive(tmp_path, write_image, http_server, route, monkeypatch):
    make_voc(tmp_path / "staging" / "VOCdevkit" / "VOC2012", write_image)
    archive = tmp_path / "VOCtrainval_11-May-2012.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(tmp_path / "staging" / "VOCdevkit", "VOCdevkit")
    data = archive.read_bytes()
    http_server.routes["/voc.tar"] = route(data)
    file = RemoteFile(
        archive.name, (http_server.url + "/voc.tar",), sha256=hashlib.sha256(data).hexdigest()
    )
    monkeypatch.setitem(voc.YEARS, "2012", ("VOCdevkit/VOC2012", file, None))
    ds = VOCSegmentation(tmp_path / "root", download=True)
    np.testing.assert_array_equal(np.asarray(ds[0][1]), MASK)
    assert "Year: 2012" in repr(ds)


@pytest.mark.parametrize(
    ("bndbox", "message"),
    [
        ("<xmin>nan</xmin><ymin>1</ymin><xmax>5</xmax><ymax>4</ymax>", "xmin 'nan' is no number"),
        ("<xmin>2</xmin><ymin>1</ymin><xmax>five</xmax><ymax>4</ymax>", "xmax 'five' is no number"),
        ("<xmin>5</xmin><ymin>1</ymin><xmax>2</xmax><ymax>4</ymax>", "xmin 5 > xmax 2"),
        ("<xmin>2</xmin><ymin>4</ymin><xmax>5</xmax><ymax>1</ymax>", "ymin 4 > ymax 1"),
    ],
    ids=["nan", "word", "x-inverted", "y-inverted"],
)
def test_voc_detection_malformed_box_names_the_file_and_object(
    tmp_path, write_image, bndbox, message
):
    xml = XML_TWO_OBJECTS.replace(
        "<xmin>2</xmin><ymin>1</ymin><xmax>5</xmax><ymax>4</ymax>", bndbox, 1
    )
    make_voc(tmp_path / "VOCdevkit" / "VOC2012", write_image, xml)
    ds = VOCDetection(tmp_path, target_format="model")
    with pytest.raises(
        ValueError, match=re.escape(f"2007_000032.xml: object 0 (aeroplane): {message}")
    ):
        ds[0]
