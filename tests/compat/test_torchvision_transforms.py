"""vdata.transforms against torchvision.transforms, whose numerics they follow: PIL paths agree
exactly, tensor paths within float rounding (nearest-neighbour warps may pick the other
neighbour at exact ties), and seeded random transforms draw the same parameters."""

import numpy as np
import pytest
import torch
from PIL import Image

import vdata.transforms as T
import vdata.transforms.functional as F

torchvision = pytest.importorskip("torchvision")
import torchvision.transforms as tvT  # noqa: E402
import torchvision.transforms.functional as tvF  # noqa: E402
from torchvision.transforms import InterpolationMode  # noqa: E402

MODES = {
    "nearest": InterpolationMode.NEAREST,
    "bilinear": InterpolationMode.BILINEAR,
    "bicubic": InterpolationMode.BICUBIC,
    "lanczos": InterpolationMode.LANCZOS,
}


def noise_image(height: int = 19, width: int = 26, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def pixels(image) -> torch.Tensor:
    return F.pil_to_tensor(image) if isinstance(image, Image.Image) else image


# (name, vdata call, torchvision call); both get the same image.
OPS = [
    ("resize_bilinear", lambda f, x: f.resize(x, 11), lambda x: tvF.resize(x, 11)),
    (
        "resize_bicubic_up",
        lambda f, x: f.resize(x, (40, 37), "bicubic"),
        lambda x: tvF.resize(x, [40, 37], MODES["bicubic"]),
    ),
    (
        "resize_nearest",
        lambda f, x: f.resize(x, (7, 30), "nearest"),
        lambda x: tvF.resize(x, [7, 30], MODES["nearest"]),
    ),
    (
        "resize_max_size",
        lambda f, x: f.resize(x, 12, max_size=14),
        lambda x: tvF.resize(x, 12, max_size=14),
    ),
    ("crop_outside", lambda f, x: f.crop(x, -3, 20, 10, 9), lambda x: tvF.crop(x, -3, 20, 10, 9)),
    ("center_crop", lambda f, x: f.center_crop(x, (8, 13)), lambda x: tvF.center_crop(x, [8, 13])),
    (
        "center_crop_larger",
        lambda f, x: f.center_crop(x, (22, 27)),
        lambda x: tvF.center_crop(x, [22, 27]),
    ),
    (
        "resized_crop",
        lambda f, x: f.resized_crop(x, 2, 3, 10, 12, (6, 9)),
        lambda x: tvF.resized_crop(x, 2, 3, 10, 12, [6, 9]),
    ),
    ("hflip", lambda f, x: f.hflip(x), tvF.hflip),
    ("vflip", lambda f, x: f.vflip(x), tvF.vflip),
    *[
        (
            f"pad_{mode}",
            lambda f, x, m=mode: f.pad(x, (1, 4, 3, 2), padding_mode=m),
            lambda x, m=mode: tvF.pad(x, [1, 4, 3, 2], padding_mode=m),
        )
        for mode in ("constant", "edge", "reflect", "symmetric")
    ],
    (
        "rotate_bilinear",
        lambda f, x: f.rotate(x, 23.0, "bilinear"),
        lambda x: tvF.rotate(x, 23.0, MODES["bilinear"]),
    ),
    (
        "rotate_expand_center",
        lambda f, x: f.rotate(x, -41.0, "bilinear", expand=True, center=(5, 7)),
        lambda x: tvF.rotate(x, -41.0, MODES["bilinear"], expand=True, center=[5, 7]),
    ),
    (
        "affine_bilinear",
        lambda f, x: f.affine(x, 15.0, (2, -3), 0.9, (8.0, -4.0), "bilinear"),
        lambda x: tvF.affine(x, 15.0, [2, -3], 0.9, [8.0, -4.0], MODES["bilinear"]),
    ),
    (
        "affine_center",
        lambda f, x: f.affine(x, -30.0, (0, 1), 1.3, 0.0, "bilinear", center=(4, 9)),
        lambda x: tvF.affine(x, -30.0, [0, 1], 1.3, [0.0], MODES["bilinear"], center=[4, 9]),
    ),
    (
        "brightness",
        lambda f, x: f.adjust_brightness(x, 1.6),
        lambda x: tvF.adjust_brightness(x, 1.6),
    ),
    ("contrast", lambda f, x: f.adjust_contrast(x, 0.4), lambda x: tvF.adjust_contrast(x, 0.4)),
    (
        "saturation",
        lambda f, x: f.adjust_saturation(x, 1.8),
        lambda x: tvF.adjust_saturation(x, 1.8),
    ),
    ("hue", lambda f, x: f.adjust_hue(x, -0.27), lambda x: tvF.adjust_hue(x, -0.27)),
    ("grayscale", lambda f, x: f.rgb_to_grayscale(x, 3), lambda x: tvF.rgb_to_grayscale(x, 3)),
]
NEAREST_WARPS = [
    ("rotate_nearest", lambda f, x: f.rotate(x, 31.0), lambda x: tvF.rotate(x, 31.0)),
    (
        "rotate_nearest_expand",
        lambda f, x: f.rotate(x, 31.0, expand=True, fill=(9, 8, 7)),
        lambda x: tvF.rotate(x, 31.0, expand=True, fill=[9, 8, 7]),
    ),
    (
        "affine_nearest",
        lambda f, x: f.affine(x, 12.0, (1, 2), 1.1, (3.0, 2.0), fill=5),
        lambda x: tvF.affine(x, 12.0, [1, 2], 1.1, [3.0, 2.0], fill=[5.0]),
    ),
]


@pytest.mark.parametrize(
    ("name", "ours", "theirs"), OPS + NEAREST_WARPS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_pil_results_equal_torchvision(name, ours, theirs):
    image = noise_image()
    result, expected = ours(F, image), theirs(image)
    assert result.mode == expected.mode and result.size == expected.size
    assert np.array_equal(np.asarray(result), np.asarray(expected))


@pytest.mark.parametrize(
    ("name", "ours", "theirs"), OPS, ids=lambda v: v if isinstance(v, str) else ""
)
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_tensor_results_match_torchvision(name, ours, theirs, dtype):
    image = F.convert_image_dtype(F.pil_to_tensor(noise_image()), dtype)
    batch = torch.stack([image, image.flip(-1)])
    result, expected = ours(F, batch), theirs(batch)
    assert result.dtype == expected.dtype
    # uint8: one step of rounding; float: float32 rounding, a little more through HSV
    torch.testing.assert_close(result, expected, atol=1 if dtype == torch.uint8 else 1e-5, rtol=0)


@pytest.mark.parametrize(
    ("name", "ours", "theirs"), NEAREST_WARPS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_tensor_nearest_warps_match_torchvision_but_for_ties(name, ours, theirs):
    image = F.pil_to_tensor(noise_image())
    result, expected = ours(F, image), theirs(image)
    assert result.shape == expected.shape
    assert (result != expected).any(dim=0).float().mean() < 0.01


def test_rotate_by_quarter_turns_keeps_torchvision_shape_where_it_is_right():
    image = F.pil_to_tensor(noise_image(6, 6))
    assert F.rotate(image, 90).equal(tvF.rotate(image, 90))
    assert F.rotate(image, 180).equal(tvF.rotate(image, 180))


@pytest.mark.parametrize("size", [3, (2, 4)])
def test_five_and_ten_crop_equal_torchvision(size):
    image = noise_image(7, 9)
    for ours, theirs in zip(F.ten_crop(image, size), tvF.ten_crop(image, size), strict=True):
        assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    tensor = F.pil_to_tensor(image)
    for ours, theirs in zip(F.five_crop(tensor, size), tvF.five_crop(tensor, size), strict=True):
        assert ours.equal(theirs)


@pytest.mark.parametrize("mode", ["RGB", "L", "I", "F", "1"])
def test_conversions_equal_torchvision(mode):
    image = noise_image().convert(mode)
    assert F.to_tensor(image).equal(tvF.to_tensor(image))
    assert F.pil_to_tensor(image).equal(tvF.pil_to_tensor(image))


def test_to_pil_image_and_dtype_conversions_equal_torchvision():
    floats = torch.rand(3, 5, 6, generator=torch.Generator().manual_seed(0))
    ours, theirs = F.to_pil_image(floats), tvF.to_pil_image(floats)
    assert np.array_equal(np.asarray(ours), np.asarray(theirs))
    as_bytes = F.pil_to_tensor(ours)
    for source, target in [(torch.uint8, torch.float32), (torch.uint8, torch.int32)]:
        values = F.convert_image_dtype(as_bytes, source)
        assert F.convert_image_dtype(values, target).equal(tvF.convert_image_dtype(values, target))
    wide = F.convert_image_dtype(as_bytes, torch.int32)
    assert F.convert_image_dtype(wide, torch.uint8).equal(
        tvF.convert_image_dtype(wide, torch.uint8)
    )
    assert F.convert_image_dtype(floats, torch.uint8).equal(
        tvF.convert_image_dtype(floats, torch.uint8)
    )
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.3, 0.1)
    assert F.normalize(floats, mean, std).equal(tvF.normalize(floats, mean, std))


# --- seeded random transforms ------------------------------------------------------------------

SEEDED = [
    ("random_resized_crop", T.RandomResizedCrop(12), tvT.RandomResizedCrop(12)),
    (
        "random_resized_crop_narrow",
        T.RandomResizedCrop((9, 5), scale=(0.5, 0.9), ratio=(0.2, 0.5)),
        tvT.RandomResizedCrop((9, 5), scale=(0.5, 0.9), ratio=(0.2, 0.5)),
    ),
    (
        "random_crop",
        T.RandomCrop(22, padding=3, pad_if_needed=True, padding_mode="edge"),
        tvT.RandomCrop(22, padding=3, pad_if_needed=True, padding_mode="edge"),
    ),
    ("hflip", T.RandomHorizontalFlip(), tvT.RandomHorizontalFlip()),
    ("vflip", T.RandomVerticalFlip(), tvT.RandomVerticalFlip()),
    ("color_jitter", T.ColorJitter(0.4, 0.4, 0.4, 0.1), tvT.ColorJitter(0.4, 0.4, 0.4, 0.1)),
    ("random_grayscale", T.RandomGrayscale(0.5), tvT.RandomGrayscale(0.5)),
    (
        "random_rotation",
        T.RandomRotation(30, "bilinear", expand=True),
        tvT.RandomRotation(30, MODES["bilinear"], expand=True),
    ),
    (
        "random_affine",
        T.RandomAffine(20, (0.1, 0.2), (0.8, 1.2), (-5, 5, -3, 3)),
        tvT.RandomAffine(20, (0.1, 0.2), (0.8, 1.2), (-5, 5, -3, 3)),
    ),
]


@pytest.mark.parametrize(
    ("name", "ours", "theirs"), SEEDED, ids=lambda v: v if isinstance(v, str) else ""
)
def test_seeded_random_transforms_equal_torchvision_on_pil(name, ours, theirs):
    image = noise_image()
    for seed in range(8):
        torch.manual_seed(seed)
        result = ours(image)
        torch.manual_seed(seed)
        expected = theirs(image)
        assert np.array_equal(np.asarray(result), np.asarray(expected)), seed
