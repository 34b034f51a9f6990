"""A Gymnasium-style environment over the emulator (gymnasium itself is not needed).

``reset(seed, options) -> (observation, info)`` and ``step(action) -> (observation, reward,
terminated, truncated, info)``. Observations are :class:`autoagent.perception.observation.Observation`;
actions are autoagent Action models in 0-999 space. The reward is 1.0 when the agent finishes and the
task's check passes. Every action goes through a guard first, and one it flags (a payment, a
purchase, a message) runs only if ``human`` approves; the default human is never there.
"""

from __future__ import annotations

from typing import Any

from autoagent.actions import Action, Finish, Interact, Note, TakeOver, Wait, action_to_json
from autoagent.actuators.execute import execute
from autoagent.device import DeviceError
from autoagent.perception.observation import Observation
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.human import NoHuman
from autoagent.safety.types import ConfirmationRequest, Guard, Human, Verdict
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
        self.steps = 0
        self._episode = 0

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Observation, dict]:
        options = options or {}
        if "task" in options:
            task = options["task"] if isinstance(options["task"], Task) else get(str(options["task"]))
        else:
            task = self.tasks[(seed if seed is not None else self._episode) % len(self.tasks)]
        self._episode += 1
        if self.phone is not None:
            self.phone.close()
        self.task = task
        self.phone = task.make_phone(seed=seed, hazards=options.get("hazards"))
        self.steps = 0
        return self.phone.observe(), self._info(outcome="reset")

    def step(self, action: Action) -> tuple[Observation, float, bool, bool, dict]:
        if self.phone is None or self.task is None:
            raise RuntimeError("call reset() before step()")
        phone = self.phone
        self.steps += 1
        truncated = self.steps >= self.max_steps
        before = phone.observe()
        if isinstance(action, Finish):
            success = self.task.check(phone)
            return before, 1.0 if success else 0.0, True, False, self._info("finished", action)
        if isinstance(action, (Note, Interact, TakeOver)):
            return before, 0.0, False, truncated, self._info("agent_only", action)
        decision = self.guard.review(action, before)
        if decision.verdict is Verdict.DENY:
            return before, 0.0, True, False, self._info("blocked", action, reason=decision.reason)
        if decision.verdict is Verdict.CONFIRM:
            answer = self.human.confirm(ConfirmationRequest(
                task=self.task.goal_in(self.language), step=self.steps, category=decision.category,
                reason=decision.reason, action=str(action_to_json(action)), app=before.app))
            if not answer.approved:
                return before, 0.0, True, False, self._info("needs_confirmation", action, reason=decision.reason)
        error = ""
        try:
            if isinstance(action, Wait):
                phone.wait_until_settled(timeout=action.seconds)
            else:
                execute(action, phone)
                phone.wait_until_settled(timeout=self.settle_timeout)
        except DeviceError as err:
            error = str(err)
        return phone.observe(), 0.0, False, truncated, self._info("error" if error else "done", action, reason=error)

    def render(self):
        return None if self.phone is None else self.phone.screenshot()

    def close(self) -> None:
        if self.phone is not None:
            self.phone.close()

    def _info(self, outcome: str, action: Action | None = None, reason: str = "") -> dict:
        assert self.task is not None and self.phone is not None
        return {"task": self.task.id, "goal": self.task.goal_in(self.language), "app": self.phone.current_package(),
                "step": self.steps, "outcome": outcome, "reason": reason,
                "action": action_to_json(action) if action is not None else None,
                "success": self.task.check(self.phone), "payments": len(self.phone.payments)}
