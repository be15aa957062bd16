"""vrefs-train classification on CIFAR, end to end on tiny files in the official format."""

import pytest
import torch
from classic_dataset_files import write_cifar10, write_cifar100
from PIL import Image

from vrefs import cli
from vrefs.tasks.classification import CIFAR_MEAN, CIFAR_STD, transforms

from .conftest import tiny_args, train


@pytest.mark.parametrize(
    ("name", "write", "classes"),
    [("cifar10", write_cifar10, 10), ("cifar100", write_cifar100, 100)],
)
def test_cifar_trains_and_validates_on_its_test_set(tmp_path, name, write, classes):
    write(tmp_path / "data")
    out = tmp_path / "out"
    records = train(
        "classification",
        out,
        "--model=cifar_resnet20",
        f"--dataset={name}",
        f"--data-path={tmp_path / 'data'}",
    )
    assert len(records) == 1 and 0.0 <= records[0]["val_top1"] <= 1.0
    state = torch.load(out / "checkpoint.pth", weights_only=True)["model"]
    assert state["fc.weight"].shape == (classes, 64)


def test_cifar_without_its_folder_is_a_usage_error_naming_it(capsys, tmp_path):
    argv = tiny_args("classification", tmp_path / "out", "--dataset=cifar10")
    assert cli.main([*argv, f"--data-path={tmp_path}"]) == 2
    assert f"{tmp_path / 'cifar-10-batches-py'}. Pass download=True" in capsys.readouterr().err


def test_cifar_training_pads_by_four_and_crops_back_to_32():
    torch.manual_seed(0)
    train_transform = transforms("cifar10", image_size=224, train=True)
    white = Image.new("RGB", (32, 32), (255, 255, 255))
    crops = torch.stack([train_transform(white) for _ in range(40)])
    assert crops.shape == (40, 3, 32, 32)
    white_value = (1 - CIFAR_MEAN[0]) / CIFAR_STD[0]
    black_value = -CIFAR_MEAN[0] / CIFAR_STD[0]
    red = crops[:, 0]
    assert torch.isclose(red, torch.tensor(black_value)).any()  # padding came in
    # Never more than 4 padded rows or columns: the image's middle stays white.
    assert torch.isclose(red[:, 4:28, 4:28], torch.tensor(white_value)).all()
    val = transforms("cifar10", image_size=224, train=False)(white)
    assert val.shape == (3, 32, 32) and torch.isclose(val[0], torch.tensor(white_value)).all()
