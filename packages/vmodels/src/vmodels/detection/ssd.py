"""SSD (Liu et al., 2016): class scores and box offsets predicted by one convolution per feature
map at each default box; SSD300 over a VGG-16 with extra layers."""

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vops
from vops.symbolic import size_min

from .._builder import (
    BuildRequest,
    backbone_policy,
    load_request,
    model_builder,
    resolve_num_classes,
)
from .._weights import Weights, WeightsEnum
from ..backbones import check_trainable_layers
from ..classification.vgg import vgg16
from ..presets import ObjectDetection
from ._meta import COCO_CATEGORIES
from .box_coding import BoxCoder
from .default_boxes import DefaultBoxGenerator
from .matching import Matcher
from .one_stage import OneStageDetector, select_detections
from .transform import GeneralizedRCNNTransform

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every convolution in ``module``."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class SSDScoringHead(nn.Module):
    """One module per feature map, each mapping ``Tensor[N, C_l, H_l, W_l]`` to
    ``Tensor[N, A_l * num_columns, H_l, W_l]``; the outputs of all maps are flattened and
    concatenated into ``Tensor[N, sum H_l W_l A_l, num_columns]`` (cell row-major, then anchor),
    the order of :class:`DefaultBoxGenerator`.

    Args:
        module_list: the per-map modules.
        num_columns: values predicted per default box.
    """

    def __init__(self, module_list: nn.ModuleList, num_columns: int) -> None:
        super().__init__()
        self.module_list = module_list
        self.num_columns = num_columns

    def _get_result_from_module_list(self, x: Tensor, idx: int) -> Tensor:
        """``self.module_list[idx](x)``, which TorchScript cannot index with a variable."""
        out = x
        for i, module in enumerate(self.module_list):
            if i == idx:
                out = module(x)
        return out

    def forward(self, x: list[Tensor]) -> Tensor:
        outputs: list[Tensor] = []
        for i, features in enumerate(x):
            result = self._get_result_from_module_list(features, i)
            n, _, height, width = result.shape
            result = result.view(n, -1, self.num_columns, height, width).permute(0, 3, 4, 1, 2)
            outputs.append(result.reshape(n, -1, self.num_columns))
        return torch.cat(outputs, dim=1)


def _per_map_convs(in_channels: list[int], num_anchors: list[int], columns: int) -> nn.ModuleList:
    if len(in_channels) != len(num_anchors):
        raise ValueError(
            f"in_channels and num_anchors must have one entry per feature map, got "
            f"{len(in_channels)} and {len(num_anchors)}"
        )
    convs = nn.ModuleList(
        nn.Conv2d(channels, columns * anchors, kernel_size=3, padding=1)
        for channels, anchors in zip(in_channels, num_anchors, strict=True)
    )
    xavier_init(convs)
    return convs


class SSDClassificationHead(SSDScoringHead):
    """Class logits ``Tensor[N, A, num_classes]`` from a 3x3 convolution per feature map.

    Args:
        in_channels: channels of each feature map.
        num_anchors: default boxes per cell of each map.
        num_classes: classes including the background.
    """

    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int) -> None:
        super().__init__(_per_map_convs(in_channels, num_anchors, num_classes), num_classes)


class SSDRegressionHead(SSDScoringHead):
    """Box offsets ``Tensor[N, A, 4]`` from a 3x3 convolution per feature map.

    Args:
        in_channels: channels of each feature map.
        num_anchors: default boxes per cell of each map.
    """

    def __init__(self, in_channels: list[int], num_anchors: list[int]) -> None:
        super().__init__(_per_map_convs(in_channels, num_anchors, 4), 4)


class SSDHead(nn.Module):
    """SSD's dense head: ``{"bbox_regression": Tensor[N, A, 4], "cls_logits": Tensor[N, A, K]}``
    from the list of feature maps.

    Args:
        in_channels: channels of each feature map.
        num_anchors: default boxes per cell of each map.
        num_classes: classes including the background.
    """

    def __init__(self, in_channels: list[int], num_anchors: list[int], num_classes: int) -> None:
        super().__init__()
        self.classification_head = SSDClassificationHead(in_channels, num_anchors, num_classes)
        self.regression_head = SSDRegressionHead(in_channels, num_anchors)

    def forward(self, x: list[Tensor]) -> dict[str, Tensor]:
        return {
            "bbox_regression": self.regression_head(x),
            "cls_logits": self.classification_head(x),
        }


class SSDMatcher:
    """Matches each default box to the ground-truth box it overlaps most if their IoU reaches
    ``threshold`` (else background), and each ground-truth box to its best default box whatever
    the IoU, so that every object has a positive.

    Args:
        threshold: IoU at or above which a default box is matched.
    """

    matcher: Matcher

    def __init__(self, threshold: float) -> None:
        self.matcher = Matcher(threshold, threshold, allow_low_quality_matches=False)

    def __call__(self, quality: Tensor) -> Tensor:
        """Index of the matched box per default box, or ``-1``.

        Args:
            quality: ``Tensor[G, P]`` IoUs of ``G >= 1`` ground-truth and ``P`` default boxes.

        Returns:
            int64 ``Tensor[P]``.
        """
        matches = self.matcher(quality)
        best = quality.max(dim=1).indices
        matches[best] = torch.arange(best.size(0), dtype=torch.int64, device=best.device)
        return matches


def retrieve_out_channels(model: nn.Module, size: tuple[int, int]) -> list[int]:
    """Channels of each feature map ``model`` returns for a ``Tensor[1, 3, *size]`` of zeros,
    read by running it once in evaluation mode."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        device = next(iter(model.parameters()), torch.empty(0)).device
        features = model(torch.zeros((1, 3, size[0], size[1]), device=device))
    model.train(was_training)
    maps = [features] if isinstance(features, Tensor) else list(features.values())
    return [f.size(1) for f in maps]


def hard_negative_mask(loss: Tensor, positive: Tensor, neg_to_pos_ratio: float) -> Tensor:
    """The negatives a classification loss keeps per image: the ``neg_to_pos_ratio`` times as
    many as the image has positives, highest ``loss`` first (positives rank last, so they are
    only counted again when an image has fewer negatives than that, as in torchvision).

    Args:
        loss: ``Tensor[N, A]`` per default box.
        positive: bool ``Tensor[N, A]``.

    Returns:
        bool ``Tensor[N, A]``.
    """
    num_negative = neg_to_pos_ratio * positive.sum(dim=1, keepdim=True)
    order = loss.masked_fill(positive, -float("inf")).sort(dim=1, descending=True)[1]
    ranks = torch.arange(loss.size(1), device=loss.device).expand_as(order)
    rank = torch.empty_like(order).scatter_(1, order, ranks)
    return rank < num_negative


class SSD(OneStageDetector):
    """SSD over any backbone returning a list of feature maps (a dict of them).

    Images are resized to ``size`` and normalized by ``image_mean`` / ``image_std``. In training,
    default boxes with IoU ``>= iou_thresh`` with a ground-truth box (and each box's best) are
    positives; the box loss is smooth L1 over positives and the classification loss cross
    entropy over positives and the hardest negatives (``(1 - positive_fraction) /
    positive_fraction`` per positive), both divided by the number of positives. In evaluation,
    per class the ``topk_candidates`` best boxes scoring above ``score_thresh`` go through NMS
    at ``nms_thresh``, and the ``detections_per_img`` best remain.

    Args:
        backbone: maps ``Tensor[N, 3, H, W]`` to feature maps; ``out_channels`` (a list, one per
            map) is read if present, else found by running it once.
        anchor_generator: the :class:`DefaultBoxGenerator`.
        size: ``(height, width)`` every image is resized to.
        num_classes: classes including the background.
        image_mean, image_std: normalization (ImageNet's by default).
        head: the dense head; an :class:`SSDHead` by default.
        **kwargs: go to the :class:`GeneralizedRCNNTransform`.

    See :class:`OneStageDetector` for inputs and outputs.
    """

    # Plain-class attributes TorchScript compiles as classes.
    box_coder: BoxCoder
    proposal_matcher: SSDMatcher

    def __init__(
        self,
        backbone: nn.Module,
        anchor_generator: DefaultBoxGenerator,
        size: tuple[int, int],
        num_classes: int,
        image_mean: list[float] | None = None,
        image_std: list[float] | None = None,
        head: nn.Module | None = None,
        score_thresh: float = 0.01,
        nms_thresh: float = 0.45,
        detections_per_img: int = 200,
        iou_thresh: float = 0.5,
        topk_candidates: int = 400,
        positive_fraction: float = 0.25,
        **kwargs: Any,
    ) -> None:
        if len(size) != 2 or any(not isinstance(s, int) or s <= 0 for s in size):
            raise ValueError(f"size must be (height, width), two positive ints, got {size!r}")
        if not 0.0 < positive_fraction <= 1.0:
            raise ValueError(f"positive_fraction must be in (0, 1], got {positive_fraction!r}")
        if head is None:
            out_channels = getattr(backbone, "out_channels", None)
            if out_channels is None:
                out_channels = retrieve_out_channels(backbone, size)
            num_anchors = anchor_generator.num_anchors_per_location()
            if len(out_channels) != len(num_anchors):
                raise ValueError(
                    f"backbone returns {len(out_channels)} feature maps but anchor_generator "
                    f"has default boxes for {len(num_anchors)}"
                )
            head = SSDHead(list(out_channels), num_anchors, num_classes)
        transform = GeneralizedRCNNTransform(
            min(size),
            max(size),
            IMAGENET_MEAN if image_mean is None else image_mean,
            IMAGENET_STD if image_std is None else image_std,
            size_divisible=1,
            fixed_size=(size[0], size[1]),
            **kwargs,
        )
        super().__init__(backbone, head, anchor_generator, transform)
        self.box_coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
        self.proposal_matcher = SSDMatcher(iou_thresh)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self.neg_to_pos_ratio = (1.0 - positive_fraction) / positive_fraction

    def compute_loss(
        self,
        targets: list[dict[str, Tensor]],
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        num_anchors_per_level: list[int],
    ) -> dict[str, Tensor]:
        codes = head_outputs["bbox_regression"]
        logits = head_outputs["cls_logits"]
        # Matches index the boxes of all images concatenated, so one gather serves the batch.
        matches: list[Tensor] = []
        first_box = 0
        for image_anchors, target in zip(anchors, targets, strict=True):
            boxes = target["boxes"]
            if boxes.size(0) == 0:
                matches.append(torch.full_like(image_anchors[:, 0], -1, dtype=torch.int64))
            else:
                matched = self.proposal_matcher(vops.box_iou(boxes, image_anchors))
                matches.append(torch.where(matched >= 0, matched + first_box, matched))
            first_box += boxes.size(0)
        matched = torch.stack(matches)
        image_idx, anchor_idx = torch.where(matched >= 0)
        box_idx = matched[image_idx, anchor_idx]
        all_boxes = torch.cat([t["boxes"] for t in targets])
        all_labels = torch.cat([t["labels"] for t in targets])
        target_codes = self.box_coder.encode(
            all_boxes[box_idx], torch.stack(anchors)[image_idx, anchor_idx]
        )
        box_loss = F.smooth_l1_loss(codes[image_idx, anchor_idx], target_codes, reduction="sum")

        class_targets = torch.zeros_like(matched)
        class_targets[image_idx, anchor_idx] = all_labels[box_idx]
        class_loss = F.cross_entropy(
            logits.flatten(end_dim=1), class_targets.flatten(), reduction="none"
        ).view_as(class_targets)
        positive = class_targets > 0
        negative = hard_negative_mask(class_loss, positive, self.neg_to_pos_ratio)
        num_positive = max(1, box_idx.numel())
        return {
            "bbox_regression": box_loss / num_positive,
            "classification": (class_loss[positive].sum() + class_loss[negative].sum())
            / num_positive,
        }

    def postprocess_detections(
        self,
        head_outputs: dict[str, Tensor],
        anchors: list[Tensor],
        image_sizes: list[tuple[int, int]],
        num_anchors_per_level: list[int],
    ) -> list[dict[str, Tensor]]:
        codes = head_outputs["bbox_regression"]
        # Every class but the background, [N, K - 1, A]: one top-k per class for all images.
        scores = F.softmax(head_outputs["cls_logits"], dim=-1)[:, :, 1:].transpose(1, 2)
        num_images, num_labels, num_anchors = scores.shape
        top = size_min(self.topk_candidates, num_anchors)
        top_scores, top_anchors = scores.topk(top, dim=2)
        index = top_anchors.reshape(num_images, -1, 1).expand(-1, -1, 4)
        boxes = self.box_coder.decode(
            codes.gather(1, index).reshape(-1, 4),
            torch.stack(anchors).gather(1, index).reshape(-1, 4),
        )
        labels = torch.arange(1, num_labels + 1, device=scores.device)
        labels = labels.view(1, -1, 1).expand(num_images, -1, top).reshape(num_images, -1)
        return select_detections(
            boxes.view(num_images, -1, 4),
            top_scores.reshape(num_images, -1),
            labels,
            image_sizes,
            self.score_thresh,
            self.nms_thresh,
            self.detections_per_img,
        )


def _extra_block(
    in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int
) -> nn.Sequential:
    """A 1x1 reduction to half ``out_channels`` (128 at least) then a ``kernel_size``
    convolution, ReLU after each."""
    mid_channels = max(out_channels // 2, 128)
    return nn.Sequential(
        nn.Conv2d(in_channels, mid_channels, kernel_size=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid_channels, out_channels, kernel_size, stride=stride, padding=padding),
        nn.ReLU(inplace=True),
    )


class SSDFeatureExtractorVGG(nn.Module):
    """SSD's feature maps from a VGG-16 ``features`` Sequential (13 convolutions, 5 max pools).

    Map 0 is ``conv4_3`` (pool 3 in ceil mode, so 300 gives 38x38), L2-normalized across
    channels and scaled per channel by ``scale_weight`` (20 at first). ``extra[0]`` runs
    ``pool4`` to ``conv5_3``, a 3x3 stride-1 pool, ``fc6`` as a 3x3 convolution of dilation 6
    and ``fc7`` as a 1x1 (map 1, 1024 channels); ``extra[1:]`` are the paper's ``conv8_2`` to
    ``conv11_2`` (and ``conv12_2`` with ``highres``, for SSD512).

    Args:
        backbone: VGG-16's ``features``; its third pool is switched to ceil mode.
        highres: add the seventh map of SSD512.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``{"0": ..., "5": ...}`` (``"6"`` with
        ``highres``) with ``out_channels`` channels; 38, 19, 10, 5, 3, 1 cells a side at 300.
    """

    def __init__(self, backbone: nn.Sequential, highres: bool = False) -> None:
        super().__init__()
        pools = [i for i, layer in enumerate(backbone) if isinstance(layer, nn.MaxPool2d)]
        if len(pools) != 5:
            raise ValueError(
                f"backbone must be VGG-16's features with 5 max pools, got {len(pools)}"
            )
        backbone[pools[2]].ceil_mode = True
        self.scale_weight = nn.Parameter(torch.full((512,), 20.0))
        self.features = nn.Sequential(*backbone[: pools[3]])
        fc = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6),
            nn.ReLU(inplace=True),
            nn.Conv2d(1024, 1024, kernel_size=1),
            nn.ReLU(inplace=True),
        )
        extra = [
            _extra_block(1024, 512, 3, 2, 1),
            _extra_block(512, 256, 3, 2, 1),
            _extra_block(256, 256, 3, 1, 0),
            _extra_block(256, 256, 3, 1, 0),
        ]
        if highres:
            extra.append(_extra_block(256, 256, 4, 1, 0))
        xavier_init(fc)
        for block in extra:
            xavier_init(block)
        # The last pool is left out: fc6 sees conv5_3 at pool 4's resolution.
        self.extra = nn.ModuleList([nn.Sequential(*backbone[pools[3] : pools[4]], fc), *extra])
        self.out_channels = [512, 1024, 512] + [256] * (len(extra) - 1)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        x = self.features(x)
        outputs = {"0": self.scale_weight.view(1, -1, 1, 1) * F.normalize(x, dim=1)}
        for i, block in enumerate(self.extra):
            x = block(x)
            outputs[str(i + 1)] = x
        return outputs


def vgg_extractor(
    features: nn.Sequential, highres: bool, trainable_layers: int
) -> SSDFeatureExtractorVGG:
    """:class:`SSDFeatureExtractorVGG` over VGG-16's ``features`` with only the last
    ``trainable_layers`` of its 5 stages (each ending before a max pool) trainable."""
    pools = [i for i, layer in enumerate(features) if isinstance(layer, nn.MaxPool2d)]
    starts = [0, *pools[:-1]]
    check_trainable_layers(trainable_layers, len(starts), "trainable_backbone_layers")
    frozen = len(features) if trainable_layers == 0 else starts[len(starts) - trainable_layers]
    for parameter in features[:frozen].parameters():
        parameter.requires_grad_(False)
    return SSDFeatureExtractorVGG(features, highres)


class SSD300_VGG16_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/ssd300_vgg16_coco-b556d3b4.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 35641826,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/detection#ssd300-vgg16"
            ),
            "_metrics": {"COCO-val2017": {"box_map": 25.1}},
            "_ops": 34.858,
            "_file_size": 135.988,
            "_docs": "Trained on COCO with a recipe close to the paper's, linked in recipe.",
        },
    )
    DEFAULT = COCO_V1


@model_builder(task="detection", weights=SSD300_VGG16_Weights, backbone="vgg16")
def ssd300_vgg16(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs: Any,
) -> SSD:
    """SSD300 with a VGG-16 backbone, from "SSD: Single Shot MultiBox Detector" (Liu et al.,
    2016).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``, each resized to 300x300; see
    :class:`SSD`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: VGG stages that train, from the last back (0 to 5); by
            default 4 from trained weights (``weights`` or ``weights_backbone``, a
            ``VGG16_Weights`` entry such as ``IMAGENET1K_FEATURES``), all 5 from scratch.
        **kwargs: go to :class:`SSD` (the size is fixed).
    """
    if "size" in kwargs:
        raise ValueError(f"ssd300_vgg16 has a fixed size (300, 300): drop size={kwargs['size']!r}")
    num_classes = resolve_num_classes(request, num_classes, len(COCO_CATEGORIES), minimum=2)
    trainable_layers, _ = backbone_policy(request, trainable_backbone_layers, 5, 4)
    vgg = vgg16(weights=request.weights_backbone)
    backbone = vgg_extractor(vgg.features, False, trainable_layers)
    anchor_generator = DefaultBoxGenerator(
        [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
        scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
        steps=[8, 16, 32, 64, 100, 300],
    )
    # The backbone was trained on 0-255 pixels less the mean colour.
    kwargs = {"image_mean": [0.48235, 0.45882, 0.40784], "image_std": [1.0 / 255] * 3, **kwargs}
    model = SSD(backbone, anchor_generator, (300, 300), num_classes, **kwargs)
    return load_request(model, request)
