"""vdata.datasets against torchvision.datasets on the same tiny files in the real layouts: the
same samples, of the same types (PIL image and mode, Tensor, ndarray, int), and the same
exception types for the same mistakes."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.io
import scipy.sparse
import torch
from classic_dataset_files import (
    idx_bytes,
    mnist_arrays,
    qmnist_labels,
    write_cifar10,
    write_cifar100,
    write_mnist,
)
from PIL import Image

from vdata import datasets

torchvision = pytest.importorskip("torchvision")
tv = torchvision.datasets


def write_image(path: Path, size=(6, 4), value: int = 0, mode: str = "RGB") -> None:
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([np.full_like(xs, value), xs * 7, ys * 11], axis=-1).astype(np.uint8)
    image = Image.fromarray(pixels)
    path.parent.mkdir(parents=True, exist_ok=True)
    (image.convert(mode) if mode != "RGB" else image).save(path)


def assert_same_value(ours, theirs) -> None:
    """Equal values of the same kind, recursively: PIL images by mode, size and pixels, tensors
    and arrays by dtype, shape and values."""
    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image)
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
        assert ours.tobytes() == theirs.tobytes()
        if theirs.mode == "P":
            assert ours.getpalette() == theirs.getpalette()
    elif isinstance(theirs, torch.Tensor):
        assert isinstance(ours, torch.Tensor)
        assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
        assert ours.equal(theirs)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray)
        assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
        np.testing.assert_array_equal(ours, theirs)
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same_value(a, b)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys()
        for key in theirs:
            assert_same_value(ours[key], theirs[key])
    else:
        assert type(ours) is type(theirs) and ours == theirs


def assert_same_samples(ours, theirs) -> None:
    assert len(ours) == len(theirs)
    for i in range(len(theirs)):
        assert_same_value(ours[i], theirs[i])


# --- DatasetFolder / ImageFolder ---------------------------------------------------------------


@pytest.fixture
def class_tree(tmp_path):
    root = tmp_path / "tree"
    write_image(root / "dog" / "b.png", value=1)
    write_image(root / "dog" / "a.JPG", value=2)
    write_image(root / "dog" / "nested" / "c.png", value=3, mode="L")
    (root / "dog" / "notes.txt").write_text("not an image")
    write_image(root / "cat" / "z.png", value=4, mode="RGBA")
    write_image(root / "Zebra" / "x.bmp", value=5)
    write_image(root / ".hidden" / "y.png", value=6)
    (root / "README").write_text("a file at the top is no class")
    return root


def test_image_folder_equals_torchvision(class_tree):
    ours, theirs = datasets.ImageFolder(class_tree), tv.ImageFolder(class_tree)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples and ours.imgs == theirs.imgs
    assert ours.targets == theirs.targets
    assert repr(ours).splitlines()[:3] == repr(theirs).splitlines()[:3]
    assert_same_samples(ours, theirs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"extensions": (".png",), "allow_empty": True},
        {"extensions": ".png", "allow_empty": True},
        {"extensions": (".png", ".bmp", ".jpg")},
        {"is_valid_file": lambda path: "b" in Path(path).name or path.endswith("y.png")},
    ],
)
def test_dataset_folder_equals_torchvision(class_tree, kwargs):
    if "is_valid_file" in kwargs:
        kwargs = {**kwargs, "allow_empty": True}
    ours = datasets.DatasetFolder(class_tree, loader=str, **kwargs)
    theirs = tv.DatasetFolder(class_tree, loader=str, **kwargs)
    assert ours.classes == theirs.classes and ours.samples == theirs.samples
    assert_same_samples(ours, theirs)


@pytest.mark.parametrize(
    ("error", "kwargs"),
    [
        (FileNotFoundError, {"extensions": (".png",)}),  # Zebra has none: empty without allow
        (ValueError, {}),
        (ValueError, {"extensions": (".png",), "is_valid_file": bool}),
    ],
)
def test_dataset_folder_raises_what_torchvision_raises(class_tree, error, kwargs):
    with pytest.raises(error):
        tv.DatasetFolder(class_tree, loader=str, **kwargs)
    with pytest.raises(error):
        datasets.DatasetFolder(class_tree, loader=str, **kwargs)


def test_folder_without_classes_raises_what_torchvision_raises(tmp_path):
    (tmp_path / "flat").mkdir()
    for root in (tmp_path / "flat", tmp_path / "missing"):
        with pytest.raises(FileNotFoundError):
            tv.ImageFolder(root)
        with pytest.raises(FileNotFoundError):
            datasets.ImageFolder(root)


# --- Caltech -----------------------------------------------------------------------------------


@pytest.fixture
def caltech_root(tmp_path):
    images = tmp_path / "caltech101" / "101_ObjectCategories"
    for category, count in [("BACKGROUND_Google", 1), ("Faces", 2), ("accordion", 1)]:
        for i in range(1, count + 1):
            write_image(images / category / f"image_{i:04d}.jpg", (8, 6), 30 * i)
    write_image(images / "accordion" / "image_0002.jpg", (5, 7), 99, mode="L")  # greyscale
    annotations = tmp_path / "caltech101" / "Annotations"
    for folder, number, contour in [
        ("Faces_2", 1, [[0.0, 4.0, 2.0], [0.0, 0.0, 3.0]]),
        ("Faces_2", 2, [[1.5, 2.0], [3.0, 1.0]]),
        ("accordion", 1, [[1.0, 2.5, 3.0, 0.5], [1.0, 4.0, 2.0, 2.0]]),
        ("accordion", 2, [[1.0], [2.0]]),
    ]:
        (annotations / folder).mkdir(parents=True, exist_ok=True)
        scipy.io.savemat(
            annotations / folder / f"annotation_{number:04d}.mat",
            {"box_coord": np.array([[2.0, 5.0, 3.0, 7.0]]), "obj_contour": np.array(contour)},
        )
    images256 = tmp_path / "caltech256" / "256_ObjectCategories"
    write_image(images256 / "001.ak47" / "001_0001.jpg", value=10)
    write_image(images256 / "001.ak47" / "001_0002.jpg", value=20, mode="L")
    write_image(images256 / "002.american-flag" / "002_0001.jpg", value=30)
    write_image(images256 / "003.backpack" / "003_0001.jpg", value=40)
    return tmp_path


@pytest.mark.parametrize(
    "target_type", ["category", "annotation", ["annotation", "category"], ["category"]]
)
def test_caltech101_equals_torchvision(caltech_root, target_type):
    ours = datasets.Caltech101(caltech_root, target_type)
    theirs = tv.Caltech101(caltech_root, target_type)
    assert ours.categories == theirs.categories
    assert ours.annotation_categories == theirs.annotation_categories
    assert (ours.y, ours.index) == (theirs.y, theirs.index)
    assert_same_samples(ours, theirs)


def test_caltech256_equals_torchvision(caltech_root):
    ours, theirs = datasets.Caltech256(caltech_root), tv.Caltech256(caltech_root)
    assert ours.categories == theirs.categories
    assert (ours.y, ours.index) == (theirs.y, theirs.index)
    assert_same_samples(ours, theirs)


@pytest.mark.parametrize("name", ["Caltech101", "Caltech256"])
def test_caltech_missing_folder_raises_what_torchvision_raises(tmp_path, name):
    with pytest.raises(RuntimeError):
        getattr(tv, name)(tmp_path)
    with pytest.raises(RuntimeError):
        getattr(datasets, name)(tmp_path)


def test_caltech101_bad_target_type_raises_what_torchvision_raises(caltech_root):
    with pytest.raises(ValueError):
        tv.Caltech101(caltech_root, "outline")
    with pytest.raises(ValueError, match="target_type"):
        datasets.Caltech101(caltech_root, "outline")


# --- CelebA ------------------------------------------------------------------------------------

# Two images per split: torchvision cannot build a split of a single image.
CELEBA_SPLITS = [0, 1, 2, 0, 1, 2]
CELEBA_NAMES = [f"{i:06d}.jpg" for i in range(1, 7)]


def celeba_table(header: str | None, rows: list[str]) -> str:
    lines = [f"{name} {row}" for name, row in zip(CELEBA_NAMES, rows, strict=True)]
    top = [] if header is None else [str(len(rows)), header]
    return "\n".join(top + lines) + "\n"


CELEBA_LISTS = {
    "list_eval_partition.txt": celeba_table(None, [str(s) for s in CELEBA_SPLITS]),
    "identity_CelebA.txt": celeba_table(None, ["2880", "12", "5", "7", "12", "1"]),
    # The official header ends in a space; the values are aligned with double spaces.
    "list_attr_celeba.txt": celeba_table(
        "5_o_Clock_Shadow Arched_Eyebrows Attractive ",
        ["-1  1  1", "-1 -1  1", " 1 -1 -1", "-1  1 -1", " 1  1  1", "-1 -1 -1"],
    ),
    "list_bbox_celeba.txt": celeba_table(
        "image_id x_1 y_1 width height",
        [f"   {95 + i}  {71 - i} 226 {313 + 2 * i}" for i in range(6)],
    ),
    "list_landmarks_align_celeba.txt": celeba_table(
        "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
        "rightmouth_x rightmouth_y",
        [" ".join(str(69 + i + 3 * k) for k in range(10)) for i in range(6)],
    ),
}


@pytest.fixture
def celeba_root(tmp_path, monkeypatch):
    base = tmp_path / "celeba"
    base.mkdir()
    for name, text in CELEBA_LISTS.items():
        (base / name).write_text(text)
    for i, name in enumerate(CELEBA_NAMES):
        write_image(base / "img_align_celeba" / name, (5, 6), 40 * i)
    # torchvision checks the list files against the MD5s of the official ones.
    monkeypatch.setattr(tv.CelebA, "_check_integrity", lambda self: True)
    return tmp_path


@pytest.mark.parametrize("split", ["train", "valid", "test", "all", "ALL"])
@pytest.mark.parametrize(
    "target_type", ["attr", "identity", "bbox", "landmarks", ["landmarks", "identity"], []]
)
def test_celeba_equals_torchvision(celeba_root, split, target_type):
    ours = datasets.CelebA(celeba_root, split, target_type)
    theirs = tv.CelebA(celeba_root, split, target_type)
    assert ours.filename == theirs.filename and ours.attr_names == theirs.attr_names
    for name in ("attr", "identity", "bbox", "landmarks_align"):
        assert_same_value(getattr(ours, name), getattr(theirs, name))
    assert ours.root == Path(theirs.root)
    assert_same_samples(ours, theirs)


@pytest.mark.parametrize("split", ["val", 1])
def test_celeba_bad_split_raises_what_torchvision_raises(celeba_root, split):
    with pytest.raises(ValueError) as theirs:
        tv.CelebA(celeba_root, split)
    with pytest.raises(ValueError) as ours:
        datasets.CelebA(celeba_root, split)
    assert str(ours.value).startswith(str(theirs.value)[:-1])  # same words, and what it got


def test_celeba_bad_target_type_raises_what_torchvision_raises(celeba_root, monkeypatch):
    # torchvision opens the image before it rejects the target type, and the traceback keeps
    # the file open; give it an image that holds no file.
    blank = SimpleNamespace(open=lambda path: Image.new("RGB", (1, 1)))
    monkeypatch.setattr(torchvision.datasets.celeba, "PIL", SimpleNamespace(Image=blank))
    with pytest.raises(ValueError) as theirs:
        tv.CelebA(celeba_root, target_type=["attr", "age"])[0]  # torchvision: on reading
    with pytest.raises(ValueError) as ours:
        datasets.CelebA(celeba_root, target_type=["attr", "age"])
    assert str(ours.value).startswith(str(theirs.value)[:-1])
    with pytest.raises(RuntimeError):
        tv.CelebA(celeba_root, target_type=[], target_transform=str)
    with pytest.raises(RuntimeError):
        datasets.CelebA(celeba_root, target_type=[], target_transform=str)


# --- COCO --------------------------------------------------------------------------------------


@pytest.fixture
def coco_files(tmp_path):
    write_image(tmp_path / "images" / "sub" / "a.jpg", (8, 6), 10)
    write_image(tmp_path / "images" / "b.png", (8, 6), 20, mode="L")
    write_image(tmp_path / "images" / "c.png", (8, 6), 30)
    data = {
        "images": [
            {"id": 7, "file_name": "b.png", "height": 6, "width": 8},
            {"id": 3, "file_name": "sub/a.jpg", "height": 6, "width": 8},
            {"id": 10, "file_name": "c.png", "height": 6, "width": 8},
        ],
        "annotations": [
            {"id": 2, "image_id": 3, "category_id": 1, "bbox": [1, 0, 2, 3], "area": 6,
             "iscrowd": 0, "segmentation": [[1, 0, 3, 0, 3, 3, 1, 3]], "caption": "two"},
            {"id": 1, "image_id": 7, "category_id": 2, "bbox": [0, 0, 4, 4], "area": 16,
             "iscrowd": 0, "segmentation": [[0, 0, 4, 0, 4, 4]], "caption": "one"},
            {"id": 5, "image_id": 3, "category_id": 2, "bbox": [4, 1, 3, 2], "area": 6,
             "iscrowd": 1, "segmentation": {"size": [6, 8], "counts": [10, 5, 33]},
             "caption": "three"},
        ],
        "categories": [{"id": 1, "name": "person"}, {"id": 2, "name": "car"}],
    }  # fmt: skip
    ann_file = tmp_path / "annotations.json"
    ann_file.write_text(json.dumps(data))
    return tmp_path / "images", ann_file


@pytest.mark.parametrize("name", ["CocoDetection", "CocoCaptions"])
def test_coco_equals_torchvision(coco_files, name, capsys):
    ours = getattr(datasets, name)(*coco_files)
    theirs = getattr(tv, name)(*coco_files)
    assert ours.ids == theirs.ids
    assert_same_samples(ours, theirs)
    assert ours.coco.getAnnIds(imgIds=[3]) == theirs.coco.getAnnIds(imgIds=[3])


@pytest.mark.parametrize("index", [slice(0, 2), 1.5, "0"])
def test_coco_non_int_index_raises_what_torchvision_raises(coco_files, index, capsys):
    with pytest.raises(ValueError):
        tv.CocoDetection(*coco_files)[index]
    with pytest.raises(ValueError, match="index must be an int"):
        datasets.CocoDetection(*coco_files)[index]


# --- SBD and VOC -------------------------------------------------------------------------------


@pytest.fixture
def sbd_root(tmp_path):
    root = tmp_path / "sbd"
    (root / "cls").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, name in enumerate(["2008_000002", "2008_000003"]):
        write_image(root / "img" / f"{name}.jpg", (4, 3), 100 * i)
        segmentation = rng.integers(0, 21, (3, 4)).astype(np.uint8)
        cell = np.empty((20, 1), dtype=object)
        for k in range(20):
            cell[k, 0] = scipy.sparse.csc_matrix(segmentation == k + 1)
        scipy.io.savemat(
            root / "cls" / f"{name}.mat",
            {"GTcls": {"Segmentation": segmentation, "Boundaries": cell}},
        )
    (root / "train.txt").write_text("2008_000002\n2008_000003\n")
    (root / "val.txt").write_text("2008_000003\n")
    return root


@pytest.mark.parametrize("mode", ["segmentation", "boundaries"])
@pytest.mark.parametrize("image_set", ["train", "val"])
def test_sbd_equals_torchvision(sbd_root, image_set, mode):
    ours = datasets.SBDataset(sbd_root, image_set, mode)
    theirs = tv.SBDataset(sbd_root, image_set, mode)
    assert [str(p) for p in ours.masks] == theirs.masks
    assert_same_samples(ours, theirs)


def test_sbd_bad_arguments_and_missing_folder_raise_what_torchvision_raises(sbd_root, tmp_path):
    for kwargs in ({"image_set": "test"}, {"mode": "edges"}):
        with pytest.raises(ValueError):
            tv.SBDataset(sbd_root, **kwargs)
        with pytest.raises(ValueError):
            datasets.SBDataset(sbd_root, **kwargs)
    with pytest.raises(RuntimeError):
        tv.SBDataset(tmp_path / "none")
    with pytest.raises(RuntimeError):
        datasets.SBDataset(tmp_path / "none")


VOC_XML = """<annotation>
  <folder>VOC2012</folder><filename>{name}.jpg</filename>
  <size><width>6</width><height>4</height><depth>3</depth></size>
  <segmented>0</segmented>
  {objects}
</annotation>"""
VOC_OBJECT = """<object><name>{cls}</name><pose>Left</pose><truncated>0</truncated>
  <difficult>{d}</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>5</xmax><ymax>4</ymax>
  </bndbox></object>"""


@pytest.fixture
def voc_root(tmp_path):
    voc = tmp_path / "VOCdevkit" / "VOC2012"
    names = ["2007_000032", "2007_000033", "2007_000039"]
    for i, name in enumerate(names):
        write_image(voc / "JPEGImages" / f"{name}.jpg", (6, 4), 60 * i)
        objects = "".join(VOC_OBJECT.format(cls="dog", d=k % 2) for k in range(i))
        (voc / "Annotations").mkdir(parents=True, exist_ok=True)
        (voc / "Annotations" / f"{name}.xml").write_text(VOC_XML.format(name=name, objects=objects))
        mask = Image.fromarray(np.full((4, 6), i, dtype=np.uint8))
        mask.putpalette([v for c in range(256) for v in (c, 255 - c, c // 2)])
        (voc / "SegmentationClass").mkdir(exist_ok=True)
        mask.save(voc / "SegmentationClass" / f"{name}.png")
    for task in ("Main", "Segmentation"):
        (voc / "ImageSets" / task).mkdir(parents=True)
        (voc / "ImageSets" / task / "train.txt").write_text("\n".join(names) + "\n")
        (voc / "ImageSets" / task / "val.txt").write_text(names[1] + "\n")
    return tmp_path


@pytest.mark.parametrize("name", ["VOCSegmentation", "VOCDetection"])
@pytest.mark.parametrize("image_set", ["train", "val"])
def test_voc_equals_torchvision(voc_root, name, image_set):
    ours = getattr(datasets, name)(voc_root, "2012", image_set)
    theirs = getattr(tv, name)(voc_root, "2012", image_set)
    assert [str(p) for p in ours.targets] == theirs.targets
    assert_same_samples(ours, theirs)


def test_voc_missing_folder_and_bad_year_raise_what_torchvision_raises(tmp_path, voc_root):
    with pytest.raises(RuntimeError):
        tv.VOCDetection(tmp_path / "none")
    with pytest.raises(RuntimeError):
        datasets.VOCDetection(tmp_path / "none")
    for kwargs in ({"year": "2013"}, {"image_set": "test"}):
        with pytest.raises(ValueError):
            tv.VOCDetection(voc_root, **kwargs)
        with pytest.raises(ValueError):
            datasets.VOCDetection(voc_root, **kwargs)


# --- FakeData ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_size", "num_classes", "random_offset"),
    [((3, 6, 5), 10, 0), ((1, 4, 4), 3, 5), ((3, 2, 7), 1000, 11)],
)
def test_fakedata_equals_torchvision(image_size, num_classes, random_offset):
    ours = datasets.FakeData(6, image_size, num_classes, random_offset=random_offset)
    theirs = tv.FakeData(6, image_size, num_classes, random_offset=random_offset)
    assert_same_samples(ours, theirs)
    with pytest.raises(IndexError):
        theirs[6]
    with pytest.raises(IndexError):
        ours[6]


# --- ImageNet ----------------------------------------------------------------------------------


@pytest.fixture
def imagenet_root(tmp_path):
    """Extracted split folders and the parsed devkit, in each library's cache format."""
    classes = {"n01440764": ("tench", "Tinca tinca"), "n02012849": ("crane",)}
    val_wnids = ["n02012849", "n01440764", "n02012849"]
    for k, wnid in enumerate(classes):
        for i in range(2 - k):
            write_image(tmp_path / "train" / wnid / f"{wnid}_{i}.JPEG", (4, 3), 50 * i)
    for i, wnid in enumerate(val_wnids, start=1):
        write_image(tmp_path / "val" / wnid / f"ILSVRC2012_val_{i:08d}.JPEG", (4, 3), i)
    torch.save((classes, val_wnids), tmp_path / "meta.bin")
    meta = {"wnid_to_classes": {w: list(c) for w, c in classes.items()}, "val_wnids": val_wnids}
    (tmp_path / "imagenet_meta.json").write_text(json.dumps(meta))
    return tmp_path


@pytest.mark.parametrize("split", ["train", "val"])
def test_imagenet_equals_torchvision(imagenet_root, split):
    ours = datasets.ImageNet(imagenet_root, split)
    theirs = tv.ImageNet(imagenet_root, split)
    assert (ours.wnids, ours.wnid_to_idx) == (theirs.wnids, theirs.wnid_to_idx)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.samples == theirs.samples and ours.split == theirs.split
    assert_same_samples(ours, theirs)


def test_imagenet_bad_split_raises_what_torchvision_raises(imagenet_root):
    with pytest.raises(ValueError):
        tv.ImageNet(imagenet_root, "test")
    with pytest.raises(ValueError, match="argument split"):
        datasets.ImageNet(imagenet_root, "test")


def test_imagenet_passes_image_folder_arguments_on_like_torchvision(imagenet_root):
    kwargs = {"is_valid_file": lambda path: path.endswith("_0.JPEG"), "allow_empty": True}
    ours = datasets.ImageNet(imagenet_root, "train", **kwargs)
    theirs = tv.ImageNet(imagenet_root, "train", **kwargs)
    assert ours.samples == theirs.samples and len(ours) == 2


# --- CIFAR and the MNIST family -----------------------------------------------------------------


@pytest.fixture
def unchecked_torchvision_cifar(monkeypatch):
    """torchvision's CIFAR checks every file's published MD5, which tiny test files cannot
    have; with the check off it reads them as it reads the real ones."""
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args: True)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize(
    ("name", "write"), [("CIFAR10", write_cifar10), ("CIFAR100", write_cifar100)]
)
def test_cifar_equals_torchvision(tmp_path, unchecked_torchvision_cifar, name, write, train):
    write(tmp_path)
    ours, theirs = getattr(datasets, name)(tmp_path, train), getattr(tv, name)(tmp_path, train)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert ours.targets == theirs.targets
    assert_same_value(ours.data, theirs.data)
    assert_same_samples(ours, theirs)
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


def test_cifar_missing_folder_raises_what_torchvision_raises(tmp_path):
    with pytest.raises(RuntimeError):
        tv.CIFAR10(tmp_path)
    with pytest.raises(RuntimeError, match="cifar-10-batches-py"):
        datasets.CIFAR10(tmp_path)


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST", "KMNIST"])
@pytest.mark.parametrize("train", [True, False])
def test_mnist_family_equals_torchvision(tmp_path, name, train):
    raw = tmp_path / name / "raw"
    write_mnist(raw, "train", *mnist_arrays(4, 0), gz=False)
    write_mnist(raw, "t10k", *mnist_arrays(3, 1), gz=False)
    ours, theirs = getattr(datasets, name)(tmp_path, train), getattr(tv, name)(tmp_path, train)
    assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
    assert_same_value(ours.data, theirs.data)
    assert_same_value(ours.targets, theirs.targets)
    assert_same_samples(ours, theirs)
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


def test_mnist_missing_files_raise_what_torchvision_raises(tmp_path):
    with pytest.raises(RuntimeError):
        tv.MNIST(tmp_path)
    with pytest.raises(RuntimeError, match="MNIST"):
        datasets.MNIST(tmp_path)


@pytest.mark.parametrize("split", ["letters", "balanced"])
def test_emnist_equals_torchvision(tmp_path, split):
    raw = tmp_path / "EMNIST" / "raw"
    for part in ("train", "test"):
        write_mnist(raw, f"emnist-{split}-{part}", *mnist_arrays(3, 7), gz=False)
    ours, theirs = datasets.EMNIST(tmp_path, split), tv.EMNIST(tmp_path, split)
    assert ours.classes == theirs.classes and ours.split == theirs.split
    assert_same_value(ours.data, theirs.data)
    assert_same_samples(ours, theirs)


@pytest.mark.parametrize("what", ["train", "test", "test10k", "test50k", "nist"])
@pytest.mark.parametrize("compat", [True, False])
def test_qmnist_equals_torchvision(tmp_path, what, compat):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix in ("qmnist-train", "qmnist-test", "xnist"):
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(idx_bytes(mnist_arrays(3, 0)[0], 0x08))
        (raw / f"{prefix}-labels-idx2-int").write_bytes(idx_bytes(qmnist_labels(3, 1), 0x0C))
    ours = datasets.QMNIST(tmp_path, what, compat=compat)
    theirs = tv.QMNIST(tmp_path, what, compat=compat)
    assert_same_value(ours.targets, theirs.targets)
    assert_same_samples(ours, theirs)
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]


# --- wrap_dataset_for_transforms_v2 -------------------------------------------------------------


def assert_same_typed(ours, theirs) -> None:
    """As :func:`assert_same_value`, with typed tensors compared by type name, metadata and
    values (the two libraries' tensor types do not mix in one torch call)."""
    if isinstance(theirs, torch.Tensor):
        assert type(ours).__name__ == type(theirs).__name__
        for name in ("canvas_size", "clamping_mode"):
            assert getattr(ours, name, None) == getattr(theirs, name, None)
        if hasattr(theirs, "format"):
            assert ours.format.name == theirs.format.name
        assert_same_value(ours.as_subclass(torch.Tensor), theirs.as_subclass(torch.Tensor))
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys()
        for key in theirs:
            assert_same_typed(ours[key], theirs[key])
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same_typed(a, b)
    else:
        assert_same_value(ours, theirs)


def assert_same_wrapped(ours, theirs, target_keys=None) -> None:
    wrapped = datasets.wrap_dataset_for_transforms_v2(ours, target_keys)
    their_wrapped = tv.wrap_dataset_for_transforms_v2(theirs, target_keys)
    assert isinstance(wrapped, type(ours)) and len(wrapped) == len(their_wrapped)
    for i in range(len(their_wrapped)):
        assert_same_typed(wrapped[i], their_wrapped[i])


# torchvision decodes masks with pycocotools, whose buffers predate NumPy 2's copy protocol.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
@pytest.mark.parametrize("target_keys", [None, "all", {"boxes", "masks", "labels"}])
def test_wrapped_coco_equals_torchvision(coco_files, target_keys, capsys):
    assert_same_wrapped(
        datasets.CocoDetection(*coco_files), tv.CocoDetection(*coco_files), target_keys
    )


# torchvision decodes masks with pycocotools, whose buffers predate NumPy 2's copy protocol.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
def test_coco_tv_tensors_format_equals_torchvision_wrapped_coco(coco_files, capsys):
    ours = datasets.CocoDetection(*coco_files, target_format="tv_tensors")
    keys = {"image_id", "boxes", "masks", "labels"}
    theirs = tv.wrap_dataset_for_transforms_v2(tv.CocoDetection(*coco_files), keys)
    to_image = torchvision.transforms.v2.functional.to_image
    for i in range(len(theirs)):
        image, target = ours[i]
        their_image, their_target = theirs[i]
        if len(their_target) == 1:  # torchvision gives an image without objects its id only
            assert (
                target["boxes"].shape == (0, 4) and target["image_id"] == their_target["image_id"]
            )
            continue
        # torchvision's boxes keep the json's number type (ints here); ours are float32.
        their_target["boxes"] = their_target["boxes"].to(torch.float32)
        assert_same_typed(
            (image, {key: target[key] for key in keys}), (to_image(their_image), their_target)
        )


@pytest.mark.parametrize("target_keys", [None, "all"])
def test_wrapped_voc_detection_equals_torchvision(voc_root, target_keys):
    ours = datasets.VOCDetection(voc_root, "2012", "val")
    assert_same_wrapped(ours, tv.VOCDetection(voc_root, "2012", "val"), target_keys)


def test_wrapped_segmentation_and_celeba_equal_torchvision(voc_root, celeba_root):
    assert_same_wrapped(
        datasets.VOCSegmentation(voc_root, "2012", "train"),
        tv.VOCSegmentation(voc_root, "2012", "train"),
    )
    assert_same_wrapped(
        datasets.CelebA(celeba_root, "all", ["bbox", "identity"]),
        tv.CelebA(celeba_root, "all", ["bbox", "identity"]),
    )


def test_wrapped_classification_datasets_are_unchanged(tmp_path, unchecked_torchvision_cifar):
    write_cifar10(tmp_path)
    assert_same_wrapped(datasets.CIFAR10(tmp_path, False), tv.CIFAR10(tmp_path, False))


def test_wrapper_refuses_what_torchvision_refuses(coco_files, celeba_root, capsys):
    for build in (
        lambda lib: lib.wrap_dataset_for_transforms_v2(lib.CocoDetection(*coco_files), ["nope"]),
        lambda lib: lib.wrap_dataset_for_transforms_v2(lib.CocoDetection(*coco_files), 3),
        lambda lib: lib.wrap_dataset_for_transforms_v2(lib.CelebA(celeba_root), {"bbox"}),
    ):
        with pytest.raises(ValueError):
            build(tv)
        with pytest.raises(ValueError):
            build(datasets)
    for lib in (tv, datasets):
        with pytest.raises(RuntimeError):
            lib.wrap_dataset_for_transforms_v2(lib.CelebA(celeba_root, target_type="attr"))
