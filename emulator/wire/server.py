"""The wire server's lifecycle: listening sockets, one thread per connection, clean stop.

``serve(phone)`` starts an adb server (on ``adb_port``; 0 picks a free one) with the phone
attached as one device. uiautomator2 then reaches the phone's uiautomator server through
adb's ``tcp:`` service, exactly as it does with a real phone.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from typing import Any, Sequence

from autoagent.argtypes import seed
from autoagent.web.serving import listen
from emulator.wire.adb_server import handle_connection
from emulator.wire.device_state import DeviceState
from emulator.wire.http import serve_http
from emulator.wire.jsonrpc import UiautomatorRpc

log = logging.getLogger(__name__)

DEFAULT_SERIAL = "emulator-5554"
STANDARD_ADB_PORT = 5037


class WireServer:
    """An adb server with one emulated device. Use as a context manager or call stop()."""

    def __init__(
        self,
        phone: Any,
        host: str = "127.0.0.1",
        adb_port: int = 0,
        serial: str = DEFAULT_SERIAL,
        screenshot_format: str = "png",
        extensions: bool = True,
    ):
        self.device = DeviceState(phone=phone, serial=serial)
        # extensions=False: answer as a phone's stock uiautomator server (no clickIfMatches).
        self.rpc = UiautomatorRpc(self.device, screenshot_format=screenshot_format, extensions=extensions)
        self.host = host
        self._requested_port = adb_port
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        # local spec ("tcp:PORT") -> (remote spec, listening socket)
        self._forwards: dict[str, tuple[str, socket.socket]] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> WireServer:
        self._listener = listen(self.host, self._requested_port)
        self._spawn(self._accept_loop, self._listener, self._serve_adb, name="adb-accept")
        return self

    @property
    def adb_port(self) -> int:
        if self._listener is None:
            raise RuntimeError("server is not started")
        return self._listener.getsockname()[1]

    @property
    def serial(self) -> str:
        return self.device.serial

    @property
    def phone(self) -> Any:
        return self.device.phone

    def env(self) -> dict[str, str]:
        """Environment that points stock adb clients (adbutils, uiautomator2) at this server."""
        return {
            "ANDROID_ADB_SERVER_HOST": self.host,
            "ANDROID_ADB_SERVER_PORT": str(self.adb_port),
            "ANDROID_SERIAL": self.serial,
        }

    def stop(self, timeout: float = 5.0) -> None:
        """Close every socket and wait (bounded) for the connection threads to end."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        with self._lock:
            listeners = [self._listener] + [s for _, s in self._forwards.values()]
            self._forwards.clear()
            conns = list(self._conns)
        for s in listeners:
            _close(s)
        for c in conns:
            _close(c)
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            if t is not threading.current_thread():
                t.join(timeout)

    def __enter__(self) -> WireServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- forwards -------------------------------------------------------------------------
    def add_forward(self, local: str, remote: str, norebind: bool = False) -> int:
        """Listen on ``local`` (tcp:PORT, 0 = any) and pipe it to device ``remote`` (tcp:PORT)."""
        if not local.startswith("tcp:") or not local[4:].isdigit():
            raise ValueError(f"cannot forward from '{local}': only tcp:<port> is supported")
        if not remote.startswith("tcp:") or not remote[4:].isdigit():
            raise ValueError(f"cannot forward to '{remote}': only tcp:<port> is supported")
        with self._lock:
            if local in self._forwards:
                if norebind:
                    raise ValueError(f"cannot rebind existing socket '{local}'")
                old_remote, old = self._forwards.pop(local)
                _close(old)
        try:
            listener = listen(self.host, int(local[4:]))
        except OSError as err:
            raise ValueError(f"cannot bind listener '{local}': {err.strerror or err}") from None
        port = listener.getsockname()[1]
        with self._lock:
            self._forwards[f"tcp:{port}"] = (remote, listener)
        device_port = int(remote[4:])
        self._spawn(self._accept_loop, listener, lambda c: self._serve_forward(c, device_port), name="adb-forward")
        return port

    def remove_forward(self, local: str) -> bool:
        with self._lock:
            entry = self._forwards.pop(local, None)
        if entry:
            _close(entry[1])
        return entry is not None

    def remove_all_forwards(self) -> None:
        with self._lock:
            entries = list(self._forwards.values())
            self._forwards.clear()
        for _, s in entries:
            _close(s)

    def forward_lines(self) -> str:
        with self._lock:
            return "".join(f"{self.serial} {local} {remote}\n" for local, (remote, _) in self._forwards.items())

    # -- threads --------------------------------------------------------------------------
    def _spawn(self, target: Any, *args: Any, name: str) -> None:
        t = threading.Thread(target=self._run, args=(target, *args), name=name, daemon=True)
        with self._lock:
            self._threads.add(t)
        t.start()

    def _run(self, target: Any, *args: Any) -> None:
        try:
            target(*args)
        except Exception:  # a bug in one connection must not take the server down
            log.exception("wire server thread failed")
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _accept_loop(self, listener: socket.socket, serve_one: Any) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # listener closed
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._stopping.is_set():
                    _close(conn)
                    return
                self._conns.add(conn)
            self._spawn(self._serve_and_close, conn, serve_one, name="adb-conn")

    def _serve_and_close(self, conn: socket.socket, serve_one: Any) -> None:
        try:
            serve_one(conn)
        finally:
            with self._lock:
                self._conns.discard(conn)
            _close(conn)

    def _serve_adb(self, conn: socket.socket) -> None:
        handle_connection(conn, self)

    def _serve_forward(self, conn: socket.socket, device_port: int) -> None:
        # A forwarded connection to a device port nobody listens on is closed at once,
        # as adb does.
        if self.device.uiautomator_running(device_port):
            try:
                serve_http(conn, self.rpc.handle_http)
            except OSError as err:
                log.debug("forwarded connection ended: %s", err)


def _close(s: socket.socket | None) -> None:
    if s is None:
        return
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


def serve(
    phone: Any,
    host: str = "127.0.0.1",
    adb_port: int = 0,
    serial: str = DEFAULT_SERIAL,
    screenshot_format: str = "png",
    extensions: bool = True,
) -> WireServer:
    """Start serving ``phone`` and return the running server (a context manager). Without
    ``extensions`` its uiautomator server has only the methods a phone's own one has."""
    return WireServer(phone, host=host, adb_port=adb_port, serial=serial, screenshot_format=screenshot_format,
                      extensions=extensions).start()


def serve_main(argv: Sequence[str] | None = None) -> int:
    """``autoagent emulator serve``: run the phone behind an adb server until interrupted."""
    parser = argparse.ArgumentParser(
        prog="autoagent emulator serve",
        description="Serve the emulator phone as an adb device that uiautomator2 can drive.",
    )
    parser.add_argument("--seed", type=seed, default=0, help="phone seed (default 0)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=STANDARD_ADB_PORT,
        help=f"adb server port (default {STANDARD_ADB_PORT}, adb's own; 0 picks a free one)",
    )
    parser.add_argument("--serial", default=DEFAULT_SERIAL, help=f"device serial (default {DEFAULT_SERIAL})")
    parser.add_argument(
        "--screenshot-format", choices=("png", "jpeg"), default="png",
        help="how takeScreenshot encodes (png is lossless; jpeg matches real devices)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0-65535, got {args.port}")

    from emulator import Phone

    phone = Phone(seed=args.seed)
    try:
        server = serve(phone, host=args.host, adb_port=args.port, serial=args.serial,
                       screenshot_format=args.screenshot_format)
    except OSError as err:
        hint = " (is a real adb server running? try --port 0)" if args.port == STANDARD_ADB_PORT else ""
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}{hint}", file=sys.stderr)
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(
        f"serving {server.serial} on {server.host}:{server.adb_port}\n"
        f"  export ANDROID_ADB_SERVER_PORT={server.adb_port} ANDROID_SERIAL={server.serial}",
        flush=True,
    )
    try:
        done.wait()
    finally:
        server.stop()
        close = getattr(phone, "close", None)
        if close:
            close()
    return 0
