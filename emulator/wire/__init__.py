"""The emulator phone on the wire: an adb server and a uiautomator JSON-RPC server.

Stock clients (adbutils, uiautomator2, Debian's ``adb`` binary and the AutoGLM clients built
on it) talk to :class:`WireServer` over real sockets as if it were an adb server with one
device attached.
"""

from emulator.wire.server import DEFAULT_SERIAL, WireServer, serve, serve_main

__all__ = ["DEFAULT_SERIAL", "WireServer", "serve", "serve_main"]
