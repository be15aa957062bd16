"""MNASNet (the B1 network of the MnasNet search): a stem, six stacks of inverted residual
blocks with 3x3 or 5x5 depthwise convolutions, and a 1x1 convolution to 1280 features; a depth
multiplier ``alpha`` scales every layer but the last.

Parameter and buffer names follow torchvision's layout (``layers.<i>...``, ``classifier.1``), so
its checkpoints load with ``strict=True``; version-1 checkpoints (the stem's width not yet
scaled by ``alpha``) load too, as torchvision loads them.

Input ``Tensor[N, 3, H, W]`` RGB normalized with the ImageNet mean (0.485, 0.456, 0.406) and std
(0.229, 0.224, 0.225), 224x224 for ImageNet weights (any size works: global average pooling);
output ``Tensor[N, num_classes]`` of logits.
"""

import warnings
from functools import partial

from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec
from ..presets import ImageClassification
from .mobilenetv2 import make_divisible

# The paper's batch-norm decay 0.9997 is TensorFlow's; PyTorch's momentum is its complement.
_BN_MOMENTUM = 1 - 0.9997

# Channels of the stem's two convolutions, the six stacks and the last block, at alpha = 1.
DEPTHS = (32, 16, 24, 40, 80, 96, 192, 320)
# Each stack: kernel size, stride of its first block, expansion factor, blocks.
STACKS = [(3, 2, 3, 3), (5, 2, 3, 3), (5, 2, 6, 3), (3, 1, 6, 2), (5, 2, 6, 4), (3, 1, 6, 1)]
LAST_CHANNELS = 1280


def _batch_norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, momentum=_BN_MOMENTUM)


def _scaled_depths(alpha: float) -> list[int]:
    """:data:`DEPTHS` times ``alpha``, rounded to multiples of 8 (up where rounding to the
    nearest loses over 10%)."""
    return [make_divisible(depth * alpha, 8) for depth in DEPTHS]


class _InvertedResidual(nn.Module):
    """1x1 expansion to ``in_ch * expansion_factor`` channels, ``kernel_size`` depthwise
    convolution at ``stride``, linear 1x1 projection to ``out_ch``; the input is added back
    when the shapes allow (stride 1 and ``in_ch == out_ch``).

    Shape:
        input ``Tensor[N, in_ch, H, W]``; output ``Tensor[N, out_ch, H / stride, W / stride]``.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int,
        stride: int,
        expansion_factor: int,
        bn_momentum: float = 0.1,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride!r}")
        if kernel_size not in (3, 5):
            raise ValueError(f"kernel_size must be 3 or 5, got {kernel_size!r}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                mid_ch,
                mid_ch,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                groups=mid_ch,
                bias=False,
            ),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum),
        )

    def forward(self, input: Tensor) -> Tensor:
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stem(first: int, second: int) -> list[nn.Module]:
    """3x3 stride-2 convolution to ``first`` channels, then a depthwise separable convolution
    to ``second`` (linear, no residual): the first eight of ``MNASNet.layers``."""
    return [
        nn.Conv2d(3, first, 3, stride=2, padding=1, bias=False),
        _batch_norm(first),
        nn.ReLU(inplace=True),
        nn.Conv2d(first, first, 3, padding=1, groups=first, bias=False),
        _batch_norm(first),
        nn.ReLU(inplace=True),
        nn.Conv2d(first, second, 1, bias=False),
        _batch_norm(second),
    ]


def _stack(
    in_ch: int, out_ch: int, kernel_size: int, stride: int, expansion: int, repeats: int
) -> nn.Sequential:
    """``repeats`` inverted residual blocks; only the first changes the shape."""
    blocks = [_InvertedResidual(in_ch, out_ch, kernel_size, stride, expansion, _BN_MOMENTUM)]
    blocks += [
        _InvertedResidual(out_ch, out_ch, kernel_size, 1, expansion, _BN_MOMENTUM)
        for _ in range(1, repeats)
    ]
    return nn.Sequential(*blocks)


class MNASNet(nn.Module):
    """MNASNet-B1: the stem, six stacks of inverted residual blocks, a 1x1 convolution to 1280
    channels, global average pooling, dropout and a linear classifier.

    State dicts carry version 2 (the stem scaled by ``alpha``). Loading a version-1 state
    dict (a stem of 32 and 16 channels at every ``alpha``) into a model with ``alpha != 1``
    first rebuilds the model's stem and first stack in that layout, with a warning; the model
    then saves as version 1. A state dict without version metadata (a plain dict, a
    safetensors file) is taken as version 2.

    Args:
        alpha: depth multiplier of every layer's channels but the last convolution's.
        num_classes: outputs of the classifier.
        dropout: dropout probability before the classifier.

    Shape:
        input ``Tensor[N, 3, H, W]``; output ``Tensor[N, num_classes]``.
    """

    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
            raise ValueError(f"alpha must be a positive number, got {alpha!r}")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _scaled_depths(alpha)
        layers = _stem(depths[0], depths[1])
        for channels, out_channels, stack in zip(depths[1:-1], depths[2:], STACKS, strict=True):
            layers.append(_stack(channels, out_channels, *stack))
        layers += [
            nn.Conv2d(depths[-1], LAST_CHANNELS, 1, bias=False),
            _batch_norm(LAST_CHANNELS),
            nn.ReLU(inplace=True),
        ]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout, inplace=True), nn.Linear(LAST_CHANNELS, num_classes)
        )

        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.kaiming_uniform_(module.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.layers(x).mean([2, 3]))

    def _use_version_1_stem(self) -> None:
        """Rebuild the stem and the first stack as version 1 had them: 32 and 16 channels."""
        like = self.layers[0].weight
        old = [*_stem(32, 16), _stack(16, _scaled_depths(self.alpha)[2], *STACKS[0])]
        for index, layer in enumerate(old):
            self.layers[index] = layer.to(device=like.device, dtype=like.dtype)
        self._version = 1  # so that state_dict() describes the layout it now holds

    def _load_from_state_dict(
        self,
        state_dict: dict,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        version = local_metadata.get("version")
        if version not in (None, 1, 2):
            raise ValueError(f"MNASNet state dict version must be 1 or 2, got {version!r}")
        # Runs before the children load, so they load into the rebuilt layers.
        if version == 1 and self.alpha != 1.0:
            self._use_version_1_stem()
            warnings.warn(
                f"loading a version-1 MNASNet checkpoint: the model (alpha={self.alpha}) now "
                "has that version's unscaled stem (32 and 16 channels) and works as before; "
                "current checkpoints scale the stem with alpha",
                UserWarning,
                stacklevel=2,
            )
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )


_COMMON_META = {
    "categories": IMAGENET_CATEGORIES,
    "min_size": (1, 1),
}
_PAPER_DOCS = "Close to the paper's accuracy, trained with the recipe linked in recipe."
_NEW_RECIPE_DOCS = "Trained from scratch with torchvision's newer recipe (see recipe)."


class MNASNet0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet0.5_top1_67.823-3ffadce67e.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/1e100/mnasnet_trainer",
            "num_params": 2218512,
            "_metrics": {"ImageNet-1K": {"acc@1": 67.734, "acc@5": 87.49}},
            "_ops": 0.104,
            "_file_size": 8.591,
            "_docs": _PAPER_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class MNASNet0_75_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet0_75-7090bc5f.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/pull/6019",
            "num_params": 3170208,
            "_metrics": {"ImageNet-1K": {"acc@1": 71.18, "acc@5": 90.496}},
            "_ops": 0.215,
            "_file_size": 12.303,
            "_docs": _NEW_RECIPE_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class MNASNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet1.0_top1_73.512-f206786ef8.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/1e100/mnasnet_trainer",
            "num_params": 4383312,
            "_metrics": {"ImageNet-1K": {"acc@1": 73.456, "acc@5": 91.51}},
            "_ops": 0.314,
            "_file_size": 16.915,
            "_docs": _PAPER_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


class MNASNet1_3_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/mnasnet1_3-a4c69d6f.pth",
        transforms=partial(ImageClassification, crop_size=224, resize_size=232),
        meta={
            **_COMMON_META,
            "recipe": "https://github.com/pytorch/vision/pull/6019",
            "num_params": 6282256,
            "_metrics": {"ImageNet-1K": {"acc@1": 76.506, "acc@5": 93.522}},
            "_ops": 0.526,
            "_file_size": 24.246,
            "_docs": _NEW_RECIPE_DOCS,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _mnasnet_stages(model: nn.Module) -> list[str]:
    return ["layers.7", "layers.8", "layers.9", "layers.11", "layers.16"]


# The last layer at each resolution: reductions 2, 4, 8, 16, 32.
MNASNET_FEATURES = FeatureSpec(_mnasnet_stages)


@model_builder(task="classification", weights=MNASNet0_5_Weights, features=MNASNET_FEATURES)
def mnasnet0_5(request: BuildRequest, **kwargs) -> MNASNet:
    """MNASNet-B1 at depth multiplier 0.5 from "MnasNet: Platform-Aware Neural Architecture
    Search for Mobile" (Tan et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``dropout``) go to :class:`MNASNet`.
    """
    return build_model(request, MNASNet, alpha=0.5, **kwargs)


@model_builder(task="classification", weights=MNASNet0_75_Weights, features=MNASNET_FEATURES)
def mnasnet0_75(request: BuildRequest, **kwargs) -> MNASNet:
    """MNASNet-B1 at depth multiplier 0.75 from "MnasNet: Platform-Aware Neural Architecture
    Search for Mobile" (Tan et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``dropout``) go to :class:`MNASNet`.
    """
    return build_model(request, MNASNet, alpha=0.75, **kwargs)


@model_builder(task="classification", weights=MNASNet1_0_Weights, features=MNASNET_FEATURES)
def mnasnet1_0(request: BuildRequest, **kwargs) -> MNASNet:
    """MNASNet-B1 at depth multiplier 1.0 from "MnasNet: Platform-Aware Neural Architecture
    Search for Mobile" (Tan et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``dropout``) go to :class:`MNASNet`.
    """
    return build_model(request, MNASNet, alpha=1.0, **kwargs)


@model_builder(task="classification", weights=MNASNet1_3_Weights, features=MNASNET_FEATURES)
def mnasnet1_3(request: BuildRequest, **kwargs) -> MNASNet:
    """MNASNet-B1 at depth multiplier 1.3 from "MnasNet: Platform-Aware Neural Architecture
    Search for Mobile" (Tan et al., 2019).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` (``num_classes``, ``dropout``) go to :class:`MNASNet`.
    """
    return build_model(request, MNASNet, alpha=1.3, **kwargs)
