"""Touch slop is physical: a fingertip on a phone viewport, a few pixels for a mouse. On a
desktop page a username field 31 px above a password field is the username field's own tap, not
a take-over; on a phone a fingertip that may reach the password field still asks."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Tap
from autoagent.actuators.browser import BrowserDevice
from autoagent.geometry import to_relative
from autoagent.perception.dom import find_node
from autoagent.perception.observation import Pointer
from autoagent.safety import GuardPolicy, ScreenGuard, Verdict
from autoagent.safety.screen import Screen
from autoagent.safety.signals.look import slop
from tests.pages import serve_pages

# The fields' centres 31 px apart with 6 px between them, as in MiniWoB's login-user.
LOGIN = """<!doctype html><meta name=viewport content='width=device-width'>
<style>input { display: block; width: 150px; height: 25px; margin: 0 0 6px 10px; padding: 0; box-sizing: border-box }</style>
<input id=username placeholder=Username><input id=password type=password placeholder=Password>
<button id=login>Login</button>"""


@pytest.fixture(scope="module")
def url():
    with serve_pages({"/login": LOGIN}) as base:
        yield base + "/login"


def _verdict_on_username(browser: Browser, url: str, mobile: bool, dy: float = 0) -> tuple[str | None, Verdict]:
    with BrowserDevice.attach(browser, url, mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        obs = dev.observe()
        user = find_node(obs.tree.nodes, resource_id="username")
        x, y = user.center
        decision = ScreenGuard().review(Tap(element=to_relative((x, y + dy), obs.size)), obs, task="Log in as kasie")
        return decision.category, decision.verdict


def test_a_mouse_on_the_username_field_is_not_a_take_over(browser: Browser, url: str) -> None:
    category, verdict = _verdict_on_username(browser, url, mobile=False)
    assert verdict == Verdict.ALLOW, category


def test_a_fingertip_at_the_username_fields_lower_edge_may_reach_the_password_field(browser: Browser,
                                                                                    url: str) -> None:
    category, verdict = _verdict_on_username(browser, url, mobile=True, dy=10)
    assert (category, verdict) == ("takeover", Verdict.CONFIRM)


def test_slop_is_measured_in_density_independent_pixels() -> None:
    policy = GuardPolicy()
    phone = Screen(size=(1080, 2400))  # a phone over adb: its width stands for its size
    hidpi_phone_page = Screen(size=(1170, 2532), pointer=Pointer("finger", 3.0))
    desktop = Screen(size=(1280, 800), pointer=Pointer("mouse", 1.0))
    assert slop(hidpi_phone_page, policy) == pytest.approx(slop(phone, policy) * 3 / (1080 / 411))
    assert slop(desktop, policy) == policy.mouse_slop_dp < 10
