"""The mobile Faster R-CNNs (MobileNetV3-Large FPN, full and 320 pixels) and the v2 R-CNNs
(batch-normalized ResNet-50 FPN): sizes, training and evaluation on small images, what weights
change in the backbone, bad arguments, TorchScript and torch.export."""

import re

import pytest
import torch
from torch import nn

import vmodels
import vops
from vmodels import WeightsEnum, _weights
from vmodels.backbones import mobilenet_backbone
from vmodels.detection.faster_rcnn import FastRCNNConvFCHead

MOBILE = ["fasterrcnn_mobilenet_v3_large_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn"]
V2 = ["fasterrcnn_resnet50_fpn_v2", "maskrcnn_resnet50_fpn_v2"]
# torchvision's published counts: the mobile ones trained from weights (frozen backbone batch
# norm holds buffers, not parameters); the v2 backbones keep trainable batch norm.
PUBLISHED_PARAMETERS = {
    "fasterrcnn_mobilenet_v3_large_fpn": 19_386_354,
    "fasterrcnn_mobilenet_v3_large_320_fpn": 19_386_354,
    "fasterrcnn_resnet50_fpn_v2": 43_712_278,
    "maskrcnn_resnet50_fpn_v2": 46_359_409,
}
# The 320 model resizes to 320 pixels whatever it is given; the others get small sizes here.
SMALL = {"min_size": 128, "max_size": 160}
FEW_ROIS = {
    "rpn_pre_nms_top_n_train": 200,
    "rpn_post_nms_top_n_train": 100,
    "rpn_pre_nms_top_n_test": 100,
    "rpn_post_nms_top_n_test": 50,
    "box_batch_size_per_image": 32,
    "box_detections_per_img": 10,
    "box_score_thresh": 0.0,
}


def _kwargs(name: str) -> dict:
    return {"num_classes": 3, **FEW_ROIS, **({} if "320" in name else SMALL)}


@pytest.fixture(scope="module", params=MOBILE + V2)
def model(request):
    torch.manual_seed(0)
    built = vmodels.get_model(request.param, **_kwargs(request.param))
    built.name = request.param
    return built


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    first = torch.rand(3, 128, 160, generator=generator) * 0.2
    first[:, 20:80, 10:60] = torch.tensor([0.9, 0.1, 0.1])[:, None, None]
    return [first, torch.rand(3, 96, 128, generator=generator)]


def _targets() -> list[dict[str, torch.Tensor]]:
    masks = torch.zeros(1, 128, 160, dtype=torch.uint8)
    masks[0, 20:80, 10:60] = 1
    with_object = {"boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": torch.tensor([2])}
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    with_object["masks"] = masks
    empty["masks"] = torch.zeros(0, 96, 128, dtype=torch.uint8)
    return [with_object, empty]


@pytest.fixture
def fake_downloads(monkeypatch, tmp_path):
    """Published weights "load" an untrained state of their model's layout (on meta)."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))

    def untrained(self, progress=True, check_hash=True):
        with torch.device("meta"):
            return vmodels.get_model(_weights._owners[self]).state_dict()

    monkeypatch.setattr(WeightsEnum, "get_state_dict", untrained)


@pytest.mark.parametrize("name", MOBILE + V2)
def test_with_its_weights_a_model_has_the_published_parameter_count(fake_downloads, name):
    with torch.device("meta"):
        model = vmodels.get_model(name, weights="COCO_V1")
    assert sum(p.numel() for p in model.parameters()) == PUBLISHED_PARAMETERS[name]
    norms = {
        type(m)
        for m in model.backbone.body.modules()
        if isinstance(m, (nn.BatchNorm2d, vops.FrozenBatchNorm2d))
    }
    # torchvision's v2 builders keep batch norm in the backbone even from trained weights.
    assert norms == ({nn.BatchNorm2d} if name in V2 else {vops.FrozenBatchNorm2d})


def _trainable_mobilenet_blocks(model: nn.Module) -> set[int]:
    body = model.backbone.body  # the blocks of mobilenet_v3_large's features, as "0".."16"
    return {int(n.split(".")[0]) for n, p in body.named_parameters() if p.requires_grad}


@pytest.mark.parametrize(
    ("kwargs", "blocks", "norm"),
    [
        ({}, set(range(17)), nn.BatchNorm2d),
        ({"trainable_backbone_layers": 1}, {16}, nn.BatchNorm2d),
        # the last three of the stages starting at blocks 0, 2, 4, 7, 13 and 16
        ({"weights_backbone": "IMAGENET1K_V1"}, set(range(7, 17)), vops.FrozenBatchNorm2d),
        ({"weights": "COCO_V1", "trainable_backbone_layers": 0}, set(), vops.FrozenBatchNorm2d),
    ],
)
def test_mobile_backbone_stages_train_and_freeze_as_torchvisions(
    fake_downloads, kwargs, blocks, norm
):
    with torch.device("meta"):
        model = vmodels.get_model(MOBILE[0], **kwargs)
    assert _trainable_mobilenet_blocks(model) == blocks
    assert isinstance(model.backbone.body.get_submodule("0.1"), norm)


def test_v2_backbone_from_trained_weights_trains_layer2_to_layer4(fake_downloads):
    with torch.device("meta"):
        model = vmodels.get_model(V2[0], weights_backbone="IMAGENET1K_V1")
    body = model.backbone.body
    trainable = {n.split(".")[0] for n, p in body.named_parameters() if p.requires_grad}
    assert trainable == {"layer2", "layer3", "layer4"}
    assert isinstance(body.bn1, nn.BatchNorm2d)


def test_mobilenet_v3_pyramid_reads_the_last_two_stages_both_at_stride_32():
    torch.manual_seed(0)
    backbone = mobilenet_backbone("mobilenet_v3_large", trainable_layers=0).eval()
    with torch.no_grad():
        maps = backbone(torch.rand(1, 3, 128, 192))
    assert {k: tuple(v.shape) for k, v in maps.items()} == {
        "0": (1, 256, 4, 6),
        "1": (1, 256, 4, 6),
        "pool": (1, 256, 2, 3),
    }
    assert not any(p.requires_grad for p in backbone.body.parameters())
    narrow = mobilenet_backbone("mobilenet_v3_large", returned_layers=[2, 3, 4])
    assert [m[0].in_channels for m in narrow.fpn.inner_blocks] == [40, 80, 160]


def test_conv_fc_box_head_layout_and_shapes():
    head = FastRCNNConvFCHead((8, 7, 7), [16, 16], [32], norm_layer=nn.BatchNorm2d)
    norm = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    conv = [f"{i}.{part}" for i in (0, 1) for part in ["0.weight", *[f"1.{n}" for n in norm]]]
    assert list(head.state_dict()) == [*conv, "3.weight", "3.bias"]  # 2 flattens, 4 is a ReLU
    assert head[0][0].bias is None and head(torch.rand(5, 8, 7, 7)).shape == (5, 32)
    plain = FastRCNNConvFCHead((8, 7, 7), [16], [32, 24])
    assert plain[0][0].bias is not None and plain(torch.rand(2, 8, 7, 7)).shape == (2, 24)
    assert (plain(torch.rand(2, 8, 7, 7)) >= 0).all()


def test_training_returns_finite_losses_with_an_image_without_objects(model):
    model.train()
    losses = model(_images(), _targets())
    expected = {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}
    if model.name.startswith("mask"):
        expected.add("loss_mask")
    assert set(losses) == expected
    assert all(v.dim() == 0 and torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.roi_heads.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    model.zero_grad(set_to_none=True)


def test_evaluation_returns_detections_in_original_image_coordinates(model):
    with torch.no_grad():
        detections = model.eval()(_images())
    for detection, (height, width) in zip(detections, [(128, 160), (96, 128)], strict=True):
        count = len(detection["boxes"])
        assert 0 < count <= FEW_ROIS["box_detections_per_img"]
        assert detection["boxes"].dtype == torch.float32
        assert detection["labels"].dtype == torch.int64 and detection["scores"].shape == (count,)
        boxes = detection["boxes"]
        assert (boxes >= 0).all() and (boxes[:, 0::2] <= width).all()
        assert (boxes[:, 1::2] <= height).all()
        if model.name.startswith("mask"):
            assert detection["masks"].shape == (count, 1, height, width)


def test_the_320_model_keeps_torchvisions_low_resolution_settings():
    with torch.device("meta"):
        model = vmodels.get_model(MOBILE[1], rpn_post_nms_top_n_test=99)
    assert (model.transform.min_size, model.transform.max_size) == ((320,), 640)
    model.eval()
    assert model.rpn.pre_nms_top_n() == 150 and model.rpn.post_nms_top_n() == 99
    assert model.rpn.score_thresh == 0.05
    assert model.rpn.anchor_generator.num_anchors_per_location() == [15, 15, 15]


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        (MOBILE[0], {"trainable_backbone_layers": 7}, "must be an int in [0, 6], got 7"),
        (MOBILE[1], {"weights": "COCO_V1", "num_classes": 5}, "num_classes=5 does not match"),
        (V2[1], {"trainable_backbone_layers": -1}, "must be an int in [0, 5], got -1"),
        (V2[0], {"num_classes": 1}, "num_classes must be an int >= 2"),
    ],
)
def test_bad_builder_arguments_are_refused(name, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        vmodels.get_model(name, **kwargs)


def test_bad_part_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"input_size must be \(channels, height, width\)"):
        FastRCNNConvFCHead((256, 7), [256], [1024])
    with pytest.raises(ValueError, match=r"returned_layers must be .* in \[0, 5\], got \[6\]"):
        mobilenet_backbone("mobilenet_v3_large", returned_layers=[6])


@pytest.fixture(scope="module")
def scripted_pair():
    """One mobile and one v2 model, small, in eval."""
    torch.manual_seed(0)
    return [vmodels.get_model(n, **_kwargs(n)).eval() for n in (MOBILE[1], V2[0])]


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("index", [0, 1])
def test_scripted_evaluation_equals_eager(scripted_pair, index):
    model = scripted_pair[index]
    scripted = torch.jit.script(model)
    with torch.no_grad():
        losses, got = scripted(_images())
        expected = model(_images())
    assert losses == {}
    for image_got, image_expected in zip(got, expected, strict=True):
        assert image_got.keys() == image_expected.keys()
        for key in image_expected:
            torch.testing.assert_close(image_got[key], image_expected[key], rtol=0, atol=0)


@pytest.mark.slow
@pytest.mark.parametrize("name", [MOBILE[1], V2[0]])
def test_exported_evaluation_equals_eager_for_any_image_size(name):
    torch.manual_seed(0)
    # Larger than SMALL: export fixes sizes of 1, and SMALL's coarsest maps can have one.
    sizes = {} if "320" in name else {"min_size": 256, "max_size": 384}
    model = vmodels.get_model(name, **{**_kwargs(name), **sizes}).eval()
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    program = torch.export.export(
        model, ([torch.rand(3, 120, 150)],), dynamic_shapes=([sides],), strict=False
    )
    generator = torch.Generator().manual_seed(1)
    for shape in [(3, 150, 120), (3, 64, 64), (3, 90, 200), (3, 333, 250)]:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        got = program.module()(images)
        for image_got, image_expected in zip(got, expected, strict=True):
            assert image_got.keys() == image_expected.keys()
            for key in image_expected:
                torch.testing.assert_close(image_got[key], image_expected[key], rtol=0, atol=0)
