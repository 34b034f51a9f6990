"""Serving MiniWoB++'s HTML tasks on loopback."""

from __future__ import annotations

import functools
import http.server
import importlib.metadata
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class MiniwobMissing(RuntimeError):
    """The miniwob package (its HTML tasks) is not installed."""


def html_dir() -> Path:
    """The installed package's ``html`` folder, found without importing the package (its
    ``__init__`` needs gymnasium). Raises :class:`MiniwobMissing`."""
    try:
        dist = importlib.metadata.distribution("miniwob")
    except importlib.metadata.PackageNotFoundError:
        raise MiniwobMissing("miniwob is not installed: pip install --no-deps miniwob==1.1.0") from None
    folder = Path(str(dist.locate_file("miniwob/html")))
    if not (folder / "miniwob").is_dir() or not (folder / "core" / "core.js").is_file():
        raise MiniwobMissing(f"miniwob {dist.version} has no HTML tasks under {folder}")
    return folder


def task_names() -> list[str]:
    """Every single-page task the package ships (``click-button``, ...)."""
    return sorted(p.stem for p in (html_dir() / "miniwob").glob("*.html"))


class _Handler(http.server.SimpleHTTPRequestHandler):
    # The pages carry no <meta charset>: without a charset in the header Chromium reads
    # unicode-test's Chinese labels as Latin-1.
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                      ".css": "text/css; charset=utf-8"}

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per file per episode would drown the progress line


@contextmanager
def serve_miniwob() -> Iterator[str]:
    """Serve the HTML folder on 127.0.0.1 (a free port); yields the base URL of the tasks."""
    handler = functools.partial(_Handler, directory=str(html_dir()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="miniwob-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/miniwob/"
    finally:
        server.shutdown()
        server.server_close()
