"""The agent loop with a stub device and scripted policies: results, guard, traces, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autoagent.actions import Back, Finish, Launch, RelativePoint, Swipe, Tap, TakeOver, Type
from autoagent.agent import Agent, Status
from autoagent.geometry import to_pixels, to_relative
from autoagent.policy.base import Decision, PolicyError, StepInput
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import CallbackHuman, Verdict
from autoagent.trace import Outcome, read_trace
from autoagent.trace_report import render_html
from tests.stubs import Button, StubDevice

SEARCH = Button("Search", (100, 100, 980, 220))
PAY = Button("Pay ¥59.00", (100, 2100, 980, 2250))
OTHER = Button("Details", (100, 1000, 980, 1100))


def centre(button: Button, size=(1080, 2400)) -> RelativePoint:
    l, t, r, b = button.bounds
    return to_relative(((l + r) / 2, (t + b) / 2), size)


def make_agent(tmp_path: Path, device: StubDevice, script, **kw) -> Agent:
    return Agent(device=device, policy=ScriptedPolicy.of(script), trace_root=tmp_path, **kw)


def test_success_runs_actions_and_writes_trace(tmp_path: Path) -> None:
    device = StubDevice(buttons=[SEARCH, OTHER])
    agent = make_agent(tmp_path, device, [Tap(element=centre(SEARCH)), Type(text="白色T恤"),
                                          Swipe(start=RelativePoint(x=500, y=800), end=RelativePoint(x=500, y=200)),
                                          Finish(message="found it")])
    result = agent.run("find a white T-shirt")
    assert result.status is Status.SUCCESS and result.message == "found it" and result.steps == 4
    assert device.taps_on("Search") == 1
    assert ("type", "白色T恤") in device.events
    trace = read_trace(result.trace_dir)
    assert [s.outcome for s in trace.steps] == ["done", "done", "done", "finished"]
    assert trace.result is not None and trace.result.status == "success"
    first = trace.steps[0]
    assert first.pixels == [to_pixels(centre(SEARCH), (1080, 2400))] and device.button_at(*first.pixels[0]) == "Search"
    assert (trace.path / first.screenshot).is_file() and (trace.path / first.hierarchy).is_file()
    assert {"capture", "model", "act", "settle", "total"} <= set(first.timings)
    html = render_html(trace)
    assert "find a white T-shirt" in html and html.count('class="step"') == 4 and "<circle" in html


def test_unparseable_replies_are_reasked_then_fail(tmp_path: Path) -> None:
    device = StubDevice()
    agent = make_agent(tmp_path, device, ["I am done now.", "still nothing", "nope"], max_reasks=2)
    result = agent.run("do something")
    assert result.status is Status.FAILED  # never silently "finished"
    assert "no valid action" in result.message
    trace = read_trace(result.trace_dir)
    assert [s.outcome for s in trace.steps] == ["unparseable"] * 3
    assert trace.steps[0].raw == "I am done now."


def test_reask_recovers_and_model_sees_feedback(tmp_path: Path) -> None:
    seen: list[StepInput] = []

    class Recorder(ScriptedPolicy):
        def decide(self, step: StepInput) -> Decision:
            seen.append(step)
            return super().decide(step)

    agent = Agent(device=StubDevice(), policy=Recorder(["garbage", 'finish(message="ok")']), trace_root=tmp_path)
    assert agent.run("x").status is Status.SUCCESS
    assert "no valid action" in seen[1].history[-1].feedback


def test_step_limit(tmp_path: Path) -> None:
    result = make_agent(tmp_path, StubDevice(), [Back()] * 10, max_steps=3).run("loop forever")
    assert result.status is Status.STEP_LIMIT and result.steps == 3
    assert len(read_trace(result.trace_dir).steps) == 3


def test_payment_without_a_human_is_not_executed(tmp_path: Path) -> None:
    device = StubDevice(buttons=[PAY])
    result = make_agent(tmp_path, device, [Tap(element=centre(PAY))]).run("buy it")
    assert result.status is Status.NEEDS_HUMAN
    assert device.taps_on("Pay ¥59.00") == 0
    step = read_trace(result.trace_dir).steps[-1]
    assert step.outcome is Outcome.DENIED and step.guard.verdict is Verdict.CONFIRM and step.human.by == "none"


def test_payment_with_a_yes_goes_through_once(tmp_path: Path) -> None:
    device = StubDevice(buttons=[PAY])
    asked = []
    human = CallbackHuman(on_confirm=lambda req: asked.append(req) or True)
    result = make_agent(tmp_path, device, [Tap(element=centre(PAY)), Finish(message="paid")], human=human).run("buy")
    assert result.status is Status.SUCCESS
    assert device.taps_on("Pay ¥59.00") == 1 and len(asked) == 1
    assert asked[0].category == "payment"


def test_unknown_app_is_feedback_not_a_crash(tmp_path: Path) -> None:
    device = StubDevice()
    result = make_agent(tmp_path, device, [Launch(app="Nope"), Launch(app="shop"), Finish()]).run("open the shop")
    assert result.status is Status.SUCCESS
    steps = read_trace(result.trace_dir).steps
    assert steps[0].outcome == "error" and "installed: shop" in steps[0].error
    assert ("launch", "shop") in device.events


def test_take_over_without_human_stops(tmp_path: Path) -> None:
    result = make_agent(tmp_path, StubDevice(), [TakeOver(message="log in please")]).run("x")
    assert result.status is Status.NEEDS_HUMAN and "log in please" in result.message


def test_device_lost_ends_with_error_and_keeps_trace(tmp_path: Path) -> None:
    device = StubDevice(lose_after_observations=2)
    result = make_agent(tmp_path, device, [Back(), Back(), Back()]).run("x")
    assert result.status is Status.ERROR and "unplugged" in result.message
    trace = read_trace(result.trace_dir)
    assert len(trace.steps) == 2 and trace.result.status == "error"


def test_policy_error_ends_run_with_message(tmp_path: Path) -> None:
    class Down:
        name = "down"

        def decide(self, step: StepInput) -> Decision:
            raise PolicyError("cannot reach http://127.0.0.1:9/v1")

        def close(self) -> None: ...

    result = Agent(device=StubDevice(), policy=Down(), trace_root=tmp_path).run("x")
    assert result.status is Status.ERROR and "cannot reach" in result.message
    assert read_trace(result.trace_dir).steps[0].outcome == "error"


def test_ctrl_c_keeps_the_trace(tmp_path: Path) -> None:
    class Interrupting(ScriptedPolicy):
        def decide(self, step: StepInput) -> Decision:
            if step.step == 3:
                raise KeyboardInterrupt
            return super().decide(step)

    result = Agent(device=StubDevice(), policy=Interrupting([Back(), Back(), Back()]), trace_root=tmp_path).run("x")
    assert result.status is Status.INTERRUPTED
    trace = read_trace(result.trace_dir)
    assert len(trace.steps) == 2 and trace.result.status == "interrupted"


def test_empty_task_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        make_agent(tmp_path, StubDevice(), []).run("  ")


def test_killed_mid_run_trace_is_complete_up_to_last_step(tmp_path: Path) -> None:
    """SIGKILL the agent process while it waits on step 4: steps 1-3 must be readable."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
        from autoagent.actions import Back
        from autoagent.agent import Agent
        from autoagent.policy.scripted import ScriptedPolicy
        from tests.stubs import StubDevice

        class Slow(ScriptedPolicy):
            def decide(self, step):
                if step.step == 4:
                    print("waiting", flush=True)
                    time.sleep(600)
                return super().decide(step)

        Agent(device=StubDevice(), policy=Slow([Back()] * 10), trace_root={str(tmp_path)!r}).run("killed run")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "waiting"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    (trace_dir,) = list(tmp_path.iterdir())
    trace = read_trace(trace_dir)
    assert [s.step for s in trace.steps] == [1, 2, 3]
    assert trace.result is None and trace.damaged_lines == 0
    assert all((trace_dir / s.screenshot).is_file() for s in trace.steps)
    assert "did not finish" in render_html(trace)


def test_truncated_last_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    result = make_agent(tmp_path, StubDevice(), [Back(), Back(), Finish()]).run("x")
    steps_file = result.trace_dir / "steps.jsonl"
    data = steps_file.read_text()
    steps_file.write_text(data + data.splitlines()[0][:40])  # a write cut short by a crash
    trace = read_trace(result.trace_dir)
    assert len(trace.steps) == 3 and trace.damaged_lines == 1


def test_cli_report_and_bad_trace(tmp_path: Path) -> None:
    result = make_agent(tmp_path, StubDevice(), [Back(), Finish()]).run("report me")
    out = subprocess.run([sys.executable, "-m", "autoagent", "report", str(result.trace_dir)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "report me" in Path(out.stdout.strip()).read_text()
    bad = subprocess.run([sys.executable, "-m", "autoagent", "report", str(tmp_path / "nope")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not a trace" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_run_without_policy_explains(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "autoagent", "run", "buy", "--engine", "openai"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "base" in out.stderr.lower()


def test_the_recheck_reads_the_emulators_nodes_without_a_screenshot(tmp_path: Path) -> None:
    """Each tap is judged again on the screen right before it lands; on the emulator that
    re-read is its node tree alone: one screenshot per step, not two."""
    from emulator import Phone

    phone = Phone(seed=0)
    shots = 0
    screenshot = phone.screenshot

    def counted():
        nonlocal shots
        shots += 1
        return screenshot()

    phone.screenshot = counted  # type: ignore[method-assign]
    icon = phone.find(text="Settings")
    assert icon is not None
    tap = Tap(element=to_relative(icon.center, phone.screen_size()))
    policy = ScriptedPolicy.of([tap, Back(), tap, Finish(message="done")])
    result = Agent(device=phone, policy=policy, trace_root=tmp_path).run("open settings twice")
    steps = read_trace(result.trace_dir).steps
    assert result.ok and [s.outcome for s in steps] == [Outcome.DONE] * 3 + [Outcome.FINISHED]
    assert all("recheck" in s.timings for s in steps if isinstance(s.action, Tap))
    assert shots == 4  # the first screen and one after each action
