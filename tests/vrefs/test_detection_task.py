import pytest
import torch
from torch.utils.data import DistributedSampler, SequentialSampler

from vdata.datasets import Shapes
from vrefs import cli, engine
from vrefs.tasks.detection import (
    TASK,
    GroupedBatchSampler,
    aspect_ratio_groups,
    build_batch_sampler,
    target_keys,
)
from vrefs.visualize import draw_detections

from .conftest import detection_args


def _run(tmp_path, *extra: str) -> dict:
    """One tiny epoch of ``vrefs-train detection`` in this process; its record."""
    argv = [
        *("detection", "--image-size=64", "--num-images=8", "--batch-size=2", "--epochs=1"),
        *("--workers=0", "--device=cpu", f"--output-dir={tmp_path}", *extra),
    ]
    args, task = cli.parse_args(argv)
    assert task is TASK
    return engine.run(task, args)[-1]


def test_mask_rcnn_trains_one_epoch_and_reports_box_and_mask_ap(tmp_path):
    record = _run(tmp_path)
    assert {"val_box_AP", "val_box_AP50", "val_mask_AP", "val_mask_AP50"} <= set(record)
    assert "val_keypoint_AP" not in record
    assert all(0 <= record[k] <= 1 for k in ("val_box_AP", "val_mask_AP"))
    for name in ("coco_results_bbox.json", "coco_results_segm.json", "predictions.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_keypoint_model_gets_the_datasets_keypoints_and_reports_keypoint_ap(tmp_path):
    args = detection_args(model="keypointrcnn_resnet50_fpn", num_images=2, image_size=48)
    train, val = TASK.build_datasets(args)
    model = TASK.build_model(args, train)
    assert model.roi_heads.keypoint_predictor.kps_score_lowres.out_channels == 4
    images, targets = TASK.collate_fn()([train[0], train[1]])
    assert "loss_keypoint" in TASK.losses(model.train(), images, targets)
    model.eval().roi_heads.detections_per_img = 3  # the untrained keypoint head is slow
    evaluator = TASK.evaluator(args, val, None)
    images, targets = TASK.collate_fn()([val[0]])
    with torch.no_grad():
        evaluator.update(TASK.predict(model, images), targets)
    metrics = evaluator.summary()
    assert "keypoint_AP" in metrics and "mask_AP" not in metrics


def test_box_only_model_does_not_load_masks():
    train, _ = TASK.build_datasets(detection_args(model="fasterrcnn_resnet50_fpn"))
    _, target = train[0]
    assert "masks" not in target and "keypoints" not in target and "boxes" in target


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("fcos_resnet18_fpn", []),
        ("ssd300_vgg16", []),
        ("maskrcnn_resnet18_fpn", ["masks"]),
        ("keypointrcnn_resnet50_fpn", ["keypoints"]),
    ],
)
def test_target_keys_are_asked_of_the_model(model, extra):
    assert target_keys(model) == ["boxes", "labels", *extra]


@pytest.mark.parametrize(
    ("model", "transform_size"),
    [
        ("fcos_resnet18_fpn", {"min_size": (64,), "max_size": 64}),
        ("ssdlite320_mobilenet_v3_large", {"fixed_size": (320, 320)}),
    ],
)
def test_one_stage_model_trains_on_shapes_at_the_size_its_transform_allows(model, transform_size):
    args = detection_args(model=model, num_images=2)
    train, _ = TASK.build_datasets(args)
    built = TASK.build_model(args, train)
    for name, value in transform_size.items():
        assert getattr(built.transform, name) == value
    images, targets = TASK.collate_fn()([train[0], train[1]])
    assert "masks" not in targets[0]
    losses = TASK.losses(built.train(), images, targets)
    assert {"classification", "bbox_regression"} <= set(losses)
    sum(losses.values()).backward()
    assert all(torch.isfinite(loss) for loss in losses.values())


def test_unknown_dataset_lists_the_valid_ones():
    with pytest.raises(ValueError, match="shapes, coco, voc"):
        TASK.build_datasets(detection_args(dataset="mnist"))


@pytest.mark.parametrize("dataset", ["coco", "voc"])
def test_dataset_on_disk_without_a_path_asks_for_one(dataset):
    with pytest.raises(ValueError, match="needs --data-path"):
        TASK.build_datasets(detection_args(dataset=dataset))


def test_coco_path_with_the_wrong_layout_says_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"instances_train2017\.json"):
        TASK.build_datasets(detection_args(dataset="coco", data_path=str(tmp_path)))


def test_aspect_ratio_groups_separate_wide_square_and_tall_images():
    groups = aspect_ratio_groups([0.4, 0.75, 1.0, 1.01, 1.5, 3.0], group_factor=2)
    assert groups[2] == groups[3]
    assert len(set(groups)) == 5
    assert groups == sorted(groups)


def test_grouped_batches_hold_one_group_and_keep_the_epoch_length():
    group_ids = [0, 1, 0, 1, 0, 1, 0]
    sampler = GroupedBatchSampler(SequentialSampler(group_ids), group_ids, batch_size=2)
    batches = list(sampler)
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 1]]
    assert len(sampler) == len(batches) == 4


def test_grouped_batches_over_distributed_samplers_have_equal_lengths():
    group_ids = [i % 3 == 0 for i in range(11)]
    lengths = set()
    for rank in range(2):
        sampler = DistributedSampler(range(11), num_replicas=2, rank=rank, seed=1)
        batches = list(GroupedBatchSampler(sampler, group_ids, batch_size=2))
        assert all(len({group_ids[i] for i in batch}) == 1 for batch in batches)
        lengths.add(len(batches))
    assert lengths == {3}


def test_group_factor_zero_gives_plain_batches():
    dataset = Shapes("train", num_images=5, image_size=32)
    sampler = build_batch_sampler(SequentialSampler(dataset), dataset, 2, group_factor=0)
    assert list(sampler) == [[0, 1], [2, 3], [4]]


def test_drawn_detections_skip_those_below_the_score_threshold():
    image = torch.zeros(3, 40, 40)
    prediction = {
        "boxes": torch.tensor([[2.0, 2.0, 15.0, 15.0], [22.0, 22.0, 35.0, 35.0]]),
        "labels": torch.tensor([1, 2]),
        "scores": torch.tensor([0.9, 0.2]),
        "masks": torch.ones(2, 1, 40, 40),
    }
    drawn = draw_detections(image, prediction, ["background", "circle", "square"])
    assert drawn.dtype == torch.uint8 and drawn.shape == (3, 40, 40)
    assert drawn[:, 2, 8].any()  # the confident box's top edge
    assert drawn[:, 30, 30].any()  # inside the confident mask, which covers the whole image
    assert drawn[:, 22, 28].tolist() == drawn[:, 30, 30].tolist()  # no second outline there
