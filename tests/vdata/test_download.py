"""Downloads from a local HTTP server (mirrors, resume, checksums, HTML pages) and safe extraction
of hand-built malicious archives."""

import hashlib
import io
import math
import socket
import tarfile
import zipfile

import pytest

from vdata.datasets import DownloadError, RemoteFile, download, extract_archive

PAYLOAD = bytes(range(256)) * 40  # 10 KiB, not valid UTF-8, no HTML
MD5 = hashlib.md5(PAYLOAD).hexdigest()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
HTML_PAGE = b"<!DOCTYPE html>\n<html><body>Quota exceeded</body></html>"


def remote(server, *paths, md5=MD5, sha256=None):
    return RemoteFile("data.bin", tuple(server.url + p for p in paths), md5=md5, sha256=sha256)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/data.bin"


# --- downloading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "checksums", [{"md5": MD5}, {"sha256": SHA256}, {"md5": MD5, "sha256": SHA256}]
)
def test_download_verifies_and_renames_into_place(tmp_path, http_server, route, checksums):
    http_server.routes["/a"] = route(PAYLOAD)
    path = download(RemoteFile("data.bin", (http_server.url + "/a",), **checksums), tmp_path)
    assert path == tmp_path / "data.bin"
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def test_download_rejects_checksum_mismatch_and_keeps_nothing(tmp_path, http_server, route):
    http_server.routes["/a"] = route(PAYLOAD[:-1] + b"x")
    with pytest.raises(DownloadError) as info:
        download(remote(http_server, "/a"), tmp_path)
    message = str(info.value)
    assert f"{http_server.url}/a: md5 mismatch: expected {MD5}" in message
    assert f"place it at {tmp_path / 'data.bin'} (md5 {MD5})" in message
    assert list(tmp_path.iterdir()) == []


def test_download_checks_sha256_too_when_both_are_given(tmp_path, http_server, route):
    http_server.routes["/a"] = route(PAYLOAD)
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        download(remote(http_server, "/a", sha256="0" * 64), tmp_path)


def test_download_resumes_a_partial_file_with_a_range_request(tmp_path, http_server, route):
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:3000])
    http_server.routes["/a"] = route(PAYLOAD)
    assert download(remote(http_server, "/a"), tmp_path).read_bytes() == PAYLOAD
    assert http_server.requests == [("/a", "bytes=3000-")]


def test_download_resumes_after_a_dropped_connection(tmp_path, http_server, route):
    http_server.routes["/a"] = route(PAYLOAD, cut_after=4096)
    with pytest.raises(DownloadError, match="interrupted"):
        download(remote(http_server, "/a"), tmp_path)
    assert (tmp_path / "data.bin.part").read_bytes() == PAYLOAD[:4096]

    http_server.routes["/a"] = route(PAYLOAD)
    assert download(remote(http_server, "/a"), tmp_path).read_bytes() == PAYLOAD
    assert http_server.requests[-1] == ("/a", "bytes=4096-")


def test_download_restarts_when_the_server_ignores_range(tmp_path, http_server, route):
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:3000])
    http_server.routes["/a"] = route(PAYLOAD, honour_range=False)
    assert download(remote(http_server, "/a"), tmp_path).read_bytes() == PAYLOAD
    assert len(http_server.requests) == 1


def test_download_restarts_once_when_a_resumed_file_is_corrupt(tmp_path, http_server, route):
    (tmp_path / "data.bin.part").write_bytes(b"\0" * 3000)  # left over from another file
    http_server.routes["/a"] = route(PAYLOAD)
    assert download(remote(http_server, "/a"), tmp_path).read_bytes() == PAYLOAD
    assert http_server.requests == [("/a", "bytes=3000-"), ("/a", None)]


def test_download_treats_a_complete_partial_file_as_done(tmp_path, http_server, route):
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD)
    http_server.routes["/a"] = route(PAYLOAD)  # answers 416 to a range past the end
    assert download(remote(http_server, "/a"), tmp_path).read_bytes() == PAYLOAD


@pytest.mark.parametrize(
    "page",
    [
        {"body": b"<html><body>sign in</body></html>", "content_type": "text/html"},
        {"body": b"\n  " + HTML_PAGE, "content_type": "application/octet-stream"},
    ],
    ids=["content-type", "first-bytes"],
)
def test_download_reports_an_html_page_by_url(tmp_path, http_server, route, page):
    http_server.routes["/quota"] = route(**page)
    with pytest.raises(DownloadError) as info:
        download(remote(http_server, "/quota"), tmp_path)
    assert f"{http_server.url}/quota: served an HTML page" in str(info.value)
    assert not (tmp_path / "data.bin").exists()


def test_download_falls_back_through_mirrors_in_order(tmp_path, http_server, route):
    http_server.routes["/html"] = route(HTML_PAGE, content_type="text/html")
    http_server.routes["/bad"] = route(b"wrong bytes")
    http_server.routes["/good"] = route(PAYLOAD)
    file = remote(http_server, "/missing", "/html", "/bad", "/good", "/never")
    assert download(file, tmp_path).read_bytes() == PAYLOAD
    assert [path for path, _ in http_server.requests] == ["/missing", "/html", "/bad", "/good"]


def test_download_error_lists_every_mirror_and_where_to_put_the_file(tmp_path, http_server):
    offline = closed_port_url()
    file = RemoteFile("data.bin", (offline, http_server.url + "/gone"), md5=MD5)
    with pytest.raises(DownloadError) as info:
        download(file, tmp_path)
    message = str(info.value)
    assert f"{offline}: unreachable" in message
    assert f"{http_server.url}/gone: HTTP 404" in message
    assert f"place it at {tmp_path / 'data.bin'} (md5 {MD5})" in message


def test_download_without_checksum_says_so(tmp_path):
    with pytest.raises(DownloadError, match=r"\(no published checksum\)"):
        download(RemoteFile("data.bin", (closed_port_url(),)), tmp_path)


def test_download_keeps_a_verified_file_without_any_request(tmp_path, http_server):
    (tmp_path / "data.bin").write_bytes(PAYLOAD)
    assert download(remote(http_server, "/a"), tmp_path).read_bytes() == PAYLOAD
    assert http_server.requests == []


def test_download_refuses_to_overwrite_a_placed_file_that_does_not_match(tmp_path, http_server):
    (tmp_path / "data.bin").write_bytes(b"someone's file")
    with pytest.raises(DownloadError, match=r"data\.bin exists but does not match \(md5"):
        download(remote(http_server, "/a"), tmp_path)
    assert (tmp_path / "data.bin").read_bytes() == b"someone's file"


# --- extracting ----------------------------------------------------------------------------


def make_tar(path, members, mode="w"):
    """``members``: (name, bytes) for files, (name, "->target") for symlinks, (name, "=>target")
    for hard links."""
    with tarfile.open(path, mode) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if isinstance(content, str) and content.startswith("->"):
                info.type, info.linkname = tarfile.SYMTYPE, content[2:]
                tar.addfile(info)
            elif isinstance(content, str) and content.startswith("=>"):
                info.type, info.linkname = tarfile.LNKTYPE, content[2:]
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return path


def make_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            zf.writestr(info, content)
    return path


def test_extract_tar_gz_with_folders_and_an_inner_symlink(tmp_path):
    archive = make_tar(
        tmp_path / "good.tar.gz",
        [("top/a.txt", b"A"), ("top/sub/b.txt", b"B"), ("top/sub/link", "->../a.txt")],
        mode="w:gz",
    )
    extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out/top/a.txt").read_bytes() == b"A"
    assert (tmp_path / "out/top/sub/b.txt").read_bytes() == b"B"
    assert (tmp_path / "out/top/sub/link").read_bytes() == b"A"


def test_extract_zip(tmp_path):
    archive = make_zip(tmp_path / "good.zip", [("top/a.txt", b"A"), ("top/sub/b.txt", b"B")])
    extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out/top/sub/b.txt").read_bytes() == b"B"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("ok.txt", b"x"), ("../evil", b"x")], "member '../evil' leaves"),
        ([("a/../../evil", b"x")], "member 'a/../../evil' leaves"),
        ([("/tmp/abs_evil", b"x")], "member '/tmp/abs_evil' leaves"),
        ([("link", "->../../outside")], "link 'link' pointing to '../../outside' leaves"),
        ([("d/link", "->/etc/passwd")], "link 'd/link' pointing to '/etc/passwd' leaves"),
        ([("hard", "=>../outside")], "link 'hard' pointing to '../outside' leaves"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "absolute-symlink", "hardlink"],
)
def test_extract_rejects_tar_members_leaving_the_folder(tmp_path, members, message):
    archive = make_tar(tmp_path / "evil.tar", members)
    out = tmp_path / "deep" / "out"
    with pytest.raises(ValueError, match=message):
        extract_archive(archive, out)
    assert list(out.iterdir()) == []  # checked before anything is written
    assert not (tmp_path / "deep" / "evil").exists()


@pytest.mark.parametrize("name", ["../evil", "/abs_evil", "a/../../evil", "C:/evil"])
def test_extract_rejects_zip_members_leaving_the_folder(tmp_path, name):
    archive = make_zip(tmp_path / "evil.zip", [("ok.txt", b"x"), (name, b"x")])
    with pytest.raises(ValueError, match="leaves the extraction folder"):
        extract_archive(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_extract_rejects_a_file_that_is_no_archive(tmp_path):
    (tmp_path / "x.tar").write_bytes(PAYLOAD)
    with pytest.raises(ValueError, match=r"x\.tar is neither a tar nor a zip archive"):
        extract_archive(tmp_path / "x.tar", tmp_path / "out")


# --- extraction limits (archive bombs) -----------------------------------------------------

ZEROS = bytes(4 << 20)  # 4 MiB that compress about 1000-fold


def make_archive(path, members):
    """A deflated zip or a gzipped tar, after ``path``'s suffix."""
    if path.suffix == ".zip":
        return make_zip(path, members, compression=zipfile.ZIP_DEFLATED)
    return make_tar(path, members, mode="w:gz")


@pytest.fixture(params=["bomb.zip", "bomb.tar.gz"])
def bomb(request, tmp_path):
    return make_archive(tmp_path / request.param, [("ok.txt", b"x"), ("zeros.bin", ZEROS)])


def test_extract_refuses_an_archive_bomb_over_the_ratio_limit(tmp_path, bomb):
    out = tmp_path / "out"
    with pytest.raises(
        ValueError,
        match=f"refusing to extract {bomb}: its members hold at least 4194305 "
        r"bytes, \d+ times its size, over the limit of 100 \(max_ratio",
    ):
        extract_archive(bomb, out)
    assert list(out.iterdir()) == []  # checked before anything is written


def test_extract_refuses_an_archive_over_the_size_limit(tmp_path, bomb):
    out = tmp_path / "out"
    with pytest.raises(
        ValueError,
        match=f"refusing to extract {bomb}: its members hold at least 4194305 "
        r"bytes, over the limit of 1000000 bytes \(max_size",
    ):
        extract_archive(bomb, out, max_size=1_000_000, max_ratio=math.inf)
    assert list(out.iterdir()) == []


def test_extract_limits_can_be_lifted_by_argument(tmp_path, bomb):
    extract_archive(bomb, tmp_path / "out", max_ratio=math.inf)
    assert (tmp_path / "out" / "zeros.bin").read_bytes() == ZEROS


def test_extract_limits_come_from_the_environment_and_arguments_win(tmp_path, bomb, monkeypatch):
    monkeypatch.setenv("VDATA_EXTRACT_MAX_RATIO", "inf")
    extract_archive(bomb, tmp_path / "out")
    assert (tmp_path / "out" / "zeros.bin").stat().st_size == len(ZEROS)
    monkeypatch.setenv("VDATA_EXTRACT_MAX_SIZE", "1000")
    with pytest.raises(ValueError, match=r"over the limit of 1000 bytes \(max_size"):
        extract_archive(bomb, tmp_path / "again")
    extract_archive(bomb, tmp_path / "again", max_size=len(ZEROS) + 1)


@pytest.mark.parametrize(
    ("environment", "kwargs", "message"),
    [
        ({"VDATA_EXTRACT_MAX_RATIO": "lots"}, {}, "VDATA_EXTRACT_MAX_RATIO must be a positive"),
        ({"VDATA_EXTRACT_MAX_SIZE": "-1"}, {}, "VDATA_EXTRACT_MAX_SIZE must be a positive"),
        ({}, {"max_ratio": 0}, "max_ratio must be a positive number, got 0"),
        ({}, {"max_size": "1"}, "max_size must be a positive number, got '1'"),
    ],
    ids=["env-ratio", "env-size", "arg-ratio", "arg-size"],
)
def test_extract_names_an_invalid_limit(tmp_path, bomb, monkeypatch, environment, kwargs, message):
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        extract_archive(bomb, tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["small.zip", "small.tar.gz"])
def test_extract_does_not_hold_small_archives_to_the_ratio(tmp_path, name):
    archive = make_archive(tmp_path / name, [("zeros.bin", bytes(512 << 10))])  # ratio ~500
    extract_archive(archive, tmp_path / "out")
    assert (tmp_path / "out" / "zeros.bin").stat().st_size == 512 << 10


def test_extract_refuses_a_tar_bomb_from_its_first_headers(tmp_path):
    # Cut short after the first members: refused from the headers read so far, without
    # inflating the rest (which would fail here, on the cut).
    archive = make_tar(tmp_path / "bomb.tar.gz", [("a.bin", ZEROS), ("b.bin", ZEROS)], "w:gz")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(ValueError, match="its members hold at least 4194304 bytes"):
        extract_archive(archive, tmp_path / "out")
