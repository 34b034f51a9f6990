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


# -- selectors with child/sibling steps, index, named UiObjects --------------------------------

PRODUCT_LIST = f"{SHOP}:id/product_list"
LAUNCHER = "com.autoagent.launcher"


def _offset(phone) -> int:
    """How far the Shop home list is scrolled, in pixels (the app's own record)."""
    return phone.app("shop").scroll_offset("home_list")


def _names_on_screen(phone) -> list[str]:
    return [n.text for n in phone.find_all(resource_id="product_name")]


def test_child_sibling_and_index_selectors(d, phone):
    phone.launch(SHOP)
    names = _names_on_screen(phone)
    in_list = d(resourceId=PRODUCT_LIST).child(resourceId=f"{SHOP}:id/product_name")
    assert in_list.count == len(names) > 2
    assert [info["text"] for info in in_list.info_list()] == names
    assert in_list[1].get_text() == names[1]  # instance applies to the last step of the chain
    # A sibling step searches under the parent: the price on the same card as the name.
    first = phone.app_state("shop").catalogue[0]
    price = d(text=first.name).sibling(resourceId=f"{SHOP}:id/product_price").get_text()
    assert price == f"¥{first.price_cents / 100:.2f}"
    # index is the position among the parent's children: a card is image(0), title(1), ...
    card = d(resourceId=f"{SHOP}:id/product_item", instance=0)
    assert card.child(index=1).get_text() == names[0]
    assert card.child(index=0).info["className"] == "android.widget.ImageView"
    assert not d(resourceId=PRODUCT_LIST).child(text="no such product").exists


def test_child_count_is_the_number_of_child_nodes(d, phone):
    phone.launch(SHOP)
    cards = phone.find_all(resource_id="product_item")
    assert d(resourceId=PRODUCT_LIST).info["childCount"] == len(cards) > 2
    # image, title, rating line, price
    assert d(resourceId=f"{SHOP}:id/product_item", instance=0).info["childCount"] == 4
    assert d(resourceId=f"{SHOP}:id/product_name", instance=0).info["childCount"] == 0


def test_child_by_text_scrolls_a_list_to_the_row_and_returns_it(d, phone):
    phone.launch(SHOP)
    target = phone.app_state("shop").catalogue[12]
    assert target.name not in _names_on_screen(phone)
    row = d(resourceId=PRODUCT_LIST).child_by_text(target.name, resourceId=f"{SHOP}:id/product_item")
    assert _offset(phone) > 0 and target.name in _names_on_screen(phone)
    assert row.exists and row.info["resourceName"] == f"{SHOP}:id/product_item"
    row.click()
    assert phone.app("shop").top.name == "product"
    assert phone.app("shop").top.params["product_id"] == target.id


def test_child_by_text_description_and_instance_in_a_plain_collection(d, phone):
    workspace = d(resourceId=f"{LAUNCHER}:id/workspace")
    icon = f"{LAUNCHER}:id/app_icon"
    # The label text sits in a child of the icon: the icon (the row) is what comes back.
    contacts = workspace.child_by_text("Contacts", resourceId=icon)
    assert contacts.info["contentDescription"] == phone.find(desc="Contacts", contains=True).desc
    third = workspace.child_by_instance(2, resourceId=icon)
    assert third.info["contentDescription"] == phone.find_all(resource_id="app_icon")[2].desc
    with pytest.raises(u2.UiObjectNotFoundError):
        workspace.child_by_text("No such app", resourceId=icon)
    workspace.child_by_description("Travel", resourceId=icon).click()
    assert phone.current_package() == "com.autoagent.travel"


# -- UiScrollable: scroll and fling ------------------------------------------------------------

def test_scroll_forward_backward_to_end_and_beginning(d, phone):
    phone.launch(SHOP)
    catalogue = phone.app_state("shop").catalogue
    lst = d(scrollable=True)
    box = lst.info["bounds"]
    height = box["bottom"] - box["top"]
    # One UiScrollable swipe runs between points 10% inside the list's top and bottom edges.
    assert lst.scroll.forward() is True
    assert _offset(phone) == height - 2 * int(height * 0.1)
    assert phone.events[-1].kind == "swipe"
    assert lst.scroll.backward() is False  # back at the top: nothing more that way
    assert _offset(phone) == 0
    assert lst.scroll.toEnd() is True
    assert catalogue[-1].name in _names_on_screen(phone)
    end = _offset(phone)
    assert lst.scroll.forward() is False and _offset(phone) == end
    assert lst.scroll.toBeginning() is True
    assert _offset(phone) == 0 and catalogue[0].name in _names_on_screen(phone)
    # The list scrolls vertically: a horizontal scroll moves nothing.
    assert lst.scroll.horiz.forward() is False and _offset(phone) == 0


def test_scroll_to_brings_a_matching_item_into_view(d, phone):
    phone.launch(SHOP)
    catalogue = phone.app_state("shop").catalogue
    lst = d(scrollable=True)
    assert lst.scroll.to(text=catalogue[-1].name) is True
    assert catalogue[-1].name in _names_on_screen(phone)
    # From the end it starts over at the beginning, as UiScrollable.scrollIntoView does.
    assert lst.scroll.to(text=catalogue[1].name) is True
    assert catalogue[1].name in _names_on_screen(phone)
    assert lst.scroll.to(text="No such product 不存在") is False
    assert catalogue[-1].name in _names_on_screen(phone)  # searched all the way down
    with pytest.raises(u2.UiObjectNotFoundError):
        d(resourceId=f"{SHOP}:id/no_such_list").scroll.forward()


def test_fling_moves_the_list(d, phone):
    phone.launch(SHOP)
    catalogue = phone.app_state("shop").catalogue
    lst = d(scrollable=True)
    assert lst.fling.forward() is True
    moved = _offset(phone)
    assert moved > 0
    assert lst.fling.toEnd() is True
    assert catalogue[-1].name in _names_on_screen(phone)
    end = _offset(phone)
    assert lst.fling.backward() is True and _offset(phone) == end - moved
    assert lst.fling.toBeginning() is True and _offset(phone) == 0


# -- drag_to, pinch ----------------------------------------------------------------------------

def test_drag_to_an_element_and_to_a_point(d, phone):
    phone.launch(SHOP)
    name = f"{SHOP}:id/product_name"
    src = phone.find_all(resource_id="product_name")[2]
    dst = phone.find(resource_id="section_title")
    # Dragging a card up onto the section title drags the list with the finger.
    assert d(resourceId=name, instance=2).drag_to(resourceId=f"{SHOP}:id/section_title", duration=0.1) is True
    assert phone.events[-1].kind == "swipe"
    assert (phone.events[-1].x, phone.events[-1].y) == src.center
    assert _offset(phone) == src.center[1] - dst.center[1]
    before = _offset(phone)
    src = phone.find_all(resource_id="product_name")[1]
    d(resourceId=name, instance=1).drag_to(src.center[0], src.center[1] + 300, duration=0.1)
    assert phone.events[-1].detail == f"to {src.center[0]},{src.center[1] + 300}"
    assert _offset(phone) == before - 300


def test_pinch_in_and_out_are_performed_and_change_nothing(d, phone):
    phone.launch(SHOP)
    lst = d(resourceId=PRODUCT_LIST)
    box = lst.info["bounds"]
    centre = ((box["left"] + box["right"]) // 2, (box["top"] + box["bottom"]) // 2)
    width = box["right"] - box["left"]
    shot = phone.screenshot().tobytes()
    assert lst.pinch_in() is True
    assert phone.events[-1].kind == "pinch"
    assert (phone.events[-1].x, phone.events[-1].y) == centre
    assert phone.events[-1].detail == f"span {width} to 40"  # fingers end 20 px either side
    assert lst.pinch_out(percent=50) is True
    assert phone.events[-1].detail == f"span 40 to {width // 2}"
    # No app here zooms: the screen is as it was, and no tap or scroll happened.
    assert phone.screenshot().tobytes() == shot
    assert _offset(phone) == 0 and phone.app("shop").top.name == "home"


# -- toasts, orientation, set_text, shell pipes --------------------------------------------------

def test_toast_message_while_a_toast_is_on_screen(d, phone):
    assert d.toast.get_message(wait_timeout=0) is None
    phone.launch(SHOP)
    product = next(p for p in phone.app_state("shop").catalogue if p.sizes)
    d(resourceId=PRODUCT_LIST).child_by_text(product.name, resourceId=f"{SHOP}:id/product_item").click()
    assert phone.wait_until_settled(5)
    d(resourceId=f"{SHOP}:id/add_to_cart_button").click()  # no size chosen yet: the app complains
    assert phone.find(cls="android.widget.Toast").text == "Please choose a size 请选择尺码"
    assert d.toast.get_message(wait_timeout=2) == "Please choose a size 请选择尺码"
    d.toast.reset()
    assert d.toast.get_message(wait_timeout=0) is None
    d.toast.show("Hello 你好")
    assert phone.find(cls="android.widget.Toast").text == "Hello 你好"
    assert d.toast.get_message(wait_timeout=0) == "Hello 你好"


def test_orientation_requests_leave_the_portrait_only_phone_upright(d, phone):
    """Every app here is portrait-only: setOrientation returns normally and the display stays at
    rotation 0, as on a phone whose foreground app is locked to portrait."""
    assert d.orientation == "natural"
    d.set_orientation("l")
    d.orientation = "right"
    assert d.orientation == "natural"
    assert d.info["displayRotation"] == 0
    assert d.window_size() == phone.screen_size() == (1080, 2400)
    with pytest.raises(ValueError):
        d.set_orientation("sideways")  # the client itself refuses unknown names


def test_set_text_on_the_home_search_box_sets_its_text(d, phone):
    phone.launch(SHOP)
    box = d(resourceId=f"{SHOP}:id/search_box")
    box.set_text("mug")
    assert phone.app("shop").top.name == "home"  # set, not tapped: no search page opened
    assert phone.find(resource_id="search_box").text == "mug"
    assert box.get_text() == "mug" and box.info["focused"] is True
    d.press("enter")
    assert phone.app("shop").top.name == "results"
    assert phone.app("shop").top.params["query"] == "mug"
    d.press("back")
    box.clear_text()
    assert phone.find(resource_id="search_box").text == "Search products 搜索商品"


def test_set_text_replaces_the_text_of_a_search_field(d, phone):
    _open_search(phone)
    d(resourceId=f"{SHOP}:id/search_input").set_text("tea")
    d(resourceId=f"{SHOP}:id/search_input").set_text("白色T恤")
    assert phone.app_state("shop").query == "白色T恤"
    d(resourceId=f"{SHOP}:id/search_input").clear_text()
    assert phone.app_state("shop").query == ""


def test_shell_pipes_through_common_filters(d, phone):
    packages = sorted(phone.packages())
    listed = d.shell("pm list packages | grep shop")
    assert (listed.output, listed.exit_code) == (f"package:{SHOP}\n", 0)
    assert d.shell("pm list packages | wc -l").output.strip() == str(len(packages))
    assert d.shell("pm list packages | head -n 2").output.splitlines() == [f"package:{p}" for p in packages[:2]]
    assert d.shell("pm list packages | tail -1").output == f"package:{packages[-1]}\n"
    assert d.shell("pm list packages | grep -v autoagent | wc -l").output.strip() == str(
        sum("autoagent" not in p for p in packages))
    missing = d.shell("pm list packages | grep no.such.package")
    assert (missing.output, missing.exit_code) == ("", 1)
    assert d.shell("getprop | grep -E 'ro.product.(model|brand)' | wc -l").output.strip() == "2"
