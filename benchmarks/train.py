"""Training s/it of the reference loop (vrefs' Trainer) against the bare model step, on Shapes.

    python benchmarks/train.py [--repeat 3] [--iters 20] [--threads 2] [--workers 2]
                               [--cases detection classification]
                               [--detection-model maskrcnn_resnet18_fpn]

Cases (fixed by the vrefs issue): Mask R-CNN at batch 2 (the demo's model and image size,
128x128, by default) and resnet50 at batch 32 on 224x224 images.

- reference: ``Trainer.train_one_epoch`` over ``--iters`` batches, as ``vrefs-train`` runs it:
  DataLoader with ``--workers`` processes, aspect-ratio batching, progress bar and metric lines,
  the all-reduce and finiteness check of the losses, the LR scheduler. Timed from the first
  batch on: the workers' start-up, once per run, would otherwise weigh with the (few)
  iterations of the benchmark more than with those of a real run.
- bare: the same model, optimizer and ``task.losses`` on the same number of batches loaded in
  memory beforehand: forward, backward and step only.

Each figure is the median s/it over ``--repeat`` epochs after one warm-up epoch; overhead =
reference / bare - 1 (the issue's goal: at most 5%). On a shared machine the figures are noisy:
run it when nothing else is.
"""

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator

import torch
from torch.utils.data import DataLoader

from vrefs import cli, engine
from vrefs.distributed import init_distributed

CASES = {
    "detection": lambda model: ["detection", "--model", model, "--batch-size", "2"],
    "classification": lambda _: [
        "classification",
        *("--model", "resnet50", "--batch-size", "32", "--image-size", "224"),
    ],
}


def build(argv: list[str], iters: int, workers: int, output_dir: str) -> engine.Trainer:
    """A trainer of ``vrefs-train argv`` on exactly ``iters`` training batches."""
    args, task = cli.parse_args([*argv, "--workers", str(workers), "--device", "cpu"])
    args.num_images = iters * args.batch_size
    args.epochs, args.output_dir = 1, output_dir
    return engine.build_trainer(task, args, init_distributed("cpu"))


class FirstBatchClock:
    """Wraps a loader and notes when its first batch arrives, so that the loader's start-up
    (worker processes), paid once per epoch, stays out of the per-iteration figure."""

    def __init__(self, loader: DataLoader) -> None:
        self.loader = loader
        self.first_batch_at = 0.0

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Iterator:
        for step, batch in enumerate(self.loader):
            if step == 0:
                self.first_batch_at = time.perf_counter()
            yield batch


def reference_epoch(trainer: engine.Trainer, clock: FirstBatchClock) -> float:
    """Seconds per iteration of one ``Trainer.train_one_epoch`` after its first batch."""
    with contextlib.redirect_stdout(io.StringIO()):
        trainer.train_one_epoch(0)
    return (time.perf_counter() - clock.first_batch_at) / len(clock)


def bare_epoch(trainer: engine.Trainer, batches: list) -> float:
    """Seconds per iteration of forward, backward and step over ``batches`` held in memory."""
    model, optimizer, task = trainer.model, trainer.optimizer, trainer.task
    model.train()
    start = time.perf_counter()
    for images, targets in batches:
        loss = sum(task.losses(model, images, targets).values())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / len(batches)


def median_s(run: Callable[..., float], repeat: int, *args) -> float:
    run(*args)  # warm-up: allocator, first-call paths
    return statistics.median(run(*args) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--iters", type=int, default=20, help="training batches per epoch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="the reference's DataLoader")
    parser.add_argument("--cases", nargs="+", choices=tuple(CASES), default=tuple(CASES))
    parser.add_argument("--detection-model", default="maskrcnn_resnet18_fpn")
    options = parser.parse_args()
    torch.set_num_threads(options.threads)

    print(f"{'case':<44} {'reference s/it':>15} {'bare s/it':>10} {'overhead':>9}")
    for name in options.cases:
        argv = CASES[name](options.detection_model)
        with tempfile.TemporaryDirectory() as output_dir:
            trainer = build(argv, options.iters, options.workers, output_dir)
            loader = trainer.train_loader
            in_memory = DataLoader(
                loader.dataset, batch_sampler=loader.batch_sampler, collate_fn=loader.collate_fn
            )
            batches = list(in_memory)
            clock = trainer.train_loader = FirstBatchClock(loader)
            reference = median_s(reference_epoch, options.repeat, trainer, clock)
            bare = median_s(bare_epoch, options.repeat, trainer, batches)
        label = f"{name} {' '.join(argv[1:])}"
        print(f"{label:<44} {reference:>15.3f} {bare:>10.3f} {reference / bare - 1:>9.1%}")


if __name__ == "__main__":
    main()
