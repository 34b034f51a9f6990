"""A policy that plays a fixed list of actions: QA steps, tests, and replays."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from autoagent.actions import Action, Finish
from autoagent.grammar import format_reply
from autoagent.policy.base import Decision, StepInput
from autoagent.policy.reply import decide_from_text


@dataclass
class ScriptedPolicy:
    """Each decide() returns the next scripted reply; after the last one it finishes.

    Items may be actions or raw model text (parsed exactly as a model's reply would be).
    """

    script: list[Action | str]
    name: str = "scripted"
    _cursor: int = field(default=0, init=False)

    @classmethod
    def of(cls, items: Iterable[Action | str]) -> "ScriptedPolicy":
        return cls(list(items))

    def decide(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        if self._cursor >= len(self.script):
            item: Action | str = Finish(message="script complete")
        else:
            item = self.script[self._cursor]
            self._cursor += 1
        raw = item if isinstance(item, str) else format_reply(f"scripted step {self._cursor}", item)
        return decide_from_text(raw, {"model": (time.perf_counter() - started) * 1000})

    def close(self) -> None:
        pass
