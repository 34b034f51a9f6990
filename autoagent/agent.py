"""The agent loop: observe -> decide -> guard -> act -> record, one step at a time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import BaseModel

from autoagent.actions import Finish
from autoagent.device import Device, DeviceError
from autoagent.engine import Ending, StepEngine
from autoagent.grammar import UnparseableReply, format_action
from autoagent.perception.observation import Observation
from autoagent.policy.base import Policy, PolicyError, StepInput, TruncatedReply, Turn, prepare_next
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.human import NoHuman
from autoagent.safety.types import Guard, Human
from autoagent.trace import MAX_THOUGHT_CHARS, Outcome, Status, StepRecord, clip_middle


class Result(BaseModel):
    status: Status
    message: str = ""
    steps: int = 0
    trace_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


@dataclass
class Agent:
    """A policy deciding each step of a task, and the :class:`StepEngine` doing it."""

    device: Device
    policy: Policy
    guard: Guard = field(default_factory=ScreenGuard)
    human: Human = field(default_factory=NoHuman)
    max_steps: int = 30
    trace_root: Path = Path("traces")
    # Re-asks allowed in a row after replies with no valid action.
    max_reasks: int = 2
    settle_timeout: float = 5.0
    # False: the trace keeps hierarchies but no screenshots (text-only training data).
    save_screenshots: bool = True
    on_step: Callable[[StepRecord], None] | None = None

    def run(self, task: str) -> Result:
        engine = StepEngine(device=self.device, guard=self.guard, human=self.human,
                            settle_timeout=self.settle_timeout, trace_root=Path(self.trace_root),
                            save_screenshots=self.save_screenshots, on_step=self.on_step)
        try:
            observation = engine.reset(task, policy=self.policy.name)
        except DeviceError as err:
            ending = Ending(Status.ERROR, f"device: {err}")
            return Result(status=ending.status, message=ending.message, trace_dir=engine.close(ending))
        try:
            ending = self._loop(engine, observation)
        except KeyboardInterrupt:
            ending = Ending(Status.INTERRUPTED, "stopped by the user")
        except DeviceError as err:
            ending = Ending(Status.ERROR, f"device: {err}")
        except BaseException as err:
            # A bug of ours: the trace still says how far the run got, then the error propagates
            # (the original one, even if the trace cannot be finished either).
            try:
                engine.close(Ending(Status.ERROR, f"agent crashed: {err!r}"))
            except Exception:
                pass
            raise
        steps = engine.recorded
        return Result(status=ending.status, message=ending.message, steps=steps, trace_dir=engine.close(ending))

    def _loop(self, engine: StepEngine, observation: Observation) -> Ending:
        history: list[Turn] = []
        reasks = 0
        for step in range(1, self.max_steps + 1):
            t = time.perf_counter()
            try:
                decision = self.policy.decide(StepInput(task=engine.task, step=step, observation=observation,
                                                        history=tuple(history)))
            except UnparseableReply as err:
                engine.time_model(_ms(t))
                reasks += 1
                cut = isinstance(err, TruncatedReply)
                ending = None
                if reasks > self.max_reasks:
                    ending = Ending(Status.FAILED,
                                    f"the model gave {reasks} replies in a row with no valid action: {err.reason}")
                observation, _ = engine.reject(err.raw, Outcome.TRUNCATED if cut else Outcome.UNPARSEABLE,
                                               err.reason, ending)
                if ending is not None:
                    return ending
                feedback = (f"Your reply was cut off before it ended ({err.reason}). Think briefly, then reply "
                            "with one complete action." if cut
                            else f"Your reply had no valid action ({err.reason}). Reply with one action.")
                history.append(Turn(thought="", answer=err.raw[-500:], feedback=feedback))
                continue
            except PolicyError as err:
                engine.time_model(_ms(t))
                ending = Ending(Status.ERROR, f"policy: {err}")
                engine.reject("", Outcome.ERROR, str(err), ending)
                return ending
            reasks = 0
            engine.time_model(_ms(t))
            # A runaway thought would crowd every later turn out of the prompt; its ends carry the gist.
            turn = Turn(thought=clip_middle(decision.thought, MAX_THOUGHT_CHARS), answer=format_action(decision.action))
            if step < self.max_steps and not isinstance(decision.action, Finish):
                # The policy may start on the next prompt while the device acts and settles.
                prepare_next(self.policy, StepInput(task=engine.task, step=step + 1, observation=observation,
                                                    history=(*history, turn)))
            observation, stepped = engine.step(decision)
            history.append(replace(turn, answer=stepped.record.answer, feedback=stepped.feedback))
            if stepped.ending is not None:
                return stepped.ending
        return Ending(Status.STEP_LIMIT, f"no finish after {self.max_steps} steps")
