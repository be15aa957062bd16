"""AlexNet: five convolutions (11x11 stride 4, 5x5, three 3x3) with three max pools, followed by
three fully connected layers.

This is the single-tower variant of "One weird trick for parallelizing convolutional neural
networks" (Krizhevsky, 2014), whose channel counts (64, 192, 384, 256, 256) differ from the
two-GPU network of the 2012 paper. Parameter names follow torchvision's layout, so its
checkpoints load with ``strict=True``.

The builder expects ``Tensor[N, 3, H, W]`` RGB images scaled to [0, 1] and normalized with the
ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225); the ImageNet weights were
trained on 224x224 crops. Adaptive average pooling to 6x6 before the classifier makes any input of
at least 63x63 work. The output is ``Tensor[N, num_classes]`` of logits.
"""

from functools import partial

import torch
from torch import Tensor, nn

from .._builder import BuildRequest, build_model, model_builder
from .._categories import IMAGENET_CATEGORIES
from .._weights import Weights, WeightsEnum
from ..backbones import FeatureSpec, stages_before_max_pools
from ..presets import ImageClassification


class AlexNet(nn.Module):
    """AlexNet: convolutional ``features``, adaptive average pooling to 6x6, then Dropout,
    Linear(9216, 4096), ReLU, Dropout, Linear(4096, 4096), ReLU, Linear(4096, num_classes).

    Args:
        num_classes: outputs of the classifier.
        dropout: dropout probability before each of the two hidden fully connected layers.

    Shape:
        input ``Tensor[N, 3, H, W]`` with H, W >= 63; output ``Tensor[N, num_classes]``.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or num_classes <= 0:
            raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
        transforms=partial(ImageClassification, crop_size=224),
        meta={
            "categories": IMAGENET_CATEGORIES,
            "num_params": 61100840,
            "min_size": (63, 63),
            "recipe": (
                "https://github.com/pytorch/vision/tree/main/references/"
                "classification#alexnet-and-vgg"
            ),
            "_metrics": {"ImageNet-1K": {"acc@1": 56.522, "acc@5": 79.066}},
            "_ops": 0.714,
            "_file_size": 233.087,
            "_docs": "Close to the paper's accuracy, trained with the recipe linked in recipe.",
        },
    )
    DEFAULT = IMAGENET1K_V1


# The map before each max pool, then the last: reductions 4, 8, 16, 32 (measured at 224, where
# the stride-4 stem's maps round right).
ALEXNET_FEATURES = FeatureSpec(stages_before_max_pools, probe_size=224)


@model_builder(task="classification", weights=AlexNet_Weights, features=ALEXNET_FEATURES)
def alexnet(request: BuildRequest, **kwargs) -> AlexNet:
    """AlexNet from "One weird trick for parallelizing convolutional neural networks"
    (Krizhevsky, 2014), after "ImageNet Classification with Deep Convolutional Neural Networks"
    (Krizhevsky et al., 2012).

    Input ``Tensor[N, 3, H, W]``, ImageNet-normalized RGB (224x224 for ImageNet weights).
    ``kwargs`` go to :class:`AlexNet`.
    """
    return build_model(request, AlexNet, **kwargs)
