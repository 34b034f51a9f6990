"""Settling on pages that never go quiet: a request that never ends (a stuck image, a long
poll) or a reply whose body is never read does not make every action wait the whole settle
timeout, while a page that is really still loading is still waited for."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from autoagent.actuators.browser import BrowserDevice
from autoagent.perception.dom import find_node
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

NEVER_QUIET = """<!doctype html><meta name=viewport content='width=device-width'>
<img src='/api/hang?ms=20000' alt='stuck picture' width=40 height=40>
<button id=go style='width:200px;height:50px' onclick="document.getElementById('out').textContent = 'pressed'">Go</button>
<p id=out></p>
<script>
  fetch('/api/hang?ms=20000');  // a long poll
  fetch('/api/hang?ms=20000&headers=1');  // a reply whose body never comes (and is never read)
</script>
"""


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


@VIEWPORTS
def test_a_request_that_never_ends_does_not_hold_every_action(browser: Browser, site: DemoSite,
                                                              mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        dev.page.route(site.url + "/lab", lambda route: route.fulfill(body=NEVER_QUIET, content_type="text/html"))
        dev.goto(site.url + "/lab")
        dev.wait_until_settled(5)
        for _ in range(2):
            go = find_node(dev.observe().tree.nodes, resource_id="go")
            dev.tap(*go.center)
            started = time.monotonic()
            assert dev.wait_until_settled(5)
            assert time.monotonic() - started < 1.5
            assert dev.page.evaluate("document.getElementById('out').textContent") == "pressed"


@VIEWPORTS
def test_a_request_the_action_started_is_still_waited_for(browser: Browser, site: DemoSite, mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        dev.page.route(site.url + "/lab", lambda route: route.fulfill(body=NEVER_QUIET, content_type="text/html"))
        dev.goto(site.url + "/lab")
        dev.wait_until_settled(5)
        # The slow page's data comes 1.2 s after it loads: settling waits for it.
        dev.goto(site.url + "/slow?ms=1200")
        started = time.monotonic()
        assert dev.wait_until_settled(6)
        assert time.monotonic() - started > 1.0
        assert "数据加载完成" in dev.observe().hierarchy



@VIEWPORTS
def test_a_page_left_while_it_loaded_does_not_hold_settling(browser: Browser, site: DemoSite, mobile: bool) -> None:
    # Chromium often never says that the left page's request ended: it must not count as in flight.
    for _ in range(4):
        with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
            dev.goto(site.url + "/hotel")
            started = time.monotonic()
            assert dev.wait_until_settled(5)
            assert time.monotonic() - started < 2.0
