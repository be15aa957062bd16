"""Every registered weights entry is well formed and fits its model; torchvision's lookup API
(get_model_weights, get_weight, vmodels.<builder>, list_models(module, include, exclude)); the
build step's conflicts, one message each.

Models are built on the meta device: parameter counts and head sizes without memory or arithmetic.
"""

import pickle
import re

import pytest
import torch
from torch import nn

import vmodels
import vmodels.detection
import vmodels.segmentation
from vmodels import WeightsEnum
from vmodels.presets import ImageClassification, ObjectDetection, SemanticSegmentation

MODELS_WITH_WEIGHTS = [
    name
    for name in vmodels.list_models()
    if vmodels._registry.get_model_entry(name).weights is not None
]
ENTRIES = [
    (name, member) for name in MODELS_WITH_WEIGHTS for member in vmodels.get_model_weights(name)
]
PRESETS = {
    "classification": ImageClassification,
    "segmentation": SemanticSegmentation,
    "detection": ObjectDetection,
}


# Our own models, which torchvision does not have: no published checkpoints.
MODELS_OF_OUR_OWN = {
    "cifar_resnet20",
    "cifar_resnet32",
    "cifar_resnet56",
    "cifar_resnet110",
    "fcos_resnet18_fpn",
    "fpn_resnet18",
    "maskrcnn_resnet18_fpn",
}


def test_every_model_torchvision_publishes_weights_for_has_them():
    without = set(vmodels.list_models()) - set(MODELS_WITH_WEIGHTS)
    assert without == MODELS_OF_OUR_OWN
    assert not {"alexnet", "resnet50", "vgg16", "fcn_resnet50", "maskrcnn_resnet50_fpn"} - set(
        MODELS_WITH_WEIGHTS
    )


@pytest.mark.parametrize(("name", "member"), ENTRIES, ids=lambda v: str(v))
def test_entry_is_well_formed(name, member):
    url = member.url
    assert url.startswith("https://download.pytorch.org/models/") and url.endswith(".pth")
    assert re.fullmatch(r"[0-9a-f]{8,}", member.value.digest)
    assert member.value.file_name.endswith(f"-{member.value.digest}.pth")
    assert vmodels.get_weight(f"{type(member).__name__}.{member.name}") is member
    assert vmodels.get_weight(f"{name}.{member.name.lower()}") is member
    meta = member.meta
    assert {"num_params", "min_size", "_metrics", "_ops", "_file_size", "recipe", "_docs"} <= set(
        meta
    )
    assert meta["num_params"] > 0 and meta["_file_size"] > 0 and meta["_metrics"]
    task = vmodels._registry.get_model_entry(name).task
    preset = member.transforms()
    assert isinstance(preset, PRESETS[task]) and preset.describe()
    categories = meta["categories"]
    if categories is None:  # feature-only weights, such as VGG-16's for SSD
        assert member.name == "IMAGENET1K_FEATURES"
    else:
        assert len(set(categories)) >= 2 and all(isinstance(c, str) for c in categories)


@pytest.mark.parametrize("name", MODELS_WITH_WEIGHTS)
def test_default_is_a_member_and_pretrained_means_the_first(name):
    weights = vmodels.get_model_weights(name)
    assert weights.DEFAULT in list(weights)
    assert vmodels._weights.resolve_weights(name, None, True) is next(iter(weights))


def _trained_parameter_count(model: nn.Module, name: str, task: str) -> int:
    """Parameters as the published model has them: an FPN detector trained from weights freezes
    its backbone's batch norm (buffers, not parameters), except the v2 ones, as torchvision's."""
    count = sum(p.numel() for p in model.parameters())
    if task == "detection" and hasattr(model.backbone, "body") and not name.endswith("_v2"):
        norms = [m for m in model.backbone.body.modules() if isinstance(m, nn.BatchNorm2d)]
        count -= sum(p.numel() for m in norms for p in m.parameters())
    return count


@pytest.mark.parametrize("name", MODELS_WITH_WEIGHTS)
def test_model_has_the_published_parameter_count_and_classes(name):
    task = vmodels._registry.get_model_entry(name).task
    # GoogLeNet's published checkpoint is used without its untrained auxiliary heads.
    kwargs = {"aux_logits": False} if name == "googlenet" else {}
    if task == "segmentation" and not name.startswith("lraspp"):
        kwargs["aux_loss"] = True  # the published checkpoints hold the auxiliary classifier
    for member in vmodels.get_model_weights(name):
        if name.startswith("vit_"):  # its position embeddings count its weights' patches
            kwargs["image_size"] = member.meta["min_size"][0]
        with torch.device("meta"):
            model = vmodels.get_model(name, **kwargs)
        assert _trained_parameter_count(model, name, task) == member.meta["num_params"], member
        categories = member.meta["categories"]
        if categories is not None and task == "classification":
            assert _classifier_outputs(model) == len(categories)


def _classifier_outputs(model: nn.Module) -> int:
    """The classifier's outputs: the first dimension of the model's last weight or bias (every
    family registers its classifier last; MaxViT's has no bias)."""
    state = model.state_dict()
    return state[[key for key in state if key.endswith(("weight", "bias"))][-1]].shape[0]


def test_builders_and_weights_are_reachable_where_torchvision_has_them():
    assert vmodels.resnet50 is vmodels.get_model_builder("resnet50")
    assert vmodels.ResNet50_Weights is vmodels.get_model_weights("resnet50")
    assert vmodels.get_model_weights(vmodels.resnet50) is vmodels.ResNet50_Weights
    mask_rcnn = vmodels.detection.maskrcnn_resnet50_fpn
    assert mask_rcnn is vmodels.get_model_builder("maskrcnn_resnet50_fpn")
    assert vmodels.detection.MaskRCNN_ResNet50_FPN_Weights.DEFAULT.meta["categories"][1] == "person"
    assert vmodels.segmentation.fcn_resnet50 is vmodels.get_model_builder("fcn_resnet50")
    from vmodels import resnet18

    assert resnet18 is vmodels.get_model_builder("resnet18")


def test_unknown_public_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'resnet51'"):
        vmodels.resnet51  # noqa: B018
    with pytest.raises(AttributeError):
        vmodels.detection.resnet50  # noqa: B018 (a classifier, not in detection)


def test_list_models_filters_as_torchvision_does():
    detection = vmodels.list_models(module=vmodels.detection)
    assert "maskrcnn_resnet50_fpn" in detection and "resnet50" not in detection
    assert vmodels.list_models(include="resnet1*") == ["resnet101", "resnet152", "resnet18"]
    assert vmodels.list_models(include=["vgg11*", "alexnet"], exclude="*_bn") == [
        "alexnet",
        "vgg11",
    ]
    everything = vmodels.list_models()
    assert vmodels.list_models(exclude="*") == []
    assert vmodels.list_models(include="*") == everything
    with pytest.raises(TypeError, match="module must be a module"):
        vmodels.list_models(module=3)


def test_get_model_weights_and_get_weight_name_what_is_wrong():
    with pytest.raises(ValueError, match="'cifar_resnet20' has no published weights"):
        vmodels.get_model_weights("cifar_resnet20")
    with pytest.raises(ValueError, match=r"unknown weights .ResNet50_Weights\.V9."):
        vmodels.get_weight("ResNet50_Weights.V9")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": "DEFAULT", "pretrained": True}, "pass weights= or pretrained=True, not both"),
        ({"weights": "DEFAULT", "num_classes": 10}, "num_classes=10 does not match weights"),
        ({"weights": "VGG16_Weights.IMAGENET1K_V1"}, "belong to vgg16, not resnet50"),
        ({"weights": "IMAGENET1K_V9"}, r"one of \['IMAGENET1K_V1', 'IMAGENET1K_V2', 'DEFAULT'"),
        ({"weights_backbone": "DEFAULT"}, "resnet50 has no separately trained backbone"),
        ({"pretrained": "yes"}, "pretrained must be True or False"),
    ],
)
def test_build_step_conflicts_have_one_message_each(kwargs, message):
    with pytest.raises(ValueError, match=message):
        vmodels.resnet50(**kwargs)


def test_weights_of_another_model_are_refused_naming_both():
    with pytest.raises(ValueError, match="belong to resnet18, not resnet50"):
        vmodels.resnet50(weights=vmodels.ResNet18_Weights.DEFAULT)


def test_build_info_records_what_the_model_was_built_with(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(vmodels.resnet18(num_classes=3).state_dict(), path)
    model = vmodels.resnet18(weights=path, num_classes=3)
    assert model.build_info == vmodels.BuildInfo("resnet18", str(path), None, {"num_classes": 3})


def _published(monkeypatch, tmp_path, model: str, state_dict: dict) -> WeightsEnum:
    """Register a one-member weights enum for ``model`` serving ``state_dict`` from a file."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(vmodels._weights, "_models", dict(vmodels._weights._models))
    monkeypatch.setattr(vmodels._weights, "_owners", dict(vmodels._weights._owners))
    path = tmp_path / f"{model}-00000000.pth"
    torch.save(state_dict, path)
    digest = vmodels._weights.file_sha256(path)
    entry = vmodels.Weights(
        path.as_uri(), ImageClassification, {"categories": list("abcd")}, sha256=digest
    )
    enum = WeightsEnum("Test_Weights", {"TEST": entry})
    vmodels._weights._models.pop(model)
    vmodels._weights.register_weights(model, enum)
    return enum


def test_googlenet_with_weights_normalises_its_input_and_drops_the_auxiliary_heads(
    monkeypatch, tmp_path
):
    torch.manual_seed(0)
    source = vmodels.googlenet(num_classes=4, aux_logits=True, transform_input=True).eval()
    enum = _published(monkeypatch, tmp_path, "googlenet", source.state_dict())
    loaded = vmodels.googlenet(weights=enum.TEST).eval()
    assert loaded.transform_input and loaded.aux1 is None and loaded.aux2 is None
    image = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(image), source(image), rtol=0, atol=0)
    kept = vmodels.googlenet(weights=enum.TEST, aux_logits=True)
    assert kept.aux1 is not None


@pytest.mark.parametrize(("name", "member"), ENTRIES[::7], ids=lambda v: str(v))
def test_members_pickle_by_name(name, member):
    assert pickle.loads(pickle.dumps(member)) is member


def test_list_models_of_vmodels_itself_lists_the_classifiers_as_torchvision_does():
    assert vmodels.list_models(vmodels) == vmodels.list_models(task="classification")


def test_list_models_with_the_task_first_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="pass the task as task='segmentation'"):
        assert vmodels.list_models("segmentation") == vmodels.list_models(task="segmentation")


def test_detection_backbones_are_where_torchvision_keeps_them():
    from vmodels.detection import backbone_utils

    assert backbone_utils.resnet_fpn_backbone is vmodels.backbones.resnet_fpn_backbone


def test_googlenet_accepts_init_weights_false_beside_weights(monkeypatch, tmp_path):
    torch.manual_seed(0)
    source = vmodels.googlenet(num_classes=4, aux_logits=True, transform_input=True)
    enum = _published(monkeypatch, tmp_path, "googlenet", source.state_dict())
    assert vmodels.googlenet(weights=enum.TEST, init_weights=False).transform_input
