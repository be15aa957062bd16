"""Weights entries, the cache, integrity checks and checkpoint loading."""

import hashlib
import re

import pytest
import torch
from torch import nn

from vmodels import CheckpointError, _weights
from vmodels._weights import Weights, load_checkpoint, load_weights, register_weights


@pytest.fixture(autouse=True)
def isolated_weights(monkeypatch, tmp_path):
    """A private cache directory and weights table for each test."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(_weights, "_registered", {})
    monkeypatch.setattr(_weights, "_defaults", {})


def tiny_state_dict():
    torch.manual_seed(0)
    return nn.Linear(3, 2).state_dict()


def published(tmp_path, state_dict, name="tiny.v1", sha256=None, default=False):
    """Save a checkpoint as a 'published' file and register weights pointing at it."""
    source = tmp_path / "published" / "tiny-v1.pth"
    source.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    weights = Weights(name, source.as_uri(), sha256 or digest, ("a", "b"))
    register_weights(weights, default=default)
    return weights, digest


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key])


def test_local_checkpoint_file_round_trips(tmp_path):
    state = tiny_state_dict()
    path = tmp_path / "model.pth"
    torch.save(state, path)
    assert_same_state(load_weights("tiny", str(path)), state)


@pytest.mark.parametrize("wrapper", ["model", "state_dict"])
def test_wrapped_checkpoints_are_unwrapped(tmp_path, wrapper):
    state = tiny_state_dict()
    path = tmp_path / "model.pth"
    torch.save({wrapper: state, "epoch": 3}, path)
    assert_same_state(load_checkpoint(path), state)


def test_checkpoint_with_arbitrary_objects_is_refused(tmp_path):
    path = tmp_path / "model.pth"
    torch.save({"net": nn.Linear(2, 2)}, path)  # a pickled module, not plain tensors
    with pytest.raises(CheckpointError, match=rf"{path} was not loaded: it holds objects other"):
        load_checkpoint(path)


def test_legacy_pickle_checkpoints_still_load(tmp_path):
    # The format of torch.save before torch 1.6, in which many published weights were written.
    state = tiny_state_dict()
    path = tmp_path / "model-legacy.pth"
    torch.save(state, path, _use_new_zipfile_serialization=False)
    assert_same_state(load_checkpoint(path), state)


def test_truncated_checkpoint_is_reported_naming_the_file(tmp_path):
    path = tmp_path / "model.pth"
    torch.save(tiny_state_dict(), path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=rf"{path} is not a readable torch file"):
        load_checkpoint(path)


def test_registered_weights_download_into_the_cache_and_verify(tmp_path):
    state = tiny_state_dict()
    published(tmp_path, state)
    assert_same_state(load_weights("tiny", "tiny.v1"), state)
    cached = tmp_path / "home" / "checkpoints" / "tiny-v1.pth"
    assert cached.is_file()
    assert list(cached.parent.iterdir()) == [cached]  # no temporary file left behind


def test_download_with_wrong_sha256_names_the_file_and_leaves_no_cache_entry(tmp_path):
    published(tmp_path, tiny_state_dict(), sha256="0" * 64)
    with pytest.raises(ValueError, match=r"sha256 is [0-9a-f]{64}, expected 0{64}"):
        load_weights("tiny", "tiny.v1")
    assert list((tmp_path / "home" / "checkpoints").iterdir()) == []


def test_corrupted_cached_file_is_reported_with_its_path(tmp_path):
    weights, _ = published(tmp_path, tiny_state_dict())
    load_weights("tiny", "tiny.v1")
    cached = tmp_path / "home" / "checkpoints" / "tiny-v1.pth"
    cached.write_bytes(b"truncated")
    with pytest.raises(ValueError, match=re.escape(str(cached))):
        load_weights("tiny", weights)


def test_digest_prefix_entries_verify_the_prefix(tmp_path):
    state = tiny_state_dict()
    weights, digest = published(tmp_path, state, name="tiny.prefix")
    _weights._registered["tiny.prefix"] = Weights("tiny.prefix", weights.url, digest[:8], ("a",))
    assert_same_state(load_weights("tiny", "tiny.prefix"), state)


def test_offline_download_error_says_where_to_put_the_file():
    register_weights(Weights("tiny.v2", "http://127.0.0.1:9/tiny-v2.pth", "0" * 64, ("a",)))
    with pytest.raises(RuntimeError, match=r"put it at .*checkpoints/tiny-v2\.pth"):
        load_weights("tiny", "tiny.v2")


def test_pretrained_true_loads_the_default_weights(tmp_path):
    state = tiny_state_dict()
    published(tmp_path, state, default=True)
    assert_same_state(load_weights("tiny", None, pretrained=True), state)


def test_pretrained_true_without_default_weights_is_an_error():
    with pytest.raises(ValueError, match="no default pretrained weights"):
        load_weights("tiny", None, pretrained=True)


def test_no_weights_means_random_initialisation():
    assert load_weights("tiny", None) is None


def test_weights_of_another_model_are_refused(tmp_path):
    published(tmp_path, tiny_state_dict())
    with pytest.raises(ValueError, match="belong to tiny, not other"):
        load_weights("other", "tiny.v1")


def test_unknown_weights_name_lists_the_registered_ones(tmp_path):
    published(tmp_path, tiny_state_dict())
    with pytest.raises(ValueError, match=r"tiny\.v1"):
        load_weights("tiny", "tiny.v9")


def test_registering_different_weights_under_a_taken_name_is_an_error():
    register_weights(Weights("tiny.v1", "http://x/a.pth", "0" * 64, ("a",)))
    with pytest.raises(ValueError, match="already registered"):
        register_weights(Weights("tiny.v1", "http://x/b.pth", "0" * 64, ("a",)))
