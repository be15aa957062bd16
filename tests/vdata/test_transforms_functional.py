"""vdata.transforms.functional against hand-computed cases, numpy, colorsys and PIL itself, on
PIL images, single tensors and batches."""

import colorsys

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor

import vdata.transforms.functional as F


def noise_image(height: int, width: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def smooth_image(height: int, width: int) -> Image.Image:
    """Gentle gradients: resamplers may disagree on where a sample falls, barely on its value."""
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([xs * 200 / width, ys * 200 / height, (xs + ys) * 100 / (width + height)])
    return Image.fromarray((pixels.transpose(1, 2, 0) + 20).astype(np.uint8))


def as_uint8(img: Image.Image | Tensor) -> Tensor:
    return F.pil_to_tensor(img) if isinstance(img, Image.Image) else img


def mean_abs_difference(a, b) -> float:
    return (as_uint8(a).double() - as_uint8(b).double()).abs().mean().item()


# 2 x 3 RGB image whose pixel (y, x) is (10 y + x, 100 + 10 y + x, 200 + 10 y + x).
HAND = torch.tensor([[0, 1, 2], [10, 11, 12]], dtype=torch.uint8) + torch.tensor(
    [0, 100, 200], dtype=torch.uint8
).reshape(3, 1, 1)


# --- conversion --------------------------------------------------------------------------------


def test_to_tensor_scales_bytes_to_unit_interval_channels_first():
    image = F.to_pil_image(HAND)
    result = F.to_tensor(image)
    assert result.dtype == torch.float32 and result.shape == (3, 2, 3)
    torch.testing.assert_close(result, HAND.float() / 255)


def test_to_tensor_takes_numpy_arrays_and_keeps_non_byte_dtypes():
    assert F.to_tensor(np.zeros((2, 3), dtype=np.uint8)).shape == (1, 2, 3)
    floats = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    assert F.to_tensor(floats).equal(torch.arange(6.0).reshape(1, 2, 3))
    ints = Image.fromarray(np.array([[70000, -5]], dtype=np.int32))
    assert F.to_tensor(ints).tolist() == [[[70000, -5]]]


def test_to_tensor_of_a_binary_image_is_zero_or_one():
    image = Image.fromarray(np.array([[True, False]]))
    assert image.mode == "1"
    assert F.to_tensor(image).tolist() == [[[1.0, 0.0]]]


def test_pil_to_tensor_keeps_values_and_dtype():
    result = F.pil_to_tensor(F.to_pil_image(HAND))
    assert result.dtype == torch.uint8 and result.equal(HAND) and result.is_contiguous()
    palette = Image.fromarray(np.array([[0, 3], [255, 7]], dtype=np.uint8)).convert("P")
    assert F.pil_to_tensor(palette).tolist() == [[[0, 3], [255, 7]]]


@pytest.mark.parametrize(
    ("channels", "dtype", "mode"),
    [
        (1, torch.uint8, "L"),
        (2, torch.uint8, "LA"),
        (3, torch.uint8, "RGB"),
        (4, torch.uint8, "RGBA"),
        (1, torch.int32, "I"),
    ],
)
def test_to_pil_image_infers_the_mode_and_round_trips(channels, dtype, mode):
    tensor = torch.arange(channels * 6, dtype=dtype).reshape(channels, 2, 3) * 7
    image = F.to_pil_image(tensor)
    assert image.mode == mode and image.size == (3, 2)
    assert F.pil_to_tensor(image).equal(tensor)


def test_to_pil_image_of_floats_round_trips_every_byte_and_casts_as_numpy_does():
    values = torch.arange(256, dtype=torch.uint8).reshape(1, 16, 16)
    assert F.pil_to_tensor(F.to_pil_image(F.to_tensor(F.to_pil_image(values)))).equal(values)
    floats = np.array([[-0.5, 0.999, 1.5]], dtype=np.float32)
    # torchvision does not clip: out-of-range values are cast by numpy, which wraps them.
    assert np.asarray(F.to_pil_image(floats)).tolist() == (floats * 255).astype(np.uint8).tolist()
    assert F.to_pil_image(torch.tensor([[0.25]]), mode="F").getpixel((0, 0)) == 0.25


def test_to_pil_image_takes_an_explicit_mode_with_the_same_bands():
    assert F.to_pil_image(HAND, mode="YCbCr").mode == "YCbCr"
    with pytest.raises(ValueError, match=r"mode must be one of .* for 3 channels, got 'RGBA'"):
        F.to_pil_image(HAND, mode="RGBA")
    with pytest.raises(ValueError, match=r"ndarray\[H, W, C\] \(C <= 4\)"):
        F.to_pil_image(np.zeros((2, 2, 5), dtype=np.uint8))


@pytest.mark.parametrize(
    ("values", "source", "target", "expected"),
    [
        ([0, 128, 255], torch.uint8, torch.float32, [0.0, 128 / 255, 1.0]),
        ([0.0, 0.5, 1.0], torch.float32, torch.uint8, [0, 127, 255]),  # floor(x * 255.999)
        ([0, 1, 255], torch.uint8, torch.int16, [0, 128, 255 * 128]),  # gain 7 bits
        ([0, 255, 32767], torch.int16, torch.uint8, [0, 1, 255]),  # drop 7 bits
        ([0.25], torch.float32, torch.float64, [0.25]),
    ],
)
def test_convert_image_dtype_by_hand(values, source, target, expected):
    result = F.convert_image_dtype(torch.tensor(values, dtype=source), target)
    assert result.dtype == target
    torch.testing.assert_close(result, torch.tensor(expected, dtype=target))


def test_convert_image_dtype_refuses_casts_that_overflow():
    with pytest.raises(RuntimeError, match=r"float32 to torch\.int64"):
        F.convert_image_dtype(torch.ones(2), torch.int64)


def test_normalize_by_hand_and_leaves_its_input_alone():
    image = torch.tensor([[[1.0, 3.0]], [[2.0, 6.0]]])
    result = F.normalize(image, mean=[1.0, 2.0], std=[2.0, 4.0])
    assert result.tolist() == [[[0.0, 1.0]], [[0.0, 1.0]]]
    assert image.tolist() == [[[1.0, 3.0]], [[2.0, 6.0]]]
    assert F.normalize(image, [1.0, 2.0], [2.0, 4.0], inplace=True) is image


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((torch.zeros(3, 2, 2, dtype=torch.uint8), [0.0], [1.0]), TypeError, "float Tensor"),
        ((torch.zeros(2, 2), [0.0], [1.0]), TypeError, r"Tensor\[2, 2\]"),
        ((torch.zeros(1, 2, 2), [0.0], [0.0]), ValueError, "std must not contain zeros"),
    ],
)
def test_normalize_errors(args, error, match):
    with pytest.raises(error, match=match):
        F.normalize(*args)


# --- flips, crops, pads ------------------------------------------------------------------------


def test_hflip_and_vflip_of_a_2x3_image_by_hand():
    original = HAND.clone()
    assert F.hflip(HAND)[0].tolist() == [[2, 1, 0], [12, 11, 10]]
    assert F.vflip(HAND)[0].tolist() == [[10, 11, 12], [0, 1, 2]]
    image = F.to_pil_image(HAND)
    assert F.pil_to_tensor(F.hflip(image)).equal(F.hflip(HAND))
    assert F.pil_to_tensor(F.vflip(image)).equal(F.vflip(HAND))
    assert HAND.equal(original)  # flips never write into their input


def test_crop_by_hand_with_zeros_outside_the_image():
    assert F.crop(HAND, 0, 1, 2, 2)[0].tolist() == [[1, 2], [11, 12]]
    outside = F.crop(HAND, -1, 2, 2, 3)[0].tolist()
    assert outside == [[0, 0, 0], [2, 0, 0]]
    image_result = F.pil_to_tensor(F.crop(F.to_pil_image(HAND), -1, 2, 2, 3))
    assert image_result[0].tolist() == outside


def test_center_crop_takes_the_middle_and_pads_when_larger():
    grid = torch.arange(25).reshape(1, 5, 5)
    assert F.center_crop(grid, 3)[0].tolist() == [[6, 7, 8], [11, 12, 13], [16, 17, 18]]
    # a 4-wide crop of 5 columns: round(0.5) = 0, so it starts at column 0
    assert F.center_crop(grid, (1, 4))[0].tolist() == [[10, 11, 12, 13]]
    # a margin of 3 of 7 columns: round(1.5) = 2, halves going to the even neighbour
    assert F.center_crop(torch.arange(7).reshape(1, 1, 7), (1, 4))[0].tolist() == [[2, 3, 4, 5]]
    padded = F.center_crop(torch.ones(1, 1, 2), (2, 5))[0]  # odd margins: extra after
    assert padded.tolist() == [[0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize(
    ("padding", "ltrb"),
    [(1, (1, 1, 1, 1)), ((2, 1), (2, 1, 2, 1)), ((1, 0, 4, 2), (1, 0, 4, 2)), ((7, 8, 9, 5),) * 2],
    ids=["int", "pair", "four", "beyond_the_image"],
)
def test_pad_matches_numpy_on_tensors_and_pil(padding, ltrb, mode):
    image = noise_image(3, 4)
    left, top, right, bottom = ltrb
    expected = np.pad(np.asarray(image), ((top, bottom), (left, right), (0, 0)), mode=mode)
    assert np.array_equal(np.asarray(F.pad(image, padding, padding_mode=mode)), expected)
    tensor_result = F.pad(F.pil_to_tensor(image), padding, padding_mode=mode)
    assert tensor_result.equal(torch.from_numpy(expected).permute(2, 0, 1))


def test_pad_fills_per_channel_and_keeps_palette_and_mode():
    image = torch.zeros(3, 1, 1, dtype=torch.uint8)
    result = F.pad(image, [1, 0, 0, 0], fill=(7, 8, 9))
    assert result[:, 0, 0].tolist() == [7, 8, 9] and result[:, 0, 1].tolist() == [0, 0, 0]
    pil_result = F.pad(F.to_pil_image(image), [1, 0, 0, 0], fill=(7, 8, 9))
    assert F.pil_to_tensor(pil_result).equal(result)
    mask = Image.fromarray(np.array([[1, 2]], dtype=np.uint8)).convert("P")
    mask.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    for mode in ("constant", "reflect"):
        padded = F.pad(mask, 1, fill=255, padding_mode=mode)
        assert padded.mode == "P" and padded.getpalette()[:9] == mask.getpalette()[:9]
    assert np.asarray(F.pad(mask, 1, fill=255))[0].tolist() == [255] * 4


@pytest.mark.parametrize(
    ("padding", "mode", "match"),
    [
        (-2, "constant", "crops all"),
        ((1, 2, 3), "constant", "sequence of 1, 2"),
        (1, "wrap", "padding_mode"),
    ],
)
def test_pad_errors(padding, mode, match):
    with pytest.raises(ValueError, match=match):
        F.pad(HAND, padding, padding_mode=mode)


def test_five_and_ten_crop_by_hand():
    grid = torch.arange(12).reshape(1, 3, 4)
    corners_and_centre = [c[0].tolist() for c in F.five_crop(grid, 2)]
    assert corners_and_centre == [
        [[0, 1], [4, 5]],
        [[2, 3], [6, 7]],
        [[4, 5], [8, 9]],
        [[6, 7], [10, 11]],
        [[1, 2], [5, 6]],  # centre: top round(0.5) = 0, left round(1.0) = 1
    ]
    ten = F.ten_crop(grid, 2)
    assert len(ten) == 10 and ten[5][0].tolist() == [[3, 2], [7, 6]]
    assert F.ten_crop(grid, 2, vertical_flip=True)[5][0].tolist() == [[8, 9], [4, 5]]
    with pytest.raises(ValueError, match="larger than the image"):
        F.five_crop(grid, 4)


# --- resize ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_hw", "size", "max_size", "expected_hw"),
    [
        ((20, 30), 10, None, (10, 15)),  # smaller edge to 10
        ((30, 20), [10], None, (15, 10)),
        ((21, 10), 4, None, (8, 4)),  # larger edge rounds down: 4 * 21 / 10 = 8.4
        ((20, 30), (7, 9), None, (7, 9)),
        ((10, 40), 8, 20, (5, 20)),  # larger edge capped at 20, smaller shrinks with it
        ((10, 40), 8, 100, (8, 32)),
    ],
)
def test_resize_output_size(image_hw, size, max_size, expected_hw):
    tensor = torch.zeros(3, *image_hw)
    assert F.resize(tensor, size, max_size=max_size).shape[-2:] == expected_hw
    image = Image.new("RGB", image_hw[::-1])
    assert F.resize(image, size, max_size=max_size).size == expected_hw[::-1]


def test_resize_halving_without_antialias_averages_2x2_blocks():
    image = torch.rand(2, 3, 6, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    blocks = image.reshape(2, 3, 3, 2, 4, 2).mean(dim=(3, 5))
    torch.testing.assert_close(F.resize(image, (3, 4), antialias=False), blocks)


def test_resize_returns_the_same_size_untouched():
    assert F.resize(HAND, (2, 3)) is HAND


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(7, 5), (31, 45)], ids=["down", "up"])
def test_resize_pil_and_tensor_agree(size, interpolation):
    image = smooth_image(16, 20)
    from_pil = F.resize(image, size, interpolation)
    from_tensor = F.resize(F.pil_to_tensor(image), size, interpolation)
    assert mean_abs_difference(from_pil, from_tensor) < 1.0
    assert (as_uint8(from_pil).int() - from_tensor.int()).abs().max() <= 3


def test_resize_nearest_exact_on_tensors_equals_pil_nearest():
    image = noise_image(9, 11)
    for size in [(4, 5), (20, 13)]:
        from_pil = F.pil_to_tensor(F.resize(image, size, "nearest"))
        assert F.resize(F.pil_to_tensor(image), size, "nearest-exact").equal(from_pil)


def test_resize_keeps_integer_dtypes_in_range():
    checker = (torch.arange(64).reshape(1, 8, 8) % 2 * 255).to(torch.uint8)
    result = F.resize(checker, (13, 13), "bicubic", antialias=False)  # bicubic overshoots
    assert result.dtype == torch.uint8 and result.min() == 0 and result.max() == 255


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 0}, "positive int"),
        ({"size": (2, 3, 4)}, "positive int or"),
        ({"size": (4, 4), "max_size": 10}, "max_size only applies"),
        ({"size": 8, "max_size": 8}, "greater than size"),
        ({"size": 4, "interpolation": "lanczos"}, "for tensors"),
    ],
)
def test_resize_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.resize(torch.zeros(1, 6, 6), **kwargs)


# --- rotate and affine -------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [90, 180, 270, -90])
def test_rotate_by_quarter_turns_permutes_pixels_like_rot90(angle):
    grid = torch.arange(12, dtype=torch.uint8).reshape(1, 3, 4)
    expected = torch.rot90(grid, angle // 90, dims=(-2, -1))  # counter-clockwise
    result = F.rotate(grid, angle, expand=True)
    assert result.equal(expected)
    assert F.pil_to_tensor(F.rotate(F.to_pil_image(grid), angle, expand=True)).equal(expected)


def test_rotate_fills_the_corners_and_grows_with_expand():
    image = torch.full((3, 10, 10), 100, dtype=torch.uint8)
    rotated = F.rotate(image, 45, fill=(1, 2, 3))
    assert rotated[:, 0, 0].tolist() == [1, 2, 3] and rotated[:, 5, 5].tolist() == [100] * 3
    # corners reach 5 +- 7.07: ceil(12.07) - floor(-2.07) = 16, PIL's rule
    assert F.rotate(image, 45, expand=True).shape == (3, 16, 16)
    assert F.rotate(F.to_pil_image(image), 45, expand=True).size == (16, 16)


@pytest.mark.parametrize("angle", [17.0, -33.0])
@pytest.mark.parametrize("expand", [False, True])
def test_rotate_pil_and_tensor_agree_bilinear(angle, expand):
    image = smooth_image(15, 21)
    from_pil = F.rotate(image, angle, "bilinear", expand=expand)
    from_tensor = F.rotate(F.pil_to_tensor(image), angle, "bilinear", expand=expand)
    assert as_uint8(from_pil).shape == from_tensor.shape
    # Compare where every tap of the bilinear sample lies inside the image (PIL and torch weigh
    # border taps differently): there a rotated all-ones image is still exactly one.
    ones = torch.ones(1, 15, 21, dtype=torch.float64)
    inside = F.rotate(ones, angle, "bilinear", expand=expand)[0] == 1
    difference = (as_uint8(from_pil).int() - from_tensor.int()).abs()[:, inside]
    assert inside.sum() > 100 and difference.max() <= 1


def test_affine_translation_by_whole_pixels_shifts_and_fills():
    image = torch.arange(1, 13, dtype=torch.float32).reshape(1, 3, 4)
    expected = torch.full_like(image, -1.0)
    expected[:, 1:, 2:] = image[:, :2, :2]  # moved right by 2 and down by 1
    result = F.affine(image, 0.0, (2, 1), 1.0, 0.0, fill=-1.0)
    assert result.equal(expected)
    pil_result = F.affine(F.to_pil_image(image.to(torch.uint8)), 0.0, (2, 1), 1.0, 0.0, fill=0)
    assert F.pil_to_tensor(pil_result).equal(expected.clamp(min=0).to(torch.uint8))


def test_affine_quarter_turn_is_clockwise():
    grid = torch.arange(9, dtype=torch.float32).reshape(1, 3, 3)
    expected = torch.rot90(grid, -1, dims=(-2, -1))
    assert F.affine(grid, 90.0, (0, 0), 1.0, 0.0).equal(expected)
    pil_result = F.affine(F.to_pil_image(grid.to(torch.uint8)), 90.0, (0, 0), 1.0, 0.0)
    assert F.pil_to_tensor(pil_result).equal(expected.to(torch.uint8))


def test_affine_scale_two_about_the_centre_by_hand():
    # Output pixel x (centre x + 0.5) samples the source at 2 + (x + 0.5 - 2) / 2, that is
    # between source pixel centres, at index coordinate 0.75 + x / 2.
    image = torch.arange(16, dtype=torch.float32).reshape(1, 4, 4)
    result = F.affine(image, 0.0, (0, 0), 2.0, 0.0, interpolation="bilinear")
    rows = torch.tensor([0.75, 1.25, 1.75, 2.25])
    expected = (rows[:, None] * 4 + rows[None, :])[None]  # the image is linear in x and y
    torch.testing.assert_close(result, expected)


def test_affine_shear_x_by_hand():
    # Shear by 45 degrees along x: x_out = x_in - y_in relative to the centre, so rows move by
    # their distance from the centre row.
    image = torch.zeros(1, 3, 5)
    image[0, :, 2] = 1.0
    result = F.affine(image, 0.0, (0, 0), 1.0, (45.0, 0.0))
    assert result[0].nonzero().tolist() == [[0, 3], [1, 2], [2, 1]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"scale": 0.0}, "scale must be positive"),
        ({"translate": (1,)}, "translate must be"),
        ({"shear": (1.0, 2.0, 3.0)}, "shear must be"),
        ({"interpolation": "box"}, "interpolation must be one of"),
    ],
)
def test_affine_errors(kwargs, match):
    arguments = {"angle": 0.0, "translate": (0, 0), "scale": 1.0, "shear": 0.0, **kwargs}
    with pytest.raises(ValueError, match=match):
        F.affine(Image.new("RGB", (4, 4)), **arguments)


# --- colour ------------------------------------------------------------------------------------


def test_grayscale_weights_by_hand():
    pixel = torch.tensor([100.0, 50.0, 200.0]).reshape(3, 1, 1) / 255
    expected = (0.2989 * 100 + 0.587 * 50 + 0.114 * 200) / 255
    torch.testing.assert_close(F.rgb_to_grayscale(pixel).item(), expected)
    three = F.rgb_to_grayscale(pixel, num_output_channels=3)
    assert three.shape == (3, 1, 1) and (three == three[0]).all()


def test_grayscale_pil_and_tensor_agree_within_rounding():
    image = noise_image(8, 8)
    from_pil = F.rgb_to_grayscale(image, 3)
    assert from_pil.mode == "RGB"
    from_tensor = F.rgb_to_grayscale(F.pil_to_tensor(image), 3)
    assert (F.pil_to_tensor(from_pil).int() - from_tensor.int()).abs().max() <= 1


def test_brightness_contrast_saturation_by_hand():
    image = torch.tensor([[[0.2, 0.6]], [[0.4, 0.8]], [[0.0, 1.0]]])
    torch.testing.assert_close(F.adjust_brightness(image, 0.5), image * 0.5)
    assert F.adjust_brightness(image, 2.0).max() == 1.0  # clamped
    gray = F.rgb_to_grayscale(image)
    flat = F.adjust_contrast(image, 0.0)
    torch.testing.assert_close(flat, gray.mean().expand_as(image))
    torch.testing.assert_close(F.adjust_saturation(image, 0.0), gray.expand_as(image))
    torch.testing.assert_close(F.adjust_saturation(image, 1.0), image)
    assert F.adjust_brightness(torch.full((1, 1, 1), 255, dtype=torch.uint8), 0.5).item() == 127


def test_adjust_hue_matches_colorsys_per_pixel():
    image = torch.rand(3, 4, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    factor = 0.3
    expected = torch.empty_like(image)
    for y in range(4):
        for x in range(5):
            h, s, v = colorsys.rgb_to_hsv(*image[:, y, x].tolist())
            expected[:, y, x] = torch.tensor(colorsys.hsv_to_rgb((h + factor) % 1.0, s, v))
    result = F.adjust_hue(image.float(), factor)
    torch.testing.assert_close(result, expected.float(), atol=1e-5, rtol=0)


def test_adjust_hue_half_turn_makes_red_cyan():
    red = torch.tensor([255, 0, 0], dtype=torch.uint8).reshape(3, 1, 1)
    assert F.adjust_hue(red, 0.5).flatten().tolist() == [0, 255, 255]
    pil_result = F.pil_to_tensor(F.adjust_hue(F.to_pil_image(red), 0.5)).flatten()
    assert (pil_result.int() - torch.tensor([0, 255, 255])).abs().max() <= 6  # 8-bit HSV


def test_colour_ops_leave_one_channel_images_alone():
    gray = torch.rand(1, 3, 3)
    assert F.adjust_hue(gray, 0.2) is gray and F.adjust_saturation(gray, 0.2) is gray
    image = Image.new("L", (2, 2), 9)
    assert F.adjust_hue(image, 0.2) is image


@pytest.mark.parametrize(
    ("fn", "factor"),
    [
        (F.adjust_brightness, 1.4),
        (F.adjust_contrast, 0.6),
        (F.adjust_saturation, 1.7),
        (F.adjust_hue, -0.2),
    ],
)
def test_colour_ops_pil_and_tensor_agree(fn, factor):
    image = noise_image(10, 12, seed=5)
    from_pil = F.pil_to_tensor(fn(image, factor)).int()
    from_tensor = fn(F.pil_to_tensor(image), factor).int()
    assert (from_pil - from_tensor).abs().float().mean() < 2.0


@pytest.mark.parametrize(
    ("fn", "factor", "match"),
    [
        (F.adjust_brightness, -0.1, "brightness_factor must be non-negative"),
        (F.adjust_contrast, -1.0, "contrast_factor must be non-negative"),
        (F.adjust_saturation, -1.0, "saturation_factor must be non-negative"),
        (F.adjust_hue, 0.6, r"hue_factor must be in \[-0.5, 0.5\]"),
    ],
)
def test_colour_op_errors(fn, factor, match):
    with pytest.raises(ValueError, match=match):
        fn(HAND, factor)


def test_colour_ops_need_one_or_three_channels():
    with pytest.raises(ValueError, match="1 or 3 channels"):
        F.adjust_brightness(torch.zeros(2, 3, 3), 1.0)
    with pytest.raises(TypeError, match=r"Tensor\[\.\.\., C, H, W\]"):
        F.adjust_contrast(torch.zeros(3, 3), 1.0)


# --- batches -----------------------------------------------------------------------------------

BATCHED_OPS = {
    "resize": lambda x: F.resize(x, (5, 7)),
    "resize_nearest": lambda x: F.resize(x, 4, "nearest"),
    "crop": lambda x: F.crop(x, 1, -1, 4, 5),
    "center_crop": lambda x: F.center_crop(x, (3, 9)),
    "pad_reflect": lambda x: F.pad(x, (1, 2), padding_mode="reflect"),
    "pad_fill": lambda x: F.pad(x, 2, fill=(1, 2, 3)),
    "hflip": F.hflip,
    "rotate": lambda x: F.rotate(x, 30, "bilinear", expand=True, fill=(5, 6, 7)),
    "affine": lambda x: F.affine(x, 10, (1, -1), 1.2, (5, 3), "nearest"),
    "brightness": lambda x: F.adjust_brightness(x, 1.3),
    "contrast": lambda x: F.adjust_contrast(x, 0.7),
    "saturation": lambda x: F.adjust_saturation(x, 0.4),
    "hue": lambda x: F.adjust_hue(x, 0.1),
    "grayscale": lambda x: F.rgb_to_grayscale(x, 3),
}


@pytest.mark.parametrize("op", BATCHED_OPS.values(), ids=BATCHED_OPS.keys())
def test_ops_on_a_batch_equal_ops_on_each_image(op):
    batch = torch.stack([F.pil_to_tensor(noise_image(6, 8, seed=s)) for s in range(4)])
    batch = batch.reshape(2, 2, 3, 6, 8)  # two leading dimensions
    expected = torch.stack([op(image) for image in batch.flatten(0, 1)])
    result = op(batch)
    assert result.shape[:2] == (2, 2) and result.dtype == torch.uint8
    assert result.flatten(0, 1).equal(expected)


def test_geometric_ops_take_an_empty_stack_of_masks():
    masks = torch.zeros(0, 6, 8, dtype=torch.uint8)
    assert F.resize(masks, (3, 4), "nearest-exact").shape == (0, 3, 4)
    assert F.rotate(masks, 30).shape == (0, 6, 8)
    assert F.pad(masks, 1).shape == (0, 8, 10)


def test_non_images_are_rejected_with_their_type():
    with pytest.raises(TypeError, match="got list"):
        F.hflip([[1, 2]])
    with pytest.raises(TypeError, match=r"got Tensor\[5\]"):
        F.resize(torch.zeros(5), 2)


def test_pad_of_an_empty_image_and_a_fill_the_dtype_cannot_hold():
    empty = torch.zeros(3, 0, 5, dtype=torch.uint8)
    assert F.pad(empty, [1]).shape == (3, 2, 7)
    image = torch.zeros(1, 2, 2, dtype=torch.uint8)
    for fill in (300, -1):
        with pytest.raises(ValueError, match=f"fill {fill} does not fit the image's dtype"):
            F.pad(image, [1], fill=fill)
    with pytest.raises(RuntimeError):  # what torch (and so torchvision) raises
        F.pad(image, [1], fill=256)
    assert F.pad(image, [1], fill=255)[0, 0, 0] == 255
