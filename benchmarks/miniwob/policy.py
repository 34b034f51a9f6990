"""A scripted policy over a task's solver: it decides each step from the observation alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autoagent.actions import Action, Finish
from autoagent.grammar import format_reply
from autoagent.policy.base import Decision, StepInput
from autoagent.policy.reply import decide_from_text

from .screen import Screen, Unsolvable

# A solver looks at one screen and answers the next action; None when it has nothing left
# to do. It raises Unsolvable when what it needs is not in the observation.
Solver = Callable[[Screen], Action | None]


@dataclass
class SolverPolicy:
    """One episode's policy. Its reply goes through the same parser as a model's."""

    solver: Solver
    name: str = "miniwob-scripted"
    memory: dict[str, Any] = field(default_factory=dict)
    unsolvable: str | None = None  # why the solver gave up, if it did

    def decide(self, step: StepInput) -> Decision:
        started = time.perf_counter()
        screen = Screen(step.observation, self.memory, step.step)
        thought = f"step {step.step}"
        if screen.ended:
            action: Action | None = Finish(message="the page shows its START cover: the episode is over")
        else:
            try:
                action = self.solver(screen)
            except Unsolvable as err:
                self.unsolvable = str(err)
                action = Finish(message=f"cannot solve from the observation: {err}")
            except (LookupError, StopIteration, ValueError) as err:
                # A solver's own bug: the episode fails with its reason instead of stopping the suite.
                self.unsolvable = f"solver error: {err!r}"
                action = Finish(message=self.unsolvable)
            if action is None:
                action = Finish(message="nothing left to do")
        return decide_from_text(format_reply(thought, action), {"model": (time.perf_counter() - started) * 1000})

    def close(self) -> None:
        pass
