"""DatasetFolder and ImageFolder on tiny class folders made in tmp_path."""

import pytest

from vdata.datasets import DatasetFolder, ImageFolder
from vdata.datasets.folder import find_classes, has_file_allowed_extension, make_dataset


@pytest.fixture
def tree(tmp_path, write_image):
    root = tmp_path / "data"
    write_image(root / "dog" / "b.png", value=1)
    write_image(root / "dog" / "a.JPG", value=2)
    write_image(root / "dog" / "nested" / "c.png", value=3)
    (root / "dog" / "notes.txt").write_text("not an image")
    write_image(root / "cat" / "z.png", value=4)
    write_image(root / "Zebra" / "x.bmp", value=5)
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
    assert ds.imgs is ds.samples
    assert len(ds) == 5


def test_hidden_folders_are_classes_as_in_torchvision(tree, write_image):
    write_image(tree / ".ipynb_checkpoints" / "y.png", value=6)
    ds = ImageFolder(tree)
    assert ds.classes == [".ipynb_checkpoints", "Zebra", "cat", "dog"]
    assert ds.targets == [0, 1, 2, 3, 3, 3]


def test_find_classes_can_be_overridden(tree):
    class WithoutZebra(ImageFolder):
        def find_classes(self, directory):
            return ["cat", "dog"], {"cat": 0, "dog": 1}

    assert WithoutZebra(tree).targets == [0, 1, 1, 1]


def test_make_dataset_visits_classes_by_name_and_accepts_one_extension_string(tree):
    samples = make_dataset(tree, {"dog": 0, "cat": 1}, extensions=".png")
    assert [(p.removeprefix(str(tree)), t) for p, t in samples] == [
        ("/cat/z.png", 1),
        ("/dog/b.png", 0),
        ("/dog/nested/c.png", 0),
    ]
    assert len(make_dataset(tree, extensions=(".png", ".bmp"))) == 4
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        make_dataset(tree, {}, extensions=".png")
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None"):
        DatasetFolder.make_dataset(tree, None, extensions=".png")


def test_extensions_are_matched_against_the_lower_cased_name():
    assert has_file_allowed_extension("a/B.JPG", (".jpg",))
    assert not has_file_allowed_extension("a/b.jpg", (".JPG",))
    assert has_file_allowed_extension("b.tar.gz", ".gz")


def test_image_folder_loads_rgb_and_applies_transforms(tree):
    ds = ImageFolder(tree, transform=lambda im: im.getpixel((3, 2)), target_transform=str)
    assert ds[3] == ((1, 3, 2), "2")  # dog/b.png, PNG is exact: pixel (x, y) = (value, x, y)
    joint = ImageFolder(tree, transforms=lambda im, t: (im.mode, t + 10))
    assert joint[0] == ("RGB", 10)


def test_dataset_folder_with_custom_loader_and_is_valid_file(tree):
    # torchvision's positional order: root, loader, extensions, transform, target_transform,
    # is_valid_file.
    ds = DatasetFolder(
        tree,
        lambda path: path[-5:],
        None,
        None,
        None,
        lambda path: path.endswith(("c.png", "z.png", ".bmp")),
    )
    assert len(ds) == 3
    assert ds[2] == ("c.png", 2)
    picked = ImageFolder(tree, None, None, lambda p: p[-5:], lambda p: p.endswith("b.png"), True)
    assert picked.samples == [(str(tree / "dog" / "b.png"), 2)]


def test_dataset_folder_needs_exactly_one_way_to_pick_files(tree):
    with pytest.raises(ValueError, match="exactly one of extensions and is_valid_file"):
        DatasetFolder(tree, loader=str)
    with pytest.raises(ValueError, match="exactly one of extensions and is_valid_file"):
        DatasetFolder(tree, loader=str, extensions=(".png",), is_valid_file=bool)


def test_class_folders_without_valid_files_are_named_in_the_error(tree, tmp_path):
    (tree / "empty").mkdir()
    with pytest.raises(FileNotFoundError) as info:
        DatasetFolder(tree, loader=str, extensions=(".png",))
    assert str(info.value) == (
        f"Found no valid file for the classes Zebra, empty in {tree}. "
        "Supported extensions are: .png (pass allow_empty=True to keep empty classes)"
    )
    with pytest.raises(FileNotFoundError, match=r"classes empty in .* No file passed is_valid"):
        ImageFolder(tree, is_valid_file=lambda path: True)
    ds = DatasetFolder(tree, loader=str, extensions=(".png",), allow_empty=True)
    assert ds.classes == ["Zebra", "cat", "dog", "empty"] and ds.targets == [1, 2, 2]


def test_missing_root_and_root_without_classes_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"dataset folder not found: {tmp_path / 'no'}"):
        ImageFolder(tmp_path / "no")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "a.png").write_bytes(b"")
    with pytest.raises(
        FileNotFoundError, match=f"Couldn't find any class folder in {tmp_path / 'flat'}"
    ):
        find_classes(tmp_path / "flat")


def test_corrupt_image_error_names_its_path(tree):
    (tree / "cat" / "z.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(OSError, match=f"cannot decode image {tree / 'cat' / 'z.png'}"):
        ImageFolder(tree)[1]


def test_repr_names_the_class_and_root(tree):
    assert repr(ImageFolder(tree)).splitlines()[:3] == [
        "Dataset ImageFolder",
        "    Number of datapoints: 5",
        f"    Root location: {tree}",
    ]
