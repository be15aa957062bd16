"""target_format="tv_tensors" of the detection datasets (Shapes, COCO, VOC): the model format
typed for vdata.transforms.v2, and tv_tensors_to_model_target on the way back."""

import pytest
import torch
from detection_dataset_files import make_voc, write_coco_files

from vdata import tv_tensors
from vdata.datasets import (
    CocoDetection,
    Shapes,
    VOCDetection,
    model_target_to_tv_tensors,
    tv_tensors_to_model_target,
)
from vdata.transforms import functional as F1
from vdata.transforms import joint as J
from vdata.transforms import v2


@pytest.fixture(params=["shapes", "coco", "voc"])
def make_dataset(request, tmp_path, write_image):
    """``make(target_format, **kwargs)``: one detection dataset on its tiny files; Shapes with
    masks and keypoints, COCO with polygons, RLEs, keypoints and an image without objects, VOC
    with difficult flags and an image without objects."""
    if request.param == "coco":
        files = write_coco_files(tmp_path, write_image)
        return lambda target_format, **kwargs: CocoDetection(
            *files, target_format=target_format, **kwargs
        )
    if request.param == "voc":
        make_voc(tmp_path / "VOCdevkit" / "VOC2012", write_image)
        return lambda target_format, **kwargs: VOCDetection(
            tmp_path, image_set="val", target_format=target_format, **kwargs
        )
    return lambda target_format, **kwargs: Shapes(
        "val", 3, (24, 32), max_objects=3, target_format=target_format, **kwargs
    )


def assert_same_plain(target, expected):
    """Equal dicts whose tensors are plain ``torch.Tensor``, of the same dtype and values."""
    assert list(target) == list(expected)
    for key, value in expected.items():
        if isinstance(value, torch.Tensor):
            assert type(target[key]) is torch.Tensor, key
            assert target[key].dtype == value.dtype, key
            torch.testing.assert_close(target[key], value, rtol=0, atol=0, msg=key)
        else:
            assert target[key] == value, key


def test_tv_tensors_sample_is_the_model_sample_typed(make_dataset):
    typed_dataset, model_dataset = make_dataset("tv_tensors"), make_dataset("model")
    assert len(typed_dataset) == len(model_dataset)
    for index in range(len(model_dataset)):
        pil_image, expected = model_dataset[index]
        image, target = typed_dataset[index]
        canvas = (pil_image.height, pil_image.width)
        assert type(image) is tv_tensors.Image and image.dtype == torch.uint8
        assert torch.equal(image.as_subclass(torch.Tensor), F1.pil_to_tensor(pil_image))
        boxes = target["boxes"]
        assert type(boxes) is tv_tensors.BoundingBoxes and boxes.canvas_size == canvas
        assert boxes.format is tv_tensors.BoundingBoxFormat.XYXY
        assert type(target["labels"]) is torch.Tensor and target["labels"].dtype == torch.int64
        assert ("masks" in target) == ("masks" in expected)
        if "masks" in target:
            assert type(target["masks"]) is tv_tensors.Mask
        if "keypoints" in expected:
            n, k, _ = expected["keypoints"].shape
            assert type(target["keypoints"]) is tv_tensors.KeyPoints
            assert (
                target["keypoints"].shape == (n, k, 2) and target["keypoints"].canvas_size == canvas
            )
            assert type(target["keypoints_visibility"]) is torch.Tensor
            assert target["keypoints_visibility"].shape == (n, k)
        assert_same_plain(tv_tensors_to_model_target(target), expected)


def _without_keypoints(image, target):
    """Keypoints aside: v2 mirrors points as pixel indices (x to width - 1 - x, torchvision's
    convention), the joint flip as the datasets' continuous coordinates (x to width - x)."""
    return image, {k: v for k, v in target.items() if not k.startswith("keypoints")}


def test_tv_tensors_sample_moves_through_v2_as_the_joint_transforms_move_the_model_one(
    make_dataset,
):
    drop = _without_keypoints
    steps = [drop, v2.RandomHorizontalFlip(p=1.0), v2.ToDtype(torch.float32, scale=True)]
    typed_dataset = make_dataset("tv_tensors", transforms=v2.Compose(steps))
    joint_steps = [drop, J.PILToTensor(), J.ConvertImageDtype(), J.RandomHorizontalFlip(p=1.0)]
    model_dataset = make_dataset("model", transforms=J.Compose(joint_steps))
    for index in range(len(model_dataset)):
        expected_image, expected = model_dataset[index]
        image, target = typed_dataset[index]
        # ToDtype multiplies by 1 / 255 where ConvertImageDtype divides, as in torchvision.
        torch.testing.assert_close(
            image.as_subclass(torch.Tensor), expected_image, rtol=0, atol=1e-7
        )
        assert target["boxes"].canvas_size == tuple(expected_image.shape[-2:])
        assert_same_plain(tv_tensors_to_model_target(target), expected)


def test_shapes_segmentation_and_classification_in_tv_tensors():
    model = Shapes("val", 2, 32, target_type="segmentation")
    typed = Shapes("val", 2, 32, target_type="segmentation", target_format="tv_tensors")
    image, mask = typed[1]
    assert type(image) is tv_tensors.Image and type(mask) is tv_tensors.Mask
    assert torch.equal(mask.as_subclass(torch.Tensor), F1.pil_to_tensor(model[1][1]))
    assert mask.shape == (1, 32, 32)
    label = Shapes("val", 2, 32, target_type="classification", target_format="tv_tensors")[1][1]
    assert label == Shapes("val", 2, 32, target_type="classification")[1][1]
    assert "Target format: tv_tensors" in repr(typed)


def test_coco_tv_tensors_honours_label_map_and_with_masks(tmp_path, write_image):
    files = write_coco_files(tmp_path, write_image)
    _, target = CocoDetection(
        *files, target_format="tv_tensors", with_masks=False, label_map={3: 1}
    )[0]
    assert "masks" not in target
    assert target["labels"].tolist() == [1]  # the car; the person is not in label_map
    assert target["boxes"].tolist() == [[4.0, 1.0, 6.0, 4.0]]
    assert target["keypoints"].shape == (1, 17, 2)  # the file's layout; the car has none
    assert not target["keypoints_visibility"].any()


def test_unwrapping_converts_boxes_to_xyxy_and_unlabels_points_off_the_canvas():
    canvas = (4, 6)
    target = {
        "boxes": tv_tensors.BoundingBoxes([[1, 1, 2, 2]], format="XYWH", canvas_size=canvas),
        "keypoints": tv_tensors.KeyPoints(
            [[[1.5, 0.5], [6.5, 1.0], [2.0, -0.5], [6.0, 4.0], [3.0, 3.0]]], canvas_size=canvas
        ),
        "keypoints_visibility": torch.tensor([[2.0, 2.0, 1.0, 1.0, 0.0]]),
        "image_id": 5,
    }
    plain = tv_tensors_to_model_target(target)
    assert plain["boxes"].tolist() == [[1.0, 1.0, 3.0, 3.0]]
    assert plain["keypoints"].tolist() == [
        [[1.5, 0.5, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [6.0, 4.0, 1.0], [0.0, 0.0, 0.0]]
    ]
    assert list(plain) == ["boxes", "keypoints", "image_id"]


def test_typing_and_unwrapping_keep_an_empty_target():
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    empty["keypoints"] = torch.zeros(0, 17, 3)
    typed = model_target_to_tv_tensors(empty, (5, 7))
    assert typed["keypoints"].shape == (0, 17, 2) and typed["boxes"].canvas_size == (5, 7)
    assert_same_plain(tv_tensors_to_model_target(typed), empty)


def test_unwrapping_refuses_a_per_object_field_its_boxes_were_dropped_without():
    image = tv_tensors.Image(torch.zeros(3, 8, 8, dtype=torch.uint8))
    target = model_target_to_tv_tensors(
        {
            "boxes": torch.tensor([[0.0, 0.0, 4.0, 4.0], [2.0, 2.0, 2.5, 6.0]]),
            "labels": torch.tensor([1, 2]),
            "area": torch.tensor([16.0, 2.0]),
        },
        (8, 8),
    )
    _, sanitized = v2.SanitizeBoundingBoxes()(image, target)  # labels only
    assert sanitized["labels"].tolist() == [1]
    with pytest.raises(ValueError, match=r'target\["area"\] has 2 entries for 1 boxes'):
        tv_tensors_to_model_target(sanitized)


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        ({"boxes": torch.zeros(1, 4)}, TypeError, "must be tv_tensors.BoundingBoxes, got Tensor"),
        (
            {
                "boxes": tv_tensors.BoundingBoxes(
                    torch.zeros(1, 5), format="XYWHR", canvas_size=(4, 4)
                )
            },
            ValueError,
            "got rotated XYWHR boxes",
        ),
        (
            {
                "boxes": tv_tensors.BoundingBoxes(
                    torch.zeros(1, 4), format="XYXY", canvas_size=(4, 4)
                ),
                "keypoints": tv_tensors.KeyPoints(torch.zeros(1, 2, 2), canvas_size=(4, 4)),
            },
            ValueError,
            'no "keypoints_visibility"',
        ),
    ],
    ids=["plain-boxes", "rotated", "no-visibility"],
)
def test_unwrapping_names_what_it_cannot_convert(target, error, message):
    with pytest.raises(error, match=message):
        tv_tensors_to_model_target(target)
