"""vdata's v2 augmentations, key point utilities and auto-augment policies: behaviour against
references computed here, argument errors and seeded reproducibility."""

import PIL.Image
import pytest
import torch
from torch.nn.functional import one_hot

from vdata import tv_tensors
from vdata.transforms.v2._augment import JPEG, CutMix, MixUp, RandomErasing, erase, jpeg
from vdata.transforms.v2._auto_augment import (
    AugMix,
    AutoAugment,
    AutoAugmentPolicy,
    RandAugment,
    TrivialAugmentWide,
)
from vdata.transforms.v2._keypoint_meta import (
    SanitizeKeyPoints,
    SetClampingMode,
    sanitize_keypoints,
)

_GEN = torch.Generator().manual_seed(1)
IMAGE = torch.randint(0, 256, (3, 16, 20), dtype=torch.uint8, generator=_GEN)
BATCH = torch.rand(4, 3, 8, 10, generator=_GEN)
LABELS = torch.tensor([0, 2, 1, 2])


def _boxes():
    return tv_tensors.BoundingBoxes([[1, 2, 8, 9]], format="XYXY", canvas_size=(16, 20))


def _fixed_lambda(transform, lam):
    transform._draw_lambda = lambda: lam
    return transform


# --- RandomErasing, erase -------------------------------------------------------------------


def test_random_erasing_erases_one_rectangle_of_the_value():
    torch.manual_seed(0)
    out = RandomErasing(p=1.0, value=7.0, scale=(0.1, 0.3))(torch.zeros(3, 16, 20))
    rows, cols = torch.nonzero(out[0] == 7, as_tuple=True)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    expected = torch.zeros(3, 16, 20)
    expected[:, top:bottom, left:right] = 7
    assert torch.equal(out, expected)
    area = (bottom - top) * (right - left) / (16 * 20)
    assert 0.05 < area < 0.4  # the scale range, up to the rounding of the sides


def test_random_erasing_per_channel_value_and_noise():
    torch.manual_seed(3)
    out = RandomErasing(p=1.0, value=(1, 2, 3))(torch.zeros(3, 16, 20))
    assert set(out.unique().tolist()) == {0.0, 1.0, 2.0, 3.0}
    assert out[1].max() == 2 and out[2].max() == 3
    torch.manual_seed(3)
    noisy = RandomErasing(p=1.0, value="random")(torch.zeros(3, 16, 20))
    assert (noisy != 0).sum() == (out != 0).sum()  # the same rectangle, filled with noise


def test_random_erasing_p_zero_and_passthrough():
    image = tv_tensors.Image(IMAGE)
    assert RandomErasing(p=0.0)(image) is image
    sample = {"image": image, "mask": tv_tensors.Mask(torch.ones(16, 20)), "boxes": _boxes()}
    with pytest.warns(UserWarning, match="passing through"):
        out = RandomErasing(p=1.0)(sample)
    assert out["mask"] is sample["mask"] and out["boxes"] is sample["boxes"]
    assert isinstance(out["image"], tv_tensors.Image)


def test_erase_functional_types_and_inplace():
    image = tv_tensors.Image(torch.ones(3, 4, 5))
    v = torch.zeros(3, 1, 1)
    out = erase(image, 1, 2, 2, 2, v)
    assert isinstance(out, tv_tensors.Image) and out.sum() == 60 - 12 and image.sum() == 60
    erase(image, 0, 0, 1, 1, v, inplace=True)
    assert image.sum() == 57
    pil = erase(PIL.Image.new("RGB", (5, 4), (9, 9, 9)), 0, 0, 2, 2, v)
    assert isinstance(pil, PIL.Image.Image) and pil.getpixel((0, 0)) == (0, 0, 0)
    with pytest.raises(TypeError):
        erase(tv_tensors.Mask(torch.ones(4, 5)), 0, 0, 1, 1, v)


@pytest.mark.parametrize(
    "kwargs",
    [dict(value="noise"), dict(value=None), dict(scale=(0.5, 1.5)), dict(scale=0.2), dict(p=2)],
)
def test_random_erasing_argument_errors(kwargs):
    with pytest.raises((TypeError, ValueError)):
        RandomErasing(**kwargs)


def test_random_erasing_value_per_channel_checked_on_call():
    with pytest.raises(ValueError, match="single value"):
        RandomErasing(p=1.0, value=(1, 2))(torch.zeros(3, 8, 8))


# --- MixUp, CutMix --------------------------------------------------------------------------


def test_mixup_with_known_lambda():
    images, labels = _fixed_lambda(MixUp(num_classes=3), 0.3)(tv_tensors.Image(BATCH), LABELS)
    assert isinstance(images, tv_tensors.Image)
    torch.testing.assert_close(
        images.as_subclass(torch.Tensor), 0.3 * BATCH + 0.7 * BATCH.roll(1, 0)
    )
    hot = one_hot(LABELS, 3).float()
    torch.testing.assert_close(labels, 0.3 * hot + 0.7 * hot.roll(1, 0))


def test_mixup_probability_labels_and_dict_sample():
    probabilities = torch.softmax(torch.rand(4, 5, generator=_GEN), dim=1)
    sample = {"pixels": BATCH, "labels": probabilities, "id": 7}
    out = _fixed_lambda(MixUp(), 0.8)(sample)
    expected = 0.8 * probabilities + 0.2 * probabilities.roll(1, 0)
    torch.testing.assert_close(out["labels"], expected)
    torch.testing.assert_close(out["pixels"], 0.8 * BATCH + 0.2 * BATCH.roll(1, 0))
    assert out["id"] == 7


def test_cutmix_box_area_sets_the_label_weights():
    # Sample k is constant k + 1, so the pasted box shows up as sample k - 1's value.
    batch = torch.arange(1, 5, dtype=torch.float32).reshape(4, 1, 1, 1).expand(4, 3, 8, 10)
    torch.manual_seed(5)
    images, labels = CutMix(num_classes=4)(batch.clone(), torch.arange(4))
    pasted = images[:, 0] != batch[:, 0]
    area = int(pasted[0].sum())
    assert 0 < area < 80 and all(int(p.sum()) == area for p in pasted)
    assert torch.equal(images[pasted.unsqueeze(1).expand_as(images)].unique(), torch.arange(1.0, 5))
    rows, cols = torch.nonzero(pasted[0], as_tuple=True)
    assert (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) == area  # a box
    lam = 1 - area / 80
    hot = torch.eye(4)
    torch.testing.assert_close(labels, lam * hot + (1 - lam) * hot.roll(1, 0))


def test_mixup_cutmix_reproducible():
    for transform in (MixUp(num_classes=3, alpha=0.4), CutMix(num_classes=3, alpha=0.4)):
        outs = []
        for _ in range(2):
            torch.manual_seed(11)
            outs.append(transform(BATCH, LABELS))
        assert torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ((BATCH, torch.tensor([0, 1])), "batch size"),
        ((BATCH[0], LABELS), "batched input"),
        ((BATCH, LABELS[None]), "1D"),
        ((BATCH, torch.zeros(4, 2, 2)), "index based"),
        (({"image": BATCH, "labels": [0, 1, 2, 3]}), "must be a tensor"),
        (({"image": tv_tensors.Image(BATCH), "boxes": _boxes(), "labels": LABELS}), "boxes"),
    ],
)
def test_mixup_cutmix_call_errors(sample, message):
    num_classes = None if message == "1D" else 3
    for transform in (MixUp(num_classes=num_classes), CutMix(num_classes=num_classes)):
        if message == "1D":
            sample = (BATCH, LABELS)
        with pytest.raises(ValueError, match=message):
            transform(*sample) if isinstance(sample, tuple) else transform(sample)


def test_mixup_checks_label_width_and_getter():
    with pytest.raises(ValueError, match="num_classes"):
        MixUp(num_classes=3)(BATCH, torch.zeros(4, 5))
    with pytest.raises(ValueError, match="labels_getter"):
        CutMix(labels_getter="labels")


# --- JPEG -----------------------------------------------------------------------------------


def test_jpeg_roundtrip_close_at_high_quality_and_draws_quality():
    smooth = torch.linspace(0, 255, 20).to(torch.uint8).expand(3, 16, 20).contiguous()
    out = JPEG(95)(tv_tensors.Image(smooth))
    assert isinstance(out, tv_tensors.Image) and out.dtype == torch.uint8
    assert (out.int() - smooth.int()).abs().max() <= 8
    batch = jpeg(torch.stack([smooth, smooth]), quality=50)
    assert batch.shape == (2, 3, 16, 20) and torch.equal(batch[0], batch[1])
    torch.manual_seed(2)
    drawn = {JPEG((10, 12)).make_params([])["quality"] for _ in range(30)}
    assert drawn == {10, 11, 12}


@pytest.mark.parametrize("quality", [0, 101, True, (5,), (60, 50), 50.0])
def test_jpeg_argument_errors(quality):
    with pytest.raises((TypeError, ValueError)):
        JPEG(quality)


def test_jpeg_refuses_float_and_passes_masks_through():
    with pytest.raises(TypeError, match="uint8"):
        jpeg(torch.rand(3, 8, 8), 50)
    mask = tv_tensors.Mask(torch.ones(8, 8, dtype=torch.uint8))
    assert JPEG(50)({"image": tv_tensors.Image(IMAGE), "mask": mask})["mask"] is mask


# --- SanitizeKeyPoints, SetClampingMode -----------------------------------------------------


def test_sanitize_keypoints_drops_outside_points_with_labels():
    points = tv_tensors.KeyPoints(
        [[0, 0], [19.5, 15.5], [20, 3], [4, -0.1], [3, 16]], canvas_size=(16, 20)
    )
    sample = {"points": points, "labels": torch.arange(5), "other": torch.arange(5)}
    out = SanitizeKeyPoints(labels_getter="default")(sample)
    assert isinstance(out["points"], tv_tensors.KeyPoints) and out["points"].canvas_size == (16, 20)
    assert out["points"].tolist() == [[0, 0], [19.5, 15.5]]
    assert out["labels"].tolist() == [0, 1] and out["other"] is sample["other"]
    assert SanitizeKeyPoints()(sample)["labels"] is sample["labels"]


def test_sanitize_keypoints_drops_whole_groups():
    groups = torch.tensor([[[1.0, 1.0], [2.0, 2.0]], [[1.0, 1.0], [25.0, 2.0]]])
    kept, valid = sanitize_keypoints(groups, canvas_size=(16, 20))
    assert valid.tolist() == [True, False] and torch.equal(kept, groups[:1])
    typed, _ = sanitize_keypoints(tv_tensors.KeyPoints(groups, canvas_size=(16, 20)))
    assert isinstance(typed, tv_tensors.KeyPoints) and typed.shape == (1, 2, 2)


def test_sanitize_keypoints_errors():
    points = tv_tensors.KeyPoints([[1, 1]], canvas_size=(4, 4))
    with pytest.raises(ValueError, match="canvas_size cannot be None"):
        sanitize_keypoints(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="must be None"):
        sanitize_keypoints(points, canvas_size=(4, 4))
    with pytest.raises(ValueError, match="KeyPoints instance"):
        sanitize_keypoints(tv_tensors.Mask(torch.zeros(2, 2)))
    with pytest.raises(ValueError, match="No keypoints"):
        SanitizeKeyPoints()({"image": tv_tensors.Image(IMAGE)})
    with pytest.raises(ValueError, match="must match"):
        SanitizeKeyPoints(labels_getter="default")({"points": points, "labels": torch.arange(2)})
    with pytest.raises(ValueError, match="must be a tensor"):
        SanitizeKeyPoints(labels_getter=lambda s: [1])({"points": points})
    with pytest.raises(ValueError):
        SanitizeKeyPoints(labels_getter="labels")


@pytest.mark.parametrize("mode", ["soft", "hard", None])
def test_set_clamping_mode_sets_the_metadata(mode):
    boxes = tv_tensors.BoundingBoxes([[1, 2, 8, 9]], format="XYXY", canvas_size=(16, 20))
    out = SetClampingMode(mode)({"image": tv_tensors.Image(IMAGE), "boxes": boxes})
    assert out["boxes"].clamping_mode == mode and boxes.clamping_mode == "soft"
    assert torch.equal(out["boxes"].as_subclass(torch.Tensor), boxes.as_subclass(torch.Tensor))
    assert out["boxes"].format == boxes.format and out["boxes"].canvas_size == (16, 20)
    with pytest.raises(ValueError, match="clamping_mode"):
        SetClampingMode("auto")


# --- auto-augment policies ------------------------------------------------------------------

POLICIES = [
    AutoAugment(),
    AutoAugment(AutoAugmentPolicy.CIFAR10),
    AutoAugment("svhn"),
    RandAugment(),
    TrivialAugmentWide(),
    AugMix(),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: type(p).__name__)
def test_policies_refuse_boxes_masks_points(policy):
    image = tv_tensors.Image(IMAGE)
    others = [
        _boxes(),
        tv_tensors.Mask(torch.zeros(16, 20)),
        tv_tensors.KeyPoints([[1, 1]], canvas_size=(16, 20)),
    ]
    for other in others:
        with pytest.raises(TypeError, match="not supported"):
            policy({"image": image, "other": other})
    with pytest.raises(TypeError, match="single image"):
        policy(image, tv_tensors.Image(IMAGE))
    with pytest.raises(TypeError, match="no image"):
        policy({"label": 3})


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: type(p).__name__)
def test_policies_keep_type_size_and_other_items_and_are_reproducible(policy):
    for image in (tv_tensors.Image(IMAGE), IMAGE, tv_tensors.Video(IMAGE[None]), IMAGE / 255.0):
        sample = (image, torch.tensor(4), "name")
        torch.manual_seed(9)
        first = policy(sample)
        torch.manual_seed(9)
        second = policy(sample)
        assert type(first[0]) is type(image) and first[0].shape == image.shape
        assert first[0].dtype == image.dtype and first[1:] == sample[1:]
        assert torch.equal(first[0], second[0])
    pil = PIL.Image.fromarray(IMAGE.permute(1, 2, 0).numpy())
    out = policy(pil)
    assert isinstance(out, PIL.Image.Image) and out.size == pil.size and out.mode == "RGB"


def test_policies_change_images():
    changed = 0
    for seed in range(5):
        torch.manual_seed(seed)
        changed += not torch.equal(TrivialAugmentWide()(IMAGE), IMAGE)
    assert changed >= 3


def test_augmix_with_all_weight_on_the_original_returns_it():
    augmix = AugMix(mixture_width=1, chain_depth=1)
    augmix._dirichlet = lambda count, batch, device: torch.tensor([[1.0, 0.0]])[:, :count]
    assert torch.equal(augmix(IMAGE), IMAGE)


@pytest.mark.parametrize(
    ("factory", "error"),
    [
        (lambda: AutoAugment("mnist"), ValueError),
        (lambda: RandAugment(num_ops=-1), ValueError),
        (lambda: RandAugment(num_ops=1.5), ValueError),
        (lambda: AugMix(severity=0), ValueError),
        (lambda: TrivialAugmentWide(interpolation="cubic"), ValueError),
        (lambda: TrivialAugmentWide(fill="white"), TypeError),
        (lambda: RandAugment(fill={tv_tensors.Image: object()}), TypeError),
    ],
)
def test_policy_argument_errors(factory, error):
    with pytest.raises(error):
        factory()


def test_tensor_warps_need_nearest_or_bilinear():
    policy = RandAugment(num_ops=30, interpolation="bicubic")
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="unsupported with Tensor input"):
        policy(IMAGE)
