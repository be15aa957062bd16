"""The rest of torchvision's v2 surface in vdata: containers, Identity, Lambda,
LinearTransformation, UniformTemporalSubsample, the conversions, the type helpers and the
per-kind kernels, against hand-computed cases."""

import collections
import inspect
import itertools

import numpy as np
import PIL.Image
import pytest
import torch

from vdata import tv_tensors as tvt
from vdata.transforms import v2
from vdata.transforms.v2 import functional as F

IMAGE = torch.arange(3 * 4 * 6, dtype=torch.uint8).reshape(3, 4, 6)


def _recorder(log, name):
    def record(x):
        log.append(name)
        return x

    return record


# --- containers -----------------------------------------------------------------------------


def test_random_choice_normalises_p_and_draws_by_it():
    counts = collections.Counter()
    choice = v2.RandomChoice([lambda x: 0, lambda x: 1], p=[1, 3])
    assert choice.p == [0.25, 0.75]
    torch.manual_seed(0)
    for _ in range(2000):
        counts[choice(IMAGE)] += 1
    assert abs(counts[1] / 2000 - 0.75) < 0.04


def test_random_choice_never_picks_a_transform_of_probability_zero():
    choice = v2.RandomChoice([lambda x: "a", lambda x: "b", lambda x: "c"], p=[0, 2, 0])
    assert {choice(IMAGE) for _ in range(50)} == {"b"}


def test_random_choice_without_p_picks_each_equally_often():
    choice = v2.RandomChoice([lambda x: "a", lambda x: "b"])
    assert choice.p == [0.5, 0.5]
    torch.manual_seed(1)
    counts = collections.Counter(choice(IMAGE) for _ in range(1000))
    assert abs(counts["a"] / 1000 - 0.5) < 0.05


def test_random_order_applies_each_transform_once_in_every_order():
    log = []
    order = v2.RandomOrder([_recorder(log, name) for name in "abc"])
    seen = set()
    torch.manual_seed(0)
    for _ in range(200):
        log.clear()
        assert order(IMAGE) is IMAGE
        assert sorted(log) == ["a", "b", "c"]
        seen.add("".join(log))
    assert seen == {"".join(p) for p in itertools.permutations("abc")}


def test_random_apply_runs_all_in_turn_or_none():
    log = []
    transforms = [_recorder(log, "a"), _recorder(log, "b")]
    assert v2.RandomApply(transforms, p=1.0)(IMAGE) is IMAGE and log == ["a", "b"]
    log.clear()
    assert v2.RandomApply(transforms, p=0.0)(IMAGE) is IMAGE and log == []
    torch.manual_seed(0)
    applied = 0
    for _ in range(1000):
        log.clear()
        v2.RandomApply(transforms, p=0.3)(IMAGE)
        assert log in ([], ["a", "b"])
        applied += bool(log)
    assert abs(applied / 1000 - 0.3) < 0.05


def test_containers_pass_several_inputs_as_several_arguments():
    swap = v2.RandomApply([lambda a, b: (b, a)], p=1.0)
    assert swap(1, 2) == (2, 1)
    assert v2.RandomApply([lambda a, b: (b, a)], p=0.0)(1, 2) == (1, 2)
    assert v2.RandomChoice([lambda a, b: a + b])(1, 2) == 3
    assert v2.RandomOrder([lambda a, b: (b, a), lambda a, b: (a * 10, b)])(1, 2) in (
        (20, 1),
        (2, 10),
    )


def test_random_apply_registers_a_module_list():
    flips = torch.nn.ModuleList([v2.RandomHorizontalFlip(1.0)])
    apply = v2.RandomApply(flips, p=1.0)
    assert list(apply.children()) == [flips]
    assert torch.equal(apply(tvt.Image(IMAGE)), IMAGE.flip(-1))


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: v2.RandomApply(v2.Identity()), TypeError),
        (lambda: v2.RandomApply([]), ValueError),
        (lambda: v2.RandomApply([v2.Identity()], p=-0.1), ValueError),
        (lambda: v2.RandomChoice({v2.Identity()}), TypeError),
        (lambda: v2.RandomChoice([v2.Identity()], p=[1, 1]), ValueError),
        (lambda: v2.RandomOrder([]), ValueError),
    ],
)
def test_containers_refuse_bad_arguments(build, error):
    with pytest.raises(error):
        build()


# --- Identity, Lambda, LinearTransformation -------------------------------------------------


def test_identity_keeps_every_leaf():
    sample = {"image": tvt.Image(IMAGE), "id": 3, "name": "x"}
    out = v2.Identity()(sample)
    assert out == sample and out["image"] is sample["image"]


def test_lambda_applies_to_the_given_types_only():
    image, masks = tvt.Image(IMAGE), tvt.Mask(torch.zeros(2, 4, 6, dtype=torch.uint8))
    out = v2.Lambda(lambda x: x + 1, tvt.Mask)((image, masks))
    assert out[0] is image and torch.equal(out[1], masks + 1)


def test_lambda_without_types_sees_every_leaf_but_the_label_tensors():
    # With a typed image in the sample, plain tensors are not taken for images.
    labels = torch.tensor([1, 2])
    out = v2.Lambda(lambda x: "seen")((tvt.Image(IMAGE), {"labels": labels, "id": 7, "s": "a"}))
    assert out == ("seen", {"labels": labels, "id": "seen", "s": "seen"})


def test_lambda_repr_names_the_function_and_the_types():
    def double(x):
        return x * 2

    assert repr(v2.Lambda(double)) == "Lambda(double, types=['object'])"
    assert repr(v2.Lambda(double, tvt.Mask, int)) == "Lambda(double, types=['Mask', 'int'])"


def test_linear_transformation_centres_and_multiplies_the_flattened_image():
    # x = [1, 2, 3, 4] minus 1 is [0, 1, 2, 3]; M[i, 3 - i] = 2, so out[j] = 2 * x[3 - j].
    matrix = torch.zeros(4, 4)
    matrix[torch.arange(4), torch.arange(3, -1, -1)] = 2.0
    transform = v2.LinearTransformation(matrix, torch.ones(4))
    image = torch.tensor([[[1.0, 2.0], [3.0, 4.0]]])
    expected = torch.tensor([[[6.0, 4.0], [2.0, 0.0]]])
    assert torch.equal(transform(image), expected)
    out = transform(tvt.Video(torch.stack([image, image + 1])))  # [2, 1, 2, 2] frames
    assert isinstance(out, tvt.Video)
    assert torch.equal(out.as_subclass(torch.Tensor), torch.stack([expected, expected + 2]))


def test_linear_transformation_passes_masks_and_refuses_pil_and_wrong_sizes():
    transform = v2.LinearTransformation(torch.eye(4), torch.zeros(4))
    mask = tvt.Mask(torch.ones(1, 3, 3))
    image, out_mask = transform(tvt.Image(torch.ones(1, 2, 2)), mask)
    assert out_mask is mask and torch.equal(image, torch.ones(1, 2, 2))
    with pytest.raises(TypeError):
        transform(PIL.Image.new("L", (2, 2)))
    with pytest.raises(ValueError, match="9 values per image"):
        transform(tvt.Image(torch.ones(1, 3, 3)))
    with pytest.raises(ValueError, match="square"):
        v2.LinearTransformation(torch.ones(4, 3), torch.zeros(4))
    with pytest.raises(ValueError, match="dtype"):
        v2.LinearTransformation(torch.eye(2), torch.zeros(2, dtype=torch.float64))


# --- UniformTemporalSubsample ---------------------------------------------------------------


def _frames(count):
    """A video whose frame t is filled with t."""
    return torch.arange(count, dtype=torch.float32).reshape(count, 1, 1, 1).expand(count, 1, 2, 3)


@pytest.mark.parametrize(
    ("frames", "samples", "expected"),
    [
        (10, 4, [0, 3, 6, 9]),  # linspace(0, 9, 4) = 0, 3, 6, 9
        (4, 3, [0, 1, 3]),  # 0, 1.5, 3: truncated
        (2, 5, [0, 0, 0, 0, 1]),  # 0, .25, .5, .75, 1: frames repeat
        (5, 1, [0]),
    ],
)
def test_uniform_temporal_subsample_takes_evenly_spaced_frames(frames, samples, expected):
    out = v2.UniformTemporalSubsample(samples)(tvt.Video(_frames(frames)))
    assert isinstance(out, tvt.Video) and out.shape == (samples, 1, 2, 3)
    assert out[:, 0, 0, 0].tolist() == expected
    assert F.uniform_temporal_subsample_video(_frames(frames), samples)[:, 0, 0, 0].tolist() == (
        expected
    )


def test_uniform_temporal_subsample_uses_the_time_dimension_of_batches_and_passes_images():
    batch = torch.stack([_frames(6), _frames(6) + 10])  # [2, 6, 1, 2, 3]
    image = tvt.Image(IMAGE)
    out = v2.UniformTemporalSubsample(2)({"video": tvt.Video(batch), "image": image})
    assert out["video"][:, :, 0, 0, 0].tolist() == [[0, 5], [10, 15]] and out["image"] is image
    assert F.get_num_frames(tvt.Video(batch)) == 6 == F.get_num_frames_video(batch)


# --- conversions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pic", "mode", "expected"),
    [
        (torch.rand(3, 4, 6), None, "RGB"),
        (torch.zeros(1, 4, 6, dtype=torch.uint8), None, "L"),
        (torch.zeros(2, 4, 6, dtype=torch.uint8), None, "LA"),
        (torch.zeros(4, 4, 6, dtype=torch.uint8), None, "RGBA"),
        (torch.zeros(1, 4, 6, dtype=torch.int32), None, "I"),
        (torch.zeros(1, 4, 6), "F", "F"),
        (torch.zeros(3, 4, 6, dtype=torch.uint8), "HSV", "HSV"),
        (np.zeros((4, 6, 3), dtype=np.uint8), None, "RGB"),
    ],
)
def test_to_pil_image_picks_the_mode(pic, mode, expected):
    out = v2.ToPILImage(mode)(pic)
    assert isinstance(out, PIL.Image.Image) and out.mode == expected and out.size == (6, 4)


def test_to_pil_image_converts_images_and_passes_videos_and_masks():
    image = tvt.Image(IMAGE)
    video, mask = tvt.Video(IMAGE[None]), tvt.Mask(IMAGE[0])
    pil, out_video, out_mask = v2.ToPILImage()(image, video, mask)
    np.testing.assert_array_equal(np.array(pil), IMAGE.permute(1, 2, 0).numpy())
    assert out_video is video and out_mask is mask
    with pytest.raises(ValueError):
        v2.ToPILImage("RGB")(torch.zeros(2, 4, 6, dtype=torch.uint8))


def test_to_tensor_warns_and_scales_eight_bit_data():
    with pytest.warns(UserWarning, match="deprecated"):
        transform = v2.ToTensor()
    pil = PIL.Image.fromarray(IMAGE.permute(1, 2, 0).numpy())
    out, plain = transform(pil, IMAGE)
    assert out.dtype == torch.float32 and plain is IMAGE
    torch.testing.assert_close(out, IMAGE.float() / 255)
    with pytest.warns(UserWarning, match="deprecated"):
        torch.testing.assert_close(F.to_tensor(np.array(pil)), IMAGE.float() / 255)


def test_convert_image_dtype_scales_images_and_converts_masks_unscaled():
    image = tvt.Image(torch.tensor([[[0, 51, 255]]], dtype=torch.uint8))
    mask = tvt.Mask(torch.tensor([[0, 3]], dtype=torch.uint8))
    out_image, out_mask, pil = v2.ConvertImageDtype()(image, mask, PIL.Image.new("L", (2, 1)))
    torch.testing.assert_close(out_image.as_subclass(torch.Tensor), torch.tensor([[[0, 0.2, 1]]]))
    assert isinstance(out_mask, tvt.Mask) and out_mask.tolist() == [[0.0, 3.0]]
    assert isinstance(pil, PIL.Image.Image)
    assert F.convert_image_dtype(torch.tensor([1.0, 0.5]), torch.uint8).tolist() == [255, 127]
    assert F.convert_image_dtype(torch.tensor([255], dtype=torch.uint8)).tolist() == [1.0]


def test_rgb_repeats_a_grey_channel_and_keeps_rgb():
    grey = tvt.Image(IMAGE[:1])
    out = v2.RGB()(grey)
    assert isinstance(out, tvt.Image) and out.shape == (3, 4, 6)
    assert all(torch.equal(channel, IMAGE[0]) for channel in out)
    assert torch.equal(v2.RGB()(tvt.Image(IMAGE)), IMAGE)
    assert v2.RGB()(PIL.Image.new("L", (3, 2))).mode == "RGB"


# --- helpers for writing transforms ---------------------------------------------------------


def test_type_helpers_take_types_and_checks():
    boxes = tvt.BoundingBoxes([[0, 0, 1, 1]], format="XYXY", canvas_size=(4, 6))
    flat = [tvt.Image(IMAGE), boxes, torch.zeros(2), "label"]
    assert v2.check_type(torch.zeros(2), (tvt.Mask, F.is_pure_tensor))
    assert not v2.check_type(boxes, (F.is_pure_tensor, str))
    assert v2.has_any(flat, tvt.Mask, str) and not v2.has_any(flat, tvt.Mask)
    assert v2.has_all(flat, tvt.Image, F.is_pure_tensor, str)
    assert not v2.has_all(flat, tvt.Image, tvt.KeyPoints)
    assert v2.get_bounding_boxes(flat) is boxes
    with pytest.raises(ValueError, match="keypoints"):
        v2.get_keypoints(flat)
    assert v2.query_chw([tvt.Image(IMAGE), boxes]) == (3, 4, 6)


# --- per-kind kernels -----------------------------------------------------------------------

BOXES = torch.tensor([[1.0, 2.0, 5.0, 4.0], [-2.0, 1.0, 3.0, 9.0]])


def test_box_kernels_return_the_new_canvas():
    out, canvas = F.resize_bounding_boxes(BOXES, (10, 20), [20, 10])
    assert canvas == (20, 10)
    assert out.tolist() == [[0.5, 4.0, 2.5, 8.0], [-1.0, 2.0, 1.5, 18.0]]
    out, canvas = F.crop_bounding_boxes(BOXES, "XYXY", 1, 1, 5, 6)
    assert canvas == (5, 6) and out.tolist() == [[0.0, 1.0, 4.0, 3.0], [0.0, 0.0, 2.0, 5.0]]
    out, _ = F.crop_bounding_boxes(BOXES, "XYXY", 1, 1, 5, 6, clamping_mode=None)
    assert out.tolist() == [[0.0, 1.0, 4.0, 3.0], [-3.0, 0.0, 2.0, 8.0]]
    # XYWH [-2, 1, 3, 9] moves to [-1, 3, 3, 9], whose left edge is clamped: [0, 3, 2, 9].
    out, canvas = F.pad_bounding_boxes(BOXES, tvt.BoundingBoxFormat.XYWH, (10, 20), [1, 2])
    assert canvas == (14, 22) and out.tolist() == [[2.0, 4.0, 5.0, 4.0], [0.0, 3.0, 2.0, 9.0]]
    flipped = F.horizontal_flip_bounding_boxes(BOXES, "XYXY", (10, 20))
    assert flipped.tolist() == [[15.0, 2.0, 19.0, 4.0], [17.0, 1.0, 22.0, 9.0]]


def test_point_kernels_move_points_with_the_pixels():
    points = torch.tensor([[0.0, 0.0], [5.0, 3.0]])
    assert F.horizontal_flip_keypoints(points, (4, 6)).tolist() == [[5.0, 0.0], [0.0, 3.0]]
    assert F.vertical_flip_keypoints(points, (4, 6)).tolist() == [[0.0, 3.0], [5.0, 0.0]]
    out, canvas = F.center_crop_keypoints(points, (4, 6), [2, 2])
    assert canvas == (2, 2) and out.tolist() == [[-2.0, -1.0], [3.0, 2.0]]
    out, canvas = F.pad_keypoints(points, (4, 6), [1, 2, 3, 4])
    assert canvas == (10, 10) and out.tolist() == [[1.0, 2.0], [6.0, 5.0]]
    out, canvas = F.resized_crop_keypoints(points, 0, 1, 4, 5, [8, 10])
    assert canvas == (8, 10) and out.tolist() == [[-2.0, 0.0], [8.0, 6.0]]
    same, canvas = F.resize_keypoints(points, [4, 6], (4, 6))
    assert same is points and canvas == (4, 6)


def test_resize_mask_stays_nearest_whatever_the_interpolation():
    mask = torch.tensor([[0, 7], [3, 1]], dtype=torch.uint8)
    for mode in (v2.InterpolationMode.BILINEAR, v2.InterpolationMode.BICUBIC, "nearest"):
        out = F.resize_mask(mask, [4, 4], mode)
        assert out.shape == (4, 4) and out.dtype == torch.uint8
        assert torch.equal(out, mask.repeat_interleave(2, 0).repeat_interleave(2, 1))
    with pytest.raises(ValueError, match="Non-scalar"):
        F.pad_mask(mask, 1, fill=[1, 2])


def test_image_and_video_kernels_are_one_operation_under_two_names():
    video = torch.randint(0, 256, (2, 3, 4, 6), dtype=torch.uint8)
    assert torch.equal(
        F.adjust_gamma_video(video=video, gamma=0.5), F.adjust_gamma_image(video, 0.5)
    )
    assert F.adjust_gamma_video.__name__ == "adjust_gamma_video"
    assert next(iter(inspect.signature(F.crop_mask).parameters)) == "mask"
    assert torch.equal(F.crop_video(video, 1, 1, 2, 3), video[..., 1:3, 1:4])
    crops = F.five_crop_video(video, [2, 3])
    assert len(crops) == 5 and torch.equal(crops[3], video[..., 2:, 3:])


def test_meta_kernels_read_dimensions():
    assert F.get_dimensions(torch.zeros(4, 6)) == [1, 4, 6]
    assert F.get_dimensions(PIL.Image.new("RGBA", (6, 4))) == [4, 4, 6]
    assert F.get_num_channels(tvt.Video(torch.zeros(2, 5, 3, 4, 6))) == 3
    assert F.get_image_num_channels is F.get_num_channels
    assert F.get_size_mask(torch.zeros(4, 6)) == [4, 6]
    with pytest.raises(TypeError):
        F.get_dimensions(tvt.Mask(torch.zeros(4, 6)))
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.get_image_size(torch.zeros(3, 4, 6)) == [6, 4]
    assert F.hflip is F.horizontal_flip and F.vflip is F.vertical_flip
