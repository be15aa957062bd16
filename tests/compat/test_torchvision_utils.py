"""vdata.utils pictures against torchvision.utils: the same arguments give the same pixels,
and the same mistakes raise the same exception types."""

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vdata import utils

torchvision = pytest.importorskip("torchvision")

COLORS = ["red", (0, 128, 255), "#30c050", (250, 250, 0), "purple"]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((7, 3, 5, 6), {}),
        ((7, 3, 5, 6), {"nrow": 3, "padding": 1, "pad_value": 0.25}),
        ((5, 1, 4, 4), {"nrow": 2, "normalize": True}),
        ((5, 3, 4, 4), {"nrow": 4, "normalize": True, "scale_each": True}),
        ((4, 3, 4, 4), {"normalize": True, "value_range": (-0.5, 0.5), "padding": 0}),
        ((1, 3, 4, 4), {"normalize": True}),
        ((1, 4, 4), {}),
        ((4, 4), {}),
        ((3, 4, 4), {"padding": 5}),
        ((2, 9, 2, 3), {"nrow": 1}),
    ],
)
def test_make_grid_equals_torchvision(shape, kwargs):
    images = torch.randn(shape, generator=torch.Generator().manual_seed(len(kwargs)))
    torch.testing.assert_close(
        utils.make_grid(images, **kwargs), torchvision.utils.make_grid(images, **kwargs)
    )


def test_make_grid_of_a_list_equals_torchvision():
    images = list(torch.rand(3, 3, 4, 5, generator=torch.Generator().manual_seed(1)))
    assert utils.make_grid(images, nrow=2).equal(torchvision.utils.make_grid(images, nrow=2))


@pytest.mark.parametrize(
    ("tensor", "kwargs"),
    [
        ("not a tensor", {}),
        ([torch.zeros(3, 2, 2), "x"], {}),
        (torch.zeros(2, 3, 2, 2), {"normalize": True, "value_range": 1.0}),
    ],
)
def test_make_grid_raises_torchvision_type_error(tensor, kwargs):
    with pytest.raises(TypeError):
        torchvision.utils.make_grid(tensor, **kwargs)
    with pytest.raises(TypeError):
        utils.make_grid(tensor, **kwargs)


def test_make_grid_normalize_of_uint8_raises_torchvision_runtime_error():
    images = torch.zeros(2, 3, 2, 2, dtype=torch.uint8)
    with pytest.raises(RuntimeError):
        torchvision.utils.make_grid(images, normalize=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        utils.make_grid(images, normalize=True)


@pytest.mark.parametrize("shape", [(5, 3, 6, 7), (2, 1, 4, 4), (3, 4, 4, 3), (3, 5, 2)])
def test_save_image_writes_the_pixels_torchvision_writes(shape):
    images = torch.rand(shape, generator=torch.Generator().manual_seed(0))
    ours, theirs = io.BytesIO(), io.BytesIO()
    utils.save_image(images, ours, format="PNG", nrow=2)
    torchvision.utils.save_image(images, theirs, format="PNG", nrow=2)
    with Image.open(ours) as a, Image.open(theirs) as b:
        assert a.mode == b.mode
        np.testing.assert_array_equal(np.array(a), np.array(b))


def random_image(height: int, width: int, seed: int, channels: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (channels, height, width), dtype=torch.uint8, generator=g)


def random_boxes(count: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    corner = torch.rand(count, 2, generator=g) * 40
    return torch.cat([corner, corner + torch.rand(count, 2, generator=g) * 25], dim=1)


def assert_same_picture(ours: torch.Tensor, theirs: torch.Tensor) -> None:
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert ours.equal(theirs)


@pytest.mark.parametrize("fill", [False, True])
@pytest.mark.parametrize("width", [0, 1, 3])
def test_draw_bounding_boxes_equals_torchvision(width, fill):
    image, boxes = random_image(64, 72, seed=1), random_boxes(5, seed=width)
    kwargs = {"colors": COLORS, "width": width, "fill": fill}
    assert_same_picture(
        utils.draw_bounding_boxes(image, boxes, **kwargs),
        torchvision.utils.draw_bounding_boxes(image, boxes, **kwargs),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"colors": "orange"},
        {"colors": (10, 200, 30)},
        {"colors": "#30c050"},
        {"colors": [*COLORS, "black", "white"]},
        {"labels": ["cat", "dog", None, "a b", "z"]},
        {"labels": ["cat", "dog", "x", "y", "z"], "fill_labels": True},
        {
            "labels": ["cat", "dog", "x", "y", "z"],
            "fill_labels": True,
            "label_colors": "white",
            "label_background_colors": COLORS,
        },
        {"labels": ["cat", "dog", "x", "y", "z"], "label_colors": ["blue"] * 5, "fill": True},
    ],
    ids=lambda kwargs: ",".join(kwargs) or "defaults",
)
def test_draw_bounding_boxes_colours_and_labels_equal_torchvision(kwargs):
    # Labels use PIL's default font through the same calls, so even the text pixels agree.
    image, boxes = random_image(64, 72, seed=2), random_boxes(5, seed=3)
    assert_same_picture(
        utils.draw_bounding_boxes(image, boxes, **kwargs),
        torchvision.utils.draw_bounding_boxes(image, boxes, **kwargs),
    )


@pytest.mark.skipif(not FONT.is_file(), reason="no DejaVu font on this machine")
@pytest.mark.parametrize("font_size", [None, 14])
def test_draw_bounding_boxes_with_a_truetype_font_equals_torchvision(font_size):
    image, boxes = random_image(64, 72, seed=4), random_boxes(3, seed=5)
    kwargs = {"labels": ["one", "two", "three"], "font": str(FONT), "font_size": font_size}
    assert_same_picture(
        utils.draw_bounding_boxes(image, boxes, **kwargs),
        torchvision.utils.draw_bounding_boxes(image, boxes, **kwargs),
    )


@pytest.mark.parametrize("fill", [False, True])
def test_draw_rotated_boxes_equals_torchvision(fill):
    boxes = torch.tensor(
        [
            [10.0, 5.0, 40.0, 12.0, 35.0, 40.0, 4.0, 30.0],
            [50.0, 50.0, 60.0, 45.0, 66.0, 58.0, 55.0, 62.0],
        ]
    )
    image = random_image(70, 70, seed=6)
    kwargs = {"colors": ["red", "lime"], "width": 2, "fill": fill, "labels": ["r", "l"]}
    assert_same_picture(
        utils.draw_bounding_boxes(image, boxes, **kwargs),
        torchvision.utils.draw_bounding_boxes(image, boxes, **kwargs),
    )


@pytest.mark.parametrize("kind", ["grey", "float32", "float64", "grey-float"])
def test_draw_bounding_boxes_on_grey_and_float_images_equals_torchvision(kind):
    image = random_image(40, 48, seed=7, channels=1 if kind.startswith("grey") else 3)
    if "float" in kind:
        image = image.to(torch.float64 if kind == "float64" else torch.float32) / 255
    boxes = random_boxes(4, seed=8)
    assert_same_picture(
        utils.draw_bounding_boxes(image, boxes, colors=COLORS[:4], fill=True),
        torchvision.utils.draw_bounding_boxes(image, boxes, colors=COLORS[:4], fill=True),
    )


def test_draw_bounding_boxes_warns_like_torchvision_when_font_size_has_no_font():
    image, boxes = random_image(20, 20, seed=9), random_boxes(1, seed=9)
    with pytest.warns(UserWarning):
        theirs = torchvision.utils.draw_bounding_boxes(image, boxes, labels=["a"], font_size=30)
    with pytest.warns(UserWarning, match="font_size"):
        ours = utils.draw_bounding_boxes(image, boxes, labels=["a"], font_size=30)
    assert_same_picture(ours, theirs)


def test_draw_bounding_boxes_without_boxes_returns_the_image_like_torchvision():
    image = random_image(8, 8, seed=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torchvision warns that nothing was drawn
        theirs = torchvision.utils.draw_bounding_boxes(image, torch.zeros(0, 4))
    assert_same_picture(utils.draw_bounding_boxes(image, torch.zeros(0, 4)), theirs)


BAD_BOX_CALLS = [
    pytest.param(TypeError, (np.zeros((3, 4, 4), np.uint8), torch.zeros(1, 4)), {}, id="ndarray"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.int32), torch.zeros(1, 4)), {},
                 id="int32"),
    pytest.param(ValueError, (torch.zeros(1, 3, 4, 4, dtype=torch.uint8), torch.zeros(1, 4)), {},
                 id="batch"),
    pytest.param(ValueError, (torch.zeros(2, 4, 4, dtype=torch.uint8), torch.zeros(1, 4)), {},
                 id="two-channels"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.uint8),
                              torch.tensor([[2.0, 0, 1, 1]])), {}, id="x1>x2"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(2, 4)),
                 {"labels": ["a"]}, id="labels"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(2, 4)),
                 {"colors": ["red"]}, id="short-colour-list"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(1, 4)),
                 {"colors": "no-such-colour"}, id="colour-name"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(1, 4)),
                 {"colors": (1, 2)}, id="colour-pair"),
    pytest.param(ValueError, (torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(1, 4)),
                 {"colors": 7}, id="colour-int"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "args", "kwargs"), BAD_BOX_CALLS)
def test_draw_bounding_boxes_raises_what_torchvision_raises(error, args, kwargs):
    with pytest.raises(error):
        torchvision.utils.draw_bounding_boxes(*args, **kwargs)
    with pytest.raises(error):
        utils.draw_bounding_boxes(*args, **kwargs)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.8, 1.0])
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_draw_segmentation_masks_equals_torchvision(alpha, dtype):
    # Random masks overlap, where torchvision blends with black.
    image = random_image(20, 30, seed=2).to(dtype)
    if dtype.is_floating_point:
        image /= 255
    masks = torch.rand(5, 20, 30, generator=torch.Generator().manual_seed(3)) > 0.7
    ours = utils.draw_segmentation_masks(image, masks, alpha=alpha, colors=COLORS)
    theirs = torchvision.utils.draw_segmentation_masks(image, masks, alpha=alpha, colors=COLORS)
    assert_same_picture(ours, theirs)


@pytest.mark.parametrize("colors", [None, "red", (1, 2, 3), ["red", "#00ff00", (0, 0, 255)]])
def test_draw_segmentation_masks_colours_equal_torchvision(colors):
    image = random_image(10, 12, seed=11)
    masks = torch.rand(3, 10, 12, generator=torch.Generator().manual_seed(12)) > 0.5
    assert_same_picture(
        utils.draw_segmentation_masks(image, masks, colors=colors),
        torchvision.utils.draw_segmentation_masks(image, masks, colors=colors),
    )
    single = masks[0]
    assert_same_picture(
        utils.draw_segmentation_masks(image, single, colors=colors),
        torchvision.utils.draw_segmentation_masks(image, single, colors=colors),
    )


BAD_MASK_CALLS = [
    pytest.param(TypeError, np.zeros((3, 4, 4), np.uint8), torch.zeros(4, 4, dtype=torch.bool),
                 id="ndarray"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.int64),
                 torch.zeros(4, 4, dtype=torch.bool), id="int64"),
    pytest.param(ValueError, torch.zeros(1, 4, 4, dtype=torch.uint8),
                 torch.zeros(4, 4, dtype=torch.bool), id="grey"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.uint8),
                 torch.zeros(4, 4, dtype=torch.uint8), id="uint8-mask"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.uint8),
                 torch.zeros(1, 1, 4, 4, dtype=torch.bool), id="4d-mask"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.uint8),
                 torch.zeros(4, 5, dtype=torch.bool), id="size"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "image", "masks"), BAD_MASK_CALLS)
def test_draw_segmentation_masks_raises_what_torchvision_raises(error, image, masks):
    with pytest.raises(error):
        torchvision.utils.draw_segmentation_masks(image, masks)
    with pytest.raises(error):
        utils.draw_segmentation_masks(image, masks)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"colors": "orange"},
        {},
        {"colors": (0, 200, 100), "connectivity": [(0, 1), (2, 5), (3, -1)], "width": 2},
        {"colors": "#ff00ff", "connectivity": [(0, 1), (1, 2)], "radius": 0, "width": 1},
    ],
    ids=lambda kwargs: ",".join(kwargs) or "defaults",
)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_draw_keypoints_equals_torchvision(kwargs, dtype):
    keypoints = torch.rand(3, 6, 2, generator=torch.Generator().manual_seed(4)) * 30
    image = random_image(32, 32, seed=5).to(dtype)
    if dtype.is_floating_point:
        image /= 255
    assert_same_picture(
        utils.draw_keypoints(image, keypoints, **kwargs),
        torchvision.utils.draw_keypoints(image, keypoints, **kwargs),
    )


@pytest.mark.parametrize("shape", [(3, 6), (3, 6, 1)])
def test_draw_keypoints_with_visibility_equals_torchvision(shape):
    g = torch.Generator().manual_seed(6)
    keypoints = torch.rand(3, 6, 3, generator=g) * 30  # a third column is ignored by both
    visibility = torch.rand(shape, generator=g) > 0.4
    image = random_image(32, 32, seed=7)
    kwargs = {"colors": "red", "connectivity": [(0, 1), (1, 2), (2, 3), (4, 5)]}
    assert_same_picture(
        utils.draw_keypoints(image, keypoints, visibility=visibility, **kwargs),
        torchvision.utils.draw_keypoints(image, keypoints, visibility=visibility, **kwargs),
    )


BAD_KEYPOINT_CALLS = [
    pytest.param(TypeError, np.zeros((3, 4, 4), np.uint8), torch.zeros(1, 2, 2), {}, id="ndarray"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.int16), torch.zeros(1, 2, 2), {},
                 id="int16"),
    pytest.param(ValueError, torch.zeros(3, 4, dtype=torch.uint8), torch.zeros(1, 2, 2), {},
                 id="2d-image"),
    pytest.param(ValueError, torch.zeros(1, 4, 4, dtype=torch.uint8), torch.zeros(1, 2, 2), {},
                 id="grey"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(2, 2), {},
                 id="2d-keypoints"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(1, 2, 2),
                 {"visibility": torch.ones(2, dtype=torch.bool)}, id="visibility-ndim"),
    pytest.param(ValueError, torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(1, 2, 2),
                 {"visibility": torch.ones(1, 3, dtype=torch.bool)}, id="visibility-shape"),
    pytest.param(IndexError, torch.zeros(3, 4, 4, dtype=torch.uint8), torch.zeros(1, 2, 2),
                 {"connectivity": [(0, 2)]}, id="connectivity"),
]  # fmt: skip


@pytest.mark.parametrize(("error", "image", "keypoints", "kwargs"), BAD_KEYPOINT_CALLS)
def test_draw_keypoints_raises_what_torchvision_raises(error, image, keypoints, kwargs):
    with pytest.raises(error):
        torchvision.utils.draw_keypoints(image, keypoints, **kwargs)
    with pytest.raises(error):
        utils.draw_keypoints(image, keypoints, **kwargs)
