"""vdata.transforms.v2: boxes, masks and points move with their image, in any container."""

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from vdata import tv_tensors as tvt
from vdata.transforms import v2
from vdata.transforms.v2 import functional as F


def _box_sample():
    """An image with two boxes, each drawn into its own mask channel."""
    boxes = torch.tensor([[3.0, 4.0, 13.0, 10.0], [20.0, 2.0, 29.0, 17.0]])
    masks = torch.zeros(2, 18, 30, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes.long().tolist()):
        masks[k, y1:y2, x1:x2] = 1
    image = tvt.Image(torch.randint(0, 256, (3, 18, 30), dtype=torch.uint8))
    target = {
        "boxes": tvt.BoundingBoxes(boxes, format="XYXY", canvas_size=(18, 30)),
        "masks": tvt.Mask(masks),
        "labels": torch.tensor([4, 5]),
    }
    return image, target


def _mask_box(mask: torch.Tensor) -> list[float]:
    ys, xs = torch.nonzero(mask, as_tuple=True)
    return [xs.min().item(), ys.min().item(), xs.max().item() + 1.0, ys.max().item() + 1.0]


@pytest.mark.parametrize(
    "transform",
    [
        v2.RandomHorizontalFlip(p=1.0),
        v2.RandomVerticalFlip(p=1.0),
        v2.Resize((36, 45)),
        v2.Resize(9),
        v2.CenterCrop((14, 24)),
        v2.Pad([3, 1, 0, 5]),
        v2.Compose([v2.Pad(4), v2.RandomHorizontalFlip(p=1.0), v2.CenterCrop(20)]),
    ],
    ids=lambda t: type(t).__name__,
)
def test_boxes_move_with_the_masks_drawn_from_them(transform):
    image, target = _box_sample()
    out_image, out = transform(image, target)
    assert out["boxes"].canvas_size == tuple(out_image.shape[-2:]) == tuple(out["masks"].shape[-2:])
    for box, mask in zip(out["boxes"].tolist(), out["masks"], strict=True):
        assert mask.any()
        assert np.allclose(_mask_box(mask), box, atol=1.0), (box, _mask_box(mask))
    assert torch.equal(out["labels"], target["labels"])


def test_points_move_with_the_pixels_they_mark():
    image = torch.zeros(1, 10, 16)
    image[0, 2, 13] = 1.0  # the pixel at x = 13, y = 2
    points = tvt.KeyPoints([[13.0, 2.0]], canvas_size=(10, 16))
    for transform in (v2.RandomHorizontalFlip(1.0), v2.RandomVerticalFlip(1.0), v2.Pad([2, 3])):
        out_image, out_points = transform(tvt.Image(image), points)
        x, y = out_points[0].tolist()
        assert out_image[0, int(y), int(x)] == 1.0


def test_containers_and_other_leaves_are_kept():
    image, target = _box_sample()
    sample = [{"image": image, "meta": ("a", 3)}, target, None]
    out = v2.RandomHorizontalFlip(p=1.0)(sample)
    assert isinstance(out, list) and out[0]["meta"] == ("a", 3) and out[2] is None
    assert torch.equal(out[0]["image"], image.flip(-1))


def test_flip_draws_are_reproducible_under_a_seed():
    image, target = _box_sample()
    flip = v2.RandomHorizontalFlip()
    torch.manual_seed(5)
    first = [flip(image, target)[1]["boxes"].tolist() for _ in range(8)]
    torch.manual_seed(5)
    second = [flip(image, target)[1]["boxes"].tolist() for _ in range(8)]
    assert first == second and len({str(b) for b in first}) == 2


def test_query_size_refuses_samples_of_two_sizes():
    image = tvt.Image(torch.zeros(3, 4, 5))
    boxes = tvt.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(6, 6))
    with pytest.raises(ValueError, match="multiple HxW dimensions"):
        v2.query_size([image, boxes])
    assert v2.query_size([image, torch.zeros(7, 4, 5)]) == (4, 5)


def test_functionals_dispatch_on_type_and_accept_registered_kernels():
    class Heatmap(tvt.TVTensor):
        pass

    with pytest.raises(TypeError, match=r"F\.horizontal_flip supports inputs of type"):
        F.horizontal_flip(
            Heatmap.__new__(Heatmap) if False else torch.zeros(2).as_subclass(Heatmap)
        )

    @F.register_kernel(F.horizontal_flip, Heatmap)
    def _flip(inpt):
        return tvt.wrap(inpt.as_subclass(torch.Tensor).flip(-1), like=inpt)

    heat = torch.arange(3.0).as_subclass(Heatmap)
    flipped = F.horizontal_flip(heat)
    assert type(flipped) is Heatmap and flipped.tolist() == [2.0, 1.0, 0.0]
    # Transforms pass types without a kernel through unchanged.
    assert v2.Resize(4)(torch.zeros(1).as_subclass(Heatmap)).shape == (1,)


def test_to_image_and_to_dtype():
    array = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    from_array = v2.ToImage()(array)
    from_pil = v2.ToImage()(PILImage.fromarray(array))
    assert type(from_array) is tvt.Image and torch.equal(from_array, from_pil)
    assert from_array.shape == (3, 2, 4) and from_array[2, 1, 3] == array[1, 3, 2]
    image, target = _box_sample()
    out_image, out = v2.ToDtype(torch.float32, scale=True)(image, target)
    assert out_image.dtype == torch.float32 and out_image.max() <= 1.0
    assert out["masks"].dtype == torch.uint8  # one dtype converts images only
    _, out = v2.ToDtype({tvt.Mask: torch.int64, "others": None})(image, target)
    assert out["masks"].dtype == torch.int64 and out["boxes"].dtype == torch.float32
    with pytest.raises(ValueError, match="No dtype was specified for type"):
        v2.ToDtype({tvt.Mask: torch.int64})(image, target)


def test_sanitize_drops_small_and_outside_boxes_with_their_labels_and_masks():
    boxes = torch.tensor([[0.0, 0.0, 5.0, 5.0], [2.0, 2.0, 2.5, 9.0], [1.0, 1.0, 12.0, 4.0]])
    target = {
        "boxes": tvt.BoundingBoxes(boxes, format="XYXY", canvas_size=(10, 10)),
        "masks": tvt.Mask(torch.zeros(3, 10, 10)),
        "labels": torch.tensor([1, 2, 3]),
        "iscrowd": torch.tensor([0, 0, 1]),
    }
    out = v2.SanitizeBoundingBoxes()(target)
    assert out["boxes"].tolist() == [[0.0, 0.0, 5.0, 5.0]] and out["labels"].tolist() == [1]
    assert out["masks"].shape == (1, 10, 10) and out["iscrowd"].tolist() == [0, 0, 1]
    both = v2.SanitizeBoundingBoxes(labels_getter=lambda t: (t["labels"], t["iscrowd"]))(target)
    assert both["iscrowd"].tolist() == [0]
