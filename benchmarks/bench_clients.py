"""One task, the same recorded replies, three ways to drive the emulator: whole-task time, time per step,
and what each client does at the payment step.

    python benchmarks/bench_clients.py [--task shop_buy_white_tshirt_m] [--runs 3] [--json out.json]

The emulator's expert plays the task once in-process and its replies are recorded. They are then
replayed by: our agent over uiautomator2 against the served emulator (stock uiautomator2 client,
loopback sockets); our agent in-process on the emulator; and autoglm-gui, a published AutoGLM
client, through its own adb layer and Debian's adb binary against the served emulator (with its
default 1 s waits after each action, and with them set to 0). Each run gets a fresh phone and
is judged by the task's own check of the app state.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchtools import cpu_model, record_expert, summarize_ms  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.agent import Agent  # noqa: E402
from autoagent.policy.reply_replay import ReplayPolicy  # noqa: E402
from autoagent.safety import CallbackHuman  # noqa: E402
from autoagent.trace import read_trace  # noqa: E402
from emulator import tasks  # noqa: E402
from emulator.wire import serve  # noqa: E402

Run = dict[str, Any]


def _ours(task: tasks.Task, recording: Path, root: Path, device: Any, phone: Any) -> Run:
    """Our agent with the replayed replies; the human's answers come from a callback that says yes."""
    asked: list[str] = []

    def approve(request: Any) -> bool:
        asked.append(f"{request.category}: {request.action}")
        return True

    started = time.perf_counter()
    result = Agent(device=device, policy=ReplayPolicy.from_trace(recording), human=CallbackHuman(on_confirm=approve),
                   trace_root=root, max_steps=60).run(task.goal)
    wall = time.perf_counter() - started
    steps = read_trace(result.trace_dir).steps
    return {"wall_s": wall, "done": bool(result.ok and task.is_successful(phone)), "steps": len(steps),
            "step_ms": [s.timings.get("total", 0.0) for s in steps], "asked": asked,
            "payments": [p.cause.kind for p in phone.payments]}


def ours_in_process(task: tasks.Task, recording: Path, root: Path) -> Run:
    phone = task.make_phone()
    return _ours(task, recording, root, phone, phone)


def ours_over_uiautomator2(task: tasks.Task, recording: Path, root: Path) -> Run:
    from autoagent.actuators.android import AndroidDevice

    with serve(task.make_phone()) as srv:
        device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
        try:
            return _ours(task, recording, root, device, srv.phone)
        finally:
            device.close()


def peer_over_adb(task: tasks.Task, recording: Path, root: Path, waits: float | None) -> Run:
    """autoglm-gui's adb layer; ``waits`` sets its fixed sleeps after actions (None: its defaults)."""
    from tests.peer_autoglm import client_delays, client_env, emulator_apps, run_replies

    replies = [s.raw for s in read_trace(recording).steps if s.raw]
    with serve(task.make_phone()) as srv:
        saved = {k: os.environ.get(k) for k in client_env(srv.adb_port)}
        os.environ.update(client_env(srv.adb_port))
        try:
            with emulator_apps(srv.phone), client_delays(waits):
                run = run_replies(srv.serial, replies)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return {"wall_s": run.wall_s, "done": bool(run.finished and task.is_successful(srv.phone)), "steps": len(run.steps),
                "step_ms": [s.timings_ms["total"] for s in run.steps], "asked": run.confirmations,
                "payments": [p.cause.kind for p in srv.phone.payments]}


CLIENTS: dict[str, tuple[Callable[[tasks.Task, Path, Path], Run], str]] = {
    "ours, uiautomator2 (served)": (ours_over_uiautomator2, "asks a human (guard), pays on a yes"),
    "ours, in-process": (ours_in_process, "asks a human (guard), pays on a yes"),
    "autoglm-gui, adb (waits off)": (lambda t, r, d: peer_over_adb(t, r, d, 0.0),
                                     "its confirm callback says yes by itself (web mode), taps Pay"),
    "autoglm-gui, adb (1 s waits)": (lambda t, r, d: peer_over_adb(t, r, d, None),
                                     "its confirm callback says yes by itself (web mode), taps Pay"),
}


def summarize(runs: list[Run], note: str) -> dict[str, Any]:
    first = runs[0]
    payment_step = [a for a in first["asked"] if "pay" in a.lower()]
    return {
        "runs": len(runs),
        "all_done": all(r["done"] for r in runs),
        "steps": first["steps"],
        "task_s_median": round(statistics.median(r["wall_s"] for r in runs), 3),
        "step": summarize_ms([ms for r in runs for ms in r["step_ms"]]),
        "questions": first["asked"],
        "at_payment": f"{note}; asked: {payment_step[-1] if payment_step else 'nothing'}",
        "payment_caused_by": first["payments"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="shop_buy_white_tshirt_m")
    parser.add_argument("--runs", type=int, default=3, help="runs per client (the 1 s-wait client runs once)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/clients.json"))
    args = parser.parse_args(argv)
    task = tasks.get(args.task)

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        recording = record_expert(task, root / "recorded")
        replies = len([s for s in read_trace(recording).steps if s.raw])
        for name, (client, note) in CLIENTS.items():
            runs = 1 if "1 s waits" in name else args.runs
            results[name] = summarize([client(task, recording, root / f"{name[:8]}{i}") for i in range(runs)], note)

    meta = {"device": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "date": dt.datetime.now().isoformat(timespec="seconds"), "task": args.task, "replies": replies,
            "runs": args.runs}
    print(f"clients on one task — {meta['device']} ({meta['cores']} cores), {meta['date']}")
    print(f"task {args.task}: {replies} recorded replies, replayed by every client on a fresh phone")
    header = f"{'client':30}{'task s':>9}{'step med/p90 ms':>20}{'steps':>7}{'done':>6}  at the payment step"
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        step = f"{r['step']['median_ms']:.1f} / {r['step']['p90_ms']:.1f}"
        print(f"{name:30}{r['task_s_median']:>9.2f}{step:>20}{r['steps']:>7}{'yes' if r['all_done'] else 'NO':>6}  "
              f"{r['at_payment']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
