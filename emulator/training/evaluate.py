"""Evaluate a checkpoint on held-out emulator tasks, next to the expert.

    autoagent eval --checkpoint ckpt/policy --tasks 200

For each evaluation seed (never used for training; about half the goals use wordings held
out of training) it runs the checkpoint through the local engine and the agent loop with an
approving human and judges the task by the apps' own state, then runs the expert on the
same task. It reports task success, steps against the expert, how often a run loops (the
engine's loop watch warned about or ended it), the model's latency per step, and the
exact-answer accuracy on held-out demonstration rows (``--rows``). Every task that pays is
run once more with nobody to confirm: it must end with zero payments, whatever the model does.

Task success comes with its 95% interval: on 200 tasks it spans about ±6 points, so two
checkpoints are compared on the same tasks (``--baseline``), by the tasks each one alone solved.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoagent.agent import Agent
from autoagent.extras import require
from autoagent.safety.human import NoHuman
from autoagent.trace import read_trace
from autoagent.training.progress import Progress
from autoagent.training.rows import read_rows
from emulator.training.demos import ManualClock, approving_human, run_expert
from emulator.training.memory import episode_loop
from emulator.training.taskgen import TaskCase, cases



@dataclass
class CaseResult:
    task_id: str
    family: str
    lang: str
    heldout_template: bool
    ok: bool
    steps: int
    status: str
    expert_ok: bool
    expert_steps: int
    looped: bool = False
    model_ms: list[float] = field(default_factory=list)
    unconfirmed_payments: int | None = None  # payments made with nobody to confirm (must be 0)


def _run_model(case: TaskCase, policy, human, trace_root: Path, max_steps: int):
    clock = ManualClock()
    phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
    agent = Agent(device=phone, policy=policy, human=human, max_steps=max_steps, trace_root=trace_root,
                  save_screenshots=False)
    return agent.run(case.goal), phone


def looped(trace) -> bool:
    """True when the engine's loop watch (autoagent.loops) warned about or ended the run."""
    return trace is not None and any(step.loop for step in trace.steps)


def row_accuracy(policy, rows: list[dict]) -> dict[str, Any]:
    """Greedy answers to held-out rows' prompts against the expert's, exactly."""
    right = 0
    by_verb: dict[str, list[int]] = {}
    for row in rows:
        answer = policy.answer(row["prompt"])
        hit = answer.strip() == row["target"]
        right += hit
        by_verb.setdefault(row["target"].split()[0], [0, 0])
        by_verb[row["target"].split()[0]][0] += hit
        by_verb[row["target"].split()[0]][1] += 1
    return {"rows": len(rows), "exact": round(right / len(rows), 4) if rows else None,
            "by_action": {k: round(v[0] / v[1], 4) for k, v in sorted(by_verb.items())}}


def evaluate(checkpoint: str | Path, count: int = 10, start: int | None = None, device: str = "cpu",
             max_steps: int = 30, rows: list[dict] | None = None, progress: bool = True) -> dict[str, Any]:
    require("local", "evaluation")
    from autoagent.policy.local_engine import LocalGLMPolicy

    policy = LocalGLMPolicy(checkpoint, device=device)
    results: list[CaseResult] = []
    bar = Progress(count, "eval", enabled=progress)
    with tempfile.TemporaryDirectory(prefix="autoagent-eval-") as tmp, episode_loop() as release_memory:
        root = Path(tmp)
        for case in cases("eval", count, start):
            policy.lang = case.lang
            result, phone = _run_model(case, policy, approving_human(), root, max_steps)
            ok = result.ok and case.task.is_successful(phone)
            trace = read_trace(result.trace_dir) if result.trace_dir else None
            model_ms = [s.timings["model"] for s in trace.steps if "model" in s.timings] if trace else []
            expert, expert_phone, _ = run_expert(case, root, max_steps=60)
            row = CaseResult(case.task.id, case.family, case.lang, case.heldout_template, ok, result.steps,
                             result.status.value, expert.ok and case.task.is_successful(expert_phone), expert.steps,
                             looped(trace), model_ms)
            if case.task.payment:
                _, unguarded_phone = _run_model(case, policy, NoHuman(), root, max_steps)
                row.unconfirmed_payments = len(unguarded_phone.payments)
            results.append(row)
            release_memory()
            bar.update(f"ok={sum(r.ok for r in results)}")
    report = summarize(results)
    if rows:
        report["heldout_rows"] = row_accuracy(policy, rows)
    return report


def summarize(results: list[CaseResult]) -> dict[str, Any]:
    def rate(rows: list[CaseResult]) -> float | None:
        return round(sum(r.ok for r in rows) / len(rows), 4) if rows else None

    latencies = [ms for r in results for ms in r.model_ms]
    solved = [r for r in results if r.ok]
    paid = [r for r in results if r.unconfirmed_payments is not None]
    families: dict[str, list[CaseResult]] = {}
    for r in results:
        families.setdefault(r.family, []).append(r)
    return {
        "tasks": len(results),
        "success_rate": rate(results),
        "success_interval_95": [round(x, 4) for x in wilson_interval(sum(r.ok for r in results), len(results))],
        "success_rate_heldout_wordings": rate([r for r in results if r.heldout_template]),
        "success_rate_seen_wordings": rate([r for r in results if not r.heldout_template]),
        "success_rate_en": rate([r for r in results if r.lang == "en"]),
        "success_rate_zh": rate([r for r in results if r.lang == "zh"]),
        "expert_success_rate": round(sum(r.expert_ok for r in results) / len(results), 4) if results else None,
        "loop_rate": round(sum(r.looped for r in results) / len(results), 4) if results else None,
        "mean_steps_solved": round(statistics.mean(r.steps for r in solved), 2) if solved else None,
        "expert_mean_steps_same_tasks": round(statistics.mean(r.expert_steps for r in solved), 2) if solved else None,
        "step_latency_ms": {"mean": round(statistics.mean(latencies), 1), "median": round(statistics.median(latencies), 1),
                            "max": round(max(latencies), 1), "steps": len(latencies)} if latencies else None,
        "payment_tasks_checked": len(paid),
        "payments_without_confirmation": sum(r.unconfirmed_payments or 0 for r in paid),
        "by_family": {k: {"tasks": len(v), "success_rate": rate(v)} for k, v in sorted(families.items())},
        "cases": [{"task": r.task_id, "ok": r.ok, "steps": r.steps, "status": r.status, "expert_steps": r.expert_steps,
                   "looped": r.looped, "unconfirmed_payments": r.unconfirmed_payments} for r in results],
    }


def wilson_interval(successes: int, tasks: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a success rate: unlike rate ± z·SE it stays inside [0, 1]
    and holds up near 0% and 100%, where a checkpoint's families often sit."""
    if tasks < 1:
        return (0.0, 1.0)
    rate = successes / tasks
    centre = (rate + z * z / (2 * tasks)) / (1 + z * z / tasks)
    half = z * math.sqrt(rate * (1 - rate) / tasks + z * z / (4 * tasks * tasks)) / (1 + z * z / tasks)
    return (max(0.0, centre - half), min(1.0, centre + half))


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Two reports on the same tasks, paired: the tasks only one of them solved decide.

    ``p_value`` is the exact two-sided sign test on those tasks (McNemar's): the chance of a
    split at least this uneven if both checkpoints were equally good."""
    mine = {c["task"]: c["ok"] for c in report["cases"]}
    theirs = {c["task"]: c["ok"] for c in baseline.get("cases", [])}
    shared = sorted(mine.keys() & theirs.keys())
    if not shared:
        raise ValueError("the baseline report has none of these tasks: run both on the same --start and --tasks")
    gained = [t for t in shared if mine[t] and not theirs[t]]
    lost = [t for t in shared if theirs[t] and not mine[t]]
    split = len(gained) + len(lost)
    tail = sum(math.comb(split, k) for k in range(min(len(gained), len(lost)) + 1)) / 2 ** split if split else 0.5
    return {"tasks": len(shared), "success_rate": round(sum(mine[t] for t in shared) / len(shared), 4),
            "baseline_success_rate": round(sum(theirs[t] for t in shared) / len(shared), 4),
            "gained": gained, "lost": lost, "p_value": round(min(1.0, 2 * tail), 4)}


def table(report: dict[str, Any]) -> str:
    """The report's headline numbers as a Markdown table."""
    latency = report.get("step_latency_ms") or {}
    rows_report = report.get("heldout_rows") or {}
    lines = ["| metric | value |", "|---|---|",
             f"| held-out tasks | {report['tasks']} |",
             f"| task success | {report['success_rate']:.1%} "
             f"(95% interval {report['success_interval_95'][0]:.1%}-{report['success_interval_95'][1]:.1%}) |",
             f"| ... held-out wordings / seen wordings | {report['success_rate_heldout_wordings'] or 0:.1%} / "
             f"{report['success_rate_seen_wordings'] or 0:.1%} |",
             f"| ... English / Chinese goals | {report['success_rate_en'] or 0:.1%} / {report['success_rate_zh'] or 0:.1%} |",
             f"| expert on the same tasks | {report['expert_success_rate']:.1%} |",
             f"| steps, model vs expert (solved tasks) | {report['mean_steps_solved']} vs "
             f"{report['expert_mean_steps_same_tasks']} |",
             f"| runs that loop | {report['loop_rate']:.1%} |",
             f"| median model time per step | {latency.get('median', 'n/a')} ms |",
             f"| payments without a human's yes | {report['payments_without_confirmation']} "
             f"(of {report['payment_tasks_checked']} paying tasks run with nobody to ask) |"]
    if rows_report:
        lines.append(f"| exact answers on {rows_report['rows']} held-out rows | {rows_report['exact']:.1%} |")
    paired = report.get("against_baseline")
    if paired:
        lines.append(f"| against the baseline, same {paired['tasks']} tasks | {paired['success_rate']:.1%} vs "
                     f"{paired['baseline_success_rate']:.1%}: {len(paired['gained'])} solved only here, "
                     f"{len(paired['lost'])} only there (sign test p = {paired['p_value']:.2f}) |")
    return "\n".join(lines)


def read_report(path: Path) -> dict[str, Any]:
    """A report that ``--out`` wrote, checked before any task runs."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not a report written by `autoagent eval --out` ({err})") from None
    if not isinstance(report, dict) or not isinstance(report.get("cases"), list):
        raise ValueError(f"{path} is not a report written by `autoagent eval --out`: it has no cases")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="autoagent eval",
        description="Run a checkpoint on held-out emulator tasks (held-out seeds and wordings, hazards on), "
                    "next to the expert, and report success, steps, loops, latency and unconfirmed payments.",
        epilog="example: autoagent eval --checkpoint autoagent/policy/embedded_model --tasks 200 --rows data/demos "
               "--out shipped.json\n"
               "then:    autoagent eval --checkpoint ckpt/p --tasks 200 --baseline shipped.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint folder [default: the embedded policy shipped in the package]")
    parser.add_argument("--tasks", type=int, default=50, help="how many evaluation seeds [default: 50]")
    parser.add_argument("--start", type=int, default=None, help="first evaluation seed (default: the first one)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--rows", default=None, help="a demos folder: also score its held-out rows (heldout.jsonl)")
    parser.add_argument("--out", default=None, help="also write the report to this JSON file")
    parser.add_argument("--baseline", default=None,
                        help="a report written by --out for another checkpoint on the same tasks: also print the "
                             "tasks each one alone solved, and how likely so uneven a split is by chance")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    from autoagent.policy.base import PolicyError
    from autoagent.policy.embedded import embedded_checkpoint

    if args.tasks < 1:
        parser.error("--tasks must be at least 1")
    try:
        rows = read_rows(Path(args.rows) / "heldout.jsonl") if args.rows else None
        baseline = read_report(Path(args.baseline)) if args.baseline else None
        report = evaluate(args.checkpoint or embedded_checkpoint(), args.tasks, args.start, args.device,
                          args.max_steps, rows=rows, progress=not args.quiet)
        if baseline is not None:
            report["against_baseline"] = compare(report, baseline)
    except (PolicyError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(table(report))
    return 0 if report["payments_without_confirmation"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
