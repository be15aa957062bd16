"""Inception v3: Inception modules with factorized (1xn, nx1) convolutions and grid reductions
that pool and convolve in parallel, plus one auxiliary classifier during training.

Parameter and buffer names follow torchvision's layout (``Conv2d_1a_3x3``, ``Mixed_5b``, ...,
``AuxLogits``), so its checkpoints load with ``strict=True``.

Outputs follow GoogLeNet's convention: in training mode with ``aux_logits=True`` the model returns
:class:`InceptionOutputs` ``(logits, aux_logits)``, otherwise the ``logits`` Tensor; a scripted
model behaves the same (``forward`` is typed ``Tensor | InceptionOutputs``, a TorchScript Union).

Input. ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean and std, 299x299 for the
ImageNet weights. Eval mode accepts 75x75 and up; the auxiliary classifier (training mode) needs
at least 299x299. ``transform_input=True`` re-normalizes the input to mean 0.5, std 0.5 inside the
model, as torchvision's ImageNet weights expect; it is False by default, and the builder sets it
with published weights unless told otherwise, as torchvision's does.
"""

from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification
from .googlenet import (
    BasicConv2d,
    build_with_auxiliary_heads,
    check_image_batch,
    imagenet_to_half_normalized,
)


class InceptionOutputs(NamedTuple):
    """Training outputs: main and auxiliary logits, each ``Tensor[N, num_classes]``; the
    auxiliary ones are None when the head did not run."""

    logits: Tensor
    aux_logits: Tensor | None


class InceptionA(nn.Module):
    """35x35 module: 1x1; 1x1 then 5x5; 1x1 then two 3x3; 3x3 average pool then 1x1.
    Output channels: ``224 + pool_features``."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        # Branches in torchvision's order, so feature-extraction node names match its.
        branch1x1 = self.branch1x1(x)
        branch5x5 = self.branch5x5_2(self.branch5x5_1(x))
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([branch1x1, branch5x5, branch3x3dbl, branch_pool], 1)


class InceptionB(nn.Module):
    """Grid reduction 35x35 -> 17x17: strided 3x3; 1x1 then 3x3 then strided 3x3; strided max
    pool. Output channels: ``480 + in_channels``."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        branch3x3 = self.branch3x3(x)
        branch3x3dbl = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([branch3x3, branch3x3dbl, branch_pool], 1)


class InceptionC(nn.Module):
    """17x17 module with 7x7 convolutions factorized into 1x7 and 7x1 (``channels_7x7`` inside).
    Output channels: 768."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        row, col = (
            {"kernel_size": (1, 7), "padding": (0, 3)},
            {"kernel_size": (7, 1), "padding": (3, 0)},
        )
        self.branch1x1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, **row)
        self.branch7x7_3 = BasicConv2d(c7, 192, **col)
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, **row)
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, **row)
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        branch1x1 = self.branch1x1(x)
        branch7x7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        branch7x7dbl = self.branch7x7dbl_1(x)
        branch7x7dbl = self.branch7x7dbl_3(self.branch7x7dbl_2(branch7x7dbl))
        branch7x7dbl = self.branch7x7dbl_5(self.branch7x7dbl_4(branch7x7dbl))
        branch_pool = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([branch1x1, branch7x7, branch7x7dbl, branch_pool], 1)


class InceptionD(nn.Module):
    """Grid reduction 17x17 -> 8x8: 1x1 then strided 3x3; 1x1, 1x7, 7x1 then strided 3x3;
    strided max pool. Output channels: ``512 + in_channels``."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: Tensor) -> Tensor:
        branch3x3 = self.branch3x3_2(self.branch3x3_1(x))
        branch7x7x3 = self.branch7x7x3_2(self.branch7x7x3_1(x))
        branch7x7x3 = self.branch7x7x3_4(self.branch7x7x3_3(branch7x7x3))
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=2)
        return torch.cat([branch3x3, branch7x7x3, branch_pool], 1)


class InceptionE(nn.Module):
    """8x8 module whose 3x3 branches end in parallel 1x3 and 3x1 convolutions (expanded filter
    bank). Output channels: 2048."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        row, col = (
            {"kernel_size": (1, 3), "padding": (0, 1)},
            {"kernel_size": (3, 1), "padding": (1, 0)},
        )
        self.branch1x1 = BasicConv2d(in_channels, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, **row)
        self.branch3x3_2b = BasicConv2d(384, 384, **col)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, **row)
        self.branch3x3dbl_3b = BasicConv2d(384, 384, **col)
        self.branch_pool = BasicConv2d(in_channels, 192, kernel_size=1)

    def forward(self, x: Tensor) -> Tensor:
        branch1x1 = self.branch1x1(x)
        branch3x3 = self.branch3x3_1(x)
        branch3x3 = torch.cat([self.branch3x3_2a(branch3x3), self.branch3x3_2b(branch3x3)], 1)
        branch3x3dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        branch3x3dbl = torch.cat(
            [self.branch3x3dbl_3a(branch3x3dbl), self.branch3x3dbl_3b(branch3x3dbl)], 1
        )
        branch_pool = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([branch1x1, branch3x3, branch3x3dbl, branch_pool], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on the 17x17 features: 5x5 average pool (stride 3), 1x1 and 5x5
    convolutions, global average pool, linear layer."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv0 = BasicConv2d(in_channels, 128, kernel_size=1)
        self.conv1 = BasicConv2d(128, 768, kernel_size=5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv1(self.conv0(F.avg_pool2d(x, kernel_size=5, stride=3)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1))


class Inception3(nn.Module):
    """Inception v3: a convolutional stem, three 35x35 (A), one reduction (B), four 17x17 (C),
    one reduction (D) and two 8x8 (E) modules, global average pooling, dropout and a linear
    classifier; one auxiliary classifier on the 17x17 features during training.

    Args:
        num_classes: outputs of the classifiers.
        aux_logits: build the auxiliary classifier (it runs only in training mode).
        transform_input: re-normalize ImageNet-normalized input to mean 0.5, std 0.5 first (see
            the module docstring). Never changed by loading weights.
        init_weights: initialize convolution and linear weights from normal distributions
            truncated at two std (std 0.1; 0.01 and 0.001 in the auxiliary head's 5x5
            convolution and linear layer); False keeps PyTorch's default initialization.
        dropout: dropout probability before the main classifier.

    Shape:
        input ``Tensor[N, 3, H, W]`` (299x299 for ImageNet weights, at least 75x75; at least
        299x299 in training with ``aux_logits``); output ``Tensor[N, num_classes]``, or
        :class:`InceptionOutputs` in training with ``aux_logits``.
    """

    __constants__ = ("aux_logits", "transform_input")

    def __init__(
        self,
        num_classes: int = 1000,
        aux_logits: bool = True,
        transform_input: bool = False,
        init_weights: bool = True,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.AuxLogits: InceptionAux | None = None
        if aux_logits:
            self.AuxLogits = InceptionAux(768, num_classes)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(2048, num_classes)

        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        stds: dict[nn.Module, float] = {}
        if self.AuxLogits is not None:
            stds = {self.AuxLogits.conv1.conv: 0.01, self.AuxLogits.fc: 0.001}
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                std = stds.get(module, 0.1)
                nn.init.trunc_normal_(module.weight, std=std, a=-2 * std, b=2 * std)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor | InceptionOutputs:
        """Logits of ``x``: ``Tensor[N, num_classes]``, or :class:`InceptionOutputs` in training
        mode with the auxiliary head."""
        # The stride-2 stages leave nothing to convolve below these sizes; say so up front
        # instead of failing deep inside with a kernel-size error.
        with_aux = self.AuxLogits is not None and self.training
        if not torch.jit.is_scripting():
            condition = " in training with the auxiliary classifier" if with_aux else ""
            check_image_batch(x, 299 if with_aux else 75, "Inception v3", condition)
        if self.transform_input:
            x = imagenet_to_half_normalized(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(self.maxpool1(x))))
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(self.Mixed_6a(x)))))
        aux: Tensor | None = None
        if self.AuxLogits is not None and self.training:
            aux = self.AuxLogits(x)
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        logits = self.fc(torch.flatten(self.dropout(self.avgpool(x)), 1))
        if self.training and self.aux_logits:
            return InceptionOutputs(logits, aux)
        return logits


class Inception_V3_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth",
        transforms=partial(ImageClassification, crop_size=299, resize_size=342),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": 27161264,
            "min_size": (75, 75),
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#inception-v3"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 77.294, "acc@5": 93.45}},
            "_ops": 5.713,
            "_file_size": 103.903,
            "_docs": "Ported from the authors' published weights.",
        },
    )
    DEFAULT = IMAGENET1K_V1


def _inception_v3_stages(model: nn.Module) -> list[str]:
    return ["Conv2d_2b_3x3", "Conv2d_4a_3x3", "Mixed_5d", "Mixed_6e", "Mixed_7c"]


# Reductions 2, 4, 8, 16, 32 (rounded: the unpadded convolutions trim the maps), measured at 224.
INCEPTION_V3_FEATURES = FeatureSpec(_inception_v3_stages, probe_size=224)


@model_builder(task="classification", weights=Inception_V3_Weights, features=INCEPTION_V3_FEATURES)
def inception_v3(request: BuildRequest, **kwargs) -> Inception3:
    """Inception v3 from "Rethinking the Inception Architecture for Computer Vision" (Szegedy
    et al., 2015).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (299x299 for ImageNet weights).
    ``kwargs`` go to :class:`Inception3`. With published weights, as in torchvision,
    ``transform_input`` defaults to True; the checkpoint's auxiliary head is loaded, then dropped
    if ``aux_logits=False``.
    """
    return build_with_auxiliary_heads(request, Inception3, True, ("AuxLogits",), **kwargs)
