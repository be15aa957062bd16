"""vdata's Kitti and WIDERFace against torchvision's on the same tiny files."""

import pytest
import torch
from PIL import Image

from vdata.datasets.kitti import Kitti
from vdata.datasets.widerface import WIDERFace

torchvision = pytest.importorskip("torchvision")

LABEL = "Pedestrian 0.50 2 0.21 10.0 20.5 30.0 60.25 1.89 0.48 1.20 1.84 1.47 8.41 0.01"


def _same_image(ours: Image.Image, theirs: Image.Image) -> None:
    """Equal images; torchvision's, opened lazily, is closed here so that no file is left open."""
    with theirs:
        assert (ours.mode, ours.size, ours.tobytes()) == (
            theirs.mode,
            theirs.size,
            theirs.tobytes(),
        )


@pytest.mark.parametrize("train", [True, False])
def test_kitti_equals_torchvision_but_for_the_image_order(tmp_path, train):
    raw = tmp_path / "Kitti" / "raw"
    for location in ("training", "testing"):
        (raw / location / "label_2").mkdir(parents=True)
        (raw / location / "image_2").mkdir()
        for i in range(3):
            Image.new("RGB", (5 + i, 4), (i, 0, 0)).save(
                raw / location / "image_2" / f"{i:06d}.png"
            )
            (raw / location / "label_2" / f"{i:06d}.txt").write_text((LABEL + "\n") * i)
    ours, theirs = Kitti(tmp_path, train), torchvision.datasets.Kitti(tmp_path, train)
    assert sorted(theirs.images) == ours.images  # torchvision keeps the file system's order
    for i, path in enumerate(theirs.images):
        image, target = ours[ours.images.index(path)]
        their_image, their_target = theirs[i]
        _same_image(image, their_image)
        assert target == their_target


def test_widerface_equals_torchvision_but_for_images_without_faces(tmp_path):
    base = tmp_path / "widerface"
    for split in ("train", "val", "test"):
        (base / f"WIDER_{split}" / "images" / "0--Parade").mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (6, 4), (i, 1, 2)).save(base / "WIDER_val/images/0--Parade" / f"{i}.png")
    (base / "wider_face_split").mkdir()
    (base / "wider_face_split" / "wider_face_val_bbx_gt.txt").write_text(
        "0--Parade/0.png\n2\n1 2 3 4 0 1 0 1 0 0\n5 6 7 8 2 0 1 0 1 1\n"
        "0--Parade/1.png\n0\n0 0 0 0 0 0 0 0 0 0\n"
        "0--Parade/2.png\n1\n9 9 9 9 1 1 1 1 1 0\n"
    )
    ours, theirs = WIDERFace(tmp_path, "val"), torchvision.datasets.WIDERFace(tmp_path, "val")
    assert len(ours) == len(theirs) == 3
    assert [info["img_path"] for info in ours.img_info] == [
        info["img_path"] for info in theirs.img_info
    ]
    for i in (0, 2):
        (image, faces), (their_image, their_faces) = ours[i], theirs[i]
        _same_image(image, their_image)
        assert faces.keys() == their_faces.keys()
        for key, value in their_faces.items():
            assert faces[key].dtype == value.dtype and torch.equal(faces[key], value)
    # torchvision reads the placeholder line after a count of 0 as a face box of zeros.
    their_image, their_faces = theirs[1]
    their_image.close()
    assert their_faces["bbox"].tolist() == [[0, 0, 0, 0]]
    assert ours[1][1]["bbox"].shape == (0, 4)


def test_wrapped_kitti_and_widerface_equal_torchvision(tmp_path):
    raw = tmp_path / "Kitti" / "raw" / "training"
    (raw / "label_2").mkdir(parents=True)
    (raw / "image_2").mkdir()
    Image.new("RGB", (40, 30)).save(raw / "image_2" / "000000.png")
    (raw / "label_2" / "000000.txt").write_text(LABEL + "\n" + LABEL.replace("Pedestrian", "Car"))
    base = tmp_path / "widerface"
    for split in ("train", "val", "test"):
        (base / f"WIDER_{split}" / "images" / "0--Parade").mkdir(parents=True)
    Image.new("RGB", (6, 4)).save(base / "WIDER_train/images/0--Parade/0.png")
    (base / "wider_face_split").mkdir()
    (base / "wider_face_split" / "wider_face_train_bbx_gt.txt").write_text(
        "0--Parade/0.png\n2\n1 2 3 1 0 1 0 1 0 0\n0 0 2 2 2 0 1 0 1 1\n"
    )
    from vdata.datasets import wrap_dataset_for_transforms_v2

    for ours, theirs, keys in (
        (Kitti(tmp_path), torchvision.datasets.Kitti(tmp_path), None),
        (Kitti(tmp_path), torchvision.datasets.Kitti(tmp_path), "all"),
        (WIDERFace(tmp_path), torchvision.datasets.WIDERFace(tmp_path), None),
    ):
        (image, target) = wrap_dataset_for_transforms_v2(ours, keys)[0]
        their_image, their_target = torchvision.datasets.wrap_dataset_for_transforms_v2(
            theirs, keys
        )[0]
        _same_image(image, their_image)
        assert target.keys() == their_target.keys()
        for key, value in their_target.items():
            if isinstance(value, torch.Tensor):
                assert type(target[key]).__name__ == type(value).__name__
                assert getattr(target[key], "canvas_size", None) == getattr(
                    value, "canvas_size", None
                )
                assert torch.equal(
                    target[key].as_subclass(torch.Tensor), value.as_subclass(torch.Tensor)
                )
            else:
                assert target[key] == value
