import pickle
import random
import shutil

import numpy as np
import pytest
import torch

from vdata.utils import atomic_path
from vmodels import CheckpointError
from vrefs import cli
from vrefs.checkpoint import (
    load_checkpoint,
    remove_stale_temporaries,
    rng_state,
    save_checkpoint,
    set_rng_state,
    training_state,
)

from .conftest import read_records, tiny_args, train

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


class _RunsCodeWhenUnpickled:
    """A pickle payload that would create ``marker`` if its code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_malicious_pickle_is_refused_naming_the_file_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    torch.save({"model": _RunsCodeWhenUnpickled(marker)}, path)
    with pytest.raises(CheckpointError, match=rf"{path}.* holds objects other than tensors"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_file_is_reported_as_unreadable_naming_the_file(tmp_path, damage):
    path = tmp_path / "checkpoint.pth"
    torch.save({"model": {"w": torch.zeros(1000)}, "epoch": 1}, path)
    data = path.read_bytes()
    damaged = {
        "truncated": data[: len(data) // 2],
        "garbage": b"not a torch file" * 8,
        "empty": b"",
    }
    path.write_bytes(damaged[damage])
    with pytest.raises(CheckpointError, match=rf"{path} is not a readable torch file"):
        load_checkpoint(path)


def test_resume_from_a_bare_state_dict_says_to_use_weights(tmp_path):
    path = tmp_path / "weights.pth"
    torch.save({"conv.weight": torch.zeros(2, 2)}, path)
    expected = r"not a vrefs checkpoint: it holds a bare state dict; use --weights"
    with pytest.raises(CheckpointError, match=expected):
        training_state(path)


def test_resume_from_an_incomplete_checkpoint_names_what_it_lacks(tmp_path):
    path = tmp_path / "partial.pth"
    torch.save({"model": {}, "epoch": 3}, path)
    expected = r"partial\.pth is not a vrefs checkpoint: it lacks 'optimizer'"
    with pytest.raises(CheckpointError, match=expected):
        training_state(path)


def test_resume_error_reaches_the_command_line(capsys, tmp_path):
    path = tmp_path / "weights.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    status = cli.main(tiny_args("classification", tmp_path / "out", f"--resume={path}"))
    assert status == 2
    assert "holds a bare state dict; use --weights" in capsys.readouterr().err


def test_stale_temporaries_of_a_killed_write_are_removed_at_the_next_start(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale = [out / ".checkpoint.0123456789ab.tmp.pth", out / ".curves.a1b2c3d4e5f6.tmp.png"]
    for path in stale:
        path.write_bytes(b"torn")
    kept = [out / "notes.tmp.pth", out / ".checkpoint.xyz.tmp.pth", out / "checkpoint.pth.bak"]
    for path in kept:
        path.write_bytes(b"user file")
    train("classification", out)
    assert not any(path.exists() for path in stale)
    assert all(path.read_bytes() == b"user file" for path in kept)
    assert (out / "checkpoint.pth").is_file()


def test_remove_stale_temporaries_matches_atomic_path_names(tmp_path):
    with atomic_path(tmp_path / "checkpoint.pth") as temporary:
        survivor = tmp_path / ("copy-" + temporary.name)
        shutil.copy(temporary, tmp_path / temporary.name.replace("checkpoint", "metrics"))
        survivor.write_bytes(b"")
    removed = remove_stale_temporaries(tmp_path)
    assert [p.name.split(".")[1] for p in removed] == ["metrics"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["checkpoint.pth", survivor.name])
