"""The procedural Shapes dataset: determinism, honest targets, and its COCO export read back by
pycocotools."""

import hashlib
import json

import numpy as np
import pycocotools.mask
import pytest
import torch
from PIL import Image
from pycocotools.coco import COCO

from vdata.datasets import KeypointInfo
from vdata.datasets._shapes_render import Scene
from vdata.datasets.shapes import Shapes, _dominant_class, write_coco

SIZE = 96
COUNT = 30
TOP, LEFT, RIGHT, BOTTOM = range(4)


def crowded(**kwargs) -> Shapes:
    """Small images with up to five shapes, so that occlusion is common."""
    options = {"num_images": COUNT, "image_size": SIZE, "max_objects": 5, **kwargs}
    return Shapes(**options)


@pytest.fixture(scope="module")
def samples() -> list[tuple[Image.Image, dict]]:
    dataset = crowded()
    return [dataset[i] for i in range(len(dataset))]


def digest(image: Image.Image) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def assert_same_sample(a, b) -> None:
    (image_a, target_a), (image_b, target_b) = a, b
    assert digest(image_a) == digest(image_b)
    assert target_a.keys() == target_b.keys()
    for key, value in target_a.items():
        if isinstance(value, torch.Tensor):
            assert value.equal(target_b[key]), key
        else:
            assert value == target_b[key], key


# --- determinism -------------------------------------------------------------------------------


def test_same_index_gives_same_sample_across_reads_and_instances():
    first, second = crowded(), crowded()
    assert_same_sample(first[7], first[7])
    assert_same_sample(first[7], second[7])


def test_samples_do_not_depend_on_access_order(samples):
    dataset = crowded()
    for index in [29, 3, 17, 3, 0]:
        assert_same_sample(dataset[index], samples[index])
    assert_same_sample(dataset[-1], samples[-1])


def test_worker_processes_see_the_same_samples(samples):
    loader = torch.utils.data.DataLoader(
        crowded(num_images=6), batch_size=None, num_workers=2, multiprocessing_context="fork"
    )
    for index, sample in enumerate(loader):
        assert_same_sample(sample, samples[index])


def test_train_and_val_share_no_images():
    train = {digest(crowded(split="train")[i][0]) for i in range(COUNT)}
    val = {digest(crowded(split="val")[i][0]) for i in range(COUNT)}
    assert len(train) == len(val) == COUNT
    assert not train & val


def test_seed_selects_other_images(samples):
    other = crowded(seed=1)
    assert all(digest(other[i][0]) != digest(samples[i][0]) for i in range(5))


# --- detection targets -------------------------------------------------------------------------


def test_detection_targets_follow_the_shared_contract(samples):
    counts = set()
    for index, (image, target) in enumerate(samples):
        n = len(target["labels"])
        counts.add(n)
        assert image.mode == "RGB" and image.size == (SIZE, SIZE)
        assert target["boxes"].dtype == torch.float32 and target["boxes"].shape == (n, 4)
        assert target["labels"].dtype == torch.int64
        assert set(target["labels"].tolist()) <= {1, 2, 3}
        assert target["masks"].dtype == torch.uint8 and target["masks"].shape == (n, SIZE, SIZE)
        assert set(target["masks"].unique().tolist()) <= {0, 1}
        assert target["keypoints"].dtype == torch.float32
        assert target["keypoints"].shape == (n, 4, 3)
        assert target["area"].dtype == torch.float32 and target["area"].shape == (n,)
        assert target["iscrowd"].equal(torch.zeros(n, dtype=torch.int64))
        assert target["image_id"] == index
    assert min(counts) >= 1 and max(counts) <= 5 and len(counts) > 2


def test_boxes_are_tight_boxes_of_visible_masks(samples):
    for _, target in samples:
        masks = np.asfortranarray(target["masks"].numpy().transpose(1, 2, 0))
        xywh = torch.from_numpy(pycocotools.mask.toBbox(pycocotools.mask.encode(masks)))
        expected = torch.cat([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], dim=1).float()
        assert target["boxes"].equal(expected)


def test_area_counts_visible_pixels(samples):
    for _, target in samples:
        assert target["area"].equal(target["masks"].sum((1, 2)).float())
        assert (target["area"] > 0).all()


def test_masks_are_disjoint_and_cover_flat_coloured_pixels(samples):
    for image, target in samples:
        pixels = torch.from_numpy(np.array(image))
        assert target["masks"].sum(0).max() <= 1
        for mask in target["masks"].bool():
            colours = pixels[mask]
            assert (colours == colours[0]).all()  # one object, one colour


def test_each_drawn_shape_keeps_at_least_half_visible():
    dataset = crowded()
    for index in range(COUNT):
        scene = dataset.scene(index)
        assert not (scene.visible_masks & ~scene.full_masks).any()
        full, shown = scene.full_masks.sum((1, 2)), scene.visible_masks.sum((1, 2))
        assert (shown >= 0.5 * full).all()


def test_keypoints_are_extreme_points_visible_where_the_mask_shows(samples):
    seen_visibility = set()
    for _, target in samples:
        for mask, points, label in zip(
            target["masks"].bool(), target["keypoints"], target["labels"], strict=True
        ):
            rows, cols = mask.nonzero().unbind(1)
            x, y, v = points.unbind(1)
            col, row = (x - 0.5).long(), (y - 0.5).long()
            assert (x - 0.5).equal(col.float()) and (y - 0.5).equal(row.float())  # pixel centres
            # No visible pixel lies beyond the shape's extreme points.
            assert rows.min() >= row[TOP] and rows.max() <= row[BOTTOM]
            assert cols.min() >= col[LEFT] and cols.max() <= col[RIGHT]
            assert x[LEFT] == x.min() and x[RIGHT] == x.max()
            assert y[TOP] == y.min() and y[BOTTOM] == y.max()
            on_mask = mask[row, col]
            assert (on_mask == (v == 2)).all(), f"label {int(label)}: {points.tolist()}"
            assert set(v.tolist()) <= {1.0, 2.0}
            seen_visibility |= set(v.tolist())
    assert seen_visibility == {1.0, 2.0}


def test_occluded_keypoints_lie_under_a_later_shape(samples):
    occluded = 0
    for _, target in samples:
        masks = target["masks"].bool()
        for i, points in enumerate(target["keypoints"]):
            for x, y, v in points.tolist():
                if v == 1:
                    occluded += 1
                    assert masks[i + 1 :, int(y), int(x)].any()
    assert occluded > 0


def test_keypoint_metadata_mirrors_left_and_right():
    info = Shapes.keypoint_info
    assert isinstance(info, KeypointInfo)
    assert info.names == ("top", "left", "right", "bottom")
    assert info.flip_map == (0, 2, 1, 3)
    assert info.skeleton == ((0, 1), (0, 2), (1, 3), (2, 3))
    assert len(info.sigmas) == 4
    assert Shapes.classes == ("background", "circle", "square", "triangle")


def test_rectangular_images():
    image, target = Shapes(num_images=3, image_size=(48, 80))[2]
    assert image.size == (80, 48)
    assert target["masks"].shape[1:] == (48, 80)
    assert (target["boxes"][:, 2] <= 80).all() and (target["boxes"][:, 3] <= 48).all()


def test_images_without_objects_have_empty_targets():
    dataset = Shapes(num_images=2, image_size=32, min_objects=0, max_objects=0)
    target = dataset[1][1]
    assert target["boxes"].shape == (0, 4) and target["labels"].shape == (0,)
    assert target["masks"].shape == (0, 32, 32) and target["keypoints"].shape == (0, 4, 3)
    assert target["area"].shape == (0,) and target["iscrowd"].shape == (0,)
    assert Shapes(
        num_images=2, image_size=32, min_objects=0, max_objects=0, target_type=("segmentation")
    )[1][1].getextrema() == (0, 0)


# --- segmentation and classification targets ---------------------------------------------------


def test_semantic_mask_is_union_of_instance_masks_by_label(samples):
    segmentation = crowded(target_type="segmentation")
    assert segmentation.num_classes == 4
    for index, (_, target) in enumerate(samples):
        image, semantic = segmentation[index]
        assert digest(image) == digest(samples[index][0])
        assert semantic.mode == "L"
        expected = torch.zeros(SIZE, SIZE, dtype=torch.int64)
        for mask, label in zip(target["masks"].bool(), target["labels"], strict=True):
            expected[mask] = label
        assert torch.from_numpy(np.array(semantic)).long().equal(expected)


def test_classification_label_is_class_with_most_visible_pixels(samples):
    classification = crowded(target_type="classification")
    assert classification.num_classes == 3
    for index, (_, target) in enumerate(samples):
        pixels = {label: 0 for label in (1, 2, 3)}
        for label, area in zip(target["labels"].tolist(), target["area"].tolist(), strict=True):
            pixels[label] += area
        best = max(pixels.values())
        expected = min(label for label, count in pixels.items() if count == best) - 1
        assert classification[index][1] == expected


def test_classification_tie_goes_to_lower_class():
    visible = np.zeros((2, 4, 4), dtype=bool)
    visible[0, :2] = True  # a square's 8 pixels ...
    visible[1, 2:] = True  # ... and a triangle's 8 pixels
    scene = Scene(np.zeros((4, 4, 3), np.uint8), np.array([3, 2]), visible, visible)
    assert _dominant_class(scene) == 1


# --- arguments and transforms ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"split": "test"}, "split"),
        ({"target_type": "keypoints"}, "target_type"),
        ({"image_size": 8}, "image_size"),
        ({"image_size": (32, 32, 3)}, "image_size"),
        ({"min_objects": 3, "max_objects": 2}, "min_objects"),
        ({"min_objects": 0, "target_type": "classification"}, "classification"),
        ({"seed": -1}, "seed"),
        ({"num_images": -1}, "num_images"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Shapes(**kwargs)


def test_index_out_of_range_names_the_index():
    with pytest.raises(IndexError, match="index 3"):
        Shapes(num_images=3)[3]


def test_default_lengths_and_separate_transforms():
    assert len(Shapes("train")) == 1000 and len(Shapes("val")) == 200
    dataset = Shapes(
        num_images=2,
        transform=lambda image: image.size,
        target_transform=lambda target: len(target["labels"]),
    )
    size, count = dataset[0]
    assert size == (128, 128) and count == len(Shapes(num_images=2)[0][1]["labels"])
    joint = Shapes(num_images=2, transforms=lambda image, target: (target, image))
    assert isinstance(joint[0][0], dict)
    assert "Seed: 0" in repr(dataset)


def test_joint_horizontal_flip_keeps_targets_honest(samples):
    joint = pytest.importorskip("vdata.transforms.joint")
    flip = joint.Compose(
        [joint.RandomHorizontalFlip(p=1.0, flip_map=Shapes.keypoint_info), joint.PILToTensor()]
    )
    image, target = crowded(transforms=flip)[4]
    original_image, original = samples[4]
    assert image.equal(torch.from_numpy(np.array(original_image)).permute(2, 0, 1).flip(-1))
    assert target["masks"].equal(original["masks"].flip(-1))
    for mask, box, points in zip(
        target["masks"].bool(), target["boxes"], target["keypoints"], strict=True
    ):
        rows, cols = mask.nonzero().unbind(1)
        assert box.tolist() == [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
        x, y, v = points.unbind(1)
        # The flip map turns the mirrored right point into the new left one, and so on.
        assert x[LEFT] == x.min() and x[RIGHT] == x.max()
        assert y[TOP] == y.min() and y[BOTTOM] == y.max()
        assert (mask[(y - 0.5).long(), (x - 0.5).long()] == (v == 2)).all()


# --- COCO export -------------------------------------------------------------------------------


# pycocotools' decoder (2.0.x, built against numpy 1) passes copy=False to __array__.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept:DeprecationWarning")
def test_coco_export_reads_back_with_pycocotools(tmp_path, capsys):
    dataset = crowded(num_images=6, target_type="classification")  # the export ignores it
    path = dataset.to_coco(tmp_path)
    assert path == tmp_path / "annotations" / "instances_train.json"
    coco = COCO(str(path))
    capsys.readouterr()  # pycocotools reports its progress on stdout

    detection = crowded(num_images=6)
    assert sorted(coco.getImgIds()) == list(range(6))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["circle", "square", "triangle"]
    category = coco.loadCats(2)[0]
    assert category["supercategory"] == "shape"
    assert category["keypoints"] == ["top", "left", "right", "bottom"]
    assert category["skeleton"] == [[1, 2], [1, 3], [2, 4], [3, 4]]
    for index in range(6):
        image, target = detection[index]
        record = coco.loadImgs(index)[0]
        with Image.open(tmp_path / "train" / record["file_name"]) as written:
            assert digest(written.convert("RGB")) == digest(image)
        assert (record["height"], record["width"]) == (SIZE, SIZE)
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=index))
        assert len(annotations) == len(target["labels"])
        for i, ann in enumerate(annotations):
            assert np.array_equal(coco.annToMask(ann), target["masks"][i].numpy())
            x, y, w, h = ann["bbox"]
            assert [x, y, x + w, y + h] == target["boxes"][i].tolist()
            assert ann["category_id"] == target["labels"][i]
            assert ann["area"] == target["area"][i] and ann["iscrowd"] == 0
            assert ann["keypoints"] == target["keypoints"][i].flatten().tolist()
            assert ann["num_keypoints"] == 4
    assert sorted(p.name for p in (tmp_path / "annotations").iterdir()) == [path.name]
    assert len(list((tmp_path / "train").iterdir())) == 6


class FailingAt:
    """A detection dataset that breaks while being read, as a killed export would."""

    classes = Shapes.classes
    keypoint_info = Shapes.keypoint_info

    def __init__(self, dataset: Shapes, fail_at: int) -> None:
        self.dataset, self.fail_at = dataset, fail_at

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        if index == self.fail_at:
            raise RuntimeError("interrupted")
        return self.dataset[index]


def test_interrupted_coco_export_keeps_the_previous_annotation_file(tmp_path):
    path = write_coco(crowded(num_images=2), tmp_path, "train")
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="interrupted"):
        write_coco(FailingAt(crowded(num_images=4, seed=5), fail_at=3), tmp_path, "train")
    assert path.read_bytes() == before
    assert len(json.loads(before)["images"]) == 2
    leftovers = [p.name for p in tmp_path.rglob(".*")]
    assert leftovers == []


def test_coco_export_refuses_non_detection_samples(tmp_path):
    with pytest.raises(TypeError, match="dataset\\[0\\]"):
        write_coco(crowded(num_images=1, target_type="segmentation"), tmp_path, "train")
