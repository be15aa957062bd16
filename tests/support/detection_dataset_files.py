"""Tiny detection datasets on disk for the tests: a COCO json with its images (polygons,
uncompressed and compressed RLE, person keypoints) and a VOCdevkit copy (JPEGs, palette PNGs,
XML). The image writer is the ``write_image`` fixture of tests/vdata/conftest.py."""

import json

import numpy as np
import pycocotools.mask
from PIL import Image

from vdata.datasets.coco import COCO_PERSON_KEYPOINTS

H, W = 4, 6
# Columns 4-5, rows 1-3: column-major runs of 17 zeros, 3 ones, 1 zero, 3 ones.
RLE_MASK = np.zeros((H, W), dtype=np.uint8)
RLE_MASK[1:, 4:] = 1
# An L shape for the compressed RLE.
L_MASK = np.zeros((H, W), dtype=np.uint8)
L_MASK[0:3, 0] = 1
L_MASK[2, 0:3] = 1


def person_keypoints(labelled):
    """17 x 3 flat list; ``labelled`` maps keypoint index to (x, y, v)."""
    flat = [0] * 51
    for index, (x, y, v) in labelled.items():
        flat[3 * index : 3 * index + 3] = [x, y, v]
    return flat


def compressed_rle(mask):
    rle = pycocotools.mask.encode(np.asfortranarray(mask))
    return {"size": rle["size"], "counts": rle["counts"].decode()}


def coco_json(person_category=None, **overrides):
    person = person_category or {
        "id": 1,
        "name": "person",
        "supercategory": "person",
        "keypoints": list(COCO_PERSON_KEYPOINTS),
        "skeleton": [[16, 14], [14, 12], [6, 7]],
    }
    data = {
        "images": [
            {"id": 7, "file_name": "b.jpg", "height": H, "width": W},
            {"id": 3, "file_name": "sub/a.jpg", "height": H, "width": W},
            {"id": 10, "file_name": "c.jpg", "height": H, "width": W},
        ],
        "categories": [{"id": 3, "name": "car", "supercategory": "vehicle"}, person],
        "annotations": [
            {
                "id": 1,
                "image_id": 3,
                "category_id": 1,
                "bbox": [1, 0, 2, 3],
                "segmentation": [[1, 0, 3, 0, 3, 3, 1, 3]],
                "area": 6.0,
                "iscrowd": 0,
                "num_keypoints": 2,
                "keypoints": person_keypoints({0: (2, 1, 2), 16: (1.5, 2.5, 1)}),
            },
            {
                "id": 2,
                "image_id": 3,
                "category_id": 3,
                "bbox": [4, 1, 4, 4],  # reaches past the image: clipped to x2 = 6, y2 = 4
                "segmentation": {"counts": [17, 3, 1, 3], "size": [H, W]},
                "area": 6.0,
                "iscrowd": 1,
            },
            {
                "id": 3,
                "image_id": 3,
                "category_id": 3,
                "bbox": [2, 2, 0, 3],  # no width: dropped from the model format
                "segmentation": [[2, 2, 2, 5, 2, 2]],
                "area": 0.0,
                "iscrowd": 0,
            },
            {
                "id": 4,
                "image_id": 7,
                "category_id": 3,
                "bbox": [0, 0, 3, 3],
                "segmentation": compressed_rle(L_MASK),
                "area": 5.0,
                "iscrowd": 0,
            },
        ],
    }
    data.update(overrides)
    return data


def write_coco_files(root, write_image, data=None):
    """The images of :func:`coco_json` under ``root/images`` and ``data`` (default
    ``coco_json()``) as ``root/annotations.json``; returns ``(image folder, annotation file)``."""
    for name in ("sub/a.jpg", "b.jpg", "c.jpg"):
        write_image(root / "images" / name, size=(W, H))
    ann_file = root / "annotations.json"
    ann_file.write_text(json.dumps(data or coco_json()))
    return root / "images", ann_file


XML_TWO_OBJECTS = """<annotation>
  <folder>VOC2012</folder>
  <filename>2007_000032.jpg</filename>
  <size><width>6</width><height>4</height><depth>3</depth></size>
  <segmented>1</segmented>
  <object>
    <name>aeroplane</name>
    <pose>Frontal</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox><xmin>2</xmin><ymin>1</ymin><xmax>5</xmax><ymax>4</ymax></bndbox>
  </object>
  <object>
    <name>person</name>
    <truncated>1</truncated>
    <difficult>1</difficult>
    <bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3.5</xmax><ymax>3</ymax></bndbox>
    <part><name>head</name><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>2</xmax><ymax>3</ymax></bndbox></part>
    <part><name>hand</name><bndbox><xmin>2</xmin><ymin>2</ymin><xmax>3</xmax><ymax>3</ymax></bndbox></part>
  </object>
</annotation>
"""
XML_NO_OBJECT = """<annotation>
  <filename>2007_000033.jpg</filename>
  <size><width>6</width><height>4</height><depth>3</depth></size>
</annotation>
"""
MASK = np.array([[0, 0, 1, 1, 255, 0], [0, 15, 15, 1, 255, 0]] * 2, dtype=np.uint8)
PALETTE = [v for i in range(256) for v in (i, 2 * i % 256, 255 - i)]


def make_voc(voc_root, write_image, objects_xml=XML_TWO_OBJECTS):
    for i, name in enumerate(["2007_000032", "2007_000033"]):
        write_image(voc_root / "JPEGImages" / f"{name}.jpg", size=(6, 4), value=100 * i)
    (voc_root / "Annotations").mkdir(parents=True)
    (voc_root / "Annotations" / "2007_000032.xml").write_text(objects_xml)
    (voc_root / "Annotations" / "2007_000033.xml").write_text(XML_NO_OBJECT)
    (voc_root / "SegmentationClass").mkdir()
    mask = Image.fromarray(MASK)
    mask.putpalette(PALETTE)
    mask.save(voc_root / "SegmentationClass" / "2007_000032.png")
    for task, names in [("Main", "2007_000032\n2007_000033\n"), ("Segmentation", "2007_000032\n")]:
        (voc_root / "ImageSets" / task).mkdir(parents=True)
        for image_set in ("train", "val", "trainval"):
            (voc_root / "ImageSets" / task / f"{image_set}.txt").write_text(names)
