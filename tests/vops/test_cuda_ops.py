"""The CUDA kernels against the CPU kernels (the CPU ones are tested against references in the
other files). Skipped without a CUDA device, except the registration check."""

import pytest
import torch
from torch.autograd import gradcheck

import vops

CUDA = torch.cuda.is_available()
needs_gpu = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
DEVICE = "cuda"


def random_boxes(n, size, generator, dtype=torch.float32):
    top_left = torch.rand(n, 2, generator=generator, dtype=torch.float64) * size
    sides = 1 + torch.rand(n, 2, generator=generator, dtype=torch.float64) * size / 4
    return torch.cat([top_left, top_left + sides], dim=1).to(dtype)


def random_rois(k, batch_size, size, generator, dtype):
    batch = torch.randint(0, batch_size, (k, 1), generator=generator).to(dtype)
    corners = random_boxes(k, size, generator, dtype) - size / 8  # some cross the border
    return torch.cat([batch, corners], dim=1)


@pytest.mark.parametrize(
    "op",
    ["nms", "batched_nms", "roi_align", "_roi_align_backward", "roi_pool", "_roi_pool_backward"],
)
def test_cuda_kernels_are_registered_exactly_when_built(op):
    registered = torch._C._dispatch_has_kernel_for_dispatch_key(f"vops::{op}", "CUDA")
    assert registered == vops.build_info()["cuda"]


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("threshold", [-0.1, 0.0, 0.5, 0.9])
@pytest.mark.parametrize("n", [0, 1, 65, 3000])
def test_nms_on_cuda_keeps_the_same_boxes_as_on_cpu(n, threshold, dtype):
    g = torch.Generator().manual_seed(n)
    boxes = random_boxes(n, 400, g, dtype)
    scores = torch.randint(0, 50, (n,), generator=g).to(dtype)  # many ties: index order decides
    expected = vops.nms(boxes, scores, threshold)
    result = vops.nms(boxes.to(DEVICE), scores.to(DEVICE), threshold)
    assert result.device.type == "cuda"
    assert torch.equal(result.cpu(), expected)


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_nms_on_cuda_in_half_precision_matches_cpu(dtype):
    g = torch.Generator().manual_seed(1)
    boxes = random_boxes(500, 200, g, dtype)
    scores = torch.rand(500, generator=g).to(dtype)
    expected = vops.nms(boxes, scores, 0.5)
    assert torch.equal(vops.nms(boxes.to(DEVICE), scores.to(DEVICE), 0.5).cpu(), expected)


@needs_gpu
@pytest.mark.parametrize("n", [0, 2000])
def test_batched_nms_on_cuda_keeps_the_same_boxes_as_on_cpu(n):
    g = torch.Generator().manual_seed(2)
    boxes = random_boxes(n, 300, g)
    scores = torch.rand(n, generator=g)
    idxs = torch.randint(-3, 7, (n,), generator=g)
    expected = vops.batched_nms(boxes, scores, idxs, 0.5)
    result = vops.batched_nms(boxes.to(DEVICE), scores.to(DEVICE), idxs.to(DEVICE), 0.5)
    assert torch.equal(result.cpu(), expected)


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("sampling_ratio", [-1, 2])
def test_roi_align_on_cuda_matches_cpu_forward_and_backward(sampling_ratio, aligned, dtype):
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, 12, 14, generator=g, dtype=dtype)
    rois = random_rois(20, 2, 100, g, dtype)
    grad = torch.randn(20, 5, 3, 4, generator=g, dtype=dtype)
    outputs = []
    for device in ("cpu", DEVICE):
        xd = x.to(device).requires_grad_()
        out = vops.roi_align(xd, rois.to(device), (3, 4), 0.125, sampling_ratio, aligned)
        out.backward(grad.to(device))
        outputs.append((out.detach().cpu(), xd.grad.cpu()))
    # Same per-element summation order and no fused multiply-add: the forward is bit-identical.
    assert torch.equal(outputs[1][0], outputs[0][0])
    # Atomic adds reorder the backward's sums.
    torch.testing.assert_close(outputs[1][1], outputs[0][1])


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_roi_pool_on_cuda_matches_cpu_forward_and_backward(dtype):
    g = torch.Generator().manual_seed(4)
    x = torch.randperm(2 * 5 * 12 * 14, generator=g).to(dtype).view(2, 5, 12, 14)  # no ties
    rois = random_rois(20, 2, 100, g, dtype)
    grad = torch.randn(20, 5, 3, 4, generator=g, dtype=dtype)
    outputs = []
    for device in ("cpu", DEVICE):
        xd = x.to(device).requires_grad_()
        out = vops.roi_pool(xd, rois.to(device), (3, 4), 0.125)
        out.backward(grad.to(device))
        outputs.append((out.detach().cpu(), xd.grad.cpu()))
    assert torch.equal(outputs[1][0], outputs[0][0])
    torch.testing.assert_close(outputs[1][1], outputs[0][1])


@needs_gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_roi_ops_on_cuda_in_half_precision_match_cpu(dtype):
    g = torch.Generator().manual_seed(5)
    x = torch.randn(1, 4, 10, 10, generator=g).to(dtype)
    rois = random_rois(8, 1, 80, g, torch.float32).to(dtype)
    for op, args in ((vops.roi_align, (2, 0.125, 2, True)), (vops.roi_pool, (2, 0.125))):
        expected = op(x, rois, *args)
        result = op(x.to(DEVICE), rois.to(DEVICE), *args)
        assert result.dtype == dtype
        torch.testing.assert_close(result.cpu(), expected)


@needs_gpu
def test_roi_align_and_roi_pool_pass_gradcheck_on_cuda():
    g = torch.Generator().manual_seed(6)
    x = torch.rand(1, 2, 6, 7, generator=g, dtype=torch.float64).to(DEVICE).requires_grad_()
    rois = torch.tensor([[0, 0.6, 1.1, 4.3, 5.2], [0, 2.0, 0.4, 5.9, 3.3]], dtype=torch.float64)
    rois = rois.to(DEVICE)
    assert gradcheck(lambda t: vops.roi_align(t, rois, 2, 1.0, 2, True), (x,))
    distinct = torch.randperm(42, generator=g).double().view(1, 1, 6, 7).to(DEVICE)
    assert gradcheck(lambda t: vops.roi_pool(t, rois, 2, 1.0), (distinct.requires_grad_(),))


@needs_gpu
def test_roi_align_backward_on_cuda_refuses_deterministic_mode():
    x = torch.rand(1, 1, 4, 4, device=DEVICE, requires_grad=True)
    rois = torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]], device=DEVICE)
    out = vops.roi_align(x, rois, 2, 1.0, 2, True)
    torch.use_deterministic_algorithms(True)
    try:
        with pytest.raises(RuntimeError, match="deterministic"):
            out.sum().backward()
    finally:
        torch.use_deterministic_algorithms(False)


@needs_gpu
def test_features_on_cuda_with_boxes_on_cpu_name_both_devices():
    x = torch.rand(1, 1, 4, 4, device=DEVICE)
    rois = torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]])
    with pytest.raises(ValueError, match="same device"):
        vops.roi_align(x, rois, 2)
    with pytest.raises(ValueError, match="same device"):
        vops.nms(torch.rand(3, 4, device=DEVICE), torch.rand(3), 0.5)


@needs_gpu
def test_roi_align_on_cuda_runs_on_the_current_stream():
    # The input is produced on a side stream behind a long sleep: a kernel launched on another
    # stream would read it before it is written.
    g = torch.Generator().manual_seed(7)
    source = torch.randn(2, 8, 32, 32, generator=g).to(DEVICE)
    rois = random_rois(64, 2, 200, g, torch.float32).to(DEVICE)
    expected = vops.roi_align(source, rois, 7, 0.125, 2, True)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        torch.cuda._sleep(50_000_000)
        features = source * 1.0
        result = vops.roi_align(features, rois, 7, 0.125, 2, True)
    side.synchronize()
    assert torch.equal(result, expected)


@needs_gpu
def test_roi_ops_on_cuda_without_rois_return_empty_outputs():
    x = torch.rand(2, 3, 8, 8, device=DEVICE, requires_grad=True)
    rois = torch.zeros(0, 5, device=DEVICE)
    for op in (vops.roi_align, vops.roi_pool):
        out = op(x, rois, 2)
        assert out.shape == (0, 3, 2, 2)
        out.sum().backward()
        assert torch.equal(x.grad, torch.zeros_like(x))
        x.grad = None


@needs_gpu
def test_roi_ops_on_cuda_pool_non_finite_rois_to_nan_without_killing_the_context():
    x = torch.rand(1, 2, 8, 8, device=DEVICE)
    rois = torch.tensor([[0, 1.0, 1.0, 5.0, 5.0], [0, float("nan"), 1.0, 5.0, 5.0]], device=DEVICE)
    for op in (vops.roi_align, vops.roi_pool):
        out = op(x, rois, 2)
        assert torch.isfinite(out[0]).all()
        assert torch.isnan(out[1]).all()
    torch.cuda.synchronize()  # the context is still usable


@needs_gpu
def test_roi_pool_backward_on_cuda_refuses_deterministic_mode():
    x = torch.rand(1, 1, 4, 4, device=DEVICE, requires_grad=True)
    rois = torch.tensor([[0, 0.0, 0.0, 3.0, 3.0]], device=DEVICE)
    out = vops.roi_pool(x, rois, 2)
    torch.use_deterministic_algorithms(True)
    try:
        with pytest.raises(RuntimeError, match="deterministic"):
            out.sum().backward()
    finally:
        torch.use_deterministic_algorithms(False)
