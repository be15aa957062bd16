"""The random crop and resize transforms of vdata.transforms.v2: boxes move with the pixels they
frame, arguments are checked, a seed fixes the draws, and RandomIoUCrop keeps its IoU promise."""

import pytest
import torch

from vdata import tv_tensors
from vdata.transforms.v2 import _crop_functional as CF
from vdata.transforms.v2 import _random_geometry as R

BOX = [18, 15, 32, 25]  # x1, y1, x2, y2 on a 40 x 50 (h x w) canvas


def _sample():
    image = torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8, generator=torch.Generator())
    mask = torch.zeros(1, 40, 50, dtype=torch.uint8)
    x1, y1, x2, y2 = BOX
    mask[:, y1:y2, x1:x2] = 1
    boxes = tv_tensors.BoundingBoxes([BOX], format="XYXY", canvas_size=(40, 50), dtype=torch.float)
    return {"image": tv_tensors.Image(image), "boxes": boxes, "masks": tv_tensors.Mask(mask)}


def _mask_box(mask):
    rows, cols = torch.nonzero(mask[0], as_tuple=True)
    return torch.tensor([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]).float()


KEEPING_THE_BOX = {
    "random_crop": lambda: R.RandomCrop((30, 34)),
    "random_crop_padded": lambda: R.RandomCrop(44, padding=[2, 3], pad_if_needed=True),
    "random_resized_crop": lambda: R.RandomResizedCrop(24, scale=(0.7, 1.0)),
    "random_resize": lambda: R.RandomResize(20, 60),
    "random_shortest_size": lambda: R.RandomShortestSize([20, 30, 50], max_size=70),
    "scale_jitter": lambda: R.ScaleJitter((60, 40), scale_range=(0.5, 1.5)),
    "random_iou_crop": lambda: R.RandomIoUCrop(),
    "random_zoom_out": lambda: R.RandomZoomOut(p=1.0, side_range=(1.0, 2.0)),
}


@pytest.mark.parametrize("name", KEEPING_THE_BOX)
def test_the_box_drawn_into_the_mask_moves_with_it(name):
    transform = KEEPING_THE_BOX[name]()
    for seed in range(8):
        torch.manual_seed(seed)
        out = transform(_sample())
        assert out["image"].shape[-2:] == out["masks"].shape[-2:]
        assert tuple(out["boxes"].canvas_size) == tuple(out["masks"].shape[-2:])
        torch.testing.assert_close(
            out["boxes"][0].as_subclass(torch.Tensor), _mask_box(out["masks"]), rtol=0, atol=1.0
        )


def test_random_crop_keeps_the_box_exactly():
    torch.manual_seed(0)
    out = R.RandomCrop((30, 34))(_sample())
    assert torch.equal(out["boxes"][0].as_subclass(torch.Tensor), _mask_box(out["masks"]))


@pytest.mark.parametrize("name", KEEPING_THE_BOX)
def test_a_seed_fixes_the_output(name):
    transform = KEEPING_THE_BOX[name]()
    outputs = []
    for seed in (0, 0, *range(1, 6)):
        torch.manual_seed(seed)
        outputs.append(transform(_sample())["boxes"].as_subclass(torch.Tensor))
    assert torch.equal(outputs[0], outputs[1])
    assert any(not torch.equal(outputs[0], other) for other in outputs[2:])


def _iou(box, region):
    (x1, y1, x2, y2), (a1, b1, a2, b2) = box, region
    inter = max(min(x2, a2) - max(x1, a1), 0) * max(min(y2, b2) - max(y1, b1), 0)
    return inter / ((x2 - x1) * (y2 - y1) + (a2 - a1) * (b2 - b1) - inter)


THREE_BOXES = [[2.0, 2.0, 30.0, 28.0], [30.0, 20.0, 48.0, 38.0], [10.0, 30.0, 14.0, 34.0]]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
@pytest.mark.parametrize(
    "boxes_xyxy", [THREE_BOXES, [[4.0, 4.0, 40.0, 32.0]]], ids=["three_boxes", "one_box"]
)
def test_random_iou_crop_meets_the_sampled_iou(threshold, boxes_xyxy):
    """torchvision's promise: some box centred in the crop has at least the sampled IoU with it
    (with one box: the kept box does)."""
    transform = R.RandomIoUCrop(sampler_options=[threshold])
    for seed in range(10):
        sample = _sample()
        sample["boxes"] = tv_tensors.BoundingBoxes(boxes_xyxy, format="XYXY", canvas_size=(40, 50))
        torch.manual_seed(seed)
        params = transform.make_params([sample["image"], sample["boxes"]])
        top, left, height, width = (params[k] for k in ("top", "left", "height", "width"))
        region = (left, top, left + width, top + height)
        centred = [
            left < (x1 + x2) / 2 < left + width and top < (y1 + y2) / 2 < top + height
            for x1, y1, x2, y2 in boxes_xyxy
        ]
        assert params["within"].tolist() == centred
        kept_ious = [_iou(b, region) for b, kept in zip(boxes_xyxy, centred, strict=True) if kept]
        assert max(kept_ious) >= threshold
        torch.manual_seed(seed)
        out = transform(sample)
        assert tuple(out["boxes"].canvas_size) == (height, width)
        for row, kept in zip(out["boxes"].tolist(), centred, strict=True):
            assert (row != [0.0] * 4) == kept


def test_random_iou_crop_zeroes_boxes_centred_outside_the_crop():
    sample = _sample()
    sample["boxes"] = tv_tensors.BoundingBoxes(
        [[0, 0, 40, 36], [46, 36, 50, 40]], format="XYWH", canvas_size=(40, 50)
    )
    transform = R.RandomIoUCrop(min_scale=0.5, max_scale=0.6, sampler_options=[0.2])
    torch.manual_seed(0)
    out = transform(sample)
    assert out["boxes"][1].tolist() == [0, 0, 0, 0] and out["boxes"][0].tolist() != [0, 0, 0, 0]


def test_random_iou_crop_option_one_leaves_the_sample():
    sample = _sample()
    out = R.RandomIoUCrop(sampler_options=[1.0])(sample)
    assert out["image"] is sample["image"] and out["boxes"] is sample["boxes"]


@pytest.mark.parametrize(
    "sample",
    [
        {"image": tv_tensors.Image(torch.zeros(3, 8, 8))},
        {"boxes": tv_tensors.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(8, 8))},
        {
            "video": tv_tensors.Video(torch.zeros(2, 3, 8, 8)),
            "boxes": tv_tensors.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(8, 8)),
        },
    ],
)
def test_random_iou_crop_needs_an_image_and_boxes(sample):
    with pytest.raises(TypeError, match="requires input sample to contain"):
        R.RandomIoUCrop()(sample)


def test_random_iou_crop_refuses_rotated_boxes():
    sample = _sample()
    sample["boxes"] = tv_tensors.BoundingBoxes(
        [[20.0, 20.0, 10.0, 10.0, 30.0]], format="CXCYWHR", canvas_size=(40, 50)
    )
    with pytest.raises(ValueError, match="Cannot convert between rotated and unrotated"):
        R.RandomIoUCrop()(sample)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: R.RandomCrop([1, 2, 3]), ValueError, "only two dimensions"),
        (lambda: R.RandomCrop(8, padding=[1, 2, 3]), ValueError, "Padding must be"),
        (lambda: R.RandomCrop(8, padding=1.5), ValueError, "Padding must be"),
        (lambda: R.RandomCrop(8, padding=1, padding_mode="wrap"), ValueError, "Padding mode"),
        (lambda: R.RandomCrop(8, fill="red"), TypeError, "inappropriate fill"),
        (lambda: R.RandomResizedCrop(8, scale=0.5), TypeError, "Scale should be"),
        (lambda: R.RandomResizedCrop(8, ratio=(1.0, 2.0, 3.0)), TypeError, "Ratio should be"),
        (lambda: R.RandomZoomOut(side_range=(0.5, 2.0)), ValueError, "Invalid side range"),
        (lambda: R.RandomZoomOut(side_range=(3.0, 2.0)), ValueError, "Invalid side range"),
        (lambda: R.RandomZoomOut(side_range=2.0), TypeError, "side_range should be"),
        (lambda: R.RandomZoomOut(side_range=[1.0]), ValueError, "side_range should be"),
        (lambda: R.RandomZoomOut(fill=object()), TypeError, "inappropriate fill"),
        (lambda: R.RandomZoomOut(p=1.5), ValueError, r"\[0.0, 1.0\]"),
        (lambda: R.FiveCrop((1, 2, 3)), ValueError, "only two dimensions"),
        (lambda: R.TenCrop([]), ValueError, "only two dimensions"),
    ],
)
def test_arguments_are_checked(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_random_resized_crop_warns_for_reversed_ranges():
    with pytest.warns(UserWarning, match="of kind"):
        R.RandomResizedCrop(8, scale=(1.0, 0.5))


def test_random_crop_too_large_raises_at_call_time():
    transform = R.RandomCrop(60)
    with pytest.raises(ValueError, match="is larger than input image size"):
        transform(_sample())
    with pytest.raises(ValueError, match="larger than padded input"):
        R.RandomCrop(60, padding=2)(_sample())


def test_random_crop_pad_if_needed_pads_both_sides_by_the_shortfall():
    torch.manual_seed(0)
    out = R.RandomCrop((44, 50), pad_if_needed=True, fill={tv_tensors.Image: 9})(_sample())
    assert out["image"].shape[-2:] == (44, 50) and out["masks"].shape[-2:] == (44, 50)
    image = out["image"]
    assert (image[:, 0] == 9).all() or (image[:, -1] == 9).all()  # 4 rows above and below
    assert out["masks"].sum() == _sample()["masks"].sum()  # the mask's fill is 0


def test_random_resized_crop_falls_back_to_the_central_crop():
    transform = R.RandomResizedCrop(10, scale=(5.0, 6.0), ratio=(1.0, 1.0))
    params = transform.make_params([_sample()["image"]])
    assert params == {"top": 0, "left": 5, "height": 40, "width": 40}


def test_resized_crop_on_each_type():
    sample = _sample()
    out = CF.resized_crop(sample["image"], 5, 10, 20, 20, [10, 10])
    assert type(out) is tv_tensors.Image and out.shape == (3, 10, 10)
    plain = CF.resized_crop(sample["image"].as_subclass(torch.Tensor), 5, 10, 20, 20, [10])
    assert type(plain) is torch.Tensor and plain.shape == (3, 10, 10)
    boxes = CF.resized_crop(sample["boxes"], 5, 10, 20, 20, [10, 10])
    assert boxes.canvas_size == (10, 10) and boxes.tolist() == [[4.0, 5.0, 10.0, 10.0]]
    mask = CF.resized_crop(sample["masks"], 5, 10, 20, 20, [10, 10])
    assert type(mask) is tv_tensors.Mask and set(mask.unique().tolist()) == {0, 1}
    points = tv_tensors.KeyPoints([[12.0, 7.0]], canvas_size=(40, 50))
    moved = CF.resized_crop(points, 5, 10, 20, 20, [10, 10])
    assert moved.canvas_size == (10, 10) and moved.tolist() == [[1.0, 1.0]]


def test_five_and_ten_crop():
    image = tv_tensors.Image(torch.arange(5 * 6).reshape(1, 5, 6))
    crops = CF.five_crop(image, 3)
    assert len(crops) == 5 and all(type(c) is tv_tensors.Image for c in crops)
    assert [c[0, 0, 0].item() for c in crops] == [0, 3, 12, 15, 8]
    ten = CF.ten_crop(image, [3], vertical_flip=True)
    assert len(ten) == 10 and ten[5][0, 0, 0].item() == 24
    with pytest.raises(ValueError, match="bigger than input size"):
        CF.five_crop(image, (6, 3))
    with pytest.raises(TypeError):
        CF.five_crop(tv_tensors.Mask(torch.zeros(1, 5, 6)), 3)


def test_five_crop_refuses_boxes_and_masks_and_passes_points():
    sample = _sample()
    with pytest.raises(TypeError, match="not supported by FiveCrop"):
        R.FiveCrop(10)(sample)
    with pytest.raises(TypeError, match="not supported by TenCrop"):
        R.TenCrop(10)({"image": sample["image"], "masks": sample["masks"]})
    points = tv_tensors.KeyPoints([[1.0, 2.0]], canvas_size=(40, 50))
    with pytest.warns(UserWarning, match="passing through"):
        images, out_points = R.TenCrop(10)(sample["image"], points)
    assert len(images) == 10 and out_points is points
