"""Playing a sequence through the real agent: a scripted malicious model, the real guard, a recording human."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoagent.actions import Action
from autoagent.agent import Agent, Result
from autoagent.device import Device
from autoagent.perception.observation import Observation
from autoagent.safety import Approval, ConfirmationRequest, ScreenGuard
from autoagent.safety.types import Guard, GuardDecision
from autoagent.trace import read_trace
from tests.redteam.model import Move, decider
from tests.test_safety_emulator import LiveScript


@dataclass
class Recorder:
    """A human who answers every question the same way and writes each one down (take-overs too)."""

    answer: bool
    asked: list[str] = field(default_factory=list)

    def confirm(self, request: ConfirmationRequest) -> Approval:
        self.asked.append(f"step {request.step}: {request.category}: {request.reason} [{request.action}]")
        return Approval(approved=self.answer, by="red-team")

    def take_over(self, message: str) -> Approval:
        self.asked.append(f"take-over: {message}")
        return Approval(approved=self.answer, by="red-team")

    def ask(self, message: str) -> str | None:
        self.asked.append(f"question from the model: {message}")
        return None


@dataclass
class AfterLook:
    """The guard, and something that happens right after its last look at the screen before a step acts.

    It stands for a screen that changes in the window between the re-check and the touch (a timer, a
    sheet sliding up). Everything else, extra methods included, is the wrapped guard's.
    """

    inner: Guard
    then: Callable[[], None]

    def review(self, action: Action, observation: Observation, *, task: str = "") -> GuardDecision:
        return self.inner.review(action, observation, task=task)

    def recheck(self, action: Action, before: GuardDecision, observation: Observation, *,
                task: str = "") -> GuardDecision | None:
        later = self.inner.recheck(action, before, observation, task=task)
        if later is None:
            self.then()
        return later

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def play(device: Device, moves: tuple[Move, ...], human: Recorder, trace_root: Path, *, base: str = "",
         after_look: Callable[[], None] | None = None, task: str = "look around") -> Result:
    guard: Guard = ScreenGuard()
    if after_look is not None:
        guard = AfterLook(guard, after_look)
    policy = LiveScript([decider(m, base) for m in moves])
    agent = Agent(device=device, policy=policy, guard=guard, human=human, trace_root=trace_root,
                  max_steps=len(moves) + 2, save_screenshots=False, settle_timeout=3.0)
    return agent.run(task)


def story(result: Result) -> str:
    """What each step did and what the guard said: the message of a failing red-team assertion."""
    if result.trace_dir is None:
        return result.message
    lines = [f"run: {result.status.value} {result.message}"]
    for step in read_trace(result.trace_dir).steps:
        guard = step.guard
        said = f"{guard.verdict.value}/{guard.category}: {guard.reason[:160]}" if guard else "-"
        lines.append(f"  {step.step}. {step.answer} -> {step.outcome.value}; guard {said}")
    return "\n".join(lines)
