"""The stock uiautomator2 client driving the emulator phone over real loopback sockets."""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import socket
import subprocess
import sys

import adbutils
import adbutils._adb
import adbutils._device_base
import adbutils._utils
import numpy as np
import pytest
import uiautomator2 as u2
from PIL import Image

from emulator import Phone
from emulator.wire import serve

SHOP = "com.autoagent.shop"


pytestmark = pytest.mark.usefixtures("no_adb_daemon")


@pytest.fixture()
def phone(wire_server):
    return wire_server.phone


@pytest.fixture()
def d(wire_server):
    adb = adbutils.AdbClient(host="127.0.0.1", port=wire_server.adb_port)
    device = u2.connect(adb.device(wire_server.serial))
    yield device
    device.stop_uiautomator(wait=False)


def _open_search(phone) -> None:
    phone.launch(SHOP)
    phone.tap_on(resource_id="search_box")
    assert phone.find(resource_id="search_input") is not None


# -- connecting -----------------------------------------------------------------------------

def test_connect_pushes_the_jar_and_starts_the_server(d, wire_server):
    import uiautomator2.core

    jar = wire_server.device.read_file("/data/local/tmp/u2.jar")
    assert jar is not None
    with open(os.path.join(os.path.dirname(uiautomator2.__file__), "assets", "u2.jar"), "rb") as f:
        assert jar.data == f.read()
    assert wire_server.device.uiautomator_running(uiautomator2.core.DEFAULT_SERVER_PORT)
    # A second client finds the server alive (md5 matches, /ping answers) and reuses it.
    again = u2.connect(adbutils.AdbClient(host="127.0.0.1", port=wire_server.adb_port).device(wire_server.serial))
    assert again.window_size() == (1080, 2400)


def test_window_size_and_info(d, phone):
    assert d.window_size() == phone.screen_size() == (1080, 2400)
    info = d.info
    assert (info["displayWidth"], info["displayHeight"]) == (1080, 2400)
    assert info["currentPackageName"] == phone.current_package()
    assert info["sdkInt"] == 30 and info["screenOn"] is True
    assert d.device_info["serial"] == "emulator-5554"


def test_screenshot_is_what_the_phone_renders(d, phone):
    phone.launch(SHOP)
    shot = d.screenshot()
    expected = phone.screenshot().convert("RGB")
    assert shot.size == expected.size
    assert shot.convert("RGB").tobytes() == expected.tobytes()


def test_jpeg_screenshots_are_close_to_the_phone_screen():
    with serve(Phone(seed=0), screenshot_format="jpeg") as srv:
        d = u2.connect(adbutils.AdbClient(host="127.0.0.1", port=srv.adb_port).device(srv.serial))
        raw = base64.b64decode(d.jsonrpc.takeScreenshot(1, 80))
        assert raw[:2] == b"\xff\xd8"  # JPEG, as a real device sends
        shot = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), dtype=np.int16)
        expected = np.asarray(srv.phone.screenshot().convert("RGB"), dtype=np.int16)
        assert shot.shape == expected.shape
        assert np.abs(shot - expected).mean() < 3
        d.stop_uiautomator(wait=False)


def test_dump_hierarchy_is_the_phone_hierarchy(d, phone):
    phone.launch(SHOP)
    assert d.dump_hierarchy() == phone.hierarchy_xml()
    assert d(resourceId=f"{SHOP}:id/tab_cart").exists or d(textContains="Cart").exists


# -- input ----------------------------------------------------------------------------------

def test_click_opens_an_app(d, phone):
    icon = phone.find(desc="Shop 商城")
    d.click(*icon.center)
    assert phone.current_package() == SHOP
    assert phone.events[-1].kind == "tap"


def test_long_click(d, phone):
    d.long_click(540, 1200, duration=0.6)
    assert phone.events[-1].kind == "long_press"
    assert (phone.events[-1].x, phone.events[-1].y) == (540, 1200)


def test_double_click_reaches_the_phone_as_two_taps(d, phone):
    before = len(phone.events)
    d.double_click(540, 1500, duration=0.01)
    taps = [e for e in phone.events[before:] if e.kind == "tap"]
    assert [(e.x, e.y) for e in taps] == [(540, 1500), (540, 1500)]


def test_swipe_scrolls_the_list(d, phone):
    phone.launch(SHOP)
    first = phone.find(resource_id="product_name")
    d.swipe(540, 1800, 540, 900, duration=0.2)
    assert phone.events[-1].kind == "swipe"
    assert phone.find(resource_id="product_name").text != first.text


def test_send_keys_chinese_and_english_then_clear(d, phone):
    _open_search(phone)
    d.send_keys("白色T恤")
    assert phone.app_state("shop").query == "白色T恤"
    d.send_keys(" white tee")
    assert phone.app_state("shop").query == "白色T恤 white tee"
    d.clear_text()
    assert phone.app_state("shop").query == ""
    d.send_keys("mug", clear=True)
    assert phone.app_state("shop").query == "mug"
    d.press("enter")
    assert "mug" in phone.app_state("shop").searches


def test_set_text_through_a_selector(d, phone):
    _open_search(phone)
    d(focused=True).set_text("咖啡")
    assert phone.app_state("shop").query == "咖啡"
    assert d(focused=True).get_text() == "咖啡"


def test_press_back_and_home(d, phone):
    phone.launch(SHOP)
    d.press("home")
    assert phone.current_package() != SHOP
    assert [e.key for e in phone.events[-1:]] == ["home"]
    d.press("back")
    assert phone.events[-1].key == "back"
    d.press(4)  # KEYCODE_BACK
    assert phone.events[-1].key == "back"


def test_app_start_and_app_current(d, phone):
    d.app_start(SHOP)
    assert phone.current_package() == SHOP
    current = d.app_current()
    assert current["package"] == SHOP
    assert current["activity"] == phone.current_activity()
    assert SHOP in d.app_list()
    assert SHOP in d.app_list_running()
    d.app_stop(SHOP)
    assert d.app_current()["package"] != SHOP


def test_selector_click(d, phone):
    d(description="Travel 旅行").click(timeout=2)
    assert phone.current_package() == "com.autoagent.travel"


# -- bad input ------------------------------------------------------------------------------

def test_tap_outside_the_screen_is_an_error_and_phone_stays_usable(d, phone):
    for bad in [(5000, 100), (1080, 2400)]:
        with pytest.raises(u2.RPCError, match="outside the 1080x2400 screen"):
            d.click(*bad)
    # The client refuses negative points itself; sent raw, the server refuses them too.
    with pytest.raises(u2.RPCError, match=r"point \(100, -1\) is outside"):
        d.jsonrpc.click(100, -1)
    with pytest.raises(u2.RPCError, match="outside"):
        d.swipe(10, 10, 10, 9000)
    icon = phone.find(desc="Shop 商城")
    d.click(*icon.center)
    assert phone.current_package() == SHOP


def test_unknown_method_and_key_are_rpc_errors(d, phone):
    with pytest.raises(u2.RPCError, match="-32601 Method not found: frobnicate"):
        d.jsonrpc.frobnicate(1, 2)
    with pytest.raises(u2.RPCError, match="unknown key 'volume_up'"):
        d.press("volume_up")
    with pytest.raises(u2.RPCError, match="Invalid params for click"):
        d.jsonrpc.click(1, 2, 3, 4, 5)
    with pytest.raises(u2.UiObjectNotFoundError):
        d(text="no such thing anywhere").get_text(timeout=0.1)
    assert d.window_size() == (1080, 2400)


def _raw_rpc(wire_server, body: bytes) -> dict:
    """POST a raw body to /jsonrpc/0 through adb's tcp: service."""
    dev = adbutils.AdbClient(host="127.0.0.1", port=wire_server.adb_port).device(wire_server.serial)
    sock = dev.create_connection(adbutils.Network.TCP, 9008)
    conn = http.client.HTTPConnection("localhost")
    conn.sock = sock
    conn.request("POST", "/jsonrpc/0", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    data = json.loads(resp.read())
    conn.close()
    return data


def test_malformed_json_rpc_requests(d, wire_server):
    assert _raw_rpc(wire_server, b"{not json")["error"]["code"] == -32700
    assert _raw_rpc(wire_server, b"[1, 2]")["error"]["code"] == -32600
    assert _raw_rpc(wire_server, json.dumps({"jsonrpc": "2.0", "id": 7, "method": "click", "params": "x"}).encode()) == {
        "jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "Invalid params: expected a list or an object"},
    }
    ok = _raw_rpc(wire_server, json.dumps({"jsonrpc": "2.0", "id": 8, "method": "deviceInfo"}).encode())
    assert ok["id"] == 8 and ok["result"]["displayWidth"] == 1080


def test_client_vanishing_mid_request_leaves_the_server_working(d, wire_server):
    dev = adbutils.AdbClient(host="127.0.0.1", port=wire_server.adb_port).device(wire_server.serial)
    sock = dev.create_connection(adbutils.Network.TCP, 9008)
    sock.sendall(b"POST /jsonrpc/0 HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{\"method\": \"cli")
    sock.close()
    sock = dev.create_connection(adbutils.Network.TCP, 9008)
    sock.sendall(b"GET /pi")
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()
    assert d.info["displayWidth"] == 1080
    d.click(540, 1200)


# -- the stock client found by environment, against `python -m emulator serve` ----------------

def test_cli_server_with_the_stock_client_in_another_process(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving emulator-5554 on 127.0.0.1:"), line
        port = line.strip().rsplit(":", 1)[1]
        script = (
            "import uiautomator2 as u2\n"
            "d = u2.connect()\n"  # serial and server come from the environment
            "print(d.window_size(), d.app_current()['package'])\n"
            "d.stop_uiautomator(wait=False)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
            env=dict(env, ANDROID_ADB_SERVER_PORT=port, ANDROID_SERIAL="emulator-5554",
                     ADBUTILS_ADB_PATH="/nonexistent/adb"),
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "(1080, 2400) com.autoagent.launcher"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
