"""vops.roi_align against a slow sample-by-sample reference and hand-computed maps."""

import math

import pytest
import torch
from roi_cases import (
    BAD_ROI_ARGUMENTS,
    HEIGHT,
    OUTPUT_SIZE,
    ROIS,
    WIDTH,
    make_rois,
    random_rois,
    rounding,
)
from torch.autograd import gradcheck

import vops


def _bilinear_taps(y: float, x: float, height: int, width: int) -> list:
    """(flat pixel index, weight) of the four pixels around (y, x); none beyond 1 px outside."""
    if not (-1.0 <= y <= height and -1.0 <= x <= width):
        return []
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    return [
        (y_low * width + x_low, hy * hx),
        (y_low * width + x_high, hy * lx),
        (y_high * width + x_low, ly * hx),
        (y_high * width + x_high, ly * lx),
    ]


def roi_align_reference(
    input, rois, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False
):
    """RoIAlign written out RoI by RoI, bin by bin, sample by sample.

    Geometry is rounded to the kernels' compute precision so that ``ceil(bin size)`` sample counts
    agree; pixel weights accumulate in float64. Returns a float64 ``Tensor[K, C, PH, PW]`` that is
    differentiable with respect to ``input``.
    """
    t = rounding(input.dtype)
    pooled_h, pooled_w = output_size
    _, channels, height, width = input.shape
    planes = input.double().flatten(2)  # [N, C, H * W]
    offset = 0.5 if aligned else 0.0
    outputs = []
    for batch_index, *corners in rois.double().tolist():
        x1, y1, x2, y2 = (t(c * spatial_scale - offset) for c in corners)
        roi_w, roi_h = t(x2 - x1), t(y2 - y1)
        if not aligned:
            roi_w, roi_h = max(roi_w, 1.0), max(roi_h, 1.0)
        bin_h, bin_w = t(roi_h / pooled_h), t(roi_w / pooled_w)
        grid_h = sampling_ratio if sampling_ratio > 0 else math.ceil(bin_h)
        grid_w = sampling_ratio if sampling_ratio > 0 else math.ceil(bin_w)
        count = max(grid_h * grid_w, 1)
        weights = [[0.0] * (height * width) for _ in range(pooled_h * pooled_w)]
        for ph in range(pooled_h):
            for pw in range(pooled_w):
                row = weights[ph * pooled_w + pw]
                for iy in range(grid_h):
                    y = t(t(y1 + t(ph * bin_h)) + t(t((iy + 0.5) * bin_h) / grid_h))
                    for ix in range(grid_w):
                        x = t(t(x1 + t(pw * bin_w)) + t(t((ix + 0.5) * bin_w) / grid_w))
                        for pixel, weight in _bilinear_taps(y, x, height, width):
                            row[pixel] += weight / count
        bin_weights = torch.tensor(weights, dtype=torch.float64)  # [PH * PW, H * W]
        # Weighted sum over pixels, [C, 1, H * W] * [PH * PW, H * W] -> [C, PH * PW].
        pooled = (planes[int(batch_index)].unsqueeze(1) * bin_weights).sum(-1)
        outputs.append(pooled.reshape(channels, pooled_h, pooled_w))
    if not outputs:
        return planes.new_zeros((0, channels, pooled_h, pooled_w))
    return torch.stack(outputs)


def make_input(dtype=torch.float64, shape=(2, 3, HEIGHT, WIDTH), seed=0):
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def ramp(height=HEIGHT, width=WIDTH):
    """f(y, x) = 2y + 0.5x + 1: bilinear sampling of it is exact inside the map."""
    y = torch.arange(height, dtype=torch.float64).view(height, 1)
    x = torch.arange(width, dtype=torch.float64).view(1, width)
    return (2 * y + 0.5 * x + 1).expand(1, 1, height, width).contiguous()


def ramp_at(y, x):
    return 2 * y + 0.5 * x + 1


TOLERANCE = {torch.float64: 1e-12, torch.float32: 1e-6, torch.float16: 1e-3, torch.bfloat16: 8e-3}


# Forward against the reference


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5])
@pytest.mark.parametrize("sampling_ratio", [-1, 0, 1, 2])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_matches_reference_for_rois_inside_outside_and_degenerate(
    aligned, sampling_ratio, spatial_scale, dtype
):
    x = make_input(dtype)
    rois = torch.cat([make_rois(dtype, spatial_scale), random_rois(6, dtype=dtype)])
    out = vops.roi_align(x, rois, OUTPUT_SIZE, spatial_scale, sampling_ratio, aligned)
    expected = roi_align_reference(x, rois, OUTPUT_SIZE, spatial_scale, sampling_ratio, aligned)
    assert out.dtype == dtype
    torch.testing.assert_close(out, expected.to(dtype), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_roi_align_half_precision_matches_reference_on_upcast_values_and_keeps_dtype(
    dtype, aligned
):
    x = make_input(torch.float32).to(dtype)
    rois = make_rois(torch.float32).to(dtype)
    out = vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, 2, aligned)
    expected = roi_align_reference(x.float(), rois.float(), OUTPUT_SIZE, 1.0, 2, aligned)
    assert out.dtype == dtype
    torch.testing.assert_close(out.double(), expected, rtol=0, atol=TOLERANCE[dtype])


def test_roi_align_accepts_per_image_box_lists_including_an_image_without_boxes():
    x = make_input()
    rois = make_rois()[:4]
    rois[:, 0] = 0.0
    boxes = [rois[:, 1:].clone(), torch.zeros(0, 4, dtype=torch.float64)]
    out = vops.roi_align(x, boxes, OUTPUT_SIZE, 1.0, 2, True)
    torch.testing.assert_close(out, roi_align_reference(x, rois, OUTPUT_SIZE, 1.0, 2, True))

    out = vops.roi_align(x, boxes[::-1], OUTPUT_SIZE, 1.0, 2, True)
    rois[:, 0] = 1.0
    torch.testing.assert_close(out, roi_align_reference(x, rois, OUTPUT_SIZE, 1.0, 2, True))


def test_roi_align_single_int_output_size_means_square():
    x, rois = make_input(), make_rois()
    torch.testing.assert_close(
        vops.roi_align(x, rois, 3, 1.0, 2), roi_align_reference(x, rois, (3, 3), 1.0, 2)
    )


# Hand-computed cases


@pytest.mark.parametrize("sampling_ratio", [-1, 1, 3])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_of_constant_map_is_the_constant_for_rois_inside_the_map(aligned, sampling_ratio):
    x = torch.full((1, 2, HEIGHT, WIDTH), 3.25, dtype=torch.float64)
    rois = torch.tensor([[0, 1.0, 1.5, 9.0, 7.0], [0, 0.5, 0.5, 10.5, 8.5]], dtype=torch.float64)
    out = vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, sampling_ratio, aligned)
    torch.testing.assert_close(out, torch.full_like(out, 3.25), rtol=0, atol=1e-14)


@pytest.mark.parametrize("sampling_ratio", [-1, 1, 2, 3])
@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_of_linear_ramp_equals_ramp_at_bin_centres(aligned, sampling_ratio):
    x1, y1, x2, y2 = 1.5, 2.0, 9.0, 8.5
    rois = torch.tensor([[0, x1, y1, x2, y2]], dtype=torch.float64)
    out = vops.roi_align(ramp(), rois, OUTPUT_SIZE, 1.0, sampling_ratio, aligned)
    shift = 0.5 if aligned else 0.0
    bin_h, bin_w = (y2 - y1) / OUTPUT_SIZE[0], (x2 - x1) / OUTPUT_SIZE[1]
    expected = torch.tensor(
        [
            [ramp_at(y1 - shift + (ph + 0.5) * bin_h, x1 - shift + (pw + 0.5) * bin_w)]
            for ph in range(OUTPUT_SIZE[0])
            for pw in range(OUTPUT_SIZE[1])
        ],
        dtype=torch.float64,
    ).view(1, 1, *OUTPUT_SIZE)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)


def test_roi_align_aligned_samples_pixel_centres_exactly():
    x = make_input(shape=(1, 2, HEIGHT, WIDTH))
    rois = torch.tensor([[0, 2.0, 3.0, 3.0, 4.0]], dtype=torch.float64)
    aligned = vops.roi_align(x, rois, 1, 1.0, 1, aligned=True)
    torch.testing.assert_close(aligned[0, :, 0, 0], x[0, :, 3, 2], rtol=0, atol=0)
    legacy = vops.roi_align(x, rois, 1, 1.0, 1, aligned=False)
    corners = x[0, :, 3:5, 2:4].mean(dim=(1, 2))
    torch.testing.assert_close(legacy[0, :, 0, 0], corners, rtol=0, atol=1e-14)


@pytest.mark.parametrize(
    ("aligned", "sampling_ratio", "expected"),
    [
        (False, -1, ramp_at(3.5, 3.5)),  # forced to 1 x 1 px: one sample at its centre
        (False, 2, ramp_at(3.5, 3.5)),  # 2 x 2 samples of a 1 x 1 px RoI average to its centre
        (True, -1, 0.0),  # ceil(0) = 0 samples: the bin is empty
        (True, 2, ramp_at(2.5, 2.5)),  # every sample at the shifted point
    ],
)
def test_roi_align_zero_size_roi_is_one_pixel_unless_aligned(aligned, sampling_ratio, expected):
    rois = torch.tensor([[0, 3.0, 3.0, 3.0, 3.0]], dtype=torch.float64)
    out = vops.roi_align(ramp(), rois, 1, 1.0, sampling_ratio, aligned)
    assert out.item() == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("sampling_ratio", "expected"), [(-1, 19 / 6), (0, 19 / 6), (2, 3.0)])
def test_roi_align_adaptive_sampling_takes_ceil_of_bin_size_points_per_axis(
    sampling_ratio, expected
):
    # f(x) = x^2 is not linear, so the average depends on the sample count: a 3-pixel-wide bin
    # samples x = 0.5, 1.5, 2.5 -> (0.5 + 2.5 + 6.5) / 3, two samples x = 0.75, 2.25 -> 3.
    x = (torch.arange(WIDTH, dtype=torch.float64) ** 2).expand(1, 1, HEIGHT, WIDTH)
    rois = torch.tensor([[0, 0.0, 2.0, 3.0, 3.0]], dtype=torch.float64)
    out = vops.roi_align(x, rois, 1, 1.0, sampling_ratio, aligned=False)
    assert out.item() == pytest.approx(expected, abs=1e-12)


def test_roi_align_samples_within_one_pixel_outside_read_the_border_pixel():
    # Samples at x = -0.5 (inside the 1 px margin) clamp to column 0.
    rois = torch.tensor([[0, -1.0, 4.0, 0.0, 5.0]], dtype=torch.float64)
    out = vops.roi_align(ramp(), rois, 1, 1.0, 1, aligned=False)
    assert out.item() == pytest.approx(ramp_at(4.5, 0.0), abs=1e-12)


def test_roi_align_samples_beyond_one_pixel_outside_count_as_zero_in_the_average():
    # 2 x 2 samples at x = -2 (dropped) and x = 2 (kept): half the constant.
    x = torch.full((1, 1, HEIGHT, WIDTH), 3.0, dtype=torch.float64)
    rois = torch.tensor([[0, -4.0, 2.0, 4.0, 4.0]], dtype=torch.float64)
    out = vops.roi_align(x, rois, 1, 1.0, 2, aligned=False)
    assert out.item() == pytest.approx(1.5, abs=1e-12)


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_roi_wholly_outside_the_map_gives_zeros(aligned):
    x = make_input() + 1.0
    rois = make_rois(rows=[ROIS[4], ROIS[5]])
    out = vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, -1, aligned)
    assert torch.equal(out, torch.zeros_like(out))


# Memory layout


@pytest.mark.parametrize("layout", ["channels_last", "strided_input", "strided_rois"])
def test_roi_align_result_does_not_depend_on_memory_layout(layout):
    x, rois = make_input(torch.float32), make_rois(torch.float32)
    expected = vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, 2, True)
    if layout == "channels_last":
        x = x.to(memory_format=torch.channels_last)
    elif layout == "strided_input":
        x = torch.stack([x, -x], dim=-1)[..., 0]
        assert not x.is_contiguous()
    else:
        rois = torch.stack([rois, -rois], dim=1)[:, 0]
        assert not rois.is_contiguous()
    assert torch.equal(vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, 2, True), expected)


# Gradients


@pytest.mark.parametrize(("aligned", "sampling_ratio"), [(False, -1), (True, 2), (True, -1)])
def test_roi_align_gradcheck_float64(aligned, sampling_ratio):
    x = make_input(shape=(2, 2, 5, 6)).requires_grad_()
    rois = torch.tensor(
        [[0, 0.5, 0.3, 4.2, 3.1], [1, -1.5, 2.0, 3.0, 6.5], [1, 2.2, 1.1, 2.2, 4.0]],
        dtype=torch.float64,
    )
    assert gradcheck(lambda t: vops.roi_align(t, rois, 2, 1.0, sampling_ratio, aligned), (x,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_roi_align_backward_is_deterministic_and_equals_reference_gradient(dtype):
    # 40 channels and 30 overlapping RoIs: enough work for the backward to run in parallel.
    x = make_input(dtype, shape=(2, 40, HEIGHT, WIDTH)).requires_grad_()
    rois = torch.cat([make_rois(dtype), random_rois(20, dtype=dtype)])
    grad_out = torch.randn(len(rois), 40, *OUTPUT_SIZE, dtype=dtype)

    grads = []
    for _ in range(2):
        out = vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, -1, True)
        (grad,) = torch.autograd.grad(out, x, grad_out)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])

    reference = roi_align_reference(x, rois, OUTPUT_SIZE, 1.0, -1, True)
    (expected,) = torch.autograd.grad(reference, x, grad_out.double())
    assert grads[0].dtype == dtype
    atol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(grads[0], expected.to(dtype), rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_roi_align_half_precision_backward_runs_and_keeps_dtype(dtype):
    x = make_input(torch.float32).to(dtype).requires_grad_()
    rois = make_rois(torch.float32).to(dtype)
    vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, 2, True).sum().backward()
    assert x.grad.dtype == dtype

    x32 = x.detach().float().requires_grad_()
    vops.roi_align(x32, rois.float(), OUTPUT_SIZE, 1.0, 2, True).sum().backward()
    tolerance = TOLERANCE[dtype]
    torch.testing.assert_close(x.grad.float(), x32.grad, rtol=tolerance, atol=tolerance)


def test_roi_align_double_backward_raises_instead_of_returning_zeros():
    x = make_input(shape=(1, 1, 5, 6)).requires_grad_()
    rois = torch.tensor([[0, 0.5, 0.3, 4.2, 3.1]], dtype=torch.float64)
    (grad,) = torch.autograd.grad(
        (vops.roi_align(x, rois, 2, 1.0, 2, True) ** 2).sum(), x, create_graph=True
    )
    with pytest.raises(RuntimeError, match="does not support double backward"):
        torch.autograd.grad(grad.sum(), x)


# Empty inputs


@pytest.mark.parametrize("form", ["tensor", "list"])
def test_roi_align_without_rois_returns_empty_output_and_zero_gradient(form):
    x = make_input().requires_grad_()
    boxes = torch.zeros(0, 5, dtype=torch.float64)
    if form == "list":
        boxes = [torch.zeros(0, 4, dtype=torch.float64)] * 2
    out = vops.roi_align(x, boxes, OUTPUT_SIZE, 1.0, -1, True)
    assert out.shape == (0, 3, *OUTPUT_SIZE)
    out.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


# Argument errors


def _args(**changes):
    args = {
        "input": make_input(torch.float32),
        "boxes": make_rois(torch.float32),
        "output_size": OUTPUT_SIZE,
        "spatial_scale": 1.0,
    }
    args.update(changes)
    return args


@pytest.mark.parametrize(("changes", "error", "match"), BAD_ROI_ARGUMENTS)
def test_roi_align_rejects_bad_arguments_naming_them_with_torchvisions_error_type(
    changes, error, match
):
    with pytest.raises(error, match=match):
        vops.roi_align(**_args(**changes))


@pytest.mark.parametrize("batch_index", [2.0, -1.0])
def test_roi_align_batch_index_out_of_range_raises_index_error_naming_the_row(batch_index):
    rois = make_rois(torch.float32)[:3].clone()
    rois[1, 0] = batch_index
    with pytest.raises(IndexError, match=r"rois\[1, 0\] is the batch index"):
        vops.roi_align(make_input(torch.float32), rois, OUTPUT_SIZE)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("column", [1, 4])
def test_roi_align_non_finite_roi_corners_raise_value_error_naming_the_row(column, value):
    rois = make_rois(torch.float32)[:3].clone()
    rois[2, column] = value
    with pytest.raises(ValueError, match=r"rois\[2\] has non-finite"):
        vops.roi_align(make_input(torch.float32), rois, OUTPUT_SIZE, 1.0, 2)


@pytest.mark.parametrize("aligned", [False, True])
def test_roi_align_of_roi_much_larger_than_the_map_matches_reference(aligned):
    # Only the sampling points on the map are visited; they must be exactly the right ones.
    x = make_input()
    rois = torch.tensor([[0, -37.3, -21.9, 44.6, 51.2], [1, 30.0, -50.0, -20.0, 40.0]]).double()
    expected = roi_align_reference(x, rois, OUTPUT_SIZE, 1.0, -1, aligned)
    result = vops.roi_align(x, rois, OUTPUT_SIZE, 1.0, -1, aligned)
    torch.testing.assert_close(result, expected)


def test_roi_align_absurd_sampling_ratio_raises_value_error():
    with pytest.raises(ValueError, match=r"rois\[0\] would need more than 2\^20 sampling points"):
        vops.roi_align(make_input(), make_rois()[:1], OUTPUT_SIZE, 1.0, 2**32 + 1)


def test_roi_align_on_an_empty_map_still_checks_the_batch_index():
    rois = torch.tensor([[7.0, 0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(IndexError, match=r"rois\[0, 0\] is the batch index 7"):
        vops.roi_align(torch.zeros(1, 3, 0, 5), rois, OUTPUT_SIZE)


def test_roi_align_direct_op_call_with_malformed_rois_raises_instead_of_crashing():
    with pytest.raises(RuntimeError, match=r"rois must be a Tensor\[K, 5\]"):
        torch.ops.vops.roi_align(
            make_input(), torch.zeros(2, 4, dtype=torch.float64), 1, 2, 2, 2, 0
        )


# Module form, TorchScript, torch.compile, opcheck


def test_roi_align_module_forwards_its_settings_and_has_a_readable_repr():
    module = vops.RoIAlign(OUTPUT_SIZE, spatial_scale=0.5, sampling_ratio=2, aligned=True)
    assert repr(module) == (
        "RoIAlign(output_size=(2, 3), spatial_scale=0.5, sampling_ratio=2, aligned=True)"
    )
    x, rois = make_input(), make_rois(spatial_scale=0.5)
    torch.testing.assert_close(
        module(x, rois), roi_align_reference(x, rois, OUTPUT_SIZE, 0.5, 2, True)
    )


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_roi_align_function_and_module_script_and_match_eager():
    x, rois = make_input(), make_rois()
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    scripted = torch.jit.script(vops.roi_align)
    assert torch.equal(
        scripted(x, rois, [2, 3], 0.5, 2, True), vops.roi_align(x, rois, [2, 3], 0.5, 2, True)
    )
    module = vops.RoIAlign(OUTPUT_SIZE, 0.5, -1, aligned=False)
    scripted_module = torch.jit.script(module)
    assert torch.equal(scripted_module(x, rois), module(x, rois))
    assert torch.equal(scripted_module(x, boxes), module(x, boxes))


@pytest.fixture
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.usefixtures("fresh_dynamo")
def test_roi_align_compiles_with_dynamic_shapes_in_one_graph_forward_and_backward():
    compiled = torch.compile(vops.roi_align, fullgraph=True, backend="aot_eager", dynamic=True)
    x = make_input().requires_grad_()
    for rois in (make_rois(), random_rois(5)):
        out = compiled(x, rois, OUTPUT_SIZE, 0.5, -1, True)
        expected = vops.roi_align(x, rois, OUTPUT_SIZE, 0.5, -1, True)
        assert torch.equal(out, expected)
        grad_out = torch.randn_like(out)
        (grad,) = torch.autograd.grad(out, x, grad_out)
        (expected_grad,) = torch.autograd.grad(expected, x, grad_out)
        assert torch.equal(grad, expected_grad)


# opcheck's AOT check fakeifies its cloned (non-leaf) inputs and reads their .grad, which makes
# PyTorch itself warn; the warning says nothing about vops.
OPCHECK_NON_LEAF_GRAD_WARNING = (
    "ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning"
)


@pytest.mark.filterwarnings(OPCHECK_NON_LEAF_GRAD_WARNING)
@pytest.mark.parametrize(
    ("sampling_ratio", "aligned", "num_rois"), [(-1, False, 4), (2, True, 4), (2, True, 0)]
)
def test_roi_align_op_passes_opcheck(sampling_ratio, aligned, num_rois):
    # All four default checks apply: schema, autograd registration (input requires grad),
    # fake tensor, and AOT dispatch with dynamic shapes.
    x = make_input(shape=(2, 3, 6, 7)).requires_grad_()
    rois = make_rois()[:num_rois]
    torch.library.opcheck(
        torch.ops.vops.roi_align.default, (x, rois, 0.5, 2, 3, sampling_ratio, aligned)
    )


@pytest.mark.filterwarnings(OPCHECK_NON_LEAF_GRAD_WARNING)
def test_roi_align_backward_op_passes_opcheck():
    # test_autograd_registration is left out: _roi_align_backward has no autograd formula
    # (double backward raises by design), so it does not apply.
    grad = torch.randn(4, 3, 2, 3, dtype=torch.float64)
    rois = make_rois()[:4]
    torch.library.opcheck(
        torch.ops.vops._roi_align_backward.default,
        (grad, rois, 0.5, 2, 3, 2, 3, 6, 7, -1, True),
        test_utils=("test_schema", "test_faketensor", "test_aot_dispatch_dynamic"),
    )
