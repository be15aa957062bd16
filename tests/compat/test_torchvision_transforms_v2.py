"""vdata.transforms.v2 against torchvision.transforms.v2 on the same samples: the same
outputs, types and metadata (images resized within one level of uint8 rounding)."""

import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours_tv
from vdata.transforms import v2 as ours

theirs = pytest.importorskip("torchvision.transforms.v2")
theirs_tv = pytest.importorskip("torchvision.tv_tensors")


def _sample(tv, box_format="XYXY", box_dtype=torch.float32):
    generator = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, 24, 36), dtype=torch.uint8, generator=generator)
    xyxy = torch.tensor([[2.0, 3.0, 20.0, 15.0], [30.0, 1.0, 36.0, 24.0], [5.0, 5.0, 5.5, 9.0]])
    boxes = {
        "XYXY": xyxy,
        "XYWH": torch.cat([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], 1),
        "CXCYWH": torch.cat([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]], 1),
    }[box_format].to(box_dtype)
    masks = torch.zeros(3, 24, 36, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(xyxy.long().tolist()):
        masks[k, y1:y2, x1:x2] = 1
    points = torch.tensor([[[1.0, 2.0], [35.0, 23.0]], [[10.0, 10.0], [0.0, 0.0]]])
    return (
        tv.Image(image),
        {
            "boxes": tv.BoundingBoxes(boxes, format=box_format, canvas_size=(24, 36)),
            "masks": tv.Mask(masks),
            "keypoints": tv.KeyPoints(points, canvas_size=(24, 36)),
            "labels": torch.tensor([1, 2, 3]),
            "image_id": 7,
        },
    )


CASES = {
    "hflip": lambda v2: v2.RandomHorizontalFlip(p=1.0),
    "vflip": lambda v2: v2.RandomVerticalFlip(p=1.0),
    "resize_short_edge": lambda v2: v2.Resize(16),
    "resize_pair": lambda v2: v2.Resize((30, 20)),
    "resize_max_size": lambda v2: v2.Resize(None, max_size=30),
    "center_crop": lambda v2: v2.CenterCrop((14, 20)),
    "center_crop_larger": lambda v2: v2.CenterCrop(30),
    "pad": lambda v2: v2.Pad([1, 2, 3, 4]),
    "clamp": lambda v2: v2.ClampBoundingBoxes(),
    "to_xyxy": lambda v2: v2.ConvertBoundingBoxFormat("XYXY"),
    "to_cxcywh": lambda v2: v2.ConvertBoundingBoxFormat("CXCYWH"),
    "sanitize": lambda v2: v2.SanitizeBoundingBoxes(),
    "to_dtype": lambda v2: v2.ToDtype(torch.float32, scale=True),
    "to_pure_tensor": lambda v2: v2.ToPureTensor(),
}


@pytest.mark.parametrize("box_dtype", [torch.float32, torch.int64], ids=["float", "int"])
@pytest.mark.parametrize("box_format", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("case", list(CASES))
def test_transform_equals_torchvisions(case, box_format, box_dtype):
    mine = CASES[case](ours)(_sample(ours_tv, box_format, box_dtype))
    their = CASES[case](theirs)(_sample(theirs_tv, box_format, box_dtype))
    assert_same_typed(mine, their, image_atol=1 if case.startswith("resize") else 0)


def test_random_flips_draw_as_torchvisions_under_one_seed():
    pipeline = [lambda v2: v2.Compose([v2.RandomHorizontalFlip(), v2.RandomVerticalFlip(0.3)])]
    for build in pipeline:
        torch.manual_seed(3)
        mine = [build(ours)(_sample(ours_tv)) for _ in range(6)]
        torch.manual_seed(3)
        their = [build(theirs)(_sample(theirs_tv)) for _ in range(6)]
        assert_same_typed(mine, their)


def test_a_plain_tensor_is_the_image_only_without_a_typed_one():
    image, labels = torch.rand(3, 8, 10), torch.rand(3, 8, 10)
    for v2 in (ours, theirs):
        flipped, same = v2.RandomHorizontalFlip(p=1.0)((image, labels))
        assert torch.equal(flipped, image.flip(-1)) and same is labels


@pytest.mark.parametrize(
    "build",
    [
        lambda v2, tv: v2.SanitizeBoundingBoxes()(
            {
                "boxes": tv.BoundingBoxes(torch.zeros(2, 4), format="XYXY", canvas_size=(4, 4)),
                "labels": torch.zeros(3),
            }
        ),
        lambda v2, tv: v2.SanitizeBoundingBoxes()(
            {"boxes": tv.BoundingBoxes(torch.zeros(2, 4), format="XYXY", canvas_size=(4, 4))}
        ),
        lambda v2, tv: v2.SanitizeBoundingBoxes(min_size=0.5),
        lambda v2, tv: v2.Pad(2, padding_mode="edge")(
            tv.BoundingBoxes(torch.zeros(1, 4), format="XYXY", canvas_size=(4, 4))
        ),
    ],
)
def test_bad_inputs_raise_what_torchvision_raises(build):
    with pytest.raises(ValueError):
        build(theirs, theirs_tv)
    with pytest.raises(ValueError):
        build(ours, ours_tv)


def test_pil_to_tensor_equals_torchvisions():
    from PIL import Image

    pil = Image.fromarray(torch.randint(0, 256, (5, 7, 3), dtype=torch.uint8).numpy())
    boxes_data = torch.tensor([[1.0, 1.0, 4.0, 4.0]])
    mine = ours.PILToTensor()(
        pil, ours_tv.BoundingBoxes(boxes_data, format="XYXY", canvas_size=(5, 7))
    )
    their = theirs.PILToTensor()(
        pil, theirs_tv.BoundingBoxes(boxes_data, format="XYXY", canvas_size=(5, 7))
    )
    assert_same_typed(mine, their)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (torch.uint16, torch.uint8),
        (torch.uint8, torch.uint16),
        (torch.uint8, torch.int32),
        (torch.int16, torch.uint8),
        (torch.int32, torch.int16),
    ],
)
def test_to_dtype_scales_integers_by_bits_as_torchvision(source, target):
    values = torch.tensor([[[0, 3, 100, 127, 255]]]).to(source)
    if source == torch.uint16:
        values = values * 257
    mine = ours.functional.to_dtype(ours_tv.Image(values), target, scale=True)
    their = theirs.functional.to_dtype(theirs_tv.Image(values), target, scale=True)
    assert_same_typed(mine, their)


@pytest.mark.parametrize("interpolation", ["NEAREST", "NEAREST_EXACT", "BILINEAR", "BICUBIC"])
def test_resize_of_masks_keeps_nearest_exact_only_as_torchvision(interpolation):
    # 5 -> 7 rows: "nearest" and "nearest-exact" pick different source rows.
    mask = torch.arange(5 * 3, dtype=torch.uint8).reshape(1, 5, 3)
    mine = ours.functional.resize(
        ours_tv.Mask(mask), [7, 4], interpolation=getattr(ours.InterpolationMode, interpolation)
    )
    their = theirs.functional.resize(
        theirs_tv.Mask(mask), [7, 4], interpolation=getattr(theirs.InterpolationMode, interpolation)
    )
    assert_same_typed(mine, their)


def _random_boxes(dtype, count=500):
    values = torch.rand(count, 4, generator=torch.Generator().manual_seed(0)) * 300 - 20
    return values.to(dtype) if dtype.is_floating_point else values.round().to(dtype)


BOX_OPS = {
    "hflip": lambda F: F.horizontal_flip,
    "vflip": lambda F: F.vertical_flip,
    "resize": lambda F: lambda boxes: F.resize(boxes, [150, 170]),
    "crop": lambda F: lambda boxes: F.crop(boxes, 10, 20, 120, 130),
    "pad": lambda F: lambda boxes: F.pad(boxes, [5, 7, 9, 11]),
    "to_xyxy": lambda F: lambda boxes: F.convert_bounding_box_format(boxes, new_format="XYXY"),
    "to_xywh": lambda F: lambda boxes: F.convert_bounding_box_format(boxes, new_format="XYWH"),
    "to_cxcywh": lambda F: lambda boxes: F.convert_bounding_box_format(boxes, new_format="CXCYWH"),
    "clamp": lambda F: F.clamp_bounding_boxes,
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.int64])
@pytest.mark.parametrize("box_format", ["XYXY", "XYWH", "CXCYWH"])
@pytest.mark.parametrize("name", BOX_OPS)
def test_box_kernels_round_as_torchvision_on_random_values(name, box_format, dtype):
    # Random values, not round ones: the order of operations shows in the last bits.
    boxes = _random_boxes(dtype)
    mine = BOX_OPS[name](ours.functional)(
        ours_tv.BoundingBoxes(boxes, format=box_format, canvas_size=(200, 250))
    )
    their = BOX_OPS[name](theirs.functional)(
        theirs_tv.BoundingBoxes(boxes, format=box_format, canvas_size=(200, 250))
    )
    assert_same_typed(mine, their)
