"""Run one scenario: open its target, play its steps through the Agent, check what it expects."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from autoagent import plugins
from autoagent.agent import Agent
from autoagent.device import Device
from autoagent.extras import require
from autoagent.perception.observation import Observation
from autoagent.policy.base import Policy
from autoagent.scenarios.expect import StateReader, check
from autoagent.scenarios.loader import LoadedScenario
from autoagent.scenarios.model import LaunchStep, Scenario
from autoagent.scenarios.steps import StepPolicy
from autoagent.trace import Status

RESULT_FILE = "scenario.json"
DEMO_PREFIX = "demo:"


class ScenarioResult(BaseModel):
    """What a scenario run produced; written as scenario.json next to its trace."""

    id: str
    file: str
    passed: bool
    status: Status  # how the agent's run ended
    message: str = ""
    failures: list[str] = Field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    trace_dir: str | None = None
    artifacts: list[str] = Field(default_factory=list)  # pictures that explain a failure
    log: list[str] = Field(default_factory=list)
    target: str = ""

    def explain(self) -> str:
        lines = [f"scenario {self.id} ({self.file}) failed:"]
        lines += [f"  - {f}" for f in self.failures]
        if self.log:
            lines.append(f"  last steps: {'; '.join(self.log[-3:])}")
        for a in self.artifacts:
            lines.append(f"  picture: {a}")
        if self.trace_dir:
            lines.append(f"  trace: {self.trace_dir}")
        return "\n".join(lines)


@dataclass
class Resources:
    """Things one process shares between scenarios: a Chromium, the Android serials it may use."""

    android_serials: list[str] = field(default_factory=list)
    worker_index: int = 0
    headless: bool = True
    _browser: Any = field(default=None, init=False)

    def browser(self) -> Any:
        if self._browser is None:
            require("browser", "a browser scenario")
            from autoagent.actuators.browser_runtime import acquire_playwright, launch_chromium

            self._browser = launch_chromium(acquire_playwright(), headless=self.headless)
        return self._browser

    def android_serial(self, wanted: str) -> str | None:
        if wanted != "auto":
            return wanted
        if not self.android_serials:
            return None  # the only phone adb sees
        return self.android_serials[self.worker_index % len(self.android_serials)]

    def close(self) -> None:
        if self._browser is not None:
            from autoagent.actuators.browser_runtime import release_playwright

            try:
                self._browser.close()
            finally:
                self._browser = None
                release_playwright()


@dataclass
class OpenTarget:
    device: Device
    read_state: StateReader | None = None
    run_task: Callable[[str], bool] | None = None
    label: str = ""


def _resolve_demo(url: str, base: str) -> str:
    return base + url[len(DEMO_PREFIX):] if url.startswith(DEMO_PREFIX) else url


def _emulator() -> plugins.Target:
    """The emulator target: its phone, its tasks' checks and its demo site."""
    emulator = plugins.target("emulator")
    if emulator is None:
        raise LookupError("the scenario needs the emulator, and no emulator target is installed")
    return emulator


@contextmanager
def open_target(scenario: Scenario, resources: Resources) -> Iterator[OpenTarget]:
    target = scenario.target
    with ExitStack() as stack:
        if target.emulator is not None:
            emulator = _emulator()
            spec = target.emulator
            hazards = set(spec.hazards) if isinstance(spec.hazards, list) else spec.hazards
            phone = emulator.open_device(seed=spec.seed, hazards=hazards)
            stack.callback(phone.close)

            def read_phone(app: str | None) -> Any:
                if app is None:
                    return phone
                try:
                    return phone.app_state(app)
                except Exception as err:  # UnknownApp lists the installed apps
                    raise LookupError(str(err)) from None

            yield OpenTarget(phone, read_phone, lambda task_id: emulator.task(task_id).is_successful(phone),
                             f"emulator seed {spec.seed}")
        elif target.browser is not None:
            from autoagent.actuators.browser import BrowserDevice

            spec_b = target.browser
            base = ""
            read_site = None
            if DEMO_PREFIX in (spec_b.url[:len(DEMO_PREFIX)], *[v[:len(DEMO_PREFIX)] for v in spec_b.sites.values()]):
                site = stack.enter_context(_emulator().demo_site(seed=spec_b.seed))
                base = site.url

                def read_site(app: str | None) -> Any:
                    return site.state
            sites = {k: _resolve_demo(v, base) for k, v in spec_b.sites.items()}
            device = BrowserDevice.attach(resources.browser(), _resolve_demo(spec_b.url, base),
                                          mobile=spec_b.mobile, sites=sites)
            stack.callback(device.close)
            yield OpenTarget(device, read_site, None, f"browser {'phone' if spec_b.mobile else 'desktop'}")
        else:
            from autoagent.actuators.android import AndroidDevice

            serial = resources.android_serial(target.android.serial)  # type: ignore[union-attr]
            device = AndroidDevice.connect(serial)
            stack.callback(device.close)
            yield OpenTarget(device, None, None, f"android {serial or '(default)'}")


def goal_policy_factory(loaded: LoadedScenario, device: Device, artifacts: Path) -> Callable[[], Policy] | None:
    engine = loaded.scenario.goal_engine()
    if engine is None:
        return None

    def make() -> Policy:
        trace = str(loaded.resolve(engine.trace)) if engine.trace else None
        if engine.name == "replay" and engine.verify:
            from autoagent.verified_replay import VerifiedReplayPolicy

            if trace is None:
                raise ValueError("engine 'replay' needs trace, the directory of a recorded run")
            return VerifiedReplayPolicy.from_trace(trace, artifacts_dir=artifacts)
        from autoagent.policy.factory import make_policy

        return make_policy(engine.name, base_url=engine.base_url, model=engine.model,
                           model_path=loaded.resolve(engine.model_path) if engine.model_path else None,
                           trace=trace, lang=engine.lang)
    return make


def _approvals(scenario: Scenario, device: Device) -> Any:
    from autoagent.safety import ScenarioApprovals

    # ScenarioApprovals refuses everything on any device but the built-in emulator.
    return ScenarioApprovals(device=device, categories=frozenset(scenario.approved_categories()),
                             answers=tuple(scenario.answers))


def _steps(scenario: Scenario) -> list[Any]:
    app = scenario.target.emulator.app if scenario.target.emulator else (
        scenario.target.android.app if scenario.target.android else None)
    first = [LaunchStep(launch=app)] if app else []
    return [*first, *scenario.all_steps()]


def run_scenario(loaded: LoadedScenario, out_dir: Path, resources: Resources | None = None,
                 settle_timeout: float = 5.0) -> ScenarioResult:
    """Run ``loaded`` with its trace under ``out_dir``; never raises for a failing scenario."""
    scenario = loaded.scenario
    own = resources is None
    resources = resources or Resources()
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = ScenarioResult(id=scenario.id, file=str(loaded.path), passed=False, status=Status.ERROR)
    try:
        with open_target(scenario, resources) as target:
            result.target = target.label
            policy = StepPolicy(_steps(scenario), target.device,
                                goal_policy=goal_policy_factory(loaded, target.device, out_dir),
                                deadline=started + scenario.limits.timeout)
            agent = Agent(device=target.device, policy=policy, guard=_guard(), human=_approvals(scenario, target.device),
                          max_steps=scenario.limits.max_steps, trace_root=out_dir, settle_timeout=settle_timeout)
            try:
                run = agent.run(scenario.task_text())
            finally:
                policy.close()
            final: Observation | None = target.device.observe()
            failures = check(scenario.expect, status=run.status, message=run.message, final=final,
                             read_state=target.read_state, run_task=target.run_task)
            result = result.model_copy(update={
                "status": run.status, "message": run.message, "steps": run.steps, "failures": failures,
                "passed": not failures, "trace_dir": str(run.trace_dir) if run.trace_dir else None,
                "log": policy.log})
    except Exception as err:  # a target that cannot open, a policy that cannot start
        result = result.model_copy(update={"failures": [f"{type(err).__name__}: {err}"], "message": str(err)})
    finally:
        if own:
            resources.close()
    artifacts = sorted(str(p) for p in Path(result.trace_dir or out_dir).glob("mismatch-*.png"))
    artifacts += sorted(str(p) for p in out_dir.glob("mismatch-*.png") if str(p) not in artifacts)
    result = result.model_copy(update={"seconds": round(time.monotonic() - started, 3), "artifacts": artifacts})
    write_result(result, Path(result.trace_dir) if result.trace_dir else out_dir)
    return result


def write_result(result: ScenarioResult, where: Path) -> None:
    """Write ``where/scenario.json`` whole or not at all (the report reads every one)."""
    where.mkdir(parents=True, exist_ok=True)
    tmp = where / (RESULT_FILE + ".tmp")
    tmp.write_text(result.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, where / RESULT_FILE)


def _guard() -> Any:
    from autoagent.safety import ScreenGuard

    return ScreenGuard()


def read_results(root: Path) -> list[ScenarioResult]:
    """Every scenario.json under ``root`` (one per run), sorted by scenario id."""
    out = []
    for f in sorted(root.rglob(RESULT_FILE)):
        try:
            out.append(ScenarioResult.model_validate(json.loads(f.read_text(encoding="utf-8"))))
        except (ValueError, OSError):
            continue
    return sorted(out, key=lambda r: r.id)
