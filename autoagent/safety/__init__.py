"""Safety: the guard between policy and actuator, and the channels that reach a human.

The guard (:class:`ScreenGuard`, configured by :class:`GuardPolicy`) classifies every
action before it runs. A confirm verdict goes to a :class:`Human`: nobody (:class:`NoHuman`,
the answer is no), a terminal, a Python callback, a front end's queue
(:class:`PendingConfirmations`), or a QA scenario's pre-approvals (emulator only).
"""

from autoagent.safety.guard import ScreenGuard, classify_text, escalates
from autoagent.safety.human import (
    CallbackHuman,
    NoHuman,
    ScenarioApprovals,
    TerminalHuman,
)
from autoagent.safety.keywords import (
    CATEGORIES,
    DELETE,
    FLAGGED,
    PAYMENT,
    PERSONAL_DATA,
    PURCHASE,
    SEND,
    TAKEOVER,
    UNREADABLE,
    classify,
)
from autoagent.safety.pending import PendingConfirmations, PendingRequest, QueueHuman
from autoagent.safety.policy import GuardPolicy
from autoagent.safety.signals import Amount, amounts
from autoagent.safety.types import (
    Approval,
    ConfirmationRequest,
    Guard,
    GuardDecision,
    Human,
    Verdict,
)

__all__ = [
    "CATEGORIES",
    "DELETE",
    "FLAGGED",
    "PAYMENT",
    "PERSONAL_DATA",
    "PURCHASE",
    "SEND",
    "TAKEOVER",
    "UNREADABLE",
    "Amount",
    "Approval",
    "CallbackHuman",
    "ConfirmationRequest",
    "Guard",
    "GuardDecision",
    "GuardPolicy",
    "Human",
    "NoHuman",
    "PendingConfirmations",
    "PendingRequest",
    "QueueHuman",
    "ScenarioApprovals",
    "ScreenGuard",
    "TerminalHuman",
    "Verdict",
    "amounts",
    "classify",
    "classify_text",
    "escalates",
]
