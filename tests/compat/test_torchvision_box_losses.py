"""vops' IoU variants, box losses, focal loss and masks_to_boxes against torchvision.ops on the
same inputs: values, gradients, dtypes, batch dimensions, reductions and error types."""

import pytest
import torch
from torch import Tensor

import vops

torchvision = pytest.importorskip("torchvision")

VARIANTS = ["generalized_box_iou", "distance_box_iou", "complete_box_iou"]
LOSSES = ["generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss"]


def random_boxes(shape: tuple[int, ...], seed: int, dtype=torch.float32) -> Tensor:
    """xyxy boxes on a 200 x 200 image with sides 1-60, many pairs disjoint; integer dtypes
    get rounded coordinates."""
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(*shape, 2, generator=g, dtype=torch.float64) * 140
    size = torch.rand(*shape, 2, generator=g, dtype=torch.float64) * 59 + 1
    boxes = torch.cat([corner, corner + size], dim=-1)
    return boxes.to(dtype) if dtype.is_floating_point else boxes.round().to(dtype)


def assert_same(actual: Tensor, expected: Tensor) -> None:
    """Same dtype and shape, equal up to a few units of rounding of that dtype."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    eps = torch.finfo(expected.dtype).eps
    torch.testing.assert_close(actual, expected, rtol=16 * eps, atol=16 * eps, equal_nan=True)


# --- pairwise IoU variants -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype", [torch.float32, torch.float64, torch.int16, torch.int32, torch.int64]
)
@pytest.mark.parametrize("name", VARIANTS)
def test_variant_equals_torchvision(name, dtype):
    boxes1, boxes2 = random_boxes((30,), seed=1, dtype=dtype), random_boxes((20,), 2, dtype)
    expected = getattr(torchvision.ops, name)(boxes1, boxes2)
    assert_same(getattr(vops, name)(boxes1, boxes2), expected)


@pytest.mark.parametrize(
    "dtype", [torch.float16, torch.float32, torch.int16, torch.int32, torch.int64]
)
def test_box_iou_beside_the_variants_gives_torchvisions_dtype(dtype):
    boxes1, boxes2 = random_boxes((9,), seed=1, dtype=dtype), random_boxes((4,), 2, dtype)
    expected = torchvision.ops.box_iou(boxes1, boxes2)
    actual = vops.box_iou(boxes1, boxes2)
    assert actual.dtype == expected.dtype
    tolerance = 2e-3 if dtype == torch.float16 else 1e-6
    torch.testing.assert_close(actual, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_of_overlapping_uint8_boxes_equals_torchvision(name):
    # Only overlapping pairs: torchvision's generalized_box_iou subtracts uint8 corners before
    # upcasting them, so a disjoint pair's negative width wraps around there (vops gives the
    # int64 answer for it).
    boxes1 = torch.tensor([[10, 10, 50, 60], [20, 5, 40, 45]], dtype=torch.uint8)
    boxes2 = torch.tensor([[15, 12, 45, 50], [30, 30, 70, 90], [25, 20, 35, 40]], dtype=torch.uint8)
    expected = getattr(torchvision.ops, name)(boxes1, boxes2)
    assert_same(getattr(vops, name)(boxes1, boxes2), expected)


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_of_disjoint_uint8_boxes_equals_torchvision_on_int64(name):
    boxes1, boxes2 = random_boxes((8,), 3, torch.uint8), random_boxes((6,), 4, torch.uint8)
    expected = getattr(torchvision.ops, name)(boxes1.long(), boxes2.long())
    assert_same(getattr(vops, name)(boxes1, boxes2), expected)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", VARIANTS)
def test_variant_of_half_precision_boxes_is_float32_like_torchvision(name, dtype):
    boxes1, boxes2 = random_boxes((10,), 5, dtype), random_boxes((7,), 6, dtype)
    expected = getattr(torchvision.ops, name)(boxes1, boxes2)
    actual = getattr(vops, name)(boxes1, boxes2)
    assert actual.dtype == expected.dtype == torch.float32
    # torchvision takes some corner differences in half precision first, vops in float32.
    torch.testing.assert_close(actual, expected, rtol=0, atol=2 * torch.finfo(dtype).eps)


@pytest.mark.parametrize(
    ("shape1", "shape2", "dtype2"),
    [
        ((2, 3, 5), (2, 3, 4), torch.float32),
        ((3, 5), (2, 1, 4), torch.float64),
        ((0, 5), (7,), torch.int64),
        ((4, 0), (4, 3), torch.float32),
    ],
    ids=["batch", "broadcast_mixed_dtype", "empty_int", "empty_batch"],
)
@pytest.mark.parametrize("name", VARIANTS)
def test_variant_batch_dims_and_dtype_promotion_equal_torchvision(name, shape1, shape2, dtype2):
    boxes1, boxes2 = random_boxes(shape1, 7), random_boxes(shape2, 8, dtype2)
    expected = getattr(torchvision.ops, name)(boxes1, boxes2)
    assert_same(getattr(vops, name)(boxes1, boxes2), expected)


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_gradients_equal_torchvision(name):
    boxes1 = random_boxes((6,), 9, torch.float64)
    boxes2 = random_boxes((5,), 10, torch.float64)
    boxes2[0] = boxes1[0]  # ties in min and max
    weights = torch.rand(6, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    grads = []
    for ops in (vops, torchvision.ops):
        inputs = (boxes1.clone().requires_grad_(), boxes2.clone().requires_grad_())
        grads.append(torch.autograd.grad((getattr(ops, name)(*inputs) * weights).sum(), inputs))
    for actual, expected in zip(*grads, strict=True):
        assert_same(actual, expected)


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize(
    ("boxes1", "boxes2"),
    [
        (torch.zeros(2, 4), torch.zeros(4)),
        (torch.zeros(2, 3), torch.zeros(2, 4)),
        (torch.zeros(2, 4), torch.zeros(2, 5)),
        (torch.zeros(()), torch.zeros(2, 4)),
        (torch.zeros(2, 2, 4), torch.zeros(3, 2, 4)),
    ],
    ids=["1d_boxes2", "3_columns", "5_columns", "0d", "batch"],
)
def test_variant_error_is_of_the_type_torchvision_raises(name, boxes1, boxes2):
    with pytest.raises(Exception) as theirs:
        getattr(torchvision.ops, name)(boxes1, boxes2)
    with pytest.raises(theirs.type):
        getattr(vops, name)(boxes1, boxes2)


def test_bool_boxes_raise_the_type_torchvisions_generalized_box_iou_raises():
    # torchvision's distance and complete IoU upcast bool boxes to int32 and answer; vops
    # rejects bool boxes in all three.
    boxes = torch.zeros(2, 4, dtype=torch.bool)
    with pytest.raises(Exception) as theirs:
        torchvision.ops.generalized_box_iou(boxes, boxes)
    for name in VARIANTS:
        with pytest.raises(theirs.type, match="boxes1 must hold integer or floating-point"):
            getattr(vops, name)(boxes, boxes)


# --- box losses ----------------------------------------------------------------------------------


def loss_inputs(shape: tuple[int, ...], dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Matched pairs: mostly overlapping, some identical, some touching along x."""
    boxes1 = random_boxes(shape, 11, dtype)
    boxes2 = (boxes1 + random_boxes(shape, 12, dtype) / 4).to(dtype)
    flat1, flat2 = boxes1.view(-1, 4), boxes2.view(-1, 4)
    flat2[:2] = flat1[:2]
    flat2[2, 0] = flat1[2, 2]
    return boxes1, boxes2


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.float16])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_equals_torchvision(name, dtype, reduction):
    boxes1, boxes2 = loss_inputs((40,), dtype)
    expected = getattr(torchvision.ops, name)(boxes1, boxes2, reduction=reduction)
    assert_same(getattr(vops, name)(boxes1, boxes2, reduction=reduction), expected)


@pytest.mark.parametrize("eps", [1e-7, 0.3])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_with_eps_and_batch_dims_equals_torchvision(name, eps):
    boxes1, boxes2 = loss_inputs((3, 7), torch.float64)
    for other in (boxes2, boxes2[0, 3]):  # matched, or one box for all
        expected = getattr(torchvision.ops, name)(boxes1, other, eps=eps)
        assert_same(getattr(vops, name)(boxes1, other, eps=eps), expected)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_of_no_pairs_equals_torchvision(name, reduction):
    empty = torch.zeros(0, 4)
    expected = getattr(torchvision.ops, name)(empty, empty, reduction=reduction)
    assert_same(getattr(vops, name)(empty, empty, reduction=reduction), expected)


@pytest.mark.parametrize("name", LOSSES)
def test_loss_mixed_float_dtypes_promote_where_torchvision_accepts_them(name):
    # torchvision accepts float64 boxes1 with float32 boxes2 (and fails the other way round).
    boxes1, boxes2 = loss_inputs((10,), torch.float64)
    expected = getattr(torchvision.ops, name)(boxes1, boxes2.float())
    assert_same(getattr(vops, name)(boxes1, boxes2.float()), expected)
    assert vops.__dict__[name](boxes1.float(), boxes2).dtype == torch.float64


@pytest.mark.parametrize("reduction", ["none", "mean"])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_gradients_equal_torchvision(name, reduction):
    boxes1, boxes2 = loss_inputs((30,), torch.float64)
    grads = []
    for ops in (vops, torchvision.ops):
        inputs = (boxes1.clone().requires_grad_(), boxes2.clone().requires_grad_())
        loss = getattr(ops, name)(*inputs, reduction=reduction)
        grads.append(torch.autograd.grad(loss.sum(), inputs))
    for actual, expected in zip(*grads, strict=True):
        assert_same(actual, expected)


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize(
    ("boxes1", "boxes2", "reduction"),
    [
        (torch.zeros(2, 4), torch.zeros(2, 4), "avg"),
        (torch.zeros(2, 3), torch.zeros(2, 3), "none"),
        (torch.zeros(2, 5), torch.zeros(2, 5), "none"),
        (torch.zeros(4), torch.zeros(2, 4), "none"),
        (torch.zeros(2, 4), torch.zeros(3, 2, 4), "none"),
        (torch.zeros(()), torch.zeros(2, 4), "none"),
    ],
    ids=["reduction", "3_columns", "5_columns", "boxes2_larger", "boxes2_more_dims", "0d"],
)
def test_loss_error_is_of_the_type_torchvision_raises(name, boxes1, boxes2, reduction):
    with pytest.raises(Exception) as theirs:
        getattr(torchvision.ops, name)(boxes1, boxes2, reduction=reduction)
    with pytest.raises(theirs.type):
        getattr(vops, name)(boxes1, boxes2, reduction=reduction)


# --- sigmoid_focal_loss --------------------------------------------------------------------------


def focal_inputs(dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(13)
    inputs = (torch.randn(8, 50, generator=g) * 4).to(dtype)
    targets = (torch.rand(8, 50, generator=g) < 0.1).to(dtype)
    targets[0] = torch.rand(50, generator=g)  # soft labels
    return inputs, targets


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2), (-1, 2), (0.75, 0), (0.5, 1.5)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_focal_loss_and_gradient_equal_torchvision(dtype, alpha, gamma, reduction):
    inputs, targets = focal_inputs(dtype)
    results = []
    for ops in (vops, torchvision.ops):
        x, t = inputs.clone().requires_grad_(), targets.clone().requires_grad_()
        loss = ops.sigmoid_focal_loss(x, t, alpha=alpha, gamma=gamma, reduction=reduction)
        results.append((loss, *torch.autograd.grad(loss.sum(), (x, t))))
    for actual, expected in zip(*results, strict=True):
        assert_same(actual.detach(), expected.detach())


@pytest.mark.parametrize(
    ("input_dtype", "target_dtype", "tolerance"),
    [
        # Both round in half precision, in different places: each is within ~1% of float64.
        (torch.float16, torch.float16, 1e-2),
        # torchvision takes the sigmoid of float32 logits in float32, vops in float64.
        (torch.float32, torch.float64, 1e-6),
        (torch.float64, torch.float32, 1e-6),
    ],
)
def test_focal_loss_dtypes_equal_torchvision(input_dtype, target_dtype, tolerance):
    inputs, targets = focal_inputs(torch.float32)
    inputs, targets = inputs.to(input_dtype), targets.to(target_dtype)
    expected = torchvision.ops.sigmoid_focal_loss(inputs, targets)
    actual = vops.sigmoid_focal_loss(inputs, targets)
    assert actual.dtype == expected.dtype
    torch.testing.assert_close(actual, expected, rtol=tolerance, atol=tolerance)


def test_focal_loss_mean_of_no_elements_is_nan_like_torchvision():
    empty = torch.zeros(0)
    assert torchvision.ops.sigmoid_focal_loss(empty, empty, reduction="mean").isnan()
    assert vops.sigmoid_focal_loss(empty, empty, reduction="mean").isnan()


@pytest.mark.parametrize(
    ("inputs", "targets", "kwargs"),
    [
        (torch.zeros(3), torch.zeros(3), {"alpha": 1.5}),
        (torch.zeros(3), torch.zeros(3), {"reduction": "avg"}),
        (torch.zeros(3), torch.zeros(3), {"alpha": 2.0, "reduction": "avg"}),
        (torch.zeros(3), torch.zeros(2, 3), {}),
        (torch.zeros(3), torch.zeros(4), {}),
        (torch.zeros(3, dtype=torch.int64), torch.zeros(3), {}),
        (torch.zeros(3), torch.zeros(3, dtype=torch.int64), {}),
        (torch.zeros(3), torch.zeros(3, dtype=torch.bool), {}),
    ],
    ids=["alpha", "reduction", "both", "broadcast", "length", "int_in", "int_t", "bool_t"],
)
def test_focal_loss_error_is_of_the_type_torchvision_raises(inputs, targets, kwargs):
    with pytest.raises(Exception) as theirs:
        torchvision.ops.sigmoid_focal_loss(inputs, targets, **kwargs)
    with pytest.raises(theirs.type):
        vops.sigmoid_focal_loss(inputs, targets, **kwargs)


# --- masks_to_boxes ------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.float32, torch.float64])
def test_masks_to_boxes_equals_torchvision(dtype):
    g = torch.Generator().manual_seed(14)
    masks = (torch.rand(12, 33, 47, generator=g) < 0.02).to(dtype)
    masks[3] = 0  # an empty mask
    masks[4, 7, 9] = 1  # with a lone pixel elsewhere
    assert_same(vops.masks_to_boxes(masks), torchvision.ops.masks_to_boxes(masks))


def test_masks_to_boxes_of_no_masks_equals_torchvision():
    masks = torch.zeros(0, 8, 8, dtype=torch.bool)
    assert_same(vops.masks_to_boxes(masks), torchvision.ops.masks_to_boxes(masks))


@pytest.mark.parametrize("shape", [(4, 4), (1, 1, 4, 4)])
def test_masks_to_boxes_error_is_of_the_type_torchvision_raises(shape):
    with pytest.raises(Exception) as theirs:
        torchvision.ops.masks_to_boxes(torch.ones(shape))
    with pytest.raises(theirs.type):
        vops.masks_to_boxes(torch.ones(shape))
