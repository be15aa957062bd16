"""KITTI and WIDER FACE on tiny files in their official layouts."""

import hashlib
import io
import zipfile

import pytest
import torch
from PIL import Image

from vdata.datasets import DatasetNotFoundError, RemoteFile
from vdata.datasets.kitti import Kitti
from vdata.datasets.widerface import WIDERFace

KITTI_LINES = [
    "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59",
    "DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10",
]


def write_png(path, size, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (value, 2 * value, 3)).save(path)


@pytest.fixture
def kitti_root(tmp_path):
    raw = tmp_path / "Kitti" / "raw"
    for index, stem in enumerate(["000001", "000000"]):
        write_png(raw / "training" / "image_2" / f"{stem}.png", (8, 5), 10 * index)
        (raw / "training" / "label_2").mkdir(parents=True, exist_ok=True)
    (raw / "training" / "label_2" / "000000.txt").write_text("\n".join(KITTI_LINES) + "\n")
    (raw / "training" / "label_2" / "000001.txt").write_text("")
    write_png(raw / "testing" / "image_2" / "000000.png", (6, 4), 99)
    return tmp_path


def test_kitti_lists_images_by_name_and_parses_their_labels(kitti_root):
    ds = Kitti(kitti_root)
    assert [p.rsplit("/", 1)[1] for p in ds.images] == ["000000.png", "000001.png"]
    image, target = ds[0]
    assert image.size == (8, 5) and image.getpixel((0, 0)) == (10, 20, 3)
    car, dont_care = target
    assert car == {
        "type": "Car",
        "truncated": 0.0,
        "occluded": 0,
        "alpha": -1.58,
        "bbox": [587.01, 173.33, 614.12, 200.12],
        "dimensions": [1.65, 1.67, 3.64],
        "location": [-0.65, 1.71, 46.7],
        "rotation_y": -1.59,
    }
    assert dont_care["type"] == "DontCare" and dont_care["occluded"] == -1
    assert ds[1][1] == []


def test_kitti_test_images_have_no_target(kitti_root):
    ds = Kitti(kitti_root, train=False, transform=lambda im: im.size)
    assert len(ds) == 1 and ds[0] == ((6, 4), None)


def test_kitti_bad_label_lines_and_missing_folders_are_named(kitti_root, tmp_path):
    label = kitti_root / "Kitti" / "raw" / "training" / "label_2" / "000001.txt"
    label.write_text("Car 0.0 0 1.0 1 2 3\n")
    with pytest.raises(ValueError, match=r"000001\.txt, line 1: 7 columns, expected 15"):
        Kitti(kitti_root)[1]
    label.write_text(KITTI_LINES[0].replace("587.01", "x") + "\n")
    with pytest.raises(ValueError, match=r"000001\.txt, line 1"):
        Kitti(kitti_root)[1]
    with pytest.raises(DatasetNotFoundError, match=r"training/image_2\. Pass download=True"):
        Kitti(tmp_path / "none")


def test_kitti_downloads_and_extracts_its_archives(tmp_path, http_server, route, monkeypatch):
    archives = {}
    for name, member, data in (
        ("data_object_image_2.zip", "training/image_2/000000.png", None),
        ("data_object_label_2.zip", "training/label_2/000000.txt", KITTI_LINES[0].encode()),
    ):
        if data is None:
            buffer = io.BytesIO()
            Image.new("RGB", (4, 3)).save(buffer, "PNG")
            data = buffer.getvalue()
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(member, data)
        archives[name] = archive.getvalue()
        http_server.routes[f"/kitti/{name}"] = route(archives[name])
    monkeypatch.setattr(Kitti, "data_url", http_server.url + "/kitti/")
    ds = Kitti(tmp_path, download=True)
    assert len(ds) == 1 and ds[0][1][0]["type"] == "Car"
    assert (tmp_path / "Kitti" / "raw" / "data_object_label_2.zip").is_file()


WIDER_TRAIN = """0--Parade/0_Parade_1.jpg
2
10 20 30 40 1 0 0 0 0 0
5 6 7 8 2 1 0 1 0 1
1--Handshaking/1_Handshaking_2.jpg
0
0 0 0 0 0 0 0 0 0 0
0--Parade/0_Parade_3.jpg
1
1 2 3 4 0 0 1 2 0 0
"""


@pytest.fixture
def wider_root(tmp_path):
    base = tmp_path / "widerface"
    for split, names in (
        (
            "train",
            [
                "0--Parade/0_Parade_1.jpg",
                "1--Handshaking/1_Handshaking_2.jpg",
                "0--Parade/0_Parade_3.jpg",
            ],
        ),
        ("val", []),
        ("test", ["9--Press/9_Press_1.jpg"]),
    ):
        (base / f"WIDER_{split}" / "images").mkdir(parents=True)
        for index, name in enumerate(names):
            write_png(base / f"WIDER_{split}" / "images" / name, (7, 5), index)
    split_dir = base / "wider_face_split"
    split_dir.mkdir()
    (split_dir / "wider_face_train_bbx_gt.txt").write_text(WIDER_TRAIN)
    (split_dir / "wider_face_val_bbx_gt.txt").write_text("")
    (split_dir / "wider_face_test_filelist.txt").write_text("9--Press/9_Press_1.jpg\n")
    return tmp_path


def test_widerface_parses_faces_and_their_flags(wider_root):
    ds = WIDERFace(wider_root)
    assert len(ds) == 3
    image, faces = ds[0]
    assert image.size == (7, 5)
    assert faces["bbox"].tolist() == [[10, 20, 30, 40], [5, 6, 7, 8]]
    assert faces["bbox"].dtype == torch.int64
    assert faces["blur"].tolist() == [1, 2] and faces["expression"].tolist() == [0, 1]
    assert faces["occlusion"].tolist() == [0, 1] and faces["invalid"].tolist() == [0, 1]
    assert ds[2][1]["illumination"].tolist() == [1] and ds[2][1]["occlusion"].tolist() == [2]
    assert ds.img_info[2]["img_path"].endswith("WIDER_train/images/0--Parade/0_Parade_3.jpg")


def test_widerface_image_without_faces_has_empty_tensors(wider_root):
    faces = WIDERFace(wider_root)[1][1]
    assert faces["bbox"].shape == (0, 4) and faces["pose"].shape == (0,)


def test_widerface_test_split_has_no_target_and_needs_only_its_folders(wider_root):
    import shutil

    shutil.rmtree(wider_root / "widerface" / "WIDER_val")
    ds = WIDERFace(wider_root, "test", transform=lambda im: im.size)
    assert len(ds) == 1 and ds[0] == ((7, 5), None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.jpg\nx\n", r"line 2: expected the face count of a\.jpg"),
        ("a.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n", r"ends within the faces of a\.jpg"),
        ("a.jpg\n1\n1 2 3 4 0 0\n", r"line 3: 6 columns, expected 10"),
        ("../a.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n", "not a relative path inside"),
    ],
)
def test_widerface_bad_annotation_files_are_named(wider_root, text, message):
    path = wider_root / "widerface" / "wider_face_split" / "wider_face_train_bbx_gt.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        WIDERFace(wider_root)


def test_widerface_bad_split_and_missing_folders(wider_root, tmp_path):
    with pytest.raises(ValueError, match="argument split"):
        WIDERFace(wider_root, "all")
    with pytest.raises(DatasetNotFoundError, match=r"wider_face_split\. Pass download=True"):
        WIDERFace(tmp_path / "none")


def test_widerface_downloads_the_split_and_the_annotations(
    tmp_path, http_server, route, monkeypatch
):
    files = []
    for name, member in (
        ("WIDER_train.zip", "WIDER_train/images/0--Parade/0_Parade_1.jpg"),
        ("wider_face_split.zip", "wider_face_split/wider_face_train_bbx_gt.txt"),
    ):
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zf:
            if name == "WIDER_train.zip":
                image = io.BytesIO()
                Image.new("RGB", (3, 2)).save(image, "JPEG")
                zf.writestr(member, image.getvalue())
            else:
                zf.writestr(member, "0--Parade/0_Parade_1.jpg\n1\n0 0 1 1 0 0 0 0 0 0\n")
        data = archive.getvalue()
        http_server.routes[f"/{name}"] = route(data)
        files.append(
            RemoteFile(name, (f"{http_server.url}/{name}",), hashlib.md5(data).hexdigest())
        )
    monkeypatch.setattr(WIDERFace, "IMAGE_FILES", {"train": files[0]})
    monkeypatch.setattr(WIDERFace, "ANNOTATIONS_FILE", files[1])
    ds = WIDERFace(tmp_path, download=True)
    assert len(ds) == 1 and ds[0][1]["bbox"].tolist() == [[0, 0, 1, 1]]
    assert (tmp_path / "widerface" / "WIDER_train.zip").is_file()
