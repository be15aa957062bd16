"""GoogLeNet (Inception v1): a stack of Inception modules, each concatenating 1x1, 3x3, "5x5" and
pooled branches, with two auxiliary classifiers on intermediate features during training.

Parameter and buffer names follow torchvision's layout, so its checkpoints load with
``strict=True``. Like torchvision's (and the ImageNet weights trained with it), the "5x5" branch
uses a 3x3 convolution; the parameter count depends on it.

Outputs. In training mode with ``aux_logits=True`` the model returns :class:`GoogLeNetOutputs`
``(logits, aux_logits2, aux_logits1)``; otherwise (eval mode, or no auxiliary heads) it returns the
``logits`` Tensor. A scripted model behaves the same: ``forward`` is typed
``Tensor | GoogLeNetOutputs``, which TorchScript keeps as a Union (unpack it by type when calling
the scripted module from C++).

Input normalization. The model expects ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet
mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). ``transform_input=True`` re-normalizes
such input to mean 0.5, std 0.5 per channel (values in [-1, 1]) inside the model, which is what
torchvision's ImageNet GoogLeNet weights were trained on. It is False by default; the builder
sets it with published weights unless told otherwise, as torchvision's does.
"""

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification


class GoogLeNetOutputs(NamedTuple):
    """Training outputs: the main logits and those of the auxiliary heads after inception4d
    (``aux_logits2``) and inception4a (``aux_logits1``), each ``Tensor[N, num_classes]``; the
    auxiliary ones are None when the heads did not run."""

    logits: Tensor
    aux_logits2: Tensor | None
    aux_logits1: Tensor | None


def imagenet_to_half_normalized(x: Tensor) -> Tensor:
    """Map ``Tensor[N, 3, H, W]`` normalized with the ImageNet mean/std to the normalization with
    mean 0.5 and std 0.5 (the input of GoogLeNet's and Inception v3's ImageNet weights)."""
    # x * std / 0.5 + (mean - 0.5) / 0.5 per channel, with the ImageNet mean and std; literals
    # because TorchScript cannot read module-level tuples.
    scale = torch.tensor([0.229 / 0.5, 0.224 / 0.5, 0.225 / 0.5], dtype=x.dtype, device=x.device)
    shift = torch.tensor(
        [(0.485 - 0.5) / 0.5, (0.456 - 0.5) / 0.5, (0.406 - 0.5) / 0.5],
        dtype=x.dtype,
        device=x.device,
    )
    return x * scale.view(1, 3, 1, 1) + shift.view(1, 3, 1, 1)


class BasicConv2d(nn.Module):
    """Convolution (no bias), batch norm (eps 1e-3) and ReLU; ``kwargs`` go to the convolution."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


def check_image_batch(x: Tensor, min_size: int, model: str, condition: str = "") -> None:
    """Require ``Tensor[N, C, H, W]`` with ``H, W >= min_size``, naming ``model``. Under
    torch.fx tracing (feature extraction) the sizes are unknown and the check is skipped."""
    if isinstance(x, torch.fx.Proxy):
        return
    if x.dim() != 4 or x.shape[-2] < min_size or x.shape[-1] < min_size:
        raise ValueError(
            f"{model} expects Tensor[N, C, H, W] with H, W >= {min_size}{condition}, "
            f"got Tensor{list(x.shape)}"
        )


class Inception(nn.Module):
    """Four parallel branches concatenated along channels: 1x1; 1x1 reduce then 3x3; 1x1 reduce
    then 3x3 (the paper's 5x5); 3x3 max pool then 1x1 projection.

    Output channels: ``ch1x1 + ch3x3 + ch5x5 + pool_proj``; the spatial size is kept.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
    ) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(in_channels, ch3x3red, kernel_size=1),
            BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        # A 3x3 where the paper has a 5x5: the published weights were trained this way.
        self.branch3 = nn.Sequential(
            BasicConv2d(in_channels, ch5x5red, kernel_size=1),
            BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(branches, 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: 4x4 average pool, 1x1 convolution to 128 channels, two linear
    layers (1024 hidden) with dropout between them."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7) -> None:
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))
        x = F.relu(self.fc1(torch.flatten(x, 1)), inplace=True)
        return self.fc2(self.dropout(x))


def _check_probability(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


class GoogLeNet(nn.Module):
    """GoogLeNet: a convolutional stem, nine Inception modules in three stages, global average
    pooling, dropout and a linear classifier; two auxiliary classifiers during training.

    Args:
        num_classes: outputs of the classifiers.
        aux_logits: build the auxiliary classifiers (after inception4a and inception4d). They run
            only in training mode.
        transform_input: re-normalize ImageNet-normalized input to mean 0.5, std 0.5 first (see
            the module docstring). Never changed by loading weights.
        init_weights: initialize convolution and linear weights from a normal distribution with
            std 0.01 truncated at two std; False keeps PyTorch's default initialization.
        dropout: dropout probability before the main classifier.
        dropout_aux: dropout probability inside the auxiliary classifiers.

    Shape:
        input ``Tensor[N, 3, H, W]`` (224x224 for ImageNet weights, at least 15x15); output
        ``Tensor[N, num_classes]``, or :class:`GoogLeNetOutputs` in training with
        ``aux_logits``.
    """

    __constants__ = ("aux_logits", "transform_input")

    def __init__(
        self,
        num_classes: int = 1000,
        aux_logits: bool = True,
        transform_input: bool = False,
        init_weights: bool = True,
        dropout: float = 0.2,
        dropout_aux: float = 0.7,
    ) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        _check_probability("dropout", dropout)
        _check_probability("dropout_aux", dropout_aux)
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)

        self.aux1: InceptionAux | None = None
        self.aux2: InceptionAux | None = None
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        if init_weights:
            for module in self.modules():
                if isinstance(module, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(module.weight, std=0.01, a=-0.02, b=0.02)
                elif isinstance(module, nn.BatchNorm2d):
                    nn.init.ones_(module.weight)
                    nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor | GoogLeNetOutputs:
        """Logits of ``x``: ``Tensor[N, num_classes]``, or :class:`GoogLeNetOutputs` in training
        mode with auxiliary heads."""
        # Below 15x15 the stride-2 stages leave nothing to pool; say so up front.
        if not torch.jit.is_scripting():
            check_image_batch(x, 15, "GoogLeNet")
        if self.transform_input:
            x = imagenet_to_half_normalized(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))

        x = self.inception4a(x)
        aux1: Tensor | None = None
        if self.aux1 is not None and self.training:
            aux1 = self.aux1(x)
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2: Tensor | None = None
        if self.aux2 is not None and self.training:
            aux2 = self.aux2(x)
        x = self.maxpool4(self.inception4e(x))

        x = self.inception5b(self.inception5a(x))
        logits = self.fc(self.dropout(torch.flatten(self.avgpool(x), 1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(logits, aux2, aux1)
        return logits


def build_with_auxiliary_heads(
    request: BuildRequest,
    make: Callable[..., nn.Module],
    keep_by_default: bool,
    heads: tuple[str, ...],
    **kwargs,
) -> nn.Module:
    """GoogLeNet's and Inception v3's build step. With published weights, as in torchvision,
    ``transform_input`` defaults to True and the checkpoint's auxiliary ``heads`` are loaded,
    then dropped unless ``aux_logits`` (default ``keep_by_default``) asks for them."""
    if not isinstance(request.weights, WeightsEnum):
        return build_model(request, make, **kwargs)
    kwargs.setdefault("transform_input", True)
    kwargs["init_weights"] = False  # the checkpoint sets every parameter
    keep = kwargs.pop("aux_logits", keep_by_default)
    model = build_model(request, make, aux_logits=True, **kwargs)
    if not keep:
        model.aux_logits = False
        for head in heads:
            setattr(model, head, None)
    return model


class GoogLeNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/googlenet-1378be20.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": 6624904,
            "min_size": (15, 15),
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/classification#googlenet"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 69.778, "acc@5": 89.53}},
            "_ops": 1.498,
            "_file_size": 49.731,
            "_docs": "Ported from the authors' published weights.",
        },
    )
    DEFAULT = IMAGENET1K_V1


def _googlenet_stages(model: nn.Module) -> list[str]:
    return ["conv1", "conv3", "inception3b", "inception4e", "inception5b"]


# Reductions 2, 4, 8, 16, 32.
GOOGLENET_FEATURES = FeatureSpec(_googlenet_stages)


@model_builder(task="classification", weights=GoogLeNet_Weights, features=GOOGLENET_FEATURES)
def googlenet(request: BuildRequest, **kwargs) -> GoogLeNet:
    """GoogLeNet from "Going Deeper with Convolutions" (Szegedy et al., 2014).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`GoogLeNet`. With published weights, as in torchvision,
    ``transform_input`` defaults to True and ``aux_logits`` to False: the checkpoint's auxiliary
    heads are loaded, then dropped unless ``aux_logits=True`` (they are untrained).
    """
    return build_with_auxiliary_heads(request, GoogLeNet, False, ("aux1", "aux2"), **kwargs)
