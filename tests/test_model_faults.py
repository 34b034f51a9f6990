"""`autoagent run --engine openai` against a loopback server that misbehaves on purpose:
cut-off replies are never acted on, waits are bounded and told, stored replies are capped,
and a killed run's temporary files are cleaned."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autoagent.actions import Type
from autoagent.trace import MAX_RAW_CHARS, StepRecord, TraceMeta, TraceWriter, clip_middle, read_trace
from tests.chat_server import ChatServer, Reply

TASK = "Buy a White T-shirt"
TYPE_WHITE = '<think>Type the product name.</think><answer>do(action="Type", text="White T-shirt")</answer>'
CUT = TYPE_WHITE.index("irt")  # ... text="White T-sh
FINISH = '<answer>finish(message="done")</answer>'


def autoagent(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autoagent", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})


def run(server: ChatServer, tmp_path: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return autoagent("run", TASK, "--engine", "openai", "--base-url", server.base_url, "--model", "m",
                     "--max-steps", "5", *args, cwd=tmp_path, env=env)


def only_trace(root: Path) -> Path:
    (trace_dir,) = list((root / "traces").iterdir())
    return trace_dir


def typed(trace_dir: Path) -> list[str]:
    return [s.action.text for s in read_trace(trace_dir).steps if isinstance(s.action, Type)]


@pytest.fixture
def server():
    chat = ChatServer()
    yield chat
    chat.close()


def test_a_server_that_keeps_cutting_replies_types_nothing(server: ChatServer, tmp_path: Path) -> None:
    server.replies.extend([Reply(text=TYPE_WHITE, cut_at=CUT)] * 3)
    out = run(server, tmp_path, "--retries", "2")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "cut-off reply" in out.stdout
    assert out.stderr.count("retrying in") == 2  # each retry is told
    trace = read_trace(only_trace(tmp_path))
    assert typed(trace.path) == []
    assert [s.outcome for s in trace.steps] == ["error"] and "cut-off" in trace.steps[0].error
    assert len(server.requests) == 3


def test_a_cut_reply_then_a_whole_one_types_the_whole_text_once(server: ChatServer, tmp_path: Path) -> None:
    server.replies.extend([Reply(text=TYPE_WHITE, cut_at=CUT), Reply(text=TYPE_WHITE), Reply(text=FINISH)])
    out = run(server, tmp_path)
    assert out.returncode == 0, out.stderr
    trace = read_trace(only_trace(tmp_path))
    assert typed(trace.path) == ["White T-shirt"]
    assert trace.steps[0].timings["model_truncated"] == 1  # recorded, never acted on


def test_a_reply_stopped_by_max_tokens_is_recorded_and_asked_again(server: ChatServer, tmp_path: Path) -> None:
    server.replies.extend([Reply(text=TYPE_WHITE[:CUT], finish_reason="length"), Reply(text=FINISH)])
    out = run(server, tmp_path)
    assert out.returncode == 0, out.stderr
    trace = read_trace(only_trace(tmp_path))
    assert [s.outcome for s in trace.steps] == ["truncated", "finished"]
    assert trace.steps[0].raw == TYPE_WHITE[:CUT] and typed(trace.path) == []
    assert "cut off" in str(server.requests[1]["messages"][-1]["content"])


@pytest.mark.parametrize("how", ["flags", "environment"])
def test_a_silent_server_fails_within_the_timeout_and_says_so(server: ChatServer, tmp_path: Path, how: str) -> None:
    server.replies.extend([Reply(delay=120)] * 3)
    started = time.perf_counter()
    if how == "flags":
        out = run(server, tmp_path, "--timeout", "1", "--retries", "3")
    else:
        out = run(server, tmp_path, env={"AUTOAGENT_TIMEOUT": "1", "AUTOAGENT_RETRIES": "3"})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    # Two attempts of 1 s and one pause: a timed-out attempt is retried once, not three times.
    assert time.perf_counter() - started < 20
    assert "model server: no whole reply within 1 s; retrying in 0.5 s (attempt 2/4)" in out.stderr
    assert "kept failing twice: no whole reply within 1 s" in out.stdout
    assert len(server.requests) == 2
    assert read_trace(only_trace(tmp_path)).result.status == "error"


def test_timeout_and_retries_are_options_of_the_openai_engine(tmp_path: Path) -> None:
    out = autoagent("run", TASK, "--engine", "local", "--timeout", "5", cwd=tmp_path)
    assert out.returncode == 2 and "--timeout and --retries apply to --engine openai" in out.stderr
    out = autoagent("run", TASK, "--engine", "openai", "--base-url", "http://127.0.0.1:9/v1", "--timeout", "0",
                    cwd=tmp_path)
    assert out.returncode == 2 and "timeout must be more than 0 seconds" in out.stderr


def test_a_huge_reasoning_reply_is_clipped_in_the_trace_and_the_report(server: ChatServer, tmp_path: Path) -> None:
    answer = '<answer>do(action="Type", text="White T-shirt")</answer>'
    server.replies.extend([Reply(text=answer, reasoning="x" * 1_000_000)] * 2 + [Reply(text=FINISH)])
    out = run(server, tmp_path, "--report")
    assert out.returncode == 0, out.stderr
    trace = read_trace(only_trace(tmp_path))
    assert (trace.path / "steps.jsonl").stat().st_size < 3 * (MAX_RAW_CHARS + 10_000)
    assert (trace.path / "report.html").stat().st_size < 300_000
    first = trace.steps[0]
    assert first.answer == 'do(action="Type", text="White T-shirt")'  # the action is kept whole
    assert "characters cut" in first.thought and "characters cut" in (trace.path / "report.html").read_text()
    assert first.raw.endswith("</answer>") and len(first.raw) <= MAX_RAW_CHARS


def test_the_report_cleans_a_killed_runs_temporary_files(tmp_path: Path) -> None:
    writer = TraceWriter.create(tmp_path, TraceMeta(task=TASK, device="emulator", policy="m"), background=False)
    writer.append(StepRecord(step=1, outcome="done"))
    writer.close()  # as after SIGKILL: no result.json
    stale = writer.path / "screens" / "0001.png.tmp"
    fresh = writer.path / "screens" / "0002.png.tmp"  # a run still writing: left alone
    for tmp in (stale, fresh):
        tmp.write_bytes(b"\x89PNG half")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    out = autoagent("report", str(writer.path), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert not stale.exists() and fresh.exists()
    assert "incomplete" in (writer.path / "report.html").read_text()


def test_clipping_keeps_both_ends_and_says_so() -> None:
    text = "start " + "x" * 10_000 + ' do(action="Back")'
    clipped = clip_middle(text, 1_000)
    assert len(clipped) <= 1_000 and clipped.startswith("start ") and clipped.endswith('do(action="Back")')
    kept = len(clipped.split("\n[...")[0]) + len(clipped.split("...]\n")[1])
    assert f"[... {len(text) - kept:,} characters cut" in clipped
    assert clip_middle(text, len(text)) is text
    assert "start" not in clip_middle(text, 10)  # a limit below the note's size keeps only the note
