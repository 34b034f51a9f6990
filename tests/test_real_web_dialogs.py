"""Browser dialogs in real Chromium: an alert, confirm or prompt the page opens is the screen the
model sees (its text and its buttons, over the last screenshot) until the model answers it; a tap
on OK or Cancel is the answer, Type fills a prompt, and OK on a dialog that pays waits for a
person's yes (the guard reads the dialog like any screen)."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Finish, Tap
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_notices import TOAST_CLASS
from autoagent.agent import Agent, Status
from autoagent.geometry import to_relative
from autoagent.perception.dom import find_node
from autoagent.perception.observation import Observation
from autoagent.perception.tree import UINode
from autoagent.safety import CallbackHuman, ConfirmationRequest, NoHuman, ScreenGuard, Verdict
from emulator.web import DemoSite, serve_demo_site
from tests.pages import serve_pages
from tests.test_safety_browser import LiveScript, tap

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

DIALOGS = """<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<style>button{display:block;width:200px;height:50px;margin:8px}</style>
<button onclick="alert('Card declined: try another card')">Pay by card</button>
<button onclick="window.answer = confirm('Pay ¥399?')">Confirm order</button>
<button onclick="window.answer = prompt('Coupon code?', 'SPRING')">Add coupon</button>
<button onclick="setTimeout(() => window.answer = confirm('Still there?'), 300)">Later</button>
"""

# A shop that asks "Pay?" the old way: OK sends the payment, Cancel sends nothing. Nothing on the
# page itself says money, so the only step the guard can stop is OK on the dialog.
PAY_PAGE = """<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<p>Wireless earbuds</p>
<button id=go style='width:200px;height:50px' onclick="if (confirm('Pay ¥399?'))
  fetch('/pay', {method: 'POST', body: 'order=O1001&amount=399'}).then(() => document.title = 'paid')">Next</button>
"""


def open_dialogs(browser: Browser, mobile: bool, **options: object) -> BrowserDevice:
    dev = BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(DIALOGS), mobile=mobile, **options)
    assert dev.wait_until_settled(5)
    return dev


def press(dev: BrowserDevice, text: str, obs: Observation | None = None) -> None:
    """A tap on what the model sees labelled ``text``."""
    dev.tap(*node(obs or dev.observe(), text=text).center)


def node(obs: Observation, **query: str) -> UINode:
    found = find_node(obs.tree.nodes, **query)
    assert found is not None, f"nothing on screen matches {query}: {[n.text for n in obs.tree.nodes if n.text]}"
    return found


def toasts(obs: Observation) -> list[str]:
    return [n.text for n in obs.tree.nodes if n.cls == TOAST_CLASS]


@VIEWPORTS
def test_an_open_confirm_is_the_screen_with_its_text_and_buttons(browser: Browser, mobile: bool) -> None:
    with open_dialogs(browser, mobile) as dev:
        before = dev.observe()
        t = time.monotonic()
        press(dev, "Confirm order", before)
        assert time.monotonic() - t < 5  # the tap came back while the dialog waits
        assert dev.wait_until_settled(5)
        obs = dev.observe()
        texts = [n.text for n in obs.tree.nodes if n.text]
        assert texts == ["This page says", "Pay ¥399?", "Cancel", "OK"]
        ok, cancel = node(obs, text="OK"), node(obs, text="Cancel")
        assert ok.clickable and cancel.clickable and ok.cls == "android.widget.Button"
        assert find_node(obs.tree.nodes, text="Confirm order") is None  # the page behind takes no touch
        # The sheet is drawn where its nodes are: OK is a blue button on the dimmed last screenshot.
        assert obs.size == before.size
        r, g, b = obs.screenshot.getpixel(ok.center)
        assert b > 200 and r < 80
        assert dev.screen_tree().nodes == obs.tree.nodes  # the guard's re-check reads the same sheet


@VIEWPORTS
def test_cancel_and_ok_answer_a_confirm(browser: Browser, mobile: bool) -> None:
    with open_dialogs(browser, mobile) as dev:
        press(dev, "Confirm order")
        press(dev, "Cancel")
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("window.answer") is False
        obs = dev.observe()
        assert find_node(obs.tree.nodes, text="Confirm order") is not None and not toasts(obs)
        press(dev, "Confirm order", obs)
        press(dev, "OK")
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("window.answer") is True


@VIEWPORTS
def test_an_alert_shows_its_text_until_ok(browser: Browser, mobile: bool) -> None:
    with open_dialogs(browser, mobile) as dev:
        press(dev, "Pay by card")
        obs = dev.observe()
        assert [n.text for n in obs.tree.nodes if n.cls == "android.widget.Button"] == ["OK"]
        assert node(obs, resource_id="android:id/message").text == "Card declined: try another card"
        press(dev, "OK", obs)
        assert find_node(dev.observe().tree.nodes, text="Pay by card") is not None


@VIEWPORTS
def test_a_prompt_gets_the_typed_text(browser: Browser, mobile: bool) -> None:
    with open_dialogs(browser, mobile) as dev:
        press(dev, "Add coupon")
        field = node(dev.observe(), cls="android.widget.EditText")
        assert field.text == "SPRING" and field.focused  # the page's default, ready to be replaced
        dev.tap(*field.center)
        dev.type_text("SAVE10")
        obs = dev.observe()
        assert node(obs, cls="android.widget.EditText").text == "SAVE10"
        press(dev, "OK", obs)
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("window.answer") == "SAVE10"
        press(dev, "Add coupon")
        press(dev, "Cancel")
        assert dev.page.evaluate("window.answer") is None


@VIEWPORTS
def test_a_dialog_opened_later_interrupts_the_wait_and_back_cancels_it(browser: Browser, mobile: bool) -> None:
    with open_dialogs(browser, mobile) as dev:
        press(dev, "Later")
        t = time.monotonic()
        assert dev.wait_until_settled(10)
        time.sleep(0.5)
        obs = dev.observe()  # the dialog opened after the tap, while the page was being looked at
        assert time.monotonic() - t < 10
        assert node(obs, resource_id="android:id/message").text == "Still there?"
        dev.tap(*node(obs, resource_id="android:id/alertTitle").center)  # not a button: nothing answers
        assert "is still open" in toasts(dev.observe())[0]
        dev.back()
        assert dev.page.evaluate("window.answer") is False


def test_a_dialog_nobody_answers_is_cancelled_and_a_late_tap_is_not_carried_out(browser: Browser) -> None:
    with open_dialogs(browser, True, dialog_timeout=1.0) as dev:
        press(dev, "Confirm order")
        ok = node(dev.observe(), text="OK")
        time.sleep(1.2)
        dev.tap(*ok.center)  # meant for the dialog, which timed out: the page below is not touched
        assert dev.page.evaluate("window.answer") is False
        obs = dev.observe()
        assert toasts(obs) == ['The page\'s confirm() "Pay ¥399?" had no answer for 1 s and was answered Cancel',
                               "The action was not carried out: it was meant for that dialog"]
        press(dev, "Confirm order", obs)
        time.sleep(1.2)
        obs = dev.observe()  # a look after the time is up shows the page again
        assert find_node(obs.tree.nodes, text="Confirm order") is not None
        assert dev.page.evaluate("window.answer") is False


@VIEWPORTS
def test_the_guard_asks_before_ok_on_a_dialog_that_pays(browser: Browser, mobile: bool) -> None:
    with serve_pages({"/order": PAY_PAGE, "/pay": "ok"}) as base, \
            BrowserDevice.attach(browser, base + "/order", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        press(dev, "Next")
        obs = dev.observe()
        assert node(obs, resource_id="android:id/alertTitle").text.endswith(" says")
        ok = Tap(element=to_relative(node(obs, text="OK").center, obs.size))
        decision = ScreenGuard().review(ok, obs)
        assert decision.verdict is Verdict.CONFIRM and decision.category == "payment"
        cancel = Tap(element=to_relative(node(obs, text="Cancel").center, obs.size))
        assert ScreenGuard().review(cancel, obs).verdict is Verdict.ALLOW


def pay_run(browser: Browser, tmp_path: Path, mobile: bool, human: object) -> tuple[Status, list[str], str]:
    posted: list[str] = []
    with serve_pages({"/order": PAY_PAGE, "/pay": "ok"}, posted) as base:
        with BrowserDevice.attach(browser, base + "/order", mobile=mobile) as dev:
            assert dev.wait_until_settled(5)
            agent = Agent(device=dev, policy=LiveScript([tap(text="Next"), tap(text="OK"), Finish(message="paid")]),
                          guard=ScreenGuard(), human=human, trace_root=tmp_path, max_steps=5)  # type: ignore[arg-type]
            result = agent.run("pay for order O1001")
            title = dev.page.title() if dev._dialog is None else "(dialog open)"
        return result.status, posted, title


@VIEWPORTS
def test_a_person_s_yes_lets_ok_pay_once(browser: Browser, tmp_path: Path, mobile: bool) -> None:
    asked: list[ConfirmationRequest] = []
    status, posted, title = pay_run(browser, tmp_path, mobile,
                                    CallbackHuman(on_confirm=lambda r: asked.append(r) or True))
    assert status is Status.SUCCESS
    assert posted == ["/pay"] and title == "paid"
    assert [(r.step, r.category) for r in asked] == [(2, "payment")]  # OK, and OK alone, was asked about


@VIEWPORTS
@pytest.mark.parametrize("answer", ["no", "nobody"])
def test_without_a_yes_ok_is_never_tapped_and_nothing_is_paid(browser: Browser, tmp_path: Path, mobile: bool,
                                                              answer: str) -> None:
    asked: list[ConfirmationRequest] = []
    human = NoHuman() if answer == "nobody" else CallbackHuman(on_confirm=lambda r: bool(asked.append(r)))
    status, posted, _ = pay_run(browser, tmp_path, mobile, human)
    assert status is Status.NEEDS_HUMAN
    assert [(r.step, r.category) for r in asked] == ([] if answer == "nobody" else [(2, "payment")])
    assert posted == []  # nor after the device closed: the dialog was answered Cancel


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


@VIEWPORTS
def test_the_demo_carts_confirm_step_is_shown_and_answered(browser: Browser, site: DemoSite, mobile: bool) -> None:
    site.state.add_to_cart("p02")
    with BrowserDevice.attach(browser, site.url + "/shop/cart", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        press(dev, "Empty cart")
        obs = dev.observe()
        assert node(obs, resource_id="android:id/message").text == "Remove every item from the cart?"
        press(dev, "Cancel", obs)
        assert dev.wait_until_settled(5)
        assert site.state.cart == {"p02": 1}
        press(dev, "Empty cart")
        press(dev, "OK")
        assert dev.wait_until_settled(5)
        assert site.state.cart == {}
        assert find_node(dev.observe().tree.nodes, text="Your cart is empty.") is not None
