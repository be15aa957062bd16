"""The whole public surface of vdata.transforms.v2 against torchvision.transforms.v2: every name
exists, the new ones have torchvision's signatures, and the per-kind kernels, the containers and
the small transforms give torchvision's outputs (the same seed for the random ones)."""

import enum
import inspect
import re

import PIL.Image
import pytest
import torch
from typed_compare import assert_same_typed

from vdata import tv_tensors as ours_tv
from vdata.transforms import v2 as ours

theirs = pytest.importorskip("torchvision.transforms.v2")
theirs_tv = pytest.importorskip("torchvision.tv_tensors")
OF, TF = ours.functional, theirs.functional


pytestmark = pytest.mark.usefixtures("one_thread")


def _public(module):
    return sorted(name for name in dir(module) if not name.startswith("_"))


@pytest.mark.parametrize(
    ("namespace", "name"),
    [("v2", name) for name in _public(theirs)] + [("functional", name) for name in _public(TF)],
)
def test_every_public_name_of_torchvision_exists(namespace, name):
    assert hasattr(ours if namespace == "v2" else OF, name)


NEW_TRANSFORMS = [
    "RandomApply",
    "RandomChoice",
    "RandomOrder",
    "Identity",
    "Lambda",
    "ToTensor",
    "ToPILImage",
    "RGB",
    "ConvertImageDtype",
    "LinearTransformation",
    "UniformTemporalSubsample",
]
NEW_HELPERS = ["check_type", "has_any", "has_all", "get_bounding_boxes", "get_keypoints"]
# Every per-kind kernel of torchvision's functional, and the other callables that vdata did not
# have before this work.
NEW_FUNCTIONALS = [
    name
    for name in _public(TF)
    if re.search(
        r"_(image|video|mask|bounding_boxes|keypoints)$|^(hflip|vflip|to_pil_image|to_tensor"
        r"|get_dimensions|get_num_channels|get_num_frames|get_image_size"
        r"|get_image_num_channels|convert_image_dtype|uniform_temporal_subsample"
        r"|is_pure_tensor)$",
        name,
    )
]


def _default(value):
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, float) and value.is_integer():
        return int(value)  # torchvision writes gain=1 for videos, gain=1.0 for images
    return value


def _parameters(function):
    return [
        (p.name, p.kind, _default(p.default))
        for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize("name", NEW_FUNCTIONALS + NEW_HELPERS + NEW_TRANSFORMS)
def test_new_names_have_torchvisions_signature(name):
    their = getattr(theirs, name, None) or getattr(TF, name)
    mine = getattr(ours, name, None) or getattr(OF, name)
    if isinstance(their, type):
        their, mine = their.__init__, mine.__init__
    assert _parameters(mine) == _parameters(their)


# --- per-kind kernels -----------------------------------------------------------------------

_GEN = torch.Generator().manual_seed(0)
U8 = torch.randint(0, 256, (3, 10, 12), dtype=torch.uint8, generator=_GEN)
FLOAT = torch.rand(3, 10, 12, generator=_GEN)
GREY = torch.randint(0, 256, (1, 10, 12), dtype=torch.uint8, generator=_GEN)
VIDEO = torch.randint(0, 256, (4, 3, 10, 12), dtype=torch.uint8, generator=_GEN)
FLOAT_VIDEO = torch.rand(4, 3, 10, 12, generator=_GEN)
MASKS = torch.randint(0, 4, (2, 10, 12), dtype=torch.uint8, generator=_GEN)
MASK_2D = torch.randint(0, 4, (10, 12), dtype=torch.uint8, generator=_GEN)
XYXY = torch.tensor([[1.0, 2.0, 7.0, 9.0], [6.5, 0.0, 12.0, 4.5], [-2.0, 3.0, 3.0, 11.0]])
CXCYWHR = torch.tensor(
    [[6.0, 5.0, 4.0, 3.0, 30.0], [1.0, 8.5, 5.0, 2.0, -100.0], [9.0, 2.0, 12.0, 1.5, 90.0]]
)
BOXES = {
    "XYXY": XYXY,
    "XYWH": torch.cat([XYXY[:, :2], XYXY[:, 2:] - XYXY[:, :2]], 1),
    "CXCYWH": torch.cat([(XYXY[:, :2] + XYXY[:, 2:]) / 2, XYXY[:, 2:] - XYXY[:, :2]], 1),
    **{
        fmt: OF.convert_bounding_box_format(CXCYWHR, "CXCYWHR", fmt)
        for fmt in ("XYWHR", "CXCYWHR", "XYXYXYXY")
    },
}
POINTS = torch.tensor([[[0.0, 0.0], [11.0, 9.0]], [[3.5, 4.0], [13.0, -1.0]]])
CANVAS = (10, 12)
START = [[0, 0], [11, 0], [11, 9], [0, 9]]
END = [[1, 1], [10, 0], [11, 8], [2, 9]]
COEFFICIENTS = [1.1, 0.1, -2.0, 0.05, 0.9, 1.0, 1e-3, -2e-3]
DISPLACEMENT = torch.rand(1, *CANVAS, 2, generator=_GEN) * 0.4 - 0.2
INPUTS = {
    "u8": U8,
    "float": FLOAT,
    "grey": GREY,
    "video": VIDEO,
    "float_video": FLOAT_VIDEO,
    "masks": MASKS,
    "mask_2d": MASK_2D,
    "points": POINTS,
    **{f"boxes_{fmt}": boxes for fmt, boxes in BOXES.items()},
}
VIDEO_OF = {"u8": "video", "float": "float_video"}


class Mode(str):
    """An interpolation mode, given to each library as its own enum."""


class Fmt(str):
    """A box format, given to each library as its own enum."""


def _resolve(value, lib):
    v2, tv = (ours, ours_tv) if lib == "ours" else (theirs, theirs_tv)
    if isinstance(value, Mode):
        return v2.InterpolationMode(str(value))
    if isinstance(value, Fmt):
        return tv.BoundingBoxFormat[str(value)]
    return value


def _box_cases():
    for fmt in BOXES:
        box, f = f"boxes_{fmt}", Fmt(fmt)
        yield from [
            ("horizontal_flip_bounding_boxes", box, (f, CANVAS), {}),
            ("vertical_flip_bounding_boxes", box, (f, CANVAS), {}),
            ("resize_bounding_boxes", box, (CANVAS, [20, 6]), {"format": f}),
            ("resize_bounding_boxes", box, (CANVAS, 5), {"format": f}),
            ("resize_bounding_boxes", box, (CANVAS, None), {"max_size": 18, "format": f}),
            ("resize_bounding_boxes", box, (CANVAS, [10, 12]), {"format": f}),
            ("crop_bounding_boxes", box, (f, 2, 1, 6, 8), {}),
            ("crop_bounding_boxes", box, (f, -2, -3, 14, 16), {"clamping_mode": None}),
            ("center_crop_bounding_boxes", box, (f, CANVAS, [5, 7]), {}),
            ("center_crop_bounding_boxes", box, (f, CANVAS, 15), {}),
            ("resized_crop_bounding_boxes", box, (f, 1, 2, 6, 8, [9, 4]), {}),
            ("pad_bounding_boxes", box, (f, CANVAS, [1, 2, 3, 4]), {}),
            ("pad_bounding_boxes", box, (f, CANVAS, 2), {"clamping_mode": "hard"}),
            ("affine_bounding_boxes", box, (f, CANVAS, 20.0, [1, -2], 1.1, [5.0, 2.0]), {}),
            ("affine_bounding_boxes", box, (f, CANVAS, -90, (0, 0), 1.0, 0.0), {"center": [3, 4]}),
            ("rotate_bounding_boxes", box, (f, CANVAS, 33.0), {"clamping_mode": "hard"}),
            ("rotate_bounding_boxes", box, (f, CANVAS, -47.0, True), {}),
            ("rotate_bounding_boxes", box, (f, CANVAS, 90.0), {"expand": True, "center": [3, 4]}),
            ("perspective_bounding_boxes", box, (f, CANVAS, START, END), {}),
            (
                "perspective_bounding_boxes",
                box,
                (f, CANVAS, None, None),
                {"coefficients": COEFFICIENTS, "clamping_mode": None},
            ),
            ("elastic_bounding_boxes", box, (f, CANVAS, DISPLACEMENT), {}),
            ("elastic_bounding_boxes", box, (f, CANVAS, DISPLACEMENT), {"clamping_mode": "hard"}),
        ]


KERNEL_CASES = [
    # geometry of images (and, below, of videos)
    ("horizontal_flip_image", "u8", (), {}),
    ("vertical_flip_image", "float", (), {}),
    ("resize_image", "u8", ([7, 9],), {}),
    ("resize_image", "float", (6,), {"antialias": False}),
    ("resize_image", "u8", ([13, 5], Mode("nearest")), {}),
    ("resize_image", "u8", (None,), {"max_size": 8}),
    ("resize_image", "float", ([6, 20], Mode("bicubic")), {"antialias": None}),
    ("crop_image", "u8", (2, 3, 5, 6), {}),
    ("crop_image", "float", (-2, -1, 14, 16), {}),
    ("center_crop_image", "u8", ([5, 7],), {}),
    ("center_crop_image", "u8", ([13, 15],), {}),
    ("resized_crop_image", "u8", (1, 2, 6, 8, [9, 9]), {}),
    ("resized_crop_image", "float", (0, 0, 10, 6, [4]), {"interpolation": Mode("nearest")}),
    ("five_crop_image", "u8", ([4, 5],), {}),
    ("ten_crop_image", "u8", (4,), {"vertical_flip": True}),
    ("ten_crop_image", "float", ([3, 6],), {}),
    ("pad_image", "u8", ([1, 2, 3, 4],), {}),
    ("pad_image", "u8", (2,), {"fill": [1, 2, 3]}),
    ("pad_image", "float", ([1, 2],), {"padding_mode": "reflect"}),
    ("pad_image", "u8", ([2],), {"padding_mode": "edge"}),
    ("pad_image", "u8", ([1, 3],), {"padding_mode": "symmetric"}),
    ("affine_image", "u8", (20.0, [1, -2], 1.1, [5.0, 2.0]), {}),
    ("affine_image", "float", (-30, (1, 0), 0.8, 4.0, Mode("bilinear"), [0.5, 0.2, 1.0]), {}),
    ("affine_image", "u8", (10.0, [0, 0], 1.0, [3.0]), {"fill": 7, "center": [3, 4]}),
    ("rotate_image", "u8", (33.0,), {}),
    ("rotate_image", "float", (-47.0, Mode("bilinear"), True), {"fill": 0.5}),
    ("rotate_image", "u8", (90.0,), {"expand": True}),
    ("rotate_image", "u8", (12.5,), {"center": [3, 4], "fill": [1, 2, 3]}),
    ("perspective_image", "u8", (START, END), {}),
    ("perspective_image", "float", (None, None, Mode("nearest"), 0.0, COEFFICIENTS), {}),
    ("elastic_image", "u8", (DISPLACEMENT,), {}),
    ("elastic_image", "float", (DISPLACEMENT, Mode("nearest")), {"fill": [1.0]}),
    # colour, blur, noise, normalisation, erasing, dtypes
    ("adjust_brightness_image", "u8", (1.3,), {}),
    ("adjust_contrast_image", "u8", (0.6,), {}),
    ("adjust_contrast_image", "grey", (1.7,), {}),
    ("adjust_saturation_image", "float", (1.5,), {}),
    ("adjust_hue_image", "u8", (0.2,), {}),
    ("adjust_hue_image", "float", (-0.45,), {}),
    ("adjust_gamma_image", "u8", (0.7, 1.1), {}),
    ("adjust_sharpness_image", "u8", (2.0,), {}),
    ("autocontrast_image", "float", (), {}),
    ("equalize_image", "u8", (), {}),
    ("invert_image", "u8", (), {}),
    ("permute_channels_image", "u8", ([2, 0, 1],), {}),
    ("posterize_image", "u8", (3,), {}),
    ("solarize_image", "u8", (100,), {}),
    ("rgb_to_grayscale_image", "u8", (), {"num_output_channels": 3}),
    ("rgb_to_grayscale_image", "float", (), {}),
    ("grayscale_to_rgb_image", "grey", (), {}),
    ("grayscale_to_rgb_image", "u8", (), {}),
    ("gaussian_blur_image", "float", ([3, 5], [1.0, 0.7]), {}),
    ("gaussian_blur_image", "u8", (5,), {}),
    ("gaussian_noise_image", "float", (), {"sigma": 0.3}),
    ("gaussian_noise_image", "u8", (0.1, 0.2, False), {}),
    ("normalize_image", "float", ([0.4, 0.5, 0.6], [0.2, 0.3, 0.25]), {}),
    ("erase_image", "u8", (1, 2, 3, 4, torch.tensor(7, dtype=torch.uint8)), {}),
    ("to_dtype_image", "u8", (torch.float32, True), {}),
    ("to_dtype_image", "float", (torch.uint8,), {"scale": True}),
    ("to_dtype_image", "u8", (torch.int32,), {}),
    ("convert_image_dtype", "u8", (), {}),
    ("convert_image_dtype", "float", (torch.int16,), {}),
    ("convert_image_dtype", "u8", (torch.float64,), {}),
    # masks (several, and one [H, W])
    *[
        (kernel, mask, args, kwargs)
        for mask in ("masks", "mask_2d")
        for kernel, args, kwargs in [
            ("horizontal_flip_mask", (), {}),
            ("vertical_flip_mask", (), {}),
            ("resize_mask", ([7, 9],), {}),
            ("resize_mask", ([15, 5], Mode("nearest-exact")), {}),
            ("resize_mask", (4, Mode("bicubic")), {}),
            ("crop_mask", (-1, 2, 8, 12), {}),
            ("center_crop_mask", ([6, 14],), {}),
            ("resized_crop_mask", (1, 1, 7, 9, [5, 11]), {}),
            ("pad_mask", ([1, 2, 0, 3],), {"fill": 5}),
            ("pad_mask", (2,), {"padding_mode": "symmetric"}),
            ("affine_mask", (20.0, [1, -2], 1.1, [5.0, 2.0]), {"fill": 9}),
            ("rotate_mask", (33.0, True), {"center": [3, 4]}),
            ("rotate_mask", (-90.0,), {"expand": True}),
            ("perspective_mask", (START, END), {"fill": 1}),
            ("perspective_mask", (None, None), {"coefficients": COEFFICIENTS}),
            ("elastic_mask", (DISPLACEMENT, 2), {}),
        ]
    ],
    # key points
    ("horizontal_flip_keypoints", "points", (CANVAS,), {}),
    ("vertical_flip_keypoints", "points", (CANVAS,), {}),
    ("resize_keypoints", "points", ([20, 24], CANVAS), {}),
    ("resize_keypoints", "points", (7, CANVAS), {"max_size": 9}),
    ("resize_keypoints", "points", ([10, 12], CANVAS), {}),
    ("crop_keypoints", "points", (2, 3, 5, 6), {}),
    ("center_crop_keypoints", "points", (CANVAS, [5, 7]), {}),
    ("resized_crop_keypoints", "points", (1, 2, 6, 8, [9, 4]), {}),
    ("pad_keypoints", "points", (CANVAS, [1, 2, 3, 4]), {}),
    ("affine_keypoints", "points", (CANVAS, 20.0, [1, -2], 1.1, [5.0, 2.0]), {}),
    ("affine_keypoints", "points", (CANVAS, 45, (0, 0), 1.0, 0.0), {"center": [3, 4]}),
    ("rotate_keypoints", "points", (CANVAS, 33.0), {}),
    ("rotate_keypoints", "points", (CANVAS, -47.0, True), {}),
    ("perspective_keypoints", "points", (CANVAS, START, END), {}),
    ("perspective_keypoints", "points", (CANVAS, None, None, COEFFICIENTS), {}),
    ("elastic_keypoints", "points", (CANVAS, DISPLACEMENT), {}),
    *_box_cases(),
]
# Every image kernel's case again for videos, where torchvision has the video kernel.
KERNEL_CASES += [
    (name.removesuffix("_image") + "_video", VIDEO_OF[inpt], args, kwargs)
    for name, inpt, args, kwargs in list(KERNEL_CASES)
    if name.endswith("_image")
    and inpt in VIDEO_OF
    and hasattr(TF, name.removesuffix("_image") + "_video")
]


def _case_id(case):
    name, inpt, args, kwargs = case
    return f"{name}-{inpt}-{len(args)}-{'-'.join(kwargs)}"


def _call(functional, name, inpt, args, kwargs, lib, seed=0):
    args = tuple(_resolve(a, lib) for a in args)
    kwargs = {k: _resolve(v, lib) for k, v in kwargs.items()}
    torch.manual_seed(seed)
    return getattr(functional, name)(INPUTS[inpt].clone(), *args, **kwargs)


@pytest.mark.parametrize("case", KERNEL_CASES, ids=[_case_id(c) for c in KERNEL_CASES])
def test_kernel_equals_torchvisions(case):
    mine = _call(OF, *case, lib="ours")
    their = _call(TF, *case, lib="theirs")
    # torchvision resizes uint8 natively (rounding inside the kernel), we in float32.
    resized = "resize" in case[0] and case[1] in ("u8", "video")
    assert_same_typed(mine, their, image_atol=1 if resized else 0, atol=1e-5)


def test_kernels_answer_to_torchvisions_keywords():
    mine = OF.adjust_brightness_video(video=VIDEO, brightness_factor=0.5)
    their = TF.adjust_brightness_video(video=VIDEO, brightness_factor=0.5)
    assert_same_typed(mine, their)
    mine = OF.resize_mask(mask=MASKS, size=[5, 6])
    assert_same_typed(mine, TF.resize_mask(mask=MASKS, size=[5, 6]))
    mine = OF.rotate_video(video=VIDEO, angle=20.0, expand=True)
    assert_same_typed(mine, TF.rotate_video(video=VIDEO, angle=20.0, expand=True))
    mine = OF.elastic_mask(mask=MASK_2D, displacement=DISPLACEMENT, fill=3)
    assert_same_typed(mine, TF.elastic_mask(mask=MASK_2D, displacement=DISPLACEMENT, fill=3))
    kwargs = {"canvas_size": CANVAS, "startpoints": START, "endpoints": END}
    mine = OF.perspective_keypoints(keypoints=POINTS, **kwargs)
    assert_same_typed(mine, TF.perspective_keypoints(keypoints=POINTS, **kwargs))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torchvision's image codecs
def test_jpeg_kernels_match_within_codec_tolerance():
    # Ours encodes with PIL, torchvision with its own libjpeg binding: allow a level or two.
    for name, inpt in (("jpeg_image", U8), ("jpeg_video", VIDEO)):
        mine, their = getattr(OF, name)(inpt, 60), getattr(TF, name)(inpt, 60)
        assert_same_typed(mine, their, image_atol=3)
        assert (mine.double() - their.double()).abs().mean() < 0.5


@pytest.mark.parametrize(
    "call",
    [
        lambda F, tv: F.pad_mask(MASKS, 1, fill=[1, 2]),
        lambda F, tv: F.pad_keypoints(POINTS, CANVAS, 1, padding_mode="edge"),
        lambda F, tv: F.pad_bounding_boxes(
            XYXY, tv.BoundingBoxFormat.XYXY, CANVAS, 1, padding_mode="reflect"
        ),
        lambda F, tv: F.pad_image(U8, [1, 2, 3]),
        lambda F, tv: F.pad_image(U8, 1, padding_mode="wrap"),
        lambda F, tv: F.rgb_to_grayscale_image(U8, num_output_channels=2),
        lambda F, tv: F.five_crop_image(U8, [11, 4]),
        lambda F, tv: F.normalize_image(U8, [0.5], [0.5]),
        lambda F, tv: F.adjust_hue_image(U8, 0.7),
        lambda F, tv: F.resize_image(U8, [4, 5], max_size=10),
    ],
)
def test_kernels_refuse_what_torchvision_refuses(call):
    with pytest.raises(Exception) as their:
        call(TF, theirs_tv)
    with pytest.raises(their.type):
        call(OF, ours_tv)


# --- dispatching functionals ----------------------------------------------------------------


def _pil(image):
    return PIL.Image.fromarray(image.permute(1, 2, 0).numpy())


TYPED_INPUTS = {
    "tensor": lambda tv: U8,
    "tensor_2d": lambda tv: MASK_2D,
    "image": lambda tv: tv.Image(U8),
    "video": lambda tv: tv.Video(VIDEO),
    "mask": lambda tv: tv.Mask(MASKS),
    "boxes": lambda tv: tv.BoundingBoxes(XYXY, format="XYXY", canvas_size=CANVAS),
    "points": lambda tv: tv.KeyPoints(POINTS, canvas_size=CANVAS),
    "pil": lambda tv: _pil(U8),
    "pil_grey": lambda tv: PIL.Image.fromarray(MASK_2D.numpy()),
}
FUNCTIONAL_CASES = [
    ("get_dimensions", ()),
    ("get_num_channels", ()),
    ("get_image_num_channels", ()),
    ("get_num_frames", ()),
    ("uniform_temporal_subsample", (3,)),
    ("uniform_temporal_subsample", (7,)),
    ("hflip", ()),
    ("vflip", ()),
]


def _outcome(call):
    try:
        return call()
    except (TypeError, ValueError, IndexError) as error:
        return type(error)


@pytest.mark.parametrize("inpt", list(TYPED_INPUTS))
@pytest.mark.parametrize(("name", "args"), FUNCTIONAL_CASES)
def test_functional_equals_torchvisions_for_every_input_type(name, args, inpt):
    mine = _outcome(lambda: getattr(OF, name)(TYPED_INPUTS[inpt](ours_tv), *args))
    their = _outcome(lambda: getattr(TF, name)(TYPED_INPUTS[inpt](theirs_tv), *args))
    if isinstance(their, type):
        assert mine is their
    else:
        assert_same_typed(mine, their)


@pytest.mark.parametrize(
    ("name", "inpt"),
    [
        ("get_dimensions_image", U8),
        ("get_dimensions_image", MASK_2D),
        ("get_dimensions_video", VIDEO),
        ("get_num_channels_image", GREY),
        ("get_num_channels_video", VIDEO),
        ("get_num_frames_video", VIDEO),
        ("get_size_image", U8),
        ("get_size_video", VIDEO),
        ("get_size_mask", MASK_2D),
        ("uniform_temporal_subsample_video", VIDEO),
        ("is_pure_tensor", U8),
    ],
)
def test_meta_kernels_equal_torchvisions(name, inpt):
    args = (2,) if name.startswith("uniform") else ()
    assert_same_typed(getattr(OF, name)(inpt, *args), getattr(TF, name)(inpt, *args))


def test_meta_kernels_refuse_a_one_dimensional_tensor_as_torchvision_does():
    for name in ("get_dimensions_image", "get_num_channels_image", "get_size_image"):
        with pytest.raises(TypeError):
            getattr(TF, name)(torch.zeros(3))
        with pytest.raises(TypeError):
            getattr(OF, name)(torch.zeros(3))


def test_size_of_boxes_and_points_and_typed_checks_equal_torchvisions():
    for lib, F in (("ours", OF), ("theirs", TF)):
        tv = ours_tv if lib == "ours" else theirs_tv
        boxes = tv.BoundingBoxes(XYXY, format="XYXY", canvas_size=CANVAS)
        points = tv.KeyPoints(POINTS, canvas_size=(7, 8))
        assert F.get_size_bounding_boxes(boxes) == [10, 12]
        assert F.get_size_keypoints(points) == [7, 8]
        assert not F.is_pure_tensor(boxes) and F.is_pure_tensor(XYXY)


def test_deprecated_functionals_warn_and_equal_torchvisions():
    pil = _pil(U8)
    for name, inpt in (("to_tensor", pil), ("to_tensor", U8.permute(1, 2, 0).numpy())):
        with pytest.warns(UserWarning):
            mine = getattr(OF, name)(inpt)
        with pytest.warns(UserWarning):
            their = getattr(TF, name)(inpt)
        assert_same_typed(mine, their)
    for inpt in (pil, U8):
        with pytest.warns(UserWarning):
            mine = OF.get_image_size(inpt)
        with pytest.warns(UserWarning):
            assert mine == TF.get_image_size(inpt) == [12, 10]


@pytest.mark.parametrize(
    ("pic", "mode"),
    [
        (FLOAT, None),
        (U8, None),
        (GREY, None),
        (U8[:2], None),
        (torch.cat([U8, GREY]), None),
        (U8, "HSV"),
        (U8.permute(1, 2, 0).numpy(), None),
        (MASK_2D.numpy(), None),
        (FLOAT[:1], "F"),
    ],
)
def test_to_pil_image_equals_torchvisions(pic, mode):
    assert_same_typed(OF.to_pil_image(pic, mode), TF.to_pil_image(pic, mode))


# --- transforms -----------------------------------------------------------------------------


def _sample(tv):
    return (
        tv.Image(U8),
        {
            "boxes": tv.BoundingBoxes(XYXY, format="XYXY", canvas_size=CANVAS),
            "masks": tv.Mask(MASKS),
            "keypoints": tv.KeyPoints(POINTS, canvas_size=CANVAS),
            "labels": torch.tensor([1, 2, 3]),
            "image_id": 7,
        },
    )


def _video_sample(tv):
    return {"video": tv.Video(VIDEO), "image": tv.Image(U8), "masks": tv.Mask(MASKS)}


def _double(x):
    return x * 2


TRANSFORM_CASES = {
    "random_apply": (
        lambda v2, tv: v2.RandomApply([v2.ColorJitter(0.5, 0.5), v2.RandomHorizontalFlip(1)]),
        _sample,
    ),
    "random_apply_p": (
        lambda v2, tv: v2.RandomApply([v2.RandomVerticalFlip(1)], p=0.8),
        _sample,
    ),
    "random_apply_module_list": (
        lambda v2, tv: v2.RandomApply(torch.nn.ModuleList([v2.CenterCrop(6)]), p=0.3),
        _sample,
    ),
    "random_choice": (
        lambda v2, tv: v2.RandomChoice(
            [v2.Pad(2), v2.CenterCrop(6), v2.RandomHorizontalFlip(1)], p=[0.2, 0.5, 0.3]
        ),
        _sample,
    ),
    "random_choice_uniform": (
        lambda v2, tv: v2.RandomChoice([v2.CenterCrop(5), v2.RandomHorizontalFlip(0.5)]),
        _sample,
    ),
    "random_order": (
        lambda v2, tv: v2.RandomOrder([v2.Pad(2), v2.CenterCrop(8), v2.ColorJitter(0.5, hue=0.2)]),
        _sample,
    ),
    "identity": (lambda v2, tv: v2.Identity(), _sample),
    "lambda_all": (lambda v2, tv: v2.Lambda(_double), _sample),
    "lambda_masks": (lambda v2, tv: v2.Lambda(_double, tv.Mask, tv.KeyPoints), _sample),
    "lambda_ints": (lambda v2, tv: v2.Lambda(_double, int), _sample),
    "linear_transformation": (
        lambda v2, tv: v2.LinearTransformation(
            torch.linspace(-1, 1, 360**2, dtype=torch.float64).reshape(360, 360),
            torch.linspace(0, 50, 360, dtype=torch.float64),
        ),
        _sample,
    ),
    "convert_image_dtype": (lambda v2, tv: v2.ConvertImageDtype(), _sample),
    "convert_image_dtype_int": (lambda v2, tv: v2.ConvertImageDtype(torch.int16), _sample),
    "to_pil_image": (lambda v2, tv: v2.ToPILImage(), _sample),
    "to_pil_image_plain": (lambda v2, tv: v2.ToPILImage(), lambda tv: (FLOAT, U8)),
    "to_pil_image_mode": (
        lambda v2, tv: v2.ToPILImage("LA"),
        lambda tv: [U8[:2].permute(1, 2, 0).numpy(), tv.Video(VIDEO)],
    ),
    "rgb": (lambda v2, tv: v2.RGB(), lambda tv: (tv.Image(GREY), tv.Mask(MASKS), _pil(U8))),
    "rgb_pil": (
        lambda v2, tv: v2.RGB(),
        lambda tv: (PIL.Image.fromarray(MASK_2D.numpy()), tv.Image(U8)),
    ),
    "uniform_temporal_subsample": (lambda v2, tv: v2.UniformTemporalSubsample(3), _video_sample),
    "uniform_temporal_subsample_plain": (
        lambda v2, tv: v2.UniformTemporalSubsample(6),
        lambda tv: (VIDEO, VIDEO),
    ),
}


@pytest.mark.parametrize("case", list(TRANSFORM_CASES))
def test_transform_equals_torchvisions_under_one_seed(case):
    build, sample = TRANSFORM_CASES[case]
    mine_transform, their_transform = build(ours, ours_tv), build(theirs, theirs_tv)
    torch.manual_seed(4)
    mine = [mine_transform(sample(ours_tv)) for _ in range(6)]
    torch.manual_seed(4)
    their = [their_transform(sample(theirs_tv)) for _ in range(6)]
    assert_same_typed(mine, their, atol=1e-6)


def test_containers_pass_several_inputs_on_as_torchvision_does():
    for build in (
        lambda v2: v2.RandomApply([v2.RandomHorizontalFlip(1)], p=0.5),
        lambda v2: v2.RandomChoice([v2.RandomHorizontalFlip(1), v2.RandomVerticalFlip(1)]),
        lambda v2: v2.RandomOrder([v2.RandomHorizontalFlip(1), v2.Pad(1)]),
    ):
        torch.manual_seed(1)
        mine = [build(ours)(*_sample(ours_tv)) for _ in range(4)]
        torch.manual_seed(1)
        their = [build(theirs)(*_sample(theirs_tv)) for _ in range(4)]
        assert_same_typed(mine, their)


def test_to_tensor_warns_and_equals_torchvisions():
    with pytest.warns(UserWarning):
        mine = ours.ToTensor()
    with pytest.warns(UserWarning):
        their = theirs.ToTensor()
    for inpt in (_pil(U8), U8.permute(1, 2, 0).numpy(), PIL.Image.fromarray(MASK_2D.numpy())):
        assert_same_typed(mine((inpt, U8, 3)), their((inpt, U8, 3)))


def test_lambda_repr_is_torchvisions():
    for args in ((_double,), (_double, ours_tv.Mask, int), (lambda x: x,)):
        their_args = tuple(getattr(theirs_tv, a.__name__, a) for a in args)
        assert repr(ours.Lambda(*args)) == repr(theirs.Lambda(*their_args))


@pytest.mark.parametrize(
    "build",
    [
        lambda v2, tv: v2.RandomApply(5),
        lambda v2, tv: v2.RandomApply([]),
        lambda v2, tv: v2.RandomApply([v2.Identity()], p=1.5),
        lambda v2, tv: v2.RandomChoice(v2.Identity()),
        lambda v2, tv: v2.RandomChoice([]),
        lambda v2, tv: v2.RandomChoice([v2.Identity()], p=[0.5, 0.5]),
        lambda v2, tv: v2.RandomOrder({v2.Identity()}),
        lambda v2, tv: v2.RandomOrder([]),
        lambda v2, tv: v2.LinearTransformation(torch.eye(3)[:2], torch.zeros(2)),
        lambda v2, tv: v2.LinearTransformation(torch.eye(3), torch.zeros(2)),
        lambda v2, tv: v2.LinearTransformation(torch.eye(3), torch.zeros(3, dtype=torch.float64)),
        lambda v2, tv: v2.LinearTransformation(torch.eye(3), torch.zeros(3))(tv.Image(U8)),
        lambda v2, tv: v2.LinearTransformation(torch.eye(360), torch.zeros(360))(_pil(U8)),
        lambda v2, tv: v2.get_bounding_boxes(
            [tv.Image(U8), tv.KeyPoints(POINTS, canvas_size=CANVAS)]
        ),
        lambda v2, tv: v2.get_keypoints(
            [tv.BoundingBoxes(XYXY, format="XYXY", canvas_size=CANVAS)]
        ),
        lambda v2, tv: v2.query_chw([tv.Mask(MASKS)]),
        lambda v2, tv: v2.query_chw([tv.Image(U8), tv.Image(GREY)]),
        lambda v2, tv: v2.ToPILImage()(torch.zeros(5, 4, 4, dtype=torch.uint8)),
        lambda v2, tv: v2.ConvertImageDtype(torch.int64)(FLOAT),
    ],
)
def test_transforms_refuse_what_torchvision_refuses(build):
    with pytest.raises(Exception) as their:
        build(theirs, theirs_tv)
    with pytest.raises(their.type):
        build(ours, ours_tv)


def test_type_helpers_equal_torchvisions():
    for v2, tv in ((ours, ours_tv), (theirs, theirs_tv)):
        image, boxes = tv.Image(U8), tv.BoundingBoxes(XYXY, format="XYXY", canvas_size=CANVAS)
        flat = [image, boxes, XYXY, 3]
        pure = v2.functional.is_pure_tensor
        assert v2.check_type(XYXY, (tv.Mask, pure)) and not v2.check_type(image, (pure, int))
        assert v2.has_any(flat, tv.Mask, int) and not v2.has_any(flat, tv.Mask, str)
        assert v2.has_all(flat, tv.Image, pure) and not v2.has_all(flat, tv.Image, tv.Mask)
        assert v2.has_all(flat) and not v2.has_any(flat)
        assert v2.get_bounding_boxes(flat) is boxes
        assert v2.query_chw([image, boxes, 3]) == (3, 10, 12)
        assert v2.query_size([image, boxes, 3]) == (10, 12)
