"""Medians of the vops ops on detection-sized inputs, beside torchvision.ops when installed.

    python benchmarks/ops.py [--repeat 15] [--threads 2] [--device cpu|cuda]

Cases (fixed by the vops issue): nms on 1k, 10k and 50k random boxes in an 800x800 image with
sides 1-200 (IoU threshold 0.5), and batched_nms on 10k and 50k such boxes in 80 classes;
roi_align forward and forward+backward with 1000 RoIs on a [2, 256, 64, 64] map, 7x7 output,
spatial_scale 1/8, sampling_ratio 2, aligned; roi_pool forward on the same, without and with a
gradient required (the latter also records the argmax); box_iou 2000x2000 in float32 and in
int32; rotated box_iou 1000x1000 (cxcywhr, angles 0-360 degrees); sigmoid_focal_loss on 100k
logits and complete_box_iou_loss on 100k box pairs, forward and backward.
Ratio = vops time / torchvision time (below 1 is faster).
"""

import argparse
import statistics
import time
from collections.abc import Callable

import torch

import vops

try:
    import torchvision.ops as tv_ops
except ImportError:
    tv_ops = None


def random_boxes(n: int, image_size: float, generator: torch.Generator) -> torch.Tensor:
    top_left = torch.rand(n, 2, generator=generator) * image_size
    sides = 1 + torch.rand(n, 2, generator=generator) * 199
    return torch.cat([top_left, (top_left + sides).clamp(max=image_size)], dim=1)


def random_rotated_boxes(n: int, image_size: float, generator: torch.Generator) -> torch.Tensor:
    """(cx, cy, w, h, angle in degrees) with sides 1-200 and any angle."""
    centres = torch.rand(n, 2, generator=generator) * image_size
    sides = 1 + torch.rand(n, 2, generator=generator) * 199
    angles = torch.rand(n, 1, generator=generator) * 360
    return torch.cat([centres, sides, angles], dim=1)


def median_ms(fn: Callable[[], object], repeat: int, device: torch.device) -> float:
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    fn()  # warm-up
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def roi_inputs(device: torch.device, generator: torch.Generator, requires_grad: bool):
    features = torch.randn(2, 256, 64, 64, generator=generator).to(device)
    features.requires_grad_(requires_grad)
    batch = torch.randint(0, 2, (1000, 1), generator=generator).float()
    rois = torch.cat([batch, random_boxes(1000, 512.0, generator)], dim=1).to(device)
    return features, rois


def cases(ops, device: torch.device) -> dict[str, Callable[[], object]]:
    """The benchmark cases for an ops namespace with torchvision.ops's API."""
    generator = torch.Generator().manual_seed(0)
    result = {}
    for n in (1_000, 10_000, 50_000):
        boxes = random_boxes(n, 800.0, generator).to(device)
        scores = torch.rand(n, generator=generator).to(device)
        result[f"nms {n // 1000}k"] = lambda b=boxes, s=scores: ops.nms(b, s, 0.5)
    for n in (10_000, 50_000):
        boxes = random_boxes(n, 800.0, generator).to(device)
        scores = torch.rand(n, generator=generator).to(device)
        classes = torch.randint(0, 80, (n,), generator=generator).to(device)
        result[f"batched_nms {n // 1000}k/80"] = lambda b=boxes, s=scores, c=classes: (
            ops.batched_nms(b, s, c, 0.5)
        )
    features, rois = roi_inputs(device, generator, requires_grad=False)
    result["roi_align fwd"] = lambda: ops.roi_align(features, rois, 7, 1 / 8, 2, True)
    grad_features, grad_rois = roi_inputs(device, generator, requires_grad=True)

    def roi_align_fwd_bwd() -> None:
        ops.roi_align(grad_features, grad_rois, 7, 1 / 8, 2, True).sum().backward()

    result["roi_align fwd+bwd"] = roi_align_fwd_bwd
    result["roi_pool fwd"] = lambda: ops.roi_pool(features, rois, 7, 1 / 8)
    # With a gradient required, the forward also records each bin's argmax for the backward.
    result["roi_pool fwd (grad)"] = lambda: ops.roi_pool(grad_features, grad_rois, 7, 1 / 8)
    iou_boxes = random_boxes(2000, 800.0, generator).to(device)
    result["box_iou 2000x2000"] = lambda: ops.box_iou(iou_boxes, iou_boxes)
    int_boxes = iou_boxes.round().int()
    result["box_iou 2000x2000 int32"] = lambda: ops.box_iou(int_boxes, int_boxes)
    rotated = random_rotated_boxes(1000, 800.0, generator).to(device)
    result["rotated box_iou 1k x 1k"] = lambda: ops.box_iou(rotated, rotated, fmt="cxcywhr")
    logits = torch.randn(100_000, generator=generator).to(device).requires_grad_()
    labels = (torch.rand(100_000, generator=generator) < 0.1).float().to(device)
    result["focal loss 100k"] = lambda: ops.sigmoid_focal_loss(
        logits, labels, reduction="mean"
    ).backward()
    predicted = random_boxes(100_000, 800.0, generator).to(device).requires_grad_()
    matched = random_boxes(100_000, 800.0, generator).to(device)
    result["ciou loss 100k"] = lambda: ops.complete_box_iou_loss(
        predicted, matched, reduction="mean"
    ).backward()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)

    ours = cases(vops, device)
    theirs: dict[str, Callable[[], object]] | None = (
        cases(tv_ops, device) if tv_ops is not None else None
    )
    print(
        f"vops {vops.__version__}, torch {torch.__version__}, device {device}, "
        f"{torch.get_num_threads()} threads, median of {args.repeat}"
    )
    header = f"{'case':<26}{'vops ms':>10}"
    if theirs is not None:
        header += f"{'torchvision ms':>16}{'ratio':>8}"
    print(header)
    for name, fn in ours.items():
        if args.only not in name:
            continue
        mine = median_ms(fn, args.repeat, device)
        line = f"{name:<26}{mine:>10.2f}"
        if theirs is not None:
            reference = median_ms(theirs[name], args.repeat, device)
            line += f"{reference:>16.2f}{mine / reference:>8.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
