"""Small test pages served over a real socket on loopback, one path each."""

from __future__ import annotations

import http.server
import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from emulator.web.server import serving


@contextmanager
def serve_pages(pages: Mapping[str, str | bytes], posted: list[str] | None = None) -> Iterator[str]:
    """Serve ``pages`` (path -> HTML, or bytes typed by the path's suffix, an icon) on 127.0.0.1
    at a free port; yields the base URL. A POST to a page's path is answered with the page and,
    when ``posted`` is given, its path is appended there (what a page sent, for the test to judge)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            path = self.path.split("?")[0]
            body = pages.get(path)
            self.send_response(200 if body is not None else 404)
            if isinstance(body, bytes):
                self.send_header("Content-Type", mimetypes.guess_type(path)[0] or "application/octet-stream")
            else:
                self.send_header("Content-Type", "text/html; charset=utf-8")
                body = (body or "not found").encode("utf-8")
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if posted is not None and self.path.split("?")[0] in pages:
                posted.append(self.path.split("?")[0])
            self.do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet tests

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with serving(server, "test-pages"):
        yield f"http://127.0.0.1:{server.server_port}"
