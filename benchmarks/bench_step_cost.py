"""What the loop spends per step around the model: capture, guard review and re-check, side by side
for this tree and a baseline checkout of the project, in one run.

    python benchmarks/bench_step_cost.py [--baseline DIR] [--task shop_buy_white_tshirt_m] [--runs 5]

Each tree records the emulator's expert on the task, then replays the recorded replies through
its own ``Agent`` several times; the step timings come from the traces. Only steps the guard
judged (taps, swipes, typing) are counted. Make a baseline with ``git worktree add DIR COMMIT``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
PARTS = ("capture", "guard", "recheck")


def measure(tree: Path, task_id: str, runs: int) -> dict[str, Any]:
    """Runs in a child process whose imports come from ``tree``."""
    sys.path[:0] = [str(tree), str(tree / "benchmarks")]
    import autoagent
    from autoagent.agent import Agent
    from autoagent.policy.reply_replay import ReplayPolicy
    from autoagent.safety.human import CallbackHuman
    from autoagent.trace import read_trace
    from benchtools import record_expert  # the tree's own
    from emulator import tasks

    task = tasks.get(task_id)
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        recording = record_expert(task, Path(tmp) / "recorded")
        for run in range(runs):
            phone = task.make_phone()
            result = Agent(device=phone, policy=ReplayPolicy.from_trace(recording), max_steps=60,
                           human=CallbackHuman(on_confirm=lambda request: True),
                           trace_root=Path(tmp) / f"run{run}").run(task.goal)
            if not result.ok:
                raise SystemExit(f"the replay failed in {tree}: {result.status} {result.message}")
            rows += [dict(step.timings) for step in read_trace(result.trace_dir).steps if "guard" in step.timings]
    return {"code": str(Path(autoagent.__file__).parent), "rows": rows}


def _median(rows: list[dict[str, float]], key: str) -> float:
    values = [row.get(key, 0.0) for row in rows]
    return round(statistics.median(values), 3) if values else float("nan")


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    summary = {part: _median(rows, part) for part in PARTS}
    summary["sum"] = round(statistics.median(sum(row.get(p, 0.0) for p in PARTS) for row in rows), 3)
    summary["steps"] = len(rows)
    return summary


def run_tree(tree: Path, task: str, runs: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(HERE), "--measure", str(tree), "--task", task, "--runs", str(runs)],
                         capture_output=True, text=True, cwd=tree)
    if out.returncode != 0:
        raise SystemExit(f"measuring {tree} failed:\n{out.stderr[-3000:]}")
    data = json.loads(out.stdout.splitlines()[-1])
    if not Path(data["code"]).is_relative_to(tree):
        raise SystemExit(f"measuring {tree} ran the code in {data['code']}: check PYTHONPATH")
    return summarize(data["rows"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the project to compare with (git worktree)")
    parser.add_argument("--task", default="shop_buy_white_tshirt_m")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=HERE.parent / "results" / "step_cost.json")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure.resolve(), args.task, args.runs)))
        return 0

    trees = {"this tree": HERE.parent.parent}
    if args.baseline:
        if not (args.baseline / "autoagent").is_dir():
            parser.error(f"{args.baseline} is not a checkout of the project (no autoagent/ folder)")
        trees["baseline"] = args.baseline.resolve()
    results = {name: run_tree(tree, args.task, args.runs) for name, tree in trees.items()}
    meta = {"device": _cpu(), "cores": os.cpu_count(), "python": platform.python_version(),
            "date": dt.datetime.now().isoformat(timespec="seconds"), "task": args.task, "runs": args.runs}
    print(f"per-step cost around the model — {meta['device']} ({meta['cores']} cores), {meta['date']}")
    print(f"task {args.task}, {args.runs} replays per tree; medians over the steps the guard judged")
    print(f"{'ms per step':14}" + "".join(f"{name:>14}" for name in results))
    for part in (*PARTS, "sum"):
        print(f"{part:14}" + "".join(f"{r[part]:>14.2f}" for r in results.values()))
    print(f"{'steps':14}" + "".join(f"{r['steps']:>14}" for r in results.values()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"wrote {args.json}")
    return 0


def _cpu() -> str:
    sys.path.insert(0, str(HERE.parent))
    from benchtools import cpu_model

    return cpu_model()


if __name__ == "__main__":
    raise SystemExit(main())
