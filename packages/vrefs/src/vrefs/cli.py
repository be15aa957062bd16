"""``vrefs-train TASK [options]`` (also ``python -m vrefs``): train and evaluate a registered
model on a task, alone or under torchrun.

Options left unset take the task's defaults (``Task.defaults``, measured to reach the goals
quoted in the README on Shapes), then :data:`DEFAULTS`.
"""

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import torch

import vmodels

from . import engine
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES
from .tasks import TASKS, get_task
from .tasks.detection_presets import AUGMENTATIONS, TRANSFORMS

# The values of the options whose default depends on the task, when the task has none.
DEFAULTS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 16,
    "lr": 0.02,
    "image_size": 128,
    "num_images": None,
    "opt": "sgd",
    "lr_schedule": "cosine",
    "warmup_epochs": 0.0,
    "weight_decay": 1e-4,
}


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``vrefs-train``."""
    parser = argparse.ArgumentParser(
        prog="vrefs-train",
        description="Train and evaluate a vision model: one engine for every task.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("task", choices=tuple(TASKS), help="what to train")
    parser.add_argument("--model", help="a registered model of the task (default: the task's)")
    data = parser.add_argument_group("data")
    data.add_argument("--dataset", default="shapes", help="dataset name (the task lists them)")
    data.add_argument("--data-path", help="where the dataset's files are (not for shapes)")
    data.add_argument("--image-size", type=int, help="Shapes' size; crop size of photographs")
    data.add_argument("--num-images", type=int, help="Shapes training images (val: a fifth)")
    data.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    data.add_argument(
        "--aspect-ratio-group-factor",
        type=int,
        default=3,
        help="detection: batch images of similar aspect ratio (0: off)",
    )
    data.add_argument(
        "--transforms",
        choices=TRANSFORMS,
        default="v2",
        help="detection: vdata.transforms.v2 on typed targets, or the joint transforms (v1)",
    )
    data.add_argument(
        "--data-augmentation",
        choices=AUGMENTATIONS,
        default="hflip",
        help="detection: training augmentation (ssd and ssdlite as torchvision's; need v2)",
    )
    optim = parser.add_argument_group("optimization")
    optim.add_argument("--epochs", type=int)
    optim.add_argument("--batch-size", type=int, help="images per process and step")
    optim.add_argument("--opt", choices=OPTIMIZERS, help="optimizer")
    optim.add_argument("--lr", type=float, help="base learning rate")
    optim.add_argument(
        "--momentum", type=float, default=0.9, help="SGD's momentum; AdamW's first beta"
    )
    optim.add_argument("--nesterov", action="store_true", help="SGD with Nesterov momentum")
    optim.add_argument("--weight-decay", type=float)
    optim.add_argument("--lr-schedule", choices=SCHEDULES)
    optim.add_argument(
        "--lr-steps", type=int, nargs="*", default=[], help="multistep: epochs to decay at"
    )
    optim.add_argument("--lr-gamma", type=float, default=0.1, help="multistep decay factor")
    optim.add_argument("--warmup-epochs", type=float, help="linear warmup length in epochs")
    optim.add_argument("--warmup-iters", type=int, help="warmup in iterations (overrides epochs)")
    optim.add_argument("--amp", action="store_true", help="mixed precision (autocast)")
    run = parser.add_argument_group("run")
    default_device = "cuda" if torch.cuda.is_available() else "cpu"
    run.add_argument("--device", default=default_device)
    run.add_argument("--output-dir", help="checkpoint, metrics and pictures (default: runs/TASK)")
    run.add_argument("--resume", help="checkpoint.pth to continue from")
    run.add_argument("--start-epoch", type=int, help="epoch to start at (default: 0 or resumed)")
    run.add_argument("--weights", help="checkpoint or state-dict file to initialize the model")
    run.add_argument("--test-only", action="store_true", help="only evaluate")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--deterministic", action="store_true", help="deterministic kernels only")
    run.add_argument("--print-freq", type=int, default=10, help="steps between metric lines")
    run.add_argument("--sync-bn", action="store_true", help="synchronized batch norm (CUDA)")
    return parser


def _check(args: argparse.Namespace, task) -> None:
    models = vmodels.list_models(task=task.name)
    if args.model not in models:
        raise ValueError(
            f"unknown --model {args.model!r} for {task.name}; choose one of: {', '.join(models)}"
        )
    for name in ("epochs", "batch_size", "print_freq", "image_size"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "print_freq" else 1):
            raise ValueError(f"--{name.replace('_', '-')} must be positive, got {value}")
    for name in ("workers", "seed"):
        if getattr(args, name) < 0:
            raise ValueError(f"--{name} must be 0 or more, got {getattr(args, name)}")


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, Any]:
    """``(args, task)`` with every default filled in; exits with a usage error (status 2) for
    an unknown task or model or a bad value."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        task = get_task(args.task)
    except ValueError as error:
        parser.error(str(error))
    defaults = {**DEFAULTS, **getattr(task, "defaults", {}), "model": task.default_model}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.output_dir is None:
        args.output_dir = f"runs/{args.task}"
    try:
        _check(args, task)
    except ValueError as error:
        parser.error(str(error))
    return args, task


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``vrefs-train``; returns the exit status."""
    args, task = parse_args(argv)
    try:
        engine.run(task, args)
    except engine.SetupError as error:
        print(f"vrefs-train: error: {error}", file=sys.stderr)
        return 2
    return 0
