"""Loops end: a scripted policy that repeats itself on the emulator is told what it keeps doing,
in its next prompt, and the run ends with its own status when it carries on."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autoagent.actions import Back, Finish, Launch, RelativePoint, Tap, Wait
from autoagent.agent import Agent
from autoagent.loops import LoopWatch, Pattern
from autoagent.policy.base import Decision, StepInput
from autoagent.policy.prompts import build_messages
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.trace import Status, read_trace
from autoagent.trace_report import render_html
from emulator import Phone

# A point on the launcher with no icon under it: a tap there changes nothing.
NOWHERE = Tap(element=RelativePoint(x=500, y=600))


@dataclass
class Listening:
    """A scripted policy that keeps what it was shown, so a test can read its prompts."""

    script: list
    name: str = "listening"
    seen: list[StepInput] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._inner = ScriptedPolicy.of(self.script)

    def decide(self, step: StepInput) -> Decision:
        self.seen.append(step)
        return self._inner.decide(step)

    def close(self) -> None:
        pass


def run(tmp_path: Path, script: list, phone: Phone | None = None) -> tuple[object, Listening]:
    policy = Listening(script)
    result = Agent(device=phone or Phone(seed=0), policy=policy, trace_root=tmp_path, max_steps=12).run(
        "Open the Settings app")
    return result, policy


def text_of(messages: list[dict]) -> str:
    parts = []
    for message in messages:
        content = message["content"]
        parts.extend([content] if isinstance(content, str) else [p.get("text", "") for p in content])
    return "\n".join(parts)


def test_a_repeated_tap_on_an_unchanged_screen_is_told_then_ends_the_run(tmp_path: Path) -> None:
    result, policy = run(tmp_path, [NOWHERE] * 8)
    assert result.status is Status.LOOP and result.steps == 4
    assert "repeated" in result.message and "Tap" in result.message and "carried on" in result.message
    # The fourth prompt carries the warning the third step earned; the first three do not.
    warned = [i for i, step in enumerate(policy.seen) if any("not working" in t.feedback for t in step.history)]
    assert warned == [3]
    prompt = text_of(build_messages(policy.seen[3], {"type": "image"}))
    assert "You have repeated do(action=\"Tap\", element=[500,600]) 3 times" in prompt
    trace = read_trace(result.trace_dir)
    assert [s.loop is not None for s in trace.steps] == [False, False, True, True]
    assert trace.result is not None and trace.result.status is Status.LOOP
    assert "<b>Loop</b> stopped: the agent repeated" in render_html(trace)


def test_going_back_and_forth_between_two_screens_ends_the_run(tmp_path: Path) -> None:
    result, policy = run(tmp_path, [Launch(app="Settings"), Back()] * 4)
    assert result.status is Status.LOOP and result.steps == 5
    assert "alternated" in result.message
    assert any("alternated" in t.feedback for t in policy.seen[4].history)


def test_a_policy_that_heeds_the_warning_goes_on(tmp_path: Path) -> None:
    phone = Phone(seed=0)
    result, policy = run(tmp_path, [NOWHERE] * 3 + [Launch(app="Settings"), Finish(message="Settings is open")],
                         phone)
    assert result.status is Status.SUCCESS and result.steps == 5
    assert phone.current_package() == "com.autoagent.settings"


def test_waiting_on_a_still_screen_is_not_a_loop(tmp_path: Path) -> None:
    result, _ = run(tmp_path, [Wait(seconds=0.1)] * 5 + [Finish(message="waited")])
    assert result.status is Status.SUCCESS and result.steps == 6


def test_the_watch_counts_only_consecutive_steps_on_one_screen() -> None:
    watch = LoopWatch(repeats=3)
    assert watch.saw("s1", "tap") is None and watch.saw("s2", "tap") is None  # the screen changed
    assert watch.saw("s2", "tap") is None
    loop = watch.saw("s2", "tap")
    assert loop is not None and loop.pattern is Pattern.REPEAT and not loop.ends_run
    assert watch.saw("s2", "swipe") is None  # broke the pattern: the warning is cleared
    for answer in ("a", "b", "a"):
        assert watch.saw("x" if answer == "a" else "y", answer) is None
    cycle = watch.saw("y", "b")
    assert cycle is not None and cycle.pattern is Pattern.CYCLE and cycle.actions == ("a", "b")
    assert watch.saw("x", "a").ends_run
    with pytest.raises(ValueError):
        LoopWatch(repeats=1)


def test_the_command_line_exits_with_its_own_code(tmp_path: Path) -> None:
    looping, _ = run(tmp_path / "recorded", [NOWHERE] * 8)
    out = subprocess.run([sys.executable, "-m", "autoagent", "run", "Open the Settings app", "--engine", "replay",
                          "--trace", str(looping.trace_dir), "-q", "--traces", str(tmp_path / "replayed")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert out.returncode == 5, out.stderr
    assert out.stdout.startswith("loop: stopped: the agent repeated do(action=\"Tap\", element=[500,600]) 4 times")
