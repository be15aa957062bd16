"""vdata.utils pictures against torchvision.utils, whose numerics they follow."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from vdata import utils

torchvision = pytest.importorskip("torchvision")

COLORS = ["red", (0, 128, 255), "#30c050", (250, 250, 0), "purple"]


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((7, 3, 5, 6), {}),
        ((7, 3, 5, 6), {"nrow": 3, "padding": 1, "pad_value": 0.25}),
        ((5, 1, 4, 4), {"nrow": 2, "normalize": True}),
        ((5, 3, 4, 4), {"nrow": 4, "normalize": True, "scale_each": True}),
        ((4, 3, 4, 4), {"normalize": True, "value_range": (-0.5, 0.5), "padding": 0}),
        ((1, 3, 4, 4), {"normalize": True}),
        ((3, 4, 4), {"padding": 5}),
        ((2, 9, 2, 3), {"nrow": 1}),
    ],
)
def test_make_grid_equals_torchvision(shape, kwargs):
    images = torch.randn(shape, generator=torch.Generator().manual_seed(len(kwargs)))
    torch.testing.assert_close(
        utils.make_grid(images, **kwargs), torchvision.utils.make_grid(images, **kwargs)
    )


def test_save_image_writes_the_pixels_torchvision_writes():
    images = torch.rand(5, 3, 6, 7, generator=torch.Generator().manual_seed(0))
    ours, theirs = io.BytesIO(), io.BytesIO()
    utils.save_image(images, ours, format="PNG", nrow=2)
    torchvision.utils.save_image(images, theirs, format="PNG", nrow=2)
    with Image.open(ours) as a, Image.open(theirs) as b:
        np.testing.assert_array_equal(np.array(a), np.array(b))


def random_image(height: int, width: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (3, height, width), dtype=torch.uint8, generator=g)


@pytest.mark.parametrize("fill", [False, True])
@pytest.mark.parametrize("width", [1, 3])
def test_draw_bounding_boxes_equals_torchvision(width, fill):
    g = torch.Generator().manual_seed(width)
    corner = torch.rand(5, 2, generator=g) * 40
    boxes = torch.cat([corner, corner + torch.rand(5, 2, generator=g) * 25], dim=1)
    image = random_image(64, 72, seed=1)
    ours = utils.draw_bounding_boxes(image, boxes, colors=COLORS, width=width, fill=fill)
    theirs = torchvision.utils.draw_bounding_boxes(
        image, boxes, colors=COLORS, width=width, fill=fill
    )
    assert ours.equal(theirs)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.8, 1.0])
def test_draw_segmentation_masks_equals_torchvision_without_overlap(alpha):
    # The masks partition the pixels, so torchvision's black overlaps never arise.
    image = random_image(20, 30, seed=2)
    owner = torch.randint(0, 6, (20, 30), generator=torch.Generator().manual_seed(3))
    masks = torch.stack([owner == k for k in range(5)])
    ours = utils.draw_segmentation_masks(image, masks, alpha=alpha, colors=COLORS)
    theirs = torchvision.utils.draw_segmentation_masks(image, masks, alpha=alpha, colors=COLORS)
    assert ours.equal(theirs)


def test_draw_keypoints_points_equal_torchvision():
    g = torch.Generator().manual_seed(4)
    keypoints = torch.rand(3, 6, 2, generator=g) * 30
    image = random_image(32, 32, seed=5)
    ours = utils.draw_keypoints(image, keypoints, colors="orange", radius=2)
    theirs = torchvision.utils.draw_keypoints(image, keypoints, colors="orange", radius=2)
    assert ours.equal(theirs)
