"""MiniWoB++ through the real agent loop: per-task success on desktop and phone viewports.

Each task's HTML (the ``miniwob`` package, installed ``--no-deps``) is served on loopback and
opened in Debian's Chromium through ``BrowserDevice``; every seed starts an episode
(``Math.seedrandom(seed); core.startEpisodeReal()``), a scripted policy that reads only the
agent's observation drives ``Agent`` (the real guard, ``NoHuman``), and the page's own
``WOB_RAW_REWARD_GLOBAL`` decides success. Prints a table and writes JSON.

    python benchmarks/bench_miniwob.py [--tasks a,b] [--seeds 10] [--viewport desktop|phone|both]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks.miniwob, from any folder

from benchtools import cpu_model, summarize_ms  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.actuators.browser_runtime import acquire_playwright, launch_chromium, release_playwright  # noqa: E402
from benchmarks.miniwob.episode import EpisodeResult  # noqa: E402
from benchmarks.miniwob.runner import DEFAULT_TASKS, VIEWPORTS, progress_printer, run_suite  # noqa: E402
from benchmarks.miniwob.serve import html_dir  # noqa: E402


def why(result: EpisodeResult) -> str:
    """An episode's failure in a few words: the solver's, the page's or the loop's."""
    if result.unsolvable:
        return result.unsolvable
    if result.done:
        return f"the page's reward {result.raw_reward:g}" + (f" ({result.reason})" if result.reason else "")
    return f"{result.status}: {result.message}"


def summarize(results: list[EpisodeResult], tasks: list[str], viewports: list[str]) -> dict:
    """Per task and viewport: successes over seeds, and why the others failed."""
    per_task: dict[str, dict] = {}
    for task in tasks:
        row: dict[str, dict] = {}
        for viewport in viewports:
            mine = [r for r in results if r.task == task and r.viewport == viewport]
            failures = sorted({why(r)[:160] for r in mine if not r.success})
            row[viewport] = {"passed": sum(r.success for r in mine), "episodes": len(mine),
                             "mean_reward": round(sum(r.reward for r in mine) / max(1, len(mine)), 3),
                             "median_steps": sorted(r.steps for r in mine)[len(mine) // 2] if mine else 0,
                             "failures": failures}
        per_task[task] = row
    latency: dict[str, dict] = {}
    for viewport in viewports:
        steps = [t for r in results if r.viewport == viewport for t in r.timings]
        latency[viewport] = {
            "observe": summarize_ms([t.observe for t in steps]),
            "act": summarize_ms([t.act for t in steps if t.act is not None]),
            "settle": summarize_ms([t.settle for t in steps if t.settle is not None]),
            "step_total": summarize_ms([t.total for t in steps if t.act is not None]),
            "episode_s": summarize_ms([r.seconds * 1000 for r in results if r.viewport == viewport]),
        }
    return {"tasks": per_task, "latency": latency}


def print_table(report: dict) -> None:
    device, viewports = report["device"], report["viewports"]
    print(f"MiniWoB++ {report['miniwob']} through the agent loop — {device['browser']} headless, {device['cpu']}, "
          f"{device['cpus']} CPUs, {report['date']}, {report['seeds']} seeds per task; baseline: "
          f"the scripted policy's target is 100% on every task solvable from the observation")
    print(f"{'task':28}" + "".join(f"{v + ' ' + 'x'.join(map(str, VIEWPORTS[v][1])):>22}" for v in viewports)
          + "  why it fails")
    totals = {v: [0, 0] for v in viewports}
    for task, row in report["tasks"].items():
        cells = ""
        for v in viewports:
            cell = row[v]
            totals[v][0] += cell["passed"]
            totals[v][1] += cell["episodes"]
            cells += f"{cell['passed']:>14}/{cell['episodes']:<3} {100 * cell['passed'] / max(1, cell['episodes']):>3.0f}%"
        why = next((f for v in viewports for f in row[v]["failures"]), "")
        print(f"{task:28}{cells}  {why[:90]}")
    print(f"{'all':28}" + "".join(f"{p:>14}/{n:<3} {100 * p / max(1, n):>3.0f}%" for p, n in totals.values()))
    print(f"\nper-step latency, median / p90 ms ({', '.join(viewports)}):")
    for phase in ("observe", "act", "settle", "step_total"):
        cells = "".join(f"{report['latency'][v][phase]['median_ms']:>12.1f} / {report['latency'][v][phase]['p90_ms']:<8.1f}"
                        for v in viewports)
        print(f"  {phase:14}{cells}")


def merge(old: dict, new: dict, results: list[EpisodeResult]) -> dict:
    """``old`` with the episodes of the tasks just run replaced by ``results``."""
    rerun = {(r.task, r.viewport) for r in results}
    kept = [EpisodeResult.model_validate(e) for e in old["episodes"] if (e["task"], e["viewport"]) not in rerun]
    episodes = kept + results
    tasks = list(dict.fromkeys([*old["tasks"], *new["tasks"]]))
    merged = {**old, **{k: new[k] for k in ("date", "device")}, **summarize(episodes, tasks, old["viewports"])}
    merged["latency"] = old["latency"]
    # Every task whose episodes are not the full run's, from earlier merges too.
    merged["rerun"] = sorted(set(old.get("rerun", [])) | {t for t, _ in rerun})
    merged["episodes"] = [r.model_dump(exclude={"timings"}) for r in episodes]
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(DEFAULT_TASKS),
                        help=f"comma-separated task names [default: the {len(DEFAULT_TASKS)} with a solver]")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 per task [default: 10]")
    parser.add_argument("--viewport", choices=("desktop", "phone", "both"), default="both")
    parser.add_argument("--merge", action="store_true",
                        help="replace only these tasks' episodes in the existing JSON (latency stays the full run's)")
    parser.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results" / "miniwob.json",
                        help="where the JSON goes [default: benchmarks/results/miniwob.json]")
    args = parser.parse_args(argv)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    viewports = ["desktop", "phone"] if args.viewport == "both" else [args.viewport]
    import importlib.metadata

    pw = acquire_playwright()
    browser = launch_chromium(pw)
    started = time.perf_counter()
    try:
        results = run_suite(browser, tasks, range(args.seeds), viewports,
                            progress_printer(len(tasks) * args.seeds * len(viewports)))
        version = browser.version
    finally:
        browser.close()
        release_playwright()
    report = {
        "benchmark": "miniwob",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "miniwob": importlib.metadata.version("miniwob"), "html": str(html_dir()),
        "device": {"browser": f"Chromium {version}", "headless": True, "cpu": cpu_model(), "cpus": os.cpu_count(),
                   "machine": platform.machine(), "python": sys.version.split()[0]},
        "viewports": viewports, "seeds": args.seeds, "wall_s": round(time.perf_counter() - started, 1),
        "success": "the page's raw reward (WOB_RAW_REWARD_GLOBAL) > 0 within its own time limit",
        **summarize(results, tasks, viewports),
        "episodes": [r.model_dump(exclude={"timings"}) for r in results],
    }
    if args.merge and args.json.exists():
        report = merge(json.loads(args.json.read_text(encoding="utf-8")), report, results)
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
