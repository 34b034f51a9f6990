"""Ways to reach the human: nobody, a terminal, a Python callback, or a QA scenario (emulator only).

A front end that answers from another thread uses :class:`autoagent.safety.pending.QueueHuman`.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from autoagent.safety.types import Approval, ConfirmationRequest


class NoHuman:
    """Non-interactive runs: every question is answered no."""

    def confirm(self, request: ConfirmationRequest) -> Approval:
        return Approval(approved=False, by="none", note="no confirmation channel")

    def take_over(self, message: str) -> Approval:
        return Approval(approved=False, by="none", note="no one to take over")

    def ask(self, message: str) -> str | None:
        return None


@dataclass
class TerminalHuman:
    """Asks on the terminal. Anything but an explicit yes is a no.

    Agents on several devices share one terminal: give each a ``label`` (its device) and the
    same ``lock``, so a question and its answer are never interleaved with another's."""

    stdin: TextIO = sys.stdin
    stderr: TextIO = sys.stderr
    label: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _read(self, prompt: str) -> str | None:
        if self.label:
            prompt = prompt.replace("\n[", f"\n[{self.label}] [", 1)
        with self.lock:
            self.stderr.write(prompt)
            self.stderr.flush()
            line = self.stdin.readline()
        return None if not line else line.strip()

    def confirm(self, request: ConfirmationRequest) -> Approval:
        reply = self._read(
            f"\n[confirm] step {request.step}: {request.reason}\n"
            f"  action: {request.action}\n"
            + (f"  {request.covers}\n" if request.covers else "")
            + f"  Allow this {request.category or 'action'}? [y/N] "
        )
        approved = (reply or "").lower() in ("y", "yes")
        return Approval(approved=approved, by="terminal", note=reply or "")

    def take_over(self, message: str) -> Approval:
        reply = self._read(f"\n[take over] {message}\n  Do it on the device, then press Enter (or type 'stop'): ")
        approved = reply is not None and reply.lower() != "stop"
        return Approval(approved=approved, by="terminal", note=reply or "")

    def ask(self, message: str) -> str | None:
        reply = self._read(f"\n[question] {message or 'The agent needs your choice.'}\n  > ")
        return reply or None


@dataclass
class CallbackHuman:
    """Embeds the agent in an app: each question goes to a function the app provides.

    Only a return value of exactly ``True`` approves: "no", 1 or a non-empty object is a no,
    so a callback that returns the person's typed reply cannot approve by accident.
    """

    on_confirm: Callable[[ConfirmationRequest], bool]
    on_take_over: Callable[[str], bool] | None = None
    on_ask: Callable[[str], str | None] | None = None

    def confirm(self, request: ConfirmationRequest) -> Approval:
        return _callback_answer(self.on_confirm(request))

    def take_over(self, message: str) -> Approval:
        if self.on_take_over is None:
            return Approval(approved=False, by="callback", note="take-over not supported")
        return _callback_answer(self.on_take_over(message))

    def ask(self, message: str) -> str | None:
        return self.on_ask(message) if self.on_ask else None


def _callback_answer(reply: object) -> Approval:
    if reply is True:
        return Approval(approved=True, by="callback")
    note = "" if reply is False or reply is None else f"not an explicit True: {reply!r}"[:120]
    return Approval(approved=False, by="callback", note=note)


EMULATOR_NAME = "emulator"


def is_emulator(device: object) -> bool:
    """Only the built-in emulator: its name says so (``emulator`` or ``emulator:NAME``) and its class
    comes from the emulator package."""
    if str(getattr(device, "name", "")).partition(":")[0] != EMULATOR_NAME:
        return False
    return type(device).__module__.split(".", 1)[0] == "emulator"


@dataclass
class ScenarioApprovals:
    """A QA scenario's pre-approved answers, honoured on the emulator and nowhere else.

    ``categories`` lists what the scenario approves (e.g. ``{"payment"}``). On any other
    device every request is refused, so a scenario file pointed at a real phone cannot pay.
    Take-over is approved only when "takeover" is listed (the scenario stands in for the
    person who would have done the manual step); questions are answered from ``answers``.
    """

    device: object
    categories: frozenset[str] | set[str] | tuple[str, ...] = frozenset()
    answers: tuple[str, ...] = ()
    asked: list[ConfirmationRequest] = field(default_factory=list)
    _answer_cursor: int = field(default=0, init=False)

    def confirm(self, request: ConfirmationRequest) -> Approval:
        self.asked.append(request)
        if not is_emulator(self.device):
            name = getattr(self.device, "name", type(self.device).__name__)
            return Approval(approved=False, by="scenario",
                          note=f"scenario approvals apply only on the emulator, not on {name!r}")
        if request.category in set(self.categories):
            return Approval(approved=True, by="scenario", note=f"{request.category} pre-approved by the scenario")
        return Approval(approved=False, by="scenario", note=f"the scenario does not approve {request.category!r}")

    def take_over(self, message: str) -> Approval:
        if is_emulator(self.device) and "takeover" in set(self.categories):
            return Approval(approved=True, by="scenario", note="take-over pre-approved by the scenario")
        return Approval(approved=False, by="scenario", note="the scenario does not take over")

    def ask(self, message: str) -> str | None:
        if self._answer_cursor >= len(self.answers):
            return None
        self._answer_cursor += 1
        return self.answers[self._answer_cursor - 1]
