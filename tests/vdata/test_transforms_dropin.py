"""The torchvision-shaped surface of vdata.transforms, against independent references: PIL's own
conversions and operations, numpy's padding, scipy's convolution and hand-computed cases."""

import random

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance, ImageOps
from scipy import ndimage

import vdata.transforms as T
import vdata.transforms.functional as F


def noise_array(height: int = 9, width: int = 11, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (height, width, channels), dtype=np.uint8)


def noise_image(height: int = 9, width: int = 11, seed: int = 0) -> Image.Image:
    return Image.fromarray(noise_array(height, width, 3, seed))


def as_tensor(img) -> torch.Tensor:
    return F.pil_to_tensor(img) if isinstance(img, Image.Image) else img


# --- to_pil_image / ToPILImage -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "mode"),
    [
        (noise_array(channels=1)[:, :, 0], "L"),
        (noise_array(channels=3), "RGB"),
        (noise_array(channels=4), "RGBA"),
        (np.arange(-50, 49, dtype=np.int32).reshape(9, 11) * 40000, "I"),
        (np.linspace(-2, 3, 99, dtype=np.float32).reshape(9, 11), "F"),
    ],
    ids=["L", "RGB", "RGBA", "I", "F"],
)
def test_to_pil_image_infers_the_mode_pil_itself_infers(array, mode):
    reference = Image.fromarray(array)
    assert reference.mode == mode
    from_array = F.to_pil_image(array, mode if mode == "F" else None)
    chw = torch.from_numpy(array if array.ndim == 2 else array.transpose(2, 0, 1).copy())
    from_tensor = T.ToPILImage(mode if mode == "F" else None)(chw)
    for image in (from_array, from_tensor):
        assert image.mode == mode and np.array_equal(np.asarray(image), np.asarray(reference))


def test_to_pil_image_of_two_bytes_per_pixel_is_la_as_pil_merges_it():
    array = noise_array(channels=2)
    bands = [Image.fromarray(array[:, :, i]) for i in range(2)]
    result = F.to_pil_image(torch.from_numpy(array).permute(2, 0, 1))
    assert result.mode == "LA"
    assert np.array_equal(np.asarray(result), np.asarray(Image.merge("LA", bands)))


def test_to_pil_image_reads_int16_as_16_bit_unsigned_and_int32_as_i():
    values = torch.tensor([[[0, 1, -1, 32767]]], dtype=torch.int16)
    image = F.to_pil_image(values)
    assert image.mode == "I;16"
    assert [image.getpixel((x, 0)) for x in range(4)] == [0, 1, 65535, 32767]
    wide = F.to_pil_image(torch.tensor([[-5, 70000]], dtype=torch.int32))
    assert wide.mode == "I" and [wide.getpixel((x, 0)) for x in range(2)] == [-5, 70000]


def test_to_pil_image_scales_floats_by_255_and_truncates():
    image = F.to_pil_image(torch.tensor([[[0.0, 0.5, 0.999, 1.0]]]))
    assert image.mode == "L" and np.asarray(image).tolist() == [[0, 127, 254, 255]]
    as_float = F.to_pil_image(torch.tensor([[0.25, 7.5]]), mode="F")
    assert as_float.mode == "F" and np.asarray(as_float).tolist() == [[0.25, 7.5]]


@pytest.mark.parametrize("mode", ["YCbCr", "HSV", "CMYK", "RGBX"])
def test_to_pil_image_reads_the_bytes_as_the_given_mode(mode):
    bands = Image.getmodebands(mode)
    array = noise_array(channels=bands)
    result = F.to_pil_image(array, mode)
    expected = Image.frombytes(mode, (11, 9), array.tobytes())
    assert result.mode == mode and np.array_equal(np.asarray(result), np.asarray(expected))


@pytest.mark.parametrize(
    ("pic", "mode", "error", "match"),
    [
        (torch.zeros(3, 2, 2, dtype=torch.uint8), "RGBA", ValueError, "for 3 channels"),
        (torch.zeros(1, 2, 2, dtype=torch.uint8), "I", ValueError, "expected 'L'"),
        (torch.zeros(2, 2, 2, dtype=torch.uint8), "RGB", ValueError, r"\['LA'\]"),
        (torch.zeros(2, 2, 2, dtype=torch.int32), None, TypeError, "no PIL mode"),
        (np.zeros((2, 2, 5), dtype=np.uint8), None, ValueError, r"C <= 4"),
        (torch.zeros(5), None, ValueError, "got shape"),
        ([[0, 1]], None, TypeError, "Tensor or a numpy array"),
    ],
)
def test_to_pil_image_errors(pic, mode, error, match):
    with pytest.raises(error, match=match):
        F.to_pil_image(pic, mode)


# --- interpolation modes -----------------------------------------------------------------------


def test_interpolation_mode_has_torchvisions_members_and_values():
    assert {m.name: m.value for m in T.InterpolationMode} == {
        "NEAREST": "nearest",
        "NEAREST_EXACT": "nearest-exact",
        "BILINEAR": "bilinear",
        "BICUBIC": "bicubic",
        "BOX": "box",
        "HAMMING": "hamming",
        "LANCZOS": "lanczos",
    }


@pytest.mark.parametrize(
    ("member", "pil_filter"),
    [
        (T.InterpolationMode.NEAREST, Image.Resampling.NEAREST),
        (T.InterpolationMode.BILINEAR, Image.Resampling.BILINEAR),
        (T.InterpolationMode.BICUBIC, Image.Resampling.BICUBIC),
        (T.InterpolationMode.BOX, Image.Resampling.BOX),
        (T.InterpolationMode.HAMMING, Image.Resampling.HAMMING),
        (T.InterpolationMode.LANCZOS, Image.Resampling.LANCZOS),
    ],
)
def test_resize_takes_a_member_its_string_or_the_pil_constant(member, pil_filter):
    image = noise_image(12, 16)
    expected = np.asarray(image.resize((7, 5), pil_filter))
    for interpolation in (member, member.value, int(pil_filter)):
        assert np.array_equal(np.asarray(F.resize(image, [5, 7], interpolation)), expected)
        resized = T.Resize((5, 7), interpolation)
        assert resized.interpolation is member
        assert np.array_equal(np.asarray(resized(image)), expected)


@pytest.mark.parametrize(
    ("interpolation", "error", "match"),
    [
        (3.5, TypeError, "InterpolationMode"),
        ("cubic", ValueError, "one of"),
        (9, ValueError, "PIL"),
    ],
)
def test_bad_interpolation_errors(interpolation, error, match):
    with pytest.raises(error, match=match):
        F.resize(noise_image(), 4, interpolation)
    with pytest.raises(error, match=match):
        T.RandomRotation(5, interpolation)


def test_transforms_default_to_torchvisions_interpolation_members():
    assert T.Resize(4).interpolation is T.InterpolationMode.BILINEAR
    assert T.RandomResizedCrop(4).interpolation is T.InterpolationMode.BILINEAR
    assert T.RandomRotation(4).interpolation is T.InterpolationMode.NEAREST
    assert T.RandomAffine(4).interpolation is T.InterpolationMode.NEAREST
    assert T.RandomPerspective().interpolation is T.InterpolationMode.BILINEAR


# --- padding -----------------------------------------------------------------------------------


def numpy_pad(array: np.ndarray, ltrb: tuple[int, int, int, int], mode: str) -> np.ndarray:
    """Negative sides crop, the rest pad: the reference for ``pad`` on ``[H, W, C]`` arrays."""
    left, top, right, bottom = ltrb
    height, width = array.shape[:2]
    cropped = array[max(-top, 0) : height - max(-bottom, 0), max(-left, 0) : width - max(-right, 0)]
    widths = ((max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0)), (0, 0))
    return np.pad(cropped, widths, mode=mode)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize(
    ("padding", "ltrb"),
    [
        (2, (2, 2, 2, 2)),
        ([3], (3, 3, 3, 3)),
        ((1, 2), (1, 2, 1, 2)),
        ([0, 1, 2, 3], (0, 1, 2, 3)),
        (-1, (-1, -1, -1, -1)),
        ([-2, 1], (-2, 1, -2, 1)),
        ((2, -3, -1, 4), (2, -3, -1, 4)),
    ],
    ids=["int", "one", "two", "four", "negative_int", "negative_pair", "mixed_four"],
)
def test_pad_equals_numpy_for_every_mode_and_form_of_padding(padding, ltrb, mode):
    array = noise_array(7, 8)
    expected = numpy_pad(array, ltrb, mode)
    assert np.array_equal(
        np.asarray(F.pad(Image.fromarray(array), padding, padding_mode=mode)), expected
    )
    tensor = torch.from_numpy(array).permute(2, 0, 1)
    result = F.pad(tensor, padding, padding_mode=mode)
    assert result.equal(torch.from_numpy(expected).permute(2, 0, 1))
    batch = torch.stack([tensor, tensor.flip(0)])
    assert F.pad(batch, padding, padding_mode=mode)[1].equal(result.flip(0))
    assert np.array_equal(
        np.asarray(T.Pad(padding, padding_mode=mode)(Image.fromarray(array))), expected
    )


def test_random_crop_pads_with_negative_padding_first():
    image = torch.arange(36).reshape(1, 6, 6)
    torch.manual_seed(0)
    crops = {tuple(T.RandomCrop(4, padding=-1)(image).flatten().tolist()) for _ in range(20)}
    assert crops == {tuple(image[:, 1:5, 1:5].flatten().tolist())}


@pytest.mark.parametrize(
    ("padding", "mode", "fill", "error", "match"),
    [
        ((1, 2, 3), "constant", 0, ValueError, "sequence of 1, 2"),
        ([], "constant", 0, ValueError, "got 0 values"),
        (1.5, "constant", 0, TypeError, "padding must be an int"),
        ([1, 2.0], "constant", 0, TypeError, "padding must hold ints"),
        (1, "wrap", 0, ValueError, "padding_mode must be one of"),
        (1, None, 0, TypeError, "padding_mode must be a str"),
        (1, "constant", "black", TypeError, "fill must be"),
        (-4, "edge", 0, ValueError, "crops all"),
    ],
)
def test_pad_errors_name_the_argument(padding, mode, fill, error, match):
    for image in (noise_image(7, 8), torch.zeros(3, 7, 8)):
        with pytest.raises(error, match=match):
            F.pad(image, padding, fill, mode)


# --- image queries and grayscale ---------------------------------------------------------------


def test_image_size_channels_and_dimensions_by_hand():
    image = Image.new("LA", (5, 3))
    assert F.get_image_size(image) == [5, 3] and F.get_image_num_channels(image) == 2
    assert F.get_dimensions(image) == [2, 3, 5]
    batch = torch.zeros(4, 3, 6, 7)
    assert F.get_image_size(batch) == [7, 6] and F.get_image_num_channels(batch) == 3
    assert F.get_dimensions(torch.zeros(6, 7)) == [1, 6, 7]


def test_to_grayscale_uses_pils_conversion_of_any_mode():
    hsv = noise_image().convert("HSV")
    gray = F.to_grayscale(hsv)
    assert gray.mode == "L" and np.array_equal(np.asarray(gray), np.asarray(hsv.convert("L")))
    three = F.to_grayscale(hsv, num_output_channels=3)
    assert three.mode == "RGB" and (np.asarray(three) == np.asarray(gray)[:, :, None]).all()
    with pytest.raises(TypeError, match="PIL image"):
        F.to_grayscale(torch.zeros(3, 2, 2))


# --- colour point and histogram operations -----------------------------------------------------


POINT_OPS = [
    ("invert", F.invert, ImageOps.invert, 0),
    ("posterize", lambda x: F.posterize(x, 3), lambda x: ImageOps.posterize(x, 3), 0),
    ("solarize", lambda x: F.solarize(x, 100), lambda x: ImageOps.solarize(x, 100), 0),
    ("equalize", F.equalize, ImageOps.equalize, 0),
    # PIL rounds its lookup tables where the tensor path truncates: one step apart at most
    ("autocontrast", F.autocontrast, ImageOps.autocontrast, 1),
    (
        "sharpness",
        lambda x: F.adjust_sharpness(x, 1.8),
        lambda x: ImageEnhance.Sharpness(x).enhance(1.8),
        1,
    ),
]


@pytest.mark.parametrize(
    ("name", "ours", "pil_op", "tolerance"), POINT_OPS, ids=[op[0] for op in POINT_OPS]
)
def test_point_ops_on_pil_are_pils_and_tensors_agree_with_pil(name, ours, pil_op, tolerance):
    image = Image.fromarray(noise_array(9, 11) // 2 + 40)
    expected = F.pil_to_tensor(pil_op(image))
    assert F.pil_to_tensor(ours(image)).equal(expected)
    tensor = F.pil_to_tensor(image)
    result = ours(torch.stack([tensor, tensor]))
    assert result.dtype == torch.uint8
    torch.testing.assert_close(result, torch.stack([expected, expected]), atol=tolerance, rtol=0)


def test_point_ops_by_hand():
    values = torch.tensor([[[0, 50, 100, 200, 255]]], dtype=torch.uint8)
    assert F.invert(values).tolist() == [[[255, 205, 155, 55, 0]]]
    assert F.invert(torch.tensor([[[0.25]]])).tolist() == [[[0.75]]]
    assert F.posterize(values, 2).tolist() == [[[0, 0, 64, 192, 192]]]
    assert F.solarize(values, 100).tolist() == [[[0, 50, 155, 55, 0]]]
    ramp = torch.tensor([[[50, 100, 150]]], dtype=torch.uint8)
    assert F.autocontrast(ramp).tolist() == [[[0, 127, 255]]]
    flat = torch.full((1, 2, 2), 9, dtype=torch.uint8)
    assert F.autocontrast(flat).equal(flat) and F.equalize(flat).equal(flat)


def test_adjust_gamma_follows_its_formula():
    floats = torch.tensor([[[0.0, 0.25, 0.81, 1.0]]])
    expected = (1.2 * floats.pow(0.5)).clamp(0, 1)
    torch.testing.assert_close(F.adjust_gamma(floats, 0.5, 1.2), expected)
    image = Image.fromarray(noise_array())
    table = [int(255.999 * 0.9 * (v / 255) ** 2.2) for v in range(256)]
    expected_pil = np.asarray(table, dtype=np.uint8)[noise_array()]
    assert np.array_equal(np.asarray(F.adjust_gamma(image, 2.2, 0.9)), expected_pil)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: F.adjust_brightness(torch.zeros(2, 3, 3), 1.5), TypeError, "1 or 3 channels"),
        (lambda: F.adjust_brightness(torch.zeros(2, 3, 3), 1.5), ValueError, "1 or 3 channels"),
        (lambda: F.posterize(torch.zeros(3, 2, 2), 2), TypeError, "uint8"),
        (lambda: F.posterize(torch.zeros(3, 2, 2, dtype=torch.uint8), 9), ValueError, "bits"),
        (lambda: F.solarize(torch.zeros(3, 2, 2), 2.0), TypeError, "threshold must be at most 1"),
        (lambda: F.equalize(torch.zeros(3, 2, 2)), TypeError, "uint8"),
        (lambda: F.invert(torch.zeros(2, 2)), TypeError, r"Tensor\[..., C, H, W\]"),
        (lambda: F.adjust_gamma(torch.zeros(3, 2, 2), -1.0), ValueError, "gamma"),
        (lambda: F.adjust_sharpness(torch.zeros(3, 4, 4), -1.0), ValueError, "sharpness_factor"),
    ],
)
def test_colour_op_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- filters -----------------------------------------------------------------------------------


def gaussian_kernel(size: int, sigma: float) -> np.ndarray:
    x = np.arange(size) - (size - 1) / 2
    weights = np.exp(-0.5 * (x / sigma) ** 2)
    return weights / weights.sum()


@pytest.mark.parametrize(("kernel_size", "sigma"), [((5, 3), (1.2, 0.7)), (3, None), (7, 2.0)])
def test_gaussian_blur_equals_scipys_mirrored_convolution(kernel_size, sigma):
    sizes = [kernel_size] * 2 if isinstance(kernel_size, int) else list(kernel_size)
    sigmas = (
        [0.15 * k + 0.35 for k in sizes]
        if sigma is None
        else [sigma] * 2
        if isinstance(sigma, float)
        else list(sigma)
    )
    kernel = np.outer(gaussian_kernel(sizes[1], sigmas[1]), gaussian_kernel(sizes[0], sigmas[0]))
    image = noise_array(9, 11).astype(np.float64) / 255
    expected = np.stack(
        [ndimage.correlate(image[:, :, c], kernel, mode="mirror") for c in range(3)]
    )
    result = F.gaussian_blur(torch.from_numpy(image).permute(2, 0, 1), kernel_size, sigma)
    torch.testing.assert_close(result, torch.from_numpy(expected), atol=1e-12, rtol=0)
    as_bytes = F.gaussian_blur(Image.fromarray(noise_array(9, 11)), kernel_size, sigma)
    expected_bytes = np.round(
        np.stack(
            [
                ndimage.correlate(noise_array(9, 11)[:, :, c] / 1.0, kernel, mode="mirror")
                for c in range(3)
            ]
        )
    )
    assert np.abs(F.pil_to_tensor(as_bytes).numpy() - expected_bytes).max() <= 1


@pytest.mark.parametrize(
    ("kernel_size", "sigma", "error", "match"),
    [
        (4, None, ValueError, "odd positive"),
        (3.0, None, TypeError, "kernel_size must be an int"),
        ((3, 3, 3), None, ValueError, "sequence of two"),
        (3, 0.0, ValueError, "sigma must be positive"),
        (3, "1", TypeError, "sigma must be a number"),
    ],
)
def test_gaussian_blur_errors(kernel_size, sigma, error, match):
    with pytest.raises(error, match=match):
        F.gaussian_blur(torch.zeros(3, 8, 8), kernel_size, sigma)


def test_gaussian_blur_transform_with_a_fixed_sigma_is_the_functional_blur():
    image = F.pil_to_tensor(noise_image())
    assert T.GaussianBlur(5, 1.5)(image).equal(F.gaussian_blur(image, [5, 5], [1.5, 1.5]))
    with pytest.raises(ValueError, match="odd positive"):
        T.GaussianBlur(4)


# --- perspective and erase ---------------------------------------------------------------------


CORNERS = [[0, 0], [10, 0], [10, 8], [0, 8]]


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_perspective_onto_the_same_corners_is_the_identity(interpolation):
    tensor = F.pil_to_tensor(noise_image())
    assert F.perspective(tensor, CORNERS, CORNERS, interpolation).equal(tensor)
    # PIL's bilinear filter sees the float32 rounding of the solved coefficients; nearest not
    image = F.perspective(noise_image(), CORNERS, CORNERS, "nearest")
    assert np.array_equal(np.asarray(image), np.asarray(noise_image()))


def test_perspective_that_shifts_every_corner_translates_the_image():
    image = noise_image()
    shifted = [[x + 2, y + 1] for x, y in CORNERS]
    expected = torch.full((3, 9, 11), 7, dtype=torch.uint8)
    expected[:, 1:, 2:] = F.pil_to_tensor(image)[:, :-1, :-2]
    for img in (image, F.pil_to_tensor(image)):
        assert as_tensor(F.perspective(img, CORNERS, shifted, "nearest", fill=7)).equal(expected)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_elastic_transform_by_hand(interpolation):
    image = noise_image()
    tensor = F.pil_to_tensor(image)
    still = torch.zeros(1, 9, 11, 2)
    assert F.elastic_transform(tensor, still, interpolation).equal(tensor)
    # an offset of 2 / width in grid units is one pixel: each pixel shows its right neighbour
    shift = still.clone()
    shift[..., 0] = 2 / 11
    expected = torch.full_like(tensor, 9)
    expected[..., :-1] = tensor[..., 1:]
    for img in (image, tensor):
        result = F.elastic_transform(img, shift, interpolation, fill=[9.0])
        assert as_tensor(result).equal(expected)
    with pytest.raises(ValueError, match=r"Tensor\[1, 9, 11, 2\]"):
        F.elastic_transform(tensor, torch.zeros(1, 9, 10, 2))
    with pytest.raises(TypeError, match="displacement must be a Tensor"):
        F.elastic_transform(tensor, 0.5)


def test_elastic_transform_draws_smooth_displacements_scaled_by_alpha():
    torch.manual_seed(0)
    displacement = T.ElasticTransform.get_params([10.0, 4.0], [0.0, 0.0], [20, 40])
    assert displacement.shape == (1, 20, 40, 2)
    assert (
        displacement[..., 0].abs().max() <= 10 / 40 and displacement[..., 1].abs().max() <= 4 / 20
    )
    smooth = T.ElasticTransform.get_params([10.0, 10.0], [3.0, 3.0], [20, 40])
    roughness = (smooth[:, :, 1:] - smooth[:, :, :-1]).abs().mean()
    assert roughness < (displacement[:, :, 1:] - displacement[:, :, :-1]).abs().mean() / 4
    assert T.ElasticTransform(alpha=[3.0], sigma=2).alpha == [3.0, 3.0]
    with pytest.raises(TypeError, match="fill must be"):
        T.ElasticTransform(fill="red")


def test_erase_sets_a_rectangle_and_copies_unless_inplace():
    image = torch.zeros(2, 4, 5)
    result = F.erase(image, 1, 2, 2, 3, torch.tensor([1.0, 2.0])[:, None, None])
    assert image.sum() == 0 and result[0, 1:3, 2:].eq(1).all() and result[1, 1:3, 2:].eq(2).all()
    assert result.sum() == 6 * 3
    F.erase(image, 0, 0, 1, 1, 5.0, inplace=True)
    assert image[:, 0, 0].tolist() == [5.0, 5.0]
    with pytest.raises(TypeError, match="Tensor"):
        F.erase(noise_image(), 0, 0, 1, 1, 0)


# --- get_params conventions --------------------------------------------------------------------


def test_get_params_return_torchvisions_types():
    torch.manual_seed(0)
    angle = T.RandomRotation.get_params([-10.0, 10.0])
    assert isinstance(angle, float) and -10 <= angle <= 10
    order, b, c, s, h = T.ColorJitter.get_params((0.5, 1.5), None, (1.0, 2.0), (-0.1, 0.1))
    assert isinstance(order, torch.Tensor) and sorted(order.tolist()) == [0, 1, 2, 3]
    assert c is None and 0.5 <= b <= 1.5 and 1.0 <= s <= 2.0 and -0.1 <= h <= 0.1
    sigma = T.GaussianBlur.get_params(0.5, 0.7)
    assert isinstance(sigma, float) and 0.5 <= sigma <= 0.7
    crop = T.RandomCrop.get_params(torch.zeros(3, 9, 11), (4, 5))
    assert all(isinstance(v, int) for v in crop) and crop[2:] == (4, 5)


def test_random_perspective_moves_each_corner_within_its_reach():
    torch.manual_seed(0)
    for _ in range(20):
        start, end = T.RandomPerspective.get_params(21, 11, 0.5)
        assert start == [[0, 0], [20, 0], [20, 10], [0, 10]]
        reach_x, reach_y = int(0.5 * 10), int(0.5 * 5)
        for (x0, y0), (x1, y1) in zip(start, end, strict=True):
            assert isinstance(x1, int) and isinstance(y1, int)
            assert abs(x1 - x0) <= reach_x + 1 and abs(y1 - y0) <= reach_y + 1
            assert 0 <= x1 <= 20 and 0 <= y1 <= 10


def test_random_erasing_params_fit_inside_and_fall_back_to_the_whole_image():
    image = torch.zeros(3, 20, 30)
    torch.manual_seed(0)
    for _ in range(10):
        top, left, height, width, values = T.RandomErasing.get_params(image, (0.1, 0.2), (0.5, 2.0))
        assert height < 20 and width < 30 and top + height <= 20 and left + width <= 30
        assert values.shape == (3, height, width) and values.dtype == torch.float32
        *_, given = T.RandomErasing.get_params(image, (0.1, 0.2), (0.5, 2.0), [1.0, 2.0, 3.0])
        assert given.tolist() == [[[1.0]], [[2.0]], [[3.0]]]
    # an area of the whole image never fits strictly inside
    assert T.RandomErasing.get_params(image, (1.0, 1.0), (1.0, 1.0))[:4] == (0, 0, 20, 30)


def test_random_erasing_erases_with_the_given_value_or_not_at_all():
    image = torch.zeros(3, 20, 30)
    torch.manual_seed(0)
    erased = T.RandomErasing(p=1.0, value=(1, 2, 3))(image)
    assert image.sum() == 0
    for channel, value in enumerate((1, 2, 3)):
        assert set(erased[channel].unique().tolist()) == {0.0, float(value)}
    assert T.RandomErasing(p=0.0)(image) is image
    with pytest.raises(ValueError, match="one per channel"):
        T.RandomErasing(p=1.0, value=(1, 2))(image)
    with pytest.raises(TypeError, match="Tensor"):
        T.RandomErasing(p=1.0)(noise_image())


# --- containers and probability wrappers -------------------------------------------------------


@pytest.mark.parametrize(
    ("transform", "functional"),
    [
        (T.RandomInvert, F.invert),
        (T.RandomAutocontrast, F.autocontrast),
        (T.RandomEqualize, F.equalize),
        (lambda p: T.RandomPosterize(4, p), lambda x: F.posterize(x, 4)),
        (lambda p: T.RandomSolarize(128, p), lambda x: F.solarize(x, 128)),
        (lambda p: T.RandomAdjustSharpness(2.0, p), lambda x: F.adjust_sharpness(x, 2.0)),
    ],
)
def test_random_point_ops_always_or_never(transform, functional):
    image = F.pil_to_tensor(noise_image())
    assert transform(1.0)(image).equal(functional(image))
    assert transform(0.0)(image) is image


def test_random_apply_choice_and_order():
    random.seed(0)
    image = torch.zeros(1, 1, 1)
    add_one, double = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    assert T.RandomApply([add_one, double], p=1.0)(image).item() == 2.0
    assert T.RandomApply([add_one, double], p=0.0)(image) is image
    picks = {T.RandomChoice([add_one, double], p=[0.5, 0.5])(image + 3).item() for _ in range(50)}
    assert picks == {4.0, 6.0}
    orders = {T.RandomOrder([add_one, double])(image).item() for _ in range(50)}
    assert orders == {1.0, 2.0}  # (0 + 1) * 2 or 0 * 2 + 1
    with pytest.raises(TypeError, match="sequence"):
        T.RandomOrder(add_one)
    with pytest.raises(TypeError, match="sequence of weights"):
        T.RandomChoice([add_one], p=1.0)


def test_linear_transformation_is_a_matrix_product_of_the_flattened_centred_images():
    generator = torch.Generator().manual_seed(0)
    matrix, mean = torch.randn(12, 12, generator=generator), torch.randn(12, generator=generator)
    batch = torch.randn(2, 3, 2, 2, generator=generator)
    result = T.LinearTransformation(matrix, mean)(batch)
    for image, out in zip(batch, result, strict=True):
        expected = (image.flatten() - mean) @ matrix
        torch.testing.assert_close(out.flatten(), expected)
    with pytest.raises(ValueError, match="square"):
        T.LinearTransformation(torch.zeros(3, 4), torch.zeros(3))
    with pytest.raises(ValueError, match="12 values per image"):
        T.LinearTransformation(torch.zeros(4, 4), torch.zeros(4))(batch)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: T.RandomRotation([1, 2, 3]), ValueError, "degrees must be a sequence of length 2"),
        (lambda: T.RandomRotation(3, center=5), TypeError, "center must be a sequence"),
        (lambda: T.RandomAffine(3, translate=0.1), TypeError, "translate must be a sequence"),
        (lambda: T.RandomAffine(3, shear=[1, 2, 3]), ValueError, "shear must be a sequence of"),
        (lambda: T.ColorJitter(contrast="x"), TypeError, "contrast must be a number or"),
        (lambda: T.RandomResizedCrop(8, scale=0.5), TypeError, "scale must be a sequence"),
        (lambda: T.Pad({1}), TypeError, "padding must be an int"),
        (lambda: T.Pad([1, 2, 3]), ValueError, "sequence of 1, 2"),
        (lambda: T.RandomErasing(value="zeros"), ValueError, "'random'"),
        (lambda: T.RandomErasing(scale=(0.5, 1.5)), ValueError, r"scale must lie in \[0, 1\]"),
        (lambda: T.RandomPerspective(1.5), ValueError, "distortion_scale"),
        (lambda: T.Resize(2.5), TypeError, "size must be an int or a sequence"),
    ],
)
def test_constructor_errors_name_the_argument(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_reversed_ranges_warn_as_in_torchvision():
    with pytest.warns(UserWarning, match=r"\(min, max\)"):
        T.RandomResizedCrop(8, scale=(0.9, 0.1))
    with pytest.warns(UserWarning, match=r"\(min, max\)"):
        T.RandomErasing(ratio=(3.0, 0.3))


def test_transforms_are_modules_that_nest_in_sequential():
    image = torch.arange(2.0 * 6 * 6).reshape(2, 6, 6)
    pipeline = torch.nn.Sequential(T.CenterCrop(2), T.Normalize((1.0, 2.0), (2.0, 4.0)))
    expected = (image[:, 2:4, 2:4] - torch.tensor([1.0, 2.0])[:, None, None]) / torch.tensor(
        [2.0, 4.0]
    )[:, None, None]
    assert pipeline(image).equal(expected)
    assert T.Pad(1).forward(image).equal(T.Pad(1)(image))
    assert isinstance(T.ToTensor(), torch.nn.Module)
