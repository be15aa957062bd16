"""What the engine does after each epoch besides training, one class per behaviour.

A hook has ``after_epoch(trainer, record)``, called on the main process only with the epoch's
record (the line written to ``metrics.jsonl``). To add a behaviour, write a hook and pass it to
:class:`vrefs.engine.Trainer`.
"""

from pathlib import Path
from typing import Any, Protocol

from .checkpoint import save_checkpoint
from .distributed import unwrap
from .results import CURVES_NAME, METRICS_NAME, append_metrics, plot_curves

PREDICTIONS_NAME = "predictions.png"


class Hook(Protocol):
    def after_epoch(self, trainer: Any, record: dict[str, Any]) -> None: ...


class WriteCheckpoint:
    """Saves the trainer's state to ``output_dir/checkpoint.pth``."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def after_epoch(self, trainer: Any, record: dict[str, Any]) -> None:
        save_checkpoint(trainer.state_dict(), self.output_dir)


class WriteMetrics:
    """Appends the record to ``metrics.jsonl`` and redraws ``curves.png`` from all records."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def after_epoch(self, trainer: Any, record: dict[str, Any]) -> None:
        records = append_metrics(self.output_dir / METRICS_NAME, record)
        plot_curves(records, self.output_dir / CURVES_NAME)


class DrawPredictions:
    """Saves the task's picture of predictions on a few validation images."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def after_epoch(self, trainer: Any, record: dict[str, Any]) -> None:
        trainer.task.draw_predictions(
            unwrap(trainer.model), trainer.val_dataset, self.output_dir / PREDICTIONS_NAME
        )
