"""Demonstrations: the expert solves seeded tasks on the emulator; every step becomes a row.

Each row holds what the model will be shown at that step (screenshot, hierarchy, goal,
earlier turns) and the reply it should give, in AutoGLM's exact format::

    {"id": "gen-train-hotel-7/0003", "task_id": ..., "seed": 7, "split": "train", "family": "hotel",
     "lang": "zh", "template": 1, "heldout_template": false, "goal": "...", "step": 3,
     "app": "com.autoagent.travel", "screenshot": "screens/gen-train-hotel-7/0003.png",
     "xml": "screens/gen-train-hotel-7/0003.xml", "hierarchy": "<compact text>",
     "history": [{"thought": "...", "answer": "do(...)", "feedback": ""}, ...],
     "target": "<think>...</think><answer>do(...)</answer>"}

Runs go through the real agent loop (guard included; the human approves), so the expert
pays exactly as a model would have to. Output is deterministic: same seeds, same bytes.

    python -m autoagent.training.demos --out data/demos --train 500 --eval 50
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autoagent.agent import Agent
from autoagent.perception.hierarchy import parse_hierarchy, render_compact
from autoagent.policy.base import Turn
from autoagent.policy.prompts import assistant_text
from autoagent.safety.human import CallbackHuman
from autoagent.trace import read_trace
from autoagent.training.taskgen import TaskCase, cases
from emulator.expert import ExpertPolicy

SPLIT_FILES = {"train": "train.jsonl", "eval": "heldout.jsonl"}


class ManualClock:
    """The phone's clock: it moves only when the phone sleeps, so loads end instantly and
    the same seed always yields the same frames."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, total: int, label: str, enabled: bool = True, width: int = 30) -> None:
        self.total, self.label, self.enabled, self.width = max(1, total), label, enabled, width
        self.done = 0

    def update(self, note: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {note}")
        if self.done >= self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


@dataclass
class Episode:
    task_id: str
    family: str
    seed: int
    ok: bool
    steps: int
    status: str
    payments: int


@dataclass
class CollectSummary:
    split: str
    rows: int = 0
    episodes: list[Episode] = field(default_factory=list)

    @property
    def success_rate(self) -> float:
        return sum(e.ok for e in self.episodes) / len(self.episodes) if self.episodes else 0.0

    def as_json(self) -> dict:
        return {"split": self.split, "rows": self.rows, "episodes": len(self.episodes),
                "success_rate": round(self.success_rate, 4),
                "failed": [e.task_id for e in self.episodes if not e.ok]}


def approving_human() -> CallbackHuman:
    return CallbackHuman(on_confirm=lambda request: True)


def run_expert(case: TaskCase, trace_root: Path, max_steps: int = 60):
    """One expert episode through the agent loop; returns (result, phone)."""
    clock = ManualClock()
    phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
    agent = Agent(device=phone, policy=ExpertPolicy(phone, case.task, case.spec), human=approving_human(),
                  max_steps=max_steps, trace_root=trace_root)
    return agent.run(case.goal), phone


def episode_rows(case: TaskCase, trace_dir: Path, out: Path) -> list[dict]:
    """Turn one finished trace into rows, moving its screens under ``out/screens/<task id>/``."""
    trace = read_trace(trace_dir)
    screens = out / "screens" / case.task.id
    if screens.exists():
        shutil.rmtree(screens)
    screens.mkdir(parents=True)
    rows: list[dict] = []
    history: list[Turn] = []
    for record in trace.steps:
        if not record.screenshot or not record.hierarchy:
            raise RuntimeError(f"step {record.step} of {trace_dir} has no screen saved")
        shot = screens / f"{record.step:04d}.png"
        xml = screens / f"{record.step:04d}.xml"
        shutil.move(str(trace_dir / record.screenshot), shot)
        shutil.move(str(trace_dir / record.hierarchy), xml)
        hierarchy = xml.read_text(encoding="utf-8")
        size = tuple(record.screen_size or (0, 0))
        turn = Turn(thought=record.thought, answer=record.answer)
        rows.append({
            "id": f"{case.task.id}/{record.step:04d}", "task_id": case.task.id, "seed": case.task.seed,
            "split": case.split, "family": case.family, "lang": case.lang, "template": case.template,
            "heldout_template": case.heldout_template, "goal": case.goal, "step": record.step, "app": record.app,
            "screenshot": shot.relative_to(out).as_posix(), "xml": xml.relative_to(out).as_posix(),
            "hierarchy": render_compact(parse_hierarchy(hierarchy), size),  # type: ignore[arg-type]
            "history": [{"thought": t.thought, "answer": t.answer, "feedback": t.feedback} for t in history],
            "target": assistant_text(turn),
        })
        history.append(turn)
    return rows


def collect(out: str | Path, split: str, count: int, start: int | None = None, progress: bool = True,
            max_steps: int = 60) -> CollectSummary:
    """Run the expert on ``count`` cases of ``split``; write ``out/<split file>`` and screens.

    Episodes the expert does not finish are left out (and listed in the summary)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = CollectSummary(split=split)
    bar = Progress(count, f"demos:{split}", enabled=progress)
    with tempfile.TemporaryDirectory(prefix="autoagent-demos-") as tmp, \
            open(out / SPLIT_FILES[split], "w", encoding="utf-8") as jsonl, \
            open(out / f"{split}_episodes.jsonl", "w", encoding="utf-8") as log:
        for case in cases(split, count, start):
            result, phone = run_expert(case, Path(tmp), max_steps)
            ok = result.ok and case.task.check(phone)
            episode = Episode(case.task.id, case.family, case.task.seed, ok, result.steps, result.status.value,
                              len(phone.payments))
            summary.episodes.append(episode)
            log.write(json.dumps(episode.__dict__, ensure_ascii=False) + "\n")
            if ok and result.trace_dir is not None:
                for row in episode_rows(case, result.trace_dir, out):
                    jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
                    summary.rows += 1
            if result.trace_dir is not None:
                shutil.rmtree(result.trace_dir, ignore_errors=True)
            bar.update(f"ok={sum(e.ok for e in summary.episodes)}")
    return summary


def read_rows(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no demonstrations at {path}: run python -m autoagent.training.demos first")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoagent.training.demos",
                                     description="Collect expert demonstrations on the emulator.")
    parser.add_argument("--out", required=True, help="folder for train.jsonl, heldout.jsonl and screens/")
    parser.add_argument("--train", type=int, default=200, help="training episodes (seeds 0..N-1)")
    parser.add_argument("--eval", type=int, default=20, help="held-out episodes (evaluation seeds and templates)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.train < 0 or args.eval < 0:
        parser.error("--train and --eval must be 0 or more")
    report = {}
    for split, count in (("train", args.train), ("eval", args.eval)):
        if count:
            report[split] = collect(args.out, split, count, progress=not args.quiet).as_json()
    (Path(args.out) / "manifest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
