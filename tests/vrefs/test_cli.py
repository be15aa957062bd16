import subprocess
import sys

import pytest

from vrefs import cli

from .conftest import tiny_args


def _usage_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as raised:
        cli.main(argv)
    assert raised.value.code == 2
    return capsys.readouterr().err


def test_unknown_model_lists_the_task_models(capsys, tmp_path):
    argv = [*tiny_args("classification", tmp_path), "--model", "resnet_nonexistent"]
    message = _usage_error(capsys, argv)
    assert "unknown --model 'resnet_nonexistent'" in message
    assert "resnet18" in message and "mobilenet_v2" in message
    assert "fcn_resnet50" not in message  # only the classification models


def test_segmentation_model_is_not_accepted_for_classification(capsys, tmp_path):
    message = _usage_error(capsys, tiny_args("classification", tmp_path, "--model=fcn_resnet50"))
    assert "unknown --model 'fcn_resnet50' for classification" in message


def test_unknown_task_lists_the_tasks(capsys):
    message = _usage_error(capsys, ["regression"])
    assert "classification" in message and "segmentation" in message


def test_unknown_dataset_lists_the_datasets(capsys, tmp_path):
    status = cli.main(tiny_args("segmentation", tmp_path, "--dataset=cityscapes"))
    message = capsys.readouterr().err
    assert status == 2
    assert "unknown --dataset 'cityscapes'" in message
    assert "shapes, voc, sbd" in message


def test_data_path_without_the_expected_layout_says_what_was_expected(capsys, tmp_path):
    empty = tmp_path / "images"
    empty.mkdir()
    argv = tiny_args("classification", tmp_path / "out", "--dataset=imagefolder")
    status = cli.main([*argv, f"--data-path={empty}"])
    message = capsys.readouterr().err
    assert status == 2
    assert f"expected {empty / 'train'}/<class>/<image>" in message


def test_dataset_on_disk_without_data_path_asks_for_one(capsys, tmp_path):
    status = cli.main(tiny_args("segmentation", tmp_path, "--dataset=voc"))
    assert status == 2
    assert "--data-path" in capsys.readouterr().err


def test_nonpositive_epochs_is_a_usage_error(capsys, tmp_path):
    message = _usage_error(capsys, tiny_args("classification", tmp_path, "--epochs=0"))
    assert "--epochs must be positive, got 0" in message


@pytest.mark.parametrize("name", ["workers", "seed"])
def test_negative_workers_or_seed_is_a_usage_error(capsys, tmp_path, name):
    message = _usage_error(capsys, tiny_args("classification", tmp_path, f"--{name}=-1"))
    assert f"--{name} must be 0 or more, got -1" in message


def test_task_defaults_fill_unset_options(tmp_path):
    args, task = cli.parse_args(["segmentation", "--output-dir", str(tmp_path)])
    assert args.model == task.default_model == "fpn_resnet18"
    assert args.epochs == task.defaults["epochs"]
    args, _ = cli.parse_args(["classification", "--epochs", "3"])
    assert args.epochs == 3
    assert args.output_dir == "runs/classification"


def test_python_dash_m_vrefs_runs_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "vrefs", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "usage: vrefs-train" in done.stdout
    for option in ("--lr-schedule", "--aspect-ratio-group-factor", "--sync-bn", "--resume"):
        assert option in done.stdout
