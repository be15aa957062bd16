"""vops' IoU variants, box losses, sigmoid_focal_loss and masks_to_boxes against torchvision.ops."""

import pytest
import torch

import vops

torchvision = pytest.importorskip("torchvision")

LOSSES = ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]
VARIANTS = ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"]


def random_boxes(shape: tuple[int, ...], seed: int, dtype: torch.dtype) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(*shape, 2, generator=g, dtype=torch.float64) * 100
    sides = torch.rand(*shape, 2, generator=g, dtype=torch.float64) * 60 + 1
    return torch.cat([corner, corner + sides], dim=-1).to(dtype)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("shape", [(64,), (3, 5), (0,)])
@pytest.mark.parametrize("name", LOSSES)
def test_box_loss_values_and_gradients_equal_torchvision(name, shape, reduction):
    inputs = [random_boxes(shape, 0, torch.float64), random_boxes(shape, 1, torch.float64)]
    results = []
    for ops in (vops, torchvision.ops):
        boxes1, boxes2 = (b.clone().requires_grad_() for b in inputs)
        loss = getattr(ops, name)(boxes1, boxes2, reduction=reduction)
        loss.sum().backward()
        results.append((loss.detach(), boxes1.grad, boxes2.grad))
    for ours, theirs in zip(*results, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.int32, torch.int64])
@pytest.mark.parametrize("name", VARIANTS)
def test_pairwise_variant_and_its_dtype_equal_torchvision(name, dtype):
    boxes1, boxes2 = random_boxes((7,), 2, dtype), random_boxes((5,), 3, dtype)
    ours = getattr(vops, name)(boxes1, boxes2)
    theirs = getattr(torchvision.ops, name)(boxes1, boxes2)
    assert ours.dtype == theirs.dtype
    tolerance = 2e-3 if dtype == torch.float16 else 1e-5
    torch.testing.assert_close(ours, theirs, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", VARIANTS[1:])
def test_batched_pairwise_variant_equals_torchvision(name):
    boxes1, boxes2 = random_boxes((2, 4), 4, torch.float32), random_boxes((2, 3), 5, torch.float32)
    torch.testing.assert_close(
        getattr(vops, name)(boxes1, boxes2), getattr(torchvision.ops, name)(boxes1, boxes2)
    )


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 0.0), (0.5, 1.5)])
def test_sigmoid_focal_loss_and_gradient_equal_torchvision(alpha, gamma, reduction):
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(40, 3, generator=g, dtype=torch.float64) * 4
    targets = (torch.rand(40, 3, generator=g) < 0.3).double()
    results = []
    for ops in (vops, torchvision.ops):
        inputs = logits.clone().requires_grad_()
        loss = ops.sigmoid_focal_loss(inputs, targets, alpha, gamma, reduction)
        loss.sum().backward()
        results.append((loss.detach(), inputs.grad))
    for ours, theirs in zip(*results, strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", [*LOSSES, "sigmoid_focal_loss"])
def test_unknown_reduction_raises_torchvisions_type(name):
    boxes = random_boxes((3,), 7, torch.float32)
    with pytest.raises(Exception) as theirs:
        getattr(torchvision.ops, name)(boxes, boxes, reduction="average")
    with pytest.raises(theirs.type, match="reduction"):
        getattr(vops, name)(boxes, boxes, reduction="average")


@pytest.mark.parametrize("shape", [(3, 6, 5), (0, 4, 4)])
def test_masks_to_boxes_equals_torchvision(shape):
    masks = torch.rand(shape, generator=torch.Generator().manual_seed(8)) > 0.7
    if shape[0]:
        masks[:, 1, 2] = True  # no empty mask: torchvision's result for one is undefined
    ours, theirs = vops.masks_to_boxes(masks), torchvision.ops.masks_to_boxes(masks)
    assert ours.dtype == theirs.dtype
    torch.testing.assert_close(ours, theirs)
