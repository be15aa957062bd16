"""Fixtures for the vdata tests: tiny real image files, and a local HTTP server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _write_image(path: Path, size: tuple[int, int] = (6, 4), value: int = 0) -> Path:
    """A real image file of ``size = (width, height)``: pixel ``(x, y)`` is ``(value, x, y)``
    (exact in PNG; JPEG is lossy, so tests compare JPEG content only approximately)."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([np.full_like(xs, value), xs, ys], axis=-1).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


@pytest.fixture
def write_image() -> Callable[..., Path]:
    return _write_image


@dataclass
class Route:
    """What the test server answers for one path."""

    body: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    honour_range: bool = True
    # Close the connection after sending this many bytes (simulates a dropped transfer).
    cut_after: int | None = None


@dataclass
class LocalServer:
    """An HTTP server on 127.0.0.1 in a thread, serving ``routes`` and logging requests."""

    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    state = LocalServer(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            range_header = self.headers.get("Range")
            state.requests.append((self.path, range_header))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            body, status, headers = route.body, route.status, {}
            if status == 200 and range_header and route.honour_range:
                start = int(range_header.removeprefix("bytes=").rstrip("-"))
                if start >= len(body):
                    self.send_error(416)
                    return
                headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                body, status = body[start:], 206
            length = len(body)  # announced in full even when the transfer is cut short
            if route.cut_after is not None:
                body = body[: route.cut_after]
            self.send_response(status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(length))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def route() -> type[Route]:
    return Route
