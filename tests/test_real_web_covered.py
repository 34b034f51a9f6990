"""Covered controls: the hierarchy says what a touch at a point would actually hit.

A button under a fixed header or a cookie banner is not clickable where it lies; a partly
covered one shrinks to the part a touch still reaches; and the step's record names the control
the tap really pressed."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Tap
from autoagent.actuators.browser import BrowserDevice
from autoagent.agent import Agent
from autoagent.geometry import to_relative
from autoagent.perception.dom import find_node
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.trace import read_trace
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

HEADER = """<!doctype html><meta name=viewport content='width=device-width'>
<style>body{margin:0} header{position:fixed;top:0;left:0;right:0;height:80px;background:#135;z-index:2}
header button{width:100%;height:80px} .b{position:absolute;left:10px;width:150px;height:60px}</style>
<header><button id=search onclick="window.pressed='search'">Search</button></header>
<button class=b id=under style='top:10px' onclick="window.pressed='under'">Under</button>
<button class=b id=half style='top:40px;left:180px' onclick="window.pressed='half'">Half</button>
<button class=b id=free style='top:200px' onclick="window.pressed='free'">Free</button>
"""


def lab(browser: Browser, page: str, mobile: bool) -> BrowserDevice:
    dev = BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(page), mobile=mobile)
    assert dev.wait_until_settled(5)
    return dev


@VIEWPORTS
def test_a_button_under_a_fixed_header_is_not_clickable_where_it_lies(browser: Browser, mobile: bool) -> None:
    with lab(browser, HEADER, mobile) as dev:
        nodes = dev.observe().tree.nodes
        under, half, free = (find_node(nodes, resource_id=r) for r in ("under", "half", "free"))
        assert under is not None and not under.clickable  # wholly under the header
        assert free is not None and free.clickable
        # Half under the header: only the part below it is offered, and a tap there presses it.
        scale = dev.screen_size()[0] / dev.page.viewport_size["width"]
        assert half is not None and half.clickable and half.bounds[1] >= round(80 * scale) - 1
        dev.tap(*half.center)
        assert dev.page.evaluate("window.pressed") == "half"
        # The hierarchy's control at the covered button's centre is what a tap there presses.
        hit = find_node([n for n in nodes if n.clickable and n.contains(*under.center)], resource_id="search")
        assert hit is not None
        dev.tap(*under.center)
        assert dev.page.evaluate("window.pressed") == "search"


@VIEWPORTS
def test_the_record_names_what_a_tap_on_a_covered_button_really_pressed(
        browser: Browser, tmp_path: Path, mobile: bool) -> None:
    with lab(browser, HEADER, mobile) as dev:
        obs = dev.observe()
        under = find_node(obs.tree.nodes, resource_id="under")
        script = ScriptedPolicy.of([Tap(element=to_relative(under.center, obs.size))])
        result = Agent(dev, script, trace_root=tmp_path).run("press the covered button")
        assert dev.page.evaluate("window.pressed") == "search"
    step = read_trace(result.trace_dir).steps[0]
    (target,) = step.guard.evidence["targets"]
    assert (target["class"], target["text"], target["id"]) == ("Button", "Search", "search")


# Two absolutely placed buttons, the later one drawn over most of the earlier one (MiniWoB's
# click-test-2): no z-index, no fixed bar.
OVERLAPPING = """<!doctype html><meta name=viewport content='width=device-width'>
<style>button{position:absolute;width:60px;height:60px;left:20px}</style>
<button id=one style='top:100px' onclick="window.pressed='one'">ONE</button>
<button id=two style='top:80px' onclick="window.pressed='two'">TWO</button>
"""


@VIEWPORTS
def test_a_button_drawn_over_most_of_another_leaves_it_the_part_a_touch_reaches(browser: Browser,
                                                                                 mobile: bool) -> None:
    with lab(browser, OVERLAPPING, mobile) as dev:
        nodes = dev.observe().tree.nodes
        one, two = find_node(nodes, resource_id="one"), find_node(nodes, resource_id="two")
        assert one.clickable and one.bounds[1] >= two.bounds[3] - 1  # only the strip below TWO
        dev.tap(*one.center)
        assert dev.page.evaluate("window.pressed") == "one"


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        s.cookie_banner = True
        yield s


@VIEWPORTS
def test_the_demo_shops_cookie_banner_covers_products_until_answered(
        browser: Browser, site: DemoSite, mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes
        banner = find_node(nodes, resource_id="cookie-banner")
        assert banner is not None
        # The cards the banner lies over are not offered as touchable there.
        covered = [n for n in nodes if n.resource_id.startswith("product-") and banner.contains(*n.center)
                   and n.bounds[1] >= banner.bounds[1]]
        assert covered and not any(n.clickable for n in covered)
        dev.tap(*find_node(nodes, text="Accept all").center)
        assert dev.wait_until_settled(5)
        after = dev.observe().tree.nodes
        assert find_node(after, resource_id="cookie-banner") is None
        assert all(find_node(after, resource_id=n.resource_id).clickable for n in covered)
        # Answered: the next page comes without it.
        dev.goto(site.url + "/shop/cart")
        assert dev.wait_until_settled(5)
        assert find_node(dev.observe().tree.nodes, resource_id="cookie-banner") is None
