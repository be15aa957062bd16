"""vdata's v2 augmentations (RandomErasing, MixUp, CutMix, JPEG), key point utilities and
auto-augment policies against torchvision's: the same seed gives the same output on the same
sample."""

import warnings

import numpy as np
import PIL.Image
import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours_tv
from vdata.transforms.v2 import _augment as ours_aug
from vdata.transforms.v2 import _auto_augment as ours_auto
from vdata.transforms.v2 import _keypoint_meta as ours_meta

theirs = pytest.importorskip("torchvision.transforms.v2")
tv = pytest.importorskip("torchvision.tv_tensors")
TF = theirs.functional

_GEN = torch.Generator().manual_seed(0)
UINT8 = torch.randint(0, 256, (3, 20, 28), dtype=torch.uint8, generator=_GEN)
SQUARE = torch.randint(0, 256, (3, 24, 24), dtype=torch.uint8, generator=_GEN)
GREY = torch.randint(0, 256, (1, 20, 28), dtype=torch.uint8, generator=_GEN)
FLOAT = torch.rand(3, 20, 28, generator=_GEN)
BATCH = torch.randint(0, 256, (4, 3, 12, 10), dtype=torch.uint8, generator=_GEN)
SEEDS = range(3)

OURS = {
    **{name: getattr(ours_aug, name) for name in ("RandomErasing", "MixUp", "CutMix", "JPEG")},
    **{name: getattr(ours_meta, name) for name in ("SanitizeKeyPoints", "SetClampingMode")},
    **{
        name: getattr(ours_auto, name)
        for name in ("AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix")
    },
}


def _pil(image):
    array = image.permute(1, 2, 0).numpy()
    return PIL.Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array)


def _as_tensor(value):
    if isinstance(value, PIL.Image.Image):
        return torch.from_numpy(np.array(value))
    return value.as_subclass(torch.Tensor)


def _run_both(name, kwargs, make_input, seed, their_kwargs=None):
    """Each library's transform on its own copy of the input, from the same seed; the random
    state afterwards must agree too (the same number of draws)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(seed)
        mine = OURS[name](**kwargs)(make_input(ours_tv))
        after_mine = torch.rand(1)
        torch.manual_seed(seed)
        theirs_kwargs = kwargs if their_kwargs is None else their_kwargs
        their = getattr(theirs, name)(**theirs_kwargs)(make_input(tv))
        after_theirs = torch.rand(1)
    assert torch.equal(after_mine, after_theirs), "the random draws diverged"
    return mine, their


def _detection_sample(lib, image):
    return {
        "image": lib.Image(image),
        "boxes": lib.BoundingBoxes(
            [[2.0, 3.0, 20.0, 15.0], [1.0, 1.0, 9.0, 8.0]], format="XYXY", canvas_size=(20, 28)
        ),
        "mask": lib.Mask(torch.zeros(2, 20, 28, dtype=torch.uint8)),
        "label": 3,
    }


IMAGES = {
    "uint8": lambda lib: lib.Image(UINT8),
    "float": lambda lib: lib.Image(FLOAT),
    "plain": lambda lib: UINT8.clone(),
    "grey": lambda lib: lib.Image(GREY),
    "video": lambda lib: lib.Video(UINT8.expand(2, 3, 20, 28).clone()),
    "pil": lambda lib: _pil(UINT8),
}


# --- RandomErasing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(p=1.0),
        dict(p=0.6, value="random"),
        dict(p=1.0, value=(10, 20, 30), scale=(0.2, 0.8), ratio=(0.5, 2.0)),
        dict(p=1.0, scale=(0.9, 1.0)),  # mostly too large: the ten tries fail
    ],
)
@pytest.mark.parametrize("image", ["uint8", "float", "plain", "pil", "video"])
def test_random_erasing_matches(kwargs, image):
    for seed in SEEDS:
        assert_same_typed(*_run_both("RandomErasing", kwargs, IMAGES[image], seed))


def test_random_erasing_detection_sample_matches():
    for seed in SEEDS:
        mine, their = _run_both(
            "RandomErasing", dict(p=1.0), lambda lib: _detection_sample(lib, UINT8), seed
        )
        assert_same_typed(mine, their)


def test_erase_functional_matches():
    v = torch.tensor([1.0, 2.0, 3.0])[:, None, None]
    for make in IMAGES.values():
        image_ours, image_theirs = make(ours_tv), make(tv)
        if _as_tensor(image_ours).ndim >= 3 and _as_tensor(image_ours).shape[-3] != 3:
            continue
        assert_same_typed(
            ours_aug.erase(image_ours, 2, 3, 5, 7, v), TF.erase(image_theirs, 2, 3, 5, 7, v)
        )


# --- MixUp, CutMix --------------------------------------------------------------------------

BATCHES = {
    "uint8": lambda lib: lib.Image(BATCH),
    "float": lambda lib: lib.Image(BATCH.float() / 255),
    "plain": lambda lib: BATCH.float(),
    "video": lambda lib: lib.Video(BATCH.float().reshape(2, 2, 3, 12, 10)),
}


@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
@pytest.mark.parametrize("batch", list(BATCHES))
@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_mixup_cutmix_match(name, batch, alpha):
    if name == "MixUp" and batch == "uint8":
        pytest.skip("torchvision's MixUp raises on uint8 batches (see the call errors)")
    size = 2 if batch == "video" else 4
    labels = torch.tensor([0, 3, 1, 2])[:size]
    for seed in SEEDS:
        sample = lambda lib: (BATCHES[batch](lib), labels)  # noqa: E731
        mine, their = _run_both(name, dict(alpha=alpha, num_classes=5), sample, seed)
        assert_same_typed(mine, their)


@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
def test_mixup_cutmix_probability_labels_in_dict_match(name):
    probabilities = torch.softmax(torch.rand(4, 6, generator=_GEN), dim=1)

    def sample(lib):
        return {"image": lib.Image(BATCH / 255), "labels": probabilities}

    for seed in SEEDS:
        assert_same_typed(*_run_both(name, {}, sample, seed))


# --- JPEG -----------------------------------------------------------------------------------

JPEG_INPUTS = {
    "uint8": lambda lib: lib.Image(UINT8),
    "grey": lambda lib: lib.Image(GREY),
    "batch": lambda lib: BATCH.clone(),
    "pil": lambda lib: _pil(UINT8),
}


@pytest.mark.parametrize("image", list(JPEG_INPUTS))
@pytest.mark.parametrize("quality", [5, (30, 95)])
def test_jpeg_matches_within_codec_tolerance(image, quality):
    # Ours encodes with PIL, torchvision with its own libjpeg binding: allow a level or two.
    for seed in SEEDS[:2]:
        mine, their = _run_both("JPEG", dict(quality=quality), JPEG_INPUTS[image], seed)
        assert_same_typed(mine, their, image_atol=2, atol=2)
        assert (_as_tensor(mine).double() - _as_tensor(their).double()).abs().mean() < 0.5


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torchvision's image codecs
@pytest.mark.parametrize(
    ("image", "error"),
    [(FLOAT, TypeError), (torch.zeros(4, 8, 8, dtype=torch.uint8), ValueError)],
)
def test_jpeg_refuses_what_torchvision_refuses(image, error):
    # torchvision's codec raises RuntimeError; ours says which argument is wrong.
    with pytest.raises(RuntimeError):
        theirs.JPEG(50)(tv.Image(image))
    with pytest.raises(error):
        ours_aug.JPEG(50)(ours_tv.Image(image))


# --- key points and clamping mode -----------------------------------------------------------

POINTS = torch.tensor([[1.0, 2.0], [30.0, 3.0], [5.0, -1.0], [27.9, 19.9], [0.0, 20.0]])
GROUPS = torch.tensor(
    [[[1.0, 1.0], [3.0, 4.0]], [[2.0, 2.0], [28.0, 5.0]], [[0.0, 0.0], [27.0, 19.0]]]
)


@pytest.mark.parametrize("points", [POINTS, GROUPS])
@pytest.mark.parametrize("labels_getter", [None, "default", lambda s: (s["labels"], s["ids"])])
def test_sanitize_keypoints_matches(points, labels_getter):
    def sample(lib):
        return {
            "image": lib.Image(UINT8),
            "points": lib.KeyPoints(points, canvas_size=(20, 28)),
            "labels": torch.arange(len(points)),
            "ids": torch.arange(len(points)) * 10,
        }

    assert_same_typed(*_run_both("SanitizeKeyPoints", dict(labels_getter=labels_getter), sample, 0))


def test_sanitize_keypoints_functional_matches():
    for points in (POINTS, GROUPS):
        mine = ours_meta.sanitize_keypoints(ours_tv.KeyPoints(points, canvas_size=(20, 28)))
        their = TF.sanitize_keypoints(tv.KeyPoints(points, canvas_size=(20, 28)))
        assert_same_typed(mine, their)
        mine = ours_meta.sanitize_keypoints(points, canvas_size=(20, 28))
        assert_same_typed(mine, TF.sanitize_keypoints(points, canvas_size=(20, 28)))


@pytest.mark.parametrize("mode", ["soft", "hard", None])
def test_set_clamping_mode_matches(mode):
    mine, their = _run_both(
        "SetClampingMode", dict(clamping_mode=mode), lambda lib: _detection_sample(lib, UINT8), 0
    )
    assert_same_typed(mine, their)


# --- auto-augment policies ------------------------------------------------------------------

POLICIES = [
    *[
        (
            "AutoAugment",
            dict(policy=ours_auto.AutoAugmentPolicy(p)),
            dict(policy=theirs.AutoAugmentPolicy(p)),
        )
        for p in ("imagenet", "cifar10", "svhn")
    ],
    (
        "AutoAugment",
        dict(policy=ours_auto.AutoAugmentPolicy.SVHN, fill=100),
        dict(policy=theirs.AutoAugmentPolicy.SVHN, fill=100),
    ),
    ("RandAugment", {}, None),
    (
        "RandAugment",
        dict(num_ops=4, magnitude=20, interpolation="bilinear", fill=[10, 20, 30]),
        None,
    ),
    ("TrivialAugmentWide", {}, None),
    ("TrivialAugmentWide", dict(num_magnitude_bins=11, fill=128), None),
    ("TrivialAugmentWide", dict(interpolation="bilinear", fill=7), None),
    ("AugMix", {}, None),
    ("AugMix", dict(severity=7, mixture_width=2, chain_depth=2, alpha=0.5, all_ops=False), None),
    ("AugMix", dict(interpolation="nearest", fill=50), None),
]
POLICY_IMAGES = {
    **{key: IMAGES[key] for key in ("uint8", "float", "plain", "video", "pil")},
    "square": lambda lib: lib.Image(SQUARE),  # rotations by 90 degrees take the exact path
}


@pytest.mark.parametrize(("name", "kwargs", "their_kwargs"), POLICIES)
@pytest.mark.parametrize("image", list(POLICY_IMAGES))
def test_policies_match(name, kwargs, their_kwargs, image):
    for seed in SEEDS:
        mine, their = _run_both(name, kwargs, POLICY_IMAGES[image], seed, their_kwargs)
        assert_same_typed(mine, their)


@pytest.mark.parametrize("name", ["AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"])
def test_policies_keep_the_rest_of_a_sample(name):
    def sample(lib):
        return {"image": lib.Image(UINT8), "label": torch.tensor(3), "name": "x"}

    for seed in SEEDS:
        assert_same_typed(*_run_both(name, {}, sample, seed))


def test_policy_fill_by_type_matches():
    # An exact-type lookup: AugMix's chains see plain tensors, so an Image key is not used.
    for name in ("TrivialAugmentWide", "AugMix"):
        for seed in SEEDS:
            mine, their = _run_both(
                name,
                dict(fill={ours_tv.Image: 200, "others": 30}),
                lambda lib: lib.Image(UINT8),
                seed,
                dict(fill={tv.Image: 200, "others": 30}),
            )
            assert_same_typed(mine, their)


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    ("RandomErasing", dict(value="noise")),
    ("RandomErasing", dict(value=object())),
    ("RandomErasing", dict(scale=(-0.1, 0.5))),
    ("RandomErasing", dict(scale=0.5)),
    ("RandomErasing", dict(p=1.5)),
    ("JPEG", dict(quality=0)),
    ("JPEG", dict(quality=True)),
    ("JPEG", dict(quality=(1, 2, 3))),
    ("JPEG", dict(quality=(50, 20))),
    ("SetClampingMode", dict(clamping_mode="auto")),
    ("SanitizeKeyPoints", dict(labels_getter="labels")),
    ("MixUp", dict(labels_getter=3)),
    ("RandAugment", dict(num_ops=-1)),
    ("AugMix", dict(severity=11)),
    ("TrivialAugmentWide", dict(fill="white")),
]


@pytest.mark.parametrize(("name", "kwargs"), ERRORS)
def test_argument_errors_match(name, kwargs):
    with pytest.raises(Exception) as their_error:
        getattr(theirs, name)(**kwargs)
    with pytest.raises(their_error.type):
        OURS[name](**kwargs)


CALL_ERRORS = [
    ("AutoAugment", {}, lambda lib: _detection_sample(lib, UINT8)),
    ("RandAugment", {}, lambda lib: {"points": lib.KeyPoints(POINTS, canvas_size=(20, 28))}),
    ("AugMix", {}, lambda lib: (lib.Image(UINT8), lib.Image(UINT8))),
    ("RandAugment", dict(interpolation="bicubic", num_ops=30), lambda lib: lib.Image(UINT8)),
    ("MixUp", dict(num_classes=5), lambda lib: (lib.Image(BATCH), torch.tensor([0, 1]))),
    ("MixUp", {}, lambda lib: (lib.Image(BATCH), torch.tensor([0, 1, 2, 3]))),
    # In-place float blending of a uint8 batch: torchvision raises a RuntimeError.
    ("MixUp", dict(num_classes=5), lambda lib: (lib.Image(BATCH), torch.tensor([0, 1, 2, 3]))),
    ("CutMix", dict(num_classes=5), lambda lib: (lib.Image(UINT8), torch.tensor([0, 1, 2]))),
    ("CutMix", dict(num_classes=5), lambda lib: (_detection_sample(lib, BATCH), torch.zeros(4))),
    ("CutMix", dict(num_classes=3), lambda lib: (lib.Image(BATCH), torch.zeros(4, 5))),
    ("RandomErasing", dict(p=1.0, value=(1, 2)), lambda lib: lib.Image(UINT8)),
    ("SanitizeKeyPoints", {}, lambda lib: {"image": lib.Image(UINT8)}),
    (
        "SanitizeKeyPoints",
        dict(labels_getter="default"),
        lambda lib: {
            "points": lib.KeyPoints(POINTS, canvas_size=(20, 28)),
            "labels": torch.arange(3),
        },
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "make_input"), CALL_ERRORS)
def test_call_errors_match(name, kwargs, make_input):
    torch.manual_seed(0)
    with pytest.raises(Exception) as their_error:
        getattr(theirs, name)(**kwargs)(make_input(tv))
    torch.manual_seed(0)
    with pytest.raises(their_error.type):
        OURS[name](**kwargs)(make_input(ours_tv))
