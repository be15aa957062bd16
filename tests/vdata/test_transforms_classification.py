"""The classification transform classes: what they do, the parameters they draw, seeding, and
their errors and reprs."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

import vdata.transforms as T
import vdata.transforms.functional as F


def noise_image(height: int = 12, width: int = 16, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def as_tensor(img) -> torch.Tensor:
    return F.pil_to_tensor(img) if isinstance(img, Image.Image) else img


def contains_window(image: torch.Tensor, window: torch.Tensor) -> bool:
    """Whether ``window`` appears at some position in ``image`` (both ``[C, H, W]``)."""
    height, width = window.shape[-2:]
    for top in range(image.size(-2) - height + 1):
        for left in range(image.size(-1) - width + 1):
            if image[:, top : top + height, left : left + width].equal(window):
                return True
    return False


RANDOM_TRANSFORMS = {
    "crop": T.RandomCrop(7, padding=2),
    "resized_crop": T.RandomResizedCrop(8),
    "hflip": T.RandomHorizontalFlip(),
    "vflip": T.RandomVerticalFlip(),
    "jitter": T.ColorJitter(0.5, 0.5, 0.5, 0.2),
    "grayscale": T.RandomGrayscale(0.5),
    "rotation": T.RandomRotation(40, "bilinear"),
    "affine": T.RandomAffine(20, (0.2, 0.1), (0.8, 1.2), (-10, 10, -5, 5)),
}


@pytest.mark.parametrize("transform", RANDOM_TRANSFORMS.values(), ids=RANDOM_TRANSFORMS.keys())
@pytest.mark.parametrize("kind", ["pil", "tensor"])
def test_random_transforms_repeat_under_the_same_seed_and_vary_across_seeds(transform, kind):
    image = noise_image()
    image = F.pil_to_tensor(image) if kind == "tensor" else image

    def run(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return torch.stack([as_tensor(transform(image)) for _ in range(4)])

    first = run(0)
    assert first.equal(run(0))
    assert any(not first.equal(run(seed)) for seed in (1, 2, 3))


@pytest.mark.parametrize("transform", RANDOM_TRANSFORMS.values(), ids=RANDOM_TRANSFORMS.keys())
def test_random_transforms_agree_on_pil_and_tensor_parameters(transform):
    """The same seed draws the same parameters whatever the image type: compare shapes."""
    image = noise_image()
    torch.manual_seed(5)
    from_pil = as_tensor(transform(image))
    torch.manual_seed(5)
    from_tensor = transform(F.pil_to_tensor(image))
    assert from_pil.shape == from_tensor.shape


def test_compose_applies_in_order_and_reprs_one_per_line():
    pipeline = T.Compose([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 10)])
    assert pipeline(1) == 20
    text = repr(T.Compose([T.CenterCrop(4), T.ToTensor()]))
    assert text == "Compose(\n    CenterCrop(size=(4, 4)),\n    ToTensor(),\n)"


def test_reprs_show_normalised_arguments():
    assert repr(T.RandomHorizontalFlip(0.3)) == "RandomHorizontalFlip(p=0.3)"
    assert repr(T.ColorJitter(brightness=0.2, hue=0.1)) == (
        "ColorJitter(brightness=(0.8, 1.2), contrast=None, saturation=None, hue=(-0.1, 0.1))"
    )
    assert "scale=(0.08, 1.0)" in repr(T.RandomResizedCrop(224))


def test_image_to_normalised_tensor_pipeline_by_hand():
    image = Image.new("RGB", (2, 1), (255, 0, 51))
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.25, 0.1))])
    result = pipeline(image)
    torch.testing.assert_close(result[:, 0, 0], torch.tensor([1.0, -2.0, -3.0]))
    as_bytes = T.Compose([T.PILToTensor(), T.ConvertImageDtype(torch.float64)])(image)
    assert as_bytes.dtype == torch.float64 and as_bytes[0, 0, 0].item() == 1.0


def test_resize_center_crop_pad_and_grayscale():
    image = noise_image(12, 16)
    assert T.Resize(6)(image).size == (8, 6)
    assert T.Resize((5, 7), interpolation="nearest")(image).size == (7, 5)
    assert T.CenterCrop((4, 6))(image).size == (6, 4)
    assert T.Pad((1, 2))(image).size == (18, 16)
    gray = T.Grayscale(3)(F.pil_to_tensor(image))
    assert gray.shape == (3, 12, 16) and gray[0].equal(gray[2])


def test_random_crop_is_a_window_of_the_padded_image():
    image = F.pil_to_tensor(noise_image(6, 8))
    torch.manual_seed(0)
    for _ in range(5):
        crop = T.RandomCrop((5, 5), padding=2, padding_mode="reflect")(image)
        assert crop.shape == (3, 5, 5)
        assert contains_window(F.pad(image, 2, padding_mode="reflect"), crop)


def test_random_crop_pads_if_needed_by_the_shortfall_on_each_side():
    image = torch.ones(1, 3, 4, dtype=torch.uint8)
    torch.manual_seed(0)
    crops = [T.RandomCrop((5, 4), pad_if_needed=True, fill=9)(image) for _ in range(10)]
    # 2 rows of 9 above and below the 3 image rows: every 5-row window holds all of the image
    assert all(c.shape == (1, 5, 4) and c.eq(1).sum() == 12 and c.eq(9).sum() == 8 for c in crops)
    assert len({tuple(c[0, :, 0].tolist()) for c in crops}) == 3  # three windows, all drawn
    with pytest.raises(ValueError, match="larger than the image"):
        T.RandomCrop(5)(image)


def test_random_resized_crop_parameters_respect_scale_and_ratio():
    image = torch.zeros(1, 60, 80)
    torch.manual_seed(0)
    for _ in range(50):
        top, left, height, width = T.RandomResizedCrop.get_params(image, (0.2, 0.6), (0.5, 2.0))
        assert 0 <= top <= 60 - height and 0 <= left <= 80 - width
        # the rounded crop stays near the drawn area and ratio
        assert 0.2 * 4800 * 0.85 <= height * width <= 0.6 * 4800 * 1.15
        assert 0.5 * 0.8 <= width / height <= 2.0 * 1.25


@pytest.mark.parametrize(
    ("image_hw", "expected"),
    [
        ((10, 40), (0, 13, 10, 13)),  # too wide: height kept, width = round(10 * 4/3)
        ((40, 10), (13, 0, 13, 10)),  # too tall: width kept, height = round(10 / (3/4))
        ((30, 30), (0, 0, 30, 30)),  # ratio allowed: the whole image
    ],
)
def test_random_resized_crop_falls_back_to_a_central_crop(image_hw, expected):
    # An area of 2-3 times the image never fits, so all 10 attempts fail.
    image = torch.zeros(1, *image_hw)
    params = T.RandomResizedCrop.get_params(image, (2.0, 3.0), (3 / 4, 4 / 3))
    assert params == expected


def test_random_resized_crop_output_size():
    assert T.RandomResizedCrop((5, 9))(noise_image()).size == (9, 5)


@pytest.mark.parametrize("cls", [T.RandomHorizontalFlip, T.RandomVerticalFlip])
def test_flips_always_or_never(cls):
    image = F.pil_to_tensor(noise_image())
    flip = F.hflip if cls is T.RandomHorizontalFlip else F.vflip
    assert cls(p=1.0)(image).equal(flip(image))
    assert cls(p=0.0)(image) is image


def test_flip_probability_is_honoured():
    torch.manual_seed(0)
    image = torch.arange(2.0).reshape(1, 1, 2)
    flips = sum(T.RandomHorizontalFlip(0.25)(image)[0, 0, 0].item() == 1.0 for _ in range(2000))
    assert abs(flips / 2000 - 0.25) < 0.04


def test_color_jitter_draws_factors_in_range_and_a_random_order():
    jitter = T.ColorJitter(brightness=(0.5, 0.6), contrast=0, saturation=0.2, hue=(-0.1, 0.05))
    assert jitter.contrast is None
    torch.manual_seed(0)
    orders = set()
    for _ in range(30):
        order, b, c, s, h = jitter.get_params(
            jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue
        )
        order = order.tolist()
        orders.add(tuple(order))
        assert sorted(order) == [0, 1, 2, 3] and c is None
        assert 0.5 <= b <= 0.6 and 0.8 <= s <= 1.2 and -0.1 <= h <= 0.05
    assert len(orders) > 5


def test_color_jitter_with_brightness_only_scales_by_a_drawn_factor():
    image = torch.full((3, 2, 2), 0.5)
    torch.manual_seed(0)
    result = T.ColorJitter(brightness=(0.2, 0.4))(image)
    factor = result[0, 0, 0].item() / 0.5
    assert 0.2 <= factor <= 0.4
    torch.testing.assert_close(result, image * factor)


def test_random_grayscale_keeps_channels():
    image = F.pil_to_tensor(noise_image())
    result = T.RandomGrayscale(p=1.0)(image)
    assert result.shape == image.shape and result[0].equal(result[1])
    assert T.RandomGrayscale(p=0.0)(image) is image


def test_random_rotation_with_a_fixed_angle_equals_rotate():
    image = F.pil_to_tensor(noise_image())
    assert T.RandomRotation((90, 90), expand=True)(image).equal(F.rotate(image, 90, expand=True))


def test_random_affine_parameters_respect_their_ranges():
    torch.manual_seed(0)
    transform = T.RandomAffine(10, translate=(0.1, 0.5), scale=(0.9, 1.1), shear=(1, 2, 3, 4))
    for _ in range(30):
        angle, (tx, ty), scale, (sx, sy) = transform.get_params(
            transform.degrees, transform.translate, transform.scale, transform.shear, (20, 10)
        )
        assert -10 <= angle <= 10 and abs(tx) <= 2 and abs(ty) <= 5
        assert 0.9 <= scale <= 1.1 and 1 <= sx <= 2 and 3 <= sy <= 4
        assert isinstance(tx, int) and isinstance(ty, int)
    assert T.RandomAffine(0, shear=5).shear == [-5.0, 5.0]


def test_random_affine_of_nothing_is_the_identity():
    image = F.pil_to_tensor(noise_image())
    assert T.RandomAffine(0)(image).equal(image)


def test_five_and_ten_crop_return_tuples_of_crops():
    image = noise_image(8, 10)
    five = T.FiveCrop(4)(image)
    assert len(five) == 5 and all(c.size == (4, 4) for c in five)
    ten = T.TenCrop((3, 5), vertical_flip=True)(F.pil_to_tensor(image))
    assert len(ten) == 10 and ten[5].equal(F.vflip(F.pil_to_tensor(image))[:, :3, :5])


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: T.RandomHorizontalFlip(1.5), ValueError, r"probability in \[0, 1\]"),
        (lambda: T.RandomResizedCrop(8, ratio=(0.0, 1.0)), ValueError, "ratio must be"),
        (lambda: T.RandomRotation(-5), ValueError, "degrees must be non-negative"),
        (lambda: T.RandomRotation((10, 5)), ValueError, "min <= max"),
        (lambda: T.ColorJitter(hue=0.7), ValueError, r"hue must be a range .* \(-0.5, 0.5\)"),
        (lambda: T.ColorJitter(brightness=(-1, 1)), ValueError, r"inside \(0.0, inf\)"),
        (lambda: T.Grayscale(2), ValueError, "1 or 3"),
        (lambda: T.RandomAffine(0, translate=(0.5, 1.5)), ValueError, "fractions in"),
        (lambda: T.RandomAffine(0, scale=(0, 1)), ValueError, "scale must be"),
        (lambda: T.CenterCrop((2, 3, 4)), ValueError, "size must be"),
        (lambda: T.Resize(-3), ValueError, "size must be"),
        (lambda: T.Normalize((0.5, 0.5), (1.0,)), ValueError, "one value per channel"),
        (lambda: T.Lambda(3), TypeError, "lambd must be callable"),
    ],
)
def test_constructor_errors(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_random_resized_crop_area_is_uniform_in_scale():
    """Crops accepted on the first draw have area uniform in ``scale`` (a sanity check of the
    draw, not of any implementation detail): the mean area fraction is near the midpoint."""
    image = torch.zeros(1, 200, 200)
    torch.manual_seed(1)
    fractions = []
    for _ in range(400):
        _, _, height, width = T.RandomResizedCrop.get_params(image, (0.1, 0.5), (1.0, 1.0))
        fractions.append(height * width / 40000)
    assert math.isclose(sum(fractions) / len(fractions), 0.3, abs_tol=0.02)
