"""vdata.transforms.v2's colour transforms and functionals: behaviour against references
computed here, argument checks, pass-through of non-image inputs, and seeded reproducibility."""

import PIL.Image
import pytest
import torch

from vdata import tv_tensors
from vdata.transforms.v2 import _color as T
from vdata.transforms.v2 import _color_functional as CF

_GEN = torch.Generator().manual_seed(1)
UINT8 = torch.randint(0, 256, (3, 8, 10), dtype=torch.uint8, generator=_GEN)
FLOAT = torch.rand(3, 8, 10, generator=_GEN)

ALL_TRANSFORMS = [
    T.ColorJitter(0.4, 0.4, 0.4, 0.2),
    T.RandomPhotometricDistort(p=1.0),
    T.Grayscale(3),
    T.RandomGrayscale(p=1.0),
    T.RandomChannelPermutation(),
    T.RandomEqualize(p=1.0),
    T.RandomPosterize(3, p=1.0),
    T.RandomSolarize(0.5, p=1.0),
    T.RandomAutocontrast(p=1.0),
    T.RandomInvert(p=1.0),
    T.RandomAdjustSharpness(2.0, p=1.0),
    T.GaussianBlur(3),
    T.GaussianNoise(),
    T.Normalize([0.5] * 3, [0.2] * 3),
]


def test_brightness_doubles_and_clips_float():
    out = CF.adjust_brightness(FLOAT, 2.0)
    torch.testing.assert_close(out, (FLOAT * 2).clamp(max=1.0))


def test_brightness_truncates_uint8():
    out = CF.adjust_brightness(UINT8, 0.5)
    assert torch.equal(out, (UINT8.float() * 0.5).to(torch.uint8))


def test_grayscale_weights():
    image = torch.zeros(3, 1, 3)
    image[0, 0, 0], image[1, 0, 1], image[2, 0, 2] = 1.0, 1.0, 1.0
    out = CF.rgb_to_grayscale(image)
    torch.testing.assert_close(out, torch.tensor([[[0.2989, 0.587, 0.114]]]))
    three = CF.rgb_to_grayscale(image, num_output_channels=3)
    assert three.shape == (3, 1, 3) and torch.equal(three[0], three[2])


def test_grayscale_to_rgb_repeats_one_channel():
    grey = UINT8[:1]
    assert torch.equal(CF.grayscale_to_rgb(grey), grey.repeat(3, 1, 1))
    assert CF.grayscale_to_rgb(UINT8) is UINT8


def test_posterize_keeps_top_bits():
    assert torch.equal(CF.posterize(UINT8, 3), UINT8 // 32 * 32)
    assert torch.equal(CF.posterize(UINT8, 0), torch.zeros_like(UINT8))
    torch.testing.assert_close(CF.posterize(FLOAT, 2), (FLOAT * 4).floor().clamp(max=3) / 4)


def test_point_ops():
    assert torch.equal(CF.invert(UINT8), 255 - UINT8)
    assert torch.equal(CF.solarize(UINT8, 128), torch.where(UINT8 >= 128, 255 - UINT8, UINT8))
    out = CF.autocontrast(FLOAT)
    assert torch.allclose(out.amin((-2, -1)), torch.zeros(3), atol=1e-6)
    assert torch.allclose(out.amax((-2, -1)), torch.ones(3), atol=1e-6)


def test_permute_channels_and_hue_turn():
    assert torch.equal(CF.permute_channels(UINT8, [2, 0, 1]), UINT8[[2, 0, 1]])
    red = torch.zeros(3, 2, 2)
    red[0] = 1.0
    green = CF.adjust_hue(red, 1 / 3)
    torch.testing.assert_close(green, red[[2, 0, 1]], atol=1e-6, rtol=0)


def test_contrast_and_saturation_zero_give_grey():
    flat = CF.adjust_contrast(FLOAT, 0.0)
    grey_mean = (0.2989 * FLOAT[0] + 0.587 * FLOAT[1] + 0.114 * FLOAT[2]).mean()
    torch.testing.assert_close(flat, grey_mean.expand_as(FLOAT))
    grey = CF.adjust_saturation(FLOAT, 0.0)
    torch.testing.assert_close(grey, CF.rgb_to_grayscale(FLOAT).expand_as(FLOAT))


def test_blur_of_constant_and_sharpness_identity():
    constant = torch.full((3, 9, 9), 0.25)
    torch.testing.assert_close(CF.gaussian_blur(constant, 5, 2.0), constant)
    torch.testing.assert_close(CF.adjust_sharpness(FLOAT, 1.0), FLOAT)


def test_equalize_spreads_values():
    # PIL's rule: step = (900 - 300) // 255 = 2, value v -> (pixels below v + 1) // 2.
    image = torch.tensor([10, 20, 30], dtype=torch.uint8).repeat_interleave(300).view(1, 30, 30)
    out = CF.equalize(image)
    assert out.unique().tolist() == [0, 150, 255]
    assert torch.equal(out.view(3, 300)[:, 0], torch.tensor([0, 150, 255], dtype=torch.uint8))


def test_normalize_and_noise():
    out = CF.normalize(FLOAT, [0.5] * 3, [0.25] * 3)
    torch.testing.assert_close(out, (FLOAT - 0.5) / 0.25)
    assert CF.gaussian_noise(FLOAT, sigma=0.0).equal(FLOAT)
    assert CF.gaussian_noise(UINT8, mean=1.0, sigma=0.0).eq(255).all()


def test_typed_images_stay_typed():
    out = CF.adjust_gamma(tv_tensors.Image(FLOAT), 2.0)
    assert type(out) is tv_tensors.Image
    torch.testing.assert_close(out.as_subclass(torch.Tensor), FLOAT**2)
    video = tv_tensors.Video(torch.stack([UINT8, UINT8]))
    assert type(CF.invert(video)) is tv_tensors.Video


def test_pil_images():
    pil = PIL.Image.fromarray(UINT8.permute(1, 2, 0).numpy())
    assert CF.rgb_to_grayscale(pil).mode == "L"
    assert CF.permute_channels(pil, [2, 1, 0]).getpixel((0, 0)) == pil.getpixel((0, 0))[::-1]
    with pytest.raises(ValueError, match="PIL"):
        CF.gaussian_noise(pil)
    with pytest.raises(TypeError):
        CF.normalize(pil, [0.5], [0.5])


@pytest.mark.parametrize("transform", ALL_TRANSFORMS, ids=lambda t: type(t).__name__)
def test_boxes_masks_points_pass_through(transform):
    boxes = tv_tensors.BoundingBoxes(
        torch.tensor([[1.0, 1.0, 5.0, 6.0]]), format="XYXY", canvas_size=(8, 10)
    )
    mask = tv_tensors.Mask(torch.ones(1, 8, 10, dtype=torch.uint8))
    points = tv_tensors.KeyPoints(torch.tensor([[2.0, 3.0]]), canvas_size=(8, 10))
    torch.manual_seed(0)
    out = transform({"image": tv_tensors.Image(FLOAT), "b": boxes, "m": mask, "k": points})
    for key, original in (("b", boxes), ("m", mask), ("k", points)):
        assert out[key] is original
    assert type(out["image"]) is tv_tensors.Image


@pytest.mark.parametrize("functional", [CF.adjust_brightness, CF.invert, CF.gaussian_blur])
def test_functionals_refuse_masks(functional):
    args = {CF.adjust_brightness: (1.0,), CF.gaussian_blur: (3,)}.get(functional, ())
    with pytest.raises(TypeError, match="supports inputs of type"):
        functional(tv_tensors.Mask(torch.ones(1, 4, 4)), *args)


@pytest.mark.parametrize("transform", ALL_TRANSFORMS[:-2], ids=lambda t: type(t).__name__)
def test_seeded_calls_repeat(transform):
    torch.manual_seed(3)
    first = transform(UINT8)
    torch.manual_seed(3)
    assert torch.equal(transform(UINT8), first)


def test_random_draws_vary():
    jitter = T.ColorJitter(brightness=0.5)
    outs = {tuple(jitter(FLOAT).flatten()[:3].tolist()) for _ in range(5)}
    assert len(outs) > 1


def test_probability_zero_is_identity():
    for transform in (T.RandomInvert(p=0.0), T.RandomGrayscale(p=0.0)):
        assert transform(UINT8) is UINT8


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: CF.adjust_brightness(FLOAT, -1), ValueError),
        (lambda: CF.adjust_contrast(torch.rand(4, 3, 3), 1.0), TypeError),
        (lambda: CF.adjust_hue(FLOAT, 0.6), ValueError),
        (lambda: CF.adjust_gamma(FLOAT, -0.5), ValueError),
        (lambda: CF.posterize(UINT8, 9), TypeError),
        (lambda: CF.solarize(FLOAT, 2.0), TypeError),
        (lambda: CF.rgb_to_grayscale(FLOAT, 2), ValueError),
        (lambda: CF.permute_channels(FLOAT, [0, 1]), ValueError),
        (lambda: CF.gaussian_blur(FLOAT, 4), ValueError),
        (lambda: CF.gaussian_blur(FLOAT, 3, -1.0), ValueError),
        (lambda: CF.gaussian_noise(UINT8.int()), ValueError),
        (lambda: CF.gaussian_noise(FLOAT, sigma=-1), ValueError),
        (lambda: CF.normalize(UINT8, [0.5], [0.5]), TypeError),
        (lambda: CF.normalize(FLOAT, [0.5], [0.0]), ValueError),
        (lambda: T.ColorJitter(brightness=-1), ValueError),
        (lambda: T.ColorJitter(hue=0.7), ValueError),
        (lambda: T.ColorJitter(contrast=[1, 2, 3]), TypeError),
        (lambda: T.RandomInvert(p=1.5), ValueError),
        (lambda: T.GaussianBlur(4), ValueError),
        (lambda: T.GaussianBlur(3, sigma=(2.0, 1.0)), ValueError),
        (lambda: T.GaussianBlur(3, sigma=None), TypeError),
        (lambda: T.Normalize([0.5], [0.5])(PIL.Image.new("RGB", (4, 4))), TypeError),
        (lambda: T.RandomChannelPermutation()({"m": tv_tensors.Mask(FLOAT)}), TypeError),
    ],
)
def test_argument_errors(call, error):
    with pytest.raises(error):
        call()


def test_color_jitter_ranges():
    jitter = T.ColorJitter(brightness=2.0, contrast=(0.5, 1.5), saturation=0, hue=0.1)
    assert jitter.brightness == (0.0, 3.0)
    assert jitter.contrast == (0.5, 1.5)
    assert jitter.saturation is None
    assert jitter.hue == (-0.1, 0.1)
