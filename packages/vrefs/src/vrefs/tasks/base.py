"""What the training engine needs from a task: data, model, loss, evaluation and pictures.

The engine (vrefs.engine) is the same for every task; a task is one object implementing
:class:`Task`. Tasks are looked up by name in :data:`vrefs.tasks.TASKS`.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from torch import Tensor, nn
from torch.utils.data import Dataset


class Evaluator(Protocol):
    """Accumulates predictions of one evaluation pass; ``summary`` reduces across processes."""

    def update(self, outputs: Any, targets: Any) -> None: ...

    def summary(self) -> dict[str, float]:
        """The metrics, identical on every rank (gathered/all-reduced across processes)."""
        ...


class Task(Protocol):
    """One task of ``vrefs-train``.

    Optional attributes the engine and the CLI look for: ``defaults``, a dict of option values
    (``{"epochs": 8, "lr": 0.01, "image_size": 64, ...}``, keyed by argparse ``dest``) used
    where the command line gives none; ``train_batch_sampler(sampler, dataset, args)``, which
    batches the training sampler itself (default: plain ``--batch-size`` batches).
    """

    name: str  # "classification", "segmentation" or "detection"
    default_model: str  # a registered vmodels name

    def build_datasets(self, args) -> tuple[Dataset, Dataset]:
        """``(train, val)`` for ``args.dataset`` / ``args.data_path`` with the task's transforms."""
        ...

    def collate_fn(self) -> Callable | None:
        """The DataLoader collate function, or None for the default."""
        ...

    def build_model(self, args, train_dataset: Dataset) -> nn.Module:
        """``vmodels.get_model(args.model, ...)`` sized for the dataset (classes, keypoints)."""
        ...

    def losses(self, model: nn.Module, images: Any, targets: Any) -> dict[str, Tensor]:
        """Training losses of one batch (the engine sums them and backpropagates)."""
        ...

    def predict(self, model: nn.Module, images: Any) -> Any:
        """Evaluation-mode outputs of one batch, as the evaluator's ``update`` takes them."""
        ...

    def evaluator(self, args, val_dataset: Dataset, output_dir: Path | None) -> Evaluator:
        """A fresh evaluator for one pass over ``val_dataset``."""
        ...

    def draw_predictions(self, model: nn.Module, val_dataset: Dataset, path: Path) -> Path | None:
        """Save a PNG of predictions on a few validation images (rank 0 only), or None."""
        ...
