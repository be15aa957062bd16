import json

import pytest
import torch

from vdata.datasets import Shapes
from vdata.datasets.shapes import write_coco
from vrefs.metrics.coco import CocoEvaluator


def _square_mask(x1: int, y1: int, x2: int, y2: int, size: int = 32) -> torch.Tensor:
    mask = torch.zeros(size, size, dtype=torch.uint8)
    mask[y1:y2, x1:x2] = 1
    return mask


def _target(box, keypoints=None, image_id=0) -> dict:
    target = {
        "boxes": torch.tensor([box], dtype=torch.float32),
        "labels": torch.tensor([1]),
        "masks": _square_mask(*box)[None],
        "image_id": image_id,
    }
    if keypoints is not None:
        target["keypoints"] = torch.tensor([keypoints], dtype=torch.float32)
    return target


def _output(box, keypoints=None) -> dict:
    output = {
        "boxes": torch.tensor([box], dtype=torch.float32),
        "labels": torch.tensor([1]),
        "scores": torch.tensor([0.9]),
        "masks": _square_mask(*box)[None, None].float(),
    }
    if keypoints is not None:
        output["keypoints"] = torch.tensor([keypoints], dtype=torch.float32)
    return output


def test_perfect_predictions_score_ap_one_for_boxes_and_masks(tmp_path):
    evaluator = CocoEvaluator(output_dir=tmp_path)
    box = (2, 3, 14, 12)
    evaluator.update([_output(box)], [_target(box)])
    metrics = evaluator.summary()
    assert metrics["box_AP"] == pytest.approx(1.0)
    assert metrics["mask_AP"] == pytest.approx(1.0)
    saved = json.loads((tmp_path / "coco_results_bbox.json").read_text())
    assert saved == [
        {"image_id": 0, "category_id": 1, "score": pytest.approx(0.9), "bbox": [2, 3, 12, 9]}
    ]
    assert (tmp_path / "coco_results_segm.json").is_file()


def test_shifted_box_matches_only_the_iou_thresholds_it_passes():
    # IoU of a 10x10 box with itself shifted 2 px: 80 / 120 = 0.667, which passes 4 of the 10
    # thresholds 0.50:0.05:0.95, so AP = 0.4 (precision 1 at every recall where it matches).
    evaluator = CocoEvaluator()
    evaluator.update([_output((2, 0, 12, 10))], [_target((0, 0, 10, 10))])
    metrics = evaluator.summary()
    assert metrics["box_AP"] == pytest.approx(0.4)
    assert metrics["box_AP50"] == pytest.approx(1.0)
    assert metrics["box_AP75"] == pytest.approx(0.0)
    assert metrics["box_APs"] == pytest.approx(0.4)  # area 100 < 32^2: small
    assert metrics["box_APm"] == -1  # pycocotools' "no ground truth in this range"


def test_keypoints_use_the_given_oks_sigmas():
    # Two keypoints, each 1.6 px off, object area 100 (the 10x10 mask), sigma 0.1:
    # e = d^2 / (2 * area * (2 sigma)^2) = 2.56 / 8 = 0.32, OKS = exp(-0.32) = 0.726, which
    # passes 5 of the 10 thresholds: AP = 0.5.
    truth = [[3.0, 3.0, 2], [7.0, 7.0, 2]]
    guess = [[4.6, 3.0, 1], [8.6, 7.0, 1]]
    evaluator = CocoEvaluator(keypoint_sigmas=(0.1, 0.1))
    box = (0, 0, 10, 10)
    evaluator.update([_output(box, guess)], [_target(box, truth)])
    metrics = evaluator.summary()
    assert metrics["keypoint_AP"] == pytest.approx(0.5)
    assert metrics["box_AP"] == pytest.approx(1.0)


def test_keypoints_without_sigmas_are_an_error():
    evaluator = CocoEvaluator()
    box = (0, 0, 10, 10)
    evaluator.update([_output(box, [[1.0, 1.0, 1]])], [_target(box, [[1.0, 1.0, 2]])])
    with pytest.raises(ValueError, match="keypoint_sigmas"):
        evaluator.summary()


def test_no_detections_score_zero():
    evaluator = CocoEvaluator()
    empty = {
        "boxes": torch.zeros(0, 4),
        "labels": torch.zeros(0, dtype=torch.int64),
        "scores": torch.zeros(0),
    }
    evaluator.update([empty], [_target((0, 0, 10, 10))])
    assert evaluator.summary()["box_AP"] == 0.0


def test_annotation_file_and_in_memory_ground_truth_agree(tmp_path):
    dataset = Shapes("val", num_images=4, image_size=48, seed=3)
    annotation_file = write_coco(dataset, tmp_path, "val2017")
    generator = torch.Generator().manual_seed(0)
    from_file = CocoEvaluator(annotation_file=annotation_file)
    in_memory = CocoEvaluator()
    for index in range(len(dataset)):
        _, target = dataset[index]
        noisy = target["boxes"] + torch.randn(target["boxes"].shape, generator=generator) * 2
        output = {
            "boxes": noisy,
            "labels": target["labels"],
            "scores": torch.rand(len(noisy), generator=generator),
            "masks": target["masks"][:, None].float(),
        }
        for evaluator in (from_file, in_memory):
            evaluator.update([output], [target])
    expected = in_memory.summary()
    assert 0 < expected["box_AP"] < 1
    assert from_file.summary() == pytest.approx(expected)


def test_missing_annotation_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.json"):
        CocoEvaluator(annotation_file=tmp_path / "nothing.json")
