"""Weights entries (torchvision's Weights / WeightsEnum), the cache, integrity checks and
checkpoint loading, end to end on files and a local HTTP server the tests make."""

import hashlib
import http.server
import re
import threading
from functools import partial

import pytest
import torch
from torch import nn

from vmodels import CheckpointError, Weights, WeightsEnum, _weights
from vmodels._weights import load_checkpoint, load_weights, register_weights, resolve_weights
from vmodels.presets import ObjectDetection


@pytest.fixture(autouse=True)
def isolated_weights(monkeypatch, tmp_path):
    """A private cache directory and weights table for each test."""
    monkeypatch.setenv("VMODELS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(_weights, "_models", {})
    monkeypatch.setattr(_weights, "_owners", {})


def tiny_state_dict():
    torch.manual_seed(0)
    return nn.Linear(3, 2).state_dict()


def tiny_weights(urls: dict[str, str], default: str | None = None, sha256=None) -> type:
    """A WeightsEnum of the model "tiny" with one member per ``urls`` entry."""
    members = {
        name: Weights(url, ObjectDetection, {"categories": ["a", "b"]}, sha256)
        for name, url in urls.items()
    }
    members["DEFAULT"] = members[default or next(iter(urls))]
    enum = WeightsEnum("Tiny_Weights", members)
    register_weights("tiny", enum)
    return enum


def published(tmp_path, state_dict, sha256=None):
    """Save a checkpoint as a 'published' file and register weights pointing at it."""
    source = tmp_path / "published" / "tiny-v1.pth"
    source.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state_dict, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    enum = tiny_weights({"V1": source.as_uri()}, sha256=sha256 or digest)
    return enum.V1, digest


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


@pytest.mark.parametrize("spelling", ["V1", "DEFAULT", "Tiny_Weights.V1", "tiny.v1"])
def test_weights_are_named_as_in_torchvision_or_by_registry_name(tmp_path, spelling):
    member, _ = published(tmp_path, tiny_state_dict())
    assert resolve_weights("tiny", spelling, False) is member
    assert resolve_weights("tiny", member, False) is member


def test_get_state_dict_loads_the_checkpoint(tmp_path):
    state = tiny_state_dict()
    member, _ = published(tmp_path, state)
    assert_same_state(member.get_state_dict(progress=False), state)


def test_download_with_wrong_sha256_names_the_file_and_leaves_no_cache_entry(tmp_path):
    published(tmp_path, tiny_state_dict(), sha256="0" * 64)
    with pytest.raises(ValueError, match=r"sha256 is [0-9a-f]{64}, expected 0{64}"):
        load_weights("tiny", "tiny.v1")
    assert list((tmp_path / "home" / "checkpoints").iterdir()) == []


def test_corrupted_cached_file_is_checked_at_every_load_and_named(tmp_path):
    member, _ = published(tmp_path, tiny_state_dict())
    load_weights("tiny", member)
    cached = tmp_path / "home" / "checkpoints" / "tiny-v1.pth"
    cached.write_bytes(b"truncated")
    with pytest.raises(ValueError, match=rf"delete {re.escape(str(cached))} and download"):
        load_weights("tiny", member)


def test_the_digest_prefix_in_the_file_name_is_what_is_checked(tmp_path):
    state = tiny_state_dict()
    source = tmp_path / "tiny-v1.pth"
    torch.save(state, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    named = source.rename(tmp_path / f"tiny-{digest[:8]}.pth")
    wrong = tmp_path / "tiny-00000000.pth"
    wrong.write_bytes(named.read_bytes())
    enum = tiny_weights({"GOOD": named.as_uri(), "BAD": wrong.as_uri()})
    assert enum.GOOD.value.digest == digest[:8]
    assert_same_state(load_weights("tiny", enum.GOOD), state)
    with pytest.raises(ValueError, match="expected 00000000"):
        load_weights("tiny", enum.BAD)


def test_offline_download_error_names_the_url_and_where_to_put_the_file():
    tiny_weights({"V2": "http://127.0.0.1:9/tiny-v2.pth"}, sha256="0" * 64)
    with pytest.raises(
        RuntimeError, match=r"127\.0\.0\.1:9/tiny-v2\.pth.*put it at .*checkpoints/tiny-v2\.pth"
    ):
        load_weights("tiny", "V2")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def http_server(tmp_path):
    """A local HTTP server of ``tmp_path / "www"``; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
    thread.join()


def test_download_over_http_checks_the_digest_and_moves_the_file_into_place(http_server, tmp_path):
    base, root = http_server
    state = tiny_state_dict()
    torch.save(state, root / "tiny-v1.pth")
    digest = hashlib.sha256((root / "tiny-v1.pth").read_bytes()).hexdigest()
    tiny_weights({"V1": f"{base}/tiny-v1.pth"}, sha256=digest)
    assert_same_state(load_weights("tiny", "V1"), state)
    cached = tmp_path / "home" / "checkpoints" / "tiny-v1.pth"
    assert cached.read_bytes() == (root / "tiny-v1.pth").read_bytes()


def test_an_html_page_instead_of_a_checkpoint_is_reported(http_server):
    base, root = http_server
    (root / "tiny-v1.html").write_text("<html><body>moved</body></html>")
    tiny_weights({"V1": f"{base}/tiny-v1.html"}, sha256="0" * 64)
    with pytest.raises(RuntimeError, match="returned an HTML page instead of a checkpoint"):
        load_weights("tiny", "V1")


def test_a_missing_file_on_the_server_says_where_to_put_it(http_server):
    base, _ = http_server
    tiny_weights({"V1": f"{base}/gone-12345678.pth"})
    with pytest.raises(RuntimeError, match=r"404.*put it at .*gone-12345678\.pth"):
        load_weights("tiny", "V1")


def test_a_truncated_download_fails_the_digest_check(http_server):
    base, root = http_server
    torch.save(tiny_state_dict(), root / "tiny-v1.pth")
    digest = hashlib.sha256((root / "tiny-v1.pth").read_bytes()).hexdigest()
    (root / "tiny-v1.pth").write_bytes((root / "tiny-v1.pth").read_bytes()[:50])
    tiny_weights({"V1": f"{base}/tiny-v1.pth"}, sha256=digest)
    with pytest.raises(ValueError, match=r"does not match weights Tiny_Weights\.V1"):
        load_weights("tiny", "V1")


def test_pretrained_true_loads_the_first_entry(tmp_path):
    state = tiny_state_dict()
    published(tmp_path, state)
    assert_same_state(load_weights("tiny", None, pretrained=True), state)


def test_pretrained_true_without_published_weights_is_an_error():
    with pytest.raises(ValueError, match="tiny has no published weights"):
        load_weights("tiny", None, pretrained=True)


def test_pretrained_true_beside_weights_is_an_error(tmp_path):
    published(tmp_path, tiny_state_dict())
    with pytest.raises(ValueError, match="pass weights= or pretrained=True, not both"):
        load_weights("tiny", "V1", pretrained=True)


def test_no_weights_means_random_initialisation():
    assert load_weights("tiny", None) is None


def test_weights_of_another_model_are_refused(tmp_path):
    member, _ = published(tmp_path, tiny_state_dict())
    with pytest.raises(ValueError, match="belong to tiny, not other"):
        load_weights("other", member)


def test_unknown_weights_name_lists_the_members_and_registered_names(tmp_path):
    published(tmp_path, tiny_state_dict())
    with pytest.raises(ValueError, match=r"one of \['V1', 'DEFAULT', 'tiny\.v1'\]"):
        load_weights("tiny", "V9")


def test_verify_accepts_members_and_their_names_and_refuses_others(tmp_path):
    member, _ = published(tmp_path, tiny_state_dict())
    enum = type(member)
    assert enum.verify("DEFAULT") is member and enum.verify("Tiny_Weights.V1") is member
    assert enum.verify(None) is None
    with pytest.raises(ValueError, match=r"'V3' is not a member of Tiny_Weights"):
        enum.verify("V3")
    with pytest.raises(TypeError, match="must be a Tiny_Weights member"):
        enum.verify(3)


def test_registering_another_enum_for_a_model_is_an_error():
    tiny_weights({"V1": "http://x/a-00000000.pth"})
    other = WeightsEnum(
        "Other_Weights", {"V1": Weights("http://x/b-00000000.pth", ObjectDetection)}
    )
    with pytest.raises(ValueError, match="already has weights Tiny_Weights"):
        register_weights("tiny", other)
