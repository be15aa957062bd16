"""DatasetFolder and ImageFolder on tiny class folders made in tmp_path."""

import pytest

from vdata.datasets import DatasetFolder, ImageFolder


@pytest.fixture
def tree(tmp_path, write_image):
    root = tmp_path / "data"
    write_image(root / "dog" / "b.png", value=1)
    write_image(root / "dog" / "a.JPG", value=2)
    write_image(root / "dog" / "nested" / "c.png", value=3)
    (root / "dog" / "notes.txt").write_text("not an image")
    write_image(root / "cat" / "z.png", value=4)
    write_image(root / "Zebra" / "x.bmp", value=5)
    write_image(root / ".ipynb_checkpoints" / "y.png", value=6)
    (root / "README").write_text("a file at the top is no class")
    return root


def test_image_folder_sorts_classes_and_samples(tree):
    ds = ImageFolder(tree)
    assert ds.classes == ["Zebra", "cat", "dog"]
    assert ds.class_to_idx == {"Zebra": 0, "cat": 1, "dog": 2}
    assert [(p.removeprefix(str(tree)), t) for p, t in ds.samples] == [
        ("/Zebra/x.bmp", 0),
        ("/cat/z.png", 1),
        ("/dog/a.JPG", 2),
        ("/dog/b.png", 2),
        ("/dog/nested/c.png", 2),
    ]
    assert ds.targets == [0, 1, 2, 2, 2]
    assert len(ds) == 5


def test_image_folder_loads_rgb_and_applies_transforms(tree):
    ds = ImageFolder(tree, transform=lambda im: im.getpixel((3, 2)), target_transform=str)
    assert ds[3] == ((1, 3, 2), "2")  # dog/b.png, PNG is exact: pixel (x, y) = (value, x, y)
    joint = ImageFolder(tree, transforms=lambda im, t: (im.mode, t + 10))
    assert joint[0] == ("RGB", 10)


def test_dataset_folder_with_custom_loader_and_is_valid_file(tree):
    ds = DatasetFolder(
        tree,
        loader=lambda path: path[-5:],
        is_valid_file=lambda path: path.endswith(("c.png", "z.png", ".bmp")),
    )
    assert len(ds) == 3
    assert ds[2] == ("c.png", 2)


def test_dataset_folder_needs_exactly_one_way_to_pick_files(tree):
    with pytest.raises(ValueError, match="exactly one of extensions and is_valid_file"):
        DatasetFolder(tree, loader=str)
    with pytest.raises(ValueError, match="exactly one of extensions and is_valid_file"):
        DatasetFolder(tree, loader=str, extensions=(".png",), is_valid_file=bool)


def test_class_folder_without_valid_files_is_named_in_the_error(tree):
    with pytest.raises(FileNotFoundError) as info:
        DatasetFolder(tree, loader=str, extensions=(".png",))
    assert (
        str(info.value) == f"class folder {tree / 'Zebra'} contains no files with extensions .png"
    )
    ds = DatasetFolder(tree, loader=str, extensions=(".png",), allow_empty=True)
    assert ds.classes == ["Zebra", "cat", "dog"] and ds.targets == [1, 2, 2]


def test_missing_root_and_root_without_classes_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"dataset folder not found: {tmp_path / 'no'}"):
        ImageFolder(tmp_path / "no")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=f"no class folders found in {tmp_path / 'flat'}"):
        ImageFolder(tmp_path / "flat")


def test_corrupt_image_error_names_its_path(tree):
    (tree / "cat" / "z.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(OSError, match=f"cannot decode image {tree / 'cat' / 'z.png'}"):
        ImageFolder(tree)[1]


def test_repr_names_the_class_and_root(tree):
    assert repr(ImageFolder(tree)).splitlines()[:3] == [
        "ImageFolder",
        "    Number of datapoints: 5",
        f"    Root location: {tree}",
    ]
