"""Semantic segmentation models: FCN and DeepLabV3 on dilated ResNet backbones. Each family is one
module whose builders register themselves with the model registry; look them up with
``vmodels.list_models(task="segmentation")``. Every model maps ``Tensor[N, 3, H, W]`` to a dict of
per-pixel logits ``{"out": Tensor[N, num_classes, H, W]}``, plus ``"aux"`` when it has an
auxiliary classifier."""
