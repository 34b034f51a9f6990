"""`autoagent run --device android:SERIAL` as a user runs it: the CLI in a subprocess, the real
uiautomator2 client, real sockets to the served emulator, judged by the phone's own app state.

The replies come from traces recorded in-process (`--engine replay`), so each run replays a whole
task over the wire: the purchase's by the emulator's default policy, the embedded policy (as the
README's main job records it, in a reply grammar of its own), the message's by the expert. Questions are answered on a real pseudo-terminal,
the way a person at the keyboard answers them.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from autoagent.trace import read_trace
from emulator import Phone
from emulator.tasks import TASKS
from emulator.wire import serve

pytestmark = pytest.mark.usefixtures("no_adb_daemon")

TASK_BY_ID = {task.id: task for task in TASKS}
SHOP_TASK = TASK_BY_ID["shop_buy_white_tshirt_m"]
MESSAGE_TASK = TASK_BY_ID["messages_send_li_na"]  # Chinese text typed through uiautomator2's clipboard path


def autoagent(*args: str, cwd: Path, env: dict[str, str] | None = None, answers: str | None = None,
              ) -> subprocess.CompletedProcess[str]:
    """Run the CLI; with ``answers``, stdin is a pseudo-terminal that already holds those lines."""
    full_env = {**os.environ, **(env or {})}
    if answers is None:
        return subprocess.run([sys.executable, "-m", "autoagent", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL, env=full_env)
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answers.encode())
        return subprocess.run([sys.executable, "-m", "autoagent", *args], cwd=cwd, capture_output=True,
                              text=True, timeout=300, stdin=terminal, env=full_env)
    finally:
        os.close(terminal)
        os.close(controller)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> dict[str, Path]:
    """One trace per task, recorded on the in-process emulator with approvals given: the
    purchase by the default policy, the message by the expert."""
    root = tmp_path_factory.mktemp("recorded")
    traces: dict[str, Path] = {}
    for task, engine in ((SHOP_TASK, []), (MESSAGE_TASK, ["--engine", "expert"])):
        out = autoagent("run", task.goal, *engine, "--approve", "purchase", "--approve", "payment",
                        "--approve", "send", "--traces", task.id, "-q", cwd=root)
        assert out.returncode == 0, out.stdout + out.stderr
        (trace,) = (root / task.id).iterdir()
        traces[task.id] = trace
    return traces


def served_env(server) -> dict[str, str]:
    # ADBUTILS_ADB_PATH points at a binary that fails: nothing may fall back to a real adb.
    return {"ANDROID_ADB_SERVER_PORT": str(server.adb_port), "ANDROID_SERIAL": server.serial,
            "ADBUTILS_ADB_PATH": "/bin/false"}


def replay_over_wire(task, trace: Path, server, cwd: Path, answers: str | None = None):
    return autoagent("run", task.goal, "--device", f"android:{server.serial}", "--engine", "replay",
                     "--trace", str(trace), "--traces", "wire", "--report", cwd=cwd, env=served_env(server),
                     answers=answers)


def assert_trace_complete(trace_dir: Path, status: str) -> None:
    trace = read_trace(trace_dir)
    assert trace.result is not None and trace.result.status == status
    assert trace.damaged_lines == 0
    for step in trace.steps:
        assert step.screenshot and step.hierarchy, f"step {step.step} lost its screen"
        with Image.open(trace_dir / step.screenshot) as image:
            image.load()
            assert image.size == (1080, 2400)
    assert (trace_dir / "report.html").is_file()


def new_trace(cwd: Path, seen: set[Path]) -> Path:
    fresh = [p for p in (cwd / "wire").iterdir() if p not in seen]
    assert len(fresh) == 1, fresh
    seen.add(fresh[0])
    return fresh[0]


@pytest.mark.parametrize("screenshot_format", ["png", "jpeg"])
def test_a_whole_purchase_over_uiautomator2_pays_once_after_two_yeses(recorded, tmp_path, screenshot_format):
    phone = Phone(seed=0)
    with serve(phone, screenshot_format=screenshot_format) as server:
        out = replay_over_wire(SHOP_TASK, recorded[SHOP_TASK.id], server, tmp_path, answers="y\n" * 2)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("success"), out.stdout
    # Buy now (purchase) and Place order (payment, the total shown) were asked; their yes covers Pay.
    assert out.stderr.count("[confirm]") == 2
    assert SHOP_TASK.is_successful(phone), "the phone's shop has no paid order for a White T-shirt in M"
    assert len(phone.payments) == 1
    assert_trace_complete(new_trace(tmp_path, set()), "success")


def test_a_no_on_the_terminal_leaves_the_phone_unpaid(recorded, tmp_path):
    phone = Phone(seed=0)
    with serve(phone) as server:
        out = replay_over_wire(SHOP_TASK, recorded[SHOP_TASK.id], server, tmp_path, answers="n\n")
    assert out.returncode == 3, out.stdout + out.stderr
    assert out.stderr.count("[confirm]") == 1
    assert phone.payments == [] and not SHOP_TASK.is_successful(phone)
    assert phone.current_package() == "com.autoagent.shop"  # it stopped where it asked
    assert_trace_complete(new_trace(tmp_path, set()), "needs_human")


def test_several_runs_in_a_row_on_one_served_phone(recorded, tmp_path):
    """Each run connects afresh to the same phone; nothing breaks between runs."""
    phone = Phone(seed=0)
    seen: set[Path] = set()
    with serve(phone, screenshot_format="jpeg") as server:
        for _ in range(3):
            # No terminal: the purchase question is answered no, and the run ends there.
            out = replay_over_wire(SHOP_TASK, recorded[SHOP_TASK.id], server, tmp_path)
            assert out.returncode == 3, out.stdout + out.stderr
            assert_trace_complete(new_trace(tmp_path, seen), "needs_human")
        out = replay_over_wire(MESSAGE_TASK, recorded[MESSAGE_TASK.id], server, tmp_path, answers="y\n")
        assert out.returncode == 0, out.stdout + out.stderr
        assert_trace_complete(new_trace(tmp_path, seen), "success")
    assert phone.payments == []
    assert MESSAGE_TASK.is_successful(phone), "the message with its Chinese text was not sent"
