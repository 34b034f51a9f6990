"""Taps on a phone viewport stay single taps: Chromium's touch emulation would merge two taps
less than its double-tap window apart into a double tap (``dblclick``), which selects text,
runs handlers twice and can zoom a page without ``<meta name="viewport">``."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Type
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_touch import DOUBLE_TAP_SLOP_PX, DOUBLE_TAP_WINDOW_S, TapSpacer
from autoagent.actuators.execute import execute
from autoagent.perception.dom import find_node
from tests.pages import serve_pages

# A desktop-first page (no viewport tag: a phone lays it out 980 px wide and zooms out), two
# fields one above the other, as in a login or a table's answer form.
FORM = """<!doctype html><html><body>
<div style='width:160px'>
<input id=first style='display:block;width:150px;height:22px'>
<input id=second style='display:block;width:150px;height:22px'>
<button id=go style='display:block;width:60px;height:22px'>Go</button></div>
<script>
window.seen = [];
for (const kind of ['click', 'dblclick']) document.addEventListener(kind, e => seen.push(kind + ':' + e.target.id), true);
</script></body></html>"""


@pytest.fixture(scope="module")
def url():
    with serve_pages({"/form": FORM}) as base:
        yield base + "/form"


def test_quick_taps_on_nearby_fields_stay_single_taps(browser: Browser, url: str) -> None:
    with BrowserDevice.attach(browser, url, mobile=True) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes
        for rid, text in (("first", "Kasie"), ("second", "42"), ("first", "Kasie M")):
            dev.tap(*find_node(nodes, resource_id=rid).center)
            execute(Type(text=text), dev)
        dev.tap(*find_node(nodes, resource_id="go").center)
        seen = dev.page.evaluate("seen")
        assert not [s for s in seen if s.startswith("dblclick")], seen
        assert seen == ["click:first", "click:second", "click:first", "click:go"]
        assert dev.page.evaluate("[first.value, second.value]") == ["Kasie M", "42"]


def test_a_double_tap_is_still_one(browser: Browser, url: str) -> None:
    with BrowserDevice.attach(browser, url, mobile=True) as dev:
        assert dev.wait_until_settled(5)
        go = find_node(dev.observe().tree.nodes, resource_id="go")
        dev.tap(*go.center)
        dev.double_tap(*go.center)  # its first tap does not pair with the tap before
        assert dev.page.evaluate("seen") == ["click:go", "click:go", "click:go", "dblclick:go"]


def test_taps_far_apart_or_late_do_not_wait() -> None:
    now = [100.0]
    spacer = TapSpacer(clock=lambda: now[0])
    assert spacer.wait_needed(10, 10) == 0
    spacer.lifted(10, 10)
    assert spacer.wait_needed(10, 10 + DOUBLE_TAP_SLOP_PX + 1) == 0  # elsewhere on the screen
    now[0] += 0.1
    assert spacer.wait_needed(10, 30) == pytest.approx(DOUBLE_TAP_WINDOW_S - 0.1)
    now[0] += DOUBLE_TAP_WINDOW_S
    assert spacer.wait_needed(10, 30) == 0
    spacer.lifted(10, 10)
    spacer.forget()  # a swipe since: nothing to pair with
    assert spacer.wait_needed(10, 10) == 0


def test_a_tap_far_from_the_last_costs_nothing(browser: Browser, url: str) -> None:
    with BrowserDevice.attach(browser, url, mobile=True) as dev:
        assert dev.wait_until_settled(5)
        dev.tap(20, 20)
        started = time.monotonic()
        dev.tap(20, 20 + int(DOUBLE_TAP_SLOP_PX) + 50)
        assert time.monotonic() - started < DOUBLE_TAP_WINDOW_S / 2
