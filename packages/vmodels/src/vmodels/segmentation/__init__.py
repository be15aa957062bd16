"""Semantic segmentation models: FCN and DeepLabV3 on dilated ResNet backbones, DeepLabV3 and
LR-ASPP on a dilated MobileNetV3-Large, and an FPN on ResNet-18. Each family is one
module whose builders register themselves with the model registry; look them up with
``vmodels.list_models(task="segmentation")``. Every model maps ``Tensor[N, 3, H, W]`` to a dict of
per-pixel logits ``{"out": Tensor[N, num_classes, H, W]}``, plus ``"aux"`` when it has an
auxiliary classifier."""


def __getattr__(name: str) -> object:
    """This package's builders and weights enums, such as
    ``vmodels.segmentation.fcn_resnet50``, found in the registry on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    from .._registry import find_public

    return find_public(name, __name__)
