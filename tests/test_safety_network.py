"""The network guard: what a browser page sends is judged before it leaves.

The classifier is tested on requests written out by hand; the guard end to end through
``Agent`` + ``BrowserDevice`` (real headless Chromium) on the demo site, whose own payment log
(``site.state.payments``) is the judge. The /net/ pages pay in ways the screen cannot show: an
icon-only button with a script handler, a timer after a harmless click, a card form that
submits on Enter, a link that pays with a GET.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoagent.actions import Finish, TakeOver, Tap, Type, Wait
from autoagent.agent import Agent, Status
from autoagent.perception.request import outgoing_request
from autoagent.policy.base import StepInput
from autoagent.safety import (
    DELETE,
    PAYMENT,
    PERSONAL_DATA,
    PURCHASE,
    SEND,
    Approval,
    CallbackHuman,
    ConfirmationRequest,
    NoHuman,
    PendingConfirmations,
    ScreenGuard,
    TerminalHuman,
    Verdict,
)
from autoagent.safety.network import (
    NetworkGuard,
    amounts,
    card_numbers,
    classify_request,
    cn_id_ok,
    id_numbers,
    luhn_ok,
    ssns,
)
from autoagent.trace import Outcome, StepRecord, read_trace
from autoagent.trace_report import render_html
from tests.chat_server import ChatServer, Reply
from tests.test_safety_browser import LiveScript, tap

pytest.importorskip("playwright.sync_api")
from autoagent.actuators.browser import BrowserDevice  # noqa: E402
from autoagent.actuators.browser_settle import SHORT_TIMER_MS  # noqa: E402
from emulator import web  # noqa: E402

PHONE = {"mobile": True, "viewport": (390, 844)}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


# ---------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("digits", ["4242424242424242", "4111111111111111", "5555555555554444", "378282246310005",
                                    "6011111111111117", "3530111333300000", "4222222222222", "6200000000000005"])
def test_luhn_accepts_real_test_card_numbers(digits: str) -> None:
    assert luhn_ok(digits) and card_numbers(f"card {digits}.") == [digits]


@pytest.mark.parametrize("digits", ["4242424242424241", "4111111111111112", "1234567890123456", "0000000000000"])
def test_luhn_refuses_a_wrong_check_digit(digits: str) -> None:
    assert not card_numbers(digits)
    assert not luhn_ok(digits) or digits == "0000000000000"


def test_card_numbers_with_spaces_and_dashes_and_what_is_not_a_card() -> None:
    assert card_numbers("4242 4242 4242 4242") == ["4242424242424242"]
    assert card_numbers("no: 4242-4242-4242-4242;") == ["4242424242424242"]
    # A millisecond timestamp passes Luhn one time in ten, but no card network starts with 17.
    assert luhn_ok("1733218800006") and card_numbers('{"ts": 1733218800006}') == []
    assert card_numbers("424242424242") == []  # 12 digits
    assert card_numbers("42424242424242424242") == []  # 20 digits
    assert card_numbers("4242424242424242.5") == []  # a decimal number, not a card
    assert card_numbers("13800000000") == []  # a phone number


def test_chinese_resident_id_numbers_ssns_and_amounts() -> None:
    assert cn_id_ok("11010519491231002X") and cn_id_ok("11010519491231002x")
    assert not cn_id_ok("110105194912310021")  # wrong check character
    assert not cn_id_ok("110105194913310023")  # no 13th month
    assert id_numbers("身份证 11010519491231002X 已提交") == ["11010519491231002X"]
    assert id_numbers("order 110105194912310021") == []
    assert ssns("ssn 123-45-6789") == ["123-45-6789"]
    assert ssns("000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000 1234-56-7890") == []
    assert amounts("pay ¥199.00, 19.99 USD, 200元, $1,299.50, CNY 5, 3块") == \
        ["¥199.00", "19.99 USD", "200元", "$1,299.50", "CNY 5", "3块"]
    assert amounts("page 2 of 5, 199 items, USDT") == []


# ---------------------------------------------------------------------------- requests

def categories(method: str, url: str, headers: dict[str, str] | None = None, body: str = "") -> set[str]:
    return {f.category for f in classify_request(outgoing_request(method, url, headers, body.encode()))}


@pytest.mark.parametrize("method,url,headers,body,expected", [
    # paying, in both languages and as APIs name it
    ("POST", "http://shop.test/shop/pay/O1", FORM, "method=visa-4242&pay_token=abc", {PAYMENT}),
    ("POST", "http://shop.test/api/转账", JSON, '{"to": "bob"}', {PAYMENT}),
    ("POST", "http://api.stripe.test/v1/charges", FORM, "source=tok_1", {PAYMENT}),
    ("POST", "https://pay.bank.test/api/x", JSON, "{}", {PAYMENT}),
    ("POST", "http://shop.test/api/x", JSON, '{"amount": 199, "currency": "CNY"}', {PAYMENT}),
    ("POST", "http://shop.test/api/x", JSON, '{"value": "¥199.00"}', {PAYMENT}),
    ("GET", "http://shop.test/net/pay?order=O1&token=t", None, "", {PAYMENT}),
    ("GET", "http://shop.test/checkout?step=confirm", None, "", {PURCHASE}),  # checking out starts an order
    # buying
    ("POST", "http://shop.test/api/orders", JSON, '{"sku": "p01"}', {PURCHASE}),
    ("POST", "http://shop.test/订单/提交", FORM, "sku=p01", {PURCHASE}),
    ("POST", "http://shop.test/buy-now", FORM, "sku=p01", {PURCHASE}),
    # sending
    ("POST", "http://chat.test/api/v1/sendMessage", JSON, '{"to": "bob", "text": "hi"}', {SEND}),
    ("POST", "http://chat.test/api/x", JSON, '{"to": "bob", "content": "明天见"}', {SEND}),
    ("POST", "http://chat.test/发送", FORM, "to=bob", {SEND}),
    # deleting
    ("DELETE", "http://shop.test/api/items/3", None, "", {DELETE}),
    ("POST", "http://shop.test/graphql", JSON, '{"operationName": "DeleteAccount", "variables": {"id": 3}}', {DELETE}),
    ("POST", "http://shop.test/items/3", FORM, "_method=DELETE", {DELETE}),
    ("POST", "http://shop.test/api/删除", JSON, "{}", {DELETE}),
    ("GET", "http://shop.test/cart/delete?id=3", None, "", {DELETE}),
    # personal data
    ("POST", "http://shop.test/api/profile", FORM, "id_number=11010519491231002X&name=li", {PERSONAL_DATA}),
    ("POST", "http://shop.test/api/profile", JSON, '{"applicant": {"tax": "123-45-6789"}}', {PERSONAL_DATA}),
    ("POST", "http://shop.test/api/save", {}, "card: 5555 5555 5555 4444", {PERSONAL_DATA}),
    ("POST", "http://shop.test/api/save", FORM, "cvv=123", {PERSONAL_DATA}),
    ("GET", "http://shop.test/search?c=4111111111111111", None, "", {PERSONAL_DATA}),
])
def test_requests_that_pay_buy_send_delete_or_hand_over_personal_data(method, url, headers, body, expected) -> None:
    assert categories(method, url, headers, body) == expected


@pytest.mark.parametrize("method,url,headers,body", [
    ("POST", "http://shop.test/api/search", JSON, '{"q": "pay by card and buy now", "page": 1}'),
    ("POST", "http://shop.test/net/api/analytics", {"Content-Type": "text/plain"},
     '{"event": "view", "page": "/shop/pay/O1001", "ts": 1733218800006}'),
    ("POST", "http://shop.test/api/favourites", JSON, '{"product": "p01"}'),
    ("POST", "http://shop.test/shop/cart", FORM, "product_id=p01&quantity=1"),
    ("POST", "http://shop.test/shop/shipping", FORM, "name=张三&phone=13800000000&address=杭州市西湖区文三路100号"),
    ("POST", "http://shop.test/login", FORM, "user=li&password=hunter2"),
    ("POST", "http://shop.test/api/save", FORM, "card_number=&cvv=***"),  # empty or masked: nothing leaves
    ("GET", "http://shop.test/shop/pay/O1", None, ""),  # loading the payment page pays nothing
    ("GET", "http://shop.test/shop?q=pay", None, ""),
    ("GET", "http://shop.test/api/orders?page=2", None, ""),
    ("GET", "http://shop.test/static/paypal-checkout.js", None, ""),
    ("HEAD", "http://shop.test/pay", None, ""),
])
def test_harmless_requests_have_no_findings(method, url, headers, body) -> None:
    assert categories(method, url, headers, body) == set()


def test_findings_mask_the_numbers_they_found() -> None:
    found = classify_request(outgoing_request("POST", "http://x.test/api", FORM,
                                              b"card_number=4242424242424242&id=11010519491231002X"))
    details = " ".join(f.detail for f in found)
    assert "•••• 4242" in details and "•••• 002X" in details
    assert "4242424242424242" not in details and "11010519491231002X" not in details
    (card, message) = classify_request(outgoing_request("POST", "http://x.test/api", JSON,
                                                        b'{"message": "my card is 4242 4242 4242 4242"}'))
    assert card.source == "card" and message.detail == "message: 'my card is •••'"


# ---------------------------------------------------------------------------- the guard's context

PAY = outgoing_request("POST", "http://shop.test/shop/pay/O1", FORM, b"card_number=4242424242424242&t=1")
ID = outgoing_request("POST", "http://shop.test/api/profile", FORM, b"id_number=11010519491231002X")
IMAGE = outgoing_request("GET", "http://shop.test/img/pay.png", None, None, "image")


def verdict(guard: NetworkGuard, req) -> Verdict | None:
    decided = guard.decide(req)
    return None if decided is None else decided.verdict


def test_a_yes_on_the_screen_covers_its_own_step_and_category_only() -> None:
    guard = NetworkGuard(human=NoHuman())
    assert verdict(guard, IMAGE) is None
    guard.begin(3, ["payment"])
    assert verdict(guard, PAY) is Verdict.ALLOW  # the payment and the card number it sends
    assert verdict(guard, ID) is Verdict.CONFIRM  # an ID number was not part of the yes
    guard.begin(4, ["purchase"])
    assert verdict(guard, PAY) is Verdict.ALLOW  # buying and paying cover each other
    guard.begin(5, ["personal_data"])
    assert verdict(guard, PAY) is Verdict.CONFIRM and verdict(guard, ID) is Verdict.ALLOW
    guard.begin(6, ["unreadable", None])  # a yes to an unreadable control said yes to nothing known
    assert verdict(guard, PAY) is Verdict.CONFIRM
    guard.begin(7, ["payment"])
    guard.end()  # the step settled: a timer's payment now is the page's, not the step's
    decided = guard.decide(PAY)
    assert decided.verdict is Verdict.CONFIRM and "after step 7 settled" in decided.reason


def test_the_guard_asks_records_and_fails_closed() -> None:
    asked: list[ConfirmationRequest] = []
    guard = NetworkGuard(human=CallbackHuman(on_confirm=lambda r: asked.append(r) or True), task="buy")
    guard.begin(2, [])
    assert guard.judge(IMAGE) and guard.passed == 1 and guard.events == []
    assert guard.judge(PAY)
    (request,) = asked
    assert request.category == "payment" and request.step == 2 and request.action == "POST shop.test/shop/pay/O1"
    assert "4242424242424242" not in request.reason and "•••• 4242" in request.reason
    (event,) = guard.take_events()
    assert event.decision.verdict is Verdict.CONFIRM and event.human.approved and event.acting

    no = Asked(answer=lambda request: False)
    guard = NetworkGuard(human=no.human)
    assert not guard.judge(PAY) and not guard.judge(ID)  # after a no, the page's next try is refused unasked
    assert no.categories == ["payment"] and guard.events[1].human.by == "network guard"

    def broken(_r: ConfirmationRequest) -> bool:
        raise ConnectionError("the front end went away")

    guard = NetworkGuard(human=CallbackHuman(on_confirm=broken))
    assert not guard.judge(PAY)
    assert guard.refusal().human == Approval(approved=False, by="error",
                                             note="asking failed: ConnectionError('the front end went away')",
                                             missing="no_one")


def test_old_step_records_read_without_network_events() -> None:
    assert StepRecord.model_validate({"step": 1}).network == []


# ---------------------------------------------------------------------------- end to end, in Chromium

@pytest.fixture
def site() -> Iterator:
    with web.serve_demo_site(seed=0) as s:
        yield s


def an_order(site) -> str:
    """An order awaiting payment, placed the way the shop places it (cart, then shipping)."""
    st = site.state
    st.add_to_cart(next(iter(st.products)), 1)
    return st.place_order("张三", "13800000000", "杭州市西湖区文三路 100 号").id


class Asked:
    """A person who answers each question from ``answer(request)``, and remembers them."""

    def __init__(self, answer=lambda request: True) -> None:
        self.requests: list[ConfirmationRequest] = []
        self.human = CallbackHuman(on_confirm=lambda r: self.requests.append(r) or answer(r))

    @property
    def categories(self) -> list[str | None]:
        return [r.category for r in self.requests]


def run(browser, url: str, script: list, human, tmp_path: Path, policy=None, settle_timeout: float = 5.0):
    with BrowserDevice.attach(browser, url, **PHONE) as device:
        device.wait_until_settled(5)
        agent = Agent(device=device, policy=policy or LiveScript(list(script)), guard=ScreenGuard(), human=human,
                      trace_root=tmp_path, max_steps=len(script) + 2, settle_timeout=settle_timeout)
        result = agent.run("pay for my order")
    return result, read_trace(result.trace_dir)


def test_icon_only_pay_button_is_held_and_a_no_pays_nothing(tmp_path: Path, browser, site) -> None:
    order = an_order(site)
    result, trace = run(browser, site.page(f"/net/icon-pay/{order}"), [tap(resource_id="go"), Finish(message="ok")],
                        NoHuman(), tmp_path)
    assert site.state.payments == [] and site.state.orders[order].status == "awaiting_payment"
    assert result.status is Status.NEEDS_HUMAN and "payment needs your confirmation" in result.message
    (step,) = trace.steps
    assert step.guard.verdict is Verdict.ALLOW  # the screen guard could not see what the icon does
    assert step.outcome is Outcome.DENIED
    (event,) = step.network
    assert event.method == "POST" and event.url.endswith(f"/shop/pay/{order}") and event.acting
    assert event.decision.verdict is Verdict.CONFIRM and event.decision.category == "payment"
    assert event.human.approved is False and event.human.by == "none"
    assert f"<b>Network</b> POST {event.url}: confirm, the page is sending a payment request" in render_html(trace)


def test_icon_only_pay_button_with_a_yes_pays_once(tmp_path: Path, browser, site) -> None:
    order = an_order(site)
    person = Asked()
    result, trace = run(browser, site.page(f"/net/icon-pay/{order}"), [tap(resource_id="go"), Finish(message="ok")],
                        person.human, tmp_path)
    assert result.status is Status.SUCCESS
    assert len(site.state.payments) == 1 and site.state.payments[0].for_id == order
    assert site.state.payments[0].cause["method"] == "POST"
    assert person.categories == ["payment"] and person.requests[0].action.startswith("POST ")
    assert trace.steps[0].network[0].human.approved and trace.steps[0].outcome is Outcome.DONE


@pytest.mark.parametrize("approve", [True, False])
def test_a_held_request_waits_for_an_answer_from_another_thread(tmp_path: Path, browser, site, approve: bool) -> None:
    """A web front end answers on its own thread while the request waits in the browser."""
    order = an_order(site)
    pending = PendingConfirmations(timeout=30)
    answered: list[tuple[str, float]] = []

    def front_end() -> None:
        request = pending.wait_for_request(timeout=30)
        if request is not None:
            time.sleep(1.5)  # a person reading the question, longer than the page is given to settle
            answered.append((request.message, time.monotonic()))
            pending.answer(request.id, approved=approve, by="web:test")

    thread = threading.Thread(target=front_end, daemon=True)
    thread.start()
    site.slow_ms = 800  # the page the payment's reply redirects to takes its time
    t = time.monotonic()
    result, trace = run(browser, site.page(f"/net/icon-pay/{order}"), [tap(resource_id="go"), Finish(message="ok")],
                        pending, tmp_path, settle_timeout=1.0)
    thread.join(timeout=5)
    assert len(answered) == 1 and "payment" in answered[0][0]
    assert len(site.state.payments) == (1 if approve else 0)
    assert result.status is (Status.SUCCESS if approve else Status.NEEDS_HUMAN)
    event = trace.steps[0].network[0]
    assert event.human.by == "web:test" and event.waited_ms >= 1500
    assert time.monotonic() - t < 20  # nothing waited for a timeout
    if approve:  # the page settled again after the answer: the next step saw what the payment did
        assert "Thank you" in (trace.path / trace.steps[1].hierarchy).read_text(encoding="utf-8")


def test_a_held_request_waits_for_a_person_typing_at_the_terminal(tmp_path: Path, browser, site) -> None:
    """The terminal's read blocks the agent's thread inside Playwright's dispatch; the browser waits."""
    order = an_order(site)
    read_fd, write_fd = os.pipe()

    prompts = io.StringIO()

    def person() -> None:  # reads the question, then types
        deadline = time.monotonic() + 30
        while "Allow this" not in prompts.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        os.write(write_fd, b"y\n")

    with os.fdopen(read_fd, "r") as stdin:
        thread = threading.Thread(target=person, daemon=True)
        thread.start()
        result, trace = run(browser, site.page(f"/net/icon-pay/{order}"), [tap(resource_id="go"), Finish(message="ok")],
                            TerminalHuman(stdin=stdin, stderr=prompts), tmp_path)
        thread.join(timeout=5)
    os.close(write_fd)
    assert len(site.state.payments) == 1 and result.status is Status.SUCCESS
    assert "Allow this payment? [y/N]" in prompts.getvalue() and "/shop/pay/" in prompts.getvalue()
    assert trace.steps[0].network[0].human.by == "terminal" and trace.steps[0].network[0].waited_ms >= 300


def test_the_person_may_look_at_the_page_while_a_request_is_held(tmp_path: Path, browser, site) -> None:
    """A front end that shows the live page beside the question calls the browser from inside the hold."""
    order = an_order(site)
    seen: list[str] = []
    with BrowserDevice.attach(browser, site.page(f"/net/icon-pay/{order}"), **PHONE) as device:
        device.wait_until_settled(5)

        def confirm(request: ConfirmationRequest) -> bool:
            seen.extend(node.text for node in device.observe().tree.nodes if node.text)
            return True

        agent = Agent(device=device, policy=LiveScript([tap(resource_id="go"), Finish(message="ok")]),
                      guard=ScreenGuard(), human=CallbackHuman(on_confirm=confirm), trace_root=tmp_path, max_steps=3)
        result = agent.run("pay for my order")
    assert "Your basket" in seen and "Thank you" not in seen  # the page as it was: the payment had not left
    assert result.status is Status.SUCCESS and len(site.state.payments) == 1


def test_settling_starts_again_after_a_person_answered(browser, site) -> None:
    """Minutes spent on a question are not the page's: after the answer, the page is given its time again."""
    order = an_order(site)
    with BrowserDevice.attach(browser, site.page(f"/net/icon-pay/{order}"), **PHONE) as device:
        device.wait_until_settled(5)

        def slow_yes(request) -> bool:
            if request.method == "POST":
                time.sleep(1.5)  # longer than the whole settle below
            return True

        device.guard_requests(slow_yes)
        site.slow_ms = 500  # and the page the payment redirects to is slow
        device.page.evaluate("setTimeout(payNow, 30)")  # fires while the device is settling
        held = device.held_s
        assert device.wait_until_settled(1.0)
        assert device.held_s - held >= 1.5  # the request was held inside the settle
        assert device.page.inner_text("h1") == "Thank you" and len(site.state.payments) == 1


def test_a_step_confirmed_on_the_screen_asks_no_second_question(tmp_path: Path, browser, site) -> None:
    order = an_order(site)
    person = Asked()
    result, trace = run(browser, site.page(f"/shop/pay/{order}"), [tap(resource_id="pay"), Finish(message="ok")],
                        person.human, tmp_path)
    assert len(site.state.payments) == 1 and result.status is Status.SUCCESS
    assert person.categories == ["payment"] and person.requests[0].action.startswith("do(")  # the screen's question
    (event,) = trace.steps[0].network
    assert event.decision.verdict is Verdict.ALLOW and event.human is None and "your yes" in event.decision.reason


@pytest.mark.parametrize("late", ["during_a_later_step", "between_steps"])
def test_a_payment_a_timer_sends_after_a_harmless_click_is_held(tmp_path: Path, browser, site, late: str) -> None:
    order = an_order(site)

    class Thinking(LiveScript):
        """A policy that takes its time over the second step, as a model does."""

        def decide(self, step: StepInput):
            if step.step == 2:
                time.sleep(3.0)
            return super().decide(step)

    if late == "during_a_later_step":
        script, policy = [tap(resource_id="delivery"), Wait(seconds=3.5), Finish(message="ok")], None
    else:
        script = [tap(resource_id="delivery"), tap(resource_id="times"), Finish(message="ok")]
        policy = Thinking(list(script))
    # Longer than a timer settling waits for: the payment leaves after step 1 settled.
    late_ms = SHORT_TIMER_MS + 500
    result, trace = run(browser, site.page(f"/net/late-pay/{order}?ms={late_ms}"), script, NoHuman(), tmp_path, policy)
    assert site.state.payments == [] and result.status is Status.NEEDS_HUMAN
    first, second = trace.steps
    assert first.outcome is Outcome.DONE and first.network == []  # the click itself sent nothing
    (event,) = second.network
    assert second.outcome is Outcome.DENIED and event.decision.category == "payment" and not event.human.approved
    if late == "between_steps":  # sent while the model thought, caught by the re-check's read of the page
        assert not event.acting and "after step 1 settled" in event.decision.reason
    else:
        assert event.acting and "nobody was asked" in event.decision.reason


def test_a_payment_a_short_timer_sends_after_a_harmless_click_is_held_in_that_step(tmp_path: Path, browser,
                                                                                  site) -> None:
    # Settling waits for the click's short timer, so the payment leaves while step 1 still runs.
    order = an_order(site)
    script = [tap(resource_id="delivery"), Finish(message="ok")]
    result, trace = run(browser, site.page(f"/net/late-pay/{order}?ms={SHORT_TIMER_MS}"), script, NoHuman(),
                        tmp_path)
    assert site.state.payments == [] and result.status is Status.NEEDS_HUMAN
    # Exactly one step with exactly one held request; on failure, say what was recorded instead.
    assert len(trace.steps) == 1, [(s.step, s.outcome, s.network) for s in trace.steps]
    (first,) = trace.steps
    assert len(first.network) == 1, first.network
    (event,) = first.network
    assert first.outcome is Outcome.DENIED and event.decision.category == "payment" and not event.human.approved
    assert event.acting and "sent while step 1 ran" in event.decision.reason


def test_a_yes_to_personal_data_does_not_cover_the_payment_it_makes(tmp_path: Path, browser, site) -> None:
    """The card form submits on Enter: the screen asks about the card number, the wire shows it pays."""
    order = an_order(site)
    person = Asked(answer=lambda request: request.category == "personal_data")
    script = [tap(resource_id="card_number"), Type(text="4242 4242 4242 4242\n"), Finish(message="ok")]
    result, trace = run(browser, site.page(f"/net/card-pay/{order}"), script, person.human, tmp_path)
    assert person.categories == ["personal_data", "payment"]
    assert site.state.payments == [] and result.status is Status.NEEDS_HUMAN
    assert trace.steps[-1].outcome is Outcome.DENIED and trace.steps[-1].human.approved  # the screen's yes

    site.state.payments.clear()
    person = Asked()
    result, _ = run(browser, site.page(f"/net/card-pay/{order}"), script, person.human, tmp_path)
    assert person.categories == ["personal_data", "payment"] and result.status is Status.SUCCESS
    assert len(site.state.payments) == 1 and "4242 4242 4242 4242" in site.state.payments[0].cause["form"]


def test_a_link_that_pays_with_a_get_is_held(tmp_path: Path, browser, site) -> None:
    order = an_order(site)
    script = [tap(resource_id="details"), Finish(message="ok")]
    result, trace = run(browser, site.page(f"/net/link-pay/{order}"), script, NoHuman(), tmp_path)
    assert site.state.payments == [] and result.status is Status.NEEDS_HUMAN
    event = trace.steps[0].network[0]
    assert event.method == "GET" and event.url.endswith("/net/pay?…") and event.decision.category == "payment"


def test_harmless_browsing_asks_nothing(tmp_path: Path, browser, site) -> None:
    person = Asked(answer=lambda request: False)
    script = [tap(resource_id="q"), Type(text="vacuum flask\n"), tap(resource_id="fav"), Wait(seconds=1),
              Finish(message="ok")]
    result, trace = run(browser, site.page("/net/harmless"), script, person.human, tmp_path)
    assert person.requests == [] and result.status is Status.SUCCESS
    assert all(step.network == [] for step in trace.steps)
    kinds = [e["kind"] for e in site.state.lab_log]
    assert kinds.count("search") == 1 and kinds.count("favourites") == 1
    assert kinds.count("analytics") >= 3 and kinds.count("poll") >= 1  # every beacon and poll went out
    assert '"q":"vacuum flask"' in next(e["body"] for e in site.state.lab_log if e["kind"] == "search")


def test_a_person_taking_over_is_not_held(tmp_path: Path, browser, site) -> None:
    """During a take-over the person drives the browser: their payment is theirs, not a held request."""
    order = an_order(site)
    asked: list[ConfirmationRequest] = []
    with BrowserDevice.attach(browser, site.page(f"/net/icon-pay/{order}"), **PHONE) as device:
        device.wait_until_settled(5)

        def take_over(message: str) -> bool:
            device.page.click("#go")  # the person pays by hand
            device.page.wait_for_function("document.querySelector('h1').textContent === 'Thank you'")
            return True

        human = CallbackHuman(on_confirm=lambda r: asked.append(r) or False, on_take_over=take_over)
        agent = Agent(device=device, policy=LiveScript([TakeOver(message="please pay"), Finish(message="ok")]),
                      guard=ScreenGuard(), human=human, trace_root=tmp_path, max_steps=3)
        result = agent.run("pay for my order")
    assert asked == [] and result.status is Status.SUCCESS and len(site.state.payments) == 1


@pytest.mark.parametrize("page", ["icon-pay", "popup-pay"])
def test_the_command_line_holds_what_an_icon_pays(tmp_path: Path, site, page: str) -> None:
    """`autoagent run --device browser:URL` with no one at the terminal: the held payment is a no,
    whether the page pays itself or from a blank window it writes the payment into."""
    order = an_order(site)
    chat = ChatServer()
    try:
        # The first look may come before the page has loaded (on a loaded CI machine one second was once
        # not enough); the icon sits in the middle of the window.
        chat.replies.extend([Reply(text='<answer>do(action="Wait", duration="3 seconds")</answer>'),
                             Reply(text='<answer>do(action="Tap", element=[500,500])</answer>'),
                             Reply(text='finish(message="paid")')])
        out = subprocess.run(
            [sys.executable, "-m", "autoagent", "run", "Pay for my order", "--device",
             f"browser:{site.page(f'/net/{page}/{order}')}", "--engine", "openai", "--base-url", chat.base_url,
             "--model", "m", "--api-key", "k", "--traces", str(tmp_path)],
            cwd=tmp_path, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    finally:
        chat.close()
    assert out.returncode == 3, out.stdout + out.stderr  # needs_human
    assert "payment needs your confirmation" in out.stdout and "Traceback" not in out.stderr
    assert site.state.payments == []
    (trace_dir,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    step = read_trace(trace_dir).steps[-1]
    assert step.outcome is Outcome.DENIED and step.network[0].human.by == "none"
