"""adb's file sync sub-protocol (``sync:``): STAT, LIST, SEND, RECV, QUIT.

Requests are ``ID`` + little-endian length + path; see adb's SYNC.TXT. Files live in the
device's in-memory file system.
"""

from __future__ import annotations

import socket
import struct

from emulator.wire.adb_proto import ProtocolError, recv_exact
from emulator.wire.device_state import DeviceState

MAX_CHUNK = 64 * 1024
MAX_PATH = 1024


def _fail(sock: socket.socket, message: str) -> None:
    data = message.encode("utf-8")
    sock.sendall(b"FAIL" + struct.pack("<I", len(data)) + data)


def serve_sync(sock: socket.socket, state: DeviceState) -> None:
    """Answer sync requests until QUIT or the client closes."""
    while True:
        head = sock.recv(8)
        if not head:
            return
        if len(head) < 8:
            head += recv_exact(sock, 8 - len(head))
        cmd, length = head[:4], struct.unpack("<I", head[4:])[0]
        if cmd == b"QUIT":
            return
        if length > MAX_PATH:
            _fail(sock, f"path of {length} bytes is too long")
            return
        path = recv_exact(sock, length).decode("utf-8", errors="replace")
        if cmd == b"STAT":
            mode, size, mtime = state.stat(path) or (0, 0, 0)
            sock.sendall(b"STAT" + struct.pack("<III", mode, size, mtime))
        elif cmd == b"LIST":
            for name, mode, size, mtime in state.listdir(path) or []:
                raw = name.encode("utf-8")
                sock.sendall(b"DENT" + struct.pack("<IIII", mode, size, mtime, len(raw)) + raw)
            sock.sendall(b"DONE" + bytes(16))
        elif cmd == b"SEND":
            _receive_file(sock, state, path)
        elif cmd == b"RECV":
            entry = state.read_file(path)
            if entry is None:
                _fail(sock, f"remote object '{path}' does not exist")
                continue
            for i in range(0, len(entry.data), MAX_CHUNK):
                chunk = entry.data[i : i + MAX_CHUNK]
                sock.sendall(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
            sock.sendall(b"DONE" + bytes(4))
        else:
            _fail(sock, f"unknown sync command {cmd!r}")
            return


def _receive_file(sock: socket.socket, state: DeviceState, spec: str) -> None:
    path, _, mode_text = spec.rpartition(",")
    if not path or not mode_text.isdigit():
        path, mode = spec, 0o644
    else:
        mode = int(mode_text)
    data = bytearray()
    while True:
        head = recv_exact(sock, 8)
        tag, size = head[:4], struct.unpack("<I", head[4:])[0]
        if tag == b"DONE":
            break
        if tag != b"DATA":
            raise ProtocolError(f"expected DATA or DONE in SEND, got {tag!r}")
        if size > MAX_CHUNK:
            _fail(sock, f"chunk of {size} bytes exceeds {MAX_CHUNK}")
            raise ProtocolError("oversized sync chunk")
        data += recv_exact(sock, size)
    if state.stat(path) is not None and state.read_file(path) is None:
        _fail(sock, f"'{path}' is a directory")
        return
    parent = path.rsplit("/", 1)[0] or "/"
    state.mkdir(parent)
    state.write_file(path, bytes(data), mode)
    sock.sendall(b"OKAY" + bytes(4))
