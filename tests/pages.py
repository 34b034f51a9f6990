"""Small test pages served over a real socket on loopback, one path each."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from starlette.requests import Request
from starlette.responses import Response

from autoagent.web.serving import listen
from emulator.web.server import serve_site, site_app


@contextmanager
def serve_pages(pages: Mapping[str, str | bytes], posted: list[str] | None = None) -> Iterator[str]:
    """Serve ``pages`` (path -> HTML, or bytes typed by the path's suffix, an icon) on 127.0.0.1
    at a free port; yields the base URL. A POST to a page's path is answered with the page and,
    when ``posted`` is given, its path is appended there (what a page sent, for the test to judge)."""

    async def endpoint(request: Request) -> Response:
        path = request.scope["path"]
        if request.method == "POST":
            await request.body()
            if posted is not None and path in pages:
                posted.append(path)
        body = pages.get(path)
        if isinstance(body, bytes):
            return Response(body, media_type=mimetypes.guess_type(path)[0] or "application/octet-stream")
        return Response(body or "not found", 200 if body is not None else 404, media_type="text/html; charset=utf-8")

    sock = listen("127.0.0.1", 0)
    with serve_site(site_app(endpoint, None), sock, "test-pages"):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
