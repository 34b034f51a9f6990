"""Running an ASGI app on uvicorn in a background thread: the one way this project serves HTTP
(``autoagent serve``, and the emulator's demo and attack sites).

The socket is bound before the server starts, so a port in use is an error for the caller and
``port=0`` is known at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

START_TIMEOUT_S = 30.0


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (``port=0``: a free one)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        # A restart on the same port must not wait for the old connections' TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


@dataclass
class Running:
    """A server started by :func:`start`."""

    server: uvicorn.Server
    thread: threading.Thread
    address: tuple[str, int]

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start(app: ASGIApp, sock: socket.socket, *, name: str, graceful_s: float = 5.0) -> Running:
    """Serve ``app`` on ``sock`` from a daemon thread named ``name``; returns once it accepts
    connections. ``graceful_s``: how long a stop waits for requests still being answered."""
    address = sock.getsockname()[:2]
    config = uvicorn.Config(app, loop="asyncio", http="h11", ws="none", lifespan="off", log_level="error",
                            access_log=False, server_header=False, timeout_graceful_shutdown=graceful_s)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    end = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > end:
            server.should_exit = True  # one that starts late stops at once instead of serving unseen
            sock.close()
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.01)
    return Running(server, thread, (str(address[0]), int(address[1])))


@contextmanager
def serving(app: ASGIApp, sock: socket.socket, *, name: str, graceful_s: float = 5.0) -> Iterator[Running]:
    """:func:`start` for the length of a ``with`` block, stopped at its end."""
    running = start(app, sock, name=name, graceful_s=graceful_s)
    try:
        yield running
    finally:
        running.stop()
