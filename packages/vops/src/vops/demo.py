"""`python -m vops.demo` (what `make demo` runs): every vops op on realistic detection-sized
inputs, printing what it did and how long it took."""

import time
from collections.abc import Callable
from typing import TypeVar

import torch

import vops

R = TypeVar("R")


def timed(fn: Callable[[], R]) -> tuple[R, float]:
    """Run ``fn`` once and return its result and the wall time in milliseconds."""
    start = time.perf_counter()
    result = fn()
    return result, (time.perf_counter() - start) * 1e3


def random_boxes(n: int, image_size: float, generator: torch.Generator) -> torch.Tensor:
    """``n`` boxes in an ``image_size`` square image, sides between 1 and 200 pixels."""
    top_left = torch.rand(n, 2, generator=generator) * image_size
    sides = 1 + torch.rand(n, 2, generator=generator) * 199
    return torch.cat([top_left, (top_left + sides).clamp(max=image_size)], dim=1)


def main() -> None:
    generator = torch.Generator().manual_seed(0)
    print(
        f"vops {vops.__version__} on torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU threads"
    )
    boxes = random_boxes(10_000, 800.0, generator)
    scores = torch.rand(10_000, generator=generator)
    classes = torch.randint(0, 80, (10_000,), generator=generator)
    features = torch.randn(2, 256, 64, 64, generator=generator)
    rois = torch.cat(
        [
            torch.randint(0, 2, (1000, 1), generator=generator).float(),
            random_boxes(1000, 512.0, generator),
        ],
        dim=1,
    )

    pyramid_input = {
        f"c{level}": torch.randn(
            2, 64 * 2 ** (level - 2), 256 // 2**level, 256 // 2**level, generator=generator
        )
        for level in (2, 3, 4, 5)
    }
    fpn = vops.FeaturePyramidNetwork(
        [64, 128, 256, 512], 256, extra_blocks=vops.LastLevelMaxPool()
    ).eval()
    pooler = vops.MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    image_boxes = [random_boxes(500, 256.0, generator) for _ in range(2)]

    def pyramid_and_pool():
        with torch.no_grad():
            levels = fpn(pyramid_input)
            features = {str(i): levels[f"c{i + 2}"] for i in range(4)}
            return pooler(features, image_boxes, [(256, 256), (256, 256)])

    steps = [
        (
            "nms",
            "10k boxes, IoU 0.5",
            lambda: vops.nms(boxes, scores, 0.5),
            lambda r: f"kept {len(r)}",
        ),
        (
            "batched_nms",
            "10k boxes in 80 classes",
            lambda: vops.batched_nms(boxes, scores, classes, 0.5),
            lambda r: f"kept {len(r)}",
        ),
        (
            "box_iou",
            "2000 x 2000",
            lambda: vops.box_iou(boxes[:2000], boxes[:2000]),
            lambda r: f"mean IoU {r.mean():.4f}",
        ),
        (
            "roi_align",
            "1000 RoIs on [2, 256, 64, 64], 7x7",
            lambda: vops.roi_align(features, rois, 7, 1 / 8, 2, True),
            lambda r: f"output {list(r.shape)}",
        ),
        (
            "roi_pool",
            "1000 RoIs on [2, 256, 64, 64], 7x7",
            lambda: vops.roi_pool(features, rois, 7, 1 / 8),
            lambda r: f"output {list(r.shape)}",
        ),
        (
            "FPN+pooler",
            "4 levels -> 256 ch, 2x500 boxes",
            pyramid_and_pool,
            lambda r: f"output {list(r.shape)}",
        ),
    ]
    for name, what, run, describe in steps:
        result, ms = timed(run)
        print(f"{name:>12}  {what:<36} {describe(result):<28} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
