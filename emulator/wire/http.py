"""Just enough HTTP/1.1 to serve uiautomator's endpoints on a stream socket.

The stream is whatever the client reached the device port through: an adb ``tcp:9008``
service or a forwarded local port. Keep-alive is honoured; bodies need Content-Length.
"""

from __future__ import annotations

import http.client
import socket
from typing import Callable

# (method, path, body) -> (status, content type, body)
Handler = Callable[[str, str, bytes], tuple[int, str, bytes]]

MAX_BODY = 16 << 20
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large"}


def _respond(wfile, status: int, ctype: str, body: bytes, keep_alive: bool) -> None:
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    wfile.write(head.encode("latin-1") + body)
    wfile.flush()


def _quick_ack(sock: socket.socket) -> None:
    # Clients send headers and body in two writes; with Nagle on their side and delayed
    # ACKs on ours every POST would stall ~40 ms. Linux resets QUICKACK, so set it per read.
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)
        except OSError:
            pass


def serve_http(sock: socket.socket, handler: Handler) -> None:
    """Serve requests on ``sock`` until the client closes or asks to close."""
    rfile = sock.makefile("rb")
    wfile = sock.makefile("wb")
    try:
        while True:
            _quick_ack(sock)
            line = rfile.readline(65537)
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue
            parts = line.decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                _respond(wfile, 400, "text/plain", b"bad request line", False)
                return
            method, path, version = parts
            try:
                headers = http.client.parse_headers(rfile)
                length = int(headers.get("Content-Length") or 0)
            except (http.client.HTTPException, ValueError):
                _respond(wfile, 400, "text/plain", b"bad headers", False)
                return
            if length < 0 or length > MAX_BODY:
                _respond(wfile, 413, "text/plain", b"body too large", False)
                return
            _quick_ack(sock)
            body = rfile.read(length) if length else b""
            if len(body) < length:
                return  # the client went away mid-body
            status, ctype, payload = handler(method, path, body)
            keep_alive = version == "HTTP/1.1" and (headers.get("Connection") or "").lower() != "close"
            _respond(wfile, status, ctype, payload, keep_alive)
            if not keep_alive:
                return
    finally:
        for f in (rfile, wfile):
            try:
                f.close()
            except OSError:
                pass
