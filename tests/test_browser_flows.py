"""End to end in real headless Chromium: buy from the demo shop and book a hotel.

Every action is given in AutoGLM's 0-999 space, aimed the way a policy aims: find the
element in the observed hierarchy and convert its centre with geometry.to_relative.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Action, Swipe, Tap, Type
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.execute import execute
from autoagent.agent import Agent, Status
from autoagent.geometry import to_relative
from autoagent.grammar import format_reply, parse_reply
from autoagent.perception.dom import find_node
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision, StepInput
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import CallbackHuman, ConfirmationRequest, NoHuman, Verdict
from autoagent.trace import read_trace
from emulator.web import DemoSite, serve_demo_site

PHONE = {"mobile": True, "viewport": (390, 844)}
DESKTOP = {"mobile": False, "viewport": (1280, 800)}


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


def open_device(browser: Browser, site: DemoSite, form: dict) -> BrowserDevice:
    return BrowserDevice.attach(browser, site.url + "/shop", sites={"shop": site.url + "/shop",
                                                                    "hotel": site.url + "/hotel"}, **form)


# ---- aiming like a policy ------------------------------------------------------------------

# A step looks at the screen and returns the next action, or None when it is already done.
Step = Callable[[Observation], Action | None]
SCROLL_DOWN = Swipe(start=(500, 750), end=(500, 300))


def _find(obs: Observation, **query: str):
    return find_node(parse_hierarchy(obs.hierarchy or ""), **query)


def tap(**query: str) -> list[Step]:
    """Scroll until the element is fully on screen, then tap its centre."""

    def scroll(obs: Observation) -> Action | None:
        node = _find(obs, **query)
        height = obs.size[1]
        if node is not None and node.bounds[3] < height - 1:  # not cut off by the bottom edge
            return None
        return SCROLL_DOWN

    def hit(obs: Observation) -> Action:
        node = _find(obs, **query)
        assert node is not None, f"nothing on screen matches {query}"
        return Tap(element=to_relative(node.center, obs.size))

    return [scroll, hit]


def type_(text: str) -> list[Step]:
    return [lambda obs: Type(text=text)]


def fill(field: str, text: str) -> list[Step]:
    return tap(resource_id=field) + type_(text)


PURCHASE: list[Step] = [
    *tap(text="Desk Organizer"),  # the last product: needs scrolling
    *tap(text="Add to cart"),
    *tap(text="Shop"),
    *fill("search", "保温杯\n"),
    *tap(text="保温杯", cls="TextView"),
    *tap(text="Add to cart"),
    *tap(text="Proceed to shipping"),
    *fill("name", "张三"),
    *fill("phone", "13800000000"),
    *fill("address", "杭州市西湖区文三路 100 号"),
    *tap(text="Continue"),
    *tap(text="Pay now"),
]

BOOKING: list[Step] = [
    *tap(text="Hotels"),
    *fill("dest", "杭州"),
    *fill("arrive", "2025-05-01"),
    *fill("depart", "2025-05-03"),
    *tap(desc="More guests"),
    *tap(text="Search hotels"),
    *tap(contains="Hangzhou Lakeside"),
    *tap(resource_id="choose-r3"),  # the family suite: the only room for three
    *fill("guest_name", "李四"),
    *fill("email", "li@example.com"),
    *tap(text="Continue"),
    *tap(text="确认支付"),
]


def run_directly(device: BrowserDevice, steps: list[Step], max_scrolls: int = 12) -> int:
    """Play the steps through execute(), as the agent would but without it. Returns actions done."""
    done = 0
    i = 0
    scrolls = 0
    while i < len(steps):
        obs = device.observe()
        action = steps[i](obs)
        if action is None:
            i += 1
            scrolls = 0
            continue
        if isinstance(action, Swipe):
            scrolls += 1
            assert scrolls <= max_scrolls, "scrolled to the end without finding the target"
        else:
            i += 1
        execute(action, device)
        assert device.wait_until_settled(timeout=5), f"page did not settle after {action}"
        done += 1
    return done


def assert_purchase(site: DemoSite) -> None:
    st = site.state
    (order,) = st.paid_orders()
    names = sorted(st.products[p].name for p in order.items)
    assert names == ["Desk Organizer", "保温杯"]
    assert (order.name, order.phone, order.address) == ("张三", "13800000000", "杭州市西湖区文三路 100 号")
    (payment,) = st.payments
    assert payment.for_id == order.id and payment.amount == order.total and payment.cause["method"] == "POST"


def assert_booking(site: DemoSite) -> None:
    st = site.state
    (booking,) = st.confirmed_bookings()
    assert (booking.hotel_id, booking.room_id, booking.guests, booking.nights) == ("h11", "r3", 3, 2)
    assert (booking.guest_name, booking.email) == ("李四", "li@example.com")
    (payment,) = st.payments
    assert payment.for_kind == "booking" and payment.for_id == booking.id


@pytest.mark.parametrize("form", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_purchase_through_execute(browser: Browser, site: DemoSite, form: dict) -> None:
    with open_device(browser, site, form) as device:
        device.wait_until_settled(5)
        run_directly(device, PURCHASE)
        device.wait_until_settled(5)
        assert "Order placed" in device.observe().hierarchy
    assert_purchase(site)


@pytest.mark.parametrize("form", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_booking_through_execute(browser: Browser, site: DemoSite, form: dict) -> None:
    with open_device(browser, site, form) as device:
        device.wait_until_settled(5)
        run_directly(device, BOOKING)
        assert "预订成功" in device.observe().hierarchy
    assert_booking(site)


# ---- through the agent ---------------------------------------------------------------------

@dataclass
class LocatingPolicy:
    """Plays steps like ScriptedPolicy, but aims each one at the current screen."""

    steps: list[Step]
    name: str = "locating"
    _i: int = field(default=0, init=False)

    def decide(self, step: StepInput) -> Decision:
        while self._i < len(self.steps):
            action = self.steps[self._i](step.observation)
            if action is None:
                self._i += 1
                continue
            if not isinstance(action, Swipe):
                self._i += 1
            raw = format_reply(f"step {self._i}", action)
            break
        else:
            raw = 'finish(message="done")'
        parsed = parse_reply(raw)
        return Decision(raw=raw, thought=parsed.thought, action=parsed.action)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("flow,form", [("purchase", PHONE), ("booking", DESKTOP)])
def test_agent_pays_only_after_the_human_approves(browser: Browser, site: DemoSite, tmp_path: Path,
                                                  flow: str, form: dict) -> None:
    asked: list[ConfirmationRequest] = []

    def approve(request: ConfirmationRequest) -> bool:
        asked.append(request)
        assert site.state.payments == []  # the question comes before the payment
        return True

    with open_device(browser, site, form) as device:
        agent = Agent(device, LocatingPolicy(PURCHASE if flow == "purchase" else BOOKING),
                      human=CallbackHuman(on_confirm=approve), max_steps=40, trace_root=tmp_path)
        result = agent.run(f"demo {flow}")
    assert result.status is Status.SUCCESS, result.message
    assert len(asked) == 1, [(r.step, r.reason, r.action) for r in asked]
    (request,) = asked
    assert request.category == "payment" and request.app in ("shop", "hotel")
    (assert_purchase if flow == "purchase" else assert_booking)(site)
    trace = read_trace(result.trace_dir)
    assert trace.result and trace.result.status == "success"
    pay_step = next(s for s in trace.steps if s.human)
    assert pay_step.human.approved is True and pay_step.guard.verdict is Verdict.CONFIRM
    assert (trace.path / pay_step.hierarchy).read_text(encoding="utf-8").count("Pay now") + \
        (trace.path / pay_step.hierarchy).read_text(encoding="utf-8").count("确认支付") >= 1


def _order_awaiting_payment(site: DemoSite) -> str:
    """Fill the cart and place an order over plain HTTP; the browser starts at the payment page."""
    st = site.state
    st.add_to_cart("p02")
    order = st.place_order(name="张三", phone="138", address="杭州")
    return f"{site.url}/shop/pay/{order.id}"


@pytest.mark.parametrize("form", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_no_human_means_no_payment(browser: Browser, site: DemoSite, tmp_path: Path, form: dict) -> None:
    pay_url = _order_awaiting_payment(site)
    with BrowserDevice.attach(browser, pay_url, **form) as device:
        device.wait_until_settled(5)
        obs = device.observe()
        pay = _find(obs, text="Pay now")
        assert pay is not None
        # The model does not flag the tap as sensitive; the guard reads the button anyway.
        script = ScriptedPolicy.of([Tap(element=to_relative(pay.center, obs.size))])
        result = Agent(device, script, human=NoHuman(), trace_root=tmp_path).run("pay for my order")
        assert result.status is Status.NEEDS_HUMAN
        assert device.wait_until_settled(2)
        assert device.url == pay_url
    assert site.state.payments == [] and site.state.paid_orders() == []
    (order,) = site.state.orders.values()
    assert order.status == "awaiting_payment"
    trace = read_trace(result.trace_dir)
    assert trace.steps[-1].outcome == "denied" and trace.result.status is Status.NEEDS_HUMAN


def test_lost_browser_ends_the_run_and_keeps_the_trace(site: DemoSite, tmp_path: Path) -> None:
    """A browser of its own (not the shared one): the test closes it in the middle of a run."""
    device = BrowserDevice.start(site.url + "/shop")
    try:
        device.wait_until_settled(5)

        def kill_after_first(record) -> None:
            if record.step == 1:
                device.browser.close()

        script = ScriptedPolicy.of([SCROLL_DOWN, SCROLL_DOWN, SCROLL_DOWN])
        started = time.monotonic()
        result = Agent(device, script, trace_root=tmp_path, on_step=kill_after_first).run("scroll the shop")
        assert time.monotonic() - started < 20
    finally:
        device.close()
    assert result.status is Status.ERROR
    assert "browser" in result.message and "closed" in result.message
    trace = read_trace(result.trace_dir)
    assert trace.result is not None and trace.result.status == "error"
    assert len(trace.steps) == 1 and trace.steps[0].outcome == "done"
    assert (trace.path / trace.steps[0].screenshot).is_file()
