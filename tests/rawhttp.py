"""Send bytes to a server exactly as given (urllib would repair bad headers) and read the reply."""

from __future__ import annotations

import socket


def raw_request(address: tuple[str, int], request: bytes) -> bytes:
    """The whole reply, read until the server closes the connection."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply
