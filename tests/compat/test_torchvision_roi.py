"""vops.roi_align / vops.roi_pool against torchvision.ops on random inputs (skipped without it).

In float32 and float64 the CPU results are bit-identical for any spatial_scale: same sample
points (the scale is rounded to the compute dtype first, as torchvision does), same summation
order, forward and backward. Half precision is not compared: torchvision computes it in float16,
vops in float32.
"""

import warnings

import pytest
import torch

import vops

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torchvision may warn at import about optional codecs
    torchvision = pytest.importorskip("torchvision")

SHAPE = (2, 4, 10, 12)
OUTPUT_SIZE = (2, 3)


def random_case(dtype, spatial_scale, seed=0, num_rois=12):
    """A feature map and RoIs (in image coordinates) inside, across and outside its border."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(SHAPE, generator=g, dtype=torch.float64) * 4 - 2
    corner = torch.rand(num_rois, 2, generator=g, dtype=torch.float64) * 24 - 8
    size = torch.rand(num_rois, 2, generator=g, dtype=torch.float64) * 14 - 1
    index = torch.randint(0, SHAPE[0], (num_rois, 1), generator=g).double()
    rois = torch.cat([index, corner / spatial_scale, (corner + size) / spatial_scale], dim=1)
    grad_out = torch.randn(num_rois, SHAPE[1], *OUTPUT_SIZE, generator=g, dtype=torch.float64)
    return x.to(dtype), rois.to(dtype), grad_out.to(dtype)


def forward_backward(op, x, boxes, grad_out, *args):
    x = x.detach().requires_grad_()
    out = op(x, boxes, OUTPUT_SIZE, *args)
    (grad,) = torch.autograd.grad(out, x, grad_out)
    return out, grad


def assert_same_forward_backward(vops_op, torchvision_op, x, boxes, grad_out, *args, **close):
    out, grad = forward_backward(vops_op, x, boxes, grad_out, *args)
    expected_out, expected_grad = forward_backward(torchvision_op, x, boxes, grad_out, *args)
    torch.testing.assert_close(out, expected_out, **close)
    torch.testing.assert_close(grad, expected_grad, **close)


EXACT = {"rtol": 0, "atol": 0}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5, 1 / 16])
@pytest.mark.parametrize("sampling_ratio", [-1, 0, 2])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_equals_torchvision_bit_for_bit(aligned, sampling_ratio, spatial_scale, dtype):
    x, rois, grad_out = random_case(dtype, spatial_scale)
    args = (spatial_scale, sampling_ratio, aligned)
    assert_same_forward_backward(
        vops.roi_align, torchvision.ops.roi_align, x, rois, grad_out, *args, **EXACT
    )


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_with_per_image_box_lists_equals_torchvision(aligned):
    x, rois, grad_out = random_case(torch.float32, 0.5)
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(SHAPE[0])]
    args = (0.5, 2, aligned)
    assert_same_forward_backward(
        vops.roi_align, torchvision.ops.roi_align, x, boxes, grad_out, *args, **EXACT
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spatial_scale", [0.3, 1 / 3])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_with_non_power_of_two_scale_equals_torchvision_bit_for_bit(
    aligned, spatial_scale, dtype
):
    x, rois, grad_out = random_case(dtype, spatial_scale)
    args = (spatial_scale, -1, aligned)
    assert_same_forward_backward(
        vops.roi_align, torchvision.ops.roi_align, x, rois, grad_out, *args, **EXACT
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5, 1 / 16])
def test_roi_pool_equals_torchvision_bit_for_bit(spatial_scale, dtype):
    x, rois, grad_out = random_case(dtype, spatial_scale)
    assert_same_forward_backward(
        vops.roi_pool, torchvision.ops.roi_pool, x, rois, grad_out, spatial_scale, **EXACT
    )


def test_roi_pool_with_per_image_box_lists_equals_torchvision():
    x, rois, grad_out = random_case(torch.float32, 0.25)
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(SHAPE[0])]
    assert_same_forward_backward(
        vops.roi_pool, torchvision.ops.roi_pool, x, boxes, grad_out, 0.25, **EXACT
    )


def test_roi_pool_float32_with_non_power_of_two_scale_rounds_corners_like_torchvision():
    x = -torch.arange(40 * 40, dtype=torch.float32).view(1, 1, 40, 40)
    rois = torch.tensor([[0, 45.0, 0.0, 50.0, 5.0]])
    torch.testing.assert_close(
        vops.roi_pool(x, rois, 1, 0.7), torchvision.ops.roi_pool(x, rois, 1, 0.7), **EXACT
    )
