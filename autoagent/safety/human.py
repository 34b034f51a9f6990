"""Ways to reach the human: nobody, a terminal, or a Python callback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from autoagent.safety.types import Answer, ConfirmationRequest


class NoHuman:
    """Non-interactive runs: every question is answered no."""

    def confirm(self, request: ConfirmationRequest) -> Answer:
        return Answer(approved=False, by="none", note="no confirmation channel")

    def take_over(self, message: str) -> Answer:
        return Answer(approved=False, by="none", note="no one to take over")

    def ask(self, message: str) -> str | None:
        return None


@dataclass
class TerminalHuman:
    """Asks on the terminal. Anything but an explicit yes is a no."""

    stdin: TextIO = sys.stdin
    stderr: TextIO = sys.stderr

    def _read(self, prompt: str) -> str | None:
        self.stderr.write(prompt)
        self.stderr.flush()
        line = self.stdin.readline()
        return None if not line else line.strip()

    def confirm(self, request: ConfirmationRequest) -> Answer:
        reply = self._read(
            f"\n[confirm] step {request.step}: {request.reason}\n"
            f"  action: {request.action}\n  Allow this {request.category or 'action'}? [y/N] "
        )
        approved = (reply or "").lower() in ("y", "yes")
        return Answer(approved=approved, by="terminal", note=reply or "")

    def take_over(self, message: str) -> Answer:
        reply = self._read(f"\n[take over] {message}\n  Do it on the device, then press Enter (or type 'stop'): ")
        approved = reply is not None and reply.lower() != "stop"
        return Answer(approved=approved, by="terminal", note=reply or "")

    def ask(self, message: str) -> str | None:
        reply = self._read(f"\n[question] {message or 'The agent needs your choice.'}\n  > ")
        return reply or None


@dataclass
class CallbackHuman:
    """Embeds the agent in an app: each question goes to a function the app provides."""

    on_confirm: Callable[[ConfirmationRequest], bool]
    on_take_over: Callable[[str], bool] | None = None
    on_ask: Callable[[str], str | None] | None = None

    def confirm(self, request: ConfirmationRequest) -> Answer:
        return Answer(approved=bool(self.on_confirm(request)), by="callback")

    def take_over(self, message: str) -> Answer:
        if self.on_take_over is None:
            return Answer(approved=False, by="callback", note="take-over not supported")
        return Answer(approved=bool(self.on_take_over(message)), by="callback")

    def ask(self, message: str) -> str | None:
        return self.on_ask(message) if self.on_ask else None
