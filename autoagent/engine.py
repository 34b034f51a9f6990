"""One step, done one way: guard -> human -> re-check -> execute -> settle -> record.

Drivers decide what to do; the engine does it. ``Agent.run`` (a policy deciding), the
Gymnasium-style emulator environment (a caller's actions), web runs, scenarios, replay and
training are all drivers over :class:`StepEngine`, whose contract follows Gymnasium:

    observation = engine.reset(task, policy="...")
    observation, stepped = engine.step(decision)   # until stepped.ending is set
    engine.close(ending)

Every step is recorded once, in order, before the next one is decided (when a trace is kept).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from autoagent.actions import (POINTER_ACTIONS, Action, Back, Finish, Home, Interact, Launch, Note, TakeOver, Type,
                               Wait)
from autoagent.actuators.execute import execute
from autoagent.device import Device, GuardsRequests, ReadsTree, ScreenChangedError, SettlesToObservation, UnknownApp
from autoagent.grammar import format_action
from autoagent.loops import Loop, LoopWatch, screen_key
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision
from autoagent.safety.consent import Consents, promise
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.human import NoHuman
from autoagent.safety.network import NetworkGuard
from autoagent.safety.types import Approval, ConfirmationRequest, Guard, GuardDecision, Human, Verdict
from autoagent.touch import expected_touch
from autoagent.trace import GuardRecord, Outcome, Reply, RunResult, Status, StepRecord, TraceMeta, TraceWriter, clip_record


@dataclass(frozen=True)
class Ending:
    """How a run ends, when a step ends it."""

    status: Status
    message: str = ""


@dataclass
class Stepped:
    """What one step came to."""

    outcome: Outcome
    record: StepRecord
    ending: Ending | None = None  # set when the run ends here
    feedback: str = ""  # for the model's next turn


@dataclass
class _Acted:
    """The phases' verdict on a decision, before it becomes the step's record."""

    outcome: Outcome
    ending: Ending | None = None
    feedback: str = ""
    guard: GuardRecord | None = None
    human: Approval | Reply | None = None
    pixels: list[tuple[int, int]] = field(default_factory=list)
    error: str | None = None
    settled: Observation | None = None  # the still screen, where the device's settling returns it


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


@dataclass
class StepEngine:
    device: Device
    guard: Guard = field(default_factory=ScreenGuard)
    human: Human = field(default_factory=NoHuman)
    settle_timeout: float = 5.0
    # None: keep no trace (the Gymnasium environment); otherwise runs are written under it.
    trace_root: Path | None = Path("traces")
    # False: the trace keeps hierarchies but no screenshots (text-only training data).
    save_screenshots: bool = True
    on_step: Callable[[StepRecord], None] | None = None
    # Warns the model when it repeats itself on an unchanged screen, then ends the run
    # (autoagent.loops). None: the driver judges loops itself (the Gymnasium environment).
    loops: LoopWatch | None = field(default_factory=LoopWatch)
    task: str = field(default="", init=False)
    steps: int = field(default=0, init=False)  # begun, the one in flight included
    recorded: int = field(default=0, init=False)  # on record: what a run that stops now has done
    observation: Observation | None = field(default=None, init=False)
    writer: TraceWriter | None = field(default=None, init=False)
    _saved: tuple[str | None, str | None] = field(default=(None, None), init=False)
    _timings: dict[str, float] = field(default_factory=dict, init=False)
    _started: float = field(default=0.0, init=False)
    # Judges what the device sends, where the device lets it (a browser): see safety/network.py.
    network: NetworkGuard | None = field(default=None, init=False)
    consents: Consents = field(default_factory=Consents, init=False)  # the yeses given in this run

    # ------------------------------------------------------------------ the contract

    def reset(self, task: str, policy: str = "") -> Observation:
        """Start a run of ``task`` (``policy`` names who decides, for the trace); the first screen."""
        if not task.strip():
            raise ValueError("the task is empty: say what the agent should do")
        size = self.device.screen_size()
        self.task, self.steps, self.recorded = task, 0, 0
        self.consents = Consents()
        if self.loops is not None:
            self.loops.reset()
        if self.trace_root is not None:
            meta = TraceMeta(task=task, device=self.device.name, policy=policy, screen_size=size)
            self.writer = TraceWriter.create(Path(self.trace_root), meta, screenshots=self.save_screenshots)
        if isinstance(self.device, GuardsRequests):
            self.network = NetworkGuard(human=self.human, task=task)
            self.device.guard_requests(self.network.judge)
        return self._look()

    def step(self, decision: Decision) -> tuple[Observation, Stepped]:
        """Carry out ``decision`` on the current screen; the next screen and what the step came to."""
        observation = self._current()
        self.steps += 1
        timings = self._timings
        timings.update({f"model_{k}": v for k, v in decision.timings.items() if k != "model"})
        answer = format_action(decision.action)
        # A request refused since the last step (a page's own late one) stops the run before
        # anything else is done; one refused while this step ran decides its outcome.
        stopped = self._refused_request()
        try:
            acted = self._act(decision.action, observation, answer, timings) if stopped is None \
                else _Acted(Outcome.DENIED, stopped)
        finally:
            if self.network is not None:
                self.network.end()
        if stopped is None and (stopped := self._refused_request()) is not None \
                and (acted.ending is None or acted.ending.status is Status.SUCCESS):
            acted = replace(acted, outcome=Outcome.DENIED, ending=stopped, feedback="")
        loop = self._watch_loops(decision.action, observation, answer, acted)
        if loop is not None:
            acted = replace(acted, ending=Ending(Status.LOOP, loop.message)) if loop.ends_run \
                else replace(acted, feedback=" ".join(p for p in (acted.feedback, loop.message) if p))
        timings["total"] = _ms(self._started)
        record = self._record(raw=decision.raw, thought=decision.thought, answer=answer, action=decision.action,
                              pixels=acted.pixels, guard=acted.guard, human=acted.human, outcome=acted.outcome,
                              error=acted.error, loop=loop.message if loop is not None else None)
        stepped = Stepped(acted.outcome, record, acted.ending, acted.feedback)
        return (observation if acted.ending else self._look(acted.settled)), stepped

    def reject(self, raw: str, outcome: Outcome, error: str, ending: Ending | None = None) -> tuple[Observation, Stepped]:
        """Record a step whose reply held no action (cut off, unreadable, or the policy failed)."""
        observation = self._current()
        self.steps += 1
        ending = ending or self._refused_request()
        record = self._record(raw=raw, outcome=outcome, error=error)
        stepped = Stepped(outcome, record, ending)
        return (observation if ending else self._look()), stepped

    def time_model(self, milliseconds: float) -> None:
        """The policy's time on the current step, kept with the step's other timings."""
        self._timings["model"] = milliseconds

    def close(self, ending: Ending) -> Path | None:
        """Write how the run ended; the trace's folder (None when no trace is kept)."""
        if self.writer is None:
            return None
        writer, self.writer = self.writer, None
        writer.finish(RunResult(status=ending.status, message=ending.message, steps=self.recorded))
        return writer.path

    # ------------------------------------------------------------------ one step's phases

    def _act(self, action: Action, observation: Observation, answer: str, timings: dict[str, float]) -> _Acted:
        if isinstance(action, Finish):
            return _Acted(Outcome.FINISHED, Ending(Status.SUCCESS, action.message))
        if isinstance(action, Note):
            return _Acted(Outcome.NOTED)
        if isinstance(action, Interact):
            return self._ask(action)

        t = time.perf_counter()
        reviewed = self.guard.review(action, observation, task=self.task)
        timings["guard"] = _ms(t)
        guard = GuardRecord(**reviewed.model_dump())

        taken_over = self._take_over(action, reviewed, guard)
        if taken_over is not None:
            return taken_over
        if reviewed.verdict is Verdict.DENY:
            return _Acted(Outcome.BLOCKED, Ending(Status.FAILED, f"blocked by the safety policy: {reviewed.reason}"),
                          guard=guard)
        if isinstance(action, (Back, Home, Launch)):
            self.consents.left_flow()
        confirmed: Approval | None = None
        if reviewed.verdict is Verdict.CONFIRM:
            confirmed = self._confirm(reviewed, answer, observation)
            if not confirmed.approved:
                return _Acted(Outcome.DENIED, Ending(Status.NEEDS_HUMAN,
                                                     f"{reviewed.category} needs your confirmation: {reviewed.reason}"),
                              guard=guard, human=confirmed)

        changed = self._recheck(action, reviewed, observation, timings)
        if changed is not None:
            return _Acted(Outcome.SCREEN_CHANGED,
                          feedback=f"The screen changed before the action ran ({changed.reason}). "
                                   "Look at the new screen and decide again.",
                          guard=guard.model_copy(update={"recheck": changed}), human=confirmed)

        stopped = self._refused_request()  # refused while the re-check read the page: act no further
        if stopped is not None:
            return _Acted(Outcome.DENIED, stopped, guard=guard, human=confirmed)
        # From here to the end of settling, requests of the category approved above go unasked.
        self._begin_acting(reviewed.category if confirmed is not None and confirmed.approved else None)
        t = time.perf_counter()
        try:
            pixels = execute(action, self.device, expected=expected_touch(reviewed))
        except ScreenChangedError as err:
            # The control under the finger is not the one the guard judged: nothing was touched.
            return _Acted(Outcome.SCREEN_CHANGED,
                          feedback=f"The screen changed before the action ran ({err}). "
                                   "Look at the new screen and decide again.",
                          guard=guard, human=confirmed, error=str(err))
        except UnknownApp as err:
            # A wrong app name is the model's mistake, not the device's: let it try again.
            return _Acted(Outcome.ERROR, feedback=f"That failed: {err}", guard=guard, human=confirmed, error=str(err))
        timings["act"] = _ms(t)
        t = time.perf_counter()
        settled = None
        if isinstance(self.device, SettlesToObservation):
            settled = self.device.settle(timeout=self.settle_timeout)
        else:
            self.device.wait_until_settled(timeout=self.settle_timeout)
        timings["settle"] = _ms(t)
        return _Acted(Outcome.DONE, guard=guard, human=confirmed, pixels=pixels, settled=settled)

    def _confirm(self, reviewed: GuardDecision, answer: str, observation: Observation) -> Approval:
        """The person's answer; or their earlier yes, where it covers this step of the same purchase
        (see :mod:`autoagent.safety.consent`: never more money, never another app)."""
        covered = self.consents.covering(reviewed, observation.app, self.steps)
        if covered is not None:
            return covered
        approval = self.human.confirm(ConfirmationRequest(
            task=self.task, step=self.steps, category=reviewed.category, reason=reviewed.reason,
            action=answer, app=observation.app, covers=promise(reviewed)))
        if approval.approved:
            self.consents.remember(reviewed, observation.app, self.steps)
        return approval

    def _ask(self, action: Interact) -> _Acted:
        """The model's question to the user (AutoGLM's Interact)."""
        reply = self.human.ask(action.message)
        asked = Reply(question=action.message, answer=reply)
        if reply is None:
            return _Acted(Outcome.NEEDS_HUMAN,
                          Ending(Status.NEEDS_HUMAN, f"the agent needs a choice from you: {action.message}"), human=asked)
        return _Acted(Outcome.ANSWERED, feedback=f"The user answered: {reply}", human=asked)

    def _take_over(self, action: Action, reviewed: GuardDecision, guard: GuardRecord) -> _Acted | None:
        """A person does this step on the device (the model asked, or the guard saw a login,
        CAPTCHA, password field or secure black screen); then the agent looks again."""
        if isinstance(action, TakeOver):
            reason = action.message
        elif reviewed.category == "takeover" and reviewed.verdict is Verdict.CONFIRM:
            reason = reviewed.reason
        else:
            return None
        with self._unguarded():
            answer = self.human.take_over(reason)
        if not answer.approved:
            return _Acted(Outcome.NEEDS_HUMAN, Ending(Status.NEEDS_HUMAN, f"a human must take over: {reason}"),
                          guard=guard, human=answer)
        return _Acted(Outcome.TAKEN_OVER, feedback="The user has finished the manual step; continue.",
                      guard=guard, human=answer)

    def _watch_loops(self, action: Action, observation: Observation, answer: str, acted: _Acted) -> Loop | None:
        """The loop this step makes, if the action was tried and the run goes on."""
        if self.loops is None or acted.ending is not None or acted.outcome not in (Outcome.DONE, Outcome.ERROR):
            return None
        return self.loops.saw(screen_key(observation), answer, waits=isinstance(action, Wait))

    # ------------------------------------------------------------------ what the device sends

    def _begin_acting(self, approved: str | None) -> None:
        """The step's act and settle begin (they end when :meth:`step`'s phases return): requests
        they send of the ``approved`` category (the human's yes on the screen) go without a
        second question; every other one is asked about."""
        if self.network is not None:
            self.network.begin(self.steps, [approved])

    @contextmanager
    def _unguarded(self) -> Iterator[None]:
        """A person drives the device: their requests are theirs, and must not wait for the
        agent's thread (which waits for them)."""
        if self.network is None or not isinstance(self.device, GuardsRequests):
            yield
            return
        self.device.guard_requests(None)
        try:
            yield
        finally:
            self.device.guard_requests(self.network.judge)

    def _refused_request(self) -> Ending | None:
        """The run's end when the human refused a request the device tried to send, as a no
        on the screen ends it."""
        refused = self.network.refusal() if self.network is not None else None
        if refused is None:
            return None
        return Ending(Status.NEEDS_HUMAN, f"{refused.decision.category} needs your confirmation: "
                                          f"{refused.decision.reason}")

    def _recheck(self, action: Action, reviewed: GuardDecision, observation: Observation,
                 timings: dict[str, float]) -> GuardDecision | None:
        """The guard's look at the screen right before a touch or keystroke lands; a decision when
        it differs. The screen may have changed since it was observed (a slow load, a sheet sliding
        up, minutes spent waiting for the human)."""
        if not isinstance(action, POINTER_ACTIONS + (Type,)):
            return None
        t = time.perf_counter()
        later = self.guard.recheck(action, reviewed, self._reread(observation), task=self.task)
        timings["recheck"] = _ms(t)
        return later

    def _reread(self, before: Observation) -> Observation:
        """The screen as it is now, as cheaply as the device allows: the current nodes with
        ``before``'s screenshot where the device reads its nodes alone; otherwise, or when no node
        comes back, a whole new observation, so that the guard never judges the old screenshot alone."""
        if isinstance(self.device, ReadsTree):
            tree = self.device.screen_tree()
            if tree.nodes:
                return Observation(screenshot=before.screenshot, tree=tree, app=before.app, pointer=before.pointer)
        return self.device.observe()

    # ------------------------------------------------------------------ observing and recording

    def _look(self, settled: Observation | None = None) -> Observation:
        """The next step's screen (``settled``, when settling already captured it), handed to the
        trace writer."""
        self._started = time.perf_counter()
        self._timings = {}
        observation = settled or self.device.observe()
        self._timings["capture"] = _ms(self._started)
        t = time.perf_counter()
        step = self.steps + 1
        self._saved = self.writer.save_observation(step, observation) if self.writer else (None, None)
        self._timings["save"] = _ms(t)
        self.observation = observation
        return observation

    def _current(self) -> Observation:
        if self.observation is None:
            raise RuntimeError("call reset() before step()")
        return self.observation

    def _record(self, **fields: object) -> StepRecord:
        observation = self._current()
        shot, xml = self._saved
        # Clipped here, not only in the writer, so that progress callbacks (the terminal, the web
        # page) never carry a multi-megabyte reply either.
        network = self.network.take_events() if self.network is not None else []
        record = clip_record(StepRecord(step=self.steps, screenshot=shot, hierarchy=xml, app=observation.app,
                                        screen_size=observation.size, timings=self._timings, network=network,
                                        **fields))
        if self.writer is not None:
            self.writer.append(record)
        self.recorded = self.steps
        if self.on_step:
            self.on_step(record)
        return record
