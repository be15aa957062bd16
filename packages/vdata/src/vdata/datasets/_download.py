"""Downloading dataset files from mirrors with resume and checksums, and extracting archives.

A file is fetched into ``<name>.part`` (resumed with an HTTP Range request when a partial file
is there), checked against its checksum and only then renamed to its final name, so a file
under its final name is always complete. Mirrors are tried in order; when all fail the error
says where to put the file by hand and what checksum it must have.
"""

from __future__ import annotations

import hashlib
import http.client
import math
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".zip")
# Above ImageNet's 138 GiB training archive, the largest a dataset here extracts.
DEFAULT_MAX_EXTRACT_SIZE = 1 << 40
# Image and annotation archives expand less than 10-fold; archive bombs 1000-fold and more.
DEFAULT_MAX_EXTRACT_RATIO = 100.0
# What an archive may expand to whatever its ratio: small, compressible files are harmless.
_RATIO_EXEMPT_SIZE = 1 << 20
_MAX_SIZE_VARIABLE = "VDATA_EXTRACT_MAX_SIZE"
_MAX_RATIO_VARIABLE = "VDATA_EXTRACT_MAX_RATIO"


@dataclass(frozen=True)
class RemoteFile:
    """A file a dataset needs, where to get it, and how to recognise it.

    Args:
        filename: the name it is stored under.
        urls: mirrors, tried in order.
        md5: expected hex MD5, if known.
        sha256: expected hex SHA-256, if known (checked as well when both are given).
    """

    filename: str
    urls: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None

    def describe_checksum(self) -> str:
        pairs = (("md5", self.md5), ("sha256", self.sha256))
        return ", ".join(f"{kind} {value}" for kind, value in pairs if value) or (
            "no published checksum"
        )


class DownloadError(RuntimeError):
    """Every mirror of a file failed; the message lists why, and where to place it by hand."""


class _MirrorError(Exception):
    pass


def checksum_mismatch(path: Path, file: RemoteFile) -> str | None:
    """Why ``path`` does not match ``file``'s checksums, or None when it does (or none is known)."""
    hashes = {kind: hashlib.new(kind) for kind in ("md5", "sha256") if getattr(file, kind)}
    if not hashes:
        return None
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            for h in hashes.values():
                h.update(chunk)
    for kind, h in hashes.items():
        expected = getattr(file, kind).lower()
        if h.hexdigest() != expected:
            return f"{kind} mismatch: expected {expected}, got {h.hexdigest()}"
    return None


def download(file: RemoteFile, directory: str | os.PathLike, timeout: float = 60.0) -> Path:
    """Make sure ``directory / file.filename`` exists and matches its checksum; return its path.

    A file already there with the right checksum is kept. Otherwise each mirror is tried in
    turn: the bytes go to a ``.part`` file (a partial one left by an earlier attempt is resumed
    with an HTTP Range request), an HTML page served instead of the file is rejected, the
    checksum is verified and the file is renamed into place.

    Raises:
        DownloadError: when no mirror delivers the file; the message names each URL with its
            failure, and the path and checksum of the file to place there by hand.
    """
    directory = Path(directory)
    target = directory / file.filename
    if target.is_file():
        # Downloads are renamed into place only once verified, so a bad file here was put
        # there by hand: report it rather than delete someone's data.
        mismatch = checksum_mismatch(target, file)
        if mismatch:
            raise DownloadError(f"{target} exists but does not match ({mismatch}); remove it")
        return target
    directory.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    failures = []
    for url in file.urls:
        try:
            _download_from(url, part, file, timeout)
        except _MirrorError as err:
            failures.append(f"  {url}: {err}")
            continue
        os.replace(part, target)
        return target
    tried = "\n".join(failures) or "  (no mirror is known)"
    raise DownloadError(
        f"could not download {file.filename}:\n{tried}\n"
        f"Download it by other means and place it at {target} ({file.describe_checksum()})."
    )


def _download_from(url: str, part: Path, file: RemoteFile, timeout: float) -> None:
    resumed = part.is_file() and part.stat().st_size > 0
    _fetch(url, part, timeout)
    mismatch = checksum_mismatch(part, file)
    if mismatch and resumed:
        # The partial file may come from a different or changed file: start over once.
        part.unlink()
        _fetch(url, part, timeout)
        mismatch = checksum_mismatch(part, file)
    if mismatch:
        part.unlink()
        raise _MirrorError(mismatch)


def _fetch(url: str, part: Path, timeout: float) -> None:
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"User-Agent": "vdata"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        request = urllib.request.Request(url, headers=headers)
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:
            return  # nothing left to send: the partial file is complete, the checksum decides
        raise _MirrorError(f"HTTP {err.code} {err.reason}") from err
    except (urllib.error.URLError, OSError) as err:
        raise _MirrorError(f"unreachable ({getattr(err, 'reason', err)})") from err
    with response:
        append = offset > 0 and response.status == 206
        if append and not response.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
            raise _MirrorError(f"answered Range bytes={offset}- with the wrong part")
        expected = _expected_size(response, append)
        try:
            first = response.read(_CHUNK)
            if response.headers.get_content_type() == "text/html" or (
                not append and _looks_like_html(first)
            ):
                raise _MirrorError(
                    "served an HTML page instead of the file (quota exceeded, login or moved page?)"
                )
            with part.open("ab" if append else "wb") as out:
                out.write(first)
                shutil.copyfileobj(response, out, _CHUNK)
        except (OSError, http.client.HTTPException) as err:
            # The connection dropped: what arrived stays in the partial file for a resume.
            raise _MirrorError(f"transfer interrupted ({err})") from err
    # http.client returns a short body without complaint when the server closes early.
    if expected is not None and part.stat().st_size < expected:
        raise _MirrorError(f"transfer interrupted after {part.stat().st_size} of {expected} bytes")


def _expected_size(response: http.client.HTTPResponse, append: bool) -> int | None:
    """The size the file will have once this response is read, when the headers say."""
    if append:
        total = response.headers.get("Content-Range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


def _looks_like_html(head: bytes) -> bool:
    start = head[:512].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


def is_archive(path: str | os.PathLike) -> bool:
    return os.fspath(path).lower().endswith(_ARCHIVE_SUFFIXES)


def extract_archive(
    archive: str | os.PathLike,
    destination: str | os.PathLike,
    max_size: float | None = None,
    max_ratio: float | None = None,
) -> None:
    """Extract a tar (plain, gzip, bzip2, xz) or zip archive into ``destination``.

    Every member is checked before anything is written: absolute names, ``..`` components and
    links pointing outside ``destination`` are refused with ValueError naming the archive and
    the member. Tar archives are then extracted with tarfile's ``"data"`` filter, which also
    refuses device files and strips unsafe permission bits.

    Against archive bombs the sizes the archive declares for its members (which bound what
    zipfile and tarfile write) are added up first: the total may be at most ``max_size``
    bytes, and at most ``max_ratio`` times the archive's own size once it is over 1 MiB. A
    compressed tar is refused as soon as its headers pass a limit, before it is inflated
    further.

    Args:
        archive: the archive file.
        destination: the folder to extract into (created if missing).
        max_size: the most bytes the members may hold. Default: the environment variable
            ``VDATA_EXTRACT_MAX_SIZE``, else :data:`DEFAULT_MAX_EXTRACT_SIZE` (1 TiB).
            ``math.inf`` lifts the limit.
        max_ratio: the most the members may expand the archive's size. Default:
            ``VDATA_EXTRACT_MAX_RATIO``, else :data:`DEFAULT_MAX_EXTRACT_RATIO` (100).
            ``math.inf`` (or ``inf`` in the variable) lifts the limit.

    Raises:
        ValueError: an unsafe member, an archive over a limit (naming its size, ratio and the
            limit), a limit that is not a positive number, or a file that is no archive.
    """
    archive, destination = Path(archive), Path(destination)
    max_size = _limit(max_size, "max_size", _MAX_SIZE_VARIABLE, DEFAULT_MAX_EXTRACT_SIZE)
    max_ratio = _limit(max_ratio, "max_ratio", _MAX_RATIO_VARIABLE, DEFAULT_MAX_EXTRACT_RATIO)
    destination.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                _check_member_name(name, archive)
            total = sum(info.file_size for info in zf.infolist())
            _check_extracted_size(archive, total, max_size, max_ratio)
            zf.extractall(destination)
        return
    if not tarfile.is_tarfile(archive):
        raise ValueError(f"{archive} is neither a tar nor a zip archive")
    with tarfile.open(archive) as tar:
        total = 0
        # Header by header, so that a compressed bomb is refused without inflating all of it.
        for member in tar:
            total += member.size
            _check_extracted_size(archive, total, max_size, max_ratio)
            _check_member_name(member.name, archive)
            if member.issym():
                # A symlink's target is relative to the folder the link is in.
                _check_member_name(
                    str(PurePosixPath(member.name).parent / member.linkname), archive, member.name
                )
            elif member.islnk():
                _check_member_name(member.linkname, archive, member.name)
        tar.extractall(destination, filter="data")


def _limit(value: float | None, name: str, variable: str, default: float) -> float:
    """``value``, else the environment ``variable``, else ``default``: a positive number."""
    given = value
    if value is None:
        given = os.environ.get(variable)
        if given is None:
            return default
        name = variable
        try:
            value = float(given)
        except ValueError:
            value = math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {given!r}")
    return value


def _check_extracted_size(archive: Path, total: int, max_size: float, max_ratio: float) -> None:
    held = f"refusing to extract {archive}: its members hold at least {total} bytes"
    if total > max_size:
        raise ValueError(
            f"{held}, over the limit of {max_size:.0f} bytes (max_size argument or "
            f"{_MAX_SIZE_VARIABLE})"
        )
    ratio = total / max(archive.stat().st_size, 1)
    if total > _RATIO_EXEMPT_SIZE and ratio > max_ratio:
        raise ValueError(
            f"{held}, {ratio:.0f} times its size, over the limit of {max_ratio:g} (max_ratio "
            f"argument or {_MAX_RATIO_VARIABLE}): a ratio this high marks an archive bomb"
        )


def _check_member_name(name: str, archive: Path, link: str | None = None) -> None:
    path = PurePosixPath(name.replace("\\", "/"))
    depth = 0  # how deep below the extraction folder the path is, part by part
    for part in path.parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            break
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")) or depth < 0:
        what = f"link {link!r} pointing to {name!r}" if link else f"member {name!r}"
        raise ValueError(f"refusing to extract {archive}: {what} leaves the extraction folder")


def download_and_extract(
    files: tuple[RemoteFile, ...], directory: Path, extract_to: Path | None = None
) -> None:
    """Download ``files`` into ``directory`` and extract the archives among them into
    ``extract_to`` (default ``directory``)."""
    for file in files:
        path = download(file, directory)
        if is_archive(path):
            extract_archive(path, extract_to or directory)


def google_drive(file_id: str) -> str:
    """The direct-download URL of a public Google Drive file (skips the virus-scan page)."""
    return f"https://drive.usercontent.google.com/download?id={file_id}&export=download&confirm=t"
