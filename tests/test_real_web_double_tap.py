"""A double tap on a field is no payment: the guard's double-tap rule (the first tap may open a
payment sheet, the second land on its Pay button) is about confirming controls, and a field's
short text ("1") is what it holds, not a label that says "go ahead"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from autoagent.actions import DoubleTap
from autoagent.actuators.browser import BrowserDevice
from autoagent.geometry import to_relative
from autoagent.perception.dom import find_node
from autoagent.safety import ScreenGuard, Verdict
from tests.pages import serve_pages

GUESS = """<!doctype html><meta name=viewport content='width=device-width'>
<p>Guess the number between 0-9 and press Submit.</p>
<input id=guess type=number value=1 style='width:80px;height:30px'>
<button id=ok style='width:40px;height:30px'>OK</button>
<button id=go style='width:40px;height:30px'>&rarr;</button>
<p>Total: $12.00</p><button id=pay style='width:80px;height:30px'>Pay now</button>"""


@pytest.fixture(scope="module")
def url():
    with serve_pages({"/guess": GUESS}) as base:
        yield base + "/guess"


@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])
def test_a_double_tap_on_a_field_reading_1_is_no_payment(browser: Browser, url: str, mobile: bool) -> None:
    with BrowserDevice.attach(browser, url, mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        obs = dev.observe()
        guard = ScreenGuard()

        def judged(rid: str):
            node = find_node(obs.tree.nodes, resource_id=rid)
            return guard.review(DoubleTap(element=to_relative(node.center, obs.size)), obs)

        field = judged("guess")
        assert field.verdict == Verdict.ALLOW, field.evidence.get("findings")
        for rid in ("ok", "go", "pay"):  # confirming controls on a page with a total still ask
            decision = judged(rid)
            assert (decision.verdict, decision.category) == (Verdict.CONFIRM, "payment"), (rid, decision.reason)
