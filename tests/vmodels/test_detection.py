"""Faster, Mask and Keypoint R-CNN: training and evaluation on tiny images, empty targets, bad
targets, overfitting one batch and TorchScript; what the builders make of weights. The parts have
their own hand-made cases in test_detection_parts.py."""

import functools
import re

import pytest
import torch

import vmodels
import vops
from vmodels import BuildInfo, Weights, WeightsEnum, _weights
from vmodels.detection import (
    AnchorGenerator,
    FasterRCNN,
    KeypointRCNNHeads,
    KeypointRCNNPredictor,
    MaskRCNNHeads,
    MaskRCNNPredictor,
    mobilenet_backbone,
    resnet_fpn_backbone,
)
from vmodels.presets import ObjectDetection

# The 2019 R-CNNs; each later detector family has a test file of its own.
DETECTION_MODELS = [
    "fasterrcnn_resnet50_fpn",
    "keypointrcnn_resnet50_fpn",
    "maskrcnn_resnet18_fpn",
    "maskrcnn_resnet50_fpn",
]
NUM_KEYPOINTS = 4
SMALL = {"min_size": 96, "max_size": 128}
# Fewer proposals and RoIs than the release's defaults keep the heads cheap on tiny images.
FEW_ROIS = {
    "rpn_pre_nms_top_n_train": 200,
    "rpn_post_nms_top_n_train": 100,
    "rpn_pre_nms_top_n_test": 200,
    "rpn_post_nms_top_n_test": 100,
    "box_batch_size_per_image": 32,
    "box_detections_per_img": 10,
}


def _build(name: str, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    if name.startswith("keypoint"):
        if "keypoint_predictor" not in kwargs:
            kwargs["num_keypoints"] = NUM_KEYPOINTS
    else:
        kwargs["num_classes"] = 3
    return vmodels.get_model(name, **SMALL, **FEW_ROIS, **kwargs)


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    first = torch.rand(3, 128, 160, generator=generator) * 0.2
    first[:, 20:80, 10:60] = torch.tensor([0.9, 0.1, 0.1])[:, None, None]
    second = torch.rand(3, 96, 128, generator=generator) * 0.2
    return [first, second]


def _targets(name: str, second_empty: bool = True) -> list[dict[str, torch.Tensor]]:
    boxes = torch.tensor([[10.0, 20.0, 60.0, 80.0]])
    masks = torch.zeros(1, 128, 160, dtype=torch.uint8)
    masks[0, 20:80, 10:60] = 1
    keypoints = torch.tensor([[[35.0, 20.0, 2], [10.0, 50.0, 2], [60.0, 50.0, 2], [35.0, 80.0, 1]]])
    labels = torch.tensor([1])
    first = {"boxes": boxes, "labels": labels, "masks": masks, "keypoints": keypoints}
    if second_empty:
        second = {
            "boxes": torch.zeros(0, 4),
            "labels": torch.zeros(0, dtype=torch.int64),
            "masks": torch.zeros(0, 96, 128, dtype=torch.uint8),
            "keypoints": torch.zeros(0, NUM_KEYPOINTS, 3),
        }
    else:
        second = {
            "boxes": torch.tensor([[30.0, 10.0, 90.0, 50.0]]),
            "labels": torch.tensor([2 if not name.startswith("keypoint") else 1]),
            "masks": torch.zeros(1, 96, 128, dtype=torch.uint8),
            "keypoints": keypoints - torch.tensor([[[0.0, 5.0, 0.0]]]),
        }
        second["masks"][0, 10:50, 30:90] = 1
    return [first, second]


def _expected_losses(name: str) -> set[str]:
    losses = {"loss_classifier", "loss_box_reg", "loss_objectness", "loss_rpn_box_reg"}
    if name.startswith("mask"):
        losses.add("loss_mask")
    if name.startswith("keypoint"):
        losses.add("loss_keypoint")
    return losses


def test_the_three_release_models_are_registered_for_detection():
    release = {"fasterrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"}
    assert release <= set(DETECTION_MODELS)


@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_training_returns_finite_losses_with_an_image_without_objects(name):
    model = _build(name).train()
    losses = model(_images(), _targets(name, second_empty=True))
    assert set(losses) == _expected_losses(name)
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.roi_heads.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_evaluation_returns_detections_in_original_image_coordinates(name):
    model = _build(name, box_score_thresh=0.0).eval()
    with torch.no_grad():
        detections = model(_images())
    assert len(detections) == 2
    for detection, (height, width) in zip(detections, [(128, 160), (96, 128)], strict=True):
        count = len(detection["boxes"])
        assert 0 < count <= FEW_ROIS["box_detections_per_img"]
        assert detection["labels"].dtype == torch.int64 and detection["scores"].shape == (count,)
        boxes = detection["boxes"]
        assert (boxes[:, 0::2] <= width).all() and (boxes[:, 1::2] <= height).all()
        assert (boxes >= 0).all()
        assert (detection["scores"][:-1] >= detection["scores"][1:]).all()
        if name.startswith("mask"):
            masks = detection["masks"]
            assert masks.shape == (count, 1, height, width)
            assert ((masks >= 0) & (masks <= 1)).all()
        if name.startswith("keypoint"):
            assert detection["keypoints"].shape == (count, NUM_KEYPOINTS, 3)
            assert detection["keypoints_scores"].shape == (count, NUM_KEYPOINTS)


def _small_heads(name: str) -> dict[str, torch.nn.Module]:
    """Narrow mask or keypoint heads: the release's are sized for 17 keypoints at 800 pixels."""
    if not name.endswith("resnet50_fpn"):
        return {}
    if name.startswith("mask"):
        return {
            "mask_head": MaskRCNNHeads(256, (64, 64)),
            "mask_predictor": MaskRCNNPredictor(64, 64, 3),
        }
    if name.startswith("keypoint"):
        return {
            "keypoint_head": KeypointRCNNHeads(256, (64, 64)),
            "keypoint_predictor": KeypointRCNNPredictor(64, NUM_KEYPOINTS),
        }
    return {}


@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_losses_fall_when_overfitting_one_batch(name):
    torch.manual_seed(0)
    model = _build(name, trainable_backbone_layers=0, **_small_heads(name)).train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    totals = []
    for _ in range(6):
        losses = model(_images(), _targets(name, second_empty=False))
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert all(torch.isfinite(torch.tensor(totals)))
    assert totals[-1] < 0.6 * totals[0], totals


@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_degenerate_target_box_names_the_image_and_the_box(name):
    model = _build(name).train()
    targets = _targets(name, second_empty=False)
    targets[1]["boxes"] = torch.tensor([[30.0, 10.0, 30.0, 50.0]])
    with pytest.raises(
        ValueError, match=r"targets\[1\]\['boxes'\]\[0\] = \[30.0, 10.0, 30.0, 50.0\]"
    ):
        model(_images(), targets)


def test_missing_masks_and_integer_boxes_are_reported():
    model = _build("maskrcnn_resnet50_fpn").train()
    targets = _targets("maskrcnn_resnet50_fpn")
    del targets[0]["masks"]
    with pytest.raises(ValueError, match=r"targets\[0\] must hold 'masks'"):
        model(_images(), targets)
    targets = _targets("maskrcnn_resnet50_fpn")
    targets[1]["boxes"] = targets[1]["boxes"].long()
    with pytest.raises(ValueError, match=r"targets\[1\]\['boxes'\] must be a float Tensor"):
        model(_images(), targets)
    with pytest.raises(ValueError, match="targets must be given in training mode"):
        model(_images())


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("name", DETECTION_MODELS)
def test_scripted_evaluation_equals_eager(name):
    model = _build(name, box_score_thresh=0.0).eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        losses, scripted_detections = scripted(_images())
        detections = model(_images())
    assert losses == {}
    for got, expected in zip(scripted_detections, detections, strict=True):
        assert got.keys() == expected.keys()
        for key in expected:
            torch.testing.assert_close(got[key], expected[key], rtol=0, atol=0)


@pytest.fixture
def offline_cache(monkeypatch, tmp_path):
    """An empty private cache: a builder that tried to fetch weights would fail offline."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        (
            "maskrcnn_resnet50_fpn",
            {"weights": "DEFAULT", "pretrained": True},
            "maskrcnn_resnet50_fpn: pass weights= or pretrained=True, not both",
        ),
        (
            "fasterrcnn_resnet50_fpn",
            {"weights": "DEFAULT", "num_classes": 5},
            "num_classes=5 does not match weights FasterRCNN_ResNet50_FPN_Weights.COCO_V1, "
            "which predict 91 categories",
        ),
        (
            "keypointrcnn_resnet50_fpn",
            {"weights": "COCO_V1", "num_keypoints": 4},
            "num_keypoints=4 does not match weights KeypointRCNN_ResNet50_FPN_Weights.COCO_V1, "
            "which predict 17 keypoints",
        ),
        *[
            (
                "fasterrcnn_resnet50_fpn",
                {"weights": w},
                "MaskRCNN_ResNet50_FPN_Weights.COCO_V1 belong to maskrcnn_resnet50_fpn, not "
                "fasterrcnn_resnet50_fpn",
            )
            for w in [
                vmodels.detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1,
                "MaskRCNN_ResNet50_FPN_Weights.COCO_V1",
                "maskrcnn_resnet50_fpn.coco_v1",
            ]
        ],
        ("maskrcnn_resnet50_fpn", {"num_classes": 1}, "num_classes must be an int >= 2"),
        (
            "fasterrcnn_resnet50_fpn",
            {"trainable_backbone_layers": 6},
            "trainable_backbone_layers must be an int in [0, 5], got 6",
        ),
        (
            "maskrcnn_resnet18_fpn",
            {"pretrained": True},
            "maskrcnn_resnet18_fpn has no published weights",
        ),
    ],
)
def test_conflicting_weights_arguments_are_refused_before_building(
    offline_cache, name, kwargs, message
):
    with pytest.raises(ValueError, match=re.escape(message)):
        vmodels.get_model(name, **kwargs)


def test_backbone_weights_beside_the_models_are_ignored_with_a_warning(offline_cache):
    # As torchvision: the model's weights include the backbone. (num_classes stops the build.)
    with (
        pytest.warns(UserWarning, match="weights_backbone is ignored, since the model's weights"),
        pytest.raises(ValueError, match="num_classes=5 does not match"),
    ):
        vmodels.get_model(
            "fasterrcnn_resnet50_fpn",
            weights="COCO_V1",
            weights_backbone="IMAGENET1K_V1",
            num_classes=5,
        )


def test_coco_weights_list_the_91_coco_ids_and_17_person_keypoints():
    faster = vmodels.detection.FasterRCNN_ResNet50_FPN_Weights.DEFAULT
    assert faster is vmodels.detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1
    assert len(faster.meta["categories"]) == 91
    assert faster.meta["categories"][1] == "person"
    keypoints = vmodels.detection.KeypointRCNN_ResNet50_FPN_Weights.DEFAULT.meta
    assert len(keypoints["categories"]) == 2 and len(keypoints["keypoint_names"]) == 17
    assert isinstance(faster.transforms(), ObjectDetection)


@functools.cache
def _untrained_state(model: str) -> dict[str, torch.Tensor]:
    """Names and shapes of a model's state, on the meta device: no memory, no downloads."""
    with torch.device("meta"):
        return vmodels.get_model(model).state_dict()


@pytest.fixture
def fake_downloads(monkeypatch, offline_cache):
    """Published weights "load" an untrained state of their model's layout (on meta)."""
    monkeypatch.setattr(
        WeightsEnum,
        "get_state_dict",
        lambda self, progress=True, check_hash=True: _untrained_state(_weights._owners[self]),
    )


FASTER_COCO = "FasterRCNN_ResNet50_FPN_Weights.COCO_V1"


@pytest.mark.parametrize(
    ("name", "kwargs", "weights", "weights_backbone", "num_classes", "eps"),
    [
        *[
            ("fasterrcnn_resnet50_fpn", {"weights": w}, FASTER_COCO, None, 91, 0.0)
            for w in [
                vmodels.detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1,
                "DEFAULT",
                "COCO_V1",
                FASTER_COCO,
                "fasterrcnn_resnet50_fpn.coco_v1",
            ]
        ],
        (
            "maskrcnn_resnet50_fpn",
            {"pretrained": True},
            "MaskRCNN_ResNet50_FPN_Weights.COCO_V1",
            None,
            91,
            0.0,
        ),
        (
            "keypointrcnn_resnet50_fpn",
            {"pretrained": True},
            "KeypointRCNN_ResNet50_FPN_Weights.COCO_V1",
            None,
            2,
            0.0,
        ),
        # Only the COCO_V1 checkpoints were trained when frozen batch norm had no epsilon.
        (
            "keypointrcnn_resnet50_fpn",
            {"weights": "COCO_LEGACY"},
            "KeypointRCNN_ResNet50_FPN_Weights.COCO_LEGACY",
            None,
            2,
            1e-5,
        ),
        (
            "fasterrcnn_resnet50_fpn",
            {"weights_backbone": "DEFAULT"},
            None,
            "ResNet50_Weights.IMAGENET1K_V2",
            91,
            1e-5,
        ),
        (
            "fasterrcnn_resnet50_fpn",
            {"pretrained_backbone": True},
            None,
            "ResNet50_Weights.IMAGENET1K_V1",
            91,
            1e-5,
        ),
    ],
)
def test_trained_weights_size_the_head_freeze_batch_norm_and_are_recorded(
    fake_downloads, name, kwargs, weights, weights_backbone, num_classes, eps
):
    with torch.device("meta"):
        model = vmodels.get_model(name, **kwargs)
    assert model.build_info == BuildInfo(name, weights, weights_backbone, {})
    assert model.roi_heads.box_predictor.cls_score.out_features == num_classes
    if name.startswith("keypoint"):
        assert model.roi_heads.keypoint_predictor.kps_score_lowres.out_channels == 17
    body = model.backbone.body
    norms = [
        m for m in body.modules() if isinstance(m, (torch.nn.BatchNorm2d, vops.FrozenBatchNorm2d))
    ]
    assert all(isinstance(m, vops.FrozenBatchNorm2d) and m.eps == eps for m in norms)
    trainable = {n.split(".")[0] for n, p in body.named_parameters() if p.requires_grad}
    assert trainable == {"layer2", "layer3", "layer4"}


def test_from_scratch_backbone_trains_its_batch_norm_and_every_stage():
    model = _build("fasterrcnn_resnet50_fpn")
    body = model.backbone.body
    assert isinstance(body.bn1, torch.nn.BatchNorm2d)
    assert all(p.requires_grad for p in body.parameters())


@pytest.mark.parametrize("trainable_layers", [0, 3, 5])
def test_resnet_fpn_backbone_freezes_stages_and_batch_norm(trainable_layers):
    with torch.device("meta"):
        backbone = resnet_fpn_backbone("resnet18", trainable_layers=trainable_layers)
    assert backbone.out_channels == 256
    assert isinstance(backbone.body.bn1, vops.FrozenBatchNorm2d)
    trainable = {n.split(".")[0] for n, p in backbone.body.named_parameters() if p.requires_grad}
    assert trainable == set(["layer4", "layer3", "layer2", "layer1", "conv1"][:trainable_layers])


def test_resnet_fpn_backbone_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"trainable_layers must be an int in \[0, 5\]"):
        resnet_fpn_backbone("resnet18", trainable_layers=6)
    with pytest.raises(ValueError, match=r"trainable_layers must be an int in \[0, 5\], got True"):
        resnet_fpn_backbone("resnet18", trainable_layers=True)
    with pytest.raises(ValueError, match="returned_layers must be a non-empty subset"):
        resnet_fpn_backbone("resnet18", returned_layers=[0, 5])
    with pytest.raises(ValueError, match="ResNet-family"):
        resnet_fpn_backbone("mobilenet_v2")


@pytest.mark.parametrize(("fpn", "feature_maps"), [(True, ["0"]), (False, ["0"])])
def test_faster_rcnn_accepts_a_mobilenet_backbone(fpn, feature_maps):
    torch.manual_seed(0)
    backbone = mobilenet_backbone("mobilenet_v2", fpn=fpn, trainable_layers=2)
    levels = 3 if fpn else 1  # two pyramid maps and a max-pooled one
    model = FasterRCNN(
        backbone,
        num_classes=3,
        rpn_anchor_generator=AnchorGenerator(((32, 64),) * levels, ((0.5, 1.0, 2.0),) * levels),
        box_roi_pool=vops.MultiScaleRoIAlign(feature_maps, 7, 2),
        **SMALL,
        **FEW_ROIS,
    )
    losses = model.train()(_images(), _targets("fasterrcnn", second_empty=True))
    assert all(torch.isfinite(v) for v in losses.values())
    with torch.no_grad():
        detections = model.eval()(_images())
    assert len(detections) == 2


def test_faster_rcnn_requires_backbone_out_channels():
    with pytest.raises(ValueError, match="out_channels"):
        FasterRCNN(torch.nn.ReLU(), num_classes=3)


@pytest.fixture(scope="module")
def untrained_checkpoint(tmp_path_factory):
    """A 3-class Faster R-CNN built from scratch (trainable batch norm), saved once."""
    model = _build("fasterrcnn_resnet50_fpn")
    path = tmp_path_factory.mktemp("checkpoint") / "detector.pth"
    torch.save(model.state_dict(), path)
    return path, model.state_dict()


def _assert_loaded(model: torch.nn.Module, reference: dict[str, torch.Tensor]) -> None:
    assert isinstance(model.backbone.body.bn1, vops.FrozenBatchNorm2d)
    state = model.state_dict()
    # Frozen batch norm keeps no num_batches_tracked; every other entry was loaded.
    assert set(state) == {k for k in reference if not k.endswith("num_batches_tracked")}
    for key, value in state.items():
        torch.testing.assert_close(value, reference[key], rtol=0, atol=0, msg=key)


def test_a_checkpoint_file_loads_into_the_frozen_batch_norm_layout(untrained_checkpoint):
    path, reference = untrained_checkpoint
    _assert_loaded(_build("fasterrcnn_resnet50_fpn", weights=str(path)), reference)


def test_registered_weights_at_a_file_url_load_through_the_builder(
    monkeypatch, tmp_path, untrained_checkpoint
):
    path, reference = untrained_checkpoint
    name = "fasterrcnn_resnet50_fpn"
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path))
    # The model's published entries make way for a local one.
    monkeypatch.setattr(
        _weights, "_models", {m: w for m, w in _weights._models.items() if m != name}
    )
    monkeypatch.setattr(
        _weights, "_owners", {w: m for w, m in _weights._owners.items() if m != name}
    )
    entry = Weights(
        path.as_uri(),
        ObjectDetection,
        {"categories": ["__background__", "circle", "square"]},
        sha256=_weights.file_sha256(path),
    )
    local = WeightsEnum("Local_Weights", {"V1": entry})
    _weights.register_weights(name, local)
    model = vmodels.get_model(name, weights="V1", **SMALL)  # num_classes from the categories
    _assert_loaded(model, reference)
    assert model.build_info == BuildInfo(name, "Local_Weights.V1", None, SMALL)
    assert (tmp_path / "checkpoints" / path.name).is_file()


# Mask R-CNN runs every part of Faster R-CNN; Keypoint R-CNN reads each heatmap at its RoI's own
# size, all RoIs at once.
@pytest.mark.parametrize("name", ["maskrcnn_resnet18_fpn", "keypointrcnn_resnet50_fpn"])
def test_exported_evaluation_equals_eager_for_any_image_size(name):
    """torch.export with the image's sides dynamic: images of other sizes and shapes than the
    traced one get eager's detections, whose number is data-dependent."""
    # Larger than SMALL: export fixes sizes of 1, and SMALL's coarsest maps can have one.
    torch.manual_seed(0)
    classes = 2 if name.startswith("keypoint") else 3
    model = vmodels.get_model(
        name, num_classes=classes, min_size=256, max_size=384, **FEW_ROIS
    ).eval()
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    traced = [torch.rand(3, 120, 150)]
    program = torch.export.export(model, (traced,), dynamic_shapes=([sides],), strict=False)
    generator = torch.Generator().manual_seed(1)
    for shape in [(3, 120, 150), (3, 150, 120), (3, 64, 64), (3, 90, 200), (3, 333, 250)]:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        got = program.module()(images)
        for image_got, image_expected in zip(got, expected, strict=True):
            assert image_got.keys() == image_expected.keys()
            for key in image_expected:
                torch.testing.assert_close(image_got[key], image_expected[key], rtol=0, atol=0)
