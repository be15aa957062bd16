"""Results on disk: one JSON line per epoch in ``metrics.jsonl`` and a PNG of its curves."""

import json
import math
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from vdata.utils import atomic_path

METRICS_NAME = "metrics.jsonl"
CURVES_NAME = "curves.png"


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl`` file (none if it does not exist)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def append_metrics(path: Path, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Add ``record`` to the JSON-lines file at ``path``, rewriting it atomically, and return
    all its records. A record of an epoch already there (a resumed run) replaces it."""
    records = [r for r in read_metrics(path) if r.get("epoch") != record.get("epoch")]
    records = sorted([*records, record], key=lambda r: r.get("epoch", 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        temporary.write_text("".join(json.dumps(r) + "\n" for r in records))
    return records


def _series(records: list[dict[str, Any]], prefix: str) -> dict[str, tuple[list, list]]:
    series: dict[str, tuple[list, list]] = {}
    for record in records:
        for key, value in record.items():
            # Per-class scores would crowd the plot; the summary metrics tell the story.
            if not key.startswith(prefix) or "iou_" in key or not isinstance(value, float):
                continue
            if math.isfinite(value):
                epochs, values = series.setdefault(key.removeprefix(prefix), ([], []))
                epochs.append(record["epoch"])
                values.append(value)
    return series


def plot_curves(records: list[dict[str, Any]], path: Path) -> Path:
    """Save a PNG with the training losses (left) and the validation metrics (right) of
    ``records`` against the epoch, written atomically."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    panels = (("train_", "training loss", "log"), ("val_", "validation metrics", "linear"))
    for axes, (prefix, title, scale) in zip(figure.subplots(1, 2), panels, strict=True):
        series = _series(records, prefix)
        for name, (epochs, values) in sorted(series.items()):
            axes.plot(epochs, values, marker="o", markersize=3, label=name)
        axes.set(title=title, xlabel="epoch")
        if series:
            axes.set_yscale(
                scale if all(v > 0 for _, vs in series.values() for v in vs) else "linear"
            )
            axes.legend(fontsize="small")
        axes.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return path
