"""vops' RoI ops, NMS, box helpers, poolers and FPN as drop-ins for torchvision.ops (skipped
without it): a call torchvision accepts gives the same result on vops, a call it rejects raises on
vops an exception of torchvision's type, the modules print the same reprs, and models using the
ops trace with torch.fx to their eager result.

Where vops deliberately differs (it rejects a call torchvision answers with garbage or nonsense,
or accepts a dtype torchvision's CPU kernels lack), the difference is pinned in its own test.
"""

import warnings
from collections import OrderedDict
from types import SimpleNamespace

import pytest
import torch
from torch import nn

import vops

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torchvision may warn at import about optional codecs
    torchvision = pytest.importorskip("torchvision")
from torchvision.ops import feature_pyramid_network as tv_fpn

NAMES = [
    "roi_align", "roi_pool", "RoIAlign", "RoIPool", "nms", "batched_nms", "clip_boxes_to_image",
    "remove_small_boxes", "MultiScaleRoIAlign", "FeaturePyramidNetwork",
]  # fmt: skip
# torchvision.ops as a namespace shaped like vops' (the FPN blocks live in a submodule there).
TV = SimpleNamespace(
    **{name: getattr(torchvision.ops, name) for name in NAMES},
    LastLevelMaxPool=tv_fpn.LastLevelMaxPool,
    LastLevelP6P7=tv_fpn.LastLevelP6P7,
)

_g = torch.Generator().manual_seed(0)
X = torch.rand(2, 3, 10, 12, generator=_g) * 4 - 2
ROIS = torch.tensor(
    [[0, 1.3, 2.1, 7.8, 6.6], [1, 0.0, 0.0, 11.0, 9.0], [1, -3.2, -2.5, 4.4, 3.7], [0, 4, 5, 4, 5]]
)
PER_IMAGE = [ROIS[ROIS[:, 0] == i, 1:] for i in range(2)]
BOXES = torch.tensor(
    [[0, 0, 10, 10.0], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10], [2, 3, 4, 5]]
)
SCORES = torch.tensor([0.9, 0.8, 0.7, 0.95, 0.5])
IDXS = torch.tensor([0, 0, 1, 1, 0])
PYRAMID = {
    "0": torch.rand(2, 3, 16, 16, generator=_g),
    "1": torch.rand(2, 3, 8, 8, generator=_g),
    "pool": torch.rand(2, 3, 4, 4, generator=_g),
}
IMAGE_BOXES = [torch.tensor([[1.0, 1, 20, 20], [0, 0, 60, 60]]), torch.tensor([[5.0, 5, 9, 9]])]
IMAGE_SHAPES = [(64, 64), (64, 60)]
FEATURES = OrderedDict(
    [("a", torch.rand(1, 3, 8, 8, generator=_g)), ("b", torch.rand(1, 4, 4, 4, generator=_g))]
)


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    return x.contiguous(memory_format=torch.channels_last)


def _fpn(lib, *args, **kwargs):
    return lib.FeaturePyramidNetwork(*args, **kwargs).eval()


def _pooler(lib, *args, **kwargs):
    return lib.MultiScaleRoIAlign(*args, **kwargs)


# Calls as torchvision 0.29 users write them, right and wrong: id -> call(lib).
CALLS = {
    # roi_align: argument forms
    "roi_align-positional": lambda L: L.roi_align(X, ROIS, 2),
    "roi_align-keywords": lambda L: L.roi_align(
        input=X, boxes=ROIS, output_size=(2, 3), spatial_scale=0.5, sampling_ratio=2, aligned=True
    ),
    "roi_align-output-size-list": lambda L: L.roi_align(X, ROIS, [3, 2], 1.0, -1),
    "roi_align-box-list": lambda L: L.roi_align(X, PER_IMAGE, 2, 1.0, 2, True),
    "roi_align-box-tuple": lambda L: L.roi_align(X, tuple(PER_IMAGE), 2),
    "roi_align-boxes-for-first-image-only": lambda L: L.roi_align(X, PER_IMAGE[:1], 2),
    "roi_align-float64": lambda L: L.roi_align(X.double(), ROIS.double(), 2, 0.5, 0),
    "roi_align-int-spatial-scale": lambda L: L.roi_align(X, ROIS, 2, 1, 2),
    "roi_align-tensor-spatial-scale": lambda L: L.roi_align(X, ROIS, 2, torch.tensor(0.5)),
    "roi_align-int-aligned": lambda L: L.roi_align(X, ROIS, 2, 1.0, 2, 1),
    "roi_align-no-rois": lambda L: L.roi_align(X, ROIS[:0], 2),
    "roi_align-empty-batch": lambda L: L.roi_align(X[:0], ROIS[:0], 2),
    "roi_align-no-channels": lambda L: L.roi_align(X[:, :0], ROIS, 2),
    "roi_align-non-contiguous": lambda L: L.roi_align(X.transpose(2, 3), ROIS, 2),
    "roi_align-channels-last": lambda L: L.roi_align(_channels_last(X), ROIS, (2, 3)),
    "roi_align-fractional-batch-index": lambda L: L.roi_align(
        X, ROIS + torch.tensor([0.5, 0, 0, 0, 0]), 2
    ),
    # roi_align: mistakes
    "roi_align-int-input": lambda L: L.roi_align(X.long(), ROIS.long(), 2),
    "roi_align-int-rois": lambda L: L.roi_align(X, ROIS.long(), 2),
    "roi_align-rois-dtype-mismatch": lambda L: L.roi_align(X, ROIS.double(), 2),
    "roi_align-rois-k4": lambda L: L.roi_align(X, ROIS[:, 1:], 2),
    "roi_align-rois-1d": lambda L: L.roi_align(X, ROIS[0], 2),
    "roi_align-box-list-l5": lambda L: L.roi_align(X, [ROIS], 2),
    "roi_align-box-list-empty": lambda L: L.roi_align(X, [], 2),
    "roi_align-box-list-of-lists": lambda L: L.roi_align(X, [[1.0, 1, 3, 3]], 2),
    "roi_align-boxes-none": lambda L: L.roi_align(X, None, 2),
    "roi_align-boxes-array": lambda L: L.roi_align(X, ROIS.numpy(), 2),
    "roi_align-input-3d": lambda L: L.roi_align(X[0], ROIS, 2),
    "roi_align-input-list": lambda L: L.roi_align([X], ROIS, 2),
    "roi_align-output-size-negative": lambda L: L.roi_align(X, ROIS, -1),
    "roi_align-output-size-one-element": lambda L: L.roi_align(X, ROIS, [2]),
    "roi_align-output-size-float": lambda L: L.roi_align(X, ROIS, 2.0),
    "roi_align-output-size-float-pair": lambda L: L.roi_align(X, ROIS, (2.0, 3.0)),
    "roi_align-output-size-tensor": lambda L: L.roi_align(X, ROIS, torch.tensor(2)),
    "roi_align-sampling-ratio-float": lambda L: L.roi_align(X, ROIS, 2, 1.0, 2.0),
    # roi_pool
    "roi_pool-positional": lambda L: L.roi_pool(X, ROIS, 2),
    "roi_pool-keywords": lambda L: L.roi_pool(
        input=X, boxes=ROIS, output_size=(2, 3), spatial_scale=0.5
    ),
    "roi_pool-box-list": lambda L: L.roi_pool(X, PER_IMAGE, [3, 2], 0.5),
    "roi_pool-box-tuple": lambda L: L.roi_pool(X, tuple(PER_IMAGE), 2),
    "roi_pool-float64": lambda L: L.roi_pool(X.double(), ROIS.double(), 2),
    "roi_pool-no-rois": lambda L: L.roi_pool(X, ROIS[:0], 2),
    "roi_pool-channels-last": lambda L: L.roi_pool(_channels_last(X), ROIS, 2),
    "roi_pool-int-input": lambda L: L.roi_pool(X.long(), ROIS.long(), 2),
    "roi_pool-rois-dtype-mismatch": lambda L: L.roi_pool(X, ROIS.double(), 2),
    "roi_pool-rois-k4": lambda L: L.roi_pool(X, ROIS[:, 1:], 2),
    "roi_pool-box-list-l5": lambda L: L.roi_pool(X, [ROIS], 2),
    "roi_pool-boxes-none": lambda L: L.roi_pool(X, None, 2),
    "roi_pool-output-size-one-element": lambda L: L.roi_pool(X, ROIS, [2]),
    "roi_pool-output-size-float": lambda L: L.roi_pool(X, ROIS, 2.0),
    # RoI modules
    "RoIAlign-keywords": lambda L: L.RoIAlign(
        output_size=2, spatial_scale=0.5, sampling_ratio=2, aligned=True
    )(input=X, rois=ROIS),
    "RoIAlign-box-list": lambda L: L.RoIAlign((2, 3), 1.0, -1)(X, PER_IMAGE),
    "RoIAlign-missing-sampling-ratio": lambda L: L.RoIAlign(2, 1.0),
    "RoIAlign-repr": lambda L: repr(L.RoIAlign(2, 1.0, 2)),
    "RoIAlign-repr-tuple": lambda L: repr(L.RoIAlign((2, 3), 0.5, -1, True)),
    "RoIPool-keywords": lambda L: L.RoIPool(output_size=2, spatial_scale=0.5)(input=X, rois=ROIS),
    "RoIPool-repr": lambda L: repr(L.RoIPool([2, 3], 0.5)),
    # nms, batched_nms
    "nms-positional": lambda L: L.nms(BOXES, SCORES, 0.5),
    "nms-keywords": lambda L: L.nms(boxes=BOXES, scores=SCORES, iou_threshold=0.5),
    "nms-float64": lambda L: L.nms(BOXES.double(), SCORES.double(), 0.5),
    "nms-int-threshold": lambda L: L.nms(BOXES, SCORES, 0),
    "nms-tensor-threshold": lambda L: L.nms(BOXES, SCORES, torch.tensor(0.5)),
    "nms-non-contiguous": lambda L: L.nms(BOXES.t().contiguous().t(), SCORES, 0.5),
    "nms-empty": lambda L: L.nms(torch.zeros(0, 4), torch.zeros(0), 0.5),
    "nms-requires-grad": lambda L: L.nms(BOXES.clone().requires_grad_(), SCORES, 0.5),
    "nms-dtype-mismatch": lambda L: L.nms(BOXES.double(), SCORES, 0.5),
    "nms-int-boxes": lambda L: L.nms(BOXES.long(), SCORES, 0.5),
    "nms-boxes-n5": lambda L: L.nms(torch.zeros(3, 5), torch.zeros(3), 0.5),
    "nms-boxes-1d": lambda L: L.nms(torch.zeros(4), torch.zeros(1), 0.5),
    "nms-scores-2d": lambda L: L.nms(BOXES, SCORES[:, None], 0.5),
    "nms-scores-short": lambda L: L.nms(BOXES, SCORES[:3], 0.5),
    "nms-threshold-none": lambda L: L.nms(BOXES, SCORES, None),
    "nms-boxes-list": lambda L: L.nms(BOXES.tolist(), SCORES, 0.5),
    "batched_nms-positional": lambda L: L.batched_nms(BOXES, SCORES, IDXS, 0.5),
    "batched_nms-keywords": lambda L: L.batched_nms(
        boxes=BOXES, scores=SCORES, idxs=IDXS, iou_threshold=0.5
    ),
    "batched_nms-float-idxs": lambda L: L.batched_nms(BOXES, SCORES, IDXS * 0.5 + 0.25, 0.5),
    "batched_nms-bool-idxs": lambda L: L.batched_nms(BOXES, SCORES, IDXS.bool(), 0.5),
    "batched_nms-int32-idxs": lambda L: L.batched_nms(BOXES, SCORES, IDXS.int(), 0.5),
    "batched_nms-uint8-idxs": lambda L: L.batched_nms(BOXES, SCORES, IDXS.to(torch.uint8), 0.5),
    "batched_nms-negative-idxs": lambda L: L.batched_nms(BOXES, SCORES, IDXS - 5, 0.5),
    "batched_nms-empty": lambda L: L.batched_nms(
        torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.int64), 0.5
    ),
    "batched_nms-idxs-short": lambda L: L.batched_nms(BOXES, SCORES, IDXS[:3], 0.5),
    "batched_nms-int-boxes": lambda L: L.batched_nms(BOXES.long(), SCORES, IDXS, 0.5),
    "batched_nms-dtype-mismatch": lambda L: L.batched_nms(BOXES.double(), SCORES, IDXS, 0.5),
    # clip_boxes_to_image, remove_small_boxes
    "clip-positional": lambda L: L.clip_boxes_to_image(BOXES, (15, 12)),
    "clip-keywords": lambda L: L.clip_boxes_to_image(boxes=BOXES, size=(15, 12)),
    "clip-size-list": lambda L: L.clip_boxes_to_image(BOXES, [15, 12]),
    "clip-size-torch-size": lambda L: L.clip_boxes_to_image(BOXES, torch.Size([15, 12])),
    "clip-size-float": lambda L: L.clip_boxes_to_image(BOXES, (15.5, 12.5)),
    "clip-size-tensor": lambda L: L.clip_boxes_to_image(BOXES, torch.tensor([15, 12])),
    "clip-int64": lambda L: L.clip_boxes_to_image(BOXES.long(), (15, 12)),
    "clip-uint8": lambda L: L.clip_boxes_to_image(BOXES.to(torch.uint8), (15, 12)),
    "clip-half": lambda L: L.clip_boxes_to_image(BOXES.half(), (15, 12)),
    "clip-int64-fractional-size": lambda L: L.clip_boxes_to_image(BOXES.long() - 3, (15.5, 2.5)),
    "clip-expanded": lambda L: L.clip_boxes_to_image(BOXES.expand(3, 5, 4), (15, 12)),
    "clip-requires-grad": lambda L: L.clip_boxes_to_image(BOXES.clone().requires_grad_(), (8, 9)),
    "clip-batched": lambda L: L.clip_boxes_to_image(torch.stack([BOXES, BOXES - 5]), (15, 12)),
    "clip-one-box": lambda L: L.clip_boxes_to_image(BOXES[1], (5, 6)),
    "clip-empty": lambda L: L.clip_boxes_to_image(torch.zeros(0, 4), (15, 12)),
    "clip-non-contiguous": lambda L: L.clip_boxes_to_image(BOXES.t().contiguous().t(), (15, 12)),
    "clip-boxes-n5": lambda L: L.clip_boxes_to_image(torch.zeros(3, 5), (15, 12)),
    "clip-boxes-0d": lambda L: L.clip_boxes_to_image(torch.tensor(1.0), (15, 12)),
    "clip-size-three": lambda L: L.clip_boxes_to_image(BOXES, (15, 12, 3)),
    "clip-size-int": lambda L: L.clip_boxes_to_image(BOXES, 15),
    "remove_small-positional": lambda L: L.remove_small_boxes(BOXES, 3),
    "remove_small-keywords": lambda L: L.remove_small_boxes(boxes=BOXES, min_size=3.0),
    "remove_small-int64": lambda L: L.remove_small_boxes(BOXES.long(), 3),
    "remove_small-half": lambda L: L.remove_small_boxes(BOXES.half(), 3),
    "remove_small-tensor-min-size": lambda L: L.remove_small_boxes(BOXES, torch.tensor(3.0)),
    "remove_small-empty": lambda L: L.remove_small_boxes(torch.zeros(0, 4), 1.0),
    "remove_small-boxes-n3": lambda L: L.remove_small_boxes(torch.zeros(3, 3), 0.0),
    # MultiScaleRoIAlign
    "pooler-positional": lambda L: _pooler(L, ["0", "1"], 3, 2)(PYRAMID, IMAGE_BOXES, IMAGE_SHAPES),
    "pooler-keywords": lambda L: _pooler(
        L,
        featmap_names=["0", "1"],
        output_size=(3, 2),
        sampling_ratio=2,
        canonical_scale=100,
        canonical_level=3,
    )(x=PYRAMID, boxes=IMAGE_BOXES, image_shapes=IMAGE_SHAPES),
    "pooler-output-size-list": lambda L: _pooler(L, ["0", "1"], [3, 2], -1)(
        PYRAMID, IMAGE_BOXES, IMAGE_SHAPES
    ),
    "pooler-names-tuple": lambda L: _pooler(L, ("0", "1"), 3, 2)(
        PYRAMID, IMAGE_BOXES, IMAGE_SHAPES
    ),
    "pooler-single-level": lambda L: _pooler(L, ["1"], 3, 2)(PYRAMID, IMAGE_BOXES, IMAGE_SHAPES),
    "pooler-half": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        {k: v.half() for k, v in PYRAMID.items()}, [b.half() for b in IMAGE_BOXES], IMAGE_SHAPES
    ),
    "pooler-float64": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        {k: v.double() for k, v in PYRAMID.items()}, [b.double() for b in IMAGE_BOXES], IMAGE_SHAPES
    ),
    "pooler-name-missing-from-input": lambda L: _pooler(L, ["0", "1", "zz"], 3, 2)(
        PYRAMID, IMAGE_BOXES, IMAGE_SHAPES
    ),
    "pooler-one-image-shape": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, IMAGE_BOXES, IMAGE_SHAPES[:1]
    ),
    "pooler-image-shapes-lists": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, IMAGE_BOXES, [list(s) for s in IMAGE_SHAPES]
    ),
    "pooler-boxes-tuple": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, tuple(IMAGE_BOXES), IMAGE_SHAPES
    ),
    "pooler-boxes-for-first-image-only": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, IMAGE_BOXES[:1], IMAGE_SHAPES[:1]
    ),
    "pooler-no-boxes": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, [b[:0] for b in IMAGE_BOXES], IMAGE_SHAPES
    ),
    "pooler-repr": lambda L: repr(_pooler(L, ["0", "1"], 3, 2)),
    "pooler-repr-list": lambda L: repr(_pooler(L, ["0"], [3, 2], -1)),
    "pooler-attributes": lambda L: (
        lambda m: (m.featmap_names, m.output_size, m.sampling_ratio, m.canonical_scale)
    )(_pooler(L, ["0"], 3, 2, canonical_scale=100)),
    "pooler-output-size-one-element": lambda L: _pooler(L, ["0", "1"], [3], 2)(
        PYRAMID, IMAGE_BOXES, IMAGE_SHAPES
    ),
    "pooler-boxes-dtype-mismatch": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, [b.double() for b in IMAGE_BOXES], IMAGE_SHAPES
    ),
    "pooler-int-boxes": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, [b.long() for b in IMAGE_BOXES], IMAGE_SHAPES
    ),
    "pooler-all-names-missing": lambda L: _pooler(L, ["zz"], 3, 2)(
        PYRAMID, IMAGE_BOXES, IMAGE_SHAPES
    ),
    "pooler-no-image-shapes": lambda L: _pooler(L, ["0", "1"], 3, 2)(PYRAMID, IMAGE_BOXES, []),
    "pooler-boxes-k5": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, [torch.zeros(2, 5)] * 2, IMAGE_SHAPES
    ),
    "pooler-boxes-tensor": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        PYRAMID, IMAGE_BOXES[0], IMAGE_SHAPES
    ),
    "pooler-x-list": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        [PYRAMID["0"], PYRAMID["1"]], IMAGE_BOXES, IMAGE_SHAPES
    ),
    "pooler-channels-differ": lambda L: _pooler(L, ["0", "1"], 3, 2)(
        {"0": PYRAMID["0"], "1": PYRAMID["1"][:, :2]}, IMAGE_BOXES, IMAGE_SHAPES
    ),
    # FeaturePyramidNetwork and its extra blocks
    "fpn-plain": lambda L: _fpn(L, [3, 4], 5)(FEATURES),
    "fpn-keywords": lambda L: _fpn(
        L,
        in_channels_list=[3, 4],
        out_channels=5,
        extra_blocks=L.LastLevelMaxPool(),
        norm_layer=nn.BatchNorm2d,
    )(x=FEATURES),
    "fpn-p6p7-from-c5": lambda L: _fpn(L, [3, 4], 5, L.LastLevelP6P7(4, 5))(FEATURES),
    "fpn-p6p7-from-p5": lambda L: _fpn(L, [3, 4], 5, L.LastLevelP6P7(5, 5))(FEATURES),
    "fpn-channels-tuple": lambda L: _fpn(L, (3, 4), 5)(FEATURES),
    "fpn-plain-dict": lambda L: _fpn(L, [3, 4], 5)(dict(FEATURES)),
    "fpn-half": lambda L: _fpn(L, [3, 4], 5).half()(
        OrderedDict((k, v.half()) for k, v in FEATURES.items())
    ),
    "fpn-channels-last": lambda L: _fpn(L, [3, 4], 5)(
        OrderedDict((k, _channels_last(v)) for k, v in FEATURES.items())
    ),
    "fpn-repr": lambda L: repr(_fpn(L, [3, 4], 5, L.LastLevelMaxPool())),
    "fpn-repr-norm-p6p7": lambda L: repr(_fpn(L, [3, 4], 5, L.LastLevelP6P7(4, 5), nn.BatchNorm2d)),
    "fpn-zero-channels": lambda L: _fpn(L, [3, 0], 5),
    "fpn-negative-channels": lambda L: _fpn(L, [3, -1], 5),
    "fpn-extra-blocks-not-a-block": lambda L: _fpn(L, [3, 4], 5, nn.ReLU()),
    "fpn-wrong-channels": lambda L: _fpn(L, [3, 5], 5)(FEATURES),
    "fpn-3d-maps": lambda L: _fpn(L, [3, 4], 5)(
        OrderedDict((k, v[0]) for k, v in FEATURES.items())
    ),
    "fpn-int-maps": lambda L: _fpn(L, [3, 4], 5)(
        OrderedDict((k, v.long()) for k, v in FEATURES.items())
    ),
    "max-pool-repr": lambda L: repr(L.LastLevelMaxPool()),
    "max-pool-keywords": lambda L: L.LastLevelMaxPool()(x=[X], y=[X], names=["a"]),
    "p6p7-keywords": lambda L: L.LastLevelP6P7(3, 3)(p=[X], c=[X], names=["a"]),
    "p6p7-use-p5": lambda L: (L.LastLevelP6P7(4, 4).use_P5, L.LastLevelP6P7(3, 4).use_P5),
    "p6p7-repr": lambda L: repr(L.LastLevelP6P7(4, 5)),
}

# Half precision: torchvision's CPU RoI kernels compute in float16, vops' in float32.
TOLERANCE = {
    "pooler-half": {"rtol": 1e-2, "atol": 1e-2},
    "fpn-half": {"rtol": 1e-2, "atol": 1e-2},
}
EXACT = {"rtol": 0, "atol": 0}


def outcome(call, lib):
    """``(True, result)`` or ``(False, exception)``; seeded, so both libraries initialise
    any weights the call creates alike."""
    torch.manual_seed(0)
    try:
        return True, call(lib)
    except Exception as error:  # the exception is the outcome
        return False, error


def assert_same(ours, theirs, **close):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, torch.Tensor)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, equal_nan=True, **close)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key], **close)
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b, **close)
    elif isinstance(theirs, nn.Module):
        assert repr(ours) == repr(theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize("case", list(CALLS))
def test_call_gives_torchvisions_result_or_an_error_of_its_type(case):
    theirs_ok, theirs = outcome(CALLS[case], TV)
    ours_ok, ours = outcome(CALLS[case], vops)
    if theirs_ok:
        assert ours_ok, f"torchvision accepts the call, vops raised {ours!r}"
        assert_same(ours, theirs, **TOLERANCE.get(case, EXACT))
    else:
        assert not ours_ok, f"torchvision raised {theirs!r}, vops returned"
        assert isinstance(ours, type(theirs)), f"vops raised {ours!r}, torchvision {theirs!r}"


# Calls torchvision answers with garbage or nonsense where vops raises: id -> (call, error, match).
REJECTED_BY_VOPS_ONLY = {
    "roi_align-batch-index-out-of-range": (
        lambda L: L.roi_align(X, ROIS + torch.tensor([5.0, 0, 0, 0, 0]), 2),
        IndexError,
        r"rois\[0, 0\] is the batch index 5",
    ),
    "roi_align-nan-corner": (
        lambda L: L.roi_align(X, ROIS * torch.tensor([1.0, float("nan"), 1, 1, 1]), 2),
        ValueError,
        r"rois\[0\] has non-finite",
    ),
    "roi_align-more-box-tensors-than-images": (
        lambda L: L.roi_align(X, PER_IMAGE * 2, 2),
        IndexError,
        r"boxes must hold at most one Tensor\[L, 4\] per image: input has 2 images, got 4",
    ),
    "roi_align-input-5d": (
        lambda L: L.roi_align(X[None], ROIS, 2),
        ValueError,
        r"input must be a float Tensor\[N, C, H, W\], got Tensor\[1, 2, 3, 10, 12\]",
    ),
    "roi_align-output-size-zero": (
        lambda L: L.roi_align(X, ROIS, (2, 0)),
        ValueError,
        r"output_size must be positive",
    ),
    "roi_align-output-size-three-ints": (
        lambda L: L.roi_align(X, ROIS, (2, 3, 4)),
        ValueError,
        r"output_size must be positive \(height, width\), got \[2, 3, 4\]",
    ),
    "roi_pool-spatial-scale-zero": (
        lambda L: L.roi_pool(X, ROIS, 2, 0.0),
        ValueError,
        r"spatial_scale must be positive and finite, got 0.0",
    ),
    "clip-points-not-boxes": (
        lambda L: L.clip_boxes_to_image(torch.zeros(3, 2), (15, 12)),
        IndexError,
        r"boxes must be a Tensor\[\.\.\., 4\], got Tensor\[3, 2\]",
    ),
    "remove_small-boxes-n5": (
        lambda L: L.remove_small_boxes(torch.zeros(3, 5), 0.0),
        IndexError,
        r"boxes must be a Tensor\[N, 4\], got Tensor\[3, 5\]",
    ),
    "remove_small-batched-boxes": (
        lambda L: L.remove_small_boxes(BOXES[None], 0.0),
        IndexError,
        r"boxes must be a Tensor\[N, 4\], got Tensor\[1, 5, 4\]",
    ),
    "pooler-more-box-tensors-than-images": (
        lambda L: _pooler(L, ["0", "1"], 3, 2)(PYRAMID, IMAGE_BOXES * 2, IMAGE_SHAPES * 2),
        IndexError,
        r"boxes must hold at most one Tensor\[L, 4\] per image",
    ),
    "pooler-names-as-one-string": (
        lambda L: _pooler(L, "01", 3, 2)(PYRAMID, IMAGE_BOXES, IMAGE_SHAPES),
        TypeError,
        r"featmap_names must be a list of str, got '01'",
    ),
    "fpn-zero-out-channels": (
        lambda L: _fpn(L, [3, 4], 0),
        ValueError,
        r"out_channels must be a positive int, got 0",
    ),
    "fpn-too-few-maps": (
        lambda L: _fpn(L, [3, 4, 4], 5)(FEATURES),
        ValueError,
        r"x must hold 3 feature maps, one per entry of in_channels_list, got 2",
    ),
    "fpn-too-many-maps": (
        lambda L: _fpn(L, [3, 4], 5)(OrderedDict(FEATURES, c=FEATURES["b"][:, :, ::2, ::2])),
        ValueError,
        r"x must hold 2 feature maps, one per entry of in_channels_list, got 3",
    ),
    "p6p7-zero-channels": (
        lambda L: L.LastLevelP6P7(0, 4),
        ValueError,
        r"in_channels must be a positive int, got 0",
    ),
}


@pytest.mark.parametrize("case", list(REJECTED_BY_VOPS_ONLY))
def test_vops_rejects_what_torchvision_silently_mishandles(case):
    call, error, match = REJECTED_BY_VOPS_ONLY[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. torch's warning about zero-channel weights
        theirs_ok, _ = outcome(call, TV)
    assert theirs_ok, "torchvision now rejects this call too: move it to CALLS"
    with pytest.raises(error, match=match):
        call(vops)


# Reduced precision where torchvision's CPU kernels have none: vops matches torchvision's
# float32 result rounded to the dtype. id -> call(lib, dtype)
REDUCED_PRECISION = {
    "roi_align": lambda L, dtype: L.roi_align(X.to(dtype), ROIS.to(dtype), (2, 3), 0.5, 2),
    "roi_pool": lambda L, dtype: L.roi_pool(X.to(dtype), ROIS.to(dtype), (2, 3), 0.5),
    "nms": lambda L, dtype: L.nms(BOXES.to(dtype), SCORES.to(dtype), 0.5),
    "batched_nms": lambda L, dtype: L.batched_nms(BOXES.to(dtype), SCORES.to(dtype), IDXS, 0.5),
}


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("case", list(REDUCED_PRECISION))
def test_reduced_precision_torchvision_lacks_on_cpu_matches_its_float32_result(case, dtype):
    call = REDUCED_PRECISION[case]
    theirs_ok, _ = outcome(lambda L: call(L, dtype), TV)
    expected = call(TV, torch.float32)
    result = call(vops, dtype)
    if case in ("nms", "batched_nms"):
        assert torch.equal(result, expected)
    else:
        assert result.dtype == dtype
        torch.testing.assert_close(result.float(), expected, rtol=1e-2, atol=2e-2)
    if dtype == torch.bfloat16 or case in ("nms", "batched_nms"):
        assert not theirs_ok


# Models that call the ops in all the ways a model's forward can: id -> build(lib) -> (model, args)
def _calls_functions(lib):
    class Model(nn.Module):
        def forward(self, x, rois):
            pooled = lib.roi_align(x * 2, rois, (2, 3), 0.5, 2, True)
            per_image = [rois[rois[:, 0] == i, 1:] for i in range(2)]
            return pooled.sum() + lib.roi_pool(x + 1, per_image, 2, 0.5).sum()

    return Model(), (X, ROIS)


def _holds_modules(lib):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.align = lib.RoIAlign(2, 0.5, -1)
            self.pool = lib.RoIPool((3, 2), 1.0)

        def forward(self, x, rois):
            return self.align(x + 1, rois).mean(1), self.pool(x - 1, rois)

    return Model(), (X, ROIS)


def _pools_a_pyramid(lib):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.pooler = lib.MultiScaleRoIAlign(["0", "1"], 3, 2)

        def forward(self, x, boxes):
            features = {"0": x, "1": x[:, :, ::2, ::2]}
            return self.pooler(features, [boxes * 2, boxes], [(64, 64), (64, 60)])

    return Model(), (PYRAMID["0"], IMAGE_BOXES[0])


def _suppresses(lib):
    class Model(nn.Module):
        def forward(self, boxes, scores, idxs):
            boxes = lib.clip_boxes_to_image(boxes, (15, 12))
            keep = lib.remove_small_boxes(boxes, 1.0)
            boxes, scores, idxs = boxes[keep], scores[keep], idxs[keep]
            return lib.nms(boxes, scores, 0.5), lib.batched_nms(boxes, scores, idxs, 0.3)

    return Model(), (BOXES, SCORES, IDXS)


def _has_an_fpn(lib):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.stem = nn.Conv2d(3, 3, 3, padding=1)
            self.fpn = lib.FeaturePyramidNetwork([3, 3], 4, lib.LastLevelMaxPool())

        def forward(self, x):
            c = self.stem(x)
            return self.fpn(OrderedDict([("c2", c), ("c3", c[:, :, ::2, ::2])]))

    return Model(), (X,)


TRACED_MODELS = {
    "functions": _calls_functions,
    "modules": _holds_modules,
    "multiscale-pooler": _pools_a_pyramid,
    "nms-and-box-helpers": _suppresses,
    "fpn": _has_an_fpn,
}


@pytest.mark.parametrize("case", list(TRACED_MODELS))
def test_model_traced_with_fx_gives_torchvisions_eager_result(case):
    model, args = TRACED_MODELS[case](vops)
    theirs, _ = TRACED_MODELS[case](TV)
    traced = torch.fx.symbolic_trace(model)
    assert_same(traced(*args), theirs(*args))


@pytest.mark.parametrize("op", ["roi_align", "roi_pool", "clip_boxes_to_image"])
def test_gradient_equals_torchvisions(op):
    calls = {
        "roi_align": lambda L, x: L.roi_align(x, ROIS.double(), (2, 3), 0.5, 2),
        "roi_pool": lambda L, x: L.roi_pool(x, [b.double() for b in PER_IMAGE], 2, 0.5),
        "clip_boxes_to_image": lambda L, x: L.clip_boxes_to_image(x[0, 0, :5, :4] * 12, (7, 9)),
    }
    grads = []
    for lib in (vops, TV):
        x = X.double().requires_grad_()
        out = calls[op](lib, x)
        (grad,) = torch.autograd.grad(out, x, torch.linspace(-1, 1, out.numel()).view_as(out))
        grads.append(grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=0, atol=0)
