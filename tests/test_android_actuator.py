"""AndroidDevice (uiautomator2 over adb) driving the emulator phone through the wire server."""

from __future__ import annotations

import socket

import pytest

from autoagent.actions import Back, Launch, Swipe, Tap, Type
from autoagent.actuators.android import AndroidDevice
from autoagent.actuators.execute import execute
from autoagent.device import Device, DeviceError, DeviceLost, UnknownApp
from autoagent.geometry import to_relative
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.perception.tree import UINode
from emulator import Phone
from emulator.wire import serve

SHOP = "com.autoagent.shop"


pytestmark = pytest.mark.usefixtures("no_adb_daemon")


@pytest.fixture()
def phone(wire_server):
    return wire_server.phone


@pytest.fixture()
def dev(wire_server):
    device = AndroidDevice.connect(wire_server.serial, adb_host="127.0.0.1", adb_port=wire_server.adb_port)
    yield device
    device.close()


def _node(dev: AndroidDevice, rid: str | None = None, text: str | None = None) -> UINode:
    """Find a node the way an agent sees the screen: in the device's own observation."""
    xml = dev.observe().hierarchy
    for node in parse_hierarchy(xml):
        if rid is not None and node.resource_id.split(":id/", 1)[-1] != rid:
            continue
        if text is not None and node.text != text:
            continue
        return node
    raise AssertionError(f"no node rid={rid!r} text={text!r} on screen")


def _tap(dev: AndroidDevice, rid: str | None = None, text: str | None = None) -> None:
    dev.tap(*_node(dev, rid=rid, text=text).center)


# -- basics ---------------------------------------------------------------------------------

def test_is_a_device_and_observes_the_phone(dev, phone):
    assert isinstance(dev, Device)
    assert dev.name == "android:emulator-5554"
    assert dev.screen_size() == (1080, 2400)
    obs = dev.observe()
    assert obs.app == phone.current_package() == "com.autoagent.launcher"
    assert obs.hierarchy == phone.hierarchy_xml()
    assert obs.screenshot.tobytes() == phone.screenshot().convert("RGB").tobytes()


def test_connect_picks_the_only_device_and_reads_the_environment(wire_server, monkeypatch):
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(wire_server.adb_port))
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    device = AndroidDevice.connect()
    try:
        assert device.serial == wire_server.serial
    finally:
        device.close()


def test_connect_errors_are_clear_and_start_no_adb(wire_server):
    with pytest.raises(DeviceLost, match="device 'nope' is not online"):
        AndroidDevice.connect("nope", adb_host="127.0.0.1", adb_port=wire_server.adb_port)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    with pytest.raises(DeviceLost, match=f"no adb server answers at 127.0.0.1:{free_port}"):
        AndroidDevice.connect(adb_host="127.0.0.1", adb_port=free_port)


def test_launch_by_package_name_and_alias(dev, phone):
    dev.launch(SHOP)
    assert phone.current_package() == SHOP
    dev.home()
    dev.launch("旅行")
    assert phone.current_package() == "com.autoagent.travel"
    dev.launch("Restaurant")
    assert phone.current_package() == "com.autoagent.restaurant"
    dev.launch("外卖")
    assert phone.current_package() == "com.autoagent.restaurant"


def test_launch_unknown_app_is_unknown_app(dev, phone):
    with pytest.raises(UnknownApp, match="no app called '微信' is installed on emulator-5554"):
        dev.launch("微信")
    with pytest.raises(UnknownApp, match="known names on this phone: .*商城"):
        dev.launch("Frobnicator")
    assert phone.current_package() == "com.autoagent.launcher"


def test_tap_outside_the_screen_is_a_device_error(dev, phone):
    with pytest.raises(DeviceError, match=r"outside the 1080x2400 screen") as err:
        dev.tap(2000, 100)
    assert not isinstance(err.value, DeviceLost)
    with pytest.raises(DeviceError, match="outside"):
        dev.tap(-5, 100)
    dev.launch("shop")
    assert phone.current_package() == SHOP


def test_lost_server_is_device_lost(wire_server, dev):
    wire_server.stop()
    with pytest.raises(DeviceLost, match="emulator-5554"):
        dev.tap(10, 10)
    with pytest.raises(DeviceLost):
        dev.observe()


def test_closed_device_refuses_work(dev):
    dev.close()
    with pytest.raises(DeviceLost, match="was closed"):
        dev.back()


# -- settling -------------------------------------------------------------------------------

def test_wait_until_settled_on_a_still_screen(dev):
    assert dev.wait_until_settled(timeout=3) is True


def test_wait_until_settled_sees_a_spinner_and_times_out():
    with serve(Phone(seed=0, hazards={"slow"})) as srv:
        device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
        try:
            device.launch("shop")
            _tap(device, rid="search_box")
            device.type_text("mug\n")
            assert srv.phone.busy()  # the slow hazard keeps a spinner turning for 1-3 s
            assert device.wait_until_settled(timeout=0.3) is False
            assert device.wait_until_settled(timeout=8) is True
            assert not srv.phone.busy()
        finally:
            device.close()


def test_settling_hands_over_the_still_screen_as_the_next_observation(wire_server, phone, tmp_path):
    """Over the wire the screen is fetched once per step: the agent's next observation is the
    sample settling ended on, which is the phone's screen then."""
    from autoagent.agent import Agent
    from autoagent.policy.scripted import ScriptedPolicy

    device = AndroidDevice.connect(wire_server.serial, adb_host="127.0.0.1", adb_port=wire_server.adb_port)
    observed: list[str] = []
    observe = device.observe
    device.observe = lambda: observed.append("observe") or observe()  # type: ignore[method-assign]
    try:
        settled = device.settle(timeout=3)
        assert settled.hierarchy == phone.hierarchy_xml() and settled.app == phone.current_package()
        assert settled.screenshot.tobytes() == phone.screenshot().convert(settled.screenshot.mode).tobytes()
        policy = ScriptedPolicy(['do(action="Launch", app="Shop")', 'do(action="Back")', 'do(action="Home")',
                                 'finish(message="done")'])
        result = Agent(device=device, policy=policy, trace_root=tmp_path).run("open the shop and come back")
    finally:
        device.close()
    assert result.ok and result.steps == 4
    assert observed == ["observe"]  # the first screen only; each later one came from settling


# -- end to end: shop flow up to the payment sheet -------------------------------------------

def test_shop_flow_to_the_payment_sheet(dev, phone):
    shop = phone.app_state("shop")

    dev.launch("商城")
    assert phone.current_package() == SHOP

    _tap(dev, rid="search_box")
    dev.type_text("T恤")
    assert shop.query == "T恤"
    dev.type_text("\n")  # Enter submits the search
    assert shop.searches == ["T恤"]
    dev.wait_until_settled(timeout=5)

    # Scroll the results with a swipe and see the list move.
    first = _node(dev, rid="product_name").text
    dev.swipe(540, 1900, 540, 1100, seconds=0.2)
    assert _node(dev, rid="product_name").text != first
    dev.swipe(540, 1100, 540, 1900, seconds=0.2)
    assert _node(dev, rid="product_name").text == first

    _tap(dev, text="White T-shirt 白色T恤")
    dev.wait_until_settled(timeout=5)
    _tap(dev, rid="size_M")
    _tap(dev, rid="add_to_cart_button")
    assert [(line.product_id, line.size, line.qty) for line in shop.cart] == [("tshirt-white", "M", 1)]

    _tap(dev, rid="cart_button")
    _tap(dev, rid="checkout_button")
    for rid, text in (("address_name", "Alice Wang 王丽"), ("address_phone", "13800138000"),
                      ("address_line", "上海市 88 Century Ave")):
        _tap(dev, rid=rid)
        dev.type_text(text)
    assert (shop.address.name, shop.address.phone, shop.address.address) == (
        "Alice Wang 王丽", "13800138000", "上海市 88 Century Ave")
    dev.back()  # hide the keyboard so the order button shows

    _tap(dev, rid="place_order_button")
    assert _node(dev, rid="sheet_title").text == "Payment 支付"
    assert _node(dev, rid="pay_button") is not None
    assert phone.payments == []  # reaching the sheet pays nothing


def test_actions_through_execute(dev, phone):
    """The agent's path: relative 0-999 actions -> execute -> AndroidDevice -> wire -> phone."""
    execute(Launch(app="Shop"), dev)
    box = _node(dev, rid="search_box")
    execute(Tap(element=to_relative(box.center, dev.screen_size())), dev)
    execute(Type(text="mug\n"), dev)
    assert phone.app_state("shop").searches == ["mug"]
    execute(Swipe(start=to_relative((540, 1800), (1080, 2400)), end=to_relative((540, 1000), (1080, 2400))), dev)
    assert phone.events[-1].kind == "swipe"
    execute(Back(), dev)
    assert phone.events[-1].key == "back"
