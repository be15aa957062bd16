"""vops: vision operators for PyTorch, compiled in C++ and registered under ``torch.ops.vops``.

The public names and signatures follow ``torchvision.ops``.
"""

from ._extension import load_extension

_C = load_extension()

# The modules below register fake kernels and autograd for the ops just loaded.
from .box_iou_variants import (  # noqa: E402
    complete_box_iou,
    distance_box_iou,
    generalized_box_iou,
)
from .boxes import (  # noqa: E402
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    nms,
    remove_small_boxes,
)
from .drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d  # noqa: E402
from .fpn import (  # noqa: E402
    ExtraFPNBlock,
    FeaturePyramidNetwork,
    LastLevelMaxPool,
    LastLevelP6P7,
)
from .losses import (  # noqa: E402
    complete_box_iou_loss,
    distance_box_iou_loss,
    generalized_box_iou_loss,
    sigmoid_focal_loss,
)
from .masks import masks_to_boxes  # noqa: E402
from .misc import (  # noqa: E402
    MLP,
    Conv2dNormActivation,
    Conv3dNormActivation,
    FrozenBatchNorm2d,
    Permute,
    SqueezeExcitation,
)
from .poolers import MultiScaleRoIAlign  # noqa: E402
from .roi_align import RoIAlign, roi_align  # noqa: E402
from .roi_pool import RoIPool, roi_pool  # noqa: E402
from .stochastic_depth import StochasticDepth, stochastic_depth  # noqa: E402

__version__ = _C.build_info()["vops_version"]


def build_info() -> dict:
    """How the compiled extension was built: ``vops_version``, ``torch_version`` (built
    against), ``cuda`` (CUDA kernels compiled) and ``cuda_version``."""
    return dict(_C.build_info())


__all__ = [
    "MLP",
    "Conv2dNormActivation",
    "Conv3dNormActivation",
    "DropBlock2d",
    "DropBlock3d",
    "ExtraFPNBlock",
    "FeaturePyramidNetwork",
    "FrozenBatchNorm2d",
    "LastLevelMaxPool",
    "LastLevelP6P7",
    "MultiScaleRoIAlign",
    "Permute",
    "RoIAlign",
    "RoIPool",
    "SqueezeExcitation",
    "StochasticDepth",
    "batched_nms",
    "box_area",
    "box_convert",
    "box_iou",
    "build_info",
    "clip_boxes_to_image",
    "complete_box_iou",
    "complete_box_iou_loss",
    "distance_box_iou",
    "distance_box_iou_loss",
    "drop_block2d",
    "drop_block3d",
    "generalized_box_iou",
    "generalized_box_iou_loss",
    "masks_to_boxes",
    "nms",
    "remove_small_boxes",
    "roi_align",
    "roi_pool",
    "sigmoid_focal_loss",
    "stochastic_depth",
]
