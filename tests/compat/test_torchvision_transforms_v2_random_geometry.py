"""The random crop and resize transforms of vdata.transforms.v2 against torchvision's: under
the same seed, the same outputs, types and metadata on the same sample (resampled images within
one uint8 level), and the same generator state afterwards."""

import warnings

import PIL.Image
import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours_tv
from vdata.transforms.v2 import _crop_functional as ours_F
from vdata.transforms.v2 import _random_geometry as ours

theirs = pytest.importorskip("torchvision.transforms.v2")
tv = pytest.importorskip("torchvision.tv_tensors")

XYXY = torch.tensor([[2.0, 3.0, 20.0, 15.0], [30.0, 1.0, 36.0, 24.0], [5.0, 5.0, 9.0, 9.0]])


def _sample(module, box_format="XYXY", box_dtype=torch.float32):
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, 24, 36), dtype=torch.uint8, generator=generator)
    boxes = XYXY if box_format == "XYXY" else torch.cat([XYXY[:, :2], XYXY[:, 2:] - XYXY[:, :2]], 1)
    masks = torch.zeros(3, 24, 36, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(XYXY.long().tolist()):
        masks[k, y1:y2, x1:x2] = 1
    points = torch.tensor([[1.0, 2.0], [35.0, 23.0], [10.0, 10.0]])
    return {
        "image": module.Image(image),
        "boxes": module.BoundingBoxes(boxes.to(box_dtype), format=box_format, canvas_size=(24, 36)),
        "masks": module.Mask(masks),
        "keypoints": module.KeyPoints(points, canvas_size=(24, 36)),
        "labels": torch.tensor([1, 2, 3]),
    }


def _tv_of(module):
    return ours_tv if module is ours else tv


RESAMPLING = {"random_resized_crop", "random_resize", "random_shortest_size", "scale_jitter"}
CASES = {
    "random_crop": lambda m: m.RandomCrop((14, 20)),
    "random_crop_padding": lambda m: m.RandomCrop(20, padding=[1, 2, 3, 4], fill=7),
    "random_crop_pad_if_needed": lambda m: m.RandomCrop((30, 40), pad_if_needed=True),
    "random_crop_fill_dict": lambda m: m.RandomCrop(
        26, padding=2, pad_if_needed=True, fill={_tv_of(m).Image: 9, "others": 1}
    ),
    "random_resized_crop": lambda m: m.RandomResizedCrop((16, 20)),
    "random_resize": lambda m: m.RandomResize(10, 40),
    "random_shortest_size": lambda m: m.RandomShortestSize([10, 20, 30], max_size=40),
    "scale_jitter": lambda m: m.ScaleJitter((40, 30)),
    "random_iou_crop": lambda m: m.RandomIoUCrop(),
    "random_iou_crop_strict": lambda m: m.RandomIoUCrop(sampler_options=[0.3, 0.5], trials=5),
    "random_zoom_out_default": lambda m: m.RandomZoomOut(),
    "random_zoom_out": lambda m: m.RandomZoomOut(
        fill={_tv_of(m).Image: [1, 2, 3], "others": 0}, side_range=(1.0, 2.5)
    ),
}
BOXES = [("XYXY", torch.float32), ("XYWH", torch.float32), ("XYXY", torch.int64)]


def _run(transform, tv_module, box, seed):
    torch.manual_seed(seed)
    out = transform(_sample(tv_module, *box))
    return out, torch.rand(3)


@pytest.mark.parametrize("box", BOXES, ids=lambda b: f"{b[0]}-{b[1]}".replace("torch.", ""))
@pytest.mark.parametrize("name", CASES)
def test_same_output_as_torchvision_under_a_seed(name, box):
    mine_t, their_t = CASES[name](ours), CASES[name](theirs)
    atol = 1 if name in RESAMPLING else 0
    for seed in range(6):
        mine, mine_next = _run(mine_t, ours_tv, box, seed)
        their, their_next = _run(their_t, tv, box, seed)
        assert_same_typed(mine, their, image_atol=atol)
        assert torch.equal(mine_next, their_next)  # the same number of draws


def test_same_fallback_crop_as_torchvision():
    sample_mine, sample_their = _sample(ours_tv), _sample(tv)
    mine_t = ours.RandomResizedCrop(8, scale=(3.0, 4.0), ratio=(0.5, 0.6))
    their_t = theirs.RandomResizedCrop(8, scale=(3.0, 4.0), ratio=(0.5, 0.6))
    torch.manual_seed(0)
    mine = mine_t.make_params([sample_mine["image"]])
    torch.manual_seed(0)
    assert mine == their_t.make_params([sample_their["image"]])


@pytest.mark.parametrize("name", ["five_crop", "ten_crop"])
def test_multi_crops_as_torchvision(name):
    size = (10, 16)
    mine_t = getattr(ours, "FiveCrop" if name == "five_crop" else "TenCrop")(size)
    their_t = getattr(theirs, "FiveCrop" if name == "five_crop" else "TenCrop")(size)
    mine_sample, their_sample = _sample(ours_tv), _sample(tv)
    with warnings.catch_warnings(record=True) as mine_warnings:
        warnings.simplefilter("always")
        mine = mine_t(mine_sample["image"], mine_sample["keypoints"], 5)
    with warnings.catch_warnings(record=True) as their_warnings:
        warnings.simplefilter("always")
        their = their_t(their_sample["image"], their_sample["keypoints"], 5)
    assert_same_typed(mine, their)
    assert [str(w.message) for w in mine_warnings] == [str(w.message) for w in their_warnings]
    for key in ("boxes", "masks"):
        with pytest.raises(TypeError) as mine_error:
            mine_t({"image": mine_sample["image"], key: mine_sample[key]})
        with pytest.raises(TypeError) as their_error:
            their_t({"image": their_sample["image"], key: their_sample[key]})
        assert str(mine_error.value) == str(their_error.value)


def _as_inputs(tv_module, *box):
    sample = _sample(tv_module, *box)
    image = sample["image"]
    return {
        "image": image,
        "tensor": image.as_subclass(torch.Tensor),
        "pil": PIL.Image.fromarray(image.permute(1, 2, 0).numpy()),
        "video": tv_module.Video(image.as_subclass(torch.Tensor).expand(2, -1, -1, -1)),
        **{k: sample[k] for k in ("boxes", "masks", "keypoints")},
    }


@pytest.mark.parametrize("box", BOXES, ids=lambda b: f"{b[0]}-{b[1]}".replace("torch.", ""))
@pytest.mark.parametrize("size", [[10, 14], [12]])
def test_resized_crop_functional_as_torchvision(size, box):
    mine_inputs, their_inputs = _as_inputs(ours_tv, *box), _as_inputs(tv, *box)
    for key in mine_inputs:
        for region in [(3, 5, 15, 20), (-2, 30, 10, 10)]:
            mine = ours_F.resized_crop(mine_inputs[key], *region, size)
            their = theirs.functional.resized_crop(their_inputs[key], *region, size)
            assert_same_typed(mine, their, image_atol=1)


@pytest.mark.parametrize("vertical_flip", [False, True])
def test_five_and_ten_crop_functionals_as_torchvision(vertical_flip):
    mine_inputs, their_inputs = _as_inputs(ours_tv), _as_inputs(tv)
    for key in ("image", "tensor", "pil", "video"):
        for size in (7, [9], (11, 13)):
            assert_same_typed(
                ours_F.five_crop(mine_inputs[key], size),
                theirs.functional.five_crop(their_inputs[key], size),
            )
            assert_same_typed(
                ours_F.ten_crop(mine_inputs[key], size, vertical_flip),
                theirs.functional.ten_crop(their_inputs[key], size, vertical_flip),
            )
    for key in ("boxes", "masks", "keypoints"):
        with pytest.raises(TypeError):
            ours_F.five_crop(mine_inputs[key], 7)
        with pytest.raises(TypeError):
            theirs.functional.five_crop(their_inputs[key], 7)
    with pytest.raises(ValueError) as mine_error:
        ours_F.five_crop(mine_inputs["image"], (25, 10))
    with pytest.raises(ValueError) as their_error:
        theirs.functional.five_crop(their_inputs["image"], (25, 10))
    assert str(mine_error.value) == str(their_error.value)


def test_random_iou_crop_refuses_what_torchvision_refuses():
    video = {"video": torch.zeros(2, 3, 8, 8)}
    for module, tv_module in ((ours, ours_tv), (theirs, tv)):
        boxes = tv_module.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(8, 8))
        with pytest.raises(TypeError, match="requires input sample"):
            module.RandomIoUCrop()({"video": tv_module.Video(video["video"]), "boxes": boxes})
        with pytest.raises(TypeError, match="requires input sample"):
            module.RandomIoUCrop()({"image": tv_module.Image(torch.zeros(3, 8, 8))})


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RandomCrop(10, padding=[1, 2, 3]),
        lambda m: m.RandomCrop(10, padding=1, padding_mode="wrap"),
        lambda m: m.RandomCrop((1, 2, 3)),
        lambda m: m.RandomCrop(10, fill="x"),
        lambda m: m.RandomResizedCrop(10, scale=0.5),
        lambda m: m.RandomZoomOut(side_range=(0.5, 1.0)),
        lambda m: m.RandomZoomOut(side_range=1.0),
        lambda m: m.RandomZoomOut(p=2.0),
    ],
)
def test_same_argument_errors_as_torchvision(make):
    with pytest.raises(Exception) as their_error:
        make(theirs)
    with pytest.raises(type(their_error.value)) as mine_error:
        make(ours)
    assert str(mine_error.value) == str(their_error.value)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64])
def test_iou_crop_takes_the_same_crop_as_torchvision_over_many_seeds(dtype):
    # The crops are searched for all trials at once; each seed has its own boxes, so the
    # first passing trial, and how many numbers it drew, vary from seed to seed.
    for seed in range(40):
        generator = torch.Generator().manual_seed(seed)
        count = int(torch.randint(1, 12, (1,), generator=generator))
        corners = torch.rand(count, 2, generator=generator) * torch.tensor([100.0, 70.0])
        sides = torch.rand(count, 2, generator=generator) * 30 + 1
        boxes = torch.cat([corners, corners + sides], dim=1).to(dtype)
        outputs = []
        for module, tv_module in ((ours, ours_tv), (theirs, tv)):
            torch.manual_seed(seed)
            transform = module.RandomIoUCrop(sampler_options=[0.0, 0.3, 0.5, 0.7, 0.9])
            image = tv_module.Image(torch.zeros(1, 80, 120, dtype=torch.uint8))
            sample = (image, tv_module.BoundingBoxes(boxes, format="XYXY", canvas_size=(80, 120)))
            outputs.append((transform(sample), torch.rand(2)))
        assert_same_typed(outputs[0][0], outputs[1][0])
        assert torch.equal(outputs[0][1], outputs[1][1])


def test_iou_crop_of_a_sample_without_boxes_is_uncropped_as_torchvision():
    # No box can have its centre in a crop: every round of trials fails until the drawn
    # minimum IoU is 1.0, "no crop"; the generator must have advanced as far as torchvision's.
    outputs = []
    for module, tv_module in ((ours, ours_tv), (theirs, tv)):
        torch.manual_seed(3)
        image = tv_module.Image(torch.zeros(1, 20, 30, dtype=torch.uint8))
        boxes = tv_module.BoundingBoxes(torch.zeros(0, 4), format="XYXY", canvas_size=(20, 30))
        outputs.append((module.RandomIoUCrop()(image, boxes), torch.rand(2)))
    assert_same_typed(outputs[0][0], outputs[1][0])
    assert torch.equal(outputs[0][1], outputs[1][1])
