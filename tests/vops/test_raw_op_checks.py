"""The raw ``torch.ops.vops`` RoI ops check their arguments themselves, as the Python wrappers do,
and compute half precision in float32."""

import math

import pytest
import torch

import vops

ops = torch.ops.vops


def _inputs(dtype=torch.float32):
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 8, 8, generator=gen, dtype=torch.float32).to(dtype)
    rois = torch.tensor([[0, 0.5, 0.5, 6.0, 5.0], [1, 1.0, 2.0, 7.5, 7.0]]).to(dtype)
    return x, rois


def _forward(op, x, rois, scale, ph, pw):
    if op == "roi_align":
        return ops.roi_align(x, rois, scale, ph, pw, 2, True)
    return ops.roi_pool(x, rois, scale, ph, pw)


@pytest.mark.parametrize("op", ["roi_align", "roi_pool"])
@pytest.mark.parametrize("scale", [0.0, -1.0, math.nan, math.inf])
def test_raw_forward_rejects_nonpositive_or_nonfinite_spatial_scale(op, scale):
    x, rois = _inputs()
    with pytest.raises(RuntimeError, match="spatial_scale"):
        _forward(op, x, rois, scale, 2, 2)


@pytest.mark.parametrize("op", ["roi_align", "roi_pool"])
@pytest.mark.parametrize("size", [(2**20, 2**20), (2**31 - 1, 2**31 - 1), (2**62, 4)])
def test_raw_forward_rejects_output_too_large_before_allocating(op, size):
    x, rois = _inputs()
    with pytest.raises(RuntimeError, match="output_size") as info:
        _forward(op, x, rois, 1.0, *size)
    assert "allocate" not in str(info.value)


@pytest.mark.parametrize("size", [2**20, 2**31 - 1])
def test_python_roi_align_rejects_output_too_large_before_allocating(size):
    x, rois = _inputs()
    with pytest.raises(RuntimeError, match="output_size") as info:
        vops.roi_align(x, rois, size, 1.0)
    assert "allocate" not in str(info.value)


def _align_backward(grad, rois, scale=1.0, ph=2, pw=2, n=2, c=3, h=8, w=8):
    return ops._roi_align_backward(grad, rois, scale, ph, pw, n, c, h, w, 2, True)


def _pool_backward(grad, rois, argmax, scale=1.0, ph=2, pw=2, n=2, c=3, h=8, w=8):
    return ops._roi_pool_backward(grad, rois, argmax, scale, ph, pw, n, c, h, w)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": -1}, "batch_size"),
        ({"c": -1}, "channels"),
        ({"h": -1}, "height"),
        ({"w": -1}, "width"),
        ({"scale": 0.0}, "spatial_scale"),
    ],
)
def test_raw_roi_align_backward_names_bad_size_argument(kwargs, name):
    _, rois = _inputs()
    grad = torch.ones(2, 3, 2, 2)
    if "c" in kwargs:
        grad = torch.ones(2, 0, 2, 2)
    with pytest.raises(RuntimeError, match=name):
        _align_backward(grad, rois, **kwargs)


@pytest.mark.parametrize(
    ("grad_dtype", "rois_dtype", "name"),
    [(torch.int64, torch.int64, "grad"), (torch.float32, torch.float64, "rois")],
)
def test_raw_roi_align_backward_names_bad_dtype(grad_dtype, rois_dtype, name):
    _, rois = _inputs()
    with pytest.raises(RuntimeError, match=name):
        _align_backward(torch.ones(2, 3, 2, 2, dtype=grad_dtype), rois.to(rois_dtype))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": -1}, "batch_size"),
        ({"h": -1}, "height"),
        ({"w": -1}, "width"),
        ({"scale": math.nan}, "spatial_scale"),
    ],
)
def test_raw_roi_pool_backward_names_bad_size_argument(kwargs, name):
    _, rois = _inputs()
    grad = torch.ones(2, 3, 2, 2)
    argmax = torch.zeros(2, 3, 2, 2, dtype=torch.int32)
    with pytest.raises(RuntimeError, match=name):
        _pool_backward(grad, rois, argmax, **kwargs)


@pytest.mark.parametrize(
    ("grad_dtype", "argmax_dtype", "name"),
    [(torch.int64, torch.int32, "grad"), (torch.float32, torch.int64, "argmax")],
)
def test_raw_roi_pool_backward_names_bad_dtype(grad_dtype, argmax_dtype, name):
    _, rois = _inputs()
    grad = torch.ones(2, 3, 2, 2, dtype=grad_dtype)
    argmax = torch.zeros(2, 3, 2, 2, dtype=argmax_dtype)
    with pytest.raises(RuntimeError, match=name):
        _pool_backward(grad, rois, argmax)


@pytest.mark.parametrize(("dtype", "mantissa"), [(torch.float16, 10), (torch.bfloat16, 7)])
def test_roi_align_half_matches_float32_rounded(dtype, mantissa):
    x, rois = _inputs(dtype)
    x32, rois32 = x.float(), rois.float()
    out = ops.roi_align(x, rois, 1.0, 3, 3, 2, True)
    ref = ops.roi_align(x32, rois32, 1.0, 3, 3, 2, True)
    ulp = torch.exp2(torch.floor(torch.log2(ref.abs().clamp_min(1e-3))) - mantissa)
    assert out.dtype == dtype
    assert ((out.float() - ref).abs() <= 2 * ulp).all()

    grad = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    gin = _align_backward(grad.to(dtype), rois, ph=3, pw=3)
    gref = _align_backward(grad.to(dtype).float(), rois32, ph=3, pw=3)
    gulp = torch.exp2(torch.floor(torch.log2(gref.abs().clamp_min(1e-3))) - mantissa)
    assert gin.dtype == dtype
    assert ((gin.float() - gref).abs() <= 2 * gulp).all()
