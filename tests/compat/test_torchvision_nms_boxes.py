"""vops' NMS and box geometry against torchvision.ops, the implementation its API follows."""

import itertools

import pytest
import torch
from torch import Tensor

import vops

torchvision = pytest.importorskip("torchvision")

FORMATS = ["xyxy", "xywh", "cxcywh"]


def random_detections(n: int, seed: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Overlapping xyxy boxes on a 600 x 600 image and distinct scores (ties are ordered
    differently by torchvision's unstable sort)."""
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=g, dtype=torch.float64) * 600
    size = torch.rand(n, 2, generator=g, dtype=torch.float64) * 80 + 1
    boxes = torch.cat([corner, corner + size], dim=1).to(dtype)
    scores = torch.randperm(n, generator=g).to(dtype) / n
    return boxes, scores


def per_class_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """torchvision's "vanilla" batched NMS: torchvision.ops.nms per class, merged by score."""
    keep = torch.zeros_like(idxs, dtype=torch.bool)
    for category in idxs.unique():
        members = torch.where(idxs == category)[0]
        keep[members[torchvision.ops.nms(boxes[members], scores[members], iou_threshold)]] = True
    kept = torch.where(keep)[0]
    return kept[scores[kept].argsort(descending=True, stable=True)]


@pytest.mark.parametrize("iou_threshold", [0.0, 0.3, 0.7])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [1000, 5000])
def test_nms_equals_torchvision(n, dtype, iou_threshold):
    boxes, scores = random_detections(n, seed=n, dtype=dtype)
    expected = torchvision.ops.nms(boxes, scores, iou_threshold)
    assert torch.equal(vops.nms(boxes, scores, iou_threshold), expected)


@pytest.mark.parametrize("iou_threshold", [0.3, 0.7])
@pytest.mark.parametrize("num_classes", [1, 5, 80])
@pytest.mark.parametrize("n", [1000, 5000])
def test_batched_nms_equals_torchvision_per_class_nms(n, num_classes, iou_threshold):
    boxes, scores = random_detections(n, seed=n + num_classes, dtype=torch.float32)
    idxs = torch.randint(0, num_classes, (n,), generator=torch.Generator().manual_seed(n))
    expected = per_class_nms(boxes, scores, idxs, iou_threshold)
    assert torch.equal(vops.batched_nms(boxes, scores, idxs, iou_threshold), expected)


def test_batched_nms_equals_torchvision_batched_nms_on_its_vanilla_path():
    # On the CPU torchvision runs NMS per class (no coordinate offsets) above 1000 boxes.
    boxes, scores = random_detections(3000, seed=1, dtype=torch.float32)
    idxs = torch.randint(-4, 40, (3000,), generator=torch.Generator().manual_seed(1))
    expected = torchvision.ops.batched_nms(boxes, scores, idxs, 0.5)
    assert torch.equal(vops.batched_nms(boxes, scores, idxs, 0.5), expected)


# --- box geometry ------------------------------------------------------------------------------


def assert_within_a_few_ulps(actual: Tensor, expected: Tensor) -> None:
    """Equal up to rounding: vops and torchvision may order the same arithmetic differently."""
    eps = torch.finfo(expected.dtype).eps
    torch.testing.assert_close(actual, expected, rtol=8 * eps, atol=8 * eps)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def box_pair(request) -> tuple[Tensor, Tensor]:
    boxes1, _ = random_detections(40, seed=2, dtype=request.param)
    boxes2, _ = random_detections(30, seed=3, dtype=request.param)
    return boxes1, boxes2


@pytest.mark.parametrize("name", ["box_iou", "generalized_box_iou"])
def test_pairwise_iou_equals_torchvision(box_pair, name):
    boxes1, boxes2 = box_pair
    expected = getattr(torchvision.ops, name)(boxes1, boxes2)
    assert_within_a_few_ulps(getattr(vops, name)(*box_pair), expected)


def test_box_area_equals_torchvision(box_pair):
    boxes, _ = box_pair
    assert torch.equal(vops.box_area(boxes), torchvision.ops.box_area(boxes))


@pytest.mark.parametrize("size", [(300, 500), (500, 300)])
def test_clip_boxes_to_image_equals_torchvision(box_pair, size):
    boxes = box_pair[0] - 100
    expected = torchvision.ops.clip_boxes_to_image(boxes, size)
    assert torch.equal(vops.clip_boxes_to_image(boxes, size), expected)


@pytest.mark.parametrize("min_size", [0.0, 20.0, 50.0])
def test_remove_small_boxes_equals_torchvision(box_pair, min_size):
    boxes, _ = box_pair
    expected = torchvision.ops.remove_small_boxes(boxes, min_size)
    assert torch.equal(vops.remove_small_boxes(boxes, min_size), expected)


@pytest.mark.parametrize(("in_fmt", "out_fmt"), list(itertools.product(FORMATS, FORMATS)))
def test_box_convert_equals_torchvision(box_pair, in_fmt, out_fmt):
    boxes, _ = box_pair
    expected = torchvision.ops.box_convert(boxes, in_fmt, out_fmt)
    assert_within_a_few_ulps(vops.box_convert(boxes, in_fmt, out_fmt), expected)
