"""FakeData: deterministic random samples."""

import pytest

from vdata.datasets import FakeData


def test_fakedata_is_deterministic_per_index_and_offset():
    ds = FakeData(size=5, image_size=(3, 4, 6), num_classes=3)
    image, label = ds[2]
    again, label_again = FakeData(size=5, image_size=(3, 4, 6), num_classes=3)[2]
    assert (image.mode, image.size) == ("RGB", (6, 4))
    assert image.tobytes() == again.tobytes() and label == label_again
    assert ds[-3][0].tobytes() == image.tobytes()
    assert ds[3][0].tobytes() != image.tobytes()
    assert FakeData(5, (3, 4, 6), 3, random_offset=1)[1][0].tobytes() == image.tobytes()
    assert all(0 <= ds[i][1] < 3 for i in range(5))


def test_fakedata_gray_images_transforms_and_bounds():
    ds = FakeData(size=2, image_size=(1, 3, 2), transform=lambda im: im.mode)
    assert ds[0][0] == "L"
    assert len(ds) == 2
    with pytest.raises(IndexError, match="index 2 out of range"):
        ds[2]
    with pytest.raises(ValueError, match="image_size must be"):
        FakeData(image_size=(5, 4, 4))


@pytest.mark.parametrize(("channels", "mode"), [(1, "L"), (2, "LA"), (3, "RGB"), (4, "RGBA")])
def test_fakedata_mode_follows_the_channel_count(channels, mode):
    assert FakeData(2, (channels, 3, 5))[1][0].mode == mode


def test_fakedata_positional_order_is_torchvisions():
    # size, image_size, num_classes, transform, target_transform, random_offset
    ds = FakeData(3, (3, 2, 2), 4, None, str, 7)
    assert ds.random_offset == 7 and isinstance(ds[0][1], str)
