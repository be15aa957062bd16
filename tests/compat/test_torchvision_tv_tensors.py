"""vdata.tv_tensors against torchvision.tv_tensors: the same values, types and metadata from
the same constructors and operations."""

import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours

theirs = pytest.importorskip("torchvision.tv_tensors")

OPERATIONS = {
    "add": lambda t: t + 1,
    "index": lambda t: t[0],
    "clone": lambda t: t.clone(),
    "to": lambda t: t.to(torch.float64),
    "detach": lambda t: t.detach(),
    "flip": lambda t: t.flip(0),
    "unbind": lambda t: t.unbind(0),
    "chunk": lambda t: t.chunk(2),
    "cat": lambda t: torch.cat([t, t]),
    "float": lambda t: t.float(),
}


def _metadata(value):
    fields = {}
    for name in ("format", "canvas_size", "clamping_mode"):
        if hasattr(value, name):
            attribute = getattr(value, name)
            fields[name] = getattr(attribute, "name", attribute)  # enums by name
    return fields


def _pairs():
    data = torch.tensor([[0.0, 1.0, 5.0, 6.0], [2.0, 2.0, 3.0, 9.0]])
    yield (
        "boxes",
        (
            ours.BoundingBoxes(data, format="XYXY", canvas_size=(10, 12)),
            theirs.BoundingBoxes(data, format="XYXY", canvas_size=(10, 12)),
        ),
    )
    yield (
        "keypoints",
        (
            ours.KeyPoints(data.view(2, 2, 2), canvas_size=(10, 12)),
            theirs.KeyPoints(data.view(2, 2, 2), canvas_size=(10, 12)),
        ),
    )
    image = torch.arange(2 * 3 * 4, dtype=torch.uint8).view(2, 3, 4)
    yield "image", (ours.Image(image), theirs.Image(image))
    yield "mask", (ours.Mask(image), theirs.Mask(image))


@pytest.mark.parametrize("return_type", ["Tensor", "TVTensor"])
@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(("kind", "pair"), list(_pairs()), ids=[k for k, _ in _pairs()])
def test_operations_keep_or_drop_the_type_as_torchvisions(kind, pair, operation, return_type):
    mine, their = pair
    with ours.set_return_type(return_type), theirs.set_return_type(return_type):
        assert_same_typed(OPERATIONS[operation](mine), OPERATIONS[operation](their))


def test_constructors_agree_on_shapes_and_errors():
    assert_same_typed(
        ours.BoundingBoxes([1, 2, 3, 4], format="cxcywh", canvas_size=(5, 5)),
        theirs.BoundingBoxes([1, 2, 3, 4], format="cxcywh", canvas_size=(5, 5)),
    )
    assert_same_typed(ours.Image(torch.zeros(4, 5)), theirs.Image(torch.zeros(4, 5)))
    assert_same_typed(
        ours.KeyPoints([1.0, 2.0], canvas_size=(3, 3)),
        theirs.KeyPoints([1.0, 2.0], canvas_size=(3, 3)),
    )
    for build in (
        lambda tv: tv.BoundingBoxes(torch.zeros(1, 1, 4), format="XYXY", canvas_size=(1, 1)),
        lambda tv: tv.KeyPoints(torch.zeros(2, 3), canvas_size=(1, 1)),
        lambda tv: tv.Image(torch.zeros(3)),
        lambda tv: tv.BoundingBoxes(torch.zeros(1, 5).long(), format="XYWHR", canvas_size=(1, 1)),
    ):
        with pytest.raises(ValueError):
            build(theirs)
        with pytest.raises(ValueError):
            build(ours)


def test_wrap_agrees():
    data = torch.ones(3, 4)
    assert_same_typed(
        ours.wrap(
            data,
            like=ours.BoundingBoxes(data, format="XYWH", canvas_size=(4, 4)),
            canvas_size=(8, 8),
        ),
        theirs.wrap(
            data,
            like=theirs.BoundingBoxes(data, format="XYWH", canvas_size=(4, 4)),
            canvas_size=(8, 8),
        ),
    )
