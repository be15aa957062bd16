"""Latency and peak memory of vmodels' detection models, beside torchvision's when installed.

    python benchmarks/detection.py [--repeat 3] [--warmup 1] [--threads N] [--device cpu|cuda]
        [--models fasterrcnn_resnet50_fpn retinanet_resnet50_fpn ...] [--sizes 800 320]
        [--modes infer train] [--no-paste]

Cases: for Faster, Mask and Keypoint R-CNN ResNet-50-FPN (the vmodels detection issue), and
RetinaNet and FCOS ResNet-50-FPN, SSDlite320 MobileNetV3-Large and Faster R-CNN
MobileNetV3-Large-FPN (the one-stage and mobile detection issue): inference at batch 1 (eval,
no_grad) and a training step at batch 2 (forward, sum of the losses, backward, SGD step with lr
1e-4 and momentum 0.9), at min_size 800 (max_size 1333, the release's) and at min_size 320.
SSDlite resizes every image to its fixed 320x320 and has one row per mode. Inputs are COCO-like
synthetic 480x640 images (smooth noise with 3-5 filled objects, fixed seeds) with their
targets: boxes, labels, elliptic masks for Mask R-CNN, 17 visible keypoints per object for
Keypoint R-CNN. Models are built from scratch by the default builders (random weights, seed 0,
so batch norm trains and every stage trains); torchvision's model gets vmodels' weights (the
state dicts are compatible), so both do the same arithmetic. One more row times mask pasting
alone: 100 masks Tensor[100, 1, 28, 28] into an 800x1066 image, vmodels.detection's
paste_masks_in_image against torchvision's roi_heads.paste_masks_in_image.

Times are seconds per iteration, the median of --repeat runs after --warmup runs, measured in
one process per row that holds both implementations and calls them in turn (one iteration of
each per round), so that a machine whose speed drifts slows both alike; ratio = vmodels /
torchvision (below 1 is faster). Threads default to torch's own count.

Peak MiB: each (model, mode, min_size, implementation) runs once more in a fresh process (this
script re-invoked with a hidden --case), so no figure inherits another's allocator caches or
high-water mark. On CPU the figure is the peak resident set size over the warm-up and one more
run minus the resident size just before them, with the model, optimizer and inputs already
built: Linux's VmHWM, reset to the current size through /proc/self/clear_refs once everything
is built. Where that reset is unavailable the figure is ru_maxrss growth over the runs, which
can only read low (a peak reached while building hides the runs' peak below it); a note says
so. On CUDA it is torch.cuda.max_memory_allocated minus the memory allocated before the runs
(the caching allocator's reserve and the CUDA context are not counted).
"""

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import vmodels
from vmodels.detection import paste_masks_in_image

try:
    import torchvision
    import torchvision.models.detection as tv_detection
    import torchvision.models.detection.roi_heads as tv_roi_heads
except ImportError:
    torchvision = tv_detection = tv_roi_heads = None

MODELS = (
    "fasterrcnn_resnet50_fpn",
    "maskrcnn_resnet50_fpn",
    "keypointrcnn_resnet50_fpn",
    "retinanet_resnet50_fpn",
    "fcos_resnet50_fpn",
    "ssdlite320_mobilenet_v3_large",
    "fasterrcnn_mobilenet_v3_large_fpn",
)
FIXED_SIZE = {"ssdlite320_mobilenet_v3_large": 320}  # models that resize to one size
PASTE = "paste_masks_in_image"
IMAGE_SIZE = (480, 640)  # height, width: COCO's most common size
PASTE_COUNT, PASTE_SIZE = 100, (800, 1066)  # a 480x640 image at min_size 800
RESULT = "RESULT "  # the prefix of the line on which a --case process reports


@dataclass(frozen=True)
class Case:
    model: str  # one of MODELS, or PASTE
    mode: str  # "infer" or "train"
    min_size: int
    implementations: tuple[str, ...]  # "vmodels", "torchvision": timed in turn
    device: str
    threads: int
    repeat: int
    warmup: int
    measure: str  # "time" (all implementations) or "memory" (one)


def synthetic_sample(model: str, seed: int) -> tuple[Tensor, dict[str, Tensor]]:
    """A COCO-like image ``Tensor[3, 480, 640]`` in [0, 1] and its target for ``model``."""
    generator = torch.Generator().manual_seed(seed)
    height, width = IMAGE_SIZE
    noise = torch.rand(1, 3, height // 32, width // 32, generator=generator)
    image = F.interpolate(noise, size=IMAGE_SIZE, mode="bilinear", align_corners=False)[0]
    count = int(torch.randint(3, 6, (1,), generator=generator))
    sides = 32 + torch.rand(count, 2, generator=generator) * 224
    top_left = torch.rand(count, 2, generator=generator) * (torch.tensor([width, height]) - sides)
    boxes = torch.cat([top_left, top_left + sides], dim=1)
    ys = torch.arange(height, dtype=torch.float32)[None, :, None] + 0.5
    xs = torch.arange(width, dtype=torch.float32)[None, None, :] + 0.5
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    radius = sides / 2
    inside = ((xs - centre[:, None, None, 0]) / radius[:, None, None, 0]) ** 2 + (
        (ys - centre[:, None, None, 1]) / radius[:, None, None, 1]
    ) ** 2 <= 1
    for mask in inside:  # paint each object with a flat colour so there is something to find
        image[:, mask] = torch.rand(3, 1, generator=generator)
    if model == "keypointrcnn_resnet50_fpn":
        labels = torch.ones(count, dtype=torch.int64)
    else:
        labels = torch.randint(1, 91, (count,), generator=generator)
    target = {"boxes": boxes, "labels": labels}
    if model == "maskrcnn_resnet50_fpn":
        target["masks"] = inside.to(torch.uint8)
    if model == "keypointrcnn_resnet50_fpn":
        where = torch.rand(count, 17, 2, generator=generator)
        xy = boxes[:, None, :2] + where * sides[:, None, :]
        target["keypoints"] = torch.cat([xy, torch.full((count, 17, 1), 2.0)], dim=2)
    return image, target


def build_model(case: Case, implementation: str) -> nn.Module:
    """The case's model, holding the weights vmodels' builder draws with seed 0."""
    torch.manual_seed(0)
    size = {} if case.model in FIXED_SIZE else {"min_size": case.min_size}
    ours = vmodels.get_model(case.model, weights=None, weights_backbone=None, **size)
    if implementation == "vmodels":
        return ours
    builder = getattr(tv_detection, case.model)
    theirs = builder(weights=None, weights_backbone=None, **size)
    theirs.load_state_dict(ours.state_dict())
    return theirs


def step_fn(case: Case, implementation: str, device: torch.device) -> Callable[[], object]:
    """What one timed iteration of ``case`` does with ``implementation``; everything it needs is
    built here."""
    if case.model == PASTE:
        generator = torch.Generator().manual_seed(0)
        height, width = PASTE_SIZE
        masks = torch.rand(PASTE_COUNT, 1, 28, 28, generator=generator).to(device)
        sides = 16 + torch.rand(PASTE_COUNT, 2, generator=generator) * 400
        top_left = torch.rand(PASTE_COUNT, 2, generator=generator) * (
            torch.tensor([width, height]) - sides
        )
        boxes = torch.cat([top_left, top_left + sides], dim=1).to(device)
        if implementation == "vmodels":
            return lambda: paste_masks_in_image(masks, boxes, [height, width])
        return lambda: tv_roi_heads.paste_masks_in_image(masks, boxes, (height, width))

    model = build_model(case, implementation).to(device)
    samples = [synthetic_sample(case.model, seed) for seed in (1, 2)]
    images = [image.to(device) for image, _ in samples]
    targets = [{key: value.to(device) for key, value in target.items()} for _, target in samples]
    if case.mode == "infer":
        model.eval()

        def infer() -> object:
            with torch.no_grad():
                return model(images[:1])

        return infer

    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        losses = model(images, targets)
        sum(losses.values()).backward()
        optimizer.step()

    return train_step


def _proc_status_bytes(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # reported in kB
    raise OSError(f"no {field} in /proc/self/status")


def _max_rss_bytes() -> int:
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # bytes on macOS, else kB


def median_seconds(steps: list[Callable[[], object]], case: Case, cuda: bool) -> list[float]:
    """Median seconds per call of each of ``steps``, called in turn (one call of each per round,
    the order reversed every other round)."""
    times: list[list[float]] = [[] for _ in steps]
    for index in range(case.warmup + case.repeat):
        order = list(range(len(steps)))
        for which in order if index % 2 == 0 else reversed(order):
            start = time.perf_counter()
            steps[which]()
            if cuda:
                torch.cuda.synchronize()
            if index >= case.warmup:
                times[which].append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def peak_memory(step: Callable[[], object], case: Case, device: torch.device) -> dict:
    """Peak memory growth in MiB over ``case.warmup`` calls of ``step`` and one more."""
    gc.collect()
    cuda = device.type == "cuda"
    exact = True
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
    else:
        try:
            with open("/proc/self/clear_refs", "w") as clear_refs:
                clear_refs.write("5")  # reset VmHWM to the current resident size
            baseline = _proc_status_bytes("VmRSS")
        except OSError:
            exact = False
            baseline = _max_rss_bytes()
    for _ in range(case.warmup + 1):
        step()
    if cuda:
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated(device)
    else:
        peak = _proc_status_bytes("VmHWM") if exact else _max_rss_bytes()
    return {"peak_mib": (peak - baseline) / 2**20, "exact_memory": exact}


def run_case(case: Case) -> dict:
    """The case's times (``{implementation: seconds}``) or one implementation's peak memory,
    measured in this process."""
    torch.set_num_threads(case.threads)
    device = torch.device(case.device)
    steps = [step_fn(case, implementation, device) for implementation in case.implementations]
    if case.measure == "memory":
        return peak_memory(steps[0], case, device)
    seconds = median_seconds(steps, case, device.type == "cuda")
    return dict(zip(case.implementations, seconds, strict=True))


def run_in_subprocess(case: Case) -> tuple[dict | None, str]:
    """``run_case(case)`` in a fresh interpreter; (None, why) when it fails."""
    command = [sys.executable, __file__, "--case", json.dumps(asdict(case))]
    done = subprocess.run(command, capture_output=True, text=True)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :]), ""
    lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
    return None, lines[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="default: torch's own count")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--sizes", nargs="+", type=int, default=[800, 320], help="min_size")
    modes = ("infer", "train")
    parser.add_argument("--modes", nargs="+", default=list(modes), choices=modes)
    parser.add_argument("--no-paste", action="store_true", help="skip the mask-pasting row")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # JSON Case: run it and report
    args = parser.parse_args()
    if args.case is not None:
        print(RESULT + json.dumps(run_case(Case(**json.loads(args.case)))), flush=True)
        return
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda needs a CUDA build of torch and a GPU")

    threads = args.threads or torch.get_num_threads()
    implementations = ("vmodels",) + (() if torchvision is None else ("torchvision",))
    tv_version = "not installed" if torchvision is None else torchvision.__version__
    print(f"vmodels {vmodels.__version__}, torch {torch.__version__}, torchvision {tv_version}")
    if args.device == "cuda":
        where = torch.cuda.get_device_name()
    else:  # other work on the machine shows up in CPU times, so say how busy it was
        where = f"cpu, {threads} threads, load average {os.getloadavg()[0]:.1f}"
    memory = "max_memory_allocated" if args.device == "cuda" else "peak RSS"
    print(
        f"{where}; s/it = median of {args.repeat} after {args.warmup} warm-up, both "
        f"implementations in turn in one process; infer batch 1, train batch 2, "
        f"{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} images; peak MiB = {memory} growth over the runs, one "
        "process each; ratio = vmodels / torchvision"
    )
    print(
        f"{'model':<34}{'mode':<7}{'min_size':>9}{'vmodels s/it':>14}{'torchvision s/it':>18}"
        f"{'ratio':>8}{'vmodels MiB':>13}{'torchvision MiB':>17}",
        flush=True,
    )
    runs = {"repeat": args.repeat, "warmup": args.warmup, "measure": "time"}
    rows = []
    for model in args.models:
        sizes = [FIXED_SIZE[model]] if model in FIXED_SIZE else args.sizes
        rows += [(model, mode, size) for mode in args.modes for size in sizes]
    if not args.no_paste:
        rows.append((PASTE, f"N={PASTE_COUNT}", PASTE_SIZE[0]))
    notes = []
    for model, mode, size in rows:
        timing = Case(model, mode, size, implementations, args.device, threads, **runs)
        seconds, why = run_in_subprocess(timing)
        if seconds is None:
            notes.append(f"{model} {mode} {size}: timing failed: {why}")
            seconds = {}
        memory = {}
        for implementation in implementations:
            result, why = run_in_subprocess(
                replace(timing, implementations=(implementation,), measure="memory")
            )
            if result is None:
                notes.append(f"{model} {mode} {size} {implementation}: memory failed: {why}")
                continue
            memory[implementation] = result["peak_mib"]
            if not result["exact_memory"]:
                notes.append(f"{model} {mode} {size} {implementation}: ru_maxrss memory figure")

        def cell(value: float | None, width: int, digits: int) -> str:
            return f"{'-' if value is None else format(value, f'.{digits}f'):>{width}}"

        ours, theirs = seconds.get("vmodels"), seconds.get("torchvision")
        ratio = None if ours is None or theirs is None else ours / theirs
        print(
            f"{model:<34}{mode:<7}{size:>9}{cell(ours, 14, 3)}{cell(theirs, 18, 3)}"
            f"{cell(ratio, 8, 3)}{cell(memory.get('vmodels'), 13, 0)}"
            f"{cell(memory.get('torchvision'), 17, 0)}",
            flush=True,
        )
    if args.device == "cpu":
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
