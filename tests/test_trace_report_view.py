"""The HTML report in real Chromium, opened from file://: a desktop screen, unreadable as a
thumbnail, opens at its natural size on a click, with its tap mark where the tap landed."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from autoagent.actions import Finish, RelativePoint, Tap
from autoagent.actuators.browser import BrowserDevice
from autoagent.agent import Agent, Status
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.trace import read_trace
from autoagent.trace_report import THUMB_WIDTH, write_report
from emulator.web import serve_demo_site


def _desktop_report(browser: Browser, tmp_path: Path) -> tuple[Path, tuple[int, int]]:
    """A real desktop run's report (a tap, then done), and where the tap landed in pixels."""
    script = ScriptedPolicy.of([Tap(element=RelativePoint(x=700, y=600)), Finish(message="done")])
    with serve_demo_site() as site, BrowserDevice.attach(browser, site.url + "/shop", mobile=False) as dev:
        result = Agent(dev, script, trace_root=tmp_path / "traces").run("look at the shop")
    assert result.status is Status.SUCCESS, result.message
    trace = read_trace(result.trace_dir)
    (x, y), = trace.steps[0].pixels
    return write_report(trace), (x, y)


def test_a_desktop_screen_opens_at_its_natural_size_with_its_mark(browser: Browser, tmp_path: Path) -> None:
    report, (x, y) = _desktop_report(browser, tmp_path)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(report.as_uri())
        thumb = page.locator(".step img").first
        assert thumb.evaluate("img => img.width") == THUMB_WIDTH  # unreadable: a 1280-wide screen at 360
        box = thumb.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # marks over it and all
        full = page.locator("dialog[open] img")
        full.wait_for(timeout=5000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=full.element_handle(), timeout=5000)
        natural = full.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        shown = full.bounding_box()
        assert natural[0] >= 1000 and (shown["width"], shown["height"]) == tuple(natural)
        # The tap's ring sits on the tap's pixel of the full-size screen.
        ring = page.locator("dialog[open] svg circle").first.bounding_box()
        centre = (ring["x"] + ring["width"] / 2 - shown["x"], ring["y"] + ring["height"] / 2 - shown["y"])
        assert abs(centre[0] - x) <= 1 and abs(centre[1] - y) <= 1, (centre, (x, y))
        page.keyboard.press("Escape")
        page.locator("dialog[open]").wait_for(state="detached", timeout=5000)
    finally:
        context.close()
