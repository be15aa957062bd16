"""CocoDetection on a tiny COCO json (polygons, uncompressed and compressed RLE, keypoints)."""

import json
import re

import numpy as np
import pytest
import torch
from detection_dataset_files import (
    L_MASK,
    RLE_MASK,
    H,
    W,
    coco_json,
    write_coco_files,
)

from vdata.datasets import DEFAULT_OKS_SIGMA, CocoCaptions, CocoDetection
from vdata.datasets.coco import COCO_PERSON_KEYPOINTS, COCO_PERSON_SIGMAS


@pytest.fixture
def make_coco(tmp_path, write_image):
    def make(data=None):
        return write_coco_files(tmp_path, write_image, data)

    return make


def test_coco_raw_targets_are_the_annotation_lists(make_coco):
    ds = CocoDetection(*make_coco())
    assert ds.ids == [3, 7, 10]
    assert len(ds) == 3
    image, target = ds[0]
    assert (image.mode, image.size) == ("RGB", (W, H))
    assert [ann["id"] for ann in target] == [1, 2, 3]
    assert target[0]["bbox"] == [1, 0, 2, 3]
    assert ds[2][1] == []
    assert [c["name"] for c in ds.categories] == ["person", "car"]


@pytest.mark.parametrize("index", [slice(0, 2), 1.0, "0", [0, 1]])
def test_coco_rejects_an_index_that_is_not_an_int(make_coco, index):
    ds = CocoDetection(*make_coco())
    with pytest.raises(ValueError, match=f"index must be an int, got {re.escape(repr(index))}"):
        ds[index]


def test_coco_accepts_numpy_and_tensor_integers_as_index(make_coco):
    ds = CocoDetection(*make_coco())
    assert ds[np.int64(1)][1] == ds[torch.tensor(1)][1] == ds[1][1]


def test_coco_exposes_a_pycocotools_index_of_the_file(make_coco):
    ds = CocoDetection(*make_coco())
    assert sorted(ds.coco.getImgIds()) == [3, 7, 10]
    assert ds.coco.getAnnIds(imgIds=[3]) == [1, 2, 3]
    assert ds.coco is ds.coco


def test_coco_captions_are_the_caption_strings_in_file_order(tmp_path, write_image):
    write_image(tmp_path / "images" / "a.jpg")
    write_image(tmp_path / "images" / "b.jpg")
    captions = {
        "images": [{"id": 5, "file_name": "b.jpg"}, {"id": 2, "file_name": "a.jpg"}],
        "annotations": [
            {"id": 1, "image_id": 5, "caption": "a red square"},
            {"id": 9, "image_id": 2, "caption": "nothing here"},
            {"id": 3, "image_id": 5, "caption": "a square on black"},
        ],
    }
    ann_file = tmp_path / "captions.json"
    ann_file.write_text(json.dumps(captions))
    ds = CocoCaptions(tmp_path / "images", ann_file, transform=lambda image: image.size)
    assert ds.ids == [2, 5]
    assert ds[0] == ((6, 4), ["nothing here"])
    assert ds[1] == ((6, 4), ["a red square", "a square on black"])


def test_coco_model_target_boxes_labels_and_fields(make_coco):
    target = CocoDetection(*make_coco(), target_format="model")[0][1]
    torch.testing.assert_close(
        target["boxes"], torch.tensor([[1.0, 0.0, 3.0, 3.0], [4.0, 1.0, 6.0, 4.0]])
    )
    assert target["labels"].tolist() == [1, 3]
    assert target["labels"].dtype == torch.int64
    assert target["iscrowd"].tolist() == [0, 1]
    torch.testing.assert_close(target["area"], torch.tensor([6.0, 6.0]))
    assert target["image_id"] == 3


def test_coco_model_target_decodes_polygons_and_rle(make_coco):
    ds = CocoDetection(*make_coco(), target_format="model")
    masks = ds[0][1]["masks"]
    assert masks.shape == (2, H, W) and masks.dtype == torch.uint8
    polygon = np.zeros((H, W), dtype=np.uint8)
    polygon[0:3, 1:3] = 1  # the rectangle x in [1, 3], y in [0, 3]
    np.testing.assert_array_equal(masks[0].numpy(), polygon)
    np.testing.assert_array_equal(masks[1].numpy(), RLE_MASK)
    np.testing.assert_array_equal(ds[1][1]["masks"][0].numpy(), L_MASK)


def test_coco_model_target_keypoints(make_coco):
    ds = CocoDetection(*make_coco(), target_format="model")
    keypoints = ds[0][1]["keypoints"]
    assert keypoints.shape == (2, 17, 3) and keypoints.dtype == torch.float32
    assert keypoints[0, 0].tolist() == [2.0, 1.0, 2.0]
    assert keypoints[0, 16].tolist() == [1.5, 2.5, 1.0]
    assert keypoints[0, 1:16].abs().sum() == 0
    assert keypoints[1].abs().sum() == 0  # a car: not labelled


def test_coco_image_without_annotations_gives_empty_shaped_target(make_coco):
    target = CocoDetection(*make_coco(), target_format="model")[2][1]
    expected = {
        "boxes": ((0, 4), torch.float32),
        "labels": ((0,), torch.int64),
        "area": ((0,), torch.float32),
        "iscrowd": ((0,), torch.int64),
        "masks": ((0, H, W), torch.uint8),
        "keypoints": ((0, 17, 3), torch.float32),
    }
    assert {k: (tuple(v.shape), v.dtype) for k, v in target.items() if k != "image_id"} == expected
    assert target["image_id"] == 10


def test_coco_masks_can_be_skipped_and_are_absent_without_segmentations(make_coco):
    root, ann_file = make_coco()
    assert (
        "masks" not in CocoDetection(root, ann_file, target_format="model", with_masks=False)[0][1]
    )
    data = coco_json()
    for ann in data["annotations"]:
        del ann["segmentation"]
    root, ann_file = make_coco(data)
    target = CocoDetection(root, ann_file, target_format="model")[0][1]
    assert "masks" not in target and target["boxes"].shape == (2, 4)


def test_coco_keypoint_info_for_coco_person(make_coco):
    info = CocoDetection(*make_coco()).keypoint_info
    assert info.names == COCO_PERSON_KEYPOINTS
    assert info.flip_map == (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)
    assert info.skeleton == ((15, 13), (13, 11), (5, 6))
    assert info.sigmas == COCO_PERSON_SIGMAS
    assert info.sigmas[0] == 0.026 and info.sigmas[-1] == 0.089


def test_coco_keypoint_info_for_other_keypoints_uses_the_default_sigma(make_coco):
    animal = {"id": 1, "name": "cat", "keypoints": ["head", "left_paw", "right_paw", "tail"]}
    data = coco_json(person_category=animal)
    data["annotations"][0]["keypoints"] = [1, 1, 2, 0, 0, 0, 2, 2, 1, 0, 0, 0]
    ds = CocoDetection(*make_coco(data), target_format="model")
    assert ds.keypoint_info.flip_map == (0, 2, 1, 3)
    assert ds.keypoint_info.sigmas == (DEFAULT_OKS_SIGMA,) * 4
    assert ds.keypoint_info.skeleton == ()
    assert ds[0][1]["keypoints"][0, 2].tolist() == [2.0, 2.0, 1.0]


def test_coco_without_keypoint_categories_has_no_keypoints(make_coco):
    data = coco_json(person_category={"id": 1, "name": "person"})
    ds = CocoDetection(*make_coco(data), target_format="model")
    assert ds.keypoint_info is None
    assert "keypoints" not in ds[0][1]


def test_coco_joint_transforms_get_the_model_target(make_coco):
    ds = CocoDetection(
        *make_coco(), target_format="model", transforms=lambda im, t: (im.size, len(t["boxes"]))
    )
    assert ds[1] == ((W, H), 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["categories"].append({"id": 0, "name": "bg"}),
            "category id 0 would be the background label 0",
        ),
        (
            lambda d: d["annotations"][0].update(image_id=99),
            "annotation 1 refers to image 99, which is not in 'images'",
        ),
        (
            lambda d: d["categories"].append({"id": 5, "name": "dog", "keypoints": ["a"]}),
            "2 different keypoint layouts",
        ),
    ],
    ids=["background-category", "unknown-image", "two-layouts"],
)
def test_coco_inconsistent_files_are_refused(make_coco, change, message):
    data = coco_json()
    change(data)
    root, ann_file = make_coco(data)
    with pytest.raises(ValueError, match=message):
        CocoDetection(root, ann_file, target_format="model")


def test_coco_missing_and_invalid_annotation_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"dataset file not found: {tmp_path}/none.json"):
        CocoDetection(tmp_path, tmp_path / "none.json")
    (tmp_path / "bad.json").write_text('{"images": [')
    with pytest.raises(ValueError, match=f"{tmp_path}/bad.json is not a COCO annotation file"):
        CocoDetection(tmp_path, tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"annotations": []}')
    with pytest.raises(
        ValueError, match=re.escape("other.json is not a COCO annotation file: KeyError")
    ):
        CocoDetection(tmp_path, tmp_path / "other.json")


def test_coco_missing_corrupt_and_escaping_images(make_coco):
    data = coco_json()
    data["images"][2]["file_name"] = "../../outside.jpg"
    root, ann_file = make_coco(data)
    ds = CocoDetection(root, ann_file)
    with pytest.raises(ValueError, match=re.escape("names '../../outside.jpg', which is not")):
        ds[2]
    (root / "b.jpg").write_bytes(b"garbage")
    with pytest.raises(OSError, match=f"cannot decode image {root}/b.jpg"):
        ds[1]
    (root / "sub" / "a.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=f"image file not found: {root}/sub/a.jpg"):
        ds[0]


def test_coco_image_size_disagreeing_with_the_json_is_named(make_coco, write_image):
    root, ann_file = make_coco()
    write_image(root / "b.jpg", size=(W + 1, H))
    ds = CocoDetection(root, ann_file, target_format="model")
    with pytest.raises(ValueError, match=f"{root}/b.jpg is 7x4 but .* says 6x4"):
        ds[1]


# --- hostile annotation files ----------------------------------------------------------------


DELETE = object()


def with_change(path, value):
    """``coco_json()`` with ``data[path[0]][path[1]]...`` set to ``value`` (or deleted when
    ``value`` is ``DELETE``)."""
    data = coco_json()
    *parents, last = path
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return data


def test_coco_model_format_refuses_an_annotation_of_an_unknown_category(make_coco):
    root, ann_file = make_coco(with_change(("annotations", 1, "category_id"), 42))
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"{ann_file}: annotation 2 of image 3 has category_id 42, which is not in "
            "'categories' (ids [1, 3])"
        ),
    ):
        CocoDetection(root, ann_file, target_format="model")
    with pytest.raises(ValueError, match=r"category_id 42, which is not in .* nor in label_map"):
        CocoDetection(root, ann_file, target_format="model", label_map={1: 1, 3: 2})
    # The raw format returns the file's annotations unchecked, as torchvision does.
    assert CocoDetection(root, ann_file)[0][1][1]["category_id"] == 42


def test_coco_label_map_relabels_and_keeps_only_the_mapped_categories(make_coco):
    root, ann_file = make_coco()
    relabelled = CocoDetection(root, ann_file, target_format="model", label_map={1: 2, 3: 1})
    assert relabelled[0][1]["labels"].tolist() == [2, 1]
    cars = CocoDetection(root, ann_file, target_format="model", label_map={3: 1})
    target = cars[0][1]
    assert target["labels"].tolist() == [1]
    torch.testing.assert_close(target["boxes"], torch.tensor([[4.0, 1.0, 6.0, 4.0]]))
    assert target["masks"].shape == (1, H, W) and target["keypoints"].shape == (1, 17, 3)


def test_coco_label_map_can_name_a_category_the_file_does_not_declare(make_coco):
    root, ann_file = make_coco(with_change(("annotations", 1, "category_id"), 42))
    ds = CocoDetection(root, ann_file, target_format="model", label_map={1: 1, 3: 2, 42: 3})
    assert ds[0][1]["labels"].tolist() == [1, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label_map": {1: 0}}, "label_map maps category 1 to 0; labels must be ints >= 1"),
        ({"label_map": {1: 1.5}}, "label_map maps category 1 to 1.5; labels must be ints >= 1"),
        ({"label_map": [1, 2]}, "label_map must be a mapping from category id to label"),
        (
            {"label_map": {1: 1}, "target_format": "raw"},
            "label_map applies to target_format='model' and 'tv_tensors' only",
        ),
    ],
    ids=["background", "float", "list", "raw"],
)
def test_coco_label_map_is_checked(make_coco, kwargs, message):
    kwargs = {"target_format": "model", **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        CocoDetection(*make_coco(), **kwargs)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("bbox",), [1, 0, 2], "bbox must be 4 numbers [x, y, width, height], got [1, 0, 2]"),
        (("bbox",), [1, 0, "2", 3], "bbox must be 4 numbers [x, y, width, height], got [1, 0,"),
        (("bbox",), None, "bbox must be 4 numbers [x, y, width, height], got None"),
        (("bbox",), DELETE, "'bbox' is missing"),
        (("segmentation",), [1, 0, 3, 0, 3, 3], "segmentation must be a list of polygons"),
        (("segmentation",), [[1, 0, 3, 0, 3]], "polygon 0 has 5 numbers, expected x, y pairs"),
        (("segmentation",), [[1, 0, 3, "0", 3, 3]], "polygon 0 must hold numbers"),
        (("segmentation",), {"counts": [24]}, "segmentation must be a list of polygons"),
        (
            ("segmentation",),
            {"counts": [24], "size": [H + 1, W]},
            f"RLE of size [{H + 1}, {W}] on an image of size [{H}, {W}]",
        ),
        (("keypoints",), [1, 2, 2], "3 keypoint values, expected 3 x 17"),
        (("keypoints",), ["a"] * 51, "keypoints must be numbers"),
        (("area",), "big", "area must be a number, got 'big'"),
        (("iscrowd",), 2, "iscrowd must be 0 or 1, got 2"),
    ],
    ids=[
        "bbox-3",
        "bbox-str",
        "bbox-none",
        "bbox-missing",
        "flat-polygon",
        "odd-polygon",
        "polygon-str",
        "rle-no-size",
        "rle-size",
        "keypoints-count",
        "keypoints-str",
        "area",
        "iscrowd",
    ],
)
def test_coco_malformed_annotation_fields_name_the_annotation_and_image(
    make_coco, path, value, message
):
    root, ann_file = make_coco(with_change(("annotations", 0, *path), value))
    ds = CocoDetection(root, ann_file, target_format="model")
    with pytest.raises(ValueError, match=re.escape(f"{ann_file}: annotation 1 of image 3: ")) as e:
        ds[0]
    assert message in str(e.value)
