"""Date and time inputs take a typed date: ISO, the local order Chromium shows (mm/dd/yyyy),
or Chinese, and a typed time, with a colon or as the segments' digits ("0804PM"), set the way
the field's own picker sets it (the page hears input and change)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Type
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.execute import execute
from autoagent.perception.dom import find_node
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

PICKERS = """<!doctype html><meta name=viewport content='width=device-width'>
<style>input{display:block;width:300px;height:40px;margin:8px;font-size:16px}</style>
<input id=day type=date aria-label='Day'><input id=at type=time aria-label='Time'>
<input id=when type=datetime-local aria-label='When'><input id=month type=month aria-label='Month'>
<p id=log></p>
<script>for (const i of document.querySelectorAll('input'))
  i.addEventListener('change', () => document.getElementById('log').textContent += i.id + '=' + i.value + ';');</script>
"""


@VIEWPORTS
@pytest.mark.parametrize("field,text,value", [
    ("day", "2025-06-20", "2025-06-20"),
    ("day", "06/20/2025", "2025-06-20"),
    ("day", "2025年6月20日", "2025-06-20"),
    ("at", "14:30", "14:30"),
    ("at", "2:30 PM", "14:30"),
    ("at", "0804PM", "20:04"),  # as typed into the segments: not 4 PM
    ("at", "1205 am", "00:05"),
    ("when", "2025-06-20 09:05", "2025-06-20T09:05"),
    ("month", "2025-06", "2025-06"),
])
def test_typing_a_date_into_a_date_input_sets_it(browser: Browser, mobile: bool, field: str, text: str,
                                                 value: str) -> None:
    with BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(PICKERS), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        dev.tap(*find_node(dev.observe().tree.nodes, resource_id=field).center)
        execute(Type(text=text), dev)
        assert dev.page.evaluate(f"document.getElementById('{field}').value") == value
        assert dev.page.evaluate("document.getElementById('log').textContent") == f"{field}={value};"
        # A second date replaces the first, as Type does in any field.
        if field == "day":
            execute(Type(text="2026-01-02"), dev)
            assert dev.page.evaluate("document.getElementById('day').value") == "2026-01-02"


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


@VIEWPORTS
def test_the_demo_hotel_search_takes_dates_in_real_date_inputs(browser: Browser, site: DemoSite,
                                                               mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/hotel", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes
        assert dev.page.evaluate("document.getElementById('arrive').type") == "date"
        for rid, text in (("dest", "杭州"), ("arrive", "05/01/2025"), ("depart", "2025年5月3日")):
            dev.tap(*find_node(nodes, resource_id=rid).center)
            execute(Type(text=text), dev)
        dev.tap(*find_node(nodes, text="Search hotels").center)
        assert dev.wait_until_settled(5)
        assert "arrive=2025-05-01" in dev.url and "depart=2025-05-03" in dev.url
        assert find_node(dev.observe().tree.nodes, contains="Hangzhou Lakeside") is not None
