"""CPU latency of vmodels models, beside torchvision's same models when installed.

    python benchmarks/models.py [--repeat 5] [--threads 2] [--channels-last] [--compile]
                                [--models resnet50 mobilenet_v2 deeplabv3_resnet50]

Cases (fixed by the vmodels issues): forward at batch 1 on 224x224 (eval, no_grad) and a train
step at batch 8 (forward, cross-entropy, backward, SGD step) for resnet50, mobilenet_v2,
mobilenet_v3_large, efficientnet_b0, convnext_tiny, vit_b_16 and swin_t, and deeplabv3_resnet50
forward at batch 1 on 520x520 (a model not registered is skipped with a note). Each time is the
median of --repeat runs after a warm-up (two for compiled models, whose first call compiles), ours
and torchvision's interleaved call by call. torchvision's model gets vmodels' weights (the state
dicts are compatible), so both do the same arithmetic on the same numbers.

Variants: eager (NCHW) always; --channels-last adds NHWC weights and inputs, --compile adds
torch.compile with its default backend (inductor), and both together add their combination.
Ratio = vmodels ms / torchvision ms of the same variant (below 1 is faster); vs tv eager =
torchvision's eager ms / vmodels ms of the variant (the fast path's gain over what a torchvision
user runs today); speed-up = vmodels eager ms / vmodels ms of the variant.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

import vmodels

try:
    import torchvision
    import torchvision.models as tv_models
except ImportError:
    torchvision = tv_models = None

SEGMENTATION = "deeplabv3_resnet50"


@dataclass(frozen=True)
class Case:
    model: str
    kind: str  # "forward" or "train"
    batch: int
    size: int

    @property
    def label(self) -> str:
        return f"{self.model} {self.kind} {self.batch}x{self.size}"


CLASSIFIERS = (
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "convnext_tiny",
    "vit_b_16",
    "swin_t",
)
CASES = (
    *(
        Case(name, kind, batch, 224)
        for name in CLASSIFIERS
        for kind, batch in [("forward", 1), ("train", 8)]
    ),
    Case(SEGMENTATION, "forward", 1, 520),
)


@dataclass(frozen=True)
class Variant:
    name: str
    channels_last: bool = False
    compile: bool = False


def median_ms(fns: list[Callable[[], object]], repeat: int, warmup: int) -> list[float]:
    """Median milliseconds of each of ``fns``, run interleaved (one call of each per round), so
    that a machine whose speed drifts slows all of them alike."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            spent.append((time.perf_counter() - start) * 1e3)
    return [statistics.median(spent) for spent in times]


def torchvision_twin(name: str, ours: nn.Module, num_classes: int) -> nn.Module | None:
    """torchvision's model ``name`` holding ``ours``'s weights; None without torchvision."""
    if tv_models is None:
        return None
    kwargs: dict = {"weights": None, "num_classes": num_classes}
    if name == SEGMENTATION:
        # No ImageNet backbone download, and the auxiliary head only if ours has one:
        # torchvision runs it in eval mode too, so it is part of the measured work.
        kwargs["weights_backbone"] = None
        kwargs["aux_loss"] = getattr(ours, "aux_classifier", None) is not None
    theirs = tv_models.get_model(name, **kwargs)
    theirs.load_state_dict(ours.state_dict())
    return theirs


def step_fn(
    model: nn.Module, case: Case, variant: Variant, num_classes: int
) -> Callable[[], object]:
    """What one timed run of ``case`` does, on ``model`` prepared as ``variant`` says."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(case.batch, 3, case.size, case.size, generator=generator)
    if variant.channels_last:
        model = model.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    runner = torch.compile(model) if variant.compile else model

    if case.kind == "forward":
        model.eval()

        def forward() -> object:
            with torch.no_grad():
                return runner(images)

        return forward

    model.train()
    targets = torch.randint(0, num_classes, (case.batch,), generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(runner(images), targets).backward()
        optimizer.step()

    return train_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--channels-last", action="store_true", help="add an NHWC variant")
    parser.add_argument("--compile", action="store_true", help="add a torch.compile variant")
    parser.add_argument(
        "--models",
        nargs="+",
        default=sorted({case.model for case in CASES}),
        choices=sorted({case.model for case in CASES}),
        help="run only these models' cases",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    variants = [Variant("eager")]
    if args.channels_last:
        variants.append(Variant("channels_last", channels_last=True))
    if args.compile:
        variants.append(Variant("compile", compile=True))
    if args.channels_last and args.compile:
        variants.append(Variant("channels_last+compile", channels_last=True, compile=True))

    tv_version = "not installed" if torchvision is None else torchvision.__version__
    print(f"vmodels {vmodels.__version__}, torch {torch.__version__}, torchvision {tv_version}")
    registered = set(vmodels.list_models())
    notes = []
    header = f"{'case':<34}{'variant':<23}{'vmodels ms':>11}"
    if tv_models is not None:
        header += f"{'torchvision ms':>16}{'ratio':>8}{'vs tv eager':>12}"
    header += f"{'speed-up':>10}"
    print(
        f"cpu, {torch.get_num_threads()} threads, median of {args.repeat}; ratio = vmodels / "
        "torchvision, vs tv eager = torchvision eager / vmodels variant, speed-up = vmodels "
        "eager / variant"
    )
    tv_eager_ms: dict[Case, float] = {}
    print(header)
    for case in CASES:
        if case.model not in args.models:
            continue
        if case.model not in registered:
            notes.append(f"{case.label}: skipped, {case.model!r} is not registered in vmodels")
            continue
        num_classes = 21 if case.model == SEGMENTATION else 1000
        eager_ms = None
        for variant in variants:
            # Fresh models per variant: channels_last and the optimizer change them in place.
            torch.manual_seed(0)
            ours = vmodels.get_model(case.model, num_classes=num_classes)
            theirs = torchvision_twin(case.model, ours, num_classes)
            warmup = 2 if variant.compile else 1
            steps = [step_fn(ours, case, variant, num_classes)]
            if theirs is not None:
                steps.append(step_fn(theirs, case, variant, num_classes))
            mine, *reference = median_ms(steps, args.repeat, warmup)
            eager_ms = eager_ms or mine
            line = f"{case.label:<34}{variant.name:<23}{mine:>11.1f}"
            if reference:
                tv_eager_ms[case] = tv_eager_ms.get(case, reference[0])
                line += f"{reference[0]:>16.1f}{mine / reference[0]:>8.3f}"
                line += f"{tv_eager_ms[case] / mine:>12.2f}"
            line += f"{eager_ms / mine:>10.2f}"
            print(line, flush=True)
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
