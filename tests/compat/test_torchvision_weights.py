"""vmodels' weights enums against torchvision's: the same classes, members, files, facts and
evaluation transforms, for every model both have."""

import math

import pytest
import torch
from PIL import Image

import vmodels
from vdata.transforms.functional import pil_to_tensor

torchvision = pytest.importorskip("torchvision")
import torchvision.models as tv_models  # noqa: E402

SHARED = [
    name
    for name in vmodels.list_models()
    if name in tv_models.list_models() and vmodels._registry.get_model_entry(name).weights
]


def test_every_shared_model_has_weights():
    ours_without = [
        name
        for name in vmodels.list_models()
        if name in tv_models.list_models() and name not in SHARED
    ]
    assert ours_without == []


@pytest.mark.parametrize("name", SHARED)
def test_same_enum_members_and_default(name):
    ours, theirs = vmodels.get_model_weights(name), tv_models.get_model_weights(name)
    assert ours.__name__ == theirs.__name__
    assert set(ours.__members__) == set(theirs.__members__)
    assert ours.DEFAULT.name == theirs.DEFAULT.name


@pytest.mark.parametrize("name", SHARED)
def test_same_files_and_facts(name):
    theirs = tv_models.get_model_weights(name)
    for member in vmodels.get_model_weights(name):
        reference = theirs[member.name]
        assert member.url == reference.url
        ours_meta = {k: v for k, v in member.meta.items() if k != "_docs"}
        their_meta = {k: v for k, v in reference.meta.items() if k != "_docs"}
        for key in ("categories", "keypoint_names"):
            if their_meta.get(key) is not None:
                their_meta[key] = tuple(their_meta[key])
        assert _nan_as_text(ours_meta) == _nan_as_text(their_meta)


def _nan_as_text(value):
    """``value`` with NaN (VGG-16 features' accuracy) as a string, so that equal facts compare
    equal."""
    if isinstance(value, dict):
        return {k: _nan_as_text(v) for k, v in value.items()}
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def _image() -> Image.Image:
    generator = torch.Generator().manual_seed(0)
    pixels = torch.randint(0, 256, (301, 257, 3), dtype=torch.uint8, generator=generator)
    return Image.fromarray(pixels.numpy())


@pytest.mark.parametrize("name", SHARED)
def test_same_evaluation_transform_on_pil_images_and_tensors(name):
    theirs = tv_models.get_model_weights(name)
    image = _image()
    tensor = pil_to_tensor(image)
    for member in vmodels.get_model_weights(name):
        ours_preset, their_preset = member.transforms(), theirs[member.name].transforms()
        for given in (image, tensor, tensor[None]):
            torch.testing.assert_close(ours_preset(given), their_preset(given), rtol=0, atol=1e-6)
