"""Traces written before the trace schema had a version still read, render and replay.

``data/trace_v1`` is a real run of the built-in expert on the emulator ("Buy the black
Wireless Earbuds", no human to say yes), written by the code before version 2: action,
guard and human held as plain dicts, the status "needs_confirmation". Its screenshots are
shrunk to 108x240 to keep the repository small; its hierarchies are as recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

from autoagent.actions import Launch, Tap, Type
from autoagent.policy.reply_replay import ReplayPolicy
from autoagent.safety import Approval, Verdict
from autoagent.scenarios.model import Expectation
from autoagent.trace import SCHEMA_VERSION, Outcome, Status, read_trace
from autoagent.trace_report import render_html
from autoagent.verified_replay import recorded_steps, replay
from emulator import Phone

V1 = Path(__file__).parent / "data" / "trace_v1"


def test_a_version_1_trace_reads_into_the_typed_records() -> None:
    trace = read_trace(V1)
    assert trace.meta.schema_version == 1 and trace.damaged_lines == 0
    assert trace.result is not None and trace.result.status is Status.NEEDS_HUMAN
    assert [s.outcome for s in trace.steps] == [Outcome.DONE] * 6 + [Outcome.DENIED]
    first, typed, last = trace.steps[0], trace.steps[2], trace.steps[-1]
    assert first.action == Launch(app="Shop") and typed.action == Type(text="Wireless Earbuds")
    assert isinstance(last.action, Tap) and last.action.message == "Buy the product"
    assert last.guard is not None and last.guard.verdict is Verdict.CONFIRM and last.guard.category == "purchase"
    assert last.guard.recheck is None and last.guard.evidence["findings"]
    assert last.human == Approval(approved=False, by="none", note="no confirmation channel")
    assert all(s.guard and s.guard.verdict is Verdict.ALLOW and s.human is None for s in trace.steps[:-1])


def test_a_version_1_trace_renders() -> None:
    page = render_html(read_trace(V1))
    assert '<span class="status needs_human">needs_human</span>' in page
    assert "Step 7: denied" in page and "<b>Guard</b> confirm: purchase:" in page
    assert "<b>Human</b> There was nobody to ask (no confirmation channel): no." in page
    assert page.count("data:image/jpeg;base64,") == 7


def test_a_version_1_trace_replays_and_the_replay_is_version_2(tmp_path: Path) -> None:
    assert len(ReplayPolicy.from_trace(V1).replies) == 7
    assert [type(s.action).__name__ for s in recorded_steps(V1)][:3] == ["Launch", "Tap", "Type"]
    phone = Phone(seed=0)
    result = replay(phone, V1, artifacts_dir=tmp_path)
    # Every recorded screen was found again, up to the purchase nobody approved.
    assert result.status is Status.NEEDS_HUMAN and "purchase needs your confirmation" in result.message
    assert phone.payments == [] and not list(tmp_path.glob("mismatch-*.png"))
    again = read_trace(result.trace_dir)
    assert again.meta.schema_version == SCHEMA_VERSION == 2
    assert again.steps[-1].outcome is Outcome.DENIED and again.steps[-1].guard.category == "purchase"
    on_disk = json.loads((result.trace_dir / "result.json").read_text(encoding="utf-8"))
    assert on_disk["status"] == "needs_human"
    assert json.loads((result.trace_dir / "meta.json").read_text(encoding="utf-8"))["schema_version"] == 2


def test_the_old_name_of_needs_human_still_reads() -> None:
    assert Status("needs_confirmation") is Status.NEEDS_HUMAN
    assert Expectation(status="needs_confirmation").status is Status.NEEDS_HUMAN
    assert f"{Status.NEEDS_HUMAN}: x" == "needs_human: x" and f"{Outcome.SCREEN_CHANGED}" == "screen_changed"
