import pickle
import random

import numpy as np
import pytest
import torch

from vrefs.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state

from .conftest import read_records, train

RESUMABLE = ["--deterministic", "--lr-schedule=multistep-with-warmup", "--lr-steps", "1"]


def _without_times(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("time_")}


# The straight run's worker process lives through both epochs, the resumed run starts its own.
@pytest.mark.parametrize(("opt", "workers"), [("sgd", 0), ("adamw", 1)])
def test_resume_continues_bit_for_bit(tmp_path, opt, workers):
    task = "classification"
    # Warmup across the epoch boundary: the scheduler's state must carry over too.
    extra = [*RESUMABLE, "--warmup-iters=3", f"--opt={opt}", f"--workers={workers}"]
    straight, split = tmp_path / "straight", tmp_path / "split"
    train(task, straight, *extra, "--epochs=2")
    train(task, split, *extra, "--epochs=1")
    train(task, split, *extra, "--epochs=2", f"--resume={split / 'checkpoint.pth'}")

    expected = load_checkpoint(straight / "checkpoint.pth")
    actual = load_checkpoint(split / "checkpoint.pth")
    assert actual["epoch"] == expected["epoch"] == 2
    assert actual["model"].keys() == expected["model"].keys()
    for name, tensor in expected["model"].items():
        assert torch.equal(actual["model"][name], tensor), name
    assert [_without_times(r) for r in read_records(split)] == [
        _without_times(r) for r in read_records(straight)
    ]


def test_random_states_round_trip():
    saved = rng_state()
    expected = (random.random(), np.random.rand(), torch.rand(1))
    set_rng_state(saved)
    assert (random.random(), np.random.rand()) == expected[:2]
    assert torch.equal(torch.rand(1), expected[2])


def test_failed_write_keeps_the_previous_checkpoint(tmp_path):
    save_checkpoint({"epoch": 1}, tmp_path)
    with pytest.raises((AttributeError, pickle.PicklingError)):  # by where the lambda lives
        save_checkpoint({"epoch": 2, "bad": lambda: None}, tmp_path)  # cannot be pickled
    assert load_checkpoint(tmp_path / "checkpoint.pth") == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pth"]


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.pth does not exist"):
        load_checkpoint(tmp_path / "nothing.pth")
