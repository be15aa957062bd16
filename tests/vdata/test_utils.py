"""Pictures in vdata.utils against hand-computed pixels and files read back with PIL."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from vdata.utils import (
    draw_bounding_boxes,
    draw_keypoints,
    draw_segmentation_masks,
    make_grid,
    save_image,
)

RED = (255, 0, 0)


def blank(height: int, width: int, value: int = 0) -> torch.Tensor:
    return torch.full((3, height, width), value, dtype=torch.uint8)


def read_picture(fp) -> np.ndarray:
    with Image.open(fp) as picture:
        return np.array(picture)


def painted_pixels(image: torch.Tensor) -> set[tuple[int, int]]:
    """(row, column) of every pixel that is not black."""
    return {tuple(p) for p in (image.sum(0) > 0).nonzero().tolist()}


# --- make_grid ---------------------------------------------------------------------------------


def test_make_grid_places_three_images_in_two_rows_by_hand():
    images = torch.tensor([1.0, 2.0, 3.0]).reshape(3, 1, 1, 1)
    grid = make_grid(images, nrow=2, padding=1)
    expected = torch.tensor(
        [
            [0, 0, 0, 0, 0],
            [0, 1, 0, 2, 0],
            [0, 0, 0, 0, 0],
            [0, 3, 0, 0, 0],
            [0, 0, 0, 0, 0],
        ],
        dtype=torch.float32,
    )
    assert grid.shape == (3, 5, 5)
    for channel in grid:  # single-channel images are repeated to RGB
        torch.testing.assert_close(channel, expected)


def test_make_grid_cell_positions_with_rectangular_images():
    images = torch.arange(3, dtype=torch.float32).add(1).reshape(3, 1, 1, 1).expand(3, 3, 2, 3)
    grid = make_grid(list(images), nrow=2, padding=2, pad_value=-1)
    # Cells are (2 + 2) rows by (3 + 2) columns, with 2 more pixels of border at the far side.
    assert grid.shape == (3, 2 * 4 + 2, 2 * 5 + 2)
    assert (grid[:, 2:4, 2:5] == 1).all()
    assert (grid[:, 2:4, 7:10] == 2).all()
    assert (grid[:, 6:8, 2:5] == 3).all()
    assert (grid[:, 6:8, 7:10] == -1).all()  # the empty fourth cell is padding
    assert (grid == -1).sum() == grid.numel() - 3 * 3 * 2 * 3


def test_make_grid_single_image_has_no_padding():
    image = torch.rand(3, 4, 5)
    torch.testing.assert_close(make_grid(image, padding=3), image)
    torch.testing.assert_close(make_grid(image[0]), image[0].expand(3, 4, 5))


def test_make_grid_normalizes_with_value_range_and_clamps():
    images = torch.tensor([-1.0, 0.0, 1.0, 3.0]).reshape(4, 1, 1, 1)
    grid = make_grid(images, nrow=4, padding=0, normalize=True, value_range=(0.0, 2.0))
    assert grid[0].tolist() == [[0.0, 0.0, 0.5, 1.0]]


def test_make_grid_normalizes_by_all_images_or_each():
    images = torch.tensor([[0.0, 2.0], [4.0, 8.0]]).reshape(2, 1, 1, 2)
    together = make_grid(images, nrow=2, padding=0, normalize=True)
    each = make_grid(images, nrow=2, padding=0, normalize=True, scale_each=True)
    assert together[0].tolist() == [[0.0, 0.25, 0.5, 1.0]]
    assert each[0].tolist() == [[0.0, 1.0, 0.0, 1.0]]
    assert images.tolist() == [[[[0.0, 2.0]]], [[[4.0, 8.0]]]]  # input untouched


@pytest.mark.parametrize(
    ("tensor", "kwargs", "message"),
    [
        ([torch.zeros(3, 2, 2), torch.zeros(3, 2, 3)], {}, "tensor\\[1\\] of shape"),
        ([], {}, "non-empty list"),
        (torch.zeros(2, 3, 2, 2), {"normalize": True, "value_range": (0, 1, 2)}, "value_range"),
        (torch.zeros(2, 2, 3, 2, 2), {}, "Tensor\\[2, 2, 3, 2, 2\\]"),
        (torch.zeros(2, 3, 2, 2), {"nrow": 0}, "nrow"),
        (torch.zeros(2, 3, 2, 2, dtype=torch.uint8), {"normalize": True}, "floating-point"),
    ],
)
def test_make_grid_rejects_bad_arguments(tensor, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make_grid(tensor, **kwargs)


# --- save_image --------------------------------------------------------------------------------


def test_save_image_float_png_round_trips_exactly(tmp_path):
    levels = torch.arange(256, dtype=torch.float32).reshape(1, 16, 16) / 255
    image = torch.cat([levels, levels.flip(1), levels.flip(2)])
    path = tmp_path / "picture.png"
    save_image(image, path)
    read = torch.from_numpy(read_picture(path)).permute(2, 0, 1)
    assert read.equal((image * 255).round().to(torch.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["picture.png"]


def test_save_image_rounds_to_nearest_level_and_keeps_uint8():
    image = torch.tensor([0.5, 0.2, 1.5]).reshape(3, 1, 1)
    buffer = io.BytesIO()
    save_image(image, buffer, format="PNG")
    # 0.5 * 255 = 127.5 rounds up, 0.2 * 255 = 51, 1.5 clamps to 255.
    assert read_picture(buffer).tolist() == [[[128, 51, 255]]]

    raw = torch.tensor([7, 200, 13], dtype=torch.uint8).reshape(3, 1, 1)
    buffer = io.BytesIO()
    save_image(raw, buffer, format="PNG")
    assert read_picture(buffer).tolist() == [[[7, 200, 13]]]


def test_save_image_writes_a_grid(tmp_path):
    images = torch.ones(3, 3, 2, 2)
    save_image(images, tmp_path / "grid.png", nrow=3, padding=1)
    assert read_picture(tmp_path / "grid.png").shape == (2 + 2, 3 * 3 + 1, 3)


def test_save_image_failure_leaves_existing_file_and_no_temporary(tmp_path):
    path = tmp_path / "kept.png"
    path.write_bytes(b"old")
    with pytest.raises((KeyError, ValueError)):
        save_image(torch.zeros(3, 2, 2), path, format="NOT-A-FORMAT")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["kept.png"]


def test_save_image_file_object_needs_format():
    with pytest.raises(ValueError, match="format is required"):
        save_image(torch.zeros(3, 2, 2), io.BytesIO())


# --- draw_bounding_boxes -----------------------------------------------------------------------


def test_draw_one_pixel_box_outline_by_hand():
    drawn = draw_bounding_boxes(blank(6, 6), torch.tensor([[1.0, 1.0, 3.0, 4.0]]), colors=RED)
    # Columns 1..3 of rows 1 and 4, rows 1..4 of columns 1 and 3; both corners are included.
    expected = {(1, 1), (1, 2), (1, 3), (4, 1), (4, 2), (4, 3), (2, 1), (3, 1), (2, 3), (3, 3)}
    assert painted_pixels(drawn) == expected
    assert drawn[:, 1, 1].tolist() == list(RED)
    assert drawn[1:].sum() == 0


def test_draw_box_truncates_coordinates():
    exact = draw_bounding_boxes(blank(6, 6), torch.tensor([[1.0, 1.0, 3.0, 4.0]]), colors=RED)
    fractional = draw_bounding_boxes(blank(6, 6), torch.tensor([[1.7, 1.2, 3.9, 4.8]]), colors=RED)
    assert fractional.equal(exact)


def test_draw_wide_box_grows_inwards():
    drawn = draw_bounding_boxes(
        blank(6, 6), torch.tensor([[0.0, 0.0, 5.0, 5.0]]), colors="white", width=2
    )
    ring = {(r, c) for r in range(6) for c in range(6) if min(r, c) < 2 or max(r, c) > 3}
    assert painted_pixels(drawn) == ring


def test_draw_filled_box_blends_interior_at_opacity_100():
    drawn = draw_bounding_boxes(
        blank(5, 5), torch.tensor([[0.0, 0.0, 4.0, 4.0]]), colors="red", fill=True
    )
    assert drawn[:, 0, 0].tolist() == [255, 0, 0]  # outline
    assert drawn[:, 1:4, 1:4].reshape(3, -1).unique(dim=1).tolist() == [[100], [0], [0]]


def test_draw_boxes_colours_each_box_and_labels_inside_box():
    boxes = torch.tensor([[0.0, 0.0, 39.0, 19.0], [0.0, 20.0, 39.0, 39.0]])
    plain = draw_bounding_boxes(blank(40, 40), boxes, colors=["#00ff00", (0, 0, 255)])
    assert plain[:, 0, 5].tolist() == [0, 255, 0]
    assert plain[:, 39, 5].tolist() == [0, 0, 255]

    labelled = draw_bounding_boxes(blank(40, 40), boxes, labels=["a", "b"], colors=RED)
    text = painted_pixels(labelled) - painted_pixels(plain)
    assert text, "labels drew nothing"
    # Each label sits inside its box, below and right of the outline.
    assert any(2 <= r < 19 for r, _ in text) and any(22 <= r < 39 for r, _ in text)
    assert all(c >= 2 for _, c in text)


def test_draw_no_boxes_returns_a_copy():
    image = blank(4, 4, 9)
    drawn = draw_bounding_boxes(image, torch.zeros(0, 4))
    assert drawn.equal(image) and drawn.data_ptr() != image.data_ptr()


def test_draw_boxes_without_colours_use_the_multiplier_palette():
    boxes = torch.tensor([[0.0, 0.0, 3.0, 3.0], [4.0, 0.0, 7.0, 3.0], [0.0, 4.0, 3.0, 7.0]])
    drawn = draw_bounding_boxes(blank(8, 8), boxes)
    # Box k gets ((k * (2**25 - 1)) % 255, (k * (2**15 - 1)) % 255, (k * (2**21 - 1)) % 255).
    assert drawn[:, 0, 0].tolist() == [0, 0, 0]
    assert drawn[:, 0, 4].tolist() == [33554431 % 255, 32767 % 255, 2097151 % 255]
    assert drawn[:, 4, 0].tolist() == [2 * 33554431 % 255, 2 * 32767 % 255, 2 * 2097151 % 255]


def test_draw_box_on_grey_image_gives_rgb_and_float_stays_float():
    grey = torch.full((1, 4, 4), 7, dtype=torch.uint8)
    drawn = draw_bounding_boxes(grey, torch.tensor([[0.0, 0.0, 3.0, 3.0]]), colors=RED)
    assert drawn.shape == (3, 4, 4)
    assert drawn[:, 0, 0].tolist() == list(RED) and drawn[:, 1, 1].tolist() == [7, 7, 7]

    image = torch.full((3, 4, 4), 0.5)
    drawn = draw_bounding_boxes(image, torch.tensor([[0.0, 0.0, 3.0, 3.0]]), colors=RED)
    assert drawn.dtype == torch.float32
    # 0.5 -> floor(0.5 * 255.999) = 127 -> 127 / 255; the outline is exactly red.
    assert drawn[:, 0, 0].tolist() == [1.0, 0.0, 0.0]
    assert drawn[:, 1, 1].equal(torch.full((3,), 127.0).mul_(1 / 255))


def test_draw_rotated_box_dashes_its_first_edge():
    box = torch.tensor([[1.0, 1.0, 21.0, 1.0, 21.0, 8.0, 1.0, 8.0]])
    drawn = draw_bounding_boxes(blank(10, 23), box, colors=RED)
    top = [int(v) for v in drawn[0, 1, 1:22].tolist()]
    # Dashes and gaps of 5 pixels along the first edge, x = 1..21; PIL's lines include their
    # rounded end points, so each dash covers 6 columns.
    assert top[0] == 255 and top[8] == 0 and top[11] == 255
    assert drawn[0, 8, 1:22].eq(255).all()  # the other edges are solid
    assert drawn[0, 1:9, 21].eq(255).all()


def test_label_on_filled_background_is_drawn_in_black_by_default():
    drawn = draw_bounding_boxes(
        blank(30, 40), torch.tensor([[0.0, 0.0, 39.0, 29.0]]), ["ab"], colors=RED,
        fill_labels=True,
    )  # fmt: skip
    region = drawn[:, 2:14, 2:20].reshape(3, -1).T.tolist()
    colours = {tuple(c) for c in region}
    assert (255, 0, 0) in colours and (0, 0, 0) in colours  # background and text
    assert colours <= {(255, 0, 0), (0, 0, 0)} | {(v, 0, 0) for v in range(256)}


def test_font_size_without_font_warns():
    with pytest.warns(UserWarning, match="font_size is ignored"):
        draw_bounding_boxes(blank(8, 8), torch.zeros(1, 4), ["a"], font_size=20)


@pytest.mark.parametrize(
    ("image", "boxes", "kwargs", "error", "message"),
    [
        (blank(4, 4).int(), torch.zeros(1, 4), {}, ValueError, "uint8 or float"),
        (blank(4, 4).numpy(), torch.zeros(1, 4), {}, TypeError, "image must be a Tensor"),
        (torch.zeros(2, 4, 4), torch.zeros(1, 4), {}, ValueError, "Tensor\\[2, 4, 4\\]"),
        (blank(4, 4), torch.zeros(1, 5), {}, ValueError, "Tensor\\[N, 4\\]"),
        (blank(4, 4), torch.tensor([[0.0, 0, 1, 1], [2, 0, 1, 1]]), {}, ValueError,
         "boxes\\[1\\]"),
        (blank(4, 4), torch.zeros(2, 4), {"labels": ["a"]}, ValueError,
         "one entry per box \\(2\\)"),
        (blank(4, 4), torch.zeros(1, 4), {"colors": "no-such-colour"}, ValueError,
         "no-such-colour"),
        (blank(4, 4), torch.zeros(2, 4), {"colors": ["red"]}, ValueError,
         "colors must hold at least one colour per object \\(2\\)"),
        (blank(4, 4), torch.zeros(1, 4), {"colors": (300, 0, 0)}, ValueError, "RGB tuple"),
        (blank(4, 4), torch.zeros(2, 4), {"label_colors": ["red", 5]}, ValueError,
         "label_colors\\[1\\]"),
        (blank(4, 4), torch.zeros(1, 4), {"width": -1}, ValueError, "width"),
    ],
)  # fmt: skip
def test_draw_bounding_boxes_rejects_bad_arguments(image, boxes, kwargs, error, message):
    with pytest.raises(error, match=message):
        draw_bounding_boxes(image, boxes, **kwargs)


# --- draw_segmentation_masks -------------------------------------------------------------------


def two_masks() -> torch.Tensor:
    masks = torch.zeros(2, 3, 4, dtype=torch.bool)
    masks[0, :, :2] = True
    masks[1, 1:, 1:3] = True
    return masks


def test_mask_with_alpha_one_replaces_pixels_with_colour():
    image = blank(3, 4, 50)
    drawn = draw_segmentation_masks(image, two_masks()[0], alpha=1.0, colors=(10, 20, 30))
    assert drawn[:, :, :2].reshape(3, -1).unique(dim=1).tolist() == [[10], [20], [30]]
    assert drawn[:, :, 2:].equal(image[:, :, 2:])


def test_mask_with_alpha_zero_leaves_image():
    image = torch.randint(0, 256, (3, 3, 4), dtype=torch.uint8)
    assert draw_segmentation_masks(image, two_masks(), alpha=0.0).equal(image)


def test_mask_blend_truncates_like_torchvision():
    image = blank(3, 4, 101)
    drawn = draw_segmentation_masks(image, two_masks()[0], alpha=0.5, colors=(0, 200, 255))
    # 101 / 2 = 50.5 -> 50; (101 + 200) / 2 = 150.5 -> 150; (101 + 255) / 2 = 178.
    assert drawn[:, 0, 0].tolist() == [50, 150, 178]


def test_overlapping_masks_blend_with_black():
    drawn = draw_segmentation_masks(
        blank(3, 4, 100), two_masks(), alpha=0.5, colors=["red", "blue"]
    )
    assert drawn[:, 2, 1].tolist() == [50, 50, 50]  # in both masks: half image, half black
    assert drawn[:, 0, 1].tolist() == [177, 50, 50]  # only in the first: (100 + 255) / 2
    assert drawn[:, 1, 2].tolist() == [50, 50, 177]  # only in the second
    assert drawn[:, 0, 3].tolist() == [100, 100, 100]  # in neither


def test_masks_on_float_image_use_colours_scaled_to_one():
    drawn = draw_segmentation_masks(torch.zeros(3, 3, 4), two_masks()[0], alpha=1.0, colors=RED)
    assert drawn.dtype == torch.float32
    assert drawn[:, 0, 0].tolist() == [1.0, 0.0, 0.0]


def test_more_colours_than_masks_uses_the_first():
    drawn = draw_segmentation_masks(
        blank(3, 4), two_masks()[0], alpha=1.0, colors=["lime", "red", "blue"]
    )
    assert drawn[:, 0, 0].tolist() == [0, 255, 0]


@pytest.mark.parametrize(
    ("masks", "alpha", "message"),
    [
        (two_masks().to(torch.uint8), 0.5, "bool Tensor"),
        (torch.zeros(1, 1, 3, 4, dtype=torch.bool), 0.5, "Tensor\\[1, 1, 3, 4\\]"),
        (torch.zeros(1, 3, 5, dtype=torch.bool), 0.5, "image's size \\[3, 4\\]"),
        (two_masks(), 1.5, "alpha"),
    ],
)
def test_draw_segmentation_masks_rejects_bad_arguments(masks, alpha, message):
    with pytest.raises(ValueError, match=message):
        draw_segmentation_masks(blank(3, 4), masks, alpha=alpha)


# --- draw_keypoints ----------------------------------------------------------------------------


def test_keypoint_disc_of_radius_one_is_a_plus_by_hand():
    drawn = draw_keypoints(blank(7, 7), torch.tensor([[[3.0, 2.0]]]), radius=1, colors=RED)
    assert painted_pixels(drawn) == {(1, 3), (2, 2), (2, 3), (2, 4), (3, 3)}
    assert drawn[:, 2, 3].tolist() == list(RED)


def test_invisible_keypoints_and_their_edges_are_not_drawn():
    keypoints = torch.tensor([[[1.0, 1.0], [1.0, 8.0], [8.0, 8.0]]])
    visibility = torch.tensor([[True, True, False]])
    drawn = draw_keypoints(
        blank(10, 10), keypoints, [(0, 1), (1, 2)], RED, radius=1, width=1, visibility=visibility
    )
    # Edge 0-1 joins two visible points: a white line over the red discs' centres.
    assert all(drawn[:, r, 1].tolist() == [255, 255, 255] for r in range(1, 9))
    assert drawn[:, 0, 1].tolist() == list(RED)  # the top of disc 0 is not under the line
    assert drawn[:, 8, 5].sum() == 0 and drawn[:, 8, 8].sum() == 0  # point 2 and edge 1-2
    assert painted_pixels(drawn) <= {(r, c) for r in range(10) for c in range(3)}


def test_keypoints_third_column_is_not_a_visibility():
    with_v = draw_keypoints(blank(7, 7), torch.tensor([[[3.0, 3.0, 0.0]]]), colors=RED)
    without_v = draw_keypoints(blank(7, 7), torch.tensor([[[3.0, 3.0]]]), colors=RED)
    assert with_v.equal(without_v) and with_v[:, 3, 3].tolist() == list(RED)


def test_keypoints_without_colours_draw_only_white_edges():
    keypoints = torch.tensor([[[1.0, 1.0], [5.0, 1.0]]])
    drawn = draw_keypoints(blank(7, 7), keypoints, connectivity=[(0, -1)], width=1)
    assert painted_pixels(drawn) == {(1, c) for c in range(1, 6)}
    assert drawn[:, 1, 3].tolist() == [255, 255, 255]


def test_keypoints_colour_each_instance():
    keypoints = torch.tensor([[[1.0, 1.0]], [[5.0, 5.0]]])
    drawn = draw_keypoints(blank(7, 7), keypoints, colors=["lime", "blue"], radius=1)
    assert drawn[:, 1, 1].tolist() == [0, 255, 0]
    assert drawn[:, 5, 5].tolist() == [0, 0, 255]


@pytest.mark.parametrize(
    ("keypoints", "kwargs", "error", "message"),
    [
        (torch.zeros(1, 2, 1), {}, ValueError, "Tensor\\[N, K, 2\\]"),
        (torch.zeros(2, 2), {}, ValueError, "Tensor\\[N, K, 2\\]"),
        (torch.zeros(1, 2, 2), {"connectivity": [(0, 2)]}, IndexError, "\\[-2, 2\\)"),
        (torch.zeros(1, 2, 2), {"connectivity": [(0, 1, 1)]}, ValueError, "pairs"),
        (torch.zeros(1, 2, 2), {"radius": -1}, ValueError, "radius"),
        (torch.zeros(1, 2, 2), {"visibility": torch.ones(1, 3)}, ValueError,
         "visibility must be a Tensor\\[N, K\\] = Tensor\\[1, 2\\]"),
        (torch.zeros(2, 1, 2), {"colors": ["red"]}, ValueError, "at least one colour"),
    ],
)  # fmt: skip
def test_draw_keypoints_rejects_bad_arguments(keypoints, kwargs, error, message):
    with pytest.raises(error, match=message):
        draw_keypoints(blank(4, 4), keypoints, **kwargs)
