import pytest
import torch

from vrefs.metrics.classification import TopKAccuracy, topk_correct
from vrefs.metrics.segmentation import ConfusionMatrix, confusion_matrix, segmentation_scores


def test_topk_counts_targets_among_the_highest_logits():
    logits = torch.tensor(
        [
            [0.1, 0.5, 0.2, 0.0, 0.0, 0.9],  # target 1: second highest
            [0.9, 0.1, 0.0, 0.0, 0.0, 0.0],  # target 0: highest
            [0.0, 0.1, 0.2, 0.3, 0.4, 0.5],  # target 0: lowest
        ]
    )
    targets = torch.tensor([1, 0, 0])
    assert topk_correct(logits, targets, (1, 2, 5)).tolist() == [1, 2, 2]


def test_top5_only_with_at_least_five_classes():
    three = TopKAccuracy(3)
    three.update(torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), torch.tensor([1, 2]))
    assert three.summary() == {"top1": 0.5}
    six = TopKAccuracy(6)
    six.update(torch.eye(6)[[0, 1]], torch.tensor([0, 3]))
    assert six.summary() == {"top1": 0.5, "top5": 1.0}


def test_topk_rejects_k_above_the_number_of_classes():
    with pytest.raises(ValueError, match="k <= number of classes"):
        topk_correct(torch.zeros(2, 3), torch.zeros(2, dtype=torch.int64), (5,))


def test_confusion_matrix_counts_target_rows_and_predicted_columns():
    targets = torch.tensor([[0, 0, 1], [1, 2, 255]])
    predictions = torch.tensor([[0, 1, 1], [1, 1, 0]])
    expected = torch.tensor([[1, 1, 0], [0, 2, 0], [0, 1, 0]])
    assert torch.equal(confusion_matrix(predictions, targets, 3), expected)


def test_scores_from_a_hand_computed_matrix():
    matrix = torch.tensor([[1, 1, 0], [0, 2, 0], [0, 1, 0]])
    scores = segmentation_scores(matrix, ["bg", "a", "b"])
    assert scores["pixel_acc"] == pytest.approx(3 / 5)
    # IoU = diagonal / (row + column - diagonal)
    assert scores["iou_bg"] == pytest.approx(1 / 2)
    assert scores["iou_a"] == pytest.approx(2 / 4)
    assert scores["iou_b"] == 0.0
    assert scores["miou"] == pytest.approx((0.5 + 0.5 + 0.0) / 3)


def test_classes_absent_from_targets_and_predictions_do_not_count():
    scores = segmentation_scores(torch.tensor([[2, 0], [0, 0]]))
    assert scores == {"pixel_acc": 1.0, "miou": 1.0, "iou_0": 1.0}


def test_confusion_matrix_evaluator_takes_model_outputs():
    evaluator = ConfusionMatrix(2)
    logits = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]])  # [1, 2, 1, 2]: predicts 0 then 1
    evaluator.update({"out": logits}, torch.tensor([[[0, 0]]]))
    assert evaluator.summary()["pixel_acc"] == 0.5


def test_targets_out_of_range_are_named():
    with pytest.raises(
        ValueError, match=r"class indices in \[0, 2\) or 255, got values from 0 to 7"
    ):
        confusion_matrix(torch.zeros(2, dtype=torch.int64), torch.tensor([0, 7]), 2)
