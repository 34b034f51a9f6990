"""What the guard decides and what it asks a human."""

from __future__ import annotations

from enum import Enum
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from autoagent.actions import Action
from autoagent.perception.observation import Observation


class Verdict(str, Enum):
    ALLOW = "allow"
    CONFIRM = "confirm"
    DENY = "deny"


class GuardDecision(BaseModel):
    verdict: Verdict
    category: str | None = None  # payment, purchase, send, delete, personal_data, takeover
    reason: str = ""
    evidence: dict[str, object] = Field(default_factory=dict)


class ConfirmationRequest(BaseModel):
    task: str
    step: int
    category: str | None
    reason: str
    action: str  # the action in AutoGLM text, as the human would read it
    app: str | None = None
    covers: str = ""  # what a yes will also cover (autoagent.safety.consent), told before it is given


class Approval(BaseModel):
    """A person's yes or no to a confirmation or a take-over (a free-text reply to the model's
    question is a :class:`autoagent.trace.Reply`)."""

    approved: bool
    by: str  # which channel answered: terminal, callback, scenario, none...
    note: str = ""
    # Why a no came without anyone saying it: the question timed out, or there was no one to ask.
    # Empty when it was answered (by a person, a scenario's approvals or an earlier yes).
    missing: Literal["", "timed_out", "no_one"] = ""

    def refusal(self, category: str | None, reason: str) -> str:
        """The run's closing line when this no stops a ``category`` step the guard held for ``reason``."""
        what = category or "action"
        if self.missing == "timed_out":
            return f"the {what} question timed out ({self.note}), so nothing was done: {reason}"
        if self.missing == "no_one":
            return f"{what} needs your confirmation: {reason}"
        who = "the scenario" if self.by == "scenario" else "you"
        return f"{who} declined the {what}: {reason}"


class Guard(Protocol):
    """Classifies actions before they run."""

    def review(self, action: Action, observation: Observation, *, task: str = "") -> GuardDecision:
        """The verdict on ``action`` as seen on ``observation``; ``task`` is the user's request
        (a password the user wrote into it may be typed)."""
        ...

    def recheck(self, action: Action, before: GuardDecision, observation: Observation, *,
                task: str = "") -> GuardDecision | None:
        """Review ``action`` again on a fresh observation taken right before it runs.

        ``before`` is the decision from :meth:`review` (already answered by the human when it
        was a confirm). Return the new decision when it must be put to the human again (a
        stricter verdict, a different risk, or, after a confirm, a different control under
        the finger), else None to let the action run as decided.
        """
        ...


class Human(Protocol):
    """The person watching the run. Every method must be safe to call with no one there."""

    def confirm(self, request: ConfirmationRequest) -> Approval: ...

    def take_over(self, message: str) -> Approval:
        """Hand control to the human; approved means they are done and the agent may resume."""
        ...

    def ask(self, message: str) -> str | None:
        """A question the model put to the user (AutoGLM's Interact); None means no answer."""
        ...
