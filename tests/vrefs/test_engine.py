import contextlib
import io
import math

import pytest
import torch

from vrefs import cli, engine
from vrefs.schedules import WARMUP_START_FACTOR, WarmupSchedule
from vrefs.tasks.classification import ClassificationTask

from .conftest import read_records, tiny_args, train


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """One tiny epoch of each task, with its records and what it printed."""
    runs = {}
    for task in ("classification", "segmentation"):
        output_dir = tmp_path_factory.mktemp(task)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            records = train(task, output_dir)
        runs[task] = (output_dir, records, printed.getvalue())
    return runs


@pytest.mark.parametrize(
    ("task", "metric", "pictures"),
    [("classification", "val_top1", False), ("segmentation", "val_miou", True)],
)
def test_one_epoch_writes_checkpoint_metrics_and_curves(trained, task, metric, pictures):
    output_dir, records, printed = trained[task]
    assert (output_dir / "checkpoint.pth").is_file()
    assert (output_dir / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert (output_dir / "predictions.png").is_file() == pictures
    [record] = read_records(output_dir)
    assert record == records[0]
    assert record["epoch"] == 1
    assert 0 <= record[metric] <= 1
    assert math.isfinite(record["train_loss"]) and record["lr"] >= 0  # cosine ends at 0
    assert not [p for p in output_dir.iterdir() if p.name.startswith(".")]  # no temporary left
    assert "epoch 1/1 [1/2]" in printed and "epoch 1/1 [2/2]" in printed  # --print-freq 1
    assert "it/s" in printed and "eta" in printed


def test_segmentation_reports_pixel_accuracy_and_per_class_iou(trained):
    _, [record], _ = trained["segmentation"]
    assert 0 <= record["val_pixel_acc"] <= 1
    assert "val_iou_background" in record


def test_checkpoint_loads_with_weights_only_and_keeps_the_arguments(trained):
    output_dir, _, _ = trained["classification"]
    state = torch.load(output_dir / "checkpoint.pth", weights_only=True)
    assert set(state) == {"model", "optimizer", "lr_scheduler", "scaler", "epoch", "args", "rng"}
    assert state["args"]["output_dir"] == str(output_dir)
    assert state["args"]["model"] == "resnet18"


@pytest.mark.parametrize("source", ["--weights", "--resume"])
def test_test_only_evaluates_the_saved_model(trained, tmp_path, source):
    output_dir, [trained_record], _ = trained["classification"]
    checkpoint = output_dir / "checkpoint.pth"
    [tested] = train("classification", tmp_path, "--test-only", f"{source}={checkpoint}")
    assert tested["val_top1"] == trained_record["val_top1"]
    assert not (tmp_path / "checkpoint.pth").exists()


def test_weights_accepts_a_bare_state_dict(trained, tmp_path):
    output_dir, [trained_record], _ = trained["classification"]
    state = torch.load(output_dir / "checkpoint.pth", weights_only=True)["model"]
    torch.save(state, tmp_path / "weights.pth")
    [record] = train(
        "classification", tmp_path / "test", "--test-only", f"--weights={tmp_path / 'weights.pth'}"
    )
    assert record["val_top1"] == trained_record["val_top1"]


class _NanAtSecondStep(ClassificationTask):
    def __init__(self) -> None:
        self.steps = 0

    def losses(self, model, images, targets):
        self.steps += 1
        losses = super().losses(model, images, targets)
        return {k: v * float("nan") if self.steps == 2 else v for k, v in losses.items()}


def test_non_finite_loss_names_epoch_and_step(tmp_path):
    args, _ = cli.parse_args(tiny_args("classification", tmp_path))
    with pytest.raises(FloatingPointError, match="epoch 1 step 2: loss nan"):
        engine.run(_NanAtSecondStep(), args)


def test_warmup_then_multistep_decay():
    schedule = WarmupSchedule("multistep-with-warmup", 100, warmup_iters=10, milestones=[50, 80])
    assert schedule(0) == pytest.approx(WARMUP_START_FACTOR)
    assert schedule(5) == pytest.approx((WARMUP_START_FACTOR + 1) / 2)
    assert [schedule(i) for i in (10, 49, 50, 80, 99)] == pytest.approx([1, 1, 0.1, 0.01, 0.01])


def test_cosine_decays_to_zero_after_warmup():
    schedule = WarmupSchedule("cosine", 110, warmup_iters=10)
    assert [schedule(i) for i in (10, 60, 110)] == pytest.approx([1, 0.5, 0], abs=1e-12)


def test_unknown_schedule_is_rejected():
    with pytest.raises(ValueError, match="--lr-schedule must be one of"):
        WarmupSchedule("linear", 10, 0)
