"""wrap_dataset_for_transforms_v2: typed samples, the dataset's transforms after typing, and
pickling for DataLoader workers."""

import pickle

import pytest
import torch
from detection_dataset_files import write_coco_files
from PIL import Image

from vdata import tv_tensors
from vdata.datasets import CocoDetection, FakeData, Kitti, wrap_dataset_for_transforms_v2
from vdata.transforms import v2

LINE = "Car 0.00 0 -1.58 4.0 3.0 14.0 9.0 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59"


@pytest.fixture
def kitti_root(tmp_path):
    raw = tmp_path / "Kitti" / "raw" / "training"
    (raw / "image_2").mkdir(parents=True)
    (raw / "label_2").mkdir()
    Image.new("RGB", (20, 12)).save(raw / "image_2" / "000000.png")
    (raw / "label_2" / "000000.txt").write_text(LINE + "\n")
    return tmp_path


def test_wrapped_kitti_gives_typed_boxes_that_the_v2_transforms_move(kitti_root):
    dataset = Kitti(kitti_root, transforms=v2.RandomHorizontalFlip(p=1.0))
    wrapped = wrap_dataset_for_transforms_v2(dataset)
    assert isinstance(wrapped, Kitti) and len(wrapped) == 1
    image, target = wrapped[0]
    assert type(target["boxes"]) is tv_tensors.BoundingBoxes
    assert target["boxes"].canvas_size == (12, 20)
    assert target["boxes"].tolist() == [[6.0, 3.0, 16.0, 9.0]]  # flipped in a 20-wide image
    assert target["labels"].tolist() == [0] and image.size == (20, 12)
    assert wrapped.images == dataset.images  # the dataset's attributes stay reachable


def test_wrapped_dataset_pickles_with_its_transforms(kitti_root):
    wrapped = wrap_dataset_for_transforms_v2(
        Kitti(kitti_root, transforms=v2.RandomVerticalFlip(1.0))
    )
    copy = pickle.loads(pickle.dumps(wrapped))
    assert type(copy).__name__ == "WrappedKitti"
    assert copy[0][1]["boxes"].tolist() == [[4.0, 3.0, 14.0, 9.0]]


def test_wrapper_refuses_datasets_it_does_not_know():
    with pytest.raises(TypeError, match="No wrapper exists for dataset class FakeData"):
        wrap_dataset_for_transforms_v2(FakeData(2))
    with pytest.raises(TypeError, match=r"subclasses of vdata\.datasets\.VisionDataset"):
        wrap_dataset_for_transforms_v2(torch.utils.data.TensorDataset(torch.zeros(2)))


def test_wrapped_kitti_image_without_objects_has_int64_labels(kitti_root):
    label = kitti_root / "Kitti" / "raw" / "training" / "label_2" / "000000.txt"
    label.write_text("")
    _, target = wrap_dataset_for_transforms_v2(Kitti(kitti_root))[0]
    assert target["labels"].dtype == torch.int64 and target["labels"].shape == (0,)
    assert target["boxes"].shape == (0, 4)


def test_wrapper_passes_a_dataset_typed_already_through(tmp_path, write_image):
    files = write_coco_files(tmp_path, write_image)
    flip = v2.RandomHorizontalFlip(p=1.0)
    dataset = CocoDetection(*files, target_format="tv_tensors", transforms=flip)
    image, target = wrap_dataset_for_transforms_v2(dataset)[0]
    expected_image, expected = CocoDetection(*files, target_format="tv_tensors", transforms=flip)[0]
    assert type(image) is tv_tensors.Image and torch.equal(image, expected_image)
    assert type(target["boxes"]) is tv_tensors.BoundingBoxes
    assert target["boxes"].tolist() == expected["boxes"].tolist() == [[3, 0, 5, 3], [0, 1, 2, 4]]
    with pytest.raises(ValueError, match="target_format='tv_tensors' gives its typed targets"):
        wrap_dataset_for_transforms_v2(dataset, target_keys={"boxes"})


def test_wrapper_refuses_the_model_format_and_names_the_typed_one(tmp_path, write_image):
    dataset = CocoDetection(*write_coco_files(tmp_path, write_image), target_format="model")
    with pytest.raises(
        RuntimeError, match=r"target_format='model' \(use target_format='tv_tensors'"
    ):
        wrap_dataset_for_transforms_v2(dataset)
