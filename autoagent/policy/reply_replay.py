"""Replay the replies a model gave in a recorded run, in order.

The replayed policy answers exactly as the model did, including replies that held no valid
action, so an agent run over the same screens takes the same path. A policy that answers in a
grammar of its own (the embedded policy's ``tap [3]``) is replayed through the AutoGLM text of
the action it chose, which the trace records beside its reply. It does not check that the
screens match; it only plays the text back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from autoagent.grammar import UnparseableReply, parse_reply
from autoagent.policy.base import Decision, PolicyError, StepInput
from autoagent.policy.reply import decide_from_text
from autoagent.trace import StepRecord, read_trace


@dataclass
class ReplayPolicy:
    replies: list[str]
    name: str = "replay"
    source: str = ""
    _cursor: int = field(default=0, init=False)

    @classmethod
    def from_trace(cls, path: str | Path) -> "ReplayPolicy":
        """Every step of the trace that has a model reply (steps where the policy itself
        failed recorded none)."""
        trace = read_trace(path)
        replies = [_replayable(step) for step in trace.steps if step.raw]
        if not replies:
            raise PolicyError(f"the trace {path} holds no model replies to replay")
        return cls(replies=replies, name=f"replay:{Path(path).name}", source=str(path))

    @property
    def remaining(self) -> int:
        return len(self.replies) - self._cursor

    def decide(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        if self._cursor >= len(self.replies):
            raise PolicyError(f"the replay ran out after {len(self.replies)} replies"
                              f"{' from ' + self.source if self.source else ''}")
        raw = self.replies[self._cursor]
        self._cursor += 1
        return decide_from_text(raw, {"model": (time.perf_counter() - started) * 1000})

    def close(self) -> None:
        pass


def _replayable(step: StepRecord) -> str:
    """The reply as the model gave it, or, where AutoGLM's grammar cannot read it but the
    policy did decide an action, that action's AutoGLM text."""
    if step.answer:
        try:
            parse_reply(step.raw)
        except UnparseableReply:
            return step.answer
    return step.raw
