"""The channels that reach a human: terminal, callback, scenario (emulator only), front-end queue."""

from __future__ import annotations

import html
import io
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import emulator
from autoagent.actions import Finish, Tap
from autoagent.agent import Agent, Status
from autoagent.geometry import to_relative
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import (
    Approval,
    CallbackHuman,
    ConfirmationRequest,
    NoHuman,
    PendingConfirmations,
    ScenarioApprovals,
    TerminalHuman,
)
from autoagent.trace import read_trace
from tests.stubs import Button, StubDevice

REQUEST = ConfirmationRequest(task="buy", step=3, category="payment", reason="payment: 'pay' in 'Pay ¥59'",
                              action='do(action="Tap", element=[500,900])', app="com.example.shop")
PAY = Button("Pay ¥59.00", (100, 2100, 980, 2250))


def test_no_human_says_no() -> None:
    human = NoHuman()
    assert not human.confirm(REQUEST).approved and human.confirm(REQUEST).by == "none"
    assert not human.take_over("log in").approved and human.ask("which size?") is None


@pytest.mark.parametrize("typed,approved", [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False),
                                            ("", False), ("pay\n", False)])
def test_terminal_needs_an_explicit_yes(typed: str, approved: bool) -> None:
    err = io.StringIO()
    answer = TerminalHuman(stdin=io.StringIO(typed), stderr=err).confirm(REQUEST)
    assert answer.approved is approved and answer.by == "terminal"
    assert "Pay ¥59" in err.getvalue() and "[y/N]" in err.getvalue()


def test_callback_is_asked_with_the_request() -> None:
    seen = []
    human = CallbackHuman(on_confirm=lambda r: seen.append(r) or False)
    assert not human.confirm(REQUEST).approved and seen == [REQUEST]
    assert not human.take_over("x").approved  # no take-over handler: no


@pytest.mark.parametrize("reply", ["no", "yes", 1, "True", [True], None, False])
def test_callback_approves_only_on_exactly_true(reply: object) -> None:
    human = CallbackHuman(on_confirm=lambda r: reply, on_take_over=lambda m: reply)
    assert human.confirm(REQUEST).approved is False and human.take_over("log in").approved is False
    approving = CallbackHuman(on_confirm=lambda r: True, on_take_over=lambda m: True)
    assert approving.confirm(REQUEST).approved is True and approving.take_over("log in").approved is True


# -- scenario approvals: the emulator only -------------------------------------------------------------
def test_scenario_refuses_anything_but_the_emulator() -> None:
    impostor = StubDevice(name="emulator")  # right name, wrong device
    answer = ScenarioApprovals(device=impostor, categories={"payment"}).confirm(REQUEST)
    assert not answer.approved and answer.by == "scenario" and "only on the emulator" in answer.note
    phone_like = StubDevice(name="android:R58M")
    assert not ScenarioApprovals(device=phone_like, categories={"payment"}).confirm(REQUEST).approved


def test_scenario_approves_listed_categories_on_the_emulator() -> None:
    phone = emulator.Phone(seed=0)
    scenario = ScenarioApprovals(device=phone, categories={"payment"}, answers=("M",))
    answer = scenario.confirm(REQUEST)
    assert answer.approved and answer.by == "scenario"
    assert not scenario.confirm(REQUEST.model_copy(update={"category": "send"})).approved
    assert not scenario.take_over("log in").approved
    assert scenario.ask("size?") == "M" and scenario.ask("again?") is None
    assert len(scenario.asked) == 2


# -- the front end's queue ----------------------------------------------------------------------------
class FrontEnd:
    """Runs a front end's code on its own thread; ``join`` re-raises what failed there."""

    def __init__(self, body: Callable[[], None]) -> None:
        self.errors: list[Exception] = []

        def run() -> None:
            try:
                body()
            except Exception as err:  # noqa: BLE001 - anything failing in the thread must fail the test
                self.errors.append(err)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, timeout: float = 5) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the front end did not finish"
        if self.errors:
            raise self.errors[0]


def answer_when_asked(pending: PendingConfirmations, approved: bool, by: str = "web:alice") -> FrontEnd:
    def front_end() -> None:
        request = pending.wait_for_request(timeout=5)
        assert request is not None
        assert pending.answer(request.id, approved, note="clicked", by=by)

    return FrontEnd(front_end)


def test_front_end_failures_reach_the_test() -> None:
    def broken() -> None:
        raise AssertionError("seen in the thread")

    with pytest.raises(AssertionError, match="seen in the thread"):
        FrontEnd(broken).join()


@pytest.mark.parametrize("approved", [True, False])
def test_queue_blocks_until_answered(approved: bool) -> None:
    pending = PendingConfirmations(timeout=5)
    published = []
    pending.on_publish = published.append
    thread = answer_when_asked(pending, approved)
    answer = pending.confirm(REQUEST)
    thread.join()
    assert answer.approved is approved and answer.by == "web:alice" and answer.note == "clicked"
    assert published and published[0].kind == "confirm" and published[0].request == REQUEST
    assert pending.pending() == []


def test_queue_timeout_is_a_no_and_late_answers_are_refused() -> None:
    pending = PendingConfirmations(timeout=0.2)
    started = time.monotonic()
    published = []
    pending.on_publish = published.append
    answer = pending.confirm(REQUEST)
    assert not answer.approved and "no answer within" in answer.note
    assert 0.15 < time.monotonic() - started < 2
    assert pending.answer(published[0].id, True) is False  # too late
    assert pending.answer("no-such-id", True) is False


def test_queue_close_refuses_everything() -> None:
    pending = PendingConfirmations(timeout=30)
    threading.Timer(0.1, pending.close).start()
    started = time.monotonic()
    assert not pending.confirm(REQUEST).approved
    assert time.monotonic() - started < 5
    assert not pending.take_over("log in").approved and pending.ask("?") is None


def test_queue_ask_and_take_over() -> None:
    pending = PendingConfirmations(timeout=5)

    def front_end() -> None:
        first = pending.wait_for_request(5)
        assert first.kind == "ask" and pending.answer(first.id, True) is False  # an ask wants text
        pending.reply(first.id, "size M")
        second = pending.wait_for_request(5)
        assert second.kind == "take_over"
        pending.answer(second.id, True, note="logged in")

    thread = FrontEnd(front_end)
    assert pending.ask("which size?") == "size M"
    assert pending.take_over("please log in").approved
    thread.join()


def test_queue_rejects_bad_timeout() -> None:
    with pytest.raises(ValueError):
        PendingConfirmations(timeout=0)


def test_agent_with_the_queue_pays_once_after_a_yes(tmp_path: Path) -> None:
    device = StubDevice(buttons=[PAY])
    pending = PendingConfirmations(timeout=5)
    thread = answer_when_asked(pending, True)
    centre = to_relative((540, 2175), device.size)
    result = Agent(device=device, policy=ScriptedPolicy.of([Tap(element=centre), Finish(message="paid")]),
                   human=pending, trace_root=tmp_path).run("buy")
    thread.join()
    assert result.status is Status.SUCCESS and device.taps_on("Pay ¥59.00") == 1
    step = read_trace(result.trace_dir).steps[0]
    assert step.human == Approval(approved=True, by="web:alice", note="clicked")
    assert step.guard.category == "payment" and step.guard.evidence["targets"][0]["text"] == "Pay ¥59.00"


def test_agent_with_an_unanswered_queue_pays_nothing(tmp_path: Path) -> None:
    device = StubDevice(buttons=[PAY])
    centre = to_relative((540, 2175), device.size)
    result = Agent(device=device, policy=ScriptedPolicy.of([Tap(element=centre)]),
                   human=PendingConfirmations(timeout=0.1), trace_root=tmp_path).run("buy")
    assert result.status is Status.NEEDS_HUMAN and device.taps_on("Pay ¥59.00") == 0


def pay_with(human, tmp_path: Path):
    device = StubDevice(buttons=[PAY])
    centre = to_relative((540, 2175), device.size)
    return Agent(device=device, policy=ScriptedPolicy.of([Tap(element=centre)]), human=human,
                 trace_root=tmp_path).run("buy")


def test_the_result_says_who_said_no_and_why(tmp_path: Path) -> None:
    """An explicit no reads as declined, a question nobody answered as timed out, and a run
    with nobody to ask as needing confirmation."""
    declined = pay_with(TerminalHuman(stdin=io.StringIO("n\n"), stderr=io.StringIO()), tmp_path / "n")
    assert declined.message.startswith("you declined the payment: payment: 'pay'"), declined.message
    timed_out = pay_with(PendingConfirmations(timeout=0.1), tmp_path / "t")
    assert timed_out.message.startswith("the payment question timed out (no answer within 0.1s), so nothing was "
                                        "done"), timed_out.message
    nobody = pay_with(NoHuman(), tmp_path / "none")
    assert nobody.message.startswith("payment needs your confirmation: "), nobody.message
    closed = pay_with(TerminalHuman(stdin=io.StringIO(""), stderr=io.StringIO()), tmp_path / "eof")
    assert closed.message.startswith("payment needs your confirmation: "), closed.message
    assert all(r.status is Status.NEEDS_HUMAN for r in (declined, timed_out, nobody, closed))


class SlowTerminal(io.StringIO):
    """A person who takes a while to type "n"."""

    def readline(self, *args: object) -> str:
        time.sleep(0.3)
        return super().readline()


def test_the_report_shows_the_answer_the_untouched_tap_and_the_wait_apart(tmp_path: Path) -> None:
    from autoagent.trace_report import render_html

    result = pay_with(TerminalHuman(stdin=SlowTerminal("n\n"), stderr=io.StringIO()), tmp_path)
    (step,) = read_trace(result.trace_dir).steps
    assert step.waited_ms >= 300 and step.own_ms < step.timings["total"] - 290
    page = html.unescape(render_html(read_trace(result.trace_dir)))
    assert 'Human</b> Declined on the terminal (typed "n").' in page
    assert "approved=" not in page and "'approved'" not in page  # no raw record
    assert 'class="not-touched"' in page and "Not tapped: it needed a yes and got none" in page
    assert "<td>waiting for the person</td>" in page and "<td>total, the agent's own</td>" in page
    assert "<td>total</td>" not in page
