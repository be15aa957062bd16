"""Latency and peak memory of vmodels' detection models, beside torchvision's when installed.

    python benchmarks/detection.py [--repeat 3] [--warmup 1] [--threads N] [--device cpu|cuda]
        [--models fasterrcnn_resnet50_fpn maskrcnn_resnet50_fpn keypointrcnn_resnet50_fpn]
        [--sizes 800 320] [--modes infer train] [--no-paste]

Cases (fixed by the vmodels detection issue): for Faster, Mask and Keypoint R-CNN ResNet-50-FPN,
inference at batch 1 (eval, no_grad) and a training step at batch 2 (forward, sum of the losses,
backward, SGD step with lr 1e-4 and momentum 0.9), at the release's min_size 800 (max_size 1333)
and at min_size 320. Inputs are COCO-like synthetic 480x640 images (smooth noise with 3-5 filled
objects, fixed seeds) with their targets: boxes, labels, elliptic masks for Mask R-CNN, 17
visible keypoints per object for Keypoint R-CNN. Models are built from scratch by the default
builders (random weights, seed 0, so batch norm trains and all five stages train); torchvision's
model gets vmodels' weights (the state dicts are compatible), so both do the same arithmetic.
One more row times mask pasting alone: 100 masks Tensor[100, 1, 28, 28] into an 800x1066 image,
vmodels.detection.paste_masks_in_image against torchvision's roi_heads.paste_masks_in_image.

Times are seconds per iteration, the median of --repeat runs after --warmup runs; ratio =
vmodels / torchvision (below 1 is faster). Threads default to torch's own count.

Peak MiB: each (model, mode, min_size, implementation) case runs in a fresh process (this script
re-invoked with a hidden --case), so no case inherits another's allocator caches or high-water
mark. On CPU the figure is the peak resident set size over the warm-up and timed runs minus the
resident size just before them, with the model, optimizer and inputs already built: Linux's
VmHWM, reset to the current size through /proc/self/clear_refs once everything is built. Where
that reset is unavailable the figure is ru_maxrss growth over the runs, which can only read low
(a peak reached while building hides the runs' peak below it); a note says so. On CUDA it is
torch.cuda.max_memory_allocated minus the memory allocated before the runs (the caching
allocator's reserve and the CUDA context are not counted).
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
from dataclasses import asdict, dataclass

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

MODELS = ("fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "keypointrcnn_resnet50_fpn")
PASTE = "paste_masks_in_image"
IMAGE_SIZE = (480, 640)  # height, width: COCO's most common size
PASTE_COUNT, PASTE_SIZE = 100, (800, 1066)  # a 480x640 image at min_size 800
RESULT = "RESULT "  # the prefix of the line on which a --case process reports


@dataclass(frozen=True)
class Case:
    model: str  # one of MODELS, or PASTE
    mode: str  # "infer" or "train"
    min_size: int
    implementation: str  # "vmodels" or "torchvision"
    device: str
    threads: int
    repeat: int
    warmup: int


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


def build_model(case: Case) -> nn.Module:
    """The case's model, holding the weights vmodels' builder draws with seed 0."""
    torch.manual_seed(0)
    ours = vmodels.get_model(case.model, weights=None, min_size=case.min_size)
    if case.implementation == "vmodels":
        return ours
    builder = getattr(tv_detection, case.model)
    theirs = builder(weights=None, weights_backbone=None, min_size=case.min_size)
    theirs.load_state_dict(ours.state_dict())
    return theirs


def step_fn(case: Case, device: torch.device) -> Callable[[], object]:
    """What one timed iteration of ``case`` does; everything it needs is built here."""
    if case.model == PASTE:
        generator = torch.Generator().manual_seed(0)
        height, width = PASTE_SIZE
        masks = torch.rand(PASTE_COUNT, 1, 28, 28, generator=generator).to(device)
        sides = 16 + torch.rand(PASTE_COUNT, 2, generator=generator) * 400
        top_left = torch.rand(PASTE_COUNT, 2, generator=generator) * (
            torch.tensor([width, height]) - sides
        )
        boxes = torch.cat([top_left, top_left + sides], dim=1).to(device)
        if case.implementation == "vmodels":
            return lambda: paste_masks_in_image(masks, boxes, [height, width])
        return lambda: tv_roi_heads.paste_masks_in_image(masks, boxes, (height, width))

    model = build_model(case).to(device)
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


def run_case(case: Case) -> dict:
    """Median seconds per iteration and peak memory growth of one case, in this process."""
    torch.set_num_threads(case.threads)
    device = torch.device(case.device)
    step = step_fn(case, device)
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

    times = []
    for index in range(case.warmup + case.repeat):
        start = time.perf_counter()
        step()
        if cuda:
            torch.cuda.synchronize()
        if index >= case.warmup:
            times.append(time.perf_counter() - start)

    if cuda:
        peak = torch.cuda.max_memory_allocated(device)
    else:
        peak = _proc_status_bytes("VmHWM") if exact else _max_rss_bytes()
    return {
        "seconds": statistics.median(times),
        "peak_mib": (peak - baseline) / 2**20,
        "exact_memory": exact,
    }


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
    implementations = ["vmodels"] + ([] if torchvision is None else ["torchvision"])
    tv_version = "not installed" if torchvision is None else torchvision.__version__
    print(f"vmodels {vmodels.__version__}, torch {torch.__version__}, torchvision {tv_version}")
    if args.device == "cuda":
        where = torch.cuda.get_device_name()
    else:  # other work on the machine shows up in CPU times, so say how busy it was
        where = f"cpu, {threads} threads, load average {os.getloadavg()[0]:.1f}"
    memory = "max_memory_allocated" if args.device == "cuda" else "peak RSS"
    print(
        f"{where}; s/it = median of {args.repeat} after {args.warmup} warm-up; infer batch 1, "
        f"train batch 2, {IMAGE_SIZE[0]}x{IMAGE_SIZE[1]} images; peak MiB = {memory} growth over "
        "the runs, one process per case; ratio = vmodels / torchvision"
    )
    print(
        f"{'model':<27}{'mode':<7}{'min_size':>9}{'vmodels s/it':>14}{'torchvision s/it':>18}"
        f"{'ratio':>8}{'vmodels MiB':>13}{'torchvision MiB':>17}",
        flush=True,
    )
    rows = [(m, mode, size) for m in args.models for mode in args.modes for size in args.sizes]
    if not args.no_paste:
        rows.append((PASTE, f"N={PASTE_COUNT}", PASTE_SIZE[0]))
    notes = []
    for model, mode, size in rows:
        results = {}
        for implementation in implementations:
            case = Case(
                model, mode, size, implementation, args.device, threads, args.repeat, args.warmup
            )
            result, why = run_in_subprocess(case)
            results[implementation] = result
            if result is None:
                notes.append(f"{model} {mode} {size} {implementation}: failed: {why}")
            elif not result["exact_memory"]:
                notes.append(f"{model} {mode} {size} {implementation}: ru_maxrss memory figure")
        ours, theirs = results["vmodels"], results.get("torchvision")

        def cell(result: dict | None, key: str, width: int, digits: int) -> str:
            return f"{'-' if result is None else format(result[key], f'.{digits}f'):>{width}}"

        ratio = "-"
        if ours is not None and theirs is not None:
            ratio = f"{ours['seconds'] / theirs['seconds']:.3f}"
        print(
            f"{model:<27}{mode:<7}{size:>9}{cell(ours, 'seconds', 14, 3)}"
            f"{cell(theirs, 'seconds', 18, 3)}{ratio:>8}{cell(ours, 'peak_mib', 13, 0)}"
            f"{cell(theirs, 'peak_mib', 17, 0)}",
            flush=True,
        )
    if args.device == "cpu":
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
