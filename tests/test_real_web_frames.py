"""Frames in the hierarchy: same-origin and cross-origin iframes are read into the page's nodes
at their true screen bounds, so a tap aims at them and the guard judges what is inside them."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Tap
from autoagent.actuators.browser import BrowserDevice
from autoagent.agent import Agent, Status
from autoagent.geometry import to_relative
from autoagent.perception.dom import find_node
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import CallbackHuman, ConfirmationRequest, Verdict
from autoagent.trace import Outcome, read_trace
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


def hosted_checkout(site: DemoSite) -> str:
    st = site.state
    st.add_to_cart("p02")
    order = st.place_order(name="张三", phone="138", address="杭州")
    return f"{site.url}/shop/checkout/{order.id}"


NESTED = """<!doctype html><meta name=viewport content='width=device-width'>
<style>body{margin:0} iframe{width:300px;height:250px;border:5px solid}</style>
<p>Outer page</p>
<div style='position:absolute;left:30px;top:120px;width:310px;height:195px;overflow:hidden'><iframe id=inner title='Seat map' srcdoc="<body style='margin:0'><div style='height:150px'></div>
  <button id=seat style='display:block;margin-left:40px;width:120px;height:40px' onclick='parent.picked = 1'>Seat 12A</button>
  <button id=hidden-seat style='display:block;margin-left:40px;width:120px;height:40px'>Seat 30F</button>"></iframe></div>
"""


@VIEWPORTS
def test_a_same_origin_frame_is_read_at_its_place_and_clipped(browser: Browser, mobile: bool) -> None:
    url = "data:text/html," + urllib.parse.quote(NESTED)
    with BrowserDevice.attach(browser, url, mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        tree = dev.observe().tree
        frame = find_node(tree.nodes, desc="Seat map")
        seat = find_node(tree.nodes, text="Seat 12A")
        assert frame is not None and frame.cls == "android.webkit.WebView"
        assert seat is not None and tree.is_within(seat, frame)
        # The frame's border (5px) and its place (30, 120) move its document; 150px of spacer above.
        scale = dev.screen_size()[0] / dev.page.viewport_size["width"]
        assert seat.bounds == tuple(round(v * scale) for v in (35 + 40, 125 + 150, 35 + 160, 125 + 190))
        # The second seat lies below the edge of the box that holds the frame: nothing left to touch.
        cut = find_node(tree.nodes, text="Seat 30F")
        assert cut is None
        dev.tap(*seat.center)
        assert dev.page.evaluate("window.picked || 0") == 1


@VIEWPORTS
def test_a_cross_origin_frame_is_read_and_a_tap_reaches_it(browser: Browser, site: DemoSite, mobile: bool) -> None:
    with BrowserDevice.attach(browser, hosted_checkout(site), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        assert any("localhost" in f.url for f in dev.page.frames)  # really another origin
        tree = dev.observe().tree
        pay = find_node(tree.nodes, contains="Pay ¥")
        frame = find_node(tree.nodes, resource_id="hosted")
        assert pay is not None and frame is not None and tree.is_within(pay, frame)
        fl, ft, fr, fb = frame.bounds
        assert fl <= pay.bounds[0] and ft <= pay.bounds[1] and pay.bounds[2] <= fr and pay.bounds[3] <= fb
        dev.tap(*pay.center)
        assert dev.wait_until_settled(5)
    assert len(site.state.payments) == 1 and site.state.payments[0].method == "hosted-card"


@VIEWPORTS
def test_the_guard_asks_before_a_tap_on_pay_inside_an_untitled_cross_origin_frame(
        browser: Browser, site: DemoSite, tmp_path: Path, mobile: bool) -> None:
    asked: list[ConfirmationRequest] = []

    def no(request: ConfirmationRequest) -> bool:
        asked.append(request)
        return False

    with BrowserDevice.attach(browser, hosted_checkout(site), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        obs = dev.observe()
        pay = find_node(obs.tree.nodes, contains="Pay ¥")
        assert pay is not None
        script = ScriptedPolicy.of([Tap(element=to_relative(pay.center, obs.size))])
        result = Agent(dev, script, human=CallbackHuman(on_confirm=no), trace_root=tmp_path).run("finish my order")
        assert dev.wait_until_settled(2)
    assert result.status is Status.NEEDS_HUMAN
    assert site.state.payments == []
    # The screen guard asked, before the tap: the step was refused, so no request was held at all.
    (request,) = asked
    assert request.category == "payment" and request.step == 1
    (step,) = read_trace(result.trace_dir).steps
    assert step.outcome is Outcome.DENIED and step.guard.verdict is Verdict.CONFIRM
    assert step.guard.category == "payment" and step.network == []
    assert "Pay ¥" in str(step.guard.evidence["targets"])
