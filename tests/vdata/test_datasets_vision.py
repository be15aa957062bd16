"""The dataset base class, KeypointInfo, image loading and the root path guard."""

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vdata.datasets import DEFAULT_OKS_SIGMA, KeypointInfo, VisionDataset
from vdata.datasets._io import inside_root, load_image


class Pairs(VisionDataset):
    def __init__(self, root, **kwargs):
        super().__init__(root, **kwargs)
        self.split = "train"

    def __getitem__(self, index):
        return self.apply_transforms(f"image{index}", f"target{index}")

    def __len__(self):
        return 2

    def extra_repr(self):
        return ["Extra: yes"]


# --- VisionDataset -------------------------------------------------------------------------


def test_separate_transforms_apply_to_image_and_target():
    ds = Pairs("r", transform=str.upper, target_transform=lambda t: t + "!")
    assert ds[1] == ("IMAGE1", "target1!")


def test_joint_transforms_see_both():
    ds = Pairs("r", transforms=lambda image, target: (target, image))
    assert ds[0] == ("target0", "image0")


def test_no_transforms_return_the_sample():
    assert Pairs("r")[0] == ("image0", "target0")


@pytest.mark.parametrize("separate", [{"transform": str.upper}, {"target_transform": str.upper}])
def test_joint_and_separate_transforms_together_are_an_error(separate):
    with pytest.raises(
        ValueError, match=r"either transforms \(joint\) or transform/target_transform"
    ):
        Pairs("r", transforms=lambda i, t: (i, t), **separate)


def test_root_is_an_expanded_path():
    assert Pairs("~/data").root == Path.home() / "data"


def test_repr_lists_size_root_split_extras_and_transforms(tmp_path):
    text = repr(Pairs(tmp_path, transform=str.upper))
    assert text.splitlines() == [
        "Dataset Pairs",
        "    Number of datapoints: 2",
        f"    Root location: {tmp_path}",
        "    Split: train",
        "    Extra: yes",
        f"    Transform: {str.upper!r}",
    ]


# --- KeypointInfo --------------------------------------------------------------------------


def test_keypoint_info_from_names_mirrors_left_and_right():
    info = KeypointInfo.from_names(
        ["nose", "left_eye", "right_eye", "Left_Hand", "right_hand", "left_tail"],
        skeleton=[(0, 1), (0, 2)],
    )
    assert info.flip_map == (0, 2, 1, 4, 3, 5)
    assert info.skeleton == ((0, 1), (0, 2))
    assert info.sigmas == (DEFAULT_OKS_SIGMA,) * 6
    assert info.num_keypoints == 6


def test_keypoint_info_stores_tuples_and_is_hashable():
    info = KeypointInfo(["a", "b"], [1, 0], [[0, 1]], [0.1, 0.2])
    assert info == KeypointInfo(("a", "b"), (1, 0), ((0, 1),), (0.1, 0.2))
    assert hash(info) == hash(KeypointInfo(("a", "b"), (1, 0), ((0, 1),), (0.1, 0.2)))
    assert KeypointInfo(("a",), (0,)).sigmas == (DEFAULT_OKS_SIGMA,)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((("a", "a"), (0, 1)), "unique"),
        ((("a", "b"), (0,)), "one entry per keypoint"),
        ((("a", "b", "c"), (1, 2, 0)), "its own inverse"),
        ((("a", "b"), (0, 2)), "its own inverse"),
        ((("a", "b"), (0, 1), ((0, 2),)), "skeleton indices"),
        ((("a", "b"), (0, 1), (), (0.1,)), "sigmas must be 2 positive"),
        ((("a",), (0,), (), (0.0,)), "sigmas must be 1 positive"),
    ],
)
def test_keypoint_info_rejects_inconsistent_metadata(args, message):
    with pytest.raises(ValueError, match=message):
        KeypointInfo(*args)


# --- load_image ----------------------------------------------------------------------------


def test_load_image_converts_to_rgb_and_keeps_palette_when_asked(tmp_path):
    indices = np.array([[0, 5, 255], [1, 5, 0]], dtype=np.uint8)
    mask = Image.fromarray(indices)
    mask.putpalette([v for i in range(256) for v in (i, 255 - i, 7)])
    mask.save(tmp_path / "mask.png")
    rgb = load_image(tmp_path / "mask.png")
    assert rgb.mode == "RGB"
    assert rgb.getpixel((1, 0)) == (5, 250, 7)
    kept = load_image(tmp_path / "mask.png", mode=None)
    assert kept.mode == "P"
    np.testing.assert_array_equal(np.asarray(kept), indices)


def test_load_image_names_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"image file not found: {tmp_path}/nope.jpg"):
        load_image(tmp_path / "nope.jpg")


def test_load_image_names_a_file_that_is_no_image(tmp_path):
    (tmp_path / "bad.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(OSError, match=f"cannot decode image {tmp_path}/bad.jpg"):
        load_image(tmp_path / "bad.jpg")


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_load_image_names_a_truncated_file(tmp_path, write_image, suffix):
    path = write_image(tmp_path / f"full{suffix}", size=(64, 48))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match=f"cannot decode image {path}"):
        load_image(path)


# --- inside_root ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a.jpg", "sub/dir/a.jpg", "./a.jpg", "a..b.jpg"])
def test_inside_root_accepts_relative_names(tmp_path, name):
    assert inside_root(tmp_path, name, "list.txt") == tmp_path / name


@pytest.mark.parametrize(
    "name", ["../a.jpg", "sub/../../a.jpg", "/etc/passwd", "..\\a.jpg", "\\\\server\\a", ""]
)
def test_inside_root_rejects_names_leaving_the_root(tmp_path, name):
    expected = f"list.txt names {name!r}, which is not a relative path inside the dataset root"
    with pytest.raises(ValueError, match=re.escape(expected)):
        inside_root(tmp_path, name, "list.txt")
