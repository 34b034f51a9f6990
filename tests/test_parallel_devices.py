"""Several devices at once: agents on separate emulator phones, in threads and in processes, share
no state and keep their traces apart; `autoagent run` takes --device more than once; scenarios
each open a phone of their own (so `autoagent test -n 2` gives each worker's scenarios theirs)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

from autoagent.actions import Finish, RelativePoint, Swipe
from autoagent.agent import Agent, Result
from autoagent.parallel import run_each
from autoagent.plugins import target
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import ScenarioApprovals, TerminalHuman
from autoagent.safety.types import ConfirmationRequest
from autoagent.scenarios.loader import load_scenario
from autoagent.scenarios.runner import Resources, open_target
from autoagent.targets import open_device
from autoagent.trace import Status, read_trace

ROOT = Path(__file__).resolve().parents[1]
EMULATOR = target("emulator")
TASKS = {"a": "shop_buy_white_tshirt_m", "b": "travel_book_shanghai", "c": "settings_wifi_off"}


def agent_on(name: str, task_id: str, traces: Path):  # -> (phone, task, run)
    phone = open_device(f"emulator:{name}")
    task = EMULATOR.task(task_id)
    agent = Agent(device=phone, policy=EMULATOR.expert(phone, task, "en"), max_steps=60, trace_root=traces,
                  human=ScenarioApprovals(phone, categories={"purchase", "payment"}))
    return phone, task, (lambda: agent.run(task.goal))


def test_three_agents_in_threads_each_do_their_own_task(tmp_path: Path) -> None:
    agents = {name: agent_on(name, task_id, tmp_path) for name, task_id in TASKS.items()}
    runs = run_each([(name, run) for name, (_, _, run) in agents.items()])
    assert [run.label for run in runs] == ["a", "b", "c"] and all(run.error is None for run in runs)
    for run in runs:
        phone, task, _ = agents[run.label]
        assert run.result is not None and run.result.status is Status.SUCCESS, run
        # Each phone holds its own task's outcome and nobody else's.
        assert [other.id for _, other, _ in agents.values() if other.is_successful(phone)] == [task.id]
        trace = read_trace(run.result.trace_dir)
        assert trace.meta.device == f"emulator:{run.label}" and trace.meta.task == task.goal
    assert [len(agents[name][0].payments) for name in "abc"] == [1, 1, 0]
    assert len({run.result.trace_dir for run in runs}) == 3


def test_the_same_task_on_two_phones_at_once_runs_as_it_does_alone(tmp_path: Path) -> None:
    _, _, alone = agent_on("solo", TASKS["a"], tmp_path / "alone")
    expected = [s.answer for s in read_trace(alone().trace_dir).steps]
    pair = {name: agent_on(name, TASKS["a"], tmp_path / "pair") for name in ("x", "y")}
    runs = run_each([(name, run) for name, (_, _, run) in pair.items()])
    dirs = {run.result.trace_dir for run in runs}
    assert len(dirs) == 2 and all(d.parent == tmp_path / "pair" for d in dirs)  # same task, same second: two folders
    for run in runs:
        assert [s.answer for s in read_trace(run.result.trace_dir).steps] == expected
        assert len(pair[run.label][0].payments) == 1


def test_a_failure_on_one_device_leaves_the_others_running(tmp_path: Path) -> None:
    _, _, good = agent_on("ok", TASKS["c"], tmp_path)

    def broken() -> Result:
        raise RuntimeError("the phone was unplugged")

    runs = run_each([("broken", broken), ("ok", good)])
    assert isinstance(runs[0].error, RuntimeError) and runs[1].result.status is Status.SUCCESS


def test_a_phone_and_a_browser_in_threads(tmp_path: Path) -> None:
    scroll = Swipe(start=RelativePoint(x=500, y=700), end=RelativePoint(x=500, y=300))

    with EMULATOR.demo_site(0) as site:
        def browse() -> Result:
            # Opened on the thread that drives it: Playwright's objects work only there.
            device = open_device(f"browser:{site.url}")
            try:
                return Agent(device=device, policy=ScriptedPolicy.of([scroll, Finish(message="looked")]),
                             trace_root=tmp_path).run("Look around the demo shop")
            finally:
                device.close()

        phone, task, on_phone = agent_on("a", TASKS["c"], tmp_path)
        runs = run_each([("browser", browse), ("phone", on_phone)])
    assert [run.error for run in runs] == [None, None]
    assert [run.result.status for run in runs] == [Status.SUCCESS, Status.SUCCESS]
    assert task.is_successful(phone)
    assert [read_trace(run.result.trace_dir).meta.device for run in runs] == ["browser", "emulator:a"]


def cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "autoagent", "run", *args, "-q", "--traces", str(cwd / "traces")],
                            cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_agents_in_two_processes_at_once(tmp_path: Path) -> None:
    procs = [cli("Turn off Wi-Fi.", "--device", f"emulator:{name}", cwd=tmp_path) for name in ("p", "q")]
    outs = [proc.communicate(timeout=240) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outs
    devices = sorted(read_trace(d).meta.device for d in (tmp_path / "traces").iterdir())
    assert devices == ["emulator:p", "emulator:q"]


def test_run_takes_several_devices(tmp_path: Path) -> None:
    proc = cli("Turn off Wi-Fi.", "--device", "emulator:a", "--device", "emulator:b", cwd=tmp_path)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("emulator:a: success") and lines[2].startswith("emulator:b: success"), out
    assert lines[1].startswith("emulator:a: trace: ") and lines[3].startswith("emulator:b: trace: ")
    assert sorted(read_trace(d).meta.device for d in (tmp_path / "traces").iterdir()) == ["emulator:a", "emulator:b"]

    twice = cli("Turn off Wi-Fi.", "--device", "emulator", "--device", "emulator", cwd=tmp_path)
    out, err = twice.communicate(timeout=120)
    assert twice.returncode == 2 and "--device emulator is given twice" in err


def test_agents_on_one_terminal_ask_one_at_a_time_and_say_which_device() -> None:
    lock = threading.Lock()
    stderr = io.StringIO()
    humans = [TerminalHuman(stdin=io.StringIO("y\n"), stderr=stderr, label=name, lock=lock) for name in ("a", "b")]
    request = ConfirmationRequest(task="t", step=1, category="payment", reason="pay", action="do()")
    threads = [threading.Thread(target=human.confirm, args=(request,)) for human in humans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = stderr.getvalue()
    assert text.count("[a] [confirm]") == 1 and text.count("[b] [confirm]") == 1
    # One whole question, then the other.
    first = text.index("[confirm]")
    assert text.index("[confirm]", first + 1) > text.index("[y/N]")


def test_scenarios_open_a_phone_each() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "shop_buy_tshirt.scenario.yaml").scenario
    with open_target(scenario, Resources()) as one, open_target(scenario, Resources()) as two:
        assert one.device is not two.device
        one.device.launch("Settings")
        assert two.device.current_package() != "com.autoagent.settings"
