"""One adb client connection: host services, then (after a transport switch) device services.

Follows adb's SERVICES.TXT for what adbutils sends. Unknown services get ``FAIL`` with a
message, as the real server answers them.
"""

from __future__ import annotations

import logging
import socket
import struct
from typing import TYPE_CHECKING

from emulator.wire import shell
from emulator.wire.adb_proto import ProtocolError, read_request, recv_exact, send_fail, send_okay
from emulator.wire.device_state import DeviceState
from emulator.wire.http import serve_http
from emulator.wire.sync import serve_sync

if TYPE_CHECKING:
    from emulator.wire.server import WireServer

log = logging.getLogger(__name__)

# adb 1.0.41: new enough that adbutils uses host:tport (which returns a transport id).
ADB_SERVER_VERSION = 41
FEATURES = "shell_v2,cmd,fixed_push_mkdir"
# How long a finished service waits for the client to close its end (see _finish).
LINGER_S = 10.0
# adb's shell protocol (v2) packet ids.
SHELL_STDIN, SHELL_STDOUT, SHELL_EXIT, SHELL_CLOSE_STDIN = 0, 1, 3, 4


def handle_connection(sock: socket.socket, server: WireServer) -> None:
    """Serve one client connection to the end. Never raises for client mistakes."""
    try:
        device: DeviceState | None = None
        while True:
            request = read_request(sock)
            if request is None:
                return
            if device is None:
                device, done = _host_service(sock, server, request)
                if done:
                    _finish(sock)
                    return
            else:
                _device_service(sock, server, device, request)
                _finish(sock)
                return
    except (ProtocolError, OSError) as err:
        # The client went away or spoke something else; other connections carry on.
        log.debug("adb connection ended: %s", err)


def _find(server: WireServer, serial: str | None) -> DeviceState | None:
    dev = server.device
    if serial in (None, "", "any") or serial == dev.serial:
        return dev
    return None


def _no_device(sock: socket.socket, serial: str) -> None:
    send_fail(sock, f"device '{serial}' not found")


def _host_service(sock: socket.socket, server: WireServer, request: str) -> tuple[DeviceState | None, bool]:
    """Answer a host request. Returns (device switched to, whether the connection is done)."""
    # host-serial:<serial>:<cmd>, host-transport-id:<id>:<cmd>, host-usb:/host-local:<cmd>
    if request.startswith("host-serial:"):
        rest = request[len("host-serial:"):]
        serial, cmd = _split_serial(rest)
        dev = _find(server, serial)
        if dev is None:
            _no_device(sock, serial)
            return None, True
        return None, _device_host_command(sock, server, dev, cmd)
    if request.startswith("host-transport-id:"):
        tid, _, cmd = request[len("host-transport-id:"):].partition(":")
        dev = server.device if tid == str(server.device.transport_id) else None
        if dev is None:
            send_fail(sock, f"no device with transport id '{tid}'")
            return None, True
        return None, _device_host_command(sock, server, dev, cmd)
    for prefix in ("host-usb:", "host-local:"):
        if request.startswith(prefix):
            return None, _device_host_command(sock, server, server.device, request[len(prefix):])

    if not request.startswith("host:"):
        send_fail(sock, f"unknown host service '{request}': switch to a device with host:transport first")
        return None, True
    cmd = request[len("host:"):]

    if cmd == "version":
        send_okay(sock, f"{ADB_SERVER_VERSION:04x}")
    elif cmd in ("devices", "devices-l"):
        send_okay(sock, _device_lines(server, long=cmd == "devices-l"))
    elif cmd in ("features", "host-features"):
        send_okay(sock, FEATURES)
    elif cmd == "track-devices":
        send_okay(sock, _device_lines(server, long=False))
        _wait_for_close(sock)  # this one device never comes or goes
    elif cmd == "list-forward":
        send_okay(sock, server.forward_lines())
    elif cmd == "kill-forward-all" or cmd == "killforward-all":
        server.remove_all_forwards()
        send_okay(sock)
    elif cmd.startswith("connect:"):
        send_okay(sock, f"failed to connect to '{cmd[len('connect:'):]}': this server has only its own device")
    elif cmd.startswith("disconnect:"):
        send_okay(sock, f"error: no such device '{cmd[len('disconnect:'):]}'")
    elif cmd == "kill":
        send_fail(sock, "this adb server serves an emulator and is stopped by its owner, not by host:kill")
    elif cmd.startswith("wait-for-"):
        sock.sendall(b"OKAYOKAY")
    elif cmd in ("get-state", "get-serialno", "get-devpath"):
        return None, _device_host_command(sock, server, server.device, cmd)
    else:
        switch = _transport_target(cmd)
        if switch is None:
            send_fail(sock, f"unknown host service '{request}'")
            return None, True
        kind, value = switch
        dev = _find(server, value) if kind in ("serial", "any") else (
            server.device if value == str(server.device.transport_id) else None
        )
        if dev is None:
            send_fail(sock, f"device '{value}' not found")
            return None, True
        if cmd.startswith("tport:"):
            sock.sendall(b"OKAY" + struct.pack("<Q", dev.transport_id))
        else:
            send_okay(sock)
        return dev, False
    return None, True


def _transport_target(cmd: str) -> tuple[str, str] | None:
    """host:transport* / host:tport:* requests -> ("serial"|"id"|"any", value)."""
    if cmd.startswith("transport:"):
        return "serial", cmd[len("transport:"):]
    if cmd.startswith("transport-id:"):
        return "id", cmd[len("transport-id:"):]
    if cmd in ("transport-any", "transport-usb", "transport-local", "tport:any", "tport:usb", "tport:local"):
        return "any", ""
    if cmd.startswith("tport:serial:"):
        return "serial", cmd[len("tport:serial:"):]
    if cmd.startswith("tport:id:"):
        return "id", cmd[len("tport:id:"):]
    return None


def _split_serial(rest: str) -> tuple[str, str]:
    # Serials can hold a colon ("127.0.0.1:5555"); commands never start with a digit.
    first, _, tail = rest.partition(":")
    second, _, tail2 = tail.partition(":")
    if second.isdigit() and tail2:
        return f"{first}:{second}", tail2
    return first, tail


def _device_lines(server: WireServer, long: bool) -> str:
    dev = server.device
    if not long:
        return f"{dev.serial}\tdevice\n"
    return (
        f"{dev.serial:<22} device product:autoagent_phone model:EmulatorPhone "
        f"device:emulator transport_id:{dev.transport_id}\n"
    )


def _device_host_command(sock: socket.socket, server: WireServer, dev: DeviceState, cmd: str) -> bool:
    """Host commands about one device (after host-serial:). Always ends the connection."""
    if cmd == "get-state":
        send_okay(sock, "device")
    elif cmd == "get-serialno":
        send_okay(sock, dev.serial)
    elif cmd == "get-devpath":
        send_okay(sock, "virtual:autoagent")
    elif cmd == "features":
        send_okay(sock, FEATURES)
    elif cmd == "list-forward":
        send_okay(sock, server.forward_lines())
    elif cmd.startswith("forward:"):
        spec = cmd[len("forward:"):]
        norebind = spec.startswith("norebind:")
        if norebind:
            spec = spec[len("norebind:"):]
        local, sep, remote = spec.partition(";")
        if not sep:
            send_fail(sock, f"bad forward spec '{spec}': expected <local>;<remote>")
            return True
        try:
            port = server.add_forward(local, remote, norebind)
        except ValueError as err:
            send_fail(sock, str(err))
            return True
        # adb answers OKAY for the request and OKAY for the result (+ the port for tcp:0).
        sock.sendall(b"OKAYOKAY")
        if local == "tcp:0":
            sock.sendall(b"%04x%d" % (len(str(port)), port))
    elif cmd.startswith("killforward:"):
        if server.remove_forward(cmd[len("killforward:"):]):
            sock.sendall(b"OKAYOKAY")
        else:
            send_fail(sock, f"listener '{cmd[len('killforward:'):]}' not found")
    elif cmd == "killforward-all":
        server.remove_all_forwards()
        sock.sendall(b"OKAYOKAY")
    elif cmd.startswith("wait-for-"):
        sock.sendall(b"OKAYOKAY")
    else:
        send_fail(sock, f"unknown host service '{cmd}'")
    return True


def _device_service(sock: socket.socket, server: WireServer, dev: DeviceState, request: str) -> None:
    if request.startswith("shell:") or request.startswith("exec:"):
        command = request.partition(":")[2]
        if not command.strip():
            send_fail(sock, "interactive shells are not supported; send a command")
            return
        _shell_v1(sock, server, dev, command)
    elif request.startswith("shell,"):
        opts, _, command = request[len("shell,"):].partition(":")
        if "v2" not in opts.split(","):
            send_fail(sock, f"unsupported shell options '{opts}'")
            return
        _shell_v2(sock, dev, command)
    elif request == "sync:":
        send_okay(sock)
        serve_sync(sock, dev)
    elif request.startswith("tcp:"):
        port_text = request[len("tcp:"):].rsplit(":", 1)[-1]
        if not port_text.isdigit():
            send_fail(sock, f"bad port in '{request}'")
            return
        port = int(port_text)
        if not dev.uiautomator_running(port):
            send_fail(sock, f"connect failed: nothing is listening on device port {port}")
            return
        send_okay(sock)
        serve_http(sock, server.rpc.handle_http)
    elif request == "root:":
        send_okay(sock)
        sock.sendall(b"adbd cannot run as root in production builds\n")
    else:
        send_fail(sock, f"unknown device service '{request}'")


def _shell_v1(sock: socket.socket, server: WireServer, dev: DeviceState, command: str) -> None:
    # OKAY first, as adbd does when it opens the service: a client streaming stdin (adb install's
    # `exec:cmd package install -S N`) sends nothing until it has it.
    send_okay(sock)
    result = shell.run(dev, command, RawStdin(sock))
    port = result.uiautomator_port
    if port is None:
        sock.sendall(result.output)
        return
    # The uiautomator server lives as long as the shell that started it, like app_process.
    dev.start_uiautomator(port)
    try:
        sock.sendall(result.output)
        _wait_for_close(sock)
    finally:
        dev.stop_uiautomator(port)


def _shell_v2(sock: socket.socket, dev: DeviceState, command: str) -> None:
    send_okay(sock)
    result = shell.run(dev, command, ShellV2Stdin(sock))
    output, code = result.output, result.code
    if result.uiautomator_port is not None:
        output, code = b"start the uiautomator server with a v1 shell\n", 1
    if output:
        _packet(sock, SHELL_STDOUT, output)
    _packet(sock, SHELL_EXIT, bytes([code & 0xFF]))


def _packet(sock: socket.socket, kind: int, payload: bytes) -> None:
    sock.sendall(bytes([kind]) + struct.pack("<I", len(payload)) + payload)


class RawStdin:
    """A v1 shell's (or exec's) input: the raw bytes the client sends after OKAY."""

    def __init__(self, sock: socket.socket):
        self._sock = sock

    def read(self, n: int | None = None) -> bytes:
        data = bytearray()
        while n is None or len(data) < n:
            chunk = self._sock.recv(65536 if n is None else min(65536, n - len(data)))
            if not chunk:
                break
            data += chunk
        return bytes(data)


class ShellV2Stdin:
    """A v2 shell's input: stdin packets up to the close-stdin packet (window-size ones skipped)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._buffer = bytearray()
        self._closed = False

    def read(self, n: int | None = None) -> bytes:
        while not self._closed and (n is None or len(self._buffer) < n):
            self._next_packet()
        size = len(self._buffer) if n is None else min(n, len(self._buffer))
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def _next_packet(self) -> None:
        head = self._sock.recv(5)
        if not head:
            self._closed = True
            return
        if len(head) < 5:
            head += recv_exact(self._sock, 5 - len(head))
        kind, size = head[0], struct.unpack("<I", head[1:])[0]
        payload = recv_exact(self._sock, size) if size else b""
        if kind == SHELL_STDIN:
            self._buffer += payload
        elif kind == SHELL_CLOSE_STDIN:
            self._closed = True


def _finish(sock: socket.socket) -> None:
    """End a served connection the way adbd does: half-close, then let the client close first.

    A client may still have bytes on the way (stdin it queued, the shell protocol's
    close-stdin packet). Closing with them unread makes the kernel reset the connection, and
    a reset can make the client drop output it has not read yet: `adb shell screencap -p`
    then printed nothing and exited 0.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(LINGER_S)
        while sock.recv(65536):
            pass
    except OSError:
        pass  # the client is gone or the server is stopping: nothing left to protect


def _wait_for_close(sock: socket.socket) -> None:
    """Block until the client closes (or the server shuts the socket down)."""
    while sock.recv(4096):
        pass
