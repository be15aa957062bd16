"""`python -m vops`: print how vops was built and which kernels are registered."""

import torch

import vops

OPS = (
    "nms",
    "batched_nms",
    "box_iou",
    "box_iou_rotated",
    "roi_align",
    "_roi_align_backward",
    "roi_pool",
    "_roi_pool_backward",
)
DISPATCH_KEYS = ("CPU", "CUDA")


def build_report() -> str:
    """A human-readable report of versions, CUDA support and registered kernels."""
    info = vops.build_info()
    cuda = f"yes (CUDA {info['cuda_version']})" if info["cuda"] else "no"
    lines = [
        f"vops {info['vops_version']}",
        f"built against torch {info['torch_version']}, running torch {torch.__version__}",
        f"CUDA kernels compiled: {cuda}",
        f"CUDA device available: {torch.cuda.is_available()}",
        "registered kernels:",
    ]
    for op in OPS:
        keys = [
            key
            for key in DISPATCH_KEYS
            if torch._C._dispatch_has_kernel_for_dispatch_key(f"vops::{op}", key)
        ]
        lines.append(f"  vops::{op}: {', '.join(keys) or 'none'}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(build_report())
