"""Faster R-CNN (Ren et al., 2015) with a feature pyramid (Lin et al., 2017), and its v2 with
batch-normalized pyramid and convolutional box head (Li et al., 2021)."""

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

import vops

from .._builder import (
    BuildRequest,
    backbone_policy,
    load_request,
    model_builder,
    resolve_num_classes,
)
from .._weights import Weights, WeightsEnum
from ..backbones import RESNET_STAGES, BackboneWithFPN, resnet_fpn_backbone
from ..presets import ObjectDetection
from ._meta import COCO_CATEGORIES
from .anchors import AnchorGenerator
from .generalized_rcnn import GeneralizedRCNN, backbone_channels
from .mask_head import init_relu_convs
from .roi_heads import RoIHeads
from .rpn import RegionProposalNetwork, RPNHead
from .transform import GeneralizedRCNNTransform

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class TwoMLPHead(nn.Module):
    """Flattened RoI features through two fully connected layers with ReLU (``fc6``, ``fc7``)."""

    def __init__(self, in_channels: int, representation_size: int) -> None:
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x: Tensor) -> Tensor:
        x = nn.functional.relu(self.fc6(x.flatten(start_dim=1)))
        return nn.functional.relu(self.fc7(x))


class RoIBatchNorm2d(nn.BatchNorm2d):
    """:class:`torch.nn.BatchNorm2d` (same state, same results) for a batch of RoIs, whose
    number torch.export cannot know: in eval it calls the inference kernel directly, since
    ``F.batch_norm`` first asks whether the batch is empty, which an unknown size cannot answer.
    Scripted, it trains with a fixed ``momentum``."""

    def forward(self, x: Tensor) -> Tensor:
        running_mean, running_var = self.running_mean, self.running_var
        if not self.training and running_mean is not None and running_var is not None:
            return torch._native_batch_norm_legit_no_training(
                x, self.weight, self.bias, running_mean, running_var, self.momentum, self.eps
            )[0]
        if not torch.jit.is_scripting():
            return super().forward(x)
        if self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
        momentum = 0.0 if self.momentum is None else self.momentum
        return nn.functional.batch_norm(
            x, running_mean, running_var, self.weight, self.bias, True, momentum, self.eps
        )


class FastRCNNConvFCHead(nn.Sequential):
    """RoI features through 3x3 convolutions (each with optional normalization and ReLU), then
    flattened through fully connected layers with ReLU: the v2 R-CNNs' box head.

    Args:
        input_size: ``(channels, height, width)`` of the pooled RoI features.
        conv_layers: output channels of each convolution.
        fc_layers: output features of each fully connected layer.
        norm_layer: normalization after each convolution (none by default).

    Shape:
        input ``Tensor[K, C, H, W]``; output ``Tensor[K, fc_layers[-1]]``.
    """

    def __init__(
        self,
        input_size: tuple[int, int, int],
        conv_layers: list[int],
        fc_layers: list[int],
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        if len(input_size) != 3:
            raise ValueError(f"input_size must be (channels, height, width), got {input_size!r}")
        channels, height, width = input_size
        blocks: list[nn.Module] = []
        for width_out in conv_layers:
            blocks.append(vops.Conv2dNormActivation(channels, width_out, norm_layer=norm_layer))
            channels = width_out
        blocks.append(nn.Flatten())
        features = channels * height * width
        for features_out in fc_layers:
            blocks += [nn.Linear(features, features_out), nn.ReLU(inplace=True)]
            features = features_out
        super().__init__(*blocks)
        init_relu_convs(self)


class FastRCNNPredictor(nn.Module):
    """Class logits (``cls_score``) and per-class box offsets (``bbox_pred``) from RoI vectors.

    Shape:
        input ``Tensor[K, in_channels]``; output ``(Tensor[K, C], Tensor[K, 4C])``.
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


def default_fpn_anchor_generator() -> AnchorGenerator:
    """Anchors of sizes 32 to 512 (one per pyramid level) and ratios 0.5, 1, 2."""
    return AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)


class FasterRCNN(GeneralizedRCNN):
    """Faster R-CNN over any backbone that has an ``out_channels`` attribute.

    The backbone returns one feature map or a dict of them (e.g. a feature pyramid's
    ``"0"``..``"3"`` and ``"pool"``). Parts left as None get the defaults of the release: FPN
    anchors, an :class:`RPNHead`, :class:`vops.MultiScaleRoIAlign` over ``"0"``..``"3"`` to
    7x7, :class:`TwoMLPHead` (1024) and :class:`FastRCNNPredictor`.

    Args:
        backbone: the feature extractor, with ``out_channels``.
        num_classes: classes including the background; required unless ``box_predictor`` is
            given.
        min_size, max_size, image_mean, image_std, size_divisible, fixed_size: the
            :class:`GeneralizedRCNNTransform`.
        rpn_*: the :class:`RegionProposalNetwork`'s parts and settings.
        box_*: the :class:`RoIHeads`' box parts and settings.

    See :class:`GeneralizedRCNN` for inputs and outputs.
    """

    def __init__(
        self,
        backbone: nn.Module,
        num_classes: int | None = None,
        *,
        min_size: int | tuple[int, ...] = 800,
        max_size: int = 1333,
        image_mean: tuple[float, ...] = IMAGENET_MEAN,
        image_std: tuple[float, ...] = IMAGENET_STD,
        size_divisible: int = 32,
        fixed_size: tuple[int, int] | None = None,
        rpn_anchor_generator: AnchorGenerator | None = None,
        rpn_head: nn.Module | None = None,
        rpn_pre_nms_top_n_train: int = 2000,
        rpn_pre_nms_top_n_test: int = 1000,
        rpn_post_nms_top_n_train: int = 2000,
        rpn_post_nms_top_n_test: int = 1000,
        rpn_nms_thresh: float = 0.7,
        rpn_fg_iou_thresh: float = 0.7,
        rpn_bg_iou_thresh: float = 0.3,
        rpn_batch_size_per_image: int = 256,
        rpn_positive_fraction: float = 0.5,
        rpn_score_thresh: float = 0.0,
        box_roi_pool: nn.Module | None = None,
        box_head: nn.Module | None = None,
        box_predictor: nn.Module | None = None,
        box_score_thresh: float = 0.05,
        box_nms_thresh: float = 0.5,
        box_detections_per_img: int = 100,
        box_fg_iou_thresh: float = 0.5,
        box_bg_iou_thresh: float = 0.5,
        box_batch_size_per_image: int = 512,
        box_positive_fraction: float = 0.25,
        bbox_reg_weights: tuple[float, float, float, float] | None = None,
        roi_heads_extra: dict[str, nn.Module] | None = None,
    ) -> None:
        out_channels = backbone_channels(backbone)
        if (num_classes is None) == (box_predictor is None):
            raise ValueError(
                "give exactly one of num_classes and box_predictor, got "
                f"num_classes={num_classes!r} and box_predictor={type(box_predictor).__name__}"
            )
        anchor_generator = rpn_anchor_generator or default_fpn_anchor_generator()
        rpn = RegionProposalNetwork(
            anchor_generator,
            rpn_head or RPNHead(out_channels, anchor_generator.num_anchors_per_location()[0]),
            rpn_fg_iou_thresh,
            rpn_bg_iou_thresh,
            rpn_batch_size_per_image,
            rpn_positive_fraction,
            {"training": rpn_pre_nms_top_n_train, "testing": rpn_pre_nms_top_n_test},
            {"training": rpn_post_nms_top_n_train, "testing": rpn_post_nms_top_n_test},
            rpn_nms_thresh,
            rpn_score_thresh,
        )
        box_roi_pool = box_roi_pool or vops.MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
        if box_head is None:
            resolution = box_roi_pool.output_size[0]
            box_head = TwoMLPHead(out_channels * resolution**2, 1024)
        if box_predictor is None:
            box_predictor = FastRCNNPredictor(1024, num_classes)
        roi_heads = RoIHeads(
            box_roi_pool,
            box_head,
            box_predictor,
            box_fg_iou_thresh,
            box_bg_iou_thresh,
            box_batch_size_per_image,
            box_positive_fraction,
            bbox_reg_weights,
            box_score_thresh,
            box_nms_thresh,
            box_detections_per_img,
            **(roi_heads_extra or {}),
        )
        transform = GeneralizedRCNNTransform(
            min_size, max_size, list(image_mean), list(image_std), size_divisible, fixed_size
        )
        super().__init__(backbone, rpn, roi_heads, transform)


class FasterRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_coco-258fb6c6.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 41755286,
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "detection#faster-r-cnn-resnet-50-fpn"
            ),
            "_metrics": {"COCO-val2017": {"box_map": 37.0}},
            "_ops": 134.38,
            "_file_size": 159.743,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = COCO_V1


class FasterRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = Weights(
        url="https://download.pytorch.org/models/fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth",
        transforms=ObjectDetection,
        meta={
            "categories": COCO_CATEGORIES,
            "min_size": (1, 1),
            "num_params": 43712278,
            "recipe": "https://github.com/pytorch/vision/pull/5763",
            "_metrics": {"COCO-val2017": {"box_map": 46.7}},
            "_ops": 280.371,
            "_file_size": 167.104,
            "_docs": "Nearly ten points above v1's box AP, trained with the longer recipe linked.",
        },
    )
    DEFAULT = COCO_V1


def detection_backbone(
    request: BuildRequest,
    trainable_backbone_layers: int | None,
    backbone_name: str = "resnet50",
    norm_layer: Callable[[int], nn.Module] | None = None,
    **kwargs,
) -> BackboneWithFPN:
    """The ResNet FPN backbone of a detection builder, loaded with the request's backbone
    weights, with the training policy of :func:`vmodels._builder.backbone_policy`: from trained
    weights frozen batch norm and 3 trainable stages by default, from scratch batch norm and all
    5 stages. A ``norm_layer`` given replaces the policy's normalization (the v2 R-CNNs keep
    batch norm even from trained weights). ``kwargs`` go to :func:`resnet_fpn_backbone`."""
    trainable_layers, policy_norm_layer = backbone_policy(
        request, trainable_backbone_layers, len(RESNET_STAGES), 3
    )
    return resnet_fpn_backbone(
        backbone_name,
        weights=request.weights_backbone,
        trainable_layers=trainable_layers,
        norm_layer=norm_layer or policy_norm_layer,
        **kwargs,
    )


def v2_parts(out_channels: int = 256) -> dict[str, nn.Module]:
    """The RPN and box heads of the v2 R-CNNs: two RPN convolutions and a
    :class:`FastRCNNConvFCHead` of four batch-normalized (:class:`RoIBatchNorm2d`) 256-channel
    convolutions and one 1024-wide fully connected layer, over 7x7 RoIs of ``out_channels``."""
    return {
        "rpn_head": RPNHead(out_channels, 3, conv_depth=2),
        "box_head": FastRCNNConvFCHead(
            (out_channels, 7, 7), [256] * 4, [1024], norm_layer=RoIBatchNorm2d
        ),
    }


def build_resnet50_fpn_detector(
    request: BuildRequest,
    make: Callable[..., GeneralizedRCNN],
    num_classes: int | None,
    default_num_classes: int,
    trainable_backbone_layers: int | None,
    zero_eps_weights: WeightsEnum | None,
    *,
    backbone_kwargs: dict[str, Any] | None = None,
    **kwargs,
) -> GeneralizedRCNN:
    """What the ResNet-50 FPN R-CNN builders share: :func:`detection_backbone` (given
    ``backbone_kwargs``), ``num_classes`` checked against the weights' categories, then
    ``make(backbone, num_classes, **kwargs)`` loaded with the weights.

    ``zero_eps_weights`` were trained when frozen batch norm added no epsilon to the variance;
    loaded, the model's frozen batch norm gets ``eps = 0`` as torchvision's does.
    """
    num_classes = resolve_num_classes(request, num_classes, default_num_classes, minimum=2)
    backbone = detection_backbone(request, trainable_backbone_layers, **(backbone_kwargs or {}))
    model = load_request(make(backbone, num_classes, **kwargs), request)
    if zero_eps_weights is not None and request.weights is zero_eps_weights:
        for module in model.modules():
            if isinstance(module, vops.FrozenBatchNorm2d):
                module.eps = 0.0
    return model


@model_builder(task="detection", weights=FasterRCNN_ResNet50_FPN_Weights, backbone="resnet50")
def fasterrcnn_resnet50_fpn(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> FasterRCNN:
    """Faster R-CNN with a ResNet-50 FPN backbone, from "Faster R-CNN: Towards Real-Time Object
    Detection with Region Proposal Networks" (Ren et al., 2015).

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`GeneralizedRCNN`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`FasterRCNN`.
    """
    return build_resnet50_fpn_detector(
        request,
        FasterRCNN,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        FasterRCNN_ResNet50_FPN_Weights.COCO_V1,
        **kwargs,
    )


# The v2 backbone keeps trainable batch norm from trained weights too, as torchvision's does.
V2_BACKBONE = {"norm_layer": nn.BatchNorm2d, "fpn_norm_layer": nn.BatchNorm2d}


@model_builder(task="detection", weights=FasterRCNN_ResNet50_FPN_V2_Weights, backbone="resnet50")
def fasterrcnn_resnet50_fpn_v2(
    request: BuildRequest,
    *,
    num_classes: int | None = None,
    trainable_backbone_layers: int | None = None,
    **kwargs,
) -> FasterRCNN:
    """Faster R-CNN v2 with a ResNet-50 FPN backbone, from "Benchmarking Detection Transfer
    Learning with Vision Transformers" (Li et al., 2021): batch norm in the backbone and the
    pyramid, two RPN convolutions and a :class:`FastRCNNConvFCHead` box head.

    Takes a list of float ``Tensor[3, H, W]`` in ``[0, 1]``; see :class:`GeneralizedRCNN`.

    Args:
        num_classes: classes including the background; 91 (COCO ids) by default, and the
            weights' category count with weights.
        trainable_backbone_layers: backbone stages that train, from ``layer4`` back (0 to 5);
            by default 3 from trained weights (``weights`` or ``weights_backbone``, a
            ``ResNet50_Weights`` entry), all 5 from scratch.
        **kwargs: go to :class:`FasterRCNN`.
    """
    return build_resnet50_fpn_detector(
        request,
        FasterRCNN,
        num_classes,
        len(COCO_CATEGORIES),
        trainable_backbone_layers,
        None,
        backbone_kwargs=V2_BACKBONE,
        **{**v2_parts(), **kwargs},
    )
