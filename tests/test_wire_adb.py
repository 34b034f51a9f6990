"""The emulator's adb server, driven by the stock adbutils client over loopback sockets."""

from __future__ import annotations

import io
import os
import socket
import struct
import time
import urllib.request

import adbutils
import adbutils._adb
import adbutils._device_base
import adbutils._utils
import pytest

from emulator import Phone
from emulator.wire import serve


pytestmark = pytest.mark.usefixtures("no_adb_daemon")


@pytest.fixture()
def client(wire_server):
    return adbutils.AdbClient(host="127.0.0.1", port=wire_server.adb_port)


@pytest.fixture()
def dev(client, wire_server):
    return client.device(wire_server.serial)


def _raw(wire_server, payload: bytes) -> bytes:
    """Send raw bytes to the adb port and return everything the server answers."""
    out = b""
    with socket.create_connection(("127.0.0.1", wire_server.adb_port), timeout=5) as s:
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            while chunk := s.recv(4096):
                out += chunk
        except (ConnectionResetError, BrokenPipeError, OSError) as err:
            # The server may drop a bad connection before reading all of it (a reset).
            if isinstance(err, socket.timeout):
                raise
    return out


def _req(text: str) -> bytes:
    data = text.encode()
    return b"%04x" % len(data) + data


# -- host services ----------------------------------------------------------------------

def test_version_and_device_list(client, wire_server):
    assert client.server_version() == 41
    infos = client.list(extended=True)
    assert [(i.serial, i.state) for i in infos] == [(wire_server.serial, "device")]
    assert infos[0].tags["transport_id"] == "1"
    assert [d.serial for d in client.device_list()] == [wire_server.serial]


def test_device_host_queries(dev, wire_server):
    assert dev.get_state() == "device"
    assert dev.get_serialno() == wire_server.serial
    assert "shell_v2" in dev.get_features()


def test_unknown_serial_fails_with_message(client):
    with pytest.raises(adbutils.AdbError, match="device 'nope' not found"):
        client.device("nope").shell("echo hi")


def test_unknown_host_service_fails_with_message(wire_server):
    out = _raw(wire_server, _req("host:frobnicate"))
    assert out.startswith(b"FAIL")
    size = int(out[4:8], 16)
    assert out[8 : 8 + size] == b"unknown host service 'host:frobnicate'"


def test_unknown_device_service_fails_with_message(wire_server):
    out = _raw(wire_server, _req(f"host:transport:{wire_server.serial}") + _req("frobnicate:now"))
    assert out.startswith(b"OKAYFAIL")
    assert b"unknown device service 'frobnicate:now'" in out


# -- shell ------------------------------------------------------------------------------

def test_shell_answers_what_clients_ask(dev, wire_server):
    assert dev.shell("getprop ro.serialno") == wire_server.serial
    assert dev.window_size() == (1080, 2400)
    assert dev.shell2("false").returncode == 1
    missing = dev.shell2("frobnicate --now")
    assert missing.returncode == 127
    assert "frobnicate: inaccessible or not found" in missing.output
    assert dev.shell("echo a && false || echo b") == "a\nb"
    assert "package:com.autoagent.shop" in dev.shell("pm list packages").splitlines()


def test_shell_v2_frames_output_and_exit_code(dev):
    ok = dev.shell2("getprop ro.product.model", v2=True)
    assert (ok.returncode, ok.stdout.strip()) == (0, "EmulatorPhone")
    assert dev.shell2("pm path no.such.app", v2=True).returncode == 1


def test_app_start_current_and_keys_through_shell(dev, wire_server):
    dev.app_start("com.autoagent.shop")
    assert wire_server.phone.current_package() == "com.autoagent.shop"
    current = dev.app_current()
    assert current.package == "com.autoagent.shop"
    assert current.activity == wire_server.phone.current_activity()
    dev.keyevent("KEYCODE_HOME")
    assert wire_server.phone.current_package() != "com.autoagent.shop"
    assert dev.app_current().package == wire_server.phone.current_package()
    out = dev.shell2(["monkey", "-p", "no.such.app", "-c", "android.intent.category.LAUNCHER", "1"])
    assert out.returncode != 0 and "No activities found" in out.output


def test_screencap_is_the_phone_screen(dev, wire_server):
    image = dev.screenshot(error_ok=False)
    expected = wire_server.phone.screenshot().convert("RGB")
    assert image.size == expected.size
    assert image.tobytes() == expected.tobytes()


def test_input_tap_outside_screen_is_an_error_and_phone_stays_usable(dev, wire_server):
    out = dev.shell2("input tap 5000 5000")
    assert out.returncode == 1 and "outside" in out.output
    dev.shell("input keyevent HOME")
    assert dev.app_current().package == wire_server.phone.current_package()


# -- sync -------------------------------------------------------------------------------

def test_sync_push_stat_list_pull(dev, tmp_path):
    payload = os.urandom(200_000)
    dev.sync.push(io.BytesIO(payload), "/data/local/tmp/blob.bin", check=True)
    info = dev.sync.stat("/data/local/tmp/blob.bin")
    assert info.size == len(payload)
    assert "blob.bin" in [f.path for f in dev.sync.list("/data/local/tmp")]
    assert dev.sync.read_bytes("/data/local/tmp/blob.bin") == payload
    assert dev.sync.stat("/data/local/tmp/missing").mtime is None
    with pytest.raises(adbutils.AdbError, match="does not exist"):
        dev.sync.read_bytes("/data/local/tmp/missing")
    assert dev.shell2("test -f /data/local/tmp/blob.bin").returncode == 0
    dev.shell("rm /data/local/tmp/blob.bin")
    assert dev.shell2("test -f /data/local/tmp/blob.bin").returncode == 1


# -- forward and the uiautomator process ---------------------------------------------------

def _ping(port: int) -> bytes | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=3) as r:
            return r.read()
    except OSError:
        return None


def test_uiautomator_lives_as_long_as_its_shell(dev, wire_server):
    local = dev.forward_port(9008)
    assert any(f.local == f"tcp:{local}" and f.remote == "tcp:9008" for f in dev.forward_list())
    assert _ping(local) is None  # nothing runs on the device port yet
    # Without the jar on the device, app_process cannot start the server.
    failed = dev.shell2("CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main -p 9008")
    assert failed.returncode == 1 and "Could not find" in failed.output
    dev.sync.push(io.BytesIO(b"jar"), "/data/local/tmp/u2.jar")
    stream = dev.shell("CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main -p 9008", stream=True)
    # The shell answers OKAY before its command runs (as adbd does), so the server comes up a
    # moment later; clients poll /ping, and so does this test.
    deadline = time.monotonic() + 5
    while _ping(local) != b"pong" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _ping(local) == b"pong"
    stream.close()
    deadline = time.monotonic() + 5
    while wire_server.device.uiautomator_running(9008) and time.monotonic() < deadline:
        time.sleep(0.01)  # the server notices the closed shell on its own thread
    assert _ping(local) is None
    dev.forward_remove(f"tcp:{local}")
    assert dev.forward_list() == []


# -- misbehaving clients ------------------------------------------------------------------

def test_garbage_and_half_requests_do_not_hurt_the_server(wire_server, client):
    assert _raw(wire_server, b"zzzzhello") == b""  # not adb: the connection is dropped
    assert _raw(wire_server, b"00ffhost:ver") == b""  # peer stops mid-request
    # A sync SEND that stops halfway through its data.
    spec = b"/data/local/tmp/x,33188"
    half_push = (
        _req(f"host:transport:{wire_server.serial}") + _req("sync:")
        + b"SEND" + struct.pack("<I", len(spec)) + spec
        + b"DATA" + struct.pack("<I", 1000) + b"only-a-little"
    )
    assert _raw(wire_server, half_push).startswith(b"OKAYOKAY")
    assert wire_server.device.read_file("/data/local/tmp/x") is None
    # An HTTP request to the device port that stops mid-body.
    wire_server.device.start_uiautomator(9008)
    try:
        partial_http = (
            _req(f"host:transport:{wire_server.serial}") + _req("tcp:9008")
            + b"POST /jsonrpc/0 HTTP/1.1\r\nContent-Length: 500\r\n\r\n{\"jsonrpc\""
        )
        assert _raw(wire_server, partial_http) == b"OKAYOKAY"
    finally:
        wire_server.device.stop_uiautomator(9008)
    assert client.server_version() == 41
    assert client.device(wire_server.serial).shell("echo still here") == "still here"


def test_stop_closes_listeners_and_open_streams():
    srv = serve(Phone(seed=0))
    dev = adbutils.AdbClient(host="127.0.0.1", port=srv.adb_port).device(srv.serial)
    dev.sync.push(io.BytesIO(b"jar"), "/data/local/tmp/u2.jar")
    stream = dev.shell("CLASSPATH=/data/local/tmp/u2.jar app_process / com.wetest.uia2.Main", stream=True)
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 2
    stream.conn.settimeout(2)
    # The loop ends (rather than timing out) because the server closed the stream.
    while stream.conn.recv(4096):
        pass
    assert not srv.device.uiautomator_running(9008)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.adb_port), timeout=1).close()
    stream.close()
