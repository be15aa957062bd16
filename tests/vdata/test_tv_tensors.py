"""vdata.tv_tensors: what the types hold, and which operations keep them."""

import copy
import pickle

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from vdata import tv_tensors
from vdata.tv_tensors import BoundingBoxes, BoundingBoxFormat, Image, KeyPoints, Mask, Video


def boxes() -> BoundingBoxes:
    return BoundingBoxes([[0, 0, 10, 10], [1, 2, 3, 4]], format="xyxy", canvas_size=(20, 30))


def test_boxes_hold_their_metadata_and_normalise_their_shape():
    b = boxes()
    assert b.format is BoundingBoxFormat.XYXY and b.canvas_size == (20, 30)
    assert b.clamping_mode == "soft" and b.dtype == torch.int64 and b.shape == (2, 4)
    one = BoundingBoxes(torch.tensor([1.0, 2, 3, 4]), format="CXCYWH", canvas_size=(5, 5))
    assert one.shape == (1, 4) and one.format is BoundingBoxFormat.CXCYWH
    with pytest.raises(ValueError, match="Expected a 1D or 2D tensor, got 3D"):
        BoundingBoxes(torch.zeros(1, 2, 4), format="XYXY", canvas_size=(5, 5))
    with pytest.raises(ValueError, match="clamping_mode must be None, hard or soft"):
        BoundingBoxes(torch.zeros(1, 4), format="XYXY", canvas_size=(5, 5), clamping_mode="x")
    with pytest.raises(ValueError, match="Rotated bounding boxes should be floating point"):
        BoundingBoxes(torch.zeros(1, 5, dtype=torch.int64), format="XYWHR", canvas_size=(5, 5))
    with pytest.raises(KeyError):
        BoundingBoxes(torch.zeros(1, 4), format="YXYX", canvas_size=(5, 5))


def test_torch_operations_return_plain_tensors_but_for_a_few():
    b = boxes()
    for result in (b + 1, b[0], b.flip(0), torch.cat([b, b]), b.float().sum(0)):
        assert type(result) is torch.Tensor
    for result in (
        b.clone(),
        b.to(torch.float32),
        b.detach(),
        b.to(torch.float32).requires_grad_(),
    ):
        assert type(result) is BoundingBoxes
        assert (result.format, result.canvas_size) == (b.format, b.canvas_size)
    assert torch.equal(
        b.to(torch.float32).as_subclass(torch.Tensor), torch.tensor(b.tolist()).float()
    )


def test_set_return_type_keeps_the_types_in_its_block_and_restores_after():
    b = boxes()
    with tv_tensors.set_return_type("TVTensor"):
        doubled = b * 2
        parts = b.unbind(0)
    assert type(doubled) is BoundingBoxes and doubled.canvas_size == (20, 30)
    assert [type(p) for p in parts] == [BoundingBoxes, BoundingBoxes] and parts[1].shape == (4,)
    assert type(b * 2) is torch.Tensor
    tv_tensors.set_return_type("tvtensor")
    try:
        assert type(b - 1) is BoundingBoxes
    finally:
        tv_tensors.set_return_type("Tensor")
    assert type(b - 1) is torch.Tensor
    with pytest.raises(ValueError, match="return_type must be 'TVTensor' or 'Tensor', got x"):
        tv_tensors.set_return_type("x")


def test_wrap_copies_metadata_and_takes_overrides():
    b = boxes()
    wrapped = tv_tensors.wrap(torch.ones(3, 4), like=b, canvas_size=(7, 8))
    assert type(wrapped) is BoundingBoxes and wrapped.format is BoundingBoxFormat.XYXY
    assert wrapped.canvas_size == (7, 8) and wrapped.shape == (3, 4)
    points = KeyPoints([[1.0, 2.0]], canvas_size=(4, 4))
    assert tv_tensors.wrap(torch.zeros(2, 2), like=points).canvas_size == (4, 4)
    assert type(tv_tensors.wrap(torch.zeros(3, 2, 2), like=Image(torch.zeros(3, 2, 2)))) is Image


def test_keypoints_need_a_last_dimension_of_two():
    assert KeyPoints([3.0, 4.0], canvas_size=(9, 9)).shape == (1, 2)
    assert KeyPoints(torch.zeros(2, 5, 2, 2), canvas_size=(9, 9)).shape == (2, 5, 2, 2)
    with pytest.raises(ValueError, match=r"Expected a tensor of shape \(..., 2\)"):
        KeyPoints(torch.zeros(2, 3), canvas_size=(9, 9))


def test_images_masks_and_videos_from_tensors_and_pil():
    pil = PILImage.fromarray(np.arange(24, dtype=np.uint8).reshape(2, 4, 3))
    image = Image(pil)
    assert image.dtype == torch.uint8 and image.shape == (3, 2, 4)
    assert image[:, 1, 2].tolist() == [18, 19, 20]
    assert Image(torch.zeros(5, 6)).shape == (1, 5, 6)
    with pytest.raises(ValueError, match="Tensor must be 2D or higher, got 1D"):
        Image(torch.zeros(5))
    mask = Mask(PILImage.fromarray(np.eye(3, dtype=np.uint8) * 7))
    assert mask.shape == (1, 3, 3) and mask[0, 2, 2] == 7
    assert Video(torch.zeros(2, 3, 4, 4)).shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match="Video must be 4D or higher"):
        Video(torch.zeros(3, 4, 4))
    assert Image(torch.zeros(2, 2, 2), dtype=torch.float64).dtype == torch.float64


def test_typed_tensors_pickle_and_deepcopy_with_their_metadata():
    b = boxes()
    for copied in (pickle.loads(pickle.dumps(b)), copy.deepcopy(b)):
        assert type(copied) is BoundingBoxes and torch.equal(copied, b)
        assert (copied.format, copied.canvas_size, copied.clamping_mode) == (
            b.format,
            b.canvas_size,
            b.clamping_mode,
        )
    grad = Image(torch.zeros(1, 2, 2), requires_grad=True)
    assert copy.deepcopy(grad).requires_grad


def test_repr_names_the_metadata():
    text = repr(boxes())
    assert text.startswith("BoundingBoxes([[") and "format=BoundingBoxFormat.XYXY" in text
    assert "canvas_size=(20, 30)" in text and "clamping_mode=soft" in text


def test_is_rotated_bounding_format():
    assert tv_tensors.is_rotated_bounding_format("XYWHR")
    assert tv_tensors.is_rotated_bounding_format(BoundingBoxFormat.XYXYXYXY)
    assert not tv_tensors.is_rotated_bounding_format(BoundingBoxFormat.CXCYWH)
    with pytest.raises(ValueError, match="format should be str or BoundingBoxFormat"):
        tv_tensors.is_rotated_bounding_format(3)
