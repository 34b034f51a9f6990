"""Safety: the guard between policy and actuator, and the channels that reach a human."""

from autoagent.safety.guard import KeywordGuard, classify_text
from autoagent.safety.human import CallbackHuman, NoHuman, TerminalHuman
from autoagent.safety.types import Answer, ConfirmationRequest, Guard, GuardDecision, Human, Verdict

__all__ = [
    "Answer", "CallbackHuman", "ConfirmationRequest", "Guard", "GuardDecision", "Human",
    "KeywordGuard", "NoHuman", "TerminalHuman", "Verdict", "classify_text",
]
