"""One MiniWoB episode through the real agent loop, judged by the page.

The harness (not the policy) starts each episode with its seed and reads the page's own
verdict afterwards: ``WOB_RAW_REWARD_GLOBAL`` (1 success, -1 failure or time out, as the
task's script decided) and ``WOB_REWARD_GLOBAL`` (the same, discounted by the time taken).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pydantic import BaseModel, Field

from autoagent.actuators.browser import BrowserDevice
from autoagent.agent import Agent
from autoagent.safety.guard import ScreenGuard
from autoagent.safety.human import NoHuman
from autoagent.trace import StepRecord

from .policy import Solver, SolverPolicy

# What the agent is told. The instruction itself is on the page: the policy reads it there.
TASK = "Do what the yellow instruction at the top left of the page says."
READY_TIMEOUT_S = 2.0
START_JS = "seed => { Math.seedrandom(seed); core.startEpisodeReal(); }"
VERDICT_JS = ("() => ({done: WOB_DONE_GLOBAL, reward: WOB_REWARD_GLOBAL, raw_reward: WOB_RAW_REWARD_GLOBAL,"
              " reason: WOB_REWARD_REASON == null ? null : String(WOB_REWARD_REASON), ready: WOB_TASK_READY})")


class PageVerdict(BaseModel):
    """The page's own globals after the episode."""

    done: bool
    reward: float
    raw_reward: float
    reason: str | None = None
    ready: bool = True


class StepTiming(BaseModel):
    """One step's phases in ms, from the trace's step record."""

    observe: float  # the screen this step decided on (screenshot + hierarchy)
    act: float | None = None
    settle: float | None = None
    total: float


class EpisodeResult(BaseModel):
    task: str
    seed: int
    viewport: str
    success: bool
    reward: float
    raw_reward: float
    done: bool
    reason: str | None = None  # the page's, when it gave one
    status: str  # how the agent's run ended
    message: str = ""
    unsolvable: str | None = None
    steps: int
    seconds: float
    timings: list[StepTiming] = Field(default_factory=list)


def open_task(browser: object, base_url: str, task: str, mobile: bool) -> BrowserDevice:
    """A fresh context on ``browser`` with the task's page loaded (no episode started yet)."""
    device = BrowserDevice.attach(browser, base_url + f"{task}.html", mobile=mobile)  # type: ignore[arg-type]
    device.page.wait_for_function("typeof core !== 'undefined' && typeof genProblem === 'function'")
    device.wait_until_settled(5)
    return device


def verdict(device: BrowserDevice) -> PageVerdict:
    return PageVerdict.model_validate(device.page.evaluate(VERDICT_JS))


def start_episode(device: BrowserDevice, seed: int) -> None:
    device.page.evaluate(START_JS, seed)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not verdict(device).ready and time.monotonic() < deadline:  # tasks that load data say when
        device.page.wait_for_timeout(50)
    device.wait_until_settled(5)


def run_episode(device: BrowserDevice, task: str, seed: int, solver: Solver, viewport: str,
                max_steps: int = 25, trace_root: Path | None = None) -> EpisodeResult:
    """Start ``task`` with ``seed``, let the agent run with ``solver``'s policy, read the verdict."""
    records: list[StepRecord] = []
    policy = SolverPolicy(solver)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="miniwob-trace-") as scratch:
        start_episode(device, seed)
        agent = Agent(device=device, policy=policy, guard=ScreenGuard(), human=NoHuman(), max_steps=max_steps,
                      trace_root=trace_root or Path(scratch), save_screenshots=trace_root is not None,
                      on_step=records.append)
        result = agent.run(TASK)
    seconds = time.perf_counter() - started
    page = verdict(device)
    if not page.done:
        # Put the cover back so that the next seed starts from the same place.
        device.page.evaluate("() => core.endEpisode(0, false, 'stopped by the harness')")
    return EpisodeResult(
        task=task, seed=seed, viewport=viewport, success=page.done and page.raw_reward > 0,
        reward=page.reward if page.done else 0.0, raw_reward=page.raw_reward if page.done else 0.0,
        done=page.done, reason=page.reason, status=result.status.value, message=result.message,
        unsolvable=policy.unsolvable, steps=result.steps, seconds=round(seconds, 3),
        timings=[_timing(r) for r in records])


def _timing(record: StepRecord) -> StepTiming:
    t = record.timings
    return StepTiming(observe=t.get("capture", 0.0), act=t.get("act"), settle=t.get("settle"),
                      total=t.get("total", 0.0))
