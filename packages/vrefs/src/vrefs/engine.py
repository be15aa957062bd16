"""The one training loop of every task: train an epoch, evaluate, then the hooks (checkpoint,
metrics, pictures); and :func:`run`, which builds it from the command-line arguments."""

import json
import os
import random
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from . import data
from .checkpoint import (
    model_state,
    plain_args,
    remove_stale_temporaries,
    rng_state,
    set_rng_state,
    training_state,
)
from .distributed import (
    DistInfo,
    all_gather_object,
    all_reduce_sum,
    cleanup,
    init_distributed,
    unwrap,
    wrap_model,
)
from .hooks import DrawPredictions, Hook, WriteCheckpoint, WriteMetrics
from .optimizers import build_optimizer
from .progress import Progress
from .schedules import build_lr_scheduler
from .tasks.base import Task


class SetupError(Exception):
    """The arguments or files cannot make a run (an unknown dataset, a data path of the wrong
    layout, an unreadable checkpoint); the message says what was expected."""


class Trainer:
    """Trains ``model`` on ``task`` for ``args.epochs`` epochs from ``start_epoch``.

    Each epoch: one pass over ``train_loader`` (the task's losses summed, backpropagated, an
    optimizer and a per-iteration scheduler step), an evaluation pass over ``val_loader``, then
    every hook with the epoch's record, on the main process only. Losses and metrics are
    averaged over all processes.

    Args:
        task: what to train (:class:`vrefs.tasks.base.Task`).
        args: the parsed command line (``epochs``, ``amp``, ``print_freq``, ...).
        info: this process's rank and device.
        model: on ``info.device``, wrapped for distributed training if needed.
        hooks: run after each epoch on the main process.
    """

    def __init__(
        self,
        task: Task,
        args,
        info: DistInfo,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        lr_scheduler: torch.optim.lr_scheduler.LRScheduler,
        train_loader: DataLoader,
        val_loader: DataLoader,
        train_sampler: DistributedSampler,
        hooks: Sequence[Hook] = (),
    ) -> None:
        self.task, self.args, self.info = task, args, info
        self.model, self.optimizer, self.lr_scheduler = model, optimizer, lr_scheduler
        self.train_loader, self.val_loader = train_loader, val_loader
        self.train_sampler = train_sampler
        self.val_dataset: Dataset = val_loader.dataset
        self.hooks = list(hooks)
        self.scaler = torch.amp.GradScaler("cuda", enabled=args.amp and info.device.type == "cuda")
        self.start_epoch = 0
        self.epoch = 0
        self.rng_states: list[Any] = []

    def autocast(self) -> AbstractContextManager:
        """Mixed precision under ``--amp``: float16 on CUDA, bfloat16 on the CPU."""
        device = self.info.device.type
        dtype = torch.float16 if device == "cuda" else torch.bfloat16
        return torch.autocast(device, dtype=dtype, enabled=self.args.amp)

    def fit(self) -> list[dict[str, Any]]:
        """Train the remaining epochs; returns their records."""
        records = []
        for epoch in range(self.start_epoch, self.args.epochs):
            self.epoch = epoch
            self.train_sampler.set_epoch(epoch)
            start = time.perf_counter()
            train = self.train_one_epoch(epoch)
            middle = time.perf_counter()
            metrics = self.evaluate()
            record = {
                "epoch": epoch + 1,
                "lr": self.optimizer.param_groups[0]["lr"],
                **{f"train_{k}": v for k, v in train.items()},
                **{f"val_{k}": v for k, v in metrics.items()},
                "time_train_s": middle - start,
                "time_eval_s": time.perf_counter() - middle,
            }
            # Gathered on every process (a collective) for the checkpoint written by rank 0.
            self.rng_states = all_gather_object(rng_state())
            if self.info.is_main:
                print(json.dumps(record), flush=True)
                for hook in self.hooks:
                    hook.after_epoch(self, record)
            records.append(record)
        return records

    def train_one_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over the training data; the mean of each loss (and their sum, ``loss``)."""
        self.model.train()
        header = f"epoch {epoch + 1}/{self.args.epochs}"
        progress = Progress(self.train_loader, header, self.args.print_freq, self.info.is_main)
        totals: Tensor | None = None
        names: list[str] = []
        for step, (images, targets) in enumerate(progress, 1):
            with self.autocast():
                losses = self.task.losses(self.model, images, targets)
            loss = sum(losses.values())
            names = ["loss", *losses]
            values = torch.stack([loss.detach(), *(v.detach() for v in losses.values())])
            values = all_reduce_sum(values.float()) / self.info.world_size
            shown = dict(zip(names, values.tolist(), strict=True))
            if not torch.isfinite(values).all():
                text = ", ".join(f"{name} {value:.4g}" for name, value in shown.items())
                raise FloatingPointError(
                    f"non-finite training loss at epoch {epoch + 1} step {step}: {text}; "
                    "try a lower --lr or more --warmup-iters"
                )
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.lr_scheduler.step()
            totals = values if totals is None else totals + values
            progress.log(step, {**shown, "lr": self.optimizer.param_groups[0]["lr"]})
        if totals is None:
            raise ValueError("the training data is empty: check --dataset and --num-images")
        means = (totals / len(self.train_loader)).tolist()
        return dict(zip(names, means, strict=True))

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """The task's metrics over the validation data, from all processes."""
        model = unwrap(self.model)
        model.eval()
        output_dir = self.args.output_dir if self.info.is_main else None
        evaluator = self.task.evaluator(self.args, self.val_dataset, output_dir)
        progress = Progress(self.val_loader, "evaluate", self.args.print_freq, self.info.is_main)
        for step, (images, targets) in enumerate(progress, 1):
            with self.autocast():
                outputs = self.task.predict(model, images)
            evaluator.update(outputs, targets)
            progress.log(step, {})
        return evaluator.summary()

    def state_dict(self) -> dict[str, Any]:
        """Everything :meth:`load_state_dict` needs to continue after the current epoch."""
        return {
            "model": unwrap(self.model).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": self.epoch + 1,
            "args": plain_args(self.args),
            "rng": self.rng_states,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a :meth:`state_dict`: the next epoch is the one after the saved one
        (unless ``--start-epoch`` says otherwise), with this process's random state then."""
        unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.lr_scheduler.load_state_dict(state["lr_scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.start_epoch = state["epoch"]
        if len(state["rng"]) == self.info.world_size:
            set_rng_state(state["rng"][self.info.rank])
        else:  # another number of processes: each one's state cannot be carried over
            seed_everything(self.args.seed + self.info.rank + 1000 * self.start_epoch)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def make_deterministic() -> None:
    """Deterministic kernels only (``--deterministic``), so that runs repeat bit for bit."""
    # cuBLAS needs this before its first call to be deterministic.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False


def build_trainer(task: Task, args, info: DistInfo) -> Trainer:
    """Datasets, loaders, model (with ``--weights``), optimizer and schedule for ``args``, and
    the state of ``--resume``. Invalid arguments and data paths raise ValueError or OSError
    (FileNotFoundError) before anything trains."""
    seed_everything(args.seed + info.rank)
    if args.deterministic:
        make_deterministic()
    train_dataset, val_dataset = task.build_datasets(args)
    train_loader, val_loader, sampler = data.build_loaders(
        task, args, info, train_dataset, val_dataset
    )
    model = task.build_model(args, train_dataset).to(info.device)
    if args.weights is not None:
        model.load_state_dict(model_state(args.weights))
    model = wrap_model(model, info, args.sync_bn)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = build_optimizer(parameters, args)
    lr_scheduler = build_lr_scheduler(optimizer, args, len(train_loader))
    hooks: list[Hook] = []
    if args.output_dir is not None:
        if info.is_main:
            remove_stale_temporaries(args.output_dir)
        hooks = [
            WriteCheckpoint(args.output_dir),
            WriteMetrics(args.output_dir),
            DrawPredictions(args.output_dir),
        ]
    trainer = Trainer(
        task, args, info, model, optimizer, lr_scheduler, train_loader, val_loader, sampler, hooks
    )
    if args.resume is not None:
        trainer.load_state_dict(training_state(args.resume))
    if args.start_epoch is not None:
        trainer.start_epoch = args.start_epoch
    return trainer


def run(task: Task, args) -> list[dict[str, Any]]:
    """Train (or with ``--test-only`` evaluate) as ``args`` say, under torchrun or alone.

    Returns the epoch records (``[{"epoch": ..., "val_...": ...}]`` for ``--test-only``).
    """
    info = init_distributed(args.device)
    try:
        if args.output_dir is not None:
            args.output_dir = Path(args.output_dir)
        try:
            trainer = build_trainer(task, args, info)
        except (ValueError, OSError) as error:
            raise SetupError(str(error)) from error
        if not args.test_only:
            return trainer.fit()
        record = {
            "epoch": trainer.start_epoch,
            **{f"val_{k}": v for k, v in trainer.evaluate().items()},
        }
        if info.is_main:
            print(json.dumps(record), flush=True)
            if args.output_dir is not None:
                DrawPredictions(args.output_dir).after_epoch(trainer, record)
        return [record]
    finally:
        cleanup()
