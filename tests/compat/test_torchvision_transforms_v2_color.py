"""vdata's v2 colour transforms and functionals against torchvision's: the same seed gives the
same output on the same sample."""

import numpy as np
import PIL.Image
import pytest
import torch

from vdata import tv_tensors as ours_tv
from vdata.transforms.v2 import _color as ours
from vdata.transforms.v2 import _color_functional as CF

theirs = pytest.importorskip("torchvision.transforms.v2")
tv = pytest.importorskip("torchvision.tv_tensors")
TF = theirs.functional

_GEN = torch.Generator().manual_seed(0)
UINT8 = torch.randint(0, 256, (3, 20, 28), dtype=torch.uint8, generator=_GEN)
FLOAT = torch.rand(3, 20, 28, generator=_GEN)
BATCH = torch.randint(0, 256, (2, 3, 20, 28), dtype=torch.uint8, generator=_GEN)


def _pil(image):
    return PIL.Image.fromarray(image.permute(1, 2, 0).numpy())


def _sample(lib, image):
    boxes = torch.tensor([[2.0, 3.0, 20.0, 15.0], [1.0, 1.0, 9.0, 8.0]])
    mask = torch.zeros(2, 20, 28, dtype=torch.uint8)
    mask[0, 3:15, 2:20] = 1
    return {
        "image": lib.Image(image),
        "boxes": lib.BoundingBoxes(boxes, format="XYXY", canvas_size=(20, 28)),
        "mask": lib.Mask(mask),
        "label": 3,
    }


def _assert_close(mine, their):
    if isinstance(their, PIL.Image.Image):
        assert isinstance(mine, PIL.Image.Image) and mine.mode == their.mode
        mine, their = torch.from_numpy(np.array(mine)), torch.from_numpy(np.array(their))
    assert mine.dtype == their.dtype and mine.shape == their.shape
    torch.testing.assert_close(
        mine.as_subclass(torch.Tensor), their.as_subclass(torch.Tensor), atol=1e-6, rtol=0
    )


TRANSFORMS = [
    ("ColorJitter", dict(brightness=0.4, contrast=0.5, saturation=(0.2, 1.8), hue=0.3)),
    ("ColorJitter", dict(brightness=(0.5, 0.9), hue=(-0.5, -0.1))),
    ("RandomPhotometricDistort", {}),
    ("RandomPhotometricDistort", dict(p=1.0)),
    ("Grayscale", dict(num_output_channels=3)),
    ("Grayscale", {}),
    ("RandomGrayscale", dict(p=0.5)),
    ("RandomChannelPermutation", {}),
    ("RandomEqualize", {}),
    ("RandomPosterize", dict(bits=3)),
    ("RandomSolarize", dict(threshold=0.4)),
    ("RandomAutocontrast", {}),
    ("RandomInvert", {}),
    ("RandomAdjustSharpness", dict(sharpness_factor=2.5)),
    ("GaussianBlur", dict(kernel_size=(5, 3))),
    ("GaussianBlur", dict(kernel_size=7, sigma=1.2)),
    ("GaussianNoise", dict(sigma=0.2)),
    ("Normalize", dict(mean=[0.4, 0.5, 0.6], std=[0.2, 0.3, 0.25])),
]


def _inputs(name, kwargs):
    images = [FLOAT] if name == "Normalize" else [UINT8, FLOAT]
    if name == "RandomSolarize":  # a float threshold fits float images only
        images = [FLOAT, FLOAT * 0.5]
    yield from images


def _run(transform, sample, seed):
    torch.manual_seed(seed)
    return transform(sample)


@pytest.mark.parametrize(("name", "kwargs"), TRANSFORMS)
def test_transform_matches_torchvision(name, kwargs):
    mine, their = getattr(ours, name)(**kwargs), getattr(theirs, name)(**kwargs)
    for image in _inputs(name, kwargs):
        for seed in range(3):
            _assert_close(_run(mine, image.clone(), seed), _run(their, image.clone(), seed))
            mine_out = _run(mine, _sample(ours_tv, image.clone()), seed)
            their_out = _run(their, _sample(tv, image.clone()), seed)
            assert type(mine_out["image"]) is ours_tv.Image
            _assert_close(mine_out["image"], their_out["image"])
            for key in ("boxes", "mask"):
                assert type(mine_out[key]) is type(_sample(ours_tv, image)[key])
                _assert_close(mine_out[key], their_out[key])
            assert mine_out["label"] == 3


@pytest.mark.parametrize(
    ("name", "kwargs"), [t for t in TRANSFORMS if t[0] not in ("Normalize", "GaussianNoise")]
)
def test_transform_matches_torchvision_on_pil(name, kwargs):
    if name == "RandomSolarize":
        kwargs = dict(threshold=100)
    mine, their = getattr(ours, name)(**kwargs), getattr(theirs, name)(**kwargs)
    for seed in range(3):
        _assert_close(_run(mine, _pil(UINT8), seed), _run(their, _pil(UINT8), seed))


FUNCTIONALS = [
    ("adjust_brightness", dict(brightness_factor=1.7)),
    ("adjust_contrast", dict(contrast_factor=1.37)),
    ("adjust_saturation", dict(saturation_factor=1.37)),
    ("adjust_hue", dict(hue_factor=0.23)),
    ("adjust_hue", dict(hue_factor=-0.41)),
    ("adjust_gamma", dict(gamma=0.7)),
    ("adjust_gamma", dict(gamma=1.6, gain=1.2)),
    ("adjust_sharpness", dict(sharpness_factor=1.7)),
    ("adjust_sharpness", dict(sharpness_factor=0.3)),
    ("rgb_to_grayscale", dict(num_output_channels=3)),
    ("rgb_to_grayscale", {}),
    ("grayscale_to_rgb", {}),
    ("permute_channels", dict(permutation=[2, 0, 1])),
    ("equalize", {}),
    ("posterize", dict(bits=2)),
    ("solarize", dict(threshold=0.5)),
    ("autocontrast", {}),
    ("invert", {}),
    ("gaussian_blur", dict(kernel_size=[5, 3], sigma=[1.3, 0.7])),
    ("gaussian_blur", dict(kernel_size=3)),
]


@pytest.mark.parametrize(("name", "kwargs"), FUNCTIONALS)
@pytest.mark.parametrize("image", [UINT8, FLOAT, BATCH, UINT8[:1]], ids=["u8", "f32", "b", "g"])
def test_functional_matches_torchvision(name, kwargs, image):
    if name == "solarize" and not image.is_floating_point():
        kwargs = dict(threshold=128)
    if name == "permute_channels" and image.shape[-3] == 1:
        kwargs = dict(permutation=[0])
    _assert_close(getattr(CF, name)(image, **kwargs), getattr(TF, name)(image, **kwargs))
    mine = getattr(CF, name)(ours_tv.Image(image), **kwargs)
    assert type(mine) is ours_tv.Image
    _assert_close(mine, getattr(TF, name)(tv.Image(image), **kwargs))


@pytest.mark.parametrize(("name", "kwargs"), FUNCTIONALS)
def test_functional_matches_torchvision_on_pil(name, kwargs):
    if name == "solarize":
        kwargs = dict(threshold=128)
    _assert_close(
        getattr(CF, name)(_pil(UINT8), **kwargs), getattr(TF, name)(_pil(UINT8), **kwargs)
    )


@pytest.mark.parametrize("image", [UINT8, FLOAT], ids=["u8", "f32"])
def test_gaussian_noise_and_normalize_functionals(image):
    for seed, clip in ((0, True), (1, False)):
        torch.manual_seed(seed)
        mine = CF.gaussian_noise(image, mean=0.1, sigma=0.3, clip=clip)
        torch.manual_seed(seed)
        _assert_close(mine, TF.gaussian_noise(image, mean=0.1, sigma=0.3, clip=clip))
    if image.is_floating_point():
        args = ([0.1, 0.2, 0.3], [0.5, 0.6, 0.7])
        _assert_close(CF.normalize(image, *args), TF.normalize(image, *args))


@pytest.mark.parametrize("name", ["posterize", "equalize", "invert"])
def test_other_dtypes_match_torchvision(name):
    kwargs = dict(bits=3) if name == "posterize" else {}
    image = torch.randint(0, 127, (3, 6, 7), dtype=torch.int8, generator=_GEN)
    if name != "equalize":
        _assert_close(getattr(CF, name)(image, **kwargs), getattr(TF, name)(image, **kwargs))
    _assert_close(
        getattr(CF, name)(FLOAT.double(), **kwargs), getattr(TF, name)(FLOAT.double(), **kwargs)
    )
