"""The detection task's sample transforms: the v2 pipeline (the default) gives the samples the
joint (v1) transforms give on Shapes, and its SSD policies keep every object's fields together."""

import pytest
import torch

from vdata import tv_tensors
from vdata.datasets import Shapes, model_target_to_tv_tensors
from vrefs import cli, engine
from vrefs.sample_seeds import seeded_generators
from vrefs.tasks.detection import TASK
from vrefs.tasks.detection_presets import detection_transforms_v2

from .conftest import detection_args


def _samples(dataset, epoch: int = 0):
    """Every sample, its augmentation drawn as the engine draws it (seed 0, ``epoch``)."""
    for index in range(len(dataset)):
        with seeded_generators(0, epoch, index):
            yield dataset[index]


@pytest.mark.parametrize(
    "model", ["maskrcnn_resnet18_fpn", "keypointrcnn_resnet50_fpn", "fcos_resnet18_fpn"]
)
def test_v2_pipeline_gives_the_samples_of_the_joint_transforms_on_shapes(model):
    v1_train, v1_val = TASK.build_datasets(detection_args(model=model, transforms="v1"))
    v2_train, v2_val = TASK.build_datasets(detection_args(model=model))
    flipped = 0
    for old, new in [(v1_train, v2_train), (v1_val, v2_val)]:
        for (old_image, old_target), (image, target) in zip(
            _samples(old), _samples(new), strict=True
        ):
            assert type(image) is torch.Tensor and image.dtype == torch.float32
            # ToDtype multiplies by 1 / 255 where ConvertImageDtype divides, as in torchvision.
            torch.testing.assert_close(image, old_image, rtol=0, atol=1e-7)
            assert list(target) == list(old_target)
            for key, value in old_target.items():
                if isinstance(value, torch.Tensor):
                    assert type(target[key]) is torch.Tensor and target[key].dtype == value.dtype
                    assert torch.equal(target[key], value), key
                else:
                    assert target[key] == value
            unflipped = Shapes(new.split, len(new), new.image_size)[target["image_id"]][1]
            flipped += not torch.equal(target["boxes"], unflipped["boxes"])
    assert 0 < flipped < len(v2_train) + len(v2_val)  # the same flips, some of them


@pytest.mark.parametrize("augmentation", ["ssd", "ssdlite"])
def test_ssd_policies_crop_boxes_masks_and_keypoints_together(augmentation):
    args = detection_args(model="keypointrcnn_resnet50_fpn", data_augmentation=augmentation)
    train, _ = TASK.build_datasets(args)
    sizes = set()
    for image, target in _samples(train):
        sizes.add(tuple(image.shape[-2:]))
        n = len(target["boxes"])
        assert all(len(v) == n for v in target.values() if isinstance(v, torch.Tensor))
        assert all(type(v) is torch.Tensor for v in target.values() if isinstance(v, torch.Tensor))
        boxes, keypoints = target["boxes"], target["keypoints"]
        assert ((boxes[:, 2:] - boxes[:, :2]) >= 1).all()
        labelled = keypoints[..., 2] > 0
        height, width = image.shape[-2:]
        assert (keypoints[..., 0][labelled] <= width).all()
        assert (keypoints[..., 1][labelled] <= height).all()
        assert (keypoints[~labelled] == 0).all()
    assert len(sizes) > 1  # zoomed out or cropped


def test_ssd_policy_keeps_an_image_without_objects():
    transforms = detection_transforms_v2(True, "ssd")
    for seed in range(8):
        torch.manual_seed(seed)
        image = tv_tensors.Image(torch.randint(0, 256, (3, 20, 30), dtype=torch.uint8))
        empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
        image, target = transforms(image, model_target_to_tv_tensors(empty, (20, 30)))
        assert target["boxes"].shape == (0, 4) and image.dtype == torch.float32


def test_joint_transforms_offer_the_flip_only():
    with pytest.raises(ValueError, match="--data-augmentation ssd needs --transforms v2"):
        TASK.build_datasets(detection_args(transforms="v1", data_augmentation="ssd"))


def test_cli_defaults_to_the_v2_pipeline_and_refuses_an_unknown_one(capsys, tmp_path):
    args, _ = cli.parse_args(["detection", f"--output-dir={tmp_path}"])
    assert (args.transforms, args.data_augmentation) == ("v2", "hflip")
    with pytest.raises(SystemExit):
        cli.parse_args(["detection", "--transforms=v3"])
    assert "invalid choice: 'v3'" in capsys.readouterr().err
    argv = ["detection", "--transforms=v1", "--data-augmentation=ssdlite", "--device=cpu"]
    assert cli.main([*argv, f"--output-dir={tmp_path}"]) == 2
    assert "--data-augmentation ssdlite needs --transforms v2" in capsys.readouterr().err


def test_detection_trains_one_tiny_epoch_through_the_ssdlite_policy():
    argv = [
        *("detection", "--model=fcos_resnet18_fpn", "--image-size=48", "--num-images=4"),
        *("--batch-size=2", "--epochs=1", "--workers=0", "--device=cpu"),
        "--data-augmentation=ssdlite",
    ]
    args, task = cli.parse_args(argv)
    args.output_dir = None  # no checkpoint, metrics file or pictures
    [record] = engine.run(task, args)
    assert 0 <= record["val_box_AP"] <= 1 and record["train_loss"] > 0
