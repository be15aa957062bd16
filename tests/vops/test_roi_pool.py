"""vops.roi_pool against a slow window-by-window reference and hand-computed maps."""

import math

import pytest
import torch
from roi_cases import (
    BAD_ROI_ARGUMENTS,
    HEIGHT,
    OUTPUT_SIZE,
    WIDTH,
    make_rois,
    random_rois,
    rounding,
)
from torch.autograd import gradcheck

import vops


def _round_half_away_from_zero(value: float) -> int:
    """C's round(); Python's round() would send halves to the even neighbour."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def roi_pool_reference(input, rois, output_size, spatial_scale=1.0):
    """RoIPool written out RoI by RoI and bin by bin: the maximum over each pixel window.

    Returns ``(output, argmax)``: output in ``input``'s dtype, differentiable with respect to
    ``input``; argmax the flat pixel index of each bin's first maximum in row-major order, -1 for
    empty bins (whose output is 0).
    """
    t = rounding(input.dtype)
    pooled_h, pooled_w = output_size
    _, channels, height, width = input.shape
    outputs, argmaxes = [], []
    for batch_index, *corners in rois.double().tolist():
        x1, y1, x2, y2 = (_round_half_away_from_zero(c * spatial_scale) for c in corners)
        roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
        bin_h, bin_w = t(roi_h / pooled_h), t(roi_w / pooled_w)
        plane = input[int(batch_index)]
        values, where = [], []
        for ph in range(pooled_h):
            h0 = min(max(math.floor(t(ph * bin_h)) + y1, 0), height)
            h1 = min(max(math.ceil(t((ph + 1) * bin_h)) + y1, 0), height)
            for pw in range(pooled_w):
                w0 = min(max(math.floor(t(pw * bin_w)) + x1, 0), width)
                w1 = min(max(math.ceil(t((pw + 1) * bin_w)) + x1, 0), width)
                if h1 <= h0 or w1 <= w0:
                    values.append(plane.new_zeros(channels))
                    where.append(torch.full((channels,), -1))
                    continue
                window = plane[:, h0:h1, w0:w1]
                values.append(window.amax(dim=(1, 2)))
                first = window.flatten(1).argmax(dim=1)  # the first maximum, row-major
                where.append((h0 + first // (w1 - w0)) * width + w0 + first % (w1 - w0))
        outputs.append(torch.stack(values, dim=1).view(channels, pooled_h, pooled_w))
        argmaxes.append(torch.stack(where, dim=1).view(channels, pooled_h, pooled_w))
    if not outputs:
        empty = (0, channels, pooled_h, pooled_w)
        return input.new_zeros(empty), torch.zeros(empty, dtype=torch.int64)
    return torch.stack(outputs), torch.stack(argmaxes)


def distinct_input(dtype=torch.float64, shape=(2, 3, HEIGHT, WIDTH), seed=0):
    """A random permutation of distinct values, so every bin has one maximum."""
    count = math.prod(shape)
    perm = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    return (perm.to(dtype) / count - 0.5).view(shape)


def index_map(height=HEIGHT, width=WIDTH, dtype=torch.float64):
    """Each pixel holds its flat index h * width + w."""
    return torch.arange(height * width, dtype=dtype).view(1, 1, height, width)


def roi_pool_with_argmax(input, rois, output_size, spatial_scale=1.0):
    output, argmax = torch.ops.vops.roi_pool(input, rois, spatial_scale, *output_size)
    return output, argmax.long()


# Forward against the reference


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("spatial_scale", [1.0, 0.5])
@pytest.mark.parametrize("output_size", [OUTPUT_SIZE, (3, 3)])
def test_roi_pool_matches_reference_for_rois_inside_outside_and_degenerate(
    output_size, spatial_scale, dtype
):
    x = distinct_input(dtype)
    rois = torch.cat([make_rois(dtype, spatial_scale), random_rois(6, dtype=dtype)])
    out = vops.roi_pool(x, rois, output_size, spatial_scale)
    expected, expected_argmax = roi_pool_reference(x, rois, output_size, spatial_scale)
    assert out.dtype == dtype
    assert torch.equal(out, expected)
    _, argmax = roi_pool_with_argmax(x, rois, output_size, spatial_scale)
    assert torch.equal(argmax, expected_argmax)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_roi_pool_half_precision_matches_reference_on_upcast_values_and_keeps_dtype(dtype):
    x = distinct_input(torch.float32).to(dtype)
    rois = make_rois(torch.float32).to(dtype)
    out = vops.roi_pool(x, rois, OUTPUT_SIZE, 1.0)
    expected, _ = roi_pool_reference(x.float(), rois.float(), OUTPUT_SIZE, 1.0)
    assert out.dtype == dtype
    # A maximum is one of the inputs: exact, whatever the precision.
    assert torch.equal(out.float(), expected)


def test_roi_pool_accepts_per_image_box_lists_including_an_image_without_boxes():
    x = distinct_input()
    rois = make_rois()[:4]
    rois[:, 0] = 0.0
    boxes = [rois[:, 1:].clone(), torch.zeros(0, 4, dtype=torch.float64)]
    assert torch.equal(
        vops.roi_pool(x, boxes, OUTPUT_SIZE), roi_pool_reference(x, rois, OUTPUT_SIZE)[0]
    )
    rois[:, 0] = 1.0
    assert torch.equal(
        vops.roi_pool(x, boxes[::-1], OUTPUT_SIZE), roi_pool_reference(x, rois, OUTPUT_SIZE)[0]
    )


def test_roi_pool_single_int_output_size_means_square():
    x, rois = distinct_input(), make_rois()
    assert torch.equal(vops.roi_pool(x, rois, 3), roi_pool_reference(x, rois, (3, 3))[0])


# Hand-computed cases


def test_roi_pool_splits_rounded_roi_into_overlapping_floor_ceil_windows():
    # Corners (1, 2)-(5, 6): 5 x 5 px in 2 x 2 bins of 2.5 px -> rows [2, 5) and [4, 7),
    # columns [1, 4) and [3, 6); on an index map a window's maximum is its bottom-right pixel.
    rois = torch.tensor([[0, 1.0, 2.0, 5.0, 6.0]], dtype=torch.float64)
    out, argmax = roi_pool_with_argmax(index_map(), rois, (2, 2))
    expected = [[4 * WIDTH + 3, 4 * WIDTH + 5], [6 * WIDTH + 3, 6 * WIDTH + 5]]
    assert out[0, 0].tolist() == expected
    assert argmax[0, 0].tolist() == expected


@pytest.mark.parametrize(
    ("x1", "spatial_scale", "column"),
    [(2.5, 1.0, 3), (3.5, 1.0, 4), (2.49, 1.0, 2), (5.0, 0.5, 3), (7.0, 0.5, 4)],
)
def test_roi_pool_rounds_scaled_corners_half_away_from_zero(x1, spatial_scale, column):
    rois = torch.tensor([[0, x1, 0.0, x1, 0.0]], dtype=torch.float64)
    assert vops.roi_pool(index_map(), rois, 1, spatial_scale).item() == column


def test_roi_pool_empty_bins_give_zero_and_argmax_minus_one():
    # Columns -6..1 in two 4 px bins: [-6, -2) lies left of the map, [-2, 2) clips to [0, 2).
    rois = torch.tensor([[0, -6.0, 0.0, 1.0, 3.0], [0, 20.0, 0.0, 25.0, 3.0]], dtype=torch.float64)
    out, argmax = roi_pool_with_argmax(index_map() + 1, rois, (1, 2))
    assert out[:, 0, 0].tolist() == [[0.0, 3 * WIDTH + 1 + 1], [0.0, 0.0]]
    assert argmax[:, 0, 0].tolist() == [[-1, 3 * WIDTH + 1], [-1, -1]]


def test_roi_pool_of_negative_map_keeps_negative_maximum():
    rois = torch.tensor([[0, 2.0, 3.0, 5.0, 7.0]], dtype=torch.float64)
    out, argmax = roi_pool_with_argmax(-index_map() - 1, rois, (1, 1))
    assert out.item() == -(3 * WIDTH + 2) - 1
    assert argmax.item() == 3 * WIDTH + 2


def test_roi_pool_ties_go_to_first_pixel_in_row_major_order_and_take_the_gradient():
    x = torch.full((1, 1, HEIGHT, WIDTH), 2.0, dtype=torch.float64, requires_grad=True)
    rois = torch.tensor([[0, 1.0, 2.0, 5.0, 6.0]], dtype=torch.float64)
    _, argmax = roi_pool_with_argmax(x, rois, (2, 2))
    assert argmax[0, 0].tolist() == [[2 * WIDTH + 1, 2 * WIDTH + 3], [4 * WIDTH + 1, 4 * WIDTH + 3]]
    vops.roi_pool(x, rois, (2, 2)).backward(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]).double())
    expected = torch.zeros(HEIGHT * WIDTH, dtype=torch.float64)
    expected[[2 * WIDTH + 1, 2 * WIDTH + 3, 4 * WIDTH + 1, 4 * WIDTH + 3]] = torch.tensor(
        [1.0, 2.0, 3.0, 4.0], dtype=torch.float64
    )
    assert torch.equal(x.grad.flatten(), expected)


@pytest.mark.parametrize("corners", [(4.0, 3.0, 4.0, 3.0), (4.0, 3.0, 1.0, 0.0)])
def test_roi_pool_zero_size_and_inverted_rois_pool_their_first_corner_pixel(corners):
    rois = torch.tensor([[0, *corners]], dtype=torch.float64)
    out = vops.roi_pool(index_map(), rois, (2, 2))
    assert torch.equal(out, torch.full_like(out, 3 * WIDTH + 4))


# Memory layout


@pytest.mark.parametrize("layout", ["channels_last", "strided_input", "strided_rois"])
def test_roi_pool_result_does_not_depend_on_memory_layout(layout):
    x, rois = distinct_input(torch.float32), make_rois(torch.float32)
    expected = roi_pool_with_argmax(x, rois, OUTPUT_SIZE)
    if layout == "channels_last":
        x = x.to(memory_format=torch.channels_last)
    elif layout == "strided_input":
        x = torch.stack([x, -x], dim=-1)[..., 0]
        assert not x.is_contiguous()
    else:
        rois = torch.stack([rois, -rois], dim=1)[:, 0]
        assert not rois.is_contiguous()
    out, argmax = roi_pool_with_argmax(x, rois, OUTPUT_SIZE)
    assert torch.equal(out, expected[0])
    assert torch.equal(argmax, expected[1])


# Gradients


def test_roi_pool_gradcheck_float64_on_distinct_values():
    x = distinct_input(shape=(2, 2, 5, 6)).requires_grad_()
    rois = torch.tensor(
        [[0, 0.5, 0.3, 4.2, 3.1], [1, -1.5, 2.0, 3.0, 6.5], [1, 2.2, 1.1, 2.2, 4.0]],
        dtype=torch.float64,
    )
    assert gradcheck(lambda t: vops.roi_pool(t, rois, (2, 3), 1.0), (x,))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_roi_pool_backward_is_deterministic_and_equals_reference_gradient(dtype):
    # 40 channels and 30 overlapping RoIs: enough work for the backward to run in parallel.
    x = distinct_input(dtype, shape=(2, 40, HEIGHT, WIDTH)).requires_grad_()
    rois = torch.cat([make_rois(dtype), random_rois(20, dtype=dtype)])
    grad_out = torch.randn(len(rois), 40, *OUTPUT_SIZE, dtype=dtype)

    grads = []
    for _ in range(2):
        (grad,) = torch.autograd.grad(vops.roi_pool(x, rois, OUTPUT_SIZE), x, grad_out)
        grads.append(grad)
    assert torch.equal(grads[0], grads[1])

    reference, _ = roi_pool_reference(x, rois, OUTPUT_SIZE)
    (expected,) = torch.autograd.grad(reference, x, grad_out)
    atol = 1e-12 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(grads[0], expected, rtol=0, atol=atol)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_roi_pool_half_precision_backward_runs_and_keeps_dtype(dtype):
    x = distinct_input(torch.float32).to(dtype).requires_grad_()
    rois = make_rois(torch.float32).to(dtype)
    grad_out = torch.rand(len(rois), 3, *OUTPUT_SIZE).to(dtype)
    vops.roi_pool(x, rois, OUTPUT_SIZE).backward(grad_out)
    assert x.grad.dtype == dtype

    x32 = x.detach().float().requires_grad_()
    vops.roi_pool(x32, rois.float(), OUTPUT_SIZE).backward(grad_out.float())
    tolerance = 1e-3 if dtype == torch.float16 else 8e-3
    torch.testing.assert_close(x.grad.float(), x32.grad, rtol=tolerance, atol=tolerance)


def test_roi_pool_double_backward_raises_instead_of_returning_zeros():
    x = distinct_input(shape=(1, 1, 5, 6)).requires_grad_()
    rois = torch.tensor([[0, 0.5, 0.3, 4.2, 3.1]], dtype=torch.float64)
    (grad,) = torch.autograd.grad((vops.roi_pool(x, rois, 2, 1.0) ** 2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="does not support double backward"):
        torch.autograd.grad(grad.sum(), x)


# Empty inputs


@pytest.mark.parametrize("form", ["tensor", "list"])
def test_roi_pool_without_rois_returns_empty_output_and_zero_gradient(form):
    x = distinct_input().requires_grad_()
    boxes = torch.zeros(0, 5, dtype=torch.float64)
    if form == "list":
        boxes = [torch.zeros(0, 4, dtype=torch.float64)] * 2
    out = vops.roi_pool(x, boxes, OUTPUT_SIZE)
    assert out.shape == (0, 3, *OUTPUT_SIZE)
    out.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))


# Argument errors


def _args(**changes):
    args = {
        "input": distinct_input(torch.float32),
        "boxes": make_rois(torch.float32),
        "output_size": OUTPUT_SIZE,
        "spatial_scale": 1.0,
    }
    args.update(changes)
    return args


@pytest.mark.parametrize(("changes", "error", "match"), BAD_ROI_ARGUMENTS)
def test_roi_pool_rejects_bad_arguments_naming_them_with_torchvisions_error_type(
    changes, error, match
):
    with pytest.raises(error, match=match):
        vops.roi_pool(**_args(**changes))


@pytest.mark.parametrize("batch_index", [2.0, -1.0])
def test_roi_pool_batch_index_out_of_range_raises_index_error_naming_the_row(batch_index):
    rois = make_rois(torch.float32)[:3].clone()
    rois[1, 0] = batch_index
    with pytest.raises(IndexError, match=r"rois\[1, 0\] is the batch index"):
        vops.roi_pool(distinct_input(torch.float32), rois, OUTPUT_SIZE)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("column", [1, 4])
def test_roi_pool_non_finite_roi_corners_raise_value_error_naming_the_row(column, value):
    rois = make_rois(torch.float32)[:3].clone()
    rois[2, column] = value
    with pytest.raises(ValueError, match=r"rois\[2\] has non-finite"):
        vops.roi_pool(distinct_input(torch.float32), rois, OUTPUT_SIZE)


def test_roi_pool_direct_op_call_with_malformed_rois_raises_instead_of_crashing():
    with pytest.raises(RuntimeError, match=r"rois must be a Tensor\[K, 5\]"):
        torch.ops.vops.roi_pool(distinct_input(), torch.zeros(2, 4, dtype=torch.float64), 1, 2, 2)


# Module form, TorchScript, torch.compile, opcheck


def test_roi_pool_module_forwards_its_settings_and_has_a_readable_repr():
    module = vops.RoIPool(OUTPUT_SIZE, spatial_scale=0.5)
    assert repr(module) == "RoIPool(output_size=(2, 3), spatial_scale=0.5)"
    x, rois = distinct_input(), make_rois(spatial_scale=0.5)
    assert torch.equal(module(x, rois), roi_pool_reference(x, rois, OUTPUT_SIZE, 0.5)[0])


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_roi_pool_function_and_module_script_and_match_eager():
    x, rois = distinct_input(), make_rois()
    boxes = [rois[rois[:, 0] == i, 1:] for i in range(2)]
    scripted = torch.jit.script(vops.roi_pool)
    assert torch.equal(scripted(x, rois, [2, 3], 0.5), vops.roi_pool(x, rois, [2, 3], 0.5))
    module = vops.RoIPool(OUTPUT_SIZE, 0.5)
    scripted_module = torch.jit.script(module)
    assert torch.equal(scripted_module(x, rois), module(x, rois))
    assert torch.equal(scripted_module(x, boxes), module(x, boxes))


@pytest.fixture
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.usefixtures("fresh_dynamo")
def test_roi_pool_compiles_with_dynamic_shapes_in_one_graph_forward_and_backward():
    compiled = torch.compile(vops.roi_pool, fullgraph=True, backend="aot_eager", dynamic=True)
    x = distinct_input().requires_grad_()
    for rois in (make_rois(), random_rois(5)):
        out = compiled(x, rois, OUTPUT_SIZE, 0.5)
        expected = vops.roi_pool(x, rois, OUTPUT_SIZE, 0.5)
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
@pytest.mark.parametrize("num_rois", [5, 0])
def test_roi_pool_op_passes_opcheck(num_rois):
    # All four default checks apply: schema, autograd registration (input requires grad),
    # fake tensor, and AOT dispatch with dynamic shapes (distinct values: no ties to break).
    x = distinct_input(shape=(2, 3, 6, 7)).requires_grad_()
    rois = make_rois()[:num_rois]
    torch.library.opcheck(torch.ops.vops.roi_pool.default, (x, rois, 0.5, 2, 3))


@pytest.mark.filterwarnings(OPCHECK_NON_LEAF_GRAD_WARNING)
def test_roi_pool_backward_op_passes_opcheck():
    # test_autograd_registration is left out: _roi_pool_backward has no autograd formula
    # (double backward raises by design), so it does not apply.
    x, rois = distinct_input(shape=(2, 3, 6, 7)), make_rois()[:5]
    _, argmax = torch.ops.vops.roi_pool(x, rois, 0.5, 2, 3)
    grad = torch.randn(5, 3, 2, 3, dtype=torch.float64)
    torch.library.opcheck(
        torch.ops.vops._roi_pool_backward.default,
        (grad, rois, argmax, 0.5, 2, 3, 2, 3, 6, 7),
        test_utils=("test_schema", "test_faketensor", "test_aot_dispatch_dynamic"),
    )
