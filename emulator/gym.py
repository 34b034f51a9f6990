"""A Gymnasium-style environment over the emulator (gymnasium itself is not needed).

``reset(seed, options) -> (observation, info)`` and ``step(action) -> (observation, reward,
terminated, truncated, info)``. Observations are :class:`autoagent.perception.observation.Observation`;
actions are autoagent Action models in 0-999 space. The reward is 1.0 when the agent finishes and the
task's check passes. Each action is one step of autoagent's :class:`StepEngine`, exactly as in an agent
run: the guard judges it, one it flags (a payment, a purchase, a message) runs only if ``human``
approves (the default human is never there), and the screen is checked again right before acting.
``info["outcome"]`` is the step's outcome as a trace records it.
"""

from __future__ import annotations

from typing import Any

from autoagent.actions import Action, Finish, action_to_json
from autoagent.engine import StepEngine
from autoagent.grammar import format_action
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.human import NoHuman
from autoagent.safety.types import Guard, Human
from emulator.phone import Phone
from emulator.tasks import TASKS, Task, get


class EmulatorEnv:
    metadata = {"render_modes": ["rgb_array"]}

    def __init__(self, tasks: list[Task] | None = None, max_steps: int = 30, guard: Guard | None = None,
                 human: Human | None = None, settle_timeout: float = 5.0, language: str = "en") -> None:
        self.tasks = list(tasks or TASKS)
        if not self.tasks:
            raise ValueError("EmulatorEnv needs at least one task")
        self.max_steps = max_steps
        self.guard = guard or ScreenGuard()
        self.human = human or NoHuman()
        self.settle_timeout = settle_timeout
        self.language = language
        self.phone: Phone | None = None
        self.task: Task | None = None
        self.engine: StepEngine | None = None
        self._episode = 0

    @property
    def steps(self) -> int:
        return 0 if self.engine is None else self.engine.steps

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Observation, dict]:
        options = options or {}
        if "task" in options:
            task = options["task"] if isinstance(options["task"], Task) else get(str(options["task"]))
        else:
            task = self.tasks[(seed if seed is not None else self._episode) % len(self.tasks)]
        self._episode += 1
        self.close()
        self.task = task
        self.phone = task.make_phone(seed=seed, hazards=options.get("hazards"))
        task.initialize_task(self.phone)
        # No trace: an environment's caller keeps what it wants of each step.
        self.engine = StepEngine(device=self.phone, guard=self.guard, human=self.human,
                                 settle_timeout=self.settle_timeout, trace_root=None,
                                 # The caller's actions: a caller judges its own repeats (the task check rewards).
                                 loops=None)
        observation = self.engine.reset(task.goal_in(self.language), policy="gym")
        return observation, self._info("reset")

    def step(self, action: Action) -> tuple[Observation, float, bool, bool, dict]:
        if self.engine is None or self.task is None or self.phone is None:
            raise RuntimeError("call reset() before step()")
        observation, stepped = self.engine.step(Decision(raw=format_action(action), thought="", action=action))
        terminated = stepped.ending is not None
        reward = 1.0 if isinstance(action, Finish) and self.task.is_successful(self.phone) else 0.0
        truncated = not terminated and self.engine.steps >= self.max_steps
        reason = stepped.ending.message if stepped.ending else (stepped.record.error or stepped.feedback)
        return observation, reward, terminated, truncated, self._info(stepped.outcome.value, action, reason)

    def render(self):
        return None if self.phone is None else self.phone.screenshot()

    def close(self) -> None:
        self.engine = None
        if self.phone is not None:
            if self.task is not None:
                self.task.tear_down(self.phone)
            self.phone.close()

    def _info(self, outcome: str, action: Action | None = None, reason: str = "") -> dict:
        assert self.task is not None and self.phone is not None and self.engine is not None
        return {"task": self.task.id, "goal": self.task.goal_in(self.language), "app": self.phone.current_package(),
                "step": self.engine.steps, "outcome": outcome, "reason": reason,
                "action": action_to_json(action) if action is not None else None,
                "success": self.task.is_successful(self.phone), "payments": len(self.phone.payments)}
