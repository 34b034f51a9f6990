"""The model channel under faults: ``autoagent run --engine openai`` against a loopback
chat-completions server that misbehaves on purpose, one fault per row.

    python benchmarks/bench_model_faults.py [--cap 300] [--only NAME ...] [--parallel 4] [--json FILE]

Each row runs the real command in a subprocess on the built-in emulator and records the
exit code, the wall time, when the first line reached stderr (silence is a fault too) and
what the trace shows. Rows run side by side: they spend their time waiting on the server.
A run still going after ``--cap`` seconds is killed and marked so.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchtools import cpu_model  # noqa: E402 (a sibling module: the scripts run from this folder)
from tests.chat_server import ChatServer, Reply  # noqa: E402

TASK = "Buy a White T-shirt"
TYPE_WHITE = '<think>Type the product name.</think><answer>do(action="Type", text="White T-shirt")</answer>'
ANSWER_WHITE = '<answer>do(action="Type", text="White T-shirt")</answer>'  # the thinking comes apart
FINISH = '<answer>finish(message="done")</answer>'
CUT = TYPE_WHITE.index("irt")  # ... text="White T-sh
BAD_UTF8_JSON = (b'{"choices":[{"index":0,"message":{"role":"assistant","content":'
                 b'"<answer>do(action=\\"Type\\", text=\\"caf\xe9\\")</answer>"},"finish_reason":"stop"}]}')
BAD_UTF8_STREAM = (b'data: {"choices":[{"index":0,"delta":{"content":"<answer>do(action=\\"Type\\", '
                   b'text=\\"caf\xe9\\")</answer>"},"finish_reason":null}]}\n\n'
                   b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
BIG = 5_000_000


@dataclass
class Fault:
    name: str
    what: str
    replies: Callable[[], list[Reply]]  # queued in order; after them the server answers a Tap
    args: list[str] = field(default_factory=list)
    max_steps: int = 8
    stale_tmp: bool = False  # plant a stale screens/0001.png.tmp, then run `autoagent report`


def _repeat(reply: Reply, n: int = 40) -> list[Reply]:
    return [reply] * n


FAULTS = [
    Fault("good", "a well-behaved server (control)", lambda: [Reply(text=TYPE_WHITE), Reply(text=FINISH)]),
    Fault("cut-always", "every stream ends mid-call, no finish_reason, no [DONE]",
          lambda: _repeat(Reply(text=TYPE_WHITE, cut_at=CUT))),
    Fault("cut-once", "the first stream is cut mid-call, then whole replies",
          lambda: [Reply(text=TYPE_WHITE, cut_at=CUT), Reply(text=TYPE_WHITE), Reply(text=FINISH)]),
    Fault("length", 'every reply stops at max_tokens (finish_reason "length")',
          lambda: _repeat(Reply(text=TYPE_WHITE[:CUT], finish_reason="length"))),
    Fault("keepalive", "the stream sends keep-alive comments every 1 s and nothing else",
          lambda: _repeat(Reply(keepalive=1.0))),
    Fault("trickle", "a JSON body arriving one byte every 2 s",
          lambda: _repeat(Reply(text=TYPE_WHITE, stream=False, trickle=2.0))),
    Fault("silent", "the server accepts the request and never answers", lambda: _repeat(Reply(delay=3600))),
    Fault("utf8-json", "invalid UTF-8 inside a plain JSON reply",
          lambda: _repeat(Reply(body=BAD_UTF8_JSON), 3) + [Reply(text=FINISH)]),
    Fault("utf8-stream", "the same invalid UTF-8 inside a stream",
          lambda: _repeat(Reply(body=BAD_UTF8_STREAM, headers={"Content-Type": "text/event-stream"}), 3)
          + [Reply(text=FINISH)]),
    Fault("parts", "content as a list of text parts (plain JSON)",
          lambda: [Reply(text=TYPE_WHITE, stream=False, parts=True), Reply(text=FINISH)]),
    Fault("big-reasoning", "a 5 MB reasoning reply on each of 7 steps, then finish",
          lambda: [Reply(text=ANSWER_WHITE, reasoning="x" * BIG)] * 7 + [Reply(text=FINISH)],
          args=["--report"]),
    Fault("retry-after-20", "HTTP 429 with Retry-After: 20, then a whole reply",
          lambda: [Reply(status=429, headers={"Retry-After": "20"}), Reply(text=FINISH)]),
    Fault("retry-after-600", "HTTP 429 with Retry-After: 600",
          lambda: _repeat(Reply(status=429, headers={"Retry-After": "600"}), 6)),
    Fault("stale-tmp", "a killed run's screens/0001.png.tmp, then `autoagent report`",
          lambda: [Reply(text=FINISH)], stale_tmp=True),
]


def _summary(trace_dir: Path | None) -> dict[str, Any]:
    if trace_dir is None:
        return {"trace": "none"}
    from autoagent.actions import Type
    from autoagent.trace import read_trace

    trace = read_trace(trace_dir)
    outcomes = collections.Counter(s.outcome.value for s in trace.steps)
    steps_file = trace_dir / "steps.jsonl"
    typed = [s.action.text for s in trace.steps if isinstance(s.action, Type)]
    out: dict[str, Any] = {
        "steps": len(trace.steps), "outcomes": dict(outcomes), "typed": typed[:3] + (["..."] if len(typed) > 3 else []),
        "result": trace.result.status.value if trace.result else "none (killed)",
        "errors": sorted({(s.error or "")[:140] for s in trace.steps if s.error}),
        "steps_jsonl_bytes": steps_file.stat().st_size if steps_file.exists() else 0,
        "tmp_files": sorted(str(p.relative_to(trace_dir)) for p in trace_dir.rglob("*.tmp")),
        "timings": {k: v for s in trace.steps for k, v in s.timings.items()
                    if k in ("model_attempts", "model_truncated")},
    }
    report = trace_dir / "report.html"
    if report.exists():
        out["report_bytes"] = report.stat().st_size
    return out


def _run(fault: Fault, cap: float, env: dict[str, str]) -> dict[str, Any]:
    server = ChatServer()
    server.replies.extend(fault.replies())
    work = Path(tempfile.mkdtemp(prefix=f"fault-{fault.name}-"))
    cmd = [sys.executable, "-m", "autoagent", "run", TASK, "--engine", "openai", "--base-url", server.base_url,
           "--model", "m", "--max-steps", str(fault.max_steps), *fault.args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, env=env)
    first_err: list[float] = []
    err_lines: list[str] = []
    out_lines: list[str] = []

    def read(stream: Any, lines: list[str], first: list[float] | None) -> None:
        for line in stream:
            if first is not None and not first:
                first.append(time.perf_counter() - started)
            lines.append(line.rstrip("\n"))

    # One reader per pipe, and nothing else reading them (communicate() would steal lines).
    readers = [threading.Thread(target=read, args=(proc.stderr, err_lines, first_err), daemon=True),
               threading.Thread(target=read, args=(proc.stdout, out_lines, None), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        code: int | str = proc.wait(timeout=cap)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = f"killed at {cap:g} s"
    seconds = time.perf_counter() - started
    for reader in readers:
        reader.join(5)
    server.close()
    traces = sorted((work / "traces").glob("*")) if (work / "traces").exists() else []
    trace_dir = traces[0] if traces else None
    row: dict[str, Any] = {"fault": fault.name, "what": fault.what, "exit": code, "seconds": round(seconds, 1),
                           "first_stderr_s": round(first_err[0], 1) if first_err else None,
                           "stderr_lines": len(err_lines), "stdout": out_lines[:1],
                           "stderr_tail": [line[:200] for line in err_lines[-3:]], "requests": len(server.requests)}
    if fault.stale_tmp and trace_dir is not None:
        stale = trace_dir / "screens" / "0001.png.tmp"
        stale.write_bytes(b"\x89PNG half")
        old = time.time() - 3600
        os.utime(stale, (old, old))
        subprocess.run([sys.executable, "-m", "autoagent", "report", str(trace_dir)], cwd=work, capture_output=True,
                       timeout=120)
    row.update(_summary(trace_dir))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=300.0, help="kill a run after this many seconds")
    parser.add_argument("--only", nargs="*", help="fault names to run")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/model_faults.json"),
                        help="write the rows here [default: %(default)s]")
    parser.add_argument("--parallel", type=int, default=4, help="rows run at once")
    args = parser.parse_args(argv)
    faults = [f for f in FAULTS if not args.only or f.name in args.only]
    env = dict(os.environ)
    env.pop("AUTOAGENT_API_KEY", None)
    rows: dict[str, dict[str, Any]] = {}
    gate = threading.Semaphore(args.parallel)

    def one(fault: Fault) -> None:
        with gate:
            rows[fault.name] = _run(fault, args.cap, env)
            print(json.dumps(rows[fault.name], ensure_ascii=False), file=sys.stderr, flush=True)

    threads = [threading.Thread(target=one, args=(f,)) for f in faults]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = [rows[f.name] for f in faults]
    print(f"model channel faults, {cpu_model()}, {dt.date.today()}")
    print("| fault | exit | time | first stderr | trace |")
    print("|---|---|---|---|---|")
    for row in ordered:
        trace = f"{row.get('steps', 0)} steps {row.get('outcomes', {})}, result {row.get('result')}"
        if row.get("typed"):
            trace += f", typed {row['typed']}"
        if "report_bytes" in row:
            trace += f", steps.jsonl {row['steps_jsonl_bytes'] / 1e6:.2f} MB, report {row['report_bytes'] / 1e6:.2f} MB"
        if row.get("tmp_files"):
            trace += f", left {row['tmp_files']}"
        first = "never" if row["first_stderr_s"] is None else f"{row['first_stderr_s']} s"
        print(f"| {row['fault']} | {row['exit']} | {row['seconds']} s | {first} | {trace} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"date": str(dt.date.today()), "cpu": cpu_model(), "rows": ordered},
                                        ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
