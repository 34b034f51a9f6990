"""A confirmation channel for front ends: questions wait in a queue until someone answers.

The agent's thread calls ``confirm`` (or ``take_over``, ``ask``); the request is published
and the call blocks until the front end's thread calls :meth:`PendingConfirmations.answer`
with the request's id, or until the timeout passes. No answer in time is a no.

    pending = PendingConfirmations(timeout=120)
    agent = Agent(device, policy, human=pending)
    # web handler thread:
    for request in pending.pending(): show(request)
    pending.answer(request.id, approved=True, by="web:alice")
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from autoagent.safety.types import Approval, ConfirmationRequest

Kind = Literal["confirm", "take_over", "ask"]


class PendingRequest(BaseModel):
    id: str
    kind: Kind
    message: str  # what to show the person
    request: ConfirmationRequest | None = None  # the guard's full question, for confirm
    created: float
    deadline: float


@dataclass
class _Slot:
    request: PendingRequest
    answer: Approval | None = None
    text: str | None = None


@dataclass
class PendingConfirmations:
    """Thread-safe queue of open questions; implements the Human protocol."""

    timeout: float = 120.0
    # Called (on the agent's thread) each time a request is published, e.g. to push it to a browser.
    on_publish: Callable[[PendingRequest], None] | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    _slots: dict[str, _Slot] = field(default_factory=dict, init=False, repr=False)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1), init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {self.timeout}")

    # -- the agent's side (Human protocol) ----------------------------------------------------
    def confirm(self, request: ConfirmationRequest) -> Approval:
        message = f"{request.reason}\naction: {request.action}"
        if request.covers:
            message += f"\n{request.covers}"
        slot = self._wait(self._publish("confirm", message, request))
        if slot.answer is None:
            return self._unanswered()
        return slot.answer

    def take_over(self, message: str) -> Approval:
        slot = self._wait(self._publish("take_over", message, None))
        if slot.answer is None:
            return self._unanswered()
        return slot.answer

    def ask(self, message: str) -> str | None:
        slot = self._wait(self._publish("ask", message, None))
        return slot.text

    # -- the front end's side ------------------------------------------------------------------
    def pending(self) -> list[PendingRequest]:
        """Open requests, oldest first."""
        with self._cond:
            return [s.request for s in self._slots.values() if s.answer is None and s.text is None]

    def wait_for_request(self, timeout: float) -> PendingRequest | None:
        """Block until a request is open (returns the oldest) or ``timeout`` passes (None)."""
        with self._cond:
            self._cond.wait_for(lambda: self._open() is not None or self._closed, timeout=timeout)
            return self._open()

    def answer(self, request_id: str, approved: bool, note: str = "", by: str = "web") -> bool:
        """Answer a confirm or take-over request. False when it is unknown, expired or answered."""
        with self._cond:
            slot = self._slots.get(request_id)
            if slot is None or slot.answer is not None or slot.request.kind == "ask":
                return False
            slot.answer = Approval(approved=bool(approved), by=by, note=note)
            self._cond.notify_all()
            return True

    def reply(self, request_id: str, text: str | None) -> bool:
        """Answer an ``ask`` request with free text (None: no answer)."""
        with self._cond:
            slot = self._slots.get(request_id)
            if slot is None or slot.request.kind != "ask" or slot.answer is not None:
                return False
            slot.text = text
            slot.answer = Approval(approved=text is not None, by="web")
            self._cond.notify_all()
            return True

    def close(self) -> None:
        """Refuse everything open and everything asked from now on (the front end went away)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- inside ----------------------------------------------------------------------------------
    def _open(self) -> PendingRequest | None:
        for slot in self._slots.values():
            if slot.answer is None:
                return slot.request
        return None

    def _unanswered(self) -> Approval:
        if self._closed:
            return Approval(approved=False, by="queue", note="the front end closed", missing="no_one")
        return Approval(approved=False, by="queue", note=f"no answer within {self.timeout:g}s", missing="timed_out")

    def _publish(self, kind: Kind, message: str, request: ConfirmationRequest | None) -> _Slot:
        now = time.time()
        with self._cond:
            rid = f"r{next(self._ids)}-{int(now * 1000) % 10**8}"
            slot = _Slot(PendingRequest(id=rid, kind=kind, message=message, request=request,
                                        created=now, deadline=now + self.timeout))
            if not self._closed:
                self._slots[rid] = slot
                self._cond.notify_all()
        if self.on_publish is not None and not self._closed:
            self.on_publish(slot.request)
        return slot

    def _wait(self, slot: _Slot) -> _Slot:
        with self._cond:
            self._cond.wait_for(lambda: slot.answer is not None or self._closed, timeout=self.timeout)
            self._slots.pop(slot.request.id, None)
            if slot.answer is None:
                slot.text = None
            return slot


# The name the front end knows it by.
QueueHuman = PendingConfirmations
