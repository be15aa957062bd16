"""vops: vision operators for PyTorch, compiled in C++ and registered under ``torch.ops.vops``.

The public names and signatures follow ``torchvision.ops``.
"""

from ._extension import load_extension

_C = load_extension()

# The modules below register fake kernels and autograd for the ops just loaded.
from .boxes import (  # noqa: E402
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    generalized_box_iou,
    nms,
    remove_small_boxes,
)
from .fpn import (  # noqa: E402
    ExtraFPNBlock,
    FeaturePyramidNetwork,
    LastLevelMaxPool,
    LastLevelP6P7,
)
from .misc import FrozenBatchNorm2d  # noqa: E402
from .poolers import MultiScaleRoIAlign  # noqa: E402
from .roi_align import RoIAlign, roi_align  # noqa: E402
from .roi_pool import RoIPool, roi_pool  # noqa: E402

__version__ = _C.build_info()["vops_version"]


def build_info() -> dict:
    """How the compiled extension was built: ``vops_version``, ``torch_version`` (built
    against), ``cuda`` (CUDA kernels compiled) and ``cuda_version``."""
    return dict(_C.build_info())


__all__ = [
    "ExtraFPNBlock",
    "FeaturePyramidNetwork",
    "FrozenBatchNorm2d",
    "LastLevelMaxPool",
    "LastLevelP6P7",
    "MultiScaleRoIAlign",
    "RoIAlign",
    "RoIPool",
    "batched_nms",
    "box_area",
    "box_convert",
    "box_iou",
    "build_info",
    "clip_boxes_to_image",
    "generalized_box_iou",
    "nms",
    "remove_small_boxes",
    "roi_align",
    "roi_pool",
]
