"""Browser dialogs: what a page says in an alert, confirm or prompt reaches the model (a notice
in the next observation), and a question is answered with Cancel, which does nothing
irreversible: a confirm() that would pay or delete never goes through unasked."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_notices import TOAST_CLASS
from autoagent.perception.dom import find_node
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

DIALOGS = """<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<style>button{display:block;width:200px;height:50px;margin:8px}</style>
<button onclick="alert('Card declined: try another card')">Pay by card</button>
<button onclick="window.answer = confirm('Pay ¥399?')">Confirm order</button>
<button onclick="window.answer = prompt('Coupon code?', 'SPRING')">Add coupon</button>
"""


def toasts(dev: BrowserDevice) -> list[str]:
    return [n.text for n in dev.observe().tree.nodes if n.cls == TOAST_CLASS]


@VIEWPORTS
def test_dialog_texts_reach_the_model_and_questions_are_declined(browser: Browser, mobile: bool) -> None:
    with BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(DIALOGS), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes
        dev.tap(*find_node(nodes, text="Pay by card").center)
        assert dev.wait_until_settled(5)
        assert toasts(dev) == ['The page\'s alert() said "Card declined: try another card" (answered OK)']
        dev.tap(*find_node(nodes, text="Confirm order").center)
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("window.answer") is False
        assert toasts(dev) == ['The page\'s confirm() said "Pay ¥399?" (answered Cancel)']
        dev.tap(*find_node(nodes, text="Add coupon").center)
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("window.answer") is None
        assert "Coupon code?" in toasts(dev)[0]


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


@VIEWPORTS
def test_the_demo_carts_confirm_step_is_shown_and_nothing_is_removed(browser: Browser, site: DemoSite,
                                                                     mobile: bool) -> None:
    site.state.add_to_cart("p02")
    with BrowserDevice.attach(browser, site.url + "/shop/cart", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        dev.tap(*find_node(dev.observe().tree.nodes, text="Empty cart").center)
        assert dev.wait_until_settled(5)
        assert toasts(dev) == ['The page\'s confirm() said "Remove every item from the cart?" '
                               "(answered Cancel)"]
    assert site.state.cart == {"p02": 1}


def test_the_guard_would_ask_about_ok_on_a_dialog_that_says_pay() -> None:
    """The contract for the day dialogs can wait for the model's answer (see BrowserDevice's
    _on_dialog): OK on a dialog sheet saying "Pay ¥399?" is a payment, read from the sheet."""
    from PIL import Image

    from autoagent.actions import Tap
    from autoagent.geometry import to_relative
    from autoagent.perception.observation import Observation
    from autoagent.perception.tree import TreeBuilder
    from autoagent.safety import ScreenGuard, Verdict

    b = TreeBuilder()
    page = b.add(None, cls="android.webkit.WebView", text="Order O1001", bounds=(0, 0, 390, 844))
    b.add(page, cls="android.widget.TextView", text="Order O1001", bounds=(16, 20, 300, 50))
    sheet = b.add(None, cls="android.widget.FrameLayout", bounds=(30, 300, 360, 500))
    b.add(sheet, cls="android.widget.TextView", text="Pay ¥399?", bounds=(50, 320, 340, 380))
    b.add(sheet, cls="android.widget.Button", text="Cancel", bounds=(120, 420, 230, 470), clickable=True)
    ok = b.add(sheet, cls="android.widget.Button", text="OK", bounds=(240, 420, 350, 470), clickable=True)
    tree = b.build()
    obs = Observation(screenshot=Image.new("RGB", (390, 844), "white"), tree=tree, app="shop")
    decision = ScreenGuard().review(Tap(element=to_relative(tree.nodes[ok].center, (390, 844))), obs)
    assert decision.verdict is Verdict.CONFIRM and decision.category == "payment"
