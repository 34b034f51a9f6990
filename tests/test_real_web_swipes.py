"""A swipe on a phone viewport flings, as a finger's does: the finger is still moving when it
lifts, so the page goes on scrolling past where the finger stopped. Without a fling an agent needs
a swipe for every finger's length of a long text area (MiniWoB's sign-agreement, past its 10 s)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_touch import swipe_path
from tests.pages import serve_pages

# A phone page (viewport tag: a CSS pixel is a screen pixel) with a box of text far longer than
# the box, as in an agreement one must scroll to its end.
AGREEMENT = """<!doctype html><html><head><meta name=viewport content='width=device-width'></head>
<body style='margin:0'>
<div id=box style='margin-top:40px;height:300px;overflow:auto;border:1px solid'>
""" + "".join(f"<p>Clause {i}: the party of the first part agrees.</p>" for i in range(300)) + """
</div></body></html>"""


@pytest.fixture(scope="module")
def url():
    with serve_pages({"/agreement": AGREEMENT}) as base:
        yield base + "/agreement"


def test_a_short_swipe_scrolls_further_than_the_finger_went(browser: Browser, url: str) -> None:
    with BrowserDevice.attach(browser, url, mobile=True) as dev:
        assert dev.wait_until_settled(5)
        travel = 60  # screen pixels, the same as CSS pixels here
        for _ in range(2):  # each swipe, not only a first one
            before = dev.page.evaluate("box.scrollTop")
            dev.swipe(100, 250, 100, 250 - travel)
            assert dev.wait_until_settled(5)
            scrolled = dev.page.evaluate("box.scrollTop") - before
            # The finger's own travel, less the touch slop the gesture detector keeps before
            # scrolling, is all a swipe without a fling scrolls.
            assert scrolled > travel, scrolled


def test_a_swipe_down_flings_back_up(browser: Browser, url: str) -> None:
    with BrowserDevice.attach(browser, url, mobile=True) as dev:
        assert dev.wait_until_settled(5)
        dev.page.evaluate("box.scrollTop = 2000")
        dev.swipe(100, 150, 100, 210)
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("box.scrollTop") < 2000 - 60


def test_the_finger_speeds_up_until_it_lifts() -> None:
    path = swipe_path((0.0, 300.0), (0.0, 100.0), 10, 0.3)
    assert len(path) == 10
    assert path[-1] == pytest.approx((0.3, 0.0, 100.0))
    times = [t for t, _, _ in path]
    assert times == sorted(times) and times[0] > 0
    steps = [path[i][2] - path[i + 1][2] for i in range(len(path) - 1)]
    assert all(b > a for a, b in zip(steps, steps[1:])), steps  # each sample further than the last
    # It lifts at about twice its mean speed (200 px in 0.3 s).
    final_speed = (path[-2][2] - path[-1][2]) / (path[-1][0] - path[-2][0])
    assert final_speed > 1.8 * 200 / 0.3
