"""SSDlite320 MobileNetV3-Large: the depthwise-separable heads and extra blocks on hand-checked
shapes, the builder's arguments, training and evaluation, TorchScript and torch.export."""

from functools import partial

import pytest
import torch
from torch import nn

import vmodels
import vops
from vmodels.classification.mobilenetv3 import mobilenet_v3_large
from vmodels.detection.ssdlite import (
    SSDLite320_MobileNet_V3_Large_Weights,
    SSDLiteFeatureExtractorMobileNet,
    SSDLiteHead,
    mobilenet_extractor,
)

NAME = "ssdlite320_mobilenet_v3_large"
NUM_CLASSES = 3


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return vmodels.get_model(NAME, num_classes=NUM_CLASSES, detections_per_img=20)


def _images() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    first = torch.rand(3, 96, 128, generator=generator) * 0.2
    first[:, 20:80, 10:60] = torch.tensor([0.9, 0.1, 0.1])[:, None, None]
    return [first, torch.rand(3, 80, 64, generator=generator)]


def _targets() -> list[dict[str, torch.Tensor]]:
    return [
        {"boxes": torch.tensor([[10.0, 20.0, 60.0, 80.0]]), "labels": torch.tensor([1])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]


def test_parameter_count_is_torchvisions():
    with torch.device("meta"):
        model = vmodels.get_model(NAME)
    assert sum(p.numel() for p in model.parameters()) == 3_440_060
    assert SSDLite320_MobileNet_V3_Large_Weights.COCO_V1.meta["num_params"] == 3_440_060


def test_head_is_depthwise_separable_with_one_block_per_map():
    head = SSDLiteHead([8, 16], [6, 4], NUM_CLASSES, nn.BatchNorm2d)
    for scoring, columns in [(head.classification_head, NUM_CLASSES), (head.regression_head, 4)]:
        assert scoring.num_columns == columns
        for block, channels, anchors in zip(scoring.module_list, [8, 16], [6, 4], strict=True):
            depthwise, norm, activation = block[0]
            assert (depthwise.in_channels, depthwise.out_channels) == (channels, channels)
            assert depthwise.groups == channels and depthwise.kernel_size == (3, 3)
            assert depthwise.padding == (1, 1) and depthwise.bias is None
            assert isinstance(norm, nn.BatchNorm2d) and isinstance(activation, nn.ReLU6)
            pointwise = block[1]
            assert pointwise.kernel_size == (1, 1)
            assert (pointwise.in_channels, pointwise.out_channels) == (channels, columns * anchors)
            assert not pointwise.bias.any()


def test_head_outputs_every_maps_boxes_cell_row_major_then_anchor():
    torch.manual_seed(0)
    head = SSDLiteHead([8, 16], [6, 4], NUM_CLASSES, nn.BatchNorm2d).eval()
    features = [torch.randn(2, 8, 5, 3), torch.randn(2, 16, 2, 2)]
    with torch.no_grad():
        outputs = head(features)
        level = head.regression_head.module_list[1](features[1])  # [2, 4 anchors * 4, 2, 2]
    assert outputs["cls_logits"].shape == (2, 5 * 3 * 6 + 2 * 2 * 4, NUM_CLASSES)
    assert outputs["bbox_regression"].shape == (2, 5 * 3 * 6 + 2 * 2 * 4, 4)
    # Cell (row 1, column 0) of map 1, its anchor 2: box 90 + (1 * 2 + 0) * 4 + 2 = 100.
    torch.testing.assert_close(outputs["bbox_regression"][:, 100], level[:, 8:12, 1, 0])


def test_head_needs_one_anchor_count_per_map():
    with pytest.raises(ValueError, match="num_anchors"):
        SSDLiteHead([8, 16], [6], NUM_CLASSES, nn.BatchNorm2d)


def test_feature_maps_are_20_10_5_3_2_1_cells_at_320(model):
    backbone = model.backbone
    # The reduced tail (no backbone weights): the last stage and its 1x1 are halved, 960 -> 480.
    assert backbone.out_channels == [672, 480, 512, 256, 256, 128]
    with torch.no_grad():
        features = backbone.eval()(torch.zeros(1, 3, 320, 320))
    assert list(features) == ["0", "1", "2", "3", "4", "5"]
    shapes = [tuple(f.shape[1:]) for f in features.values()]
    assert shapes == [
        (672, 20, 20),
        (480, 10, 10),
        (512, 5, 5),
        (256, 3, 3),
        (256, 2, 2),
        (128, 1, 1),
    ]
    for block, (mid, out) in zip(
        backbone.extra, [(256, 512), (128, 256), (128, 256), (64, 128)], strict=True
    ):
        reduce, depthwise, expand = (b[0] for b in block)
        assert (reduce.out_channels, reduce.kernel_size) == (mid, (1, 1))
        assert depthwise.groups == mid and depthwise.stride == (2, 2)
        assert (expand.out_channels, expand.kernel_size) == (out, (1, 1))
        assert all(isinstance(b[2], nn.ReLU6) for b in block)


def test_map_0_is_the_expansion_of_the_first_stride_32_block():
    with torch.device("meta"):
        features = mobilenet_v3_large(reduced_tail=False).features
        extractor = SSDLiteFeatureExtractorMobileNet(features, 13, nn.BatchNorm2d, width_mult=0.5)
    assert extractor.features[0][-1] is features[13].block[0]
    assert list(extractor.features[1][0]) == list(features[13].block[1:])
    # A full tail ends with 960 channels; the extra blocks are 512, 256, 256, 128 times 0.5.
    assert extractor.out_channels == [672, 960, 256, 128, 128, 64]
    with pytest.raises(ValueError, match="c4_pos"):
        SSDLiteFeatureExtractorMobileNet(features, 14, nn.BatchNorm2d)


@pytest.mark.parametrize(("trainable", "first_trainable"), [(0, 17), (3, 7), (6, 0)])
def test_trainable_backbone_layers_freeze_the_first_stages(trainable, first_trainable):
    with torch.device("meta"):
        features = mobilenet_v3_large().features
        extractor = mobilenet_extractor(features, trainable, nn.BatchNorm2d)
    # The stages start at blocks 0, 2, 4, 7, 13 and 16 (the last layer).
    for i, block in enumerate(features):
        assert all(p.requires_grad == (i >= first_trainable) for p in block.parameters()), i
    assert all(p.requires_grad for p in extractor.extra.parameters())


@pytest.mark.parametrize("value", [-1, 7, 2.0, True])
def test_trainable_backbone_layers_out_of_range_is_refused(value):
    message = r"trainable_backbone_layers must be an int in \[0, 6\]"
    with pytest.raises(ValueError, match=message), torch.device("meta"):
        vmodels.get_model(NAME, trainable_backbone_layers=value)


def test_size_and_num_classes_are_checked():
    with pytest.raises(ValueError, match="fixed size"):
        vmodels.get_model(NAME, size=(300, 300))
    with pytest.raises(ValueError, match="num_classes"):
        vmodels.get_model(NAME, num_classes=1)


def test_norm_layer_is_used_everywhere_and_defaults_to_batch_norm_of_momentum_003():
    with torch.device("meta"):
        default = vmodels.get_model(NAME)
        frozen = vmodels.get_model(NAME, norm_layer=vops.FrozenBatchNorm2d)
    norms = [m for m in default.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all((m.eps, m.momentum) == (0.001, 0.03) for m in norms)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in frozen.modules())
    for part in (frozen.backbone.features, frozen.backbone.extra, frozen.head):
        assert any(isinstance(m, vops.FrozenBatchNorm2d) for m in part.modules())


def test_release_defaults_and_the_320_transform(model):
    assert (model.score_thresh, model.nms_thresh, model.topk_candidates) == (0.001, 0.55, 300)
    assert model.transform.fixed_size == (320, 320) and model.transform.image_mean == [0.5] * 3
    assert model.anchor_generator.num_anchors_per_location() == [6] * 6
    with torch.device("meta"):
        other = vmodels.get_model(NAME, score_thresh=0.2, detections_per_img=5)
    assert (other.score_thresh, other.detections_per_img, other.nms_thresh) == (0.2, 5, 0.55)


def test_training_returns_finite_losses_with_an_image_without_objects(model):
    losses = model.train()(_images(), _targets())
    assert set(losses) == {"bbox_regression", "classification"}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    sum(losses.values()).backward()
    grads = [p.grad for p in model.head.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    model.zero_grad()


def test_evaluation_returns_detections_in_original_image_coordinates(model):
    with torch.no_grad():
        detections = model.eval()(_images())
    for detection, (height, width) in zip(detections, [(96, 128), (80, 64)], strict=True):
        count = len(detection["boxes"])
        assert 0 < count <= 20
        assert detection["boxes"].dtype == torch.float32 and detection["boxes"].shape == (count, 4)
        assert detection["labels"].dtype == torch.int64 and detection["scores"].shape == (count,)
        assert ((detection["labels"] >= 1) & (detection["labels"] < NUM_CLASSES)).all()
        boxes = detection["boxes"]
        assert (boxes >= 0).all() and (boxes[:, 0::2] <= width).all()
        assert (boxes[:, 1::2] <= height).all()
        assert (detection["scores"][:-1] >= detection["scores"][1:]).all()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit.script is deprecated in 2.14
def test_scripted_evaluation_equals_eager(model):
    model.eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        expected = model(_images())
        _, got = scripted(_images())
    for image_got, image_expected in zip(got, expected, strict=True):
        for key, value in image_expected.items():
            torch.testing.assert_close(image_got[key], value, rtol=0, atol=0)


@pytest.mark.slow
def test_exported_evaluation_equals_eager_for_any_image_size(model):
    model.eval()
    sides = {1: torch.export.Dim("height", max=4096), 2: torch.export.Dim("width", max=4096)}
    traced = [torch.rand(3, 120, 150)]
    program = torch.export.export(model, (traced,), dynamic_shapes=([sides],), strict=False)
    generator = torch.Generator().manual_seed(1)
    for shape in [(3, 150, 120), (3, 64, 64), (3, 90, 200)]:
        images = [torch.rand(shape, generator=generator)]
        with torch.no_grad():
            expected = model(images)
        got = program.module()(images)
        for image_got, image_expected in zip(got, expected, strict=True):
            assert image_got.keys() == image_expected.keys()
            for key in image_expected:
                torch.testing.assert_close(image_got[key], image_expected[key], rtol=0, atol=0)


def test_backbone_weights_keep_the_full_tail_and_load(tmp_path):
    torch.manual_seed(0)
    classifier = mobilenet_v3_large(norm_layer=partial(nn.BatchNorm2d, eps=0.001, momentum=0.03))
    path = tmp_path / "mobilenet_v3_large.pth"
    torch.save(classifier.state_dict(), path)
    model = vmodels.get_model(NAME, weights_backbone=str(path))
    assert model.backbone.out_channels == [672, 960, 512, 256, 256, 128]
    loaded = model.backbone.features[1][-1].state_dict()
    for key, value in classifier.features[16].state_dict().items():
        torch.testing.assert_close(loaded[key], value, rtol=0, atol=0)
    # Batch norm keeps training from trained weights, all six stages by default.
    assert all(p.requires_grad for p in model.parameters())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.backbone.features.modules())
