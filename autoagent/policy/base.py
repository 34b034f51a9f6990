"""The Policy protocol: (task, screen, history) -> one action."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from autoagent.actions import Action
from autoagent.grammar import UnparseableReply
from autoagent.perception.observation import Observation


class PolicyError(RuntimeError):
    """The policy cannot produce actions at all (server down, bad key, missing weights).

    Unlike an unparseable reply, retrying the same step will not help.
    """


class TruncatedReply(UnparseableReply):
    """A reply the server cut off (``max_tokens`` reached) before it ended.

    Never acted on, even where the text happens to hold a whole call: the agent asks again,
    telling the model to be brief.
    """


@dataclass(frozen=True)
class Turn:
    """One earlier step as the model will see it again."""

    thought: str
    answer: str  # the action text, AutoGLM format
    feedback: str = ""  # what the agent told the model afterwards (parse error, denial...)


@dataclass(frozen=True)
class StepInput:
    task: str
    step: int  # 1-based
    observation: Observation
    history: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class Decision:
    raw: str  # the reply exactly as the model produced it
    thought: str
    action: Action
    timings: dict[str, float] = field(default_factory=dict)  # ms: model, ttft, ...


class Policy(Protocol):
    name: str

    def decide(self, step: StepInput) -> Decision:
        """Return the next action. Raise UnparseableReply for a reply with no valid action,
        PolicyError when the policy cannot work at all."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class PreparesNext(Protocol):
    """A policy that can use the time the device spends acting and settling."""

    def prepare_next(self, upcoming: StepInput) -> None:
        """Called once a decision is made, before the device acts on it. ``upcoming`` is the
        next step as far as it is known: its history ends with that decision (its feedback
        not yet known), its observation is still the current screen. Must return at once
        (work goes to the background) and never change what the next ``decide`` returns."""
        ...


def prepare_next(policy: Policy, upcoming: StepInput) -> None:
    """Hand ``upcoming`` to a policy that prepares ahead; other policies need nothing."""
    if isinstance(policy, PreparesNext):
        policy.prepare_next(upcoming)
