"""The agent loop: observe -> decide -> guard -> act -> record, one step at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from autoagent.actions import POINTER_ACTIONS, Finish, Interact, Note, TakeOver, Type
from autoagent.actuators.execute import execute
from autoagent.device import Device, DeviceError, UnknownApp
from autoagent.grammar import UnparseableReply, format_action
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision, Policy, PolicyError, StepInput, TruncatedReply, Turn
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.human import NoHuman
from autoagent.safety.types import Answer, ConfirmationRequest, Guard, Human, Verdict
from autoagent.trace import (
    MAX_THOUGHT_CHARS, GuardRecord, Outcome, Reply, RunResult, Status, StepRecord, TraceMeta, TraceWriter, clip_middle,
    clip_record,
)


class Result(BaseModel):
    status: Status
    message: str = ""
    steps: int = 0
    trace_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


@dataclass
class Agent:
    device: Device
    policy: Policy
    guard: Guard = field(default_factory=ScreenGuard)
    human: Human = field(default_factory=NoHuman)
    max_steps: int = 30
    trace_root: Path = Path("traces")
    # Re-asks allowed in a row after replies with no valid action.
    max_reasks: int = 2
    settle_timeout: float = 5.0
    # False: the trace keeps hierarchies but no screenshots (text-only training data).
    save_screenshots: bool = True
    on_step: Callable[[StepRecord], None] | None = None
    _steps_done: int = field(default=0, init=False)

    def run(self, task: str) -> Result:
        if not task.strip():
            raise ValueError("the task is empty: say what the agent should do")
        try:
            size = self.device.screen_size()
        except DeviceError as err:
            return Result(status=Status.ERROR, message=f"device: {err}")
        meta = TraceMeta(task=task, device=self.device.name, policy=self.policy.name, screen_size=size)
        writer = TraceWriter.create(Path(self.trace_root), meta, screenshots=self.save_screenshots)
        self._steps_done = 0
        try:
            result = self._loop(task, writer, [])
        except KeyboardInterrupt:
            result = Result(status=Status.INTERRUPTED, message="stopped by the user", steps=self._steps_done)
        except DeviceError as err:
            result = Result(status=Status.ERROR, message=f"device: {err}", steps=self._steps_done)
        except BaseException as err:
            # A bug of ours: the trace still says how far the run got, then the error propagates
            # (the original one, even if the trace cannot be finished either).
            try:
                writer.finish(RunResult(status=Status.ERROR, message=f"agent crashed: {err!r}",
                                        steps=self._steps_done))
            except Exception:
                pass
            raise
        writer.finish(RunResult(status=result.status, message=result.message, steps=result.steps))
        return result.model_copy(update={"trace_dir": writer.path})

    def _record(self, writer: TraceWriter, record: StepRecord) -> None:
        # Clipped here, not only in the writer, so that progress callbacks (the terminal,
        # the web page) never carry a multi-megabyte reply either.
        record = clip_record(record)
        writer.append(record)
        self._steps_done = record.step
        if self.on_step:
            self.on_step(record)

    def _loop(self, task: str, writer: TraceWriter, history: list[Turn]) -> Result:
        reasks = 0
        for step in range(1, self.max_steps + 1):
            timings: dict[str, float] = {}
            started = time.perf_counter()
            observation = self.device.observe()
            timings["capture"] = _ms(started)
            t = time.perf_counter()
            shot, xml = writer.save_observation(step, observation)
            timings["save"] = _ms(t)

            def record(**fields: Any) -> StepRecord:  # the step's one record, built when it is decided
                return StepRecord(step=step, screenshot=shot, hierarchy=xml, app=observation.app,
                                  screen_size=observation.size, timings=timings, **fields)

            t = time.perf_counter()
            try:
                decision = self.policy.decide(StepInput(task=task, step=step, observation=observation,
                                                        history=tuple(history)))
            except UnparseableReply as err:
                timings["model"] = _ms(t)
                reasks += 1
                cut = isinstance(err, TruncatedReply)
                self._record(writer, record(raw=err.raw, outcome=Outcome.TRUNCATED if cut else Outcome.UNPARSEABLE,
                                            error=err.reason))
                feedback = (f"Your reply was cut off before it ended ({err.reason}). Think briefly, then reply "
                            "with one complete action." if cut
                            else f"Your reply had no valid action ({err.reason}). Reply with one action.")
                history.append(Turn(thought="", answer=err.raw[-500:], feedback=feedback))
                if reasks > self.max_reasks:
                    return Result(status=Status.FAILED, steps=step,
                                  message=f"the model gave {reasks} replies in a row with no valid action: {err.reason}")
                continue
            except PolicyError as err:
                timings["model"] = _ms(t)
                self._record(writer, record(outcome=Outcome.ERROR, error=str(err)))
                return Result(status=Status.ERROR, message=f"policy: {err}", steps=step)
            reasks = 0
            timings["model"] = _ms(t)
            timings.update({f"model_{k}": v for k, v in decision.timings.items() if k != "model"})
            answer = format_action(decision.action)

            acted = self._act(task, step, decision, observation, answer, timings)
            timings["total"] = _ms(started)
            self._record(writer, record(raw=decision.raw, thought=decision.thought, answer=answer,
                                        action=decision.action, pixels=acted.pixels, guard=acted.guard,
                                        human=acted.human, outcome=acted.outcome, error=acted.error))
            # A runaway thought would crowd every later turn out of the prompt; its ends carry the gist.
            history.append(Turn(thought=clip_middle(decision.thought, MAX_THOUGHT_CHARS), answer=answer,
                                feedback=acted.feedback))
            if acted.result is not None:
                return acted.result
        return Result(status=Status.STEP_LIMIT, steps=self.max_steps,
                      message=f"no finish after {self.max_steps} steps")

    def _act(self, task: str, step: int, decision: Decision, observation: Observation,
             answer_text: str, timings: dict[str, float]) -> "_Acted":
        action = decision.action
        if isinstance(action, Finish):
            return _Acted(Outcome.FINISHED, Result(status=Status.SUCCESS, message=action.message, steps=step))
        if isinstance(action, Note):
            return _Acted(Outcome.NOTED)
        if isinstance(action, Interact):
            reply = self.human.ask(action.message)
            asked = Reply(question=action.message, answer=reply)
            if reply is None:
                return _Acted(Outcome.NEEDS_HUMAN, Result(status=Status.NEEDS_HUMAN, steps=step,
                                                          message=f"the agent needs a choice from you: {action.message}"),
                              human=asked)
            return _Acted(Outcome.ANSWERED, feedback=f"The user answered: {reply}", human=asked)

        t = time.perf_counter()
        decision_of_guard = self.guard.review(action, observation)
        timings["guard"] = _ms(t)
        guard = GuardRecord(**decision_of_guard.model_dump())

        # A person does this step on the device (the model asked, or the guard saw a login,
        # CAPTCHA, password field or secure black screen); then the agent looks again.
        if isinstance(action, TakeOver):
            reason = action.message
        elif decision_of_guard.category == "takeover" and decision_of_guard.verdict is Verdict.CONFIRM:
            reason = decision_of_guard.reason
        else:
            reason = None
        if reason is not None:
            answer = self.human.take_over(reason)
            if not answer.approved:
                return _Acted(Outcome.NEEDS_HUMAN, Result(status=Status.NEEDS_HUMAN, steps=step,
                                                          message=f"a human must take over: {reason}"),
                              guard=guard, human=answer)
            return _Acted(Outcome.TAKEN_OVER, feedback="The user has finished the manual step; continue.",
                          guard=guard, human=answer)

        if decision_of_guard.verdict is Verdict.DENY:
            return _Acted(Outcome.BLOCKED, Result(status=Status.FAILED, steps=step,
                                                  message=f"blocked by the safety policy: {decision_of_guard.reason}"),
                          guard=guard)
        confirmed: Answer | None = None
        if decision_of_guard.verdict is Verdict.CONFIRM:
            request = ConfirmationRequest(task=task, step=step, category=decision_of_guard.category,
                                          reason=decision_of_guard.reason, action=answer_text,
                                          app=observation.app)
            confirmed = self.human.confirm(request)
            if not confirmed.approved:
                return _Acted(Outcome.DENIED, Result(status=Status.NEEDS_HUMAN, steps=step,
                                                     message=f"{decision_of_guard.category} needs your confirmation: "
                                                             f"{decision_of_guard.reason}"),
                              guard=guard, human=confirmed)

        if isinstance(action, POINTER_ACTIONS + (Type,)):
            # The screen may have changed since it was observed (a slow load, a sheet sliding
            # up, minutes spent waiting for the human): read it again right before acting.
            t = time.perf_counter()
            later = self.guard.recheck(action, decision_of_guard, self._reobserve_cheaply(observation))
            timings["recheck"] = _ms(t)
            if later is not None:
                return _Acted(Outcome.SCREEN_CHANGED,
                              feedback=f"The screen changed before the action ran ({later.reason}). "
                                       "Look at the new screen and decide again.",
                              guard=guard.model_copy(update={"recheck": later}), human=confirmed)

        t = time.perf_counter()
        try:
            pixels = execute(action, self.device)
        except UnknownApp as err:
            # A wrong app name is the model's mistake, not the device's: let it try again.
            return _Acted(Outcome.ERROR, feedback=f"That failed: {err}", guard=guard, human=confirmed, error=str(err))
        timings["act"] = _ms(t)
        t = time.perf_counter()
        self.device.wait_until_settled(timeout=self.settle_timeout)
        timings["settle"] = _ms(t)
        return _Acted(Outcome.DONE, guard=guard, human=confirmed, pixels=pixels)

    def _reobserve_cheaply(self, before: Observation) -> Observation:
        """The screen as it is now, as cheaply as the device allows: where it can read the
        hierarchy alone (far cheaper than a screenshot), the current hierarchy with ``before``'s
        screenshot; where it cannot, or the hierarchy comes back empty, a whole new observation,
        so that the guard never judges the old screenshot alone."""
        read = getattr(self.device, "hierarchy", None) or getattr(self.device, "hierarchy_xml", None)
        if callable(read):
            hierarchy = read()
            if hierarchy:
                return Observation(screenshot=before.screenshot, hierarchy=hierarchy, app=before.app)
        return self.device.observe()


@dataclass
class _Acted:
    """What :meth:`Agent._act` made of a decision: the step's outcome and what the trace keeps of it."""

    outcome: Outcome
    result: Result | None = None  # set when the run ends here
    feedback: str = ""  # for the model's next turn
    guard: GuardRecord | None = None
    human: Answer | Reply | None = None
    pixels: list[tuple[int, int]] = field(default_factory=list)
    error: str | None = None
