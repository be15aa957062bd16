"""FCN and DeepLabV3: sizes, outputs, the feature getter, ASPP, scripting and weights handling."""

from collections import OrderedDict

import pytest
import torch
from torch import nn

import vmodels
from vmodels import Weights, WeightsEnum, _weights
from vmodels._registry import get_model, list_models
from vmodels._weights import file_sha256, register_weights
from vmodels.backbones import IntermediateLayerGetter
from vmodels.presets import SemanticSegmentation
from vmodels.segmentation._utils import VOC_CATEGORIES
from vmodels.segmentation.deeplabv3 import ASPP, ASPPPooling

# Parameter counts at 21 classes, with and without the auxiliary FCN head on layer3.
PARAMETER_COUNTS = {
    ("fcn_resnet50", False): 32_957_013,
    ("fcn_resnet50", True): 35_322_218,
    ("fcn_resnet101", False): 51_949_141,
    ("fcn_resnet101", True): 54_314_346,
    ("deeplabv3_resnet50", False): 39_638_869,
    ("deeplabv3_resnet50", True): 42_004_074,
    ("deeplabv3_resnet101", False): 58_630_997,
    ("deeplabv3_resnet101", True): 60_996_202,
}
# torchvision's COCO-with-VOC-labels checkpoints: file name and reported COCO val2017 figures.
PUBLISHED_WEIGHTS = [
    ("fcn_resnet50", "fcn_resnet50_coco-1167a1af.pth", {"miou": 60.5, "pixel_acc": 91.4}),
    ("fcn_resnet101", "fcn_resnet101_coco-7ecb50ca.pth", {"miou": 63.7, "pixel_acc": 91.9}),
    (
        "deeplabv3_resnet50",
        "deeplabv3_resnet50_coco-cd0a2569.pth",
        {"miou": 66.4, "pixel_acc": 92.4},
    ),
    (
        "deeplabv3_resnet101",
        "deeplabv3_resnet101_coco-586e9e4e.pth",
        {"miou": 67.4, "pixel_acc": 92.4},
    ),
]


@pytest.fixture(scope="module")
def fcn() -> nn.Module:
    """The one real FCN ResNet-50 of this module: 3 classes, auxiliary head."""
    torch.manual_seed(0)
    return get_model("fcn_resnet50", num_classes=3, aux_loss=True).eval()


@pytest.fixture(scope="module")
def backbone_file(fcn, tmp_path_factory):
    """A ResNet-50 classification checkpoint whose stages are those of ``fcn``'s backbone."""
    state = dict(fcn.backbone.state_dict())
    state["fc.weight"] = torch.zeros(1000, 2048)
    state["fc.bias"] = torch.zeros(1000)
    path = tmp_path_factory.mktemp("backbone") / "resnet50.pth"
    torch.save(state, path)
    return path


@pytest.fixture(scope="module")
def deeplab(backbone_file) -> nn.Module:
    """The one real DeepLabV3 ResNet-50 of this module: 3 classes, no auxiliary head, backbone
    initialized from ``backbone_file``."""
    torch.manual_seed(1)
    return get_model("deeplabv3_resnet50", num_classes=3, weights_backbone=backbone_file).eval()


@pytest.fixture
def image() -> torch.Tensor:
    # a size that is not a multiple of the output stride, to pin upsampling to the exact input size
    return torch.randn(1, 3, 60, 52, generator=torch.Generator().manual_seed(0))


@pytest.fixture
def own_weights_table(monkeypatch, tmp_path):
    """A private cache directory and a copy of the weights table, with downloads that fail."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(_weights, "_models", dict(_weights._models))
    monkeypatch.setattr(_weights, "_owners", dict(_weights._owners))


def test_segmentation_models_are_registered_under_their_task():
    assert list_models(task="segmentation") == [
        "deeplabv3_mobilenet_v3_large",
        "deeplabv3_resnet101",
        "deeplabv3_resnet50",
        "fcn_resnet101",
        "fcn_resnet50",
        "fpn_resnet18",
        "lraspp_mobilenet_v3_large",
    ]


@pytest.mark.parametrize(("name", "aux_loss"), sorted(PARAMETER_COUNTS))
def test_parameter_count_matches_published_model(name, aux_loss):
    with torch.device("meta"):
        model = get_model(name, aux_loss=aux_loss)
    count = sum(p.numel() for p in model.parameters())
    assert count == PARAMETER_COUNTS[name, aux_loss]
    assert (model.aux_classifier is not None) == aux_loss


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize(("model_name", "keys"), [("fcn", ["out", "aux"]), ("deeplab", ["out"])])
def test_output_is_dict_of_logits_at_input_resolution(model_name, keys, mode, image, request):
    model = request.getfixturevalue(model_name)
    model.train(mode == "train")  # batch 1 in training, through DeepLabV3's image pooling too
    try:
        with torch.no_grad():
            out = model(image)
    finally:
        model.eval()
    assert list(out) == keys
    for value in out.values():
        assert value.shape == (1, 3, 60, 52)
        assert torch.isfinite(value).all()


def test_heads_see_layer4_and_layer3_at_output_stride_8(fcn, image):
    seen = {}
    hooks = [
        head.register_forward_pre_hook(lambda _, args, key=key: seen.update({key: args[0].shape}))
        for key, head in [("out", fcn.classifier), ("aux", fcn.aux_classifier)]
    ]
    with torch.no_grad():
        fcn(image)
    for hook in hooks:
        hook.remove()
    # 60x52 -> stem and max pool 15x13 -> layer2 8x7, kept by the dilated layer3 and layer4
    assert seen == {"out": (1, 2048, 8, 7), "aux": (1, 1024, 8, 7)}


def test_deeplab_head_uses_atrous_rates_12_24_36(deeplab):
    aspp = deeplab.classifier[0]
    assert [branch[0].dilation for branch in aspp.convs[1:4]] == [(12, 12), (24, 24), (36, 36)]
    assert isinstance(aspp.convs[4], ASPPPooling)


def test_weights_backbone_initializes_the_backbone(deeplab, backbone_file):
    source = torch.load(backbone_file, weights_only=True)
    # parameters only: training-mode forwards of the shared fixtures move the norm statistics
    parameters = dict(deeplab.backbone.named_parameters())
    assert len(parameters) == 159  # those of ResNet-50 but its classifier
    assert all(torch.equal(value, source[key]) for key, value in parameters.items())


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_scripted_fcn_matches_eager(fcn, image):
    scripted = torch.jit.script(fcn)
    with torch.no_grad():
        expected, actual = fcn(image), scripted(image)
    assert list(actual) == list(expected)
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=0)


def _tiny_backbone() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(3, 4, 3, padding=1),
            relu=nn.ReLU(),
            pool=nn.MaxPool2d(2),
            head=nn.Conv2d(4, 2, 1),
            flatten=nn.Flatten(),
        )
    )


def test_intermediate_layer_getter_returns_requested_layers_in_running_order():
    model = _tiny_backbone()
    getter = IntermediateLayerGetter(model, {"pool": "pooled", "conv": "first"})
    assert list(getter) == ["conv", "relu", "pool"]  # nothing after the last requested child
    assert getter.state_dict().keys() == {"conv.weight", "conv.bias"}
    x = torch.randn(2, 3, 8, 8)
    features = getter(x)
    assert list(features) == ["first", "pooled"]
    first = model.conv(x)
    torch.testing.assert_close(features["first"], first, rtol=0, atol=0)
    torch.testing.assert_close(features["pooled"], model.pool(model.relu(first)), rtol=0, atol=0)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_intermediate_layer_getter_scripts():
    getter = IntermediateLayerGetter(_tiny_backbone(), {"relu": "a", "head": "b"})
    x = torch.randn(1, 3, 8, 8)
    expected, actual = getter(x), torch.jit.script(getter)(x)
    assert list(actual) == ["a", "b"]
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=0)


@pytest.mark.parametrize(
    ("return_layers", "message"),
    [
        ({"layer9": "out"}, r"names \['layer9'\], which are not direct children of the Sequential"),
        ({"conv": "out", "0": "aux"}, r"its children are \['conv', 'relu', 'pool', 'head'"),
        ({}, "must be a non-empty dict"),
        ({"conv": 1}, "must be a non-empty dict"),
        ({"conv": "out", "pool": "out"}, "repeats an output name"),
    ],
)
def test_intermediate_layer_getter_rejects_bad_return_layers(return_layers, message):
    with pytest.raises(ValueError, match=message):
        IntermediateLayerGetter(_tiny_backbone(), return_layers)


@pytest.fixture
def aspp() -> ASPP:
    torch.manual_seed(0)
    module = ASPP(8, [1, 2], out_channels=4)
    with torch.no_grad():
        pooling_norm = module.convs[3][2]
        pooling_norm.running_mean.uniform_(-0.5, 0.5)
        pooling_norm.running_var.uniform_(0.5, 1.5)
    return module


def test_aspp_works_at_batch_1_in_eval(aspp):
    x = torch.randn(1, 8, 5, 6)
    with torch.no_grad():
        out = aspp.eval()(x)
        pooled = aspp.convs[3](x)
    assert out.shape == (1, 4, 5, 6)
    assert pooled.shape == (1, 4, 5, 6)
    torch.testing.assert_close(pooled, pooled[:, :, :1, :1].expand_as(pooled))  # image-level


def test_image_pooling_at_batch_1_in_training_uses_running_statistics(aspp):
    pooling = aspp.convs[3]
    norm = pooling[2]
    before = [norm.running_mean.clone(), norm.running_var.clone(), norm.num_batches_tracked.clone()]
    x = torch.randn(1, 8, 5, 6)
    with torch.no_grad():
        trained = aspp.train()(x)
        pooled_train = pooling(x)
        pooled_eval = pooling.eval()(x)
    assert trained.shape == (1, 4, 5, 6)
    torch.testing.assert_close(pooled_train, pooled_eval, rtol=0, atol=0)
    after = [norm.running_mean, norm.running_var, norm.num_batches_tracked]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))


def test_image_pooling_in_training_with_a_batch_uses_batch_statistics(aspp):
    norm = aspp.convs[3][2]
    running_mean = norm.running_mean.clone()
    with torch.no_grad():
        aspp.train()(torch.randn(2, 8, 5, 6))
    assert not torch.equal(norm.running_mean, running_mean)
    assert norm.num_batches_tracked.item() == 1


@pytest.mark.parametrize("rates", [[], [0, 12], (12.0,), "12"])
def test_aspp_rejects_bad_atrous_rates(rates):
    with pytest.raises(ValueError, match="atrous_rates must be a non-empty list of positive ints"):
        ASPP(8, rates)


@pytest.mark.parametrize(("model", "file_name", "metrics"), PUBLISHED_WEIGHTS)
def test_published_coco_voc_weights_are_registered(model, file_name, metrics):
    weights = vmodels.get_model_weights(model)
    assert list(weights.__members__) == ["COCO_WITH_VOC_LABELS_V1", "DEFAULT"]
    entry = weights.DEFAULT
    assert vmodels.list_weights(model) == [f"{model}.coco_with_voc_labels_v1"]
    assert entry.url == f"https://download.pytorch.org/models/{file_name}"
    assert entry.value.digest == file_name.rsplit("-", 1)[1].removesuffix(".pth")
    assert entry.meta["categories"] == VOC_CATEGORIES
    assert entry.meta["categories"][0] == "__background__"
    assert entry.meta["categories"][-1] == "tvmonitor"
    assert entry.meta["_metrics"] == {"COCO-val2017-VOC-labels": metrics}
    preset = entry.transforms()
    assert isinstance(preset, SemanticSegmentation)
    assert preset.resize_size == [520]
    assert preset.mean == [0.485, 0.456, 0.406] and preset.std == [0.229, 0.224, 0.225]


def _assert_same_outputs(a: nn.Module, b: nn.Module, image: torch.Tensor) -> None:
    with torch.no_grad():
        expected, actual = a(image), b(image)
    assert list(actual) == list(expected)
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], rtol=0, atol=0)


def test_weights_from_local_file_round_trip(fcn, tmp_path, image):
    path = tmp_path / "fcn.pth"
    torch.save(fcn.state_dict(), path)
    loaded = get_model("fcn_resnet50", num_classes=3, weights=path).eval()
    assert loaded.aux_classifier is not None  # aux_loss defaults to True with weights
    _assert_same_outputs(fcn, loaded, image)


def test_registered_weights_set_num_classes_and_aux_head(fcn, tmp_path, own_weights_table):
    published = tmp_path / "fcn_resnet50_tiny-0000.pth"
    torch.save(fcn.state_dict(), published)
    categories = {"categories": ["a", "b", "c"]}
    entry = Weights(published.as_uri(), SemanticSegmentation, categories, file_sha256(published))
    tiny = WeightsEnum("Tiny_Weights", {"TINY": entry})
    _weights._models.pop("fcn_resnet50")
    register_weights("fcn_resnet50", tiny)
    loaded = get_model("fcn_resnet50", weights="fcn_resnet50.tiny")
    assert loaded.classifier[4].out_channels == 3
    assert loaded.aux_classifier[4].out_channels == 3
    ours, source = loaded.state_dict(), fcn.state_dict()
    assert all(torch.equal(ours[key], source[key]) for key in source)


def _no_download(weights, path):
    raise AssertionError(f"the test tried to download {weights.url}")


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        (
            "fcn_resnet101",
            {"weights": "COCO_WITH_VOC_LABELS_V1", "num_classes": 3},
            "num_classes=3 does not match weights FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1, "
            "which predict 21",
        ),
        (
            "deeplabv3_resnet101",
            {"pretrained": True, "num_classes": 20},
            "num_classes=20 does not match weights DeepLabV3_ResNet101_Weights",
        ),
        (
            "fcn_resnet101",
            {"pretrained": True, "aux_loss": False},
            "include the auxiliary classifier, so aux_loss must be True or unset",
        ),
        ("fcn_resnet50", {"num_classes": 0}, "num_classes must be an int >= 1, got 0"),
        ("deeplabv3_resnet50", {"aux_loss": "yes"}, "aux_loss must be None, True or False"),
    ],
)
def test_conflicting_arguments_raise_before_any_download(
    name, kwargs, message, monkeypatch, own_weights_table
):
    monkeypatch.setattr(_weights, "_download", _no_download)
    with pytest.raises(ValueError, match=message):
        get_model(name, **kwargs)
