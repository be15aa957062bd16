"""Reliability fixes: gradients when only the RoIs require grad, NaN arguments that used to be
accepted silently, and IoU dtype promotion for mixed float arguments."""

import math

import pytest
import torch

import vops


def _reference_roi_pool(input, rois, size):
    """Slow max pool over quantized bins (spatial_scale 1), as Fast R-CNN defines it."""
    out = input.new_zeros((rois.size(0), input.size(1), size, size))
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (round(v) for v in (x1, y1, x2, y2))
        bin_w, bin_h = max(x2 - x1 + 1, 1) / size, max(y2 - y1 + 1, 1) / size
        for i in range(size):
            for j in range(size):
                ys = min(max(math.floor(i * bin_h) + y1, 0), input.size(2))
                ye = min(max(math.ceil((i + 1) * bin_h) + y1, 0), input.size(2))
                xs = min(max(math.floor(j * bin_w) + x1, 0), input.size(3))
                xe = min(max(math.ceil((j + 1) * bin_w) + x1, 0), input.size(3))
                if ye > ys and xe > xs:
                    out[k, :, i, j] = input[int(b), :, ys:ye, xs:xe].amax(dim=(1, 2))
    return out


@pytest.mark.parametrize("op", ["roi_pool", "RoIPool", "roi_align"])
def test_rois_requiring_grad_get_no_gradient_and_forward_matches(op):
    input = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8).sin()
    rois = torch.tensor([[0, 1.0, 1, 5, 6], [1, 0, 2, 7, 7]], requires_grad=True)
    if op == "RoIPool":
        out = vops.RoIPool(2, 1.0)(input, rois)
    else:
        out = getattr(vops, op)(input, rois, 2)
    out.sum().backward()
    assert rois.grad is None or torch.equal(rois.grad, torch.zeros_like(rois))
    if op != "roi_align":
        torch.testing.assert_close(out.detach(), _reference_roi_pool(input, rois.detach(), 2))


def test_roi_pool_input_gradient_still_flows_when_rois_also_require_grad():
    input = torch.rand(1, 2, 6, 6, requires_grad=True)
    rois = torch.tensor([[0, 0.0, 0, 5, 5]], requires_grad=True)
    vops.roi_pool(input, rois, 1).sum().backward()
    # One bin over the whole map: the gradient is 1 at each channel's maximum.
    expected = (input == input.amax(dim=(2, 3), keepdim=True)).float()
    torch.testing.assert_close(input.grad, expected)


_BOXES = torch.tensor([[0, 0, 1, 1.0], [0, 0, 1, 1]])
_SCORES = torch.tensor([1.0, 0.5])


@pytest.mark.parametrize(
    "call",
    [
        lambda: vops.nms(_BOXES, _SCORES, float("nan")),
        lambda: vops.batched_nms(_BOXES, _SCORES, torch.tensor([0, 0]), float("nan")),
    ],
    ids=["nms", "batched_nms"],
)
def test_nan_iou_threshold_is_an_error_naming_it(call):
    with pytest.raises(ValueError, match="iou_threshold"):
        call()


@pytest.mark.parametrize("size", [(float("nan"), 3), (3, float("nan"))])
def test_clip_boxes_to_image_rejects_a_nan_size(size):
    with pytest.raises(ValueError, match=r"size\[[01]\]"):
        vops.clip_boxes_to_image(_BOXES, size)


def test_clip_boxes_to_image_rejects_bool_boxes():
    with pytest.raises(ValueError, match="boxes"):
        vops.clip_boxes_to_image(_BOXES.bool(), (3, 3))


@pytest.mark.parametrize("dtype", [torch.bool, torch.complex64])
def test_box_convert_rejects_non_real_boxes(dtype):
    with pytest.raises(ValueError, match="boxes"):
        vops.box_convert(_BOXES.to(dtype), "xyxy", "cxcywh")


@pytest.mark.parametrize(
    "name", ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"]
)
def test_iou_of_float32_and_float64_is_float64(name):
    a = torch.tensor([[0, 0, 2, 2.0]])
    b = torch.tensor([[1, 1, 3, 3.0]], dtype=torch.float64)
    for x, y in ((a, b), (b, a)):
        out = getattr(vops, name)(x, y)
        assert out.dtype == torch.float64
        if name == "box_iou":
            torch.testing.assert_close(out, torch.tensor([[1 / 7]], dtype=torch.float64))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("names", [["a"], ["a", "b"]])
def test_multiscale_roi_align_names_the_users_non_finite_box(bad, names):
    pooler = vops.MultiScaleRoIAlign(names, 2, 2)
    x = {"a": torch.rand(2, 2, 16, 16), "b": torch.rand(2, 2, 8, 8)}
    boxes = [torch.tensor([[0, 0, 4, 4.0]]), torch.tensor([[0, 0, 4, 4.0], [1, 1, bad, 5]])]
    with pytest.raises(ValueError, match=r"boxes\[1\]\[1\] must be finite"):
        pooler(x, boxes, [(64, 64)])
