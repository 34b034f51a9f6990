"""Framing of adb's smart-socket protocol: hex-length requests, OKAY/FAIL replies."""

from __future__ import annotations

import socket

OKAY = b"OKAY"
FAIL = b"FAIL"
# A request longer than this is not adb talking; real adb caps requests at 1 MiB too.
MAX_REQUEST = 1 << 20


class ProtocolError(Exception):
    """The peer sent something that is not adb's protocol, or went away mid-message."""


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Read exactly ``n`` bytes or raise ProtocolError if the peer closes first."""
    chunks: list[bytes] = []
    left = n
    while left > 0:
        chunk = sock.recv(min(left, 1 << 16))
        if not chunk:
            raise ProtocolError(f"peer closed after {n - left} of {n} bytes")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_request(sock: socket.socket) -> str | None:
    """One request (``0010host:version`` framing). None when the peer closed cleanly first."""
    head = sock.recv(4)
    if not head:
        return None
    if len(head) < 4:
        head += recv_exact(sock, 4 - len(head))
    try:
        size = int(head.decode("ascii"), 16)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError(f"bad request length {head!r}") from None
    if size > MAX_REQUEST:
        raise ProtocolError(f"request of {size} bytes is too long")
    return recv_exact(sock, size).decode("utf-8", errors="replace")


def block(payload: str | bytes) -> bytes:
    """A hex-length-prefixed block, as adb frames replies like host:version and host:devices."""
    data = payload.encode("utf-8") if isinstance(payload, str) else payload
    return b"%04x" % len(data) + data


def send_okay(sock: socket.socket, payload: str | bytes | None = None) -> None:
    sock.sendall(OKAY + (block(payload) if payload is not None else b""))


def send_fail(sock: socket.socket, message: str) -> None:
    sock.sendall(FAIL + block(message))
