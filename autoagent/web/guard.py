"""Who may talk to ``autoagent serve``, and what a request may carry: an ASGI middleware in front
of every route, and the one way routes read a body.

- Host: only this server's own names, so a page of another site cannot reach it through a
  DNS name rebound to 127.0.0.1. A remote bind expects other names; its token guards it instead.
- Origin: a page of another origin is refused, whatever it sends.
- Token: when set, every request carries it (header or ``?token=``), compared in constant time.
- Framing: no response, errors and the event stream included, may be framed by another page
  (a click tricked onto Approve).
- Bodies: only the kinds a route names (JSON or WAV, which a foreign page cannot send without a
  CORS preflight this server never grants), and no more bytes than its limit, counted as they
  arrive (a chunked body has no Content-Length to check first).
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_HEADER = "X-Autoagent-Token"
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
# On every response: no framing, no type sniffing, no referrer (the URL may carry the token).
SAFE_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class HttpError(Exception):
    """A refusal the page shows as is: ``{"error": message}`` with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store"})


class Guard:
    """The checks every request passes before any route sees it, and the headers every
    response gets."""

    def __init__(self, app: ASGIApp, *, bound: str, token: str | None, any_host: bool) -> None:
        self.app = app
        self.names = {*LOCAL_NAMES, bound.lower()}
        self.token = token
        self.any_host = any_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan: nothing comes from a client
            await self.app(scope, receive, send)
            return

        async def send_safe(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SAFE_HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            self.check(Request(scope))
        except HttpError as err:
            await error_response(err.status, str(err))(scope, receive, send_safe)
            return
        await self.app(scope, receive, send_safe)

    def check(self, request: Request) -> None:
        given_host = request.headers.get("host") or ""
        host = given_host.rsplit(":", 1)[0].strip("[]").lower()
        if host not in self.names and not self.any_host:
            raise HttpError(403, f"unexpected Host {host!r}")
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() != f"http://{given_host}".lower():
            raise HttpError(403, f"requests from another site's page are refused (Origin {origin!r})")
        if self.token:
            query = parse_qs(request.url.query)
            given = request.headers.get(TOKEN_HEADER) or (query.get("token") or [""])[-1]
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                raise HttpError(401, f"a valid token is required (?token=... or the {TOKEN_HEADER} header)")


async def read_body(request: Request, kinds: tuple[str, ...], limit: int) -> bytes:
    """The request's body if it is one of ``kinds`` and at most ``limit`` bytes; HttpError if not."""
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if ctype not in kinds:
        raise HttpError(415, f"send {' or '.join(kinds)}")
    return await read_limited(request, limit)


async def read_limited(request: Request, limit: int) -> bytes:
    """The request's body if it is at most ``limit`` bytes; HttpError 413 if not (the rest is
    left unread: answer with ``Connection: close``)."""
    # The server has already refused a Content-Length that is not a whole number.
    if int(request.headers.get("content-length") or 0) > limit:
        raise HttpError(413, f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HttpError(413, f"the body is larger than {limit} bytes")
    return bytes(body)
