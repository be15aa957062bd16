"""CelebA on a tiny copy of its layout: the whitespace-separated list files with their headers."""

import hashlib
import re
import zipfile

import pytest
import torch

from vdata.datasets import CelebA, RemoteFile, celeba

PARTITION = "000001.jpg 0\n000002.jpg 1\n000003.jpg 2\n000004.jpg 0\n"
# Rows deliberately not in partition order: rows are matched by file name.
IDENTITY = "000004.jpg 7\n000001.jpg 2880\n000003.jpg 5\n000002.jpg 12\n"
ATTR = (
    "4\n"
    "5_o_Clock_Shadow Arched_Eyebrows Attractive \n"
    "000001.jpg -1  1  1\n"
    "000002.jpg -1 -1  1\n"
    "000003.jpg  1 -1 -1\n"
    "000004.jpg -1  1 -1\n"
)
BBOX = (
    "4\n"
    "image_id x_1 y_1 width height\n"
    "000001.jpg    95  71 226 313\n"
    "000002.jpg    72  94 221 306\n"
    "000003.jpg   216  59  91 126\n"
    "000004.jpg   622 257 564 781\n"
)
LANDMARKS = (
    "4\n"
    "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
    "rightmouth_x rightmouth_y\n"
    "000001.jpg 69  109  106  113   77  142   73  152  108  154\n"
    "000002.jpg 69  110  107  112   81  135   70  151  108  153\n"
    "000003.jpg 76  112  104  106  108  128   74  156   98  158\n"
    "000004.jpg 72  113  108  108  101  138   71  155  101  151\n"
)
LISTS = {
    "list_eval_partition.txt": PARTITION,
    "identity_CelebA.txt": IDENTITY,
    "list_attr_celeba.txt": ATTR,
    "list_bbox_celeba.txt": BBOX,
    "list_landmarks_align_celeba.txt": LANDMARKS,
}


def make_celeba(base, write_image, lists=LISTS):
    for name, text in lists.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text)
    for i in range(1, 5):
        write_image(base / "img_align_celeba" / f"{i:06d}.jpg", size=(5, 6), value=40 * i)


@pytest.fixture
def root(tmp_path, write_image):
    make_celeba(tmp_path / "celeba", write_image)
    return tmp_path


@pytest.mark.parametrize(
    ("split", "files"),
    [
        ("train", ["000001.jpg", "000004.jpg"]),
        ("valid", ["000002.jpg"]),
        ("test", ["000003.jpg"]),
        ("all", ["000001.jpg", "000002.jpg", "000003.jpg", "000004.jpg"]),
    ],
)
def test_celeba_splits(root, split, files):
    ds = CelebA(root, split=split.upper())
    assert ds.filename == files and ds.split == split
    assert len(ds) == len(files)


def test_celeba_attributes_become_zero_one(root):
    ds = CelebA(root, split="train")
    # The header line ends in a space, like the official file's: torchvision reads a last,
    # empty name from it.
    assert ds.attr_names == ["5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", ""]
    assert ds.attr.tolist() == [[0, 1, 1], [0, 1, 0]]
    image, attr = ds[1]
    assert (image.mode, image.size) == ("RGB", (5, 6))
    assert attr.dtype == torch.int64
    assert attr.tolist() == [0, 1, 0]
    assert ds[0][1].tolist() == [0, 1, 1]


def test_celeba_all_target_types_matched_by_file_name(root):
    ds = CelebA(root, split="all", target_type=["identity", "bbox", "landmarks", "attr"])
    identity, bbox, landmarks, attr = ds[3][1]
    assert identity.dtype == torch.int64 and identity.shape == () and identity == 7
    assert bbox.tolist() == [622, 257, 564, 781]
    assert landmarks.tolist() == [72, 113, 108, 108, 101, 138, 71, 155, 101, 151]
    assert attr.tolist() == [0, 1, 0]
    assert [ds[i][1][0] for i in range(4)] == [2880, 12, 5, 7]
    assert ds.identity.tolist() == [[2880], [12], [5], [7]]
    assert ds.bbox.shape == (4, 4) and ds.landmarks_align.shape == (4, 10)
    assert ds.landmarks_align[3].tolist() == landmarks.tolist()


def test_celeba_root_is_the_parent_folder_as_in_torchvision(root):
    ds = CelebA(root, "test", "bbox", None, None, False)  # torchvision's positional order
    assert ds.root == root and ds.base_folder == "celeba"
    assert ds[0][1].tolist() == [216, 59, 91, 126]


def test_celeba_empty_target_type_gives_none_and_transforms_apply(root):
    ds = CelebA(root, split="test", target_type=[], transform=lambda im: im.getpixel((0, 0)))
    pixel, target = ds[0]
    assert target is None
    assert abs(pixel[0] - 120) <= 8  # value 40 * 3, through JPEG
    joint = CelebA(root, split="test", target_type="identity", transforms=lambda i, t: (t, i))
    assert joint[0][0] == 5


def test_celeba_rejects_bad_arguments(root):
    with pytest.raises(
        ValueError,
        match=r"Unknown value 'val' for argument split\. "
        r"Valid values are \{'train', 'valid', 'test', 'all'\}\.",
    ):
        CelebA(root, split="val")
    with pytest.raises(ValueError, match="Expected type str for argument split"):
        CelebA(root, split=0)
    with pytest.raises(ValueError, match='Target type "age" is not recognized: target_type'):
        CelebA(root, target_type=["attr", "age"])
    with pytest.raises(RuntimeError, match="target_transform is specified but target_type"):
        CelebA(root, target_type=[], target_transform=lambda t: t)


def test_celeba_missing_list_file_is_named(tmp_path, write_image):
    lists = {k: v for k, v in LISTS.items() if k != "list_bbox_celeba.txt"}
    make_celeba(tmp_path / "celeba", write_image, lists)
    with pytest.raises(
        FileNotFoundError, match=re.escape("list_bbox_celeba.txt. Pass download=True")
    ):
        CelebA(tmp_path)
    with pytest.raises(RuntimeError, match="dataset folder not found"):  # torchvision's type
        CelebA(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("list_attr_celeba.txt", ATTR.replace("4\n", "5\n", 1), "header announces 5 rows, found 4"),
        ("list_attr_celeba.txt", ATTR.split("\n", 1)[1], "expected a row count and a header"),
        ("list_bbox_celeba.txt", BBOX.replace(" 313", ""), "line 3: expected a file name and 4"),
        ("identity_CelebA.txt", IDENTITY.replace(" 5\n", " five\n"), "line 3: invalid literal"),
        ("identity_CelebA.txt", IDENTITY.replace("000003.jpg 5\n", ""), "no row for 000003.jpg"),
    ],
)
def test_celeba_malformed_list_files_are_named(tmp_path, write_image, name, text, message):
    make_celeba(tmp_path / "celeba", write_image, {**LISTS, name: text})
    with pytest.raises(ValueError, match=f"{tmp_path / 'celeba' / name}.*{message}"):
        CelebA(tmp_path)


def test_celeba_missing_image_is_named(root):
    (root / "celeba" / "img_align_celeba" / "000004.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=re.escape("img_align_celeba/000004.jpg")):
        CelebA(root)[1]


def test_celeba_file_name_escaping_the_root_is_rejected(tmp_path, write_image):
    partition = PARTITION.replace("000004.jpg", "../../secret.jpg")
    lists = {name: text.replace("000004.jpg", "../../secret.jpg") for name, text in LISTS.items()}
    make_celeba(tmp_path / "celeba", write_image, {**lists, "list_eval_partition.txt": partition})
    ds = CelebA(tmp_path)
    with pytest.raises(
        ValueError, match=re.escape("names '../../secret.jpg', which is not a relative path")
    ):
        ds[1]


def test_celeba_downloads_lists_and_image_zip(
    tmp_path, write_image, http_server, route, monkeypatch
):
    make_celeba(tmp_path / "staging", write_image)
    with zipfile.ZipFile(tmp_path / "img_align_celeba.zip", "w") as zf:
        for i in range(1, 5):
            name = f"img_align_celeba/{i:06d}.jpg"
            zf.write(tmp_path / "staging" / name, name)
    files = {"img_align_celeba.zip": (tmp_path / "img_align_celeba.zip").read_bytes()}
    files |= {name: text.encode() for name, text in LISTS.items()}
    remotes = []
    for name, data in files.items():
        http_server.routes[f"/{name}"] = route(data)
        remotes.append(
            RemoteFile(name, (f"{http_server.url}/{name}",), md5=hashlib.md5(data).hexdigest())
        )
    monkeypatch.setattr(celeba, "CELEBA_FILES", tuple(remotes))
    ds = CelebA(tmp_path / "root", split="all", target_type="identity", download=True)
    assert [int(ds[i][1]) for i in range(4)] == [2880, 12, 5, 7]
