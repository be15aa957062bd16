"""vops.nms and vops.batched_nms against a slow greedy reference, hand-made cases and properties."""

import functools
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor

import vops

INF = math.inf
NAN = math.nan
THRESHOLDS = [-0.5, 0.0, 0.3, 0.5, 0.9, 1.0]
BIG = 2048  # enough boxes for a grid of many cells


# --- reference ---------------------------------------------------------------------------------


def score_order(scores: Tensor) -> list[int]:
    """Indices by decreasing score, equal scores by lower index first."""
    values = scores.tolist()
    return sorted(range(len(values)), key=lambda i: (-values[i], i))


def pairwise_iou(boxes: Tensor) -> Tensor:
    """``iou[k, c]``: IoU of kept box ``k`` with candidate ``c``, computed as
    inter / (area_k + area_c - inter) one IEEE operation at a time in the dtype of ``boxes``."""
    x1, y1, x2, y2 = boxes.unbind(1)
    area = (x2 - x1) * (y2 - y1)
    width = (
        torch.minimum(x2[:, None], x2[None, :]) - torch.maximum(x1[:, None], x1[None, :])
    ).clamp(min=0)
    height = (
        torch.minimum(y2[:, None], y2[None, :]) - torch.maximum(y1[:, None], y1[None, :])
    ).clamp(min=0)
    inter = width * height
    return inter / (area[:, None] + area[None, :] - inter)


def exceeds(iou: Tensor, threshold: float) -> Tensor:
    """``iou > threshold`` with the threshold kept a double, as the C++ kernels (and torchvision)
    compare it: in the boxes' dtype it would round (0.8 in float32 is 0.800000012). NaN: False."""
    return iou.double() > threshold


def reference_nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy NMS: visit boxes by score, keep a box unless a kept box overlaps it above the
    threshold. Half-precision inputs are computed in float32, as the kernels do."""
    if boxes.dtype in (torch.float16, torch.bfloat16):
        boxes, scores = boxes.float(), scores.float()
    iou = pairwise_iou(boxes)
    kept: list[int] = []
    for candidate in score_order(scores):
        if not any(exceeds(iou[k, candidate], iou_threshold) for k in kept):
            kept.append(candidate)
    return torch.tensor(kept, dtype=torch.int64)


def reference_nms_fast(
    boxes: Tensor, scores: Tensor, iou_threshold: float, iou: Tensor | None = None
) -> Tensor:
    """The same greedy loop with the suppression of each kept box applied to a mask at once, for
    thousands of boxes; ``iou`` may be given as ``pairwise_iou(boxes)`` computed beforehand.
    Cross-checked against :func:`reference_nms` below."""
    if boxes.dtype in (torch.float16, torch.bfloat16):
        boxes, scores = boxes.float(), scores.float()
    return greedy(exceeds(pairwise_iou(boxes) if iou is None else iou, iou_threshold), scores)


def reference_batched_nms(
    boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float, iou: Tensor | None = None
) -> Tensor:
    """Greedy NMS over all boxes in which only boxes of the same category suppress each other."""
    if boxes.dtype in (torch.float16, torch.bfloat16):
        boxes, scores = boxes.float(), scores.float()
    overlaps = exceeds(pairwise_iou(boxes) if iou is None else iou, iou_threshold)
    return greedy(overlaps & (idxs[:, None] == idxs[None, :]), scores)


def greedy(overlaps: Tensor, scores: Tensor) -> Tensor:
    """Visit boxes by score; keep one unless a kept box ``k`` has ``overlaps[k, box]``."""
    suppressed = torch.zeros(scores.size(0), dtype=torch.bool)
    kept: list[int] = []
    for candidate in score_order(scores):
        if not suppressed[candidate]:
            kept.append(candidate)
            suppressed |= overlaps[candidate]
    return torch.tensor(kept, dtype=torch.int64)


# --- inputs ------------------------------------------------------------------------------------


def random_boxes(n: int, layout: str, seed: int, dtype=torch.float32) -> Tensor:
    """``Tensor[n, 4]`` xyxy boxes; ``layout`` picks a spatial distribution that stresses one
    part of the kernel's grid index."""
    g = torch.Generator().manual_seed(seed)

    def corners(centre: Tensor, size: Tensor) -> Tensor:
        return torch.cat([centre - size / 2, centre + size / 2], dim=1)

    if layout == "uniform":  # typical detections on an image
        boxes = corners(torch.rand(n, 2, generator=g) * 500, torch.rand(n, 2, generator=g) * 60 + 1)
    elif layout == "clustered":  # dense piles: long chains of suppression
        centres = torch.rand(8, 2, generator=g) * 300
        pick = torch.randint(0, 8, (n,), generator=g)
        jitter = torch.randn(n, 2, generator=g) * 4
        boxes = corners(centres[pick] + jitter, torch.rand(n, 2, generator=g) * 20 + 20)
    elif layout == "mixed_scales":  # many tiny boxes and a few spanning most of the grid
        size = torch.rand(n, 2, generator=g) * 5 + 0.5
        size[torch.rand(n, generator=g) < 0.05] *= 150
        boxes = corners(torch.rand(n, 2, generator=g) * 1000, size)
    elif layout == "far_apart":  # two clusters a million units apart: mostly empty grid
        centre = torch.rand(n, 2, generator=g) * 100
        centre[n // 2 :] += 1e6
        boxes = corners(centre, torch.rand(n, 2, generator=g) * 20 + 1)
    elif layout == "strip":  # all boxes along a thin horizontal band
        centre = torch.stack([torch.rand(n, generator=g) * 1e4, torch.rand(n, generator=g)], 1)
        boxes = corners(centre, torch.rand(n, 2, generator=g) * 30 + 1)
    elif layout == "degenerate_mix":  # zero-area, inverted and ordinary boxes together
        boxes = corners(torch.rand(n, 2, generator=g) * 200, torch.rand(n, 2, generator=g) * 40)
        kind = torch.randint(0, 4, (n,), generator=g)
        boxes[kind == 1, 2] = boxes[kind == 1, 0]  # zero width
        boxes[kind == 2] = boxes[kind == 2][:, [2, 3, 0, 1]]  # inverted
    elif layout == "non_finite":  # ordinary boxes with NaN/inf corners sprinkled in
        boxes = corners(torch.rand(n, 2, generator=g) * 300, torch.rand(n, 2, generator=g) * 40)
        specials = torch.tensor([NAN, INF, -INF])
        mask = torch.rand(n, 4, generator=g) < 0.03
        boxes[mask] = specials[torch.randint(0, 3, (int(mask.sum()),), generator=g)]
    else:
        raise AssertionError(layout)
    return boxes.to(dtype)


def random_scores(n: int, seed: int, dtype=torch.float32, ties: bool = False) -> Tensor:
    g = torch.Generator().manual_seed(seed + 1)
    if ties:  # a handful of distinct values: order among equals decides which box survives
        return (torch.randint(0, 4, (n,), generator=g) / 4).to(dtype)
    return torch.rand(n, generator=g, dtype=torch.float64).to(dtype)


@functools.lru_cache(maxsize=2)
def cached_case(n: int, layout: str, seed: int, dtype: torch.dtype, ties: bool = False):
    """Random boxes, their scores and their IoU matrix (float32 or wider), kept for the next
    parametrized threshold: for thousands of boxes the matrix is most of the reference's cost."""
    boxes = random_boxes(n, layout, seed, dtype)
    scores = random_scores(n, seed, dtype, ties)
    wide = boxes.float() if dtype in (torch.float16, torch.bfloat16) else boxes
    return boxes, scores, pairwise_iou(wide)


def as_boxes(rows, dtype=torch.float64) -> Tensor:
    return torch.tensor(rows, dtype=dtype).reshape(-1, 4)


# --- the reference itself ----------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["uniform", "clustered", "degenerate_mix", "non_finite"])
@pytest.mark.parametrize("threshold", [-0.5, 0.0, 0.5])
def test_reference_loops_agree(layout, threshold):
    boxes, scores = random_boxes(60, layout, seed=3), random_scores(60, seed=3, ties=True)
    slow = reference_nms(boxes, scores, threshold)
    assert torch.equal(reference_nms_fast(boxes, scores, threshold), slow)


def test_reference_drops_the_lower_of_two_overlapping_boxes():
    boxes = as_boxes([[0, 0, 10, 10], [1, 0, 11, 10]])
    assert reference_nms(boxes, torch.tensor([0.2, 0.9], dtype=torch.float64), 0.5).tolist() == [1]


# --- nms against the reference -----------------------------------------------------------------


@pytest.mark.parametrize("threshold", THRESHOLDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("n", [0, 1, 2, 50])
def test_nms_matches_greedy_reference_on_few_random_boxes(n, dtype, threshold):
    boxes, scores = random_boxes(n, "uniform", seed=n, dtype=dtype), random_scores(n, n, dtype)
    kept = vops.nms(boxes, scores, threshold)
    assert kept.dtype == torch.int64
    assert torch.equal(kept, reference_nms(boxes, scores, threshold))


# Threshold varies fastest in the parameter grids below, so cached_case's cache serves each box set.
@pytest.mark.parametrize("threshold", THRESHOLDS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nms_matches_greedy_reference_on_thousands_of_boxes(dtype, threshold):
    boxes, scores, iou = cached_case(BIG, "uniform", 1, dtype)
    kept = vops.nms(boxes, scores, threshold)
    assert torch.equal(kept, reference_nms_fast(boxes, scores, threshold, iou))


@pytest.mark.parametrize("threshold", [0.0, 0.5])
@pytest.mark.parametrize(
    "layout", ["clustered", "mixed_scales", "far_apart", "strip", "degenerate_mix", "non_finite"]
)
def test_nms_matches_greedy_reference_on_every_spatial_layout(layout, threshold):
    boxes, scores, iou = cached_case(BIG, layout, 7, torch.float32)
    kept = vops.nms(boxes, scores, threshold)
    assert torch.equal(kept, reference_nms_fast(boxes, scores, threshold, iou))


@pytest.mark.parametrize("threshold", [-0.5, 0.3, 0.7])
@pytest.mark.parametrize("layout", ["clustered", "degenerate_mix"])
def test_nms_with_many_tied_scores_matches_reference(layout, threshold):
    boxes, scores, iou = cached_case(BIG, layout, 11, torch.float64, ties=True)
    kept = vops.nms(boxes, scores, threshold)
    assert torch.equal(kept, reference_nms_fast(boxes, scores, threshold, iou))


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_nms_half_precision_matches_reference_on_float32_upcast(dtype, threshold):
    boxes, scores, iou = cached_case(BIG, "clustered", 3, dtype)  # rounded scores: many ties
    expected = reference_nms_fast(boxes.float(), scores.float(), threshold, iou)
    assert torch.equal(vops.nms(boxes, scores, threshold), expected)


def test_nms_accepts_non_contiguous_inputs():
    boxes = random_boxes(400, "clustered", seed=5).t().contiguous().t()
    scores = random_scores(800, seed=5)[::2]
    assert not boxes.is_contiguous() and not scores.is_contiguous()
    assert torch.equal(vops.nms(boxes, scores, 0.5), reference_nms_fast(boxes, scores, 0.5))


# --- nms by hand -------------------------------------------------------------------------------


def test_nms_drops_box_overlapping_higher_score():
    boxes = as_boxes([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
    scores = torch.tensor([0.5, 0.9, 0.1], dtype=torch.float64)
    assert vops.nms(boxes, scores, 0.5).tolist() == [1, 2]


def test_nms_keeps_only_the_first_of_identical_boxes():
    boxes = as_boxes([[0, 0, 4, 4]] * 5)
    scores = torch.tensor([0.1, 0.2, 0.9, 0.3, 0.4], dtype=torch.float64)
    assert vops.nms(boxes, scores, 0.99).tolist() == [2]


def test_nms_breaks_score_ties_by_lower_index():
    boxes = as_boxes([[0, 0, 4, 4]] * 4 + [[10, 10, 14, 14]] * 2)
    scores = torch.tensor([0.5, 0.9, 0.9, 0.5, 0.7, 0.7], dtype=torch.float64)
    assert vops.nms(boxes, scores, 0.5).tolist() == [1, 4]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nms_keeps_touching_boxes_at_threshold_zero(dtype):
    # Shared edge and shared corner: IoU exactly 0, which is not > 0.
    boxes = as_boxes([[0, 0, 2, 2], [2, 0, 4, 2], [2, 2, 4, 4], [0, 2, 2, 4]], dtype)
    scores = torch.tensor([0.4, 0.3, 0.2, 0.1], dtype=dtype)
    assert vops.nms(boxes, scores, 0.0).tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize(("threshold", "kept"), [(0.0, [0]), (0.039, [0]), (0.041, [0, 1])])
def test_nms_contained_box_is_dropped_only_below_its_area_ratio(threshold, kept):
    # IoU of a 2x2 box inside a 10x10 box is 4 / 100.
    boxes = as_boxes([[0, 0, 10, 10], [2, 2, 4, 4]])
    scores = torch.tensor([0.9, 0.8], dtype=torch.float64)
    assert vops.nms(boxes, scores, threshold).tolist() == kept


def test_nms_contained_box_with_higher_score_suppresses_its_container():
    boxes = as_boxes([[0, 0, 10, 10], [0, 0, 9, 10]])  # IoU 0.9
    scores = torch.tensor([0.1, 0.8], dtype=torch.float64)
    assert vops.nms(boxes, scores, 0.85).tolist() == [1]


@pytest.mark.parametrize(
    "odd_box",
    [[3, 3, 3, 3], [1, 1, 1, 5], [1, 1, 5, 1], [5, 5, 1, 1], [5, 1, 1, 5], [1, 5, 5, 1]],
    ids=["point", "zero_width", "zero_height", "inverted", "inverted_x", "inverted_y"],
)
@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_nms_zero_area_and_inverted_boxes_neither_suppress_nor_are_suppressed(odd_box, threshold):
    boxes = as_boxes([[0, 0, 6, 6], odd_box, odd_box, [0, 0, 6, 6]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6], dtype=torch.float64)
    assert vops.nms(boxes, scores, threshold).tolist() == [0, 1, 2]


def test_nms_negative_threshold_lets_disjoint_boxes_suppress():
    # IoU 0 > -0.1, so the first box suppresses even boxes it does not touch; a zero-area box has
    # IoU 0 with it too, and a NaN box has no IoU with anything.
    boxes = as_boxes([[0, 0, 1, 1], [5, 5, 6, 6], [7, 7, 7, 9], [NAN, 0, 1, 1], [9, 9, 10, 10]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5], dtype=torch.float64)
    assert vops.nms(boxes, scores, -0.1).tolist() == [0, 3]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize(
    ("pair", "iou"),
    [
        ([[0, 0, 3, 1], [1, 0, 4, 1]], 0.5),
        ([[0, 0, 5, 1], [3, 0, 8, 1]], 0.25),
        ([[0, 0, 3, 1], [0, 0, 3, 1]], 1.0),
        ([[0, 0, 3, 1], [3, 0, 5, 1]], 0.0),
    ],
    ids=["half", "quarter", "identical", "touching"],
)
def test_nms_keeps_box_whose_iou_equals_threshold_exactly(dtype, pair, iou):
    boxes = as_boxes(pair, dtype)
    scores = torch.tensor([0.75, 0.25], dtype=dtype)
    assert vops.nms(boxes, scores, iou).tolist() == [0, 1]
    assert vops.nms(boxes, scores, math.nextafter(iou, -INF)).tolist() == [0]


@pytest.mark.parametrize(
    ("dtype", "kept"),
    [(torch.float32, [0]), (torch.bfloat16, [0]), (torch.float64, [0, 1])],
)
def test_nms_compares_iou_rounded_to_box_dtype_with_threshold_in_double(dtype, kept):
    # IoU = 780 / 975 = 0.8 exactly; rounded to float32 it is 0.800000012 > 0.8.
    boxes = as_boxes([[154, 215, 193, 240], [154, 217, 193, 237]], dtype)
    assert vops.nms(boxes, torch.tensor([0.75, 0.25], dtype=dtype), 0.8).tolist() == kept


@pytest.mark.parametrize("threshold", [-0.5, 0.0, 0.5, 1.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nms_non_finite_boxes_match_reference(dtype, threshold):
    boxes = as_boxes(
        [
            [0, 0, 10, 10],
            [NAN, 0, 10, 10],
            [0, 0, 10, NAN],
            [0, 0, INF, 10],
            [-INF, -INF, INF, INF],
            [-INF, -INF, INF, INF],
            [1, 1, 9, 9],
            [INF, INF, INF, INF],
            [-INF, 0, 5, 5],
            [2, 2, 11, 11],
        ],
        dtype,
    )
    scores = torch.tensor([0.2, 0.95, 0.9, 0.85, 0.8, 0.75, 0.1, 0.7, 0.65, 0.6], dtype=dtype)
    assert torch.equal(vops.nms(boxes, scores, threshold), reference_nms(boxes, scores, threshold))


def test_nms_nan_boxes_neither_suppress_nor_are_suppressed():
    boxes = as_boxes([[0, 0, 10, 10], [NAN, 0, 10, 10], [0, 0, 10, 10], [0, NAN, 10, 10]])
    scores = torch.tensor([0.5, 0.9, 0.4, 0.3], dtype=torch.float64)
    assert vops.nms(boxes, scores, 0.5).tolist() == [1, 0, 3]


def test_nms_nan_threshold_is_an_error_not_keeping_every_box():
    boxes = as_boxes([[0, 0, 10, 10]] * 3)
    scores = torch.tensor([0.1, 0.3, 0.2], dtype=torch.float64)
    with pytest.raises(ValueError, match="iou_threshold must be a number, got nan"):
        vops.nms(boxes, scores, NAN)


@pytest.mark.parametrize("threshold", [-0.5, 0.5])
def test_nms_of_a_single_box_keeps_it(threshold):
    boxes, scores = as_boxes([[0, 0, 1, 1]]), torch.ones(1, dtype=torch.float64)
    assert vops.nms(boxes, scores, threshold).tolist() == [0]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_nms_of_empty_input_is_empty_int64(dtype):
    kept = vops.nms(torch.zeros(0, 4, dtype=dtype), torch.zeros(0, dtype=dtype), 0.5)
    assert kept.shape == (0,) and kept.dtype == torch.int64


@pytest.mark.parametrize("idxs_dtype", [torch.int64, torch.int32])
def test_batched_nms_of_empty_input_is_empty_int64(idxs_dtype):
    kept = vops.batched_nms(
        torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=idxs_dtype), 0.5
    )
    assert kept.shape == (0,) and kept.dtype == torch.int64


# --- batched_nms -------------------------------------------------------------------------------


def category_ids(n: int, kind: str, seed: int) -> Tensor:
    g = torch.Generator().manual_seed(seed + 2)
    if kind == "dense":
        return torch.randint(0, 5, (n,), generator=g)
    if kind == "arbitrary_int64":  # sparse, negative and huge ids
        ids = torch.tensor([-(2**62), -7, -1, 3, 1000, 2**40])
        return ids[torch.randint(0, len(ids), (n,), generator=g)]
    if kind == "int32":
        return torch.randint(-3, 3, (n,), generator=g, dtype=torch.int32)
    if kind == "one_per_box":
        return torch.randperm(n, generator=g) * 3 - n
    raise AssertionError(kind)


@pytest.mark.parametrize("threshold", [-0.5, 0.0, 0.5, 0.9])
@pytest.mark.parametrize("kind", ["dense", "arbitrary_int64", "int32", "one_per_box"])
@pytest.mark.parametrize(
    ("n", "dtype"), [(1, torch.float32), (60, torch.float64), (BIG, torch.float32)]
)
def test_batched_nms_matches_per_category_reference(n, dtype, kind, threshold):
    boxes, scores, iou = cached_case(n, "clustered", n, dtype)
    idxs = category_ids(n, kind, seed=n)
    expected = reference_batched_nms(boxes, scores, idxs, threshold, iou)
    assert torch.equal(vops.batched_nms(boxes, scores, idxs, threshold), expected)


@pytest.mark.parametrize("layout", ["far_apart", "clustered", "non_finite", "degenerate_mix"])
@pytest.mark.parametrize("ties", [False, True])
def test_batched_nms_equals_per_class_nms_merged_by_score(layout, ties):
    boxes, scores = random_boxes(1500, layout, seed=13), random_scores(1500, seed=13, ties=ties)
    idxs = category_ids(1500, "arbitrary_int64", seed=13)
    merged: list[int] = []
    for category in idxs.unique().tolist():
        members = torch.nonzero(idxs == category).flatten()
        merged += members[vops.nms(boxes[members], scores[members], 0.5)].tolist()
    values = scores.tolist()
    merged.sort(key=lambda i: (-values[i], i))
    assert vops.batched_nms(boxes, scores, idxs, 0.5).tolist() == merged


def test_batched_nms_identical_boxes_of_different_classes_all_survive():
    boxes = as_boxes([[0, 0, 10, 10]] * 4)
    scores = torch.tensor([0.1, 0.4, 0.3, 0.2], dtype=torch.float64)
    idxs = torch.tensor([5, -5, 5, 2**40])
    assert vops.batched_nms(boxes, scores, idxs, 0.5).tolist() == [1, 2, 3]


def test_batched_nms_classes_far_apart_are_suppressed_within_each():
    boxes = as_boxes([[0, 0, 10, 10], [1, 1, 11, 11], [1e7, 1e7, 1e7 + 10, 1e7 + 10]])
    boxes = torch.cat([boxes, boxes + torch.tensor([0.5, 0, 0.5, 0], dtype=torch.float64)])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], dtype=torch.float64)
    idxs = torch.tensor([0, 0, 0, 1, 1, 1])
    assert vops.batched_nms(boxes, scores, idxs, 0.5).tolist() == [0, 2, 3, 5]


def test_batched_nms_with_one_category_equals_nms_reference():
    boxes, scores = random_boxes(800, "clustered", seed=17), random_scores(800, seed=17)
    idxs = torch.full((800,), -3)
    assert torch.equal(
        vops.batched_nms(boxes, scores, idxs, 0.4), reference_nms_fast(boxes, scores, 0.4)
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_batched_nms_half_precision_matches_reference_on_float32_upcast(dtype):
    boxes = random_boxes(1000, "clustered", seed=19, dtype=dtype)
    scores, idxs = random_scores(1000, seed=19, dtype=dtype), category_ids(1000, "dense", seed=19)
    expected = reference_batched_nms(boxes.float(), scores.float(), idxs, 0.5)
    assert torch.equal(vops.batched_nms(boxes, scores, idxs, 0.5), expected)


# --- properties --------------------------------------------------------------------------------


@st.composite
def detections(draw, max_size: int = 24):
    """Boxes on a coarse integer grid (many exact ties in IoU and score), scores and classes."""
    n = draw(st.integers(0, max_size))
    coord = st.integers(0, 12)
    rows = []
    for _ in range(n):
        x1, y1 = draw(coord), draw(coord)
        rows.append([x1, y1, x1 + draw(st.integers(0, 8)), y1 + draw(st.integers(0, 8))])
    scores = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    classes = draw(st.lists(st.integers(-2, 1), min_size=n, max_size=n))
    threshold = draw(st.sampled_from([-0.25, 0.0, 0.1, 0.25, 1 / 3, 0.5, 0.7, 1.0]))
    return (
        torch.tensor(rows, dtype=torch.float64).reshape(n, 4),
        torch.tensor(scores, dtype=torch.float64) / 6,
        torch.tensor(classes, dtype=torch.int64),
        threshold,
    )


def run_nms(boxes, scores, classes, threshold, batched):
    if batched:
        return vops.batched_nms(boxes, scores, classes, threshold).tolist()
    return vops.nms(boxes, scores, threshold).tolist()


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


@PROPERTY_SETTINGS
@given(case=detections(), batched=st.booleans())
def test_nms_never_keeps_a_same_class_pair_above_threshold(case, batched):
    boxes, scores, classes, threshold = case
    if not batched:
        classes = torch.zeros_like(classes)
    kept = run_nms(boxes, scores, classes, threshold, batched)
    iou = pairwise_iou(boxes)
    for a in kept:
        for b in kept:
            if a != b and classes[a] == classes[b]:
                assert not exceeds(iou[a, b], threshold)


@PROPERTY_SETTINGS
@given(case=detections(), batched=st.booleans())
def test_nms_every_dropped_box_overlaps_an_earlier_kept_box_of_its_class(case, batched):
    boxes, scores, classes, threshold = case
    if not batched:
        classes = torch.zeros_like(classes)
    kept = run_nms(boxes, scores, classes, threshold, batched)
    rank = {box: position for position, box in enumerate(score_order(scores))}
    for dropped in set(range(len(boxes))) - set(kept):
        assert any(
            rank[k] < rank[dropped]
            and classes[k] == classes[dropped]
            and exceeds(pairwise_iou(boxes[[k, dropped]])[0, 1], threshold)
            for k in kept
        )


@PROPERTY_SETTINGS
@given(case=detections(), batched=st.booleans())
def test_nms_output_is_sorted_by_decreasing_score_then_index(case, batched):
    boxes, scores, classes, threshold = case
    kept = run_nms(boxes, scores, classes, threshold, batched)
    assert len(set(kept)) == len(kept)
    keys = [(-scores[i].item(), i) for i in kept]
    assert keys == sorted(keys)


# --- argument checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("boxes", "scores", "match"),
    [
        pytest.param(
            torch.rand(3, 5),
            torch.rand(3),
            r"boxes must be a float Tensor\[N, 4\], got Tensor\[3, 5\]",
            id="boxes_5_columns",
        ),
        pytest.param(
            torch.rand(12),
            torch.rand(3),
            r"boxes must be a float Tensor\[N, 4\], got Tensor\[12\]",
            id="boxes_1d",
        ),
        pytest.param(
            torch.rand(2, 3, 4), torch.rand(3), r"boxes must be .*Tensor\[2, 3, 4\]", id="boxes_3d"
        ),
        pytest.param(
            torch.ones(3, 4, dtype=torch.int64),
            torch.rand(3),
            r"boxes must be a float .*dtype torch\.int64",
            id="boxes_int",
        ),
        pytest.param(
            torch.rand(3, 4),
            torch.rand(4),
            r"scores must be a Tensor\[N\] with N = boxes\.size\(0\) = 3, got Tensor\[4\]",
            id="scores_length",
        ),
        pytest.param(
            torch.rand(3, 4), torch.rand(3, 1), r"scores must be a Tensor\[N\]", id="scores_2d"
        ),
        pytest.param(
            torch.rand(3, 4),
            torch.rand(3).double(),
            r"scores and boxes must have the same dtype, got torch\.float64 and torch\.float32",
            id="dtype_mismatch",
        ),
    ],
)
@pytest.mark.parametrize("batched", [False, True])
def test_nms_rejects_bad_boxes_and_scores_naming_the_argument(boxes, scores, match, batched):
    with pytest.raises(ValueError, match=match):
        if batched:
            vops.batched_nms(boxes, scores, torch.zeros(len(scores), dtype=torch.int64), 0.5)
        else:
            vops.nms(boxes, scores, 0.5)


@pytest.mark.parametrize(
    "idxs",
    [torch.zeros(4, dtype=torch.int64), torch.zeros(3, 1, dtype=torch.int64)],
    ids=["wrong_length", "2d"],
)
def test_batched_nms_rejects_bad_idxs_naming_the_argument(idxs):
    boxes, scores = torch.rand(3, 4), torch.rand(3)
    with pytest.raises(ValueError, match=r"idxs must be a Tensor\[N\] with N = .* 3"):
        vops.batched_nms(boxes, scores, idxs, 0.5)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_batched_nms_takes_floating_point_categories_as_their_distinct_values(dtype):
    boxes, scores = random_boxes(300, "clustered", seed=5), random_scores(300, seed=5)
    idxs = category_ids(300, "dense", seed=5)
    # Fractional, negative and unordered values: only equality between them may matter.
    as_float = idxs.to(dtype) * -0.75 + 0.5
    expected = reference_batched_nms(boxes, scores, idxs, 0.5)
    assert torch.equal(vops.batched_nms(boxes, scores, as_float, 0.5), expected)


# --- TorchScript, torch.compile, opcheck -------------------------------------------------------


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_nms_and_batched_nms_can_be_scripted():
    nms, batched_nms = torch.jit.script(vops.nms), torch.jit.script(vops.batched_nms)
    boxes, scores = random_boxes(200, "clustered", seed=23), random_scores(200, seed=23)
    idxs = category_ids(200, "dense", seed=23)
    assert torch.equal(nms(boxes, scores, 0.5), reference_nms_fast(boxes, scores, 0.5))
    expected = reference_batched_nms(boxes, scores, idxs, 0.5)
    assert torch.equal(batched_nms(boxes, scores, idxs, 0.5), expected)
    with pytest.raises(torch.jit.Error, match="boxes must be a float Tensor"):
        nms(torch.rand(3, 5), torch.rand(3), 0.5)


def test_nms_compiles_with_dynamic_number_of_boxes():
    def detect(boxes: Tensor, scores: Tensor, idxs: Tensor) -> tuple[Tensor, Tensor]:
        return vops.nms(boxes, scores, 0.5), vops.batched_nms(boxes, scores, idxs, 0.5)

    compiled = torch.compile(detect, fullgraph=True, backend="aot_eager", dynamic=True)
    with torch._dynamo.config.patch(error_on_recompile=True):  # one graph serves every N
        for n in (30, 75):
            boxes, scores = random_boxes(n, "clustered", seed=n), random_scores(n, seed=n)
            idxs = category_ids(n, "dense", seed=n)
            kept, kept_batched = compiled(boxes, scores, idxs)
            assert torch.equal(kept, reference_nms(boxes, scores, 0.5))
            assert torch.equal(kept_batched, reference_batched_nms(boxes, scores, idxs, 0.5))


# opcheck runs all four of its tests (schema, autograd registration, fake tensor, AOT dispatch with
# dynamic shapes); none needs excluding: the fake kernels give the data-dependent output an unbacked
# size, which the fake-tensor and AOT tests accept, and the int64 output has no gradient to check.
# With inputs that require grad, torch's fake-tensor conversion reads ``.grad`` of a non-leaf and
# hides the resulting UserWarning through ``warnings.showwarning``, which pytest's
# filterwarnings=error bypasses; the filter below restores torch's intent and nothing more.
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")
@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("n", [0, 1, 40])
def test_nms_passes_opcheck(n, requires_grad):
    boxes = random_boxes(n, "clustered", seed=n, dtype=torch.float64).requires_grad_(requires_grad)
    scores, idxs = random_scores(n, seed=n, dtype=torch.float64), category_ids(n, "dense", seed=n)
    torch.library.opcheck(torch.ops.vops.nms.default, (boxes, scores, 0.5))
    torch.library.opcheck(torch.ops.vops.batched_nms.default, (boxes, scores, idxs, 0.5))
    torch.library.opcheck(torch.ops.vops.batched_nms.default, (boxes, scores, idxs.int(), 0.0))
