"""Work done on a device's own thread, and what it needs from the MCP client meanwhile.

The engine is synchronous and its :class:`~autoagent.safety.types.Human` blocks until a person
answers; the MCP server is asynchronous. A :class:`Job` runs the work on the device's thread and
turns every question and step into an :data:`Event` the server's tool call reads in order, and
the server hands each answer back with :meth:`Job.answer`. A question left unanswered for
:data:`ANSWER_TIMEOUT_S` is a no, so a client that went away never leaves a payment waiting.
"""

from __future__ import annotations

import queue
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from autoagent.safety.types import Approval, ConfirmationRequest

T = TypeVar("T")

ANSWER_TIMEOUT_S = 600.0
ANSWERED_BY = "mcp"

Kind = Literal["confirm", "take_over", "ask"]


@dataclass(frozen=True)
class Question:
    """A question for the person. ``key`` is unguessable: an answer must name the question it answers."""

    kind: Kind
    message: str
    key: str = field(default_factory=lambda: secrets.token_urlsafe(12))


@dataclass(frozen=True)
class Progress:
    step: int
    text: str


@dataclass(frozen=True)
class Done(Generic[T]):
    value: T | None = None
    error: BaseException | None = None


Event = Question | Progress | Done[Any]

# What a question's answer may be: yes/no for a confirmation or a take-over, text (or None) for a question.
Answer = bool | str | None


class Stopped(KeyboardInterrupt):
    """The client cancelled the call: the agent stops as it does on Ctrl-C (status interrupted)."""


def confirmation_text(request: ConfirmationRequest) -> str:
    """The question a confirmation puts to the person, as the terminal words it."""
    lines = [f"Step {request.step} of \"{request.task}\": {request.reason}", f"Action: {request.action}"]
    if request.covers:
        lines.append(request.covers)
    lines.append(f"Allow this {request.category or 'action'}?")
    return "\n".join(lines)


class Job(Generic[T]):
    """``work(job)`` run on ``executor`` (the device's thread); its events, in order, for the server."""

    def __init__(self, work: Callable[[Job[T]], T], executor: Executor,
                 after: Callable[[], None] = lambda: None) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self.stopped = threading.Event()
        self._answers: dict[str, queue.Queue[Answer]] = {}
        self._lock = threading.Lock()
        executor.submit(self._run, work, after)

    def _run(self, work: Callable[[Job[T]], T], after: Callable[[], None]) -> None:
        done: Done[T]
        try:
            done = Done(value=work(self))
        except BaseException as err:  # handed to the server, which reports it to the client
            done = Done(error=err)
        finally:
            after()  # before Done: a client told the work is over may use the device at once
        self.events.put(done)

    # ------------------------------------------------------------------ the work's side

    def progress(self, step: int, text: str) -> None:
        self.events.put(Progress(step, text))

    def ask(self, kind: Kind, message: str) -> Answer:
        """Block until the server answers (None after ANSWER_TIMEOUT_S, or once the call is cancelled)."""
        if self.stopped.is_set():
            return None
        question = Question(kind, message)
        box: queue.Queue[Answer] = queue.Queue(maxsize=1)
        with self._lock:
            self._answers[question.key] = box
        self.events.put(question)
        try:
            return box.get(timeout=ANSWER_TIMEOUT_S)
        except queue.Empty:
            return None
        finally:
            with self._lock:
                self._answers.pop(question.key, None)

    # ------------------------------------------------------------------ the server's side

    def answer(self, key: str, value: Answer) -> bool:
        """Hand the answer to the question ``key``; False when it is no longer waiting."""
        with self._lock:
            box = self._answers.get(key)
        if box is None:
            return False
        try:
            box.put_nowait(value)
        except queue.Full:
            return False
        return True

    def stop(self) -> None:
        """The client went away: every waiting question is a no, and the agent stops at its next step."""
        self.stopped.set()
        with self._lock:
            keys = list(self._answers)
        for key in keys:
            self.answer(key, None)


@dataclass
class RelayHuman:
    """The engine's Human for MCP calls: each question goes to the current call's :class:`Job`.

    One per device, so the network guard of a browser (created with the engine's human) keeps
    asking through whichever call drives the device now. Only an explicit ``True`` approves."""

    job: Job[Any] | None = None

    def confirm(self, request: ConfirmationRequest) -> Approval:
        reply = self._ask("confirm", confirmation_text(request))
        return Approval(approved=reply is True, by=ANSWERED_BY, note="yes" if reply is True else "no",
                        missing=_missing(reply))

    def take_over(self, message: str) -> Approval:
        reply = self._ask("take_over", f"Please do this on the device yourself: {message}")
        return Approval(approved=reply is True, by=ANSWERED_BY, note="done" if reply is True else "not done",
                        missing=_missing(reply))

    def ask(self, message: str) -> str | None:
        reply = self._ask("ask", message or "The agent needs your choice.")
        return reply if isinstance(reply, str) and reply.strip() else None

    def _ask(self, kind: Kind, message: str) -> Answer:
        return None if self.job is None else self.job.ask(kind, message)


def _missing(reply: Answer) -> Literal["", "no_one"]:
    # None: nobody answered (a cancelled or dismissed form, a client that cannot ask, no answer in
    # time), which the result must not word as the person's own no.
    return "no_one" if reply is None else ""
