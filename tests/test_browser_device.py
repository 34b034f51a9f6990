"""BrowserDevice against real headless Chromium: input, scrolling, waiting, navigation, loss."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Launch, Swipe, Type, Wait
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_runtime import (
    CHROMIUM_ARGS,
    find_chromium,
)
from autoagent.actuators.execute import execute
from autoagent.device import Device, DeviceError, DeviceLost, UnknownApp
from autoagent.perception.dom import find_node
from autoagent.perception.hierarchy import parse_hierarchy
from emulator.web import DemoSite, serve_demo_site


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with serve_demo_site() as s:
        yield s


@pytest.fixture(params=[False, True], ids=["desktop", "phone"])
def device(request: pytest.FixtureRequest, browser: Browser, site: DemoSite) -> Iterator[BrowserDevice]:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=request.param,
                              sites={"shop": site.url + "/shop", "hotel": site.url + "/hotel"}) as dev:
        assert dev.wait_until_settled(5)
        yield dev


def nodes(dev: BrowserDevice):
    return parse_hierarchy(dev.observe().hierarchy or "")


def field_value(dev: BrowserDevice, rid: str) -> str:
    return dev.page.eval_on_selector(f"#{rid}", "e => e.value")


def test_is_a_device(device: BrowserDevice) -> None:
    assert isinstance(device, Device) and device.name == "browser"
    obs = device.observe()
    assert obs.app == "shop" and obs.size == device.screen_size()
    assert obs.size == ((390, 844) if device.mobile else (1280, 800))


def test_typing_chinese_then_enter_searches(device: BrowserDevice) -> None:
    search = find_node(nodes(device), resource_id="search")
    device.tap(*search.center)
    device.type_text("蓝牙耳机")
    assert field_value(device, "search") == "蓝牙耳机"
    assert find_node(nodes(device), resource_id="search").focused
    device.type_text("\n")
    assert device.wait_until_settled(5)
    assert "q=%E8%93%9D%E7%89%99" in device.url
    listed = nodes(device)
    assert find_node(listed, text="无线蓝牙耳机") is not None and find_node(listed, text="Wireless Mouse") is None


def test_typing_ascii_and_mixed(device: BrowserDevice) -> None:
    device.tap(*find_node(nodes(device), resource_id="search").center)
    device.type_text("USB-C 线 cable ✓")
    assert field_value(device, "search") == "USB-C 线 cable ✓"
    device.type_text("USB-A")  # Type replaces what the field holds
    assert field_value(device, "search") == "USB-A"


def test_swipe_up_scrolls_the_list_down_and_back(device: BrowserDevice) -> None:
    height = device.screen_size()[1]
    assert find_node(nodes(device), text="Desk Organizer") is None
    for _ in range(12):
        execute(Swipe(start=(500, 800), end=(500, 200)), device)
        assert device.wait_until_settled(5)
        if find_node(nodes(device), text="Desk Organizer") is not None:
            break
    else:
        pytest.fail("the last product never scrolled into view")
    scrolled = device.page.evaluate("scrollY")
    assert scrolled > height / 2
    execute(Swipe(start=(500, 200), end=(500, 800)), device)  # swipe down: content moves up
    assert device.wait_until_settled(5)
    assert device.page.evaluate("scrollY") < scrolled


def test_wait_covers_a_slow_script_and_a_slow_server(device: BrowserDevice, site: DemoSite) -> None:
    device.goto(site.url + "/slow?ms=1200")
    started = time.monotonic()
    assert device.wait_until_settled(6)
    waited = time.monotonic() - started
    labels = [n.label for n in nodes(device)]
    assert "数据加载完成" in labels and "Loading" not in labels
    assert 1.0 < waited < 4, waited
    # A slow server: the tap returns at once, the wait lasts until the new page is there.
    device.goto(site.url + "/shop")
    device.wait_until_settled(5)
    site.slow_ms = 800
    try:
        device.tap(*find_node(nodes(device), text="Hotels").center)
        started = time.monotonic()
        assert device.wait_until_settled(5)
        assert time.monotonic() - started > 0.5
        assert find_node(nodes(device), text="Search hotels") is not None
    finally:
        site.slow_ms = 0
    # The wait is bounded: a page still loading gives False once the time is up.
    device.goto(site.url + "/slow?ms=1500")
    started = time.monotonic()
    assert device.wait_until_settled(0.5) is False
    assert time.monotonic() - started < 1.5
    execute(Wait(seconds=2), device)
    assert "数据加载完成" in device.observe().hierarchy


def test_wait_waits_the_whole_duration_even_on_a_still_page(device: BrowserDevice) -> None:
    """A model asks to wait because it expects something a still page does not show yet (a
    debounced suggestion list): Wait lasts what it asked for."""
    device.page.evaluate("setTimeout(() => { const p = document.createElement('p'); p.id = 'late';"
                         " p.textContent = 'Suggestions'; document.body.prepend(p); }, 800)")
    started = time.monotonic()
    execute(Wait(seconds=1.2), device)
    assert time.monotonic() - started >= 1.2
    assert find_node(nodes(device), resource_id="late") is not None


def test_back_home_and_launch(device: BrowserDevice, site: DemoSite) -> None:
    execute(Launch(app="hotel"), device)
    device.wait_until_settled(5)
    assert device.url == site.url + "/hotel" and device.observe().app == "hotel"
    device.back()
    device.wait_until_settled(5)
    assert device.url == site.url + "/shop"
    device.launch(site.url + "/shop/cart")  # a URL works too
    device.wait_until_settled(5)
    assert "Your cart is empty" in device.observe().hierarchy
    device.home()
    device.wait_until_settled(5)
    assert device.url == site.url + "/shop"
    with pytest.raises(UnknownApp, match=r"no site named 'nosuchapp' \(known: hotel, shop\)"):
        device.launch("nosuchapp")
    assert device.resolve_site("淘宝") == "https://www.taobao.com"
    assert device.resolve_site("example.com/x") == "https://example.com/x"


INPUT_LAB = """
<meta name=viewport content='width=device-width'>
<style>div{height:120px;margin:10px;border:1px solid}</style>
<div id=dbl>double</div><div id=long>long</div><p id=log></p>
<script>
const log = (t) => document.getElementById('log').textContent += t + ';';
document.getElementById('dbl').addEventListener('dblclick', () => log('dbl'));
let down = 0;
const long = document.getElementById('long');
for (const [s, e] of [['mousedown', 'mouseup'], ['touchstart', 'touchend']]) {
  long.addEventListener(s, () => { down = performance.now(); });
  long.addEventListener(e, () => log('held' + (performance.now() - down > 500 ? '-long' : '-short')));
}
</script>
"""


def test_double_tap_and_long_press(device: BrowserDevice) -> None:
    device.page.set_content(INPUT_LAB)
    device.wait_until_settled(5)
    tree = nodes(device)
    long = find_node(tree, text="long")
    device.long_press(*long.center, seconds=0.7)
    device.long_press(*long.center, seconds=0.1)
    log = device.page.text_content("#log")
    assert log.startswith("held-long;held-short;")
    if not device.mobile:  # touch double taps do not make dblclick without a gesture recogniser
        device.double_tap(*find_node(tree, text="double").center)
        assert "dbl" in device.page.text_content("#log")


def test_popup_is_followed_and_back_closes_it(device: BrowserDevice, site: DemoSite) -> None:
    device.page.set_content(f"<a href='{site.url}/hotel' target='_blank' style='font-size:40px'>open hotels</a>")
    device.tap(*find_node(nodes(device), text="open hotels").center)
    assert device.wait_until_settled(5)
    assert device.url == site.url + "/hotel"
    device.back()
    device.wait_until_settled(5)
    assert "open hotels" in device.observe().hierarchy


def test_crashed_page_is_device_lost(browser: Browser, site: DemoSite) -> None:
    dev = BrowserDevice.attach(browser, site.url + "/shop")
    try:
        dev.wait_until_settled(5)
        try:
            dev.page.goto("chrome://crash", timeout=5000)  # Chromium's own way to kill a renderer
        except Exception:
            pass  # the navigation is aborted by the crash it causes
        with pytest.raises(DeviceLost, match="crashed"):
            dev.observe()
        with pytest.raises(DeviceLost):
            dev.tap(10, 10)
    finally:
        dev.close()
    assert browser.is_connected()  # one tab died, not the shared browser


def test_bad_executable_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="no browser at"):
        BrowserDevice.start("about:blank", executable=tmp_path / "nope")


@pytest.fixture
def remote_chromium(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """A separate Chromium with a DevTools port, as on a browser farm."""
    proc = subprocess.Popen(
        [find_chromium(), "--headless", *CHROMIUM_ARGS, "--remote-debugging-port=0",
         f"--user-data-dir={tmp_path / 'profile'}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    endpoint = None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and endpoint is None:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        if m := re.search(r"DevTools listening on (ws://\S+)", line):
            endpoint = m[1]
    if endpoint is None:
        proc.kill()
        pytest.fail("Chromium did not print its DevTools endpoint")
    yield proc, endpoint
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_connect_over_cdp_and_lose_the_browser(remote_chromium, site: DemoSite) -> None:
    proc, ws = remote_chromium
    port = re.search(r":(\d+)/", ws)[1]
    dev = BrowserDevice.connect(f"http://127.0.0.1:{port}", site.url + "/shop", mobile=True)
    try:
        assert dev.wait_until_settled(5)
        obs = dev.observe()
        assert obs.size == (390, 844) and "Wireless Mouse" in obs.hierarchy
        execute(Type(text="x"), dev)
        os.killpg(proc.pid, signal.SIGKILL)  # the farm's browser dies
        proc.wait(timeout=10)
        with pytest.raises(DeviceLost, match="browser"):
            for _ in range(3):  # the first call may still be answered from buffers
                dev.observe()
                dev.wait_until_settled(1)
    finally:
        dev.close()
    with pytest.raises(DeviceLost, match="could not connect"):
        BrowserDevice.connect(f"http://127.0.0.1:{port}", timeout=2)


DESKTOP_FIRST_PAGE = """<!doctype html><html><head><title>wide</title></head><body style="margin:0;width:980px">
<button id="near" style="position:absolute;left:250px;top:200px;width:200px;height:80px"
        onclick="window.hit='near'">Near</button>
<button id="far" style="position:absolute;left:700px;top:200px;width:200px;height:80px"
        onclick="window.hit='far'">Far</button>
</body></html>"""


@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])
def test_a_tap_lands_on_what_the_hierarchy_shows_on_a_page_without_a_viewport_tag(
        browser: Browser, mobile: bool) -> None:
    """Most desktop-first pages have no <meta name="viewport">: a phone lays them out 980 CSS px
    wide and shows them zoomed out. Taps must be converted as the hierarchy is scaled."""
    import urllib.parse

    url = "data:text/html," + urllib.parse.quote(DESKTOP_FIRST_PAGE)
    with BrowserDevice.attach(browser, url, mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        far = find_node(nodes(dev), resource_id="far")
        assert far is not None
        dev.tap(*far.center)
        assert dev.page.evaluate("window.hit || null") == "far"


def test_a_sentence_with_markup_in_it_is_one_node(browser: Browser) -> None:
    """Inline markup does not split a sentence: the value keeps its place in the instruction,
    and a button's emphasised amount is part of its label."""
    import urllib.parse

    page = ('<!doctype html><meta name="viewport" content="width=device-width">'
            '<div id="query">Enter "<b>Kasie</b>" into the text field and press <i>Submit</i>.</div>'
            '<button id="pay">Pay <strong>$5.00</strong></button>'
            '<p><span>Price</span> <span>$3</span></p>'
            "<p id='due'>Amount due: <span id='amount'>$9.50</span></p>")
    with BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(page), mobile=True) as dev:
        assert dev.wait_until_settled(5)
        found = nodes(dev)
        query = find_node(found, resource_id="query")
        assert query is not None and query.text == 'Enter "Kasie" into the text field and press Submit.'
        assert not any(n.text == "Kasie" for n in found)
        pay = find_node(found, resource_id="pay")
        assert pay is not None and pay.text == "Pay $5.00"
        # Markup with no sentence of its own around it keeps its nodes.
        assert {"Price", "$3"} <= {n.text for n in found}
        # Markup with an id is read in its sentence and stays a node that can be named.
        assert find_node(found, resource_id="due").text == "Amount due: $9.50"
        assert find_node(found, resource_id="amount").text == "$9.50"


@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])
def test_a_select_opens_as_a_list_whose_options_a_tap_chooses(browser: Browser, mobile: bool) -> None:
    """Like an Android Spinner: tapping a <select> shows its options in the hierarchy and on the
    screen, and tapping one chooses it (the page hears the change)."""
    import urllib.parse

    page = ('<!doctype html><meta name="viewport" content="width=device-width"><label>Colour '
            '<select id="colour" onchange="window.changed = this.value">'
            '<option value="red">Red</option><option value="blue">Blue</option>'
            '<option value="green" disabled>Green</option></select></label>')
    with BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(page), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        colour = find_node(nodes(dev), resource_id="colour")
        assert colour is not None and colour.text == "Red"
        dev.tap(*colour.center)
        dev.wait_until_settled(5)
        shown = nodes(dev)
        options = [n for n in shown if n.text in ("Red", "Blue", "Green") and not n.cls.endswith("Spinner")]
        assert [(n.text, n.clickable, n.enabled) for n in options] == [
            ("Red", True, True), ("Blue", True, True), ("Green", True, False)]
        dev.tap(*next(n for n in options if n.text == "Blue").center)
        dev.wait_until_settled(5)
        assert dev.page.evaluate("[document.getElementById('colour').value, window.changed]") == ["blue", "blue"]
        after = nodes(dev)
        assert find_node(after, resource_id="colour").text == "Blue"
        assert not any(n.text == "Green" for n in after)  # the list is closed
