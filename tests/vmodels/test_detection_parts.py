"""The parts of the R-CNNs on hand-made cases: box coding, anchors, matching, per-class NMS in
post-processing, mask pasting, keypoint heatmaps and the input transform."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vmodels.detection import (
    AnchorGenerator,
    BoxCoder,
    GeneralizedRCNNTransform,
    ImageList,
    Matcher,
    RoIHeads,
    heatmaps_to_keypoints,
    paste_masks_in_image,
)
from vmodels.detection.anchors import cell_anchors
from vmodels.detection.heatmap_peaks import resized_heatmap_peaks
from vmodels.detection.keypoint_head import keypoints_to_heatmap

# --- box coding --------------------------------------------------------------------------------


def test_box_coder_encodes_centre_and_log_size_offsets():
    reference = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    target = torch.tensor([[5.0, 5.0, 15.0, 25.0]])  # centre (10, 15), size 10 x 20
    plain = BoxCoder((1.0, 1.0, 1.0, 1.0)).encode(target, reference)
    torch.testing.assert_close(plain, torch.tensor([[0.5, 1.0, 0.0, math.log(2.0)]]))
    weighted = BoxCoder((10.0, 10.0, 5.0, 5.0)).encode(target, reference)
    torch.testing.assert_close(weighted, torch.tensor([[5.0, 10.0, 0.0, 5 * math.log(2.0)]]))


def test_box_coder_decodes_per_class_codes_back_to_boxes():
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    references = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 10.0, 40.0, 50.0]])
    targets = torch.tensor([[5.0, 5.0, 15.0, 25.0], [18.0, 12.0, 30.0, 60.0]])
    codes = coder.encode(targets, references)
    two_classes = torch.cat([torch.zeros_like(codes), codes], dim=1)
    decoded = coder.decode(two_classes, references)
    assert decoded.shape == (2, 2, 4)
    torch.testing.assert_close(decoded[:, 0], references)
    torch.testing.assert_close(decoded[:, 1], targets)


def test_box_coder_clamps_the_log_scale_when_decoding():
    coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
    decoded = coder.decode(
        torch.tensor([[0.0, 0.0, 50.0, 0.0]]), torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    )
    assert decoded[0, 0, 2] - decoded[0, 0, 0] == pytest.approx(2 * 1000 / 16, rel=1e-5)


def test_box_coder_rejects_non_positive_weights():
    with pytest.raises(ValueError, match="four positive numbers"):
        BoxCoder((1.0, 0.0, 1.0, 1.0))


# --- anchors -----------------------------------------------------------------------------------


def test_cell_anchors_keep_the_area_and_round_to_integers():
    expected = torch.tensor(
        [[-23.0, -11.0, 23.0, 11.0], [-16.0, -16.0, 16.0, 16.0], [-11.0, -23.0, 11.0, 23.0]]
    )
    torch.testing.assert_close(cell_anchors([32], [0.5, 1.0, 2.0]), expected)


def test_anchor_generator_shifts_cell_anchors_by_the_stride():
    generator = AnchorGenerator(((32,),), ((1.0,),))
    images = ImageList(torch.zeros(2, 3, 64, 64), [(64, 64), (50, 60)])
    anchors = generator(images, [torch.zeros(2, 8, 2, 2)])
    expected = torch.tensor(
        [
            [-16.0, -16.0, 16.0, 16.0],
            [16.0, -16.0, 48.0, 16.0],
            [-16.0, 16.0, 16.0, 48.0],
            [16.0, 16.0, 48.0, 48.0],
        ]
    )
    assert len(anchors) == 2
    for per_image in anchors:
        torch.testing.assert_close(per_image, expected)


def test_anchor_generator_needs_one_entry_per_feature_map():
    generator = AnchorGenerator(((32,), (64,)), ((1.0,), (1.0,)))
    images = ImageList(torch.zeros(1, 3, 64, 64), [(64, 64)])
    with pytest.raises(ValueError, match="anchors for 2 feature maps, got 1"):
        generator(images, [torch.zeros(1, 8, 2, 2)])


# --- matching ----------------------------------------------------------------------------------

QUALITY = torch.tensor([[0.9, 0.4, 0.1, 0.35], [0.2, 0.6, 0.2, 0.35]])


def test_matcher_marks_background_and_ignored_predictions():
    matches = Matcher(0.7, 0.3)(QUALITY)
    assert matches.tolist() == [0, -2, -1, -2]


def test_matcher_keeps_each_boxes_best_prediction_when_asked():
    matches = Matcher(0.7, 0.3, allow_low_quality_matches=True)(QUALITY)
    assert matches.tolist() == [0, 1, -1, -2]


# --- per-class NMS in post-processing ----------------------------------------------------------


def test_postprocessing_suppresses_overlaps_only_within_a_class():
    heads = RoIHeads(
        nn.Identity(), nn.Identity(), nn.Identity(), 0.5, 0.5, 8, 0.25, None, 0.05, 0.5, 100
    )
    proposals = [
        torch.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 0.0, 11.0, 10.0], [1.0, 0.0, 11.0, 10.0]])
    ]
    # Classes: background, 1, 2. The second proposal overlaps the first (IoU 0.82) in class 1.
    logits = torch.tensor([[0.0, 5.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]])
    boxes, scores, labels = heads.postprocess_detections(
        logits, torch.zeros(3, 12), proposals, [(20, 20)]
    )
    assert labels[0].tolist() == [2, 1]
    torch.testing.assert_close(
        boxes[0], torch.tensor([[1.0, 0.0, 11.0, 10.0], [0.0, 0.0, 10.0, 10.0]])
    )
    expected = torch.tensor([math.exp(6) / (math.exp(6) + 2), math.exp(5) / (math.exp(5) + 2)])
    torch.testing.assert_close(scores[0], expected)


# --- mask pasting ------------------------------------------------------------------------------


def _paste_one_by_one(
    masks: torch.Tensor, boxes: torch.Tensor, height: int, width: int
) -> torch.Tensor:
    """The release's algorithm, one mask at a time: pad, grow the box, resize, place."""
    side = masks.shape[-1]
    grow = (side + 2) / side
    out = torch.zeros(len(masks), 1, height, width)
    for i, (mask, box) in enumerate(zip(masks, boxes, strict=True)):
        padded = F.pad(mask[0], (1, 1, 1, 1))
        centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half_w, half_h = (box[2] - box[0]) / 2 * grow, (box[3] - box[1]) / 2 * grow
        x1, x2 = int(centre_x - half_w), int(centre_x + half_w)
        y1, y2 = int(centre_y - half_h), int(centre_y + half_h)
        resized = F.interpolate(
            padded[None, None], size=(max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)), mode="bilinear"
        )[0, 0]
        for y in range(max(y1, 0), min(y2 + 1, height)):
            for x in range(max(x1, 0), min(x2 + 1, width)):
                out[i, 0, y, x] = resized[y - y1, x - x1]
    return out


def test_pasting_a_full_mask_gives_the_hand_computed_profile():
    pasted = paste_masks_in_image(
        torch.ones(1, 1, 4, 4), torch.tensor([[2.0, 2.0, 6.0, 6.0]]), [10, 10]
    )
    # The grown box spans pixels 1..7; the padded mask's zero border fades in over one pixel.
    profile = torch.tensor([0, 0, 5.5 / 7, 1, 1, 1, 5.5 / 7, 0, 0, 0])
    torch.testing.assert_close(pasted[0, 0], profile[:, None] * profile[None, :])


def test_pasting_equals_pasting_one_mask_at_a_time_across_the_border():
    generator = torch.Generator().manual_seed(0)
    masks = torch.rand(12, 1, 6, 6, generator=generator)
    corners = torch.rand(12, 2, generator=generator) * 30 - 8
    boxes = torch.cat([corners, corners + torch.rand(12, 2, generator=generator) * 20 + 0.3], dim=1)
    pasted = paste_masks_in_image(masks, boxes, [20, 24])
    torch.testing.assert_close(pasted, _paste_one_by_one(masks, boxes, 20, 24), atol=1e-5, rtol=0)


def test_pasting_no_masks_gives_an_empty_batch_of_the_image_size():
    assert paste_masks_in_image(torch.zeros(0, 1, 28, 28), torch.zeros(0, 4), [7, 9]).shape == (
        0,
        1,
        7,
        9,
    )


# --- keypoints ---------------------------------------------------------------------------------


def test_keypoints_fall_in_their_heatmap_cells():
    rois = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    keypoints = torch.tensor(
        [[[3.0, 7.0, 2.0], [10.0, 10.0, 2.0], [-1.0, 5.0, 2.0], [5.0, 5.0, 0.0]]]
    )
    cells, valid = keypoints_to_heatmap(keypoints, rois, 5)
    assert valid.tolist() == [[1, 1, 0, 0]]
    assert cells.tolist() == [[3 * 5 + 1, 4 * 5 + 4, 0, 0]]


def test_heatmap_peaks_become_cell_centres_in_image_coordinates():
    heatmaps = torch.zeros(2, 1, 56, 56)
    heatmaps[:, 0, 20, 30] = 10.0
    rois = torch.tensor([[0.0, 0.0, 56.0, 56.0], [100.0, 50.0, 156.0, 106.0]])
    keypoints, scores = heatmaps_to_keypoints(heatmaps, rois)
    torch.testing.assert_close(
        keypoints[:, 0], torch.tensor([[30.5, 20.5, 1.0], [130.5, 70.5, 1.0]])
    )
    torch.testing.assert_close(scores[:, 0], torch.tensor([10.0, 10.0]))


def _peaks_of_resized_maps(heatmaps, heights, widths):
    """The slow reference: resize each RoI's maps, then take their first maximum."""
    maps, peaks = [], []
    for k in range(heatmaps.size(0)):
        size = (int(heights[k]), int(widths[k]))
        resized = F.interpolate(heatmaps[k][:, None], size=size, mode="bicubic")[:, 0]
        maps.append(resized)
        peaks.append(resized.flatten(1).max(dim=1).values)
    return maps, torch.stack(peaks)


@pytest.mark.parametrize("side", [14, 56])
@pytest.mark.parametrize("smooth", [False, True], ids=["noise", "smooth"])
def test_resized_heatmap_peaks_are_the_maxima_of_the_resized_maps(side, smooth):
    generator = torch.Generator().manual_seed(side + smooth)
    heatmaps = torch.randn(9, 5, side, side, generator=generator)
    if smooth:  # broad hills with many local maxima of similar height
        heatmaps = F.avg_pool2d(heatmaps, 5, stride=1, padding=2) * 10
    # Larger and smaller than the heatmaps, down to one pixel.
    heights = torch.tensor([1, 2, 7, side, side + 1, 61, 130, 255, 40])
    widths = torch.tensor([1, 300, 3, side, 97, side - 1, 64, 180, 1])
    y, x, value = resized_heatmap_peaks(heatmaps, heights, widths)
    maps, expected = _peaks_of_resized_maps(heatmaps, heights, widths)
    torch.testing.assert_close(value, expected, rtol=0, atol=1e-5)
    for k, resized in enumerate(maps):
        assert (y[k] < heights[k]).all() and (x[k] < widths[k]).all()
        at_pixel = resized[torch.arange(5), y[k], x[k]]
        torch.testing.assert_close(at_pixel, expected[k], rtol=0, atol=1e-5)


@pytest.mark.parametrize(("height", "width"), [(800, 11), (56, 57), (3, 130)])
def test_cell_bounds_hold_every_resized_pixel_of_their_cell(height, width):
    from vmodels.detection.heatmap_peaks import _axis_cells, _cell_bounds, _lobes

    side = 14
    heatmaps = torch.randn(1, 4, side, side, generator=torch.Generator().manual_seed(height))
    heights, widths = torch.tensor([height]), torch.tensor([width])
    axis_y, axis_x = _axis_cells(heights, side), _axis_cells(widths, side)
    bound = _cell_bounds(heatmaps, _lobes(axis_y)[:, None, :, None], _lobes(axis_x)[:, None, None])[
        0
    ]
    resized = F.interpolate(heatmaps, size=(height, width), mode="bicubic")[0]
    # Each pixel's cell, counted from -1: the floor of its source coordinate, plus one.
    cell_y = ((torch.arange(height) + 0.5) * (side / height) - 0.5).floor().long() + 1
    cell_x = ((torch.arange(width) + 0.5) * (side / width) - 0.5).floor().long() + 1
    of_pixel = bound[:, cell_y[:, None], cell_x[None, :]]
    assert (resized <= of_pixel + 1e-5).all()
    # The pixels' own offsets make it tighter than the bound for any offset (lobes of 3/16).
    widest = torch.full((1, 1, side + 1, side + 1), 0.1875)
    loose = _cell_bounds(heatmaps, widest, widest)[0]
    assert (bound <= loose + 1e-6).all() and (bound < loose - 1e-3).any()


def test_resized_heatmap_peaks_keep_the_first_of_equal_maxima():
    # At the heatmap's own size every pixel reads one source cell with weight 1.
    heatmaps = torch.zeros(1, 3, 8, 8)
    heatmaps[0, 0, 5, 7] = heatmaps[0, 0, 6, 1] = 4.0  # first in row-major order: (5, 7)
    heatmaps[0, 1, 2, 6] = heatmaps[0, 1, 2, 3] = 4.0  # (2, 3)
    heatmaps[0, 2] = -1.0  # all equal: the first pixel
    size = torch.tensor([8])
    y, x, value = resized_heatmap_peaks(heatmaps, size, size)
    assert y.tolist() == [[5, 2, 0]]
    assert x.tolist() == [[7, 3, 0]]
    assert value.tolist() == [[4.0, 4.0, -1.0]]


def test_resized_heatmap_peaks_of_no_rois_are_empty():
    y, x, value = resized_heatmap_peaks(
        torch.zeros(0, 17, 56, 56),
        torch.zeros(0, dtype=torch.int64),
        torch.zeros(0, dtype=torch.int64),
    )
    assert y.shape == x.shape == value.shape == (0, 17)


# --- transform ---------------------------------------------------------------------------------


def test_transform_resizes_batches_to_multiples_of_32_and_maps_boxes_back():
    transform = GeneralizedRCNNTransform(50, 80, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]).eval()
    images = [torch.rand(3, 100, 200), torch.rand(3, 60, 60)]
    targets = [{"boxes": torch.tensor([[10.0, 10.0, 100.0, 50.0]])}, {"boxes": torch.zeros(0, 4)}]
    batch, resized = transform(images, targets)
    # 100x200: scale min(50/100, 80/200) = 0.4; 60x60: scale 50/60.
    assert batch.image_sizes == [(40, 80), (50, 50)]
    assert batch.tensors.shape == (2, 3, 64, 96)
    torch.testing.assert_close(resized[0]["boxes"], torch.tensor([[4.0, 4.0, 40.0, 20.0]]))
    assert targets[0]["boxes"][0, 2] == 100.0  # the caller's targets are not modified
    restored = transform.postprocess(
        [{"boxes": resized[0]["boxes"]}], batch.image_sizes[:1], [(100, 200)]
    )
    torch.testing.assert_close(restored[0]["boxes"], targets[0]["boxes"])


def test_transform_rejects_integer_images_and_wrong_channel_counts():
    transform = GeneralizedRCNNTransform(50, 80, [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="float tensors with values in"):
        transform([torch.zeros(3, 10, 10, dtype=torch.uint8)])
    with pytest.raises(ValueError, match=r"images\[1\] must be a Tensor\[C, H, W\] with C = 3"):
        transform([torch.zeros(3, 10, 10), torch.zeros(1, 10, 10)])


def test_resized_heatmap_peaks_of_non_finite_maps_stay_inside_the_map():
    heatmaps = torch.randn(1, 3, 14, 14, generator=torch.Generator().manual_seed(1))
    heatmaps[0, 0, 3, 4] = float("nan")
    heatmaps[0, 1] = float("-inf")
    heatmaps[0, 2, 9, 2] = float("inf")
    height, width = torch.tensor([30]), torch.tensor([20])
    y, x, value = resized_heatmap_peaks(heatmaps, height, width)
    assert (y < 30).all() and (x < 20).all()
    resized = F.interpolate(heatmaps, size=(30, 20), mode="bicubic")[0]
    first_nan = resized[0].flatten().isnan().nonzero()[0, 0]  # argmax takes NaN as the largest
    assert (y[0, 0] * 20 + x[0, 0]).item() == first_nan.item() and value[0, 0].isnan()
