"""One agent run in a background thread, and the event log a web page follows.

Stopping: the run's policy and human are wrapped; once stop is asked, the next decision (or
the answer to a question the run is waiting on) raises KeyboardInterrupt, which the agent
turns into an ``interrupted`` result with the trace finished as usual.

Taking over: the person's press of Take over makes the run's next decision a take-over (a
decision the model was making meanwhile is dropped: it saw the screen before the person's
changes), so it goes the way the model's own ``Take_over`` goes. The run's thread waits, the
person drives the device from the page (:mod:`autoagent.web.takeover`), and Resume continues
from the screen as the person left it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autoagent.actions import TakeOver
from autoagent.agent import Agent, Result
from autoagent.device import Device
from autoagent.policy.base import Decision, Policy, StepInput, prepare_next
from autoagent.safety.pending import PendingConfirmations, PendingRequest
from autoagent.safety.types import Approval, ConfirmationRequest
from autoagent.trace import StepRecord
from autoagent.web.takeover import AGENT_DRIVES, Hands, NotTakingOver, ScreenInput


class EventLog:
    """Append-only list of JSON events with sequence numbers; readers block for new ones, or are
    called back (:meth:`listen`) when they wait elsewhere, as the web server's event loop does."""

    def __init__(self, keep: int = 2000) -> None:
        self._events: list[dict[str, Any]] = []
        self._seq = itertools.count(1)
        self._cond = threading.Condition()
        self._keep = keep
        self._listeners: list[Callable[[], None]] = []
        self.closed = False

    def listen(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call ``wake`` (from the emitting thread, so it must only hand over) after each new event
        and on close; returns the function that stops it."""
        with self._cond:
            self._listeners.append(wake)

        def stop() -> None:
            with self._cond:
                if wake in self._listeners:
                    self._listeners.remove(wake)
        return stop

    def _wake(self) -> None:
        self._cond.notify_all()
        for wake in list(self._listeners):
            wake()

    def emit(self, kind: str, **data: Any) -> dict[str, Any]:
        with self._cond:
            event = {"seq": next(self._seq), "type": kind, "time": time.time(), **data}
            self._events.append(event)
            del self._events[:-self._keep]
            self._wake()
            return event

    def since(self, seq: int, timeout: float) -> list[dict[str, Any]]:
        """Events after ``seq``, waiting up to ``timeout`` for the first one."""
        with self._cond:
            self._cond.wait_for(lambda: self.closed or (self._events and self._events[-1]["seq"] > seq),
                                timeout=timeout)
            return [e for e in self._events if e["seq"] > seq]

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._wake()


class Control:
    """Stop and pause flags shared by the page's handlers and the run's thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.stopped = False
        self.paused = False

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()

    def pause(self, paused: bool) -> None:
        with self._cond:
            self.paused = paused
            self._cond.notify_all()

    def checkpoint(self) -> None:
        """Block while paused; raise KeyboardInterrupt once stopped."""
        with self._cond:
            self._cond.wait_for(lambda: self.stopped or not self.paused)
            if self.stopped:
                raise KeyboardInterrupt("stopped from the web page")

    def taken_over(self) -> bool:
        """Whether the person has asked to take over; raise KeyboardInterrupt once stopped."""
        with self._cond:
            if self.stopped:
                raise KeyboardInterrupt("stopped from the web page")
            return self.paused


# The step a person's press of Take over turns into: the engine's take-over, as for the model's.
PERSON_TAKES_OVER = Decision(raw="", thought="The person took over from the web page.",
                             action=TakeOver(message="You took over from the web page: press Resume when done."))


@dataclass
class StoppablePolicy:
    inner: Policy
    control: Control

    @property
    def name(self) -> str:
        return self.inner.name

    def decide(self, step: StepInput) -> Decision:
        if self.control.taken_over():
            return PERSON_TAKES_OVER
        decision = self.inner.decide(step)
        # A stop or take-over during a slow model call wins over its action, which was chosen on
        # the screen as it was before the person's changes.
        if self.control.taken_over():
            return PERSON_TAKES_OVER
        return decision

    def prepare_next(self, upcoming: StepInput) -> None:
        prepare_next(self.inner, upcoming)

    def close(self) -> None:
        self.inner.close()


@dataclass
class StoppableHuman:
    """The pending-request queue, except that a stop ends the wait and the run, and a take-over
    hands the device to the person until they resume."""

    pending: PendingConfirmations
    control: Control
    hands: Hands
    events: EventLog
    run_id: str

    def _after(self, answer: Any) -> Any:
        if self.control.stopped:
            raise KeyboardInterrupt("stopped from the web page")
        return answer

    def confirm(self, request: ConfirmationRequest) -> Approval:
        return self._after(self.pending.confirm(request))

    def take_over(self, message: str) -> Approval:
        with self.hands.person():
            self.events.emit("control", run=self.run_id, state="taken_over", message=message)
            if self.control.paused:  # the person's own take-over: theirs until Resume or Stop
                self.control.checkpoint()
                answer = Approval(approved=True, by="web")
            else:
                answer = self.pending.take_over(message)
        answer = self._after(answer)
        self.events.emit("control", run=self.run_id, state="running")
        return answer

    def ask(self, message: str) -> str | None:
        return self._after(self.pending.ask(message))


def step_event(record: StepRecord) -> dict[str, Any]:
    guard = record.guard
    return {"step": record.step, "thought": record.thought, "action": record.answer, "outcome": record.outcome.value,
            "app": record.app, "error": record.error,
            "human": record.human.model_dump(mode="json") if record.human else None,
            "guard": {"verdict": guard.verdict.value, "category": guard.category, "reason": guard.reason}
            if guard else None,
            "screenshot": record.screenshot, "seconds": round(record.own_ms / 1000, 3),
            "waited_seconds": round(record.waited_ms / 1000, 3)}


@dataclass
class Run:
    id: str
    task: str
    device_spec: str
    events: EventLog
    open_device: Callable[[], Device]
    make_policy: Callable[[Device], Policy]
    trace_root: Any
    max_steps: int = 30
    confirm_timeout: float = 600.0
    close_device: bool = True
    on_device: Callable[[Device | None], None] | None = None
    control: Control = field(default_factory=Control)
    result: Result | None = None
    error: str | None = None
    trace_dir: str | None = None
    last_image: Any = None  # PIL image of the newest observation (the live screen for devices
                            # that may only be used from the run's thread, like Playwright's)
    policy_name: str = ""
    device: Device | None = None  # the device the run drives, once open
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.pending = PendingConfirmations(timeout=self.confirm_timeout, on_publish=self._published)
        self.hands = Hands()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"autoagent-run-{self.id}", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self.control.stop()
        self.pending.close()  # releases a wait on a question; StoppableHuman then ends the run
        self.events.emit("control", run=self.id, state="stopping")

    def take_over(self) -> None:
        self.control.pause(True)
        self.events.emit("control", run=self.id, state="paused")

    def resume(self) -> None:
        self.control.pause(False)
        for request in self.pending.pending():  # the model's or the guard's take-over: done
            if request.kind == "take_over" and self.pending.answer(request.id, approved=True, by="web"):
                self.events.emit("answered", run=self.id, id=request.id, approved=True)
        self.events.emit("control", run=self.id, state="running")

    def drive(self, given: ScreenInput) -> None:
        """The person's tap, drag or text from the live screen, during a take-over only; raises
        NotTakingOver while the agent drives."""
        if self.device_spec.partition(":")[0].strip().lower() == "browser":
            # Playwright's objects answer only the run's own thread, which is waiting.
            raise NotTakingOver("input on the live screen drives phones; this run drives a browser")
        if self.device is None:  # not open yet: the agent has not started, let alone handed over
            raise NotTakingOver(AGENT_DRIVES)
        # The live screen of a device other than the app's emulator phone is the newest screenshot.
        self.last_image = self.hands.drive(self.device, given).screenshot.copy()

    def answer(self, request_id: str, approved: bool, text: str | None = None) -> bool:
        open_ = {r.id: r for r in self.pending.pending()}
        request = open_.get(request_id)
        if request is None:
            return False
        done = (self.pending.reply(request_id, text if approved else None) if request.kind == "ask"
                else self.pending.answer(request_id, approved=approved, by="web"))
        if done:
            self.events.emit("answered", run=self.id, id=request_id, approved=bool(approved))
        return done

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "task": self.task, "device": self.device_spec, "policy": self.policy_name,
                "running": self.running, "paused": self.control.paused, "stopped": self.control.stopped,
                "taken_over": self.hands.held_by_person,
                "status": self.result.status.value if self.result else ("error" if self.error else None),
                "message": self.result.message if self.result else self.error, "trace": self.trace_dir,
                "pending": [r.model_dump(mode="json") for r in self.pending.pending()]}

    # -- the run's thread ----------------------------------------------------------------------
    def _published(self, request: PendingRequest) -> None:
        self.events.emit("pending", run=self.id, request=request.model_dump(mode="json"))

    def _on_step(self, record: StepRecord) -> None:
        self.events.emit("step", run=self.id, **step_event(record))

    def _main(self) -> None:
        device = policy = None
        try:
            device = self.device = self.open_device()
            if self.on_device:
                self.on_device(device)
            policy = self.make_policy(device)
            self.policy_name = policy.name
            self.events.emit("started", run=self.id, task=self.task, device=self.device_spec, policy=policy.name)
            agent = Agent(device=_Watched(device, self), policy=StoppablePolicy(policy, self.control),
                          human=StoppableHuman(self.pending, self.control, self.hands, self.events, self.id),
                          max_steps=self.max_steps,
                          trace_root=self.trace_root, on_step=self._on_step)
            self.result = agent.run(self.task)
            self.trace_dir = str(self.result.trace_dir) if self.result.trace_dir else None
        except Exception as err:  # a run's failure is reported on the page, the server lives on
            # The person reads the message; Python's class name means nothing to them.
            self.error = str(err) or f"the run failed ({type(err).__name__})"
        finally:
            for closer in (policy, device if self.close_device else None):
                if closer is not None:
                    try:
                        closer.close()
                    except Exception:
                        pass
            if self.on_device and self.close_device:
                self.on_device(None)
            self.pending.close()
            summary = self.summary()
            summary.pop("pending")
            self.events.emit("finished", run=self.id, **summary)


class _Watched:
    """The device as the agent sees it, keeping a copy of each screenshot for the page."""

    def __init__(self, device: Device, run: Run) -> None:
        self._device = device
        self._run = run

    def observe(self):  # -> Observation
        observation = self._device.observe()
        self._run.last_image = observation.screenshot.copy()
        return observation

    def __getattr__(self, name: str) -> Any:
        return getattr(self._device, name)
