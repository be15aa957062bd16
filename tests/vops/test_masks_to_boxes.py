"""masks_to_boxes against a per-mask Python loop and hand-drawn masks."""

import pytest
import torch
from torch import Tensor

import vops


def reference_boxes(masks: Tensor) -> Tensor:
    """Per mask: the extreme column and row indices of its nonzero pixels, or zeros."""
    rows = []
    for mask in masks.tolist():
        ys = [y for y, row in enumerate(mask) if any(v != 0 for v in row)]
        xs = [x for x in range(len(mask[0])) if any(row[x] != 0 for row in mask)]
        rows.append([min(xs), min(ys), max(xs), max(ys)] if ys else [0, 0, 0, 0])
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), 4)


def random_masks(n: int, h: int, w: int, seed: int, density: float = 0.05) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, h, w, generator=g) < density


def test_box_of_hand_drawn_masks():
    masks = torch.zeros(3, 5, 7, dtype=torch.bool)
    masks[0, 1:4, 2:6] = True  # a block: columns 2-5, rows 1-3
    masks[1, 4, 0] = True  # one pixel, bottom left
    masks[1, 0, 6] = True  # and one top right: the box spans the mask
    # masks[2] is empty
    expected = torch.tensor([[2.0, 1, 5, 3], [0, 0, 6, 4], [0, 0, 0, 0]])
    assert torch.equal(vops.masks_to_boxes(masks), expected)


def test_single_pixel_gives_a_box_of_zero_size_at_that_pixel():
    masks = torch.zeros(1, 4, 4)
    masks[0, 2, 3] = 1.0
    assert vops.masks_to_boxes(masks).tolist() == [[3.0, 2.0, 3.0, 2.0]]


@pytest.mark.parametrize("dtype", [torch.bool, torch.uint8, torch.int64, torch.float32])
@pytest.mark.parametrize(("n", "h", "w"), [(1, 1, 1), (6, 9, 13), (4, 30, 2)])
def test_masks_to_boxes_matches_per_mask_loop(n, h, w, dtype):
    masks = random_masks(n, h, w, seed=n + h + w).to(dtype)
    result = vops.masks_to_boxes(masks)
    assert result.dtype == torch.float32 and result.shape == (n, 4)
    assert torch.equal(result, reference_boxes(masks))


def test_any_nonzero_value_belongs_to_the_mask():
    masks = torch.zeros(3, 4, 6)
    masks[0, 1, 1] = -2.0
    masks[1, 2, 4] = float("nan")
    masks[2, 3, 0] = 1e-30
    masks[2, 0, 5] = -0.0  # zero, not in the mask
    expected = torch.tensor([[1.0, 1, 1, 1], [4, 2, 4, 2], [0, 3, 0, 3]])
    assert torch.equal(vops.masks_to_boxes(masks), expected)


@pytest.mark.parametrize("shape", [(0, 5, 5), (0, 0, 0)])
def test_no_masks_give_float32_tensor_0_by_4(shape):
    result = vops.masks_to_boxes(torch.zeros(shape, dtype=torch.bool))
    assert result.shape == (0, 4) and result.dtype == torch.float32


@pytest.mark.parametrize("shape", [(3, 0, 5), (2, 4, 0)])
def test_masks_without_pixels_are_empty_masks(shape):
    assert torch.equal(vops.masks_to_boxes(torch.zeros(shape)), torch.zeros(shape[0], 4))


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_masks_to_boxes_scripts_and_gives_the_eager_result():
    scripted = torch.jit.script(vops.masks_to_boxes)
    masks = random_masks(5, 8, 9, seed=1)
    for m in (masks, masks.float(), torch.zeros(0, 3, 3)):
        assert torch.equal(scripted(m), vops.masks_to_boxes(m))


@pytest.mark.parametrize("shape", [(4, 4), (1, 1, 4, 4), ()])
def test_masks_other_than_n_h_w_raise_value_error(shape):
    with pytest.raises(ValueError, match=r"masks must be a Tensor\[N, H, W\], got Tensor\["):
        vops.masks_to_boxes(torch.ones(shape))
