"""Tiny runs of vrefs-train for the tests: Shapes at 32 pixels, a few images, one epoch."""

import argparse
import json
from pathlib import Path

import pytest
import torch

from vrefs import cli, engine

TINY = {
    "classification": ["--model", "resnet18"],
    "segmentation": ["--model", "fpn_resnet18"],
}


def tiny_args(task: str, output_dir: Path, *extra: str) -> list[str]:
    """Command-line arguments of a one-epoch run of ``task`` on 16 Shapes images of 32 px."""
    return [
        task,
        *TINY[task],
        "--image-size=32",
        "--num-images=16",
        "--batch-size=8",
        "--epochs=1",
        "--workers=0",
        "--print-freq=1",
        "--device=cpu",
        f"--output-dir={output_dir}",
        *extra,
    ]


def train(task: str, output_dir: Path, *extra: str) -> list[dict]:
    """Run the engine in this process; returns the epoch records."""
    args, task_object = cli.parse_args(tiny_args(task, output_dir, *extra))
    return engine.run(task_object, args)


def detection_args(**overrides) -> argparse.Namespace:
    """The detection task's arguments for Shapes at 64 px, 8 training images."""
    defaults = {
        "model": "maskrcnn_resnet18_fpn",
        "dataset": "shapes",
        "data_path": None,
        "image_size": 64,
        "num_images": 8,
        "batch_size": 2,
        "aspect_ratio_group_factor": 3,
    }
    return argparse.Namespace(**{**defaults, **overrides})


def read_records(output_dir: Path) -> list[dict]:
    lines = (output_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(autouse=True)
def _restore_global_torch_state():
    """--deterministic switches torch's global flags; put them back for the other tests."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    yield
    torch.use_deterministic_algorithms(deterministic)
    torch.set_num_threads(threads)
