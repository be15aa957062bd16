import os
import subprocess
import sys

import torch

from vrefs.checkpoint import load_checkpoint
from vrefs.data import ShardSampler

from .conftest import read_records, tiny_args


def test_two_processes_with_gloo_train_one_epoch(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--standalone",
        "-m",
        "vrefs",
        *tiny_args("classification", tmp_path, "--deterministic"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    state = load_checkpoint(tmp_path / "checkpoint.pth")
    assert state["epoch"] == 1
    assert len(state["rng"]) == 2  # one random state per process
    assert all(torch.isfinite(t).all() for t in state["model"].values() if t.is_floating_point())
    [record] = read_records(tmp_path)
    assert 0 <= record["val_top1"] <= 1
    # 16 training images, 8 per step on each of 2 processes: one step, printed once (rank 0).
    assert done.stdout.count("epoch 1/1 [1/1]") == 1
    assert done.stdout.count('"val_top1"') == 1


def test_shards_cover_every_sample_once():
    shards = [list(ShardSampler(7, rank, 3)) for rank in range(3)]
    assert shards == [[0, 3, 6], [1, 4], [2, 5]]
    assert sorted(i for shard in shards for i in shard) == list(range(7))
