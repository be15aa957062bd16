"""Augmentations drawn per sample from (seed, epoch, index): repeatable, independent of the
worker processes, and invisible to the caller's random generators."""

import random

import numpy as np
import torch
from torch.utils.data import DistributedSampler

from vrefs.checkpoint import load_checkpoint
from vrefs.sample_seeds import EpochKeyedBatches, EpochSeeded, seeded_generators

from .conftest import train


class RandomDraws:
    """A dataset whose sample is one draw from each global generator."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> tuple[float, float, float]:
        return torch.rand(()).item(), random.random(), float(np.random.rand())


def test_same_key_same_draws_other_keys_other_draws():
    dataset = EpochSeeded(RandomDraws(), seed=7)
    assert dataset[(0, 1)] == dataset[(0, 1)]
    draws = {dataset[key] for key in [(0, 1), (0, 2), (1, 1)]}
    assert len(draws) == 3
    assert EpochSeeded(RandomDraws(), seed=8)[(0, 1)] != dataset[(0, 1)]


def test_generators_of_the_caller_continue_as_if_untouched():
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    expected = RandomDraws()[0]
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    with seeded_generators(1, 2, 3):
        RandomDraws()[0]
    assert RandomDraws()[0] == expected


def test_batches_carry_the_epoch_the_sampler_was_set_to():
    sampler = DistributedSampler(range(4), num_replicas=1, rank=0, shuffle=False)
    batches = EpochKeyedBatches([[0, 1], [2, 3]], sampler)
    sampler.set_epoch(5)
    assert list(batches) == [[(5, 0), (5, 1)], [(5, 2), (5, 3)]]
    assert len(batches) == 2


def test_training_is_the_same_with_and_without_worker_processes(tmp_path):
    # Shapes training flips images at random: the flips must not depend on who loads them.
    options = ["--deterministic", "--epochs=2"]
    train("classification", tmp_path / "main", *options, "--workers=0")
    train("classification", tmp_path / "workers", *options, "--workers=2")
    expected = load_checkpoint(tmp_path / "main" / "checkpoint.pth")["model"]
    actual = load_checkpoint(tmp_path / "workers" / "checkpoint.pth")["model"]
    for name, tensor in expected.items():
        assert torch.equal(actual[name], tensor), name
