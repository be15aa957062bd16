"""MultiScaleRoIAlign: level assignment by box size, scale inference, and pooling per level."""

import math

import pytest
import torch

import vops
from vops import MultiScaleRoIAlign

IMAGE = 512
# Levels 2, 3, 4 (strides 4, 8, 16) of a 512 x 512 image; each map is filled with its level, so
# a pooled value tells which level a box was pooled from.
LEVELS = {"p2": 2, "p3": 3, "p4": 4}


@pytest.fixture
def constant_pyramid():
    return {
        name: torch.full((1, 1, IMAGE // 2**level, IMAGE // 2**level), float(level))
        for name, level in LEVELS.items()
    }


def _square(side: float) -> torch.Tensor:
    return torch.tensor([[0.0, 0.0, side, side]])


@pytest.mark.parametrize(
    "side, level",
    [
        (224, 4),  # canonical_scale goes to canonical_level
        (112, 3),  # half the side, one level down
        (56, 2),
        (223, 3),  # just under the canonical size
        (16, 2),  # would be level 0: clamped to the finest map
        (448, 4),  # would be level 5: clamped to the coarsest map
        (500, 4),
    ],
)
def test_box_is_pooled_from_level_of_its_size(constant_pyramid, side, level):
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=2, sampling_ratio=2)
    out = pooler(constant_pyramid, [_square(side)], [(IMAGE, IMAGE)])
    torch.testing.assert_close(out, torch.full((1, 1, 2, 2), float(level)))


def test_level_uses_sqrt_of_area_for_elongated_boxes(constant_pyramid):
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=2, sampling_ratio=2)
    box = torch.tensor([[10.0, 20.0, 122.0, 468.0]])  # 112 x 448: sqrt(area) = 224
    out = pooler(constant_pyramid, [box], [(IMAGE, IMAGE)])
    torch.testing.assert_close(out, torch.full((1, 1, 2, 2), 4.0))


def test_canonical_scale_and_level_move_the_assignment(constant_pyramid):
    pooler = MultiScaleRoIAlign(
        list(LEVELS), output_size=1, sampling_ratio=2, canonical_scale=56, canonical_level=3
    )
    boxes = _square(56)
    out = pooler(constant_pyramid, [boxes], [(IMAGE, IMAGE)])
    torch.testing.assert_close(out, torch.full((1, 1, 1, 1), 3.0))


def test_rows_keep_box_order_across_images_and_levels(constant_pyramid):
    pyramid = {name: feature.expand(2, 1, -1, -1) for name, feature in constant_pyramid.items()}
    boxes = [torch.cat([_square(224), _square(16), _square(112)]), _square(56)]
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=1, sampling_ratio=2)
    out = pooler(pyramid, boxes, [(IMAGE, IMAGE), (IMAGE, IMAGE)])
    assert out.flatten().tolist() == [4.0, 2.0, 3.0, 2.0]


def _random_boxes(count: int, size: int, generator: torch.Generator) -> torch.Tensor:
    xy = torch.rand(count, 2, generator=generator) * size * 0.25
    wh = 2 + torch.rand(count, 2, generator=generator) * size * 0.7
    return torch.cat([xy, xy + wh], dim=1)


def _expected_level(box: torch.Tensor, scale: int, level: int, k_min: int, k_max: int) -> int:
    side = math.sqrt(float((box[2] - box[0]) * (box[3] - box[1])))
    return min(max(math.floor(level + math.log2(side / scale) + 1e-6), k_min), k_max)


@pytest.mark.parametrize("sampling_ratio", [-1, 2])
def test_rows_equal_roi_align_on_the_assigned_level_at_its_scale(sampling_ratio):
    generator = torch.Generator().manual_seed(0)
    # Images up to 64 x 64: maps of 16, 8, 4 are strides 4, 8, 16 (levels 2, 3, 4).
    x = {
        "a": torch.randn(2, 3, 16, 16, generator=generator),
        "b": torch.randn(2, 3, 8, 8, generator=generator),
        "c": torch.randn(2, 3, 4, 4, generator=generator),
    }
    image_shapes = [(64, 60), (50, 64)]
    boxes = [_random_boxes(6, 64, generator), _random_boxes(5, 64, generator)]
    pooler = MultiScaleRoIAlign(
        ["a", "b", "c"], (3, 2), sampling_ratio, canonical_scale=16, canonical_level=3
    )
    out = pooler(x, boxes, image_shapes)

    maps = {2: x["a"], 3: x["b"], 4: x["c"]}
    rows = []
    for image, image_boxes in enumerate(boxes):
        for box in image_boxes:
            level = _expected_level(box, 16, 3, 2, 4)
            feature = maps[level][image : image + 1]
            rows.append(vops.roi_align(feature, [box[None]], (3, 2), 2.0**-level, sampling_ratio))
    levels_used = {_expected_level(b, 16, 3, 2, 4) for image_boxes in boxes for b in image_boxes}
    assert levels_used == {2, 3, 4}
    torch.testing.assert_close(out, torch.cat(rows))


def test_single_map_pools_every_box_at_its_inferred_scale():
    generator = torch.Generator().manual_seed(1)
    feature = torch.randn(2, 2, 16, 16, generator=generator)
    # 16 / 62 rounds to a stride of 4 from the largest image, whatever the box sizes.
    image_shapes = [(62, 40), (30, 62)]
    boxes = [torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 60.0, 60.0]]), _square(30.0)]
    pooler = MultiScaleRoIAlign(["only"], 2, 2, canonical_scale=1, canonical_level=100)
    out = pooler({"only": feature}, boxes, image_shapes)
    expected = vops.roi_align(feature, boxes, 2, spatial_scale=0.25, sampling_ratio=2)
    torch.testing.assert_close(out, expected)


def test_maps_of_one_stride_pool_every_box_from_the_first_like_torchvision():
    """MobileNetV3's pyramid has two maps at stride 32; torchvision pools from the first."""
    generator = torch.Generator().manual_seed(2)
    first, second = torch.randn(2, 1, 2, 4, 4, generator=generator)
    boxes = [torch.tensor([[0.0, 0.0, 8.0, 8.0], [10.0, 20.0, 120.0, 100.0]])]
    pooler = MultiScaleRoIAlign(["0", "1"], 2, 2)
    out = pooler({"0": first, "1": second}, boxes, [(128, 128)])
    expected = vops.roi_align(first, boxes, 2, spatial_scale=1 / 32, sampling_ratio=2)
    torch.testing.assert_close(out, expected)


def test_feature_maps_are_matched_to_levels_by_size_not_by_name_order(constant_pyramid):
    pyramid = dict(constant_pyramid, pool=torch.zeros(1, 1, 2, 2))
    reversed_names = MultiScaleRoIAlign(["p4", "p3", "p2"], output_size=1, sampling_ratio=2)
    boxes = [torch.cat([_square(224), _square(112), _square(56)])]
    out = reversed_names(pyramid, boxes, [(IMAGE, IMAGE)])
    assert out.flatten().tolist() == [4.0, 3.0, 2.0]


def test_gradient_of_sum_reaches_each_level_once_per_output_element():
    generator = torch.Generator().manual_seed(2)
    x = {
        "a": torch.randn(1, 2, 16, 16, generator=generator, requires_grad=True),
        "b": torch.randn(1, 2, 8, 8, generator=generator, requires_grad=True),
    }
    # Sides 8 and 40 in a 64 x 64 image go to levels 2 and 3 (canonical 32 -> 3).
    boxes = [torch.tensor([[4.0, 4.0, 12.0, 12.0], [8.0, 8.0, 48.0, 48.0], [0.0, 0.0, 8.0, 8.0]])]
    pooler = MultiScaleRoIAlign(["a", "b"], 3, 2, canonical_scale=32, canonical_level=3)
    pooler(x, boxes, [(64, 64)]).sum().backward()
    # Every output is a convex combination of in-bounds input values.
    per_box = 2 * 3 * 3
    assert x["a"].grad.sum().item() == pytest.approx(2 * per_box)
    assert x["b"].grad.sum().item() == pytest.approx(1 * per_box)


def test_no_boxes_gives_empty_result(constant_pyramid):
    pyramid = {name: feature.expand(2, 1, -1, -1) for name, feature in constant_pyramid.items()}
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=(3, 2), sampling_ratio=2)
    empty = torch.zeros(0, 4)
    out = pooler(pyramid, [empty, empty], [(IMAGE, IMAGE), (IMAGE, IMAGE)])
    assert out.shape == (0, 1, 3, 2)
    out = pooler(pyramid, [empty, _square(112)], [(IMAGE, IMAGE), (IMAGE, IMAGE)])
    torch.testing.assert_close(out, torch.full((1, 1, 3, 2), 3.0))


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_scripted_pooler_matches_eager(constant_pyramid):
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=2, sampling_ratio=2)
    scripted = torch.jit.script(pooler)
    boxes = [torch.cat([_square(224), _square(16), _square(112)])]
    out = scripted(constant_pyramid, boxes, [(IMAGE, IMAGE)])
    assert out.flatten()[::4].tolist() == [4.0, 2.0, 3.0]
    empty = scripted(constant_pyramid, [torch.zeros(0, 4)], [(IMAGE, IMAGE)])
    assert empty.shape == (0, 1, 2, 2)


def test_repr_shows_configuration():
    pooler = MultiScaleRoIAlign(["0", "1"], 7, 2)
    assert repr(pooler) == (
        "MultiScaleRoIAlign(featmap_names=['0', '1'], output_size=(7, 7), sampling_ratio=2)"
    )


@pytest.mark.parametrize(
    "x, boxes, image_shapes, message",
    [
        (
            {"c2": torch.zeros(1, 1, 128, 128)},
            [_square(8)],
            [(IMAGE, IMAGE)],
            r"at least one name in featmap_names \['p2', 'p3', 'p4'\], got keys \['c2'\]",
        ),
        (None, [_square(8), _square(8)], [(IMAGE, IMAGE)], "input has 1 images, got 2 tensors"),
        (None, [torch.zeros(1, 3)], [(IMAGE, IMAGE)], r"boxes\[0\] must be a float Tensor\[L, 4\]"),
        (None, [_square(8)], [], r"image_shapes must hold the \(height, width\) of each image"),
        (None, [_square(8)], [(0, 0)], "image_shapes must be positive"),
        (
            {
                "p2": torch.zeros(1, 1, 128, 128),
                "p3": torch.zeros(1, 1, 64, 64),
                "p4": torch.zeros(1, 1, 16, 16),
            },
            [_square(8)],
            [(IMAGE, IMAGE)],
            "strides 2 \\*\\* k for consecutive k",
        ),
        (
            {
                "p2": torch.zeros(1, 1, 128, 64),
                "p3": torch.zeros(1, 1, 64, 32),
                "p4": torch.zeros(1, 1, 32, 16),
            },
            [_square(8)],
            [(IMAGE, IMAGE)],
            "along height and width from the largest image_shapes",
        ),
        (
            {
                "p2": torch.zeros(1, 1, 128, 128),
                "p3": torch.zeros(1, 2, 64, 64),
                "p4": torch.zeros(1, 1, 32, 32),
            },
            [_square(8)],
            [(IMAGE, IMAGE)],
            "feature maps must share N and C",
        ),
    ],
    ids=[
        "no-map",
        "boxes-per-image",
        "box-shape",
        "no-image-shapes",
        "image-shape-empty",
        "level-gap",
        "non-square-stride",
        "channels",
    ],
)
def test_pooler_rejects_bad_inputs(constant_pyramid, x, boxes, image_shapes, message):
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=2, sampling_ratio=2)
    with pytest.raises(ValueError, match=message):
        pooler(constant_pyramid if x is None else x, boxes, image_shapes)


@pytest.mark.parametrize(
    "featmap_names, output_size, message",
    [
        ([], 2, "featmap_names must name at least one feature map"),
        ("p2", 2, "featmap_names must be a list of str, got 'p2'"),
        (["p2"], 0, "output_size must be positive"),
    ],
)
def test_pooler_rejects_bad_configuration(featmap_names, output_size, message):
    with pytest.raises(ValueError, match=message):
        MultiScaleRoIAlign(featmap_names, output_size, 2)


def test_names_missing_from_the_input_are_skipped_like_torchvision(constant_pyramid):
    boxes = [torch.cat([_square(224), _square(16), _square(112)])]
    present = {name: constant_pyramid[name] for name in ("p2", "p3")}
    pooler = MultiScaleRoIAlign(["p2", "absent", "p3"], output_size=1, sampling_ratio=2)
    out = pooler(present, boxes, [(IMAGE, IMAGE)])
    # Level 4 is gone: its box goes to the coarsest level left.
    assert out.flatten().tolist() == [3.0, 2.0, 3.0]


def test_only_the_largest_image_shape_matters(constant_pyramid):
    pooler = MultiScaleRoIAlign(list(LEVELS), output_size=1, sampling_ratio=2)
    boxes = [_square(224)]
    one = pooler(constant_pyramid, boxes, [(IMAGE, IMAGE)])
    more = pooler(constant_pyramid, boxes, [(IMAGE // 2, IMAGE), (IMAGE, IMAGE // 4), (3, 3)])
    assert one.item() == more.item() == 4.0


def test_boxes_for_fewer_images_than_the_batch_pool_the_first_images():
    pyramid = {"p2": torch.arange(2.0).view(2, 1, 1, 1).expand(2, 1, 128, 128)}
    pooler = MultiScaleRoIAlign(["p2"], output_size=1, sampling_ratio=2)
    out = pooler(pyramid, [_square(64)], [(IMAGE, IMAGE), (IMAGE, IMAGE)])
    assert out.flatten().tolist() == [0.0]
