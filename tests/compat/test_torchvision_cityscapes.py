"""vdata's Cityscapes against torchvision's on the same tiny tree."""

import pytest
from cityscapes_files import write_city

from vdata.datasets.cityscapes import Cityscapes

torchvision = pytest.importorskip("torchvision")


@pytest.mark.parametrize("target_type", ["semantic", ["instance", "color", "polygon"]])
def test_cityscapes_equals_torchvision_but_for_the_image_order(tmp_path, target_type):
    write_city(tmp_path)
    ours = Cityscapes(tmp_path, target_type=target_type)
    theirs = torchvision.datasets.Cityscapes(tmp_path, target_type=target_type)
    assert sorted(theirs.images) == ours.images  # torchvision keeps the file system's order
    assert [c.name for c in ours.classes] == [c.name for c in theirs.classes]
    assert [tuple(c) for c in ours.classes] == [tuple(c) for c in theirs.classes]
    for i, path in enumerate(theirs.images):
        image, target = ours[ours.images.index(path)]
        their_image, their_target = theirs[i]
        targets = target if isinstance(target, tuple) else (target,)
        their_targets = their_target if isinstance(their_target, tuple) else (their_target,)
        for ours_item, theirs_item in zip(
            (image, *targets), (their_image, *their_targets), strict=True
        ):
            if isinstance(theirs_item, dict):
                assert ours_item == theirs_item
            else:
                with theirs_item:
                    assert (ours_item.mode, ours_item.size, ours_item.tobytes()) == (
                        theirs_item.mode,
                        theirs_item.size,
                        theirs_item.tobytes(),
                    )
    assert repr(ours).splitlines()[1:] == repr(theirs).splitlines()[1:]
