"""What the guard decides and what it asks a human."""

from __future__ import annotations

from enum import Enum
from typing import Protocol

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


class Answer(BaseModel):
    approved: bool
    by: str  # which channel answered: terminal, callback, scenario, none...
    note: str = ""


class Guard(Protocol):
    def review(self, action: Action, observation: Observation) -> GuardDecision: ...


class Human(Protocol):
    """The person watching the run. Every method must be safe to call with no one there."""

    def confirm(self, request: ConfirmationRequest) -> Answer: ...

    def take_over(self, message: str) -> Answer:
        """Hand control to the human; approved means they are done and the agent may resume."""
        ...

    def ask(self, message: str) -> str | None:
        """A question the model put to the user (AutoGLM's Interact); None means no answer."""
        ...
