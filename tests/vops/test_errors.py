"""Argument errors of the RoI ops, NMS, box helpers, pooler and FPN: each names the argument and
is catchable both as the natural Python type and as the type torchvision raises for the same
mistake (AssertionError for its box-shape asserts, IndexError where it indexes past an end,
RuntimeError from its kernels, AttributeError/TypeError for wrong Python types)."""

from collections import OrderedDict

import pytest
import torch

import vops
from vops._errors import (
    ArgumentAssertionError,
    ArgumentError,
    ArgumentIndexError,
    ArgumentTypeError,
)

X = torch.zeros(2, 3, 6, 6)
ROIS = torch.tensor([[0, 1.0, 1, 4, 4], [1, 0, 0, 2, 3]])
BOXES = torch.tensor([[0, 0, 4, 4.0], [1, 1, 5, 5]])
SCORES = torch.tensor([0.5, 0.7])
PYRAMID = {"p2": torch.zeros(1, 2, 16, 16), "p3": torch.zeros(1, 2, 8, 8)}


def _pool(x=PYRAMID, boxes=(BOXES,), shapes=((64, 64),), names=("p2", "p3"), output_size=2):
    return vops.MultiScaleRoIAlign(list(names), output_size, 2)(x, list(boxes), list(shapes))


def _fpn(in_channels, features, out_channels=4):
    return vops.FeaturePyramidNetwork(in_channels, out_channels)(OrderedDict(features))


# (call, the two types the error must be, message); the message must name the argument.
CASES = {
    "roi_align-rois-k4": (
        lambda: vops.roi_align(X, ROIS[:, 1:], 2),
        (ValueError, AssertionError),
        r"^rois must be a Tensor\[K, 5\] of \(batch index, x1, y1, x2, y2\), got Tensor\[2, 4\]$",
    ),
    "roi_align-rois-1d": (
        lambda: vops.roi_align(X, ROIS[0], 2),
        (ValueError, IndexError),
        r"^rois must be a Tensor\[K, 5\] .*got Tensor\[5\]$",
    ),
    "roi_align-rois-dtype": (
        lambda: vops.roi_align(X, ROIS.double(), 2),
        (ValueError, RuntimeError),
        r"^rois and input must have the same dtype, got torch.float64 and torch.float32$",
    ),
    "roi_align-int-input": (
        lambda: vops.roi_align(X.long(), ROIS.long(), 2),
        (ValueError, RuntimeError),
        r"^input must be a float Tensor\[N, C, H, W\], got Tensor\[2, 3, 6, 6\] of dtype torch",
    ),
    "roi_align-boxes-none": (
        lambda: vops.roi_align(X, None, 2),
        (TypeError, AssertionError),
        r"^boxes must be a Tensor\[K, 5\] or a list of Tensor\[L, 4\], got NoneType$",
    ),
    "roi_pool-box-in-list-not-a-tensor": (
        lambda: vops.roi_pool(X, [[0.0, 0, 1, 1]], 2),
        (TypeError, AttributeError),
        r"^boxes\[0\] must be a float Tensor\[L, 4\], got list$",
    ),
    "roi_pool-box-in-list-l5": (
        lambda: vops.roi_pool(X, [ROIS], 2),
        (ValueError, AssertionError),
        r"^boxes\[0\] must be a float Tensor\[L, 4\], got Tensor\[2, 5\]$",
    ),
    "roi_pool-too-many-box-tensors": (
        lambda: vops.roi_pool(X, [BOXES] * 3, 2),
        (ValueError, IndexError),
        r"^boxes must hold at most one Tensor\[L, 4\] per image: input has 2 images, got 3",
    ),
    "roi_pool-output-size-one-element": (
        lambda: vops.roi_pool(X, ROIS, [2]),
        (ValueError, IndexError),
        r"^output_size must be one int or a pair \(height, width\), got \[2\]$",
    ),
    "roi_pool-output-size-float": (
        lambda: vops.roi_pool(X, ROIS, 2.5),
        (TypeError, RuntimeError),
        r"^output_size must be an int or a pair of ints \(height, width\), got 2.5$",
    ),
    "RoIAlign-spatial-scale": (
        lambda: vops.RoIAlign(2, -1.0, 2)(X, ROIS),
        (ValueError, RuntimeError),
        r"^spatial_scale must be positive and finite, got -1.0$",
    ),
    "nms-boxes-n5": (
        lambda: vops.nms(torch.zeros(2, 5), SCORES, 0.5),
        (ValueError, RuntimeError),
        r"^boxes must be a float Tensor\[N, 4\], got Tensor\[2, 5\] of dtype torch.float32$",
    ),
    "nms-boxes-list": (
        lambda: vops.nms(BOXES.tolist(), SCORES, 0.5),
        (TypeError, AttributeError),
        r"^boxes must be a float Tensor\[N, 4\], got list$",
    ),
    "nms-scores-length": (
        lambda: vops.nms(BOXES, SCORES[:1], 0.5),
        (ValueError, RuntimeError),
        r"^scores must be a Tensor\[N\] with N = boxes.size\(0\) = 2, got Tensor\[1\]$",
    ),
    "batched_nms-idxs-length": (
        lambda: vops.batched_nms(BOXES, SCORES, torch.zeros(3, dtype=torch.int64), 0.5),
        (ValueError, RuntimeError),
        r"^idxs must be a Tensor\[N\] with N = boxes.size\(0\) = 2, got Tensor\[3\]$",
    ),
    "batched_nms-idxs-not-a-tensor": (
        lambda: vops.batched_nms(BOXES, SCORES, [0, 1], 0.5),
        (TypeError, AttributeError),
        r"^idxs must be a Tensor\[N\], got list$",
    ),
    "clip-boxes-n5": (
        lambda: vops.clip_boxes_to_image(torch.zeros(2, 5), (4, 4)),
        (ValueError, IndexError),
        r"^boxes must be a Tensor\[\.\.\., 4\], got Tensor\[2, 5\]$",
    ),
    "clip-bool-boxes": (
        lambda: vops.clip_boxes_to_image(BOXES.bool(), (4, 4)),
        (ValueError, RuntimeError),
        r"^boxes must hold real coordinates, got dtype torch.bool$",
    ),
    "clip-size-three": (
        lambda: vops.clip_boxes_to_image(BOXES, (4, 4, 3)),
        (ValueError, RuntimeError),
        r"^size must be a pair \(height, width\), got \(4, 4, 3\)$",
    ),
    "clip-size-int": (
        lambda: vops.clip_boxes_to_image(BOXES, 4),
        (TypeError, RuntimeError),
        r"^size must be a pair \(height, width\), got int$",
    ),
    "remove_small-boxes-n3": (
        lambda: vops.remove_small_boxes(torch.zeros(2, 3), 1.0),
        (ValueError, IndexError),
        r"^boxes must be a Tensor\[N, 4\], got Tensor\[2, 3\]$",
    ),
    "pooler-no-named-map": (
        lambda: _pool(x={"c2": PYRAMID["p2"]}),
        (ValueError, IndexError),
        r"^x must hold a feature map for at least one name in featmap_names \['p2', 'p3'\], "
        r"got keys \['c2'\]$",
    ),
    "pooler-x-not-a-dict": (
        lambda: _pool(x=list(PYRAMID.values())),
        (TypeError, AttributeError),
        r"^x must be a dict of feature maps by name, got list$",
    ),
    "pooler-boxes-not-a-list": (
        lambda: vops.MultiScaleRoIAlign(["p2"], 2, 2)(PYRAMID, BOXES, [(64, 64)]),
        (TypeError, RuntimeError),
        r"^boxes must be a list of Tensor\[L, 4\], one per image, got Tensor$",
    ),
    "pooler-no-image-shapes": (
        lambda: _pool(shapes=()),
        (ValueError, RuntimeError),
        r"^image_shapes must hold the \(height, width\) of each image, got \[\]$",
    ),
    "pooler-boxes-dtype": (
        lambda: _pool(boxes=(BOXES.double(),)),
        (ValueError, RuntimeError),
        r"^boxes\[0\] and input must have the same dtype, got torch.float64 and torch.float32$",
    ),
    "pooler-names-one-string": (
        lambda: vops.MultiScaleRoIAlign("p2", 2, 2),
        (TypeError, ValueError),
        r"^featmap_names must be a list of str, got 'p2'$",
    ),
    "pooler-no-names": (
        lambda: _pool(names=()),
        (ValueError, IndexError),
        r"^featmap_names must name at least one feature map, got \[\]$",
    ),
    "fpn-no-levels": (
        lambda: vops.FeaturePyramidNetwork([], 4),
        (ValueError, IndexError),
        r"^in_channels_list must hold at least one channel count, got \[\]$",
    ),
    "fpn-negative-channels": (
        lambda: vops.FeaturePyramidNetwork([3, -1], 4),
        (ValueError, RuntimeError),
        r"^in_channels_list must hold positive channel counts, got -1 at index 1 of \[3, -1\]$",
    ),
    "fpn-extra-blocks": (
        lambda: vops.FeaturePyramidNetwork([3], 4, torch.nn.ReLU()),
        (TypeError, ValueError),
        r"^extra_blocks must be an ExtraFPNBlock or None, got ReLU$",
    ),
    "fpn-wrong-channels": (
        lambda: _fpn([3, 5], [("a", torch.zeros(1, 3, 4, 4)), ("b", torch.zeros(1, 4, 2, 2))]),
        (ValueError, RuntimeError),
        r"^x\['b'\] must be a Tensor\[N, 5, H, W\], got Tensor\[1, 4, 2, 2\]$",
    ),
    "fpn-map-count": (
        lambda: _fpn([3, 4], [("a", torch.zeros(1, 3, 4, 4))]),
        (ValueError, RuntimeError),
        r"^x must hold 2 feature maps, one per entry of in_channels_list, got 1: \['a'\]$",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_error_names_the_argument_and_is_both_exception_types(case):
    call, (natural, torchvisions), message = CASES[case]
    with pytest.raises(natural, match=message) as caught:
        call()
    assert isinstance(caught.value, torchvisions)


@pytest.mark.parametrize(
    ("error", "types"),
    [
        (ArgumentError, (ValueError, RuntimeError)),
        (ArgumentAssertionError, (ArgumentError, AssertionError)),
        (ArgumentIndexError, (ArgumentError, IndexError)),
        (ArgumentTypeError, (ArgumentError, TypeError, AttributeError, AssertionError)),
    ],
)
def test_error_class_is_caught_by_each_type_it_pairs(error, types):
    for kind in types:
        with pytest.raises(kind, match="the message"):
            raise error("the message")


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
@pytest.mark.parametrize(
    ("op", "args", "message"),
    [
        (vops.roi_align, (X, ROIS[:, 1:], [2, 2]), r"ArgumentAssertionError: rois must be"),
        (vops.roi_pool, (X, ROIS, [2]), r"ArgumentIndexError: output_size must be one int"),
        (vops.nms, (BOXES, SCORES[:1], 0.5), r"ArgumentError: scores must be a Tensor\[N\]"),
        (vops.remove_small_boxes, (torch.zeros(2, 3), 1.0), r"boxes must be a Tensor\[N, 4\]"),
    ],
    ids=["roi_align", "roi_pool", "nms", "remove_small_boxes"],
)
def test_scripted_op_raises_naming_the_error_class_and_the_argument(op, args, message):
    with pytest.raises(torch.jit.Error, match=message):
        torch.jit.script(op)(*args)
