"""Joint transforms keep image, boxes, masks and keypoints aligned.

The main reference is the sample itself: each object's box is the bounding box of its mask, and
each keypoint sits on a pixel painted with its own code. After any transform, boxes must still be
the bounding boxes of the masks and keypoints must still sit on their codes; per-object fields
must still line up. Hand-computed cases pin the formulas.
"""

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor

import vdata.transforms as T
import vdata.transforms.functional as F
import vops
from vdata.datasets import KeypointInfo
from vdata.transforms import joint as J
from vdata.transforms.targets import crop_target, hflip_target, resize_target

HEIGHT, WIDTH = 12, 16
BOXES = [[1, 2, 5, 6], [8, 1, 15, 4], [3, 8, 10, 11]]
# Per object, keypoint pixels (x, y); None is an unlabelled keypoint.
KEYPOINT_PIXELS = [[(1, 2), (4, 5), None], [(9, 1), (14, 3), (12, 2)], [(3, 8), (9, 10), (5, 9)]]
NO_SWAP = (0, 1, 2)  # the geometric checks follow positions, so keypoints keep their index


def code(obj: int, k: int) -> int:
    return 100 + 10 * obj + k


def make_sample(kind: str = "pil") -> tuple[Image.Image | Tensor, dict]:
    pixels = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    masks = torch.zeros(len(BOXES), HEIGHT, WIDTH, dtype=torch.uint8)
    keypoints = torch.zeros(len(BOXES), 3, 3)
    for i, (x1, y1, x2, y2) in enumerate(BOXES):
        masks[i, y1:y2, x1:x2] = 1
        pixels[y1:y2, x1:x2, 1] = 50 + i
        for k, pixel in enumerate(KEYPOINT_PIXELS[i]):
            if pixel is not None:
                pixels[pixel[1], pixel[0], 0] = code(i, k)
                keypoints[i, k] = torch.tensor([pixel[0] + 0.5, pixel[1] + 0.5, 2.0])
    target = {
        "boxes": torch.tensor(BOXES, dtype=torch.float32),
        "labels": torch.tensor([1, 2, 3]),
        "masks": masks,
        "keypoints": keypoints,
        "area": torch.tensor([16.0, 21.0, 21.0]),
        "iscrowd": torch.tensor([0, 0, 1]),
        "ids": torch.arange(3),
        "names": ["obj0", "obj1", "obj2"],
        "image_id": 7,
        "orig_size": (HEIGHT, WIDTH),
    }
    image = Image.fromarray(pixels)
    return (F.pil_to_tensor(image) if kind == "tensor" else image), target


def boxes_from_masks(masks: Tensor) -> Tensor:
    boxes = []
    for mask in masks:
        ys, xs = torch.where(mask > 0)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
    return torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)


def assert_aligned(image, target: dict) -> None:
    """Boxes bound their masks, keypoints sit on their codes, per-object fields line up."""
    pixels = F.pil_to_tensor(image) if isinstance(image, Image.Image) else image
    assert target["masks"].shape[-2:] == pixels.shape[-2:]
    assert target["boxes"].equal(boxes_from_masks(target["masks"]))
    ids = target["ids"]
    assert target["labels"].equal(ids + 1)
    assert target["names"] == [f"obj{i}" for i in ids.tolist()]
    assert target["iscrowd"].equal((ids == 2).long())
    assert len(target["area"]) == len(target["keypoints"]) == len(ids)
    for obj, points in zip(ids.tolist(), target["keypoints"], strict=True):
        for k, (x, y, visibility) in enumerate(points.tolist()):
            if visibility > 0:
                assert pixels[0, int(y), int(x)].item() == code(obj, k)
            else:
                assert (x, y) == (0.0, 0.0)
    for obj, mask in zip(ids.tolist(), target["masks"], strict=True):
        assert pixels[1][mask > 0].eq(50 + obj).all()  # each mask covers its object's pixels
    assert target["image_id"] == 7 and target["orig_size"] == (HEIGHT, WIDTH)


def test_the_sample_is_aligned_to_begin_with():
    assert_aligned(*make_sample())


ALIGNED_TRANSFORMS = {
    "hflip": J.RandomHorizontalFlip(1.0, NO_SWAP),
    "vflip": J.RandomVerticalFlip(1.0, NO_SWAP),
    "resize_x2": J.Resize((24, 32), interpolation="nearest"),
    "random_resize_x2": J.RandomResize(24, interpolation="nearest"),
    "center_crop": J.CenterCrop((7, 9)),
    "center_crop_larger": J.CenterCrop((15, 21)),
    "random_crop": J.RandomCrop(7),
    "random_crop_padded": J.RandomCrop((14, 19), pad_if_needed=True),
    "iou_crop": J.RandomIoUCrop(),
    "all": J.Compose(
        [
            J.RandomIoUCrop(),
            J.RandomHorizontalFlip(0.5, NO_SWAP),
            J.RandomVerticalFlip(0.5, NO_SWAP),
            J.RandomCrop(6, pad_if_needed=True),
        ]
    ),
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", ["pil", "tensor"])
@pytest.mark.parametrize("transform", ALIGNED_TRANSFORMS.values(), ids=ALIGNED_TRANSFORMS.keys())
def test_transforms_keep_boxes_masks_keypoints_and_fields_aligned(transform, kind, seed):
    torch.manual_seed(seed)
    image, target = transform(*make_sample(kind))
    assert isinstance(image, Image.Image) == (kind == "pil")
    assert_aligned(image, target)


@pytest.mark.parametrize("transform", ALIGNED_TRANSFORMS.values(), ids=ALIGNED_TRANSFORMS.keys())
def test_pil_and_tensor_images_get_the_same_target_under_the_same_seed(transform):
    results = []
    for kind in ("pil", "tensor"):
        torch.manual_seed(11)
        image, target = transform(*make_sample(kind))
        results.append((F.pil_to_tensor(image) if kind == "pil" else image, target))
    (image_a, target_a), (image_b, target_b) = results
    assert image_a.equal(image_b)
    for key in ("boxes", "masks", "keypoints", "labels"):
        assert target_a[key].equal(target_b[key])


def test_random_resized_crop_keeps_boxes_inside_and_masks_in_step():
    torch.manual_seed(0)
    for _ in range(10):
        image, target = J.RandomResizedCrop(10, scale=(0.3, 1.0))(*make_sample())
        assert image.size == (10, 10) and target["masks"].shape[1:] == (10, 10)
        boxes = target["boxes"]
        assert (boxes >= 0).all() and (boxes <= 10).all()
        assert ((boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])).all()
        assert len(target["labels"]) == len(boxes) == len(target["names"])


# --- hand-computed cases -----------------------------------------------------------------------


def test_hflip_of_a_box_by_hand():
    target = {"boxes": torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.5, 1.0, 3.0, 2.0]])}
    flipped = hflip_target(target, width=3)
    assert flipped["boxes"].tolist() == [[2.0, 0.0, 3.0, 1.0], [0.0, 1.0, 2.5, 2.0]]


def test_hflip_swaps_left_and_right_keypoints_through_the_flip_map():
    keypoints = torch.tensor([[[1.5, 2.5, 2.0], [3.5, 2.5, 1.0], [0.0, 0.0, 0.0]]])
    target = {"boxes": torch.tensor([[1.0, 2.0, 4.0, 3.0]]), "keypoints": keypoints}
    image = torch.zeros(3, 4, 10)
    _, flipped = J.RandomHorizontalFlip(1.0, flip_map=(1, 0, 2))(image, target)
    # keypoint 0 is the mirror of old keypoint 1: x = 10 - 3.5; unlabelled stays at zero
    expected = [[[6.5, 2.5, 1.0], [8.5, 2.5, 2.0], [0.0, 0.0, 0.0]]]
    assert flipped["keypoints"].tolist() == expected
    assert flipped["boxes"].tolist() == [[6.0, 2.0, 9.0, 3.0]]


def test_vflip_mirrors_y_and_swaps_sides_too():
    keypoints = torch.tensor([[[1.5, 0.5, 2.0], [3.5, 2.5, 2.0]]])
    target = {"boxes": torch.tensor([[1.0, 0.0, 4.0, 3.0]]), "keypoints": keypoints}
    _, flipped = J.RandomVerticalFlip(1.0, flip_map=(1, 0))(torch.zeros(3, 4, 5), target)
    assert flipped["keypoints"].tolist() == [[[3.5, 1.5, 2.0], [1.5, 3.5, 2.0]]]
    assert flipped["boxes"].tolist() == [[1.0, 1.0, 4.0, 4.0]]


def test_flip_map_from_keypoint_info():
    info = KeypointInfo.from_names(["nose", "left_eye", "right_eye"])
    flip = J.RandomHorizontalFlip(1.0, flip_map=info)
    assert flip.flip_map == (0, 2, 1)
    keypoints = torch.tensor([[[2.0, 1.0, 2.0], [1.0, 1.0, 2.0], [3.0, 1.0, 2.0]]])
    target = {"boxes": torch.tensor([[0.0, 0.0, 4.0, 2.0]]), "keypoints": keypoints}
    _, flipped = flip(torch.zeros(3, 2, 4), target)
    assert flipped["keypoints"][0, :, 0].tolist() == [2.0, 1.0, 3.0]


def test_resize_scales_boxes_keypoints_and_area_by_hand():
    target = {
        "boxes": torch.tensor([[2.0, 1.0, 6.0, 3.0]]),
        "keypoints": torch.tensor([[[4.0, 2.0, 2.0], [0.0, 0.0, 0.0]]]),
        "area": torch.tensor([8.0]),
    }
    resized = resize_target(target, (4, 8), (6, 20))  # x by 2.5, y by 1.5
    assert resized["boxes"].tolist() == [[5.0, 1.5, 15.0, 4.5]]
    assert resized["keypoints"].tolist() == [[[10.0, 3.0, 2.0], [0.0, 0.0, 0.0]]]
    assert resized["area"].tolist() == [30.0]


def test_resize_follows_the_image_size_including_max_size():
    image, target = J.Resize(6, max_size=10)(*make_sample())
    assert image.size == (8, 6)
    assert target["masks"].shape == (3, 6, 8)
    assert target["boxes"][0].tolist() == [0.5, 1.0, 2.5, 3.0]


def test_crop_clips_boxes_and_drops_vanished_objects_with_all_their_fields():
    _, target = make_sample()
    cropped = crop_target(target, top=0, left=6, height=5, width=10)
    # obj0 (x < 5) vanishes, obj1 lies inside, obj2 (y >= 8) vanishes
    assert cropped["boxes"].tolist() == [[2.0, 1.0, 9.0, 4.0]]
    for key in ("labels", "masks", "keypoints", "area", "iscrowd", "ids"):
        assert len(cropped[key]) == 1, key
    assert cropped["names"] == ["obj1"] and cropped["labels"].tolist() == [2]
    assert cropped["masks"].shape == (1, 5, 10)
    assert cropped["image_id"] == 7 and cropped["orig_size"] == (HEIGHT, WIDTH)
    assert cropped["area"].tolist() == [21.0]  # area is kept, not recomputed


def test_crop_clips_a_box_partly_outside_and_unlabels_keypoints_left_behind():
    target = {
        "boxes": torch.tensor([[1.0, 1.0, 9.0, 5.0]]),
        "keypoints": torch.tensor([[[2.5, 2.5, 2.0], [7.5, 3.5, 1.0]]]),
    }
    cropped = crop_target(target, top=2, left=4, height=6, width=6)
    assert cropped["boxes"].tolist() == [[0.0, 0.0, 5.0, 3.0]]
    assert cropped["keypoints"].tolist() == [[[0.0, 0.0, 0.0], [3.5, 1.5, 1.0]]]


def test_crop_to_nothing_leaves_empty_per_object_fields():
    _, target = make_sample()
    cropped = crop_target(target, top=0, left=0, height=1, width=1)
    assert cropped["boxes"].shape == (0, 4) and cropped["masks"].shape == (0, 1, 1)
    assert cropped["keypoints"].shape == (0, 3, 3) and cropped["names"] == []


def test_random_iou_crop_keeps_objects_centred_inside_with_enough_overlap():
    _, target = make_sample()
    # pixel (y, x) holds (x, y), so the cropped image tells where the crop was
    coordinates = torch.stack(torch.meshgrid(torch.arange(16.0), torch.arange(12.0), indexing="xy"))
    original = target["boxes"]
    centres = (original[:, :2] + original[:, 2:]) / 2
    torch.manual_seed(3)
    for _ in range(20):
        image, cropped = J.RandomIoUCrop(sampler_options=(0.3,))(coordinates, target)
        left, top = image[0, 0, 0].item(), image[1, 0, 0].item()
        height, width = image.shape[1:]
        assert (height, width) != (HEIGHT, WIDTH)
        inside = (
            (centres[:, 0] > left)
            & (centres[:, 0] < left + width)
            & (centres[:, 1] > top)
            & (centres[:, 1] < top + height)
        )
        assert cropped["ids"].tolist() == torch.where(inside)[0].tolist()
        crop_box = torch.tensor([[left, top, left + width, top + height]])
        assert vops.box_iou(original[inside], crop_box).max() >= 0.3
        assert cropped["masks"].shape[1:] == (height, width)


def test_random_iou_crop_with_option_one_leaves_the_sample_unchanged():
    image, target = make_sample()
    result = J.RandomIoUCrop(sampler_options=(1.0,))(image, target)
    assert result[0] is image and result[1] is target


def test_random_iou_crop_without_boxes_returns_the_sample():
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    image = torch.zeros(3, 5, 5)
    out_image, out_target = J.RandomIoUCrop()(image, empty)
    assert out_image is image and out_target is empty
    with pytest.raises(TypeError, match="detection target"):
        J.RandomIoUCrop()(image, None)


# --- segmentation ------------------------------------------------------------------------------


def make_mask() -> Image.Image:
    values = (np.arange(6 * 8).reshape(6, 8) % 5).astype(np.uint8)
    values[0, 0] = 255
    mask = Image.fromarray(values).convert("P")
    mask.putpalette([0, 0, 0] * 256)
    return mask


def mask_indices(mask: Image.Image) -> Tensor:
    return torch.from_numpy(np.array(mask, dtype=np.int64))


def test_pil_to_tensor_turns_a_palette_mask_into_int64_indices():
    mask = make_mask()
    image, target = J.PILToTensor()(Image.new("RGB", (8, 6)), mask)
    assert image.dtype == torch.uint8 and target.dtype == torch.int64
    assert target.shape == (6, 8) and target.numpy().tolist() == np.asarray(mask).tolist()
    image, target = J.ToTensor()(Image.new("RGB", (8, 6)), mask)
    assert image.dtype == torch.float32 and target.dtype == torch.int64 and target.max() == 255


@pytest.mark.parametrize("kind", ["pil", "tensor"])
def test_random_crop_pads_the_mask_with_ignore_and_the_image_with_fill(kind):
    image, mask = Image.new("RGB", (8, 6), (1, 2, 3)), make_mask()
    if kind == "tensor":
        image, mask = J.PILToTensor()(image, mask)
    torch.manual_seed(0)
    out_image, out_mask = J.RandomCrop((9, 10), pad_if_needed=True, fill=(7, 7, 7))(image, mask)
    pixels = F.pil_to_tensor(out_image) if kind == "pil" else out_image
    indices = mask_indices(out_mask) if kind == "pil" else out_mask
    assert pixels.shape == (3, 9, 10) and indices.shape == (9, 10)
    # pad_if_needed pads right and bottom only, so the crop is the padded image
    assert indices[6:].eq(255).all() and indices[:, 8:].eq(255).all()
    assert (
        pixels[:, 6:].eq(7).all()
        and pixels[:, :6, :8].eq(torch.tensor([1, 2, 3])[:, None, None]).all()
    )
    assert indices[:6, :8].equal(mask_indices(make_mask()))


def test_center_crop_larger_than_the_mask_fills_ignore():
    _, mask = J.CenterCrop((8, 8))(torch.zeros(3, 6, 8), torch.zeros(6, 8, dtype=torch.int64))
    assert mask.shape == (8, 8) and mask[0].eq(255).all() and mask[-1].eq(255).all()
    assert mask[1:7].eq(0).all()


def test_resize_of_a_mask_uses_nearest_and_keeps_its_labels():
    image, mask = J.RandomResize(9, 14)(Image.new("RGB", (8, 6)), make_mask())
    assert mask.size == image.size and mask.mode == "P"
    assert set(np.unique(np.asarray(mask))) <= {0, 1, 2, 3, 4, 255}
    _, doubled = J.Resize((12, 16))(torch.zeros(3, 6, 8), mask_indices(make_mask()))
    assert doubled.equal(mask_indices(make_mask()).repeat_interleave(2, 0).repeat_interleave(2, 1))


def test_flips_of_a_mask():
    mask = torch.arange(6).reshape(2, 3)
    _, flipped = J.RandomHorizontalFlip(1.0)(torch.zeros(3, 2, 3), mask)
    assert flipped.tolist() == [[2, 1, 0], [5, 4, 3]]


# --- pass-through, image-only transforms, errors -----------------------------------------------

NONE_TARGET_TRANSFORMS = [
    J.RandomHorizontalFlip(1.0),
    J.RandomVerticalFlip(1.0),
    J.Resize(4),
    J.RandomResize(3, 5),
    J.CenterCrop(3),
    J.RandomCrop(3),
    J.RandomResizedCrop(4),
    J.ImageOnly(T.ColorJitter(0.5)),
    J.PILToTensor(),
]


@pytest.mark.parametrize("transform", NONE_TARGET_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_a_none_target_passes_through(transform):
    image, target = transform(Image.new("RGB", (8, 6), (10, 20, 30)), None)
    assert target is None and image is not None


def test_image_only_transforms_leave_the_target_object_alone():
    image, target = make_sample("tensor")
    pipeline = J.Compose(
        [
            J.ImageOnly(T.ColorJitter(0.3)),
            J.ConvertImageDtype(),
            J.Normalize((0.5,) * 3, (0.5,) * 3),
        ]
    )
    out_image, out_target = pipeline(image, target)
    assert out_target is target and out_image.dtype == torch.float32
    assert out_image.min() >= -1.0 and out_image.max() <= 1.0


def test_joint_pipeline_repeats_under_the_same_seed():
    pipeline = ALIGNED_TRANSFORMS["all"]

    def run(seed):
        torch.manual_seed(seed)
        return [pipeline(*make_sample("tensor"))[1]["boxes"] for _ in range(5)]

    assert all(a.equal(b) for a, b in zip(run(0), run(0), strict=True))
    assert not all(a.equal(b) for a, b in zip(run(0), run(1), strict=True))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: J.RandomHorizontalFlip(1.0)(*make_sample()),
            ValueError,
            "give the transform a flip_map",
        ),
        (
            lambda: J.RandomHorizontalFlip(1.0, (1, 0))(*make_sample()),
            ValueError,
            "flip_map has 2 entries",
        ),
        (lambda: J.RandomHorizontalFlip(flip_map=(1, 1)), ValueError, "its own inverse"),
        (lambda: J.RandomVerticalFlip(flip_map=(2, 0, 1)), ValueError, "its own inverse"),
        (
            lambda: J.Resize(4)(torch.zeros(3, 5, 5), torch.zeros(4, 5, dtype=torch.int64)),
            ValueError,
            r"the mask is \(4, 5\)",
        ),
        (
            lambda: J.Resize(4)(torch.zeros(3, 5, 5), {"boxes": torch.zeros(2, 5)}),
            ValueError,
            r"Tensor\[N, 4\], got Tensor\[2, 5\]",
        ),
        (
            lambda: J.Resize(4)(
                torch.zeros(3, 5, 5), {"boxes": torch.zeros(2, 4), "masks": torch.zeros(2, 4, 4)}
            ),
            ValueError,
            r'target\["masks"\] must be Tensor\[N, H, W\] = \[2, 5, 5\]',
        ),
        (lambda: J.CenterCrop(2)(torch.zeros(3, 5, 5), "mask"), TypeError, "got str"),
        (
            lambda: J.Resize(3)(torch.zeros(3, 5, 5), torch.zeros(5, 5)),
            ValueError,
            "integer Tensor",
        ),
        (lambda: J.RandomResize(5, 4), ValueError, "min_size <= max_size"),
        (lambda: J.RandomIoUCrop(min_scale=0.0), ValueError, "0 < min_scale"),
        (lambda: J.RandomCrop(9)(torch.zeros(3, 5, 5), None), ValueError, "larger than"),
    ],
)
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- collate -----------------------------------------------------------------------------------


def test_detection_collate_keeps_samples_apart_in_order():
    samples = [(torch.zeros(3, 4, 5), {"boxes": torch.zeros(0, 4)}), (torch.ones(3, 2, 2), None)]
    images, targets = T.detection_collate(samples)
    assert images == (samples[0][0], samples[1][0]) and targets == (samples[0][1], None)


def test_detection_collate_in_a_data_loader():
    dataset = [make_sample("tensor"), (torch.zeros(3, 5, 7), {"boxes": torch.zeros(0, 4)})]
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, collate_fn=T.detection_collate)
    images, targets = next(iter(loader))
    assert [tuple(i.shape) for i in images] == [(3, HEIGHT, WIDTH), (3, 5, 7)]
    assert targets[0]["names"] == ["obj0", "obj1", "obj2"] and len(targets[1]["boxes"]) == 0


@pytest.mark.parametrize(
    ("batch", "match"),
    [([], "at least one"), ([(1, 2, 3)], r"batch\[0\] must be an \(image, target\) pair")],
)
def test_detection_collate_errors(batch, match):
    with pytest.raises(ValueError, match=match):
        T.detection_collate(batch)
