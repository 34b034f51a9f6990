"""`autoagent run` end to end on the emulator, with a served model (loopback chat-completions server)
and with a local checkpoint (a tiny Glm4v set to answer two known screens), plus bad configurations."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from autoagent.actions import Launch
from autoagent.grammar import format_action
from autoagent.policy.base import StepInput, Turn
from autoagent.policy.local_engine import LocalGLMPolicy
from autoagent.policy.tiny import build_tiny_glm, teach_reply
from autoagent.safety import Approval
from autoagent.trace import Outcome, Status, read_trace
from emulator import Phone
from tests.chat_server import ChatServer, Reply

TASK = "Open the Settings app"
LAUNCH = 'do(action="Launch", app="Settings")'
FINISH = 'finish(message="Settings is open")'


def autoagent(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autoagent", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def only_trace(root: Path) -> Path:
    (trace_dir,) = list((root / "traces").iterdir())
    return trace_dir


@pytest.fixture
def server():
    chat = ChatServer()
    yield chat
    chat.close()


def test_openai_engine_runs_a_full_loop(server: ChatServer, tmp_path: Path) -> None:
    server.replies.extend([Reply(text=f"<think>Open it.</think><answer>{LAUNCH}</answer>"), Reply(text=FINISH)])
    out = autoagent("run", TASK, "--device", "emulator", "--engine", "openai", "--base-url", server.base_url,
                    "--model", "autoglm-phone-9b", "--api-key", "k", "--report", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "success: Settings is open" in out.stdout
    assert "[1/30]" in out.stderr  # progress line per step
    trace = read_trace(only_trace(tmp_path))
    assert [s.answer for s in trace.steps] == [LAUNCH, FINISH]
    assert trace.steps[1].app == "com.autoagent.settings"  # the launch really happened on the phone
    assert len(server.requests) == 2 and server.requests[0]["model"] == "autoglm-phone-9b"
    assert (trace.path / "report.html").is_file()


@pytest.mark.parametrize("reply,status,message", [
    (Reply(status=401), 2, "AUTOAGENT_API_KEY"),
    (Reply(text="I have finished the task."), 1, "no valid action"),
])
def test_openai_engine_bad_replies_end_clearly(server: ChatServer, tmp_path: Path, reply: Reply, status: int,
                                               message: str) -> None:
    server.replies.extend([reply] * 5)
    out = autoagent("run", TASK, "--engine", "openai", "--base-url", server.base_url, "--model", "m",
                    cwd=tmp_path)
    assert out.returncode == status
    assert message in out.stdout + out.stderr and "Traceback" not in out.stderr
    trace = read_trace(only_trace(tmp_path))
    assert trace.result is not None and trace.result.status != "success"
    assert trace.steps  # every step up to the failure is kept


def test_unreachable_server_is_a_clear_error_with_a_trace(tmp_path: Path) -> None:
    out = autoagent("run", TASK, "--engine", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                    cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "127.0.0.1:9" in out.stdout + out.stderr
    assert read_trace(only_trace(tmp_path)).result.status == "error"


def test_missing_checkpoint_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "ckpt").mkdir()
    out = autoagent("run", TASK, "--engine", "local", "--model-path", str(tmp_path / "ckpt"), cwd=tmp_path)
    assert out.returncode == 2 and "config.json" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture(scope="module")
def settings_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Glm4v whose output layer is solved so that, on the emulator, it launches
    Settings from the home screen and then finishes: the real local engine path, a known answer."""
    tiny = build_tiny_glm(tmp_path_factory.mktemp("tiny"))
    engine = LocalGLMPolicy(tiny, max_new_tokens=40)
    phone = Phone(seed=0)
    first = StepInput(task=TASK, step=1, observation=phone.observe())
    phone.launch("Settings")
    phone.wait_until_settled(5)
    second = StepInput(task=TASK, step=2, observation=phone.observe(),
                       history=(Turn(thought="", answer=format_action(Launch(app="Settings"))),))
    tokenizer = engine.tokenizer
    examples = [(engine.inputs_for(first), tokenizer(LAUNCH + " junk", add_special_tokens=False)["input_ids"]),
                (engine.inputs_for(second), tokenizer(FINISH + " junk", add_special_tokens=False)["input_ids"])]
    engine.close()
    return teach_reply(tiny, tmp_path_factory.mktemp("taught"), examples)


def test_local_engine_runs_a_full_loop(settings_checkpoint: Path, tmp_path: Path) -> None:
    out = autoagent("run", TASK, "--device", "emulator", "--engine", "local", "--model-path",
                    str(settings_checkpoint), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    trace = read_trace(only_trace(tmp_path))
    assert [s.answer for s in trace.steps] == [LAUNCH, FINISH]
    assert trace.steps[1].app == "com.autoagent.settings"


def test_spoken_task_is_confirmed_then_run(server: ChatServer, tmp_path: Path) -> None:
    clip = tmp_path / "task.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(clip), "Book a hotel in Shanghai for two adults"],
                   check=True, capture_output=True)
    server.replies.append(Reply(text=FINISH))
    out = subprocess.run([sys.executable, "-m", "autoagent", "run", "--voice", str(clip), "--engine", "openai",
                          "--base-url", server.base_url, "--model", "m"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, input="y\n")
    assert out.returncode == 0, out.stderr
    assert 'heard: "' in out.stderr
    task = read_trace(only_trace(tmp_path)).meta.task
    assert "hotel" in task.lower() and "Shanghai" in task and "2" in task


def test_unconfirmed_transcript_runs_nothing(tmp_path: Path) -> None:
    clip = tmp_path / "task.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(clip), "Buy a white T-shirt"], check=True,
                   capture_output=True)
    out = subprocess.run([sys.executable, "-m", "autoagent", "run", "--voice", str(clip), "--engine", "openai",
                          "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, input="n\n")
    # The person's own choice: a clean cancel in one line, not an error.
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().endswith("autoagent: cancelled: the transcript was not confirmed, so nothing was run")
    assert "error" not in out.stderr.lower()
    assert not (tmp_path / "traces").exists()


MAIN_JOB = "In the Shop app, buy a White T-shirt in size M."


def test_main_job_without_a_human_pays_nothing(tmp_path: Path) -> None:
    out = autoagent("run", MAIN_JOB, "--device", "emulator", cwd=tmp_path)
    assert out.returncode == 3, out.stderr
    assert out.stdout.startswith("needs_human: purchase needs your confirmation")
    trace = read_trace(only_trace(tmp_path))
    last = trace.steps[-1]
    assert last.outcome is Outcome.DENIED and last.human.by == "none" and not last.human.approved


def final_screen(trace) -> str:
    last = trace.steps[-1]
    return (trace.path / last.hierarchy).read_text(encoding="utf-8")


@pytest.mark.parametrize("engine,policy", [([], "local:embedded_model"), (["--engine", "expert"], "expert")],
                         ids=["default-embedded-policy", "expert"])
def test_main_job_with_approvals_buys_the_shirt(engine: list[str], policy: str, tmp_path: Path) -> None:
    """With no engine named, the emulator runs the embedded policy; the expert stays one flag away."""
    out = autoagent("run", MAIN_JOB, "--approve", "purchase", "--approve", "payment", *engine, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    trace = read_trace(only_trace(tmp_path))
    assert trace.meta.policy == policy
    approved = [s for s in trace.steps if isinstance(s.human, Approval) and s.human.approved]
    # The pre-approvals answered; the payment sheet's Pay is covered by the yes to Place order.
    assert approved and {s.human.by for s in approved} == {"scenario", "earlier yes"}
    assert any(s.guard and s.guard.category == "payment" for s in approved)
    assert trace.result.status is Status.SUCCESS
    # Judged by the shop's own screens: the payment sheet that was approved holds one White T-shirt
    # in size M, and the shop then says the payment went through.
    pay = next(s for s in trace.steps if s.guard and s.guard.category == "payment"
               and "Pay ¥" in (trace.path / s.hierarchy).read_text(encoding="utf-8"))
    sheet = (trace.path / pay.hierarchy).read_text(encoding="utf-8")
    assert "White T-shirt 白色T恤 Size 尺码 M · White 白色 x1" in sheet
    assert "Payment successful" in final_screen(trace)


@pytest.mark.parametrize("goal,engine,switch,state,folder", [
    ("关掉无线网络", [], "wifi_switch", "OFF", "关掉无线网络"),
    ("switch on bluetooth", ["--engine", "local"], "bluetooth_switch", "ON", "switch-on-bluetooth")])
def test_the_embedded_policy_reads_a_request_in_everyday_words(goal: str, engine: list[str], switch: str, state: str,
                                                               folder: str, tmp_path: Path) -> None:
    """The small GLM shipped in the package, from the command line: the emulator's default, and
    what --engine local without a folder loads. The trace is named after the request, in its own script."""
    out = autoagent("run", goal, *engine, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert only_trace(tmp_path).name.endswith(f"-{folder}")
    trace = read_trace(only_trace(tmp_path))
    assert trace.meta.policy == "local:embedded_model"
    assert trace.steps[0].raw == "launch Settings"  # its own answer, kept verbatim
    # Judged by the Settings app's own screen.
    assert re.search(rf'text="{state}"[^>]*resource-id="com.autoagent.settings:id/{switch}"', final_screen(trace))


def test_unknown_goal_for_the_expert_lists_known_tasks(tmp_path: Path) -> None:
    out = autoagent("run", "Fly me to the moon", "--engine", "expert", cwd=tmp_path)
    assert out.returncode == 2 and "Turn off Wi-Fi." in out.stderr and "Traceback" not in out.stderr


def test_user_mistakes_get_one_line_not_a_traceback(tmp_path: Path) -> None:
    unwritable = autoagent("run", "Turn off Wi-Fi.", "--traces", "/proc/no-such-dir", cwd=tmp_path)
    assert unwritable.returncode == 2 and "cannot write the trace" in unwritable.stderr
    ok = autoagent("run", "Turn off Wi-Fi.", "--device", "Emulator", "-q", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr  # device names are case-insensitive
    report = autoagent("report", str(only_trace(tmp_path)), "-o", str(tmp_path / "missing" / "r.html"), cwd=tmp_path)
    assert report.returncode == 2 and "cannot write the report" in report.stderr
    for out in (unwritable, report):
        assert "Traceback" not in out.stderr


def test_the_emulator_command_names_itself_as_typed(tmp_path: Path) -> None:
    assert autoagent("emulator", "--help", cwd=tmp_path).stdout.startswith("usage: autoagent emulator ")
    assert autoagent("emulator", "serve", "--help", cwd=tmp_path).stdout.startswith("usage: autoagent emulator serve ")


@pytest.mark.parametrize("command", [["run", "Turn off Wi-Fi."], ["serve"], ["record", "x"], ["mcp"],
                                     ["emulator", "serve"], ["emulator", "screenshot"]],
                         ids=["run", "serve", "record", "mcp", "emulator-serve", "emulator-screenshot"])
def test_a_negative_seed_is_refused_in_one_line(tmp_path: Path, command: list[str]) -> None:
    out = autoagent(*command, "--seed", "-5", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines()[-1].endswith("argument --seed: must be 0 or more, not -5"), out.stderr
    assert not (tmp_path / "traces").exists() and not (tmp_path / "screen.png").exists()


def test_a_busy_port_is_named(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = autoagent("serve", "--port", str(port), "--traces", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip() == (f"autoagent: error: cannot listen on 127.0.0.1:{port}: Address already in use "
                                  "(is another server using it? choose another --port, or 0 for a free one)")
