"""Demonstrations: the expert solves seeded tasks on the emulator; every step becomes a row.

Each row is one prompt of the embedded policy's compact format (see
:mod:`autoagent.policy.compact`) and the answer the expert's action maps to::

    {"id": "gen-train-hotel-7/0003#1", "task_id": ..., "seed": 7, "split": "train",
     "family": "hotel", "lang": "zh", "template": 1, "heldout_template": false,
     "goal": "...", "step": 3, "source": "expert", "prompt": "goal: 帮我 ...", "target": "tap [12]"}

Runs go through the real agent loop (guard included; the human approves), so the expert
pays exactly as a model would have to. Training episodes are also written out under other
wordings of the same goal (``--phrasings``): the screens are the same, the goal's words move.
Only hierarchies are kept, no screenshots: a row costs a few hundred bytes. Output is
deterministic: same seeds, same bytes. Ctrl-C stops after the episode in flight; what was
written stays.

    autoagent demos --out data/demos --train 2000 --eval 200
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autoagent.actions import Action
from autoagent.agent import Agent, Result, Status
from autoagent.extras import require
from autoagent.grammar import UnparseableReply
from autoagent.policy.base import Decision, StepInput
from autoagent.policy.compact import FORMAT, Screen, build_prompt, encode_action, summarize, upgrade_row
from autoagent.safety.human import CallbackHuman
from autoagent.training.progress import Progress
from autoagent.training.rows import DAGGER_FILE, SPLIT_FILES
from emulator.expert import ExpertPolicy
from emulator.phone import Phone
from emulator.training.taskgen import TaskCase, cases, rephrasings
from emulator.training.memory import episode_loop

class ManualClock:
    """The phone's clock: it moves only when the phone sleeps, so loads end instantly and
    the same seed always yields the same frames."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@dataclass(frozen=True)
class SeenStep:
    """What the policy was shown at one step and what the expert did there."""

    step: int
    hierarchy: str | None
    size: tuple[int, int]
    app: str | None
    action: Action


@dataclass
class RecordingPolicy:
    """Wraps a policy and keeps every step it was asked about (the teacher's label)."""

    inner: ExpertPolicy
    seen: list[SeenStep] = field(default_factory=list)
    name: str = "expert"

    def decide(self, step: StepInput) -> Decision:
        decision = self.inner.decide(step)
        obs = step.observation
        self.seen.append(SeenStep(step.step, obs.hierarchy, obs.size, obs.app, decision.action))
        return decision

    def close(self) -> None:
        self.inner.close()


@dataclass
class Episode:
    task_id: str
    family: str
    seed: int
    ok: bool
    steps: int
    status: str
    payments: int
    unencodable: int = 0  # steps the compact format cannot express (the episode is left out)


@dataclass
class CollectSummary:
    split: str
    rows: int = 0
    episodes: list[Episode] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def success_rate(self) -> float:
        return sum(e.ok for e in self.episodes) / len(self.episodes) if self.episodes else 0.0

    def as_json(self) -> dict:
        return {"split": self.split, "rows": self.rows, "episodes": len(self.episodes),
                "success_rate": round(self.success_rate, 4), "seconds": round(self.seconds, 1),
                "failed": [e.task_id for e in self.episodes if not e.ok],
                "unencodable": [e.task_id for e in self.episodes if e.unencodable]}


def approving_human() -> CallbackHuman:
    return CallbackHuman(on_confirm=lambda request: True)


def run_expert(case: TaskCase, trace_root: Path, max_steps: int = 60) -> tuple[Result, Phone, list[SeenStep]]:
    """One expert episode through the agent loop; returns (result, phone, the steps it saw)."""
    clock = ManualClock()
    phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
    recorder = RecordingPolicy(ExpertPolicy(phone, case.task, case.spec))
    agent = Agent(device=phone, policy=recorder, human=approving_human(), max_steps=max_steps, trace_root=trace_root,
                  save_screenshots=False)
    result = agent.run(case.goal)
    if result.trace_dir is not None:
        shutil.rmtree(result.trace_dir, ignore_errors=True)
    return result, phone, recorder.seen


def demo_row(case: TaskCase, goal: str, step: int, variant: str, source: str, prompt: str, target: str) -> dict:
    """One training row: the prompt of a step and the answer the expert's action maps to."""
    return {"id": f"{case.task.id}/{step:04d}#{variant}", "task_id": case.task.id, "seed": case.task.seed,
            "split": case.split, "family": case.family, "lang": case.lang, "template": case.template,
            "heldout_template": case.heldout_template, "goal": goal, "step": step, "source": source,
            "prompt": prompt, "target": target}


def rows_for_goal(case: TaskCase, goal: str, seen: list[SeenStep], variant: int,
                  layout: str = FORMAT) -> list[dict] | None:
    """The rows of one episode under ``goal`` (prompts in ``layout``); None if a step has no compact answer."""
    rows: list[dict] = []
    done: list[str] = []
    for item in seen:
        screen = Screen.read(goal, item.hierarchy, item.size, layout)
        answer = encode_action(item.action, screen)
        if answer is None:
            return None
        rows.append(demo_row(case, goal, item.step, str(variant), "expert",
                             build_prompt(screen, item.app, item.step, done), answer))
        done.append(summarize(answer, screen))
    return rows


def _literal_types(rows: list[dict]) -> int:
    return sum(row["target"].startswith('type "') for row in rows)


def episode_rows(case: TaskCase, seen: list[SeenStep], phrasings: int) -> list[dict] | None:
    """Rows under the case's own goal, then under up to ``phrasings`` other wordings whose
    typed values can still be copied from the goal."""
    base = rows_for_goal(case, case.goal, seen, 0)
    if base is None:
        return None
    rows = list(base)
    for k, goal in enumerate(rephrasings(case, phrasings) if phrasings else [], 1):
        extra = rows_for_goal(case, goal, seen, k)
        if extra is not None and _literal_types(extra) <= _literal_types(base):
            rows.extend(extra)
    return rows


def collect(out: str | Path, split: str, count: int, start: int | None = None, progress: bool = True,
            max_steps: int = 60, phrasings: int = 0, workers: int = 1) -> CollectSummary:
    """Run the expert on ``count`` cases of ``split``; write ``out/<split file>``.

    Episodes the expert does not finish, or that the compact format cannot express, are
    left out (and listed in the summary). ``workers`` processes share the seeds, each a
    contiguous run of them, and their files are joined in seed order: the same bytes as one
    process writes. Ctrl-C ends the collection after the episodes in flight; what was written
    stays, and the summary says how far it got."""
    todo = cases(split, count, start)  # a seed outside the split fails here, before any file is truncated
    return _collect(Path(out), split, todo, workers, max_steps, phrasings, progress)


def _collect(out: Path, split: str, todo: list[TaskCase], workers: int, max_steps: int, phrasings: int,
             progress: bool, learner: Learner | None = None) -> CollectSummary:
    """``todo`` run by the expert (or, ``learner`` given, by the learner with the expert labelling)
    in ``workers`` processes, with a progress bar; the rows and the episodes log written as
    :func:`_files` names them."""
    out.mkdir(parents=True, exist_ok=True)
    summary = CollectSummary(split="dagger" if learner else split)
    bar = Progress(len(todo), "dagger" if learner else f"demos:{split}", enabled=progress)
    started = time.monotonic()

    def record(episode: Episode, rows: int) -> None:
        summary.episodes.append(episode)
        summary.rows += rows
        bar.update(f"ok={sum(e.ok for e in summary.episodes)} rows={summary.rows}")

    workers = max(1, min(workers, len(todo)))
    try:
        if workers == 1:
            rows_file, log_file = _files(split, learner)
            with open(out / rows_file, _mode(learner), encoding="utf-8") as jsonl, \
                    open(out / log_file, _mode(learner), encoding="utf-8") as log:
                _run(todo, jsonl, log, max_steps, phrasings, learner, record)
        else:
            _collect_in_processes(out, split, [case.task.seed for case in todo], workers, max_steps, phrasings,
                                  record, learner)
    except KeyboardInterrupt:
        sys.stderr.write(f"\ninterrupted: kept {summary.rows} rows from {len(summary.episodes)} episodes\n")
        raise
    summary.episodes.sort(key=lambda e: e.seed)
    summary.seconds = time.monotonic() - started
    return summary


def _run(todo: list[TaskCase], jsonl, log, max_steps: int, phrasings: int, learner: Learner | None,
         record: Callable[[Episode, int], None], stop: Callable[[], bool] = lambda: False) -> None:
    if learner:
        run_corrections(todo, jsonl, log, learner, max_steps, record, stop)
    else:
        run_cases(todo, jsonl, log, max_steps, phrasings, record, stop)


def run_cases(todo: list[TaskCase], jsonl, log, max_steps: int, phrasings: int,
              record: Callable[[Episode, int], None], stop: Callable[[], bool] = lambda: False) -> None:
    """The expert on each case in turn: its rows to ``jsonl``, its outcome to ``log``, then ``record``;
    before each case, ``stop`` may end the run."""
    with tempfile.TemporaryDirectory(prefix="autoagent-demos-") as tmp, episode_loop() as release_memory:
        for case in todo:
            if stop():
                raise KeyboardInterrupt
            result, phone, seen = run_expert(case, Path(tmp), max_steps)
            if result.status is Status.INTERRUPTED:
                raise KeyboardInterrupt
            ok = result.ok and case.task.is_successful(phone)
            episode = Episode(case.task.id, case.family, case.task.seed, ok, result.steps, result.status.value,
                              len(phone.payments))
            written = 0
            if ok:
                rows = episode_rows(case, seen, phrasings if case.split == "train" else 0)
                if rows is None:
                    episode.unencodable = 1
                else:
                    for row in rows:
                        jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
                    written = len(rows)
            log.write(json.dumps(episode.__dict__, ensure_ascii=False) + "\n")
            release_memory()
            record(episode, written)


def _part(out: Path, name: str, worker: int) -> Path:
    return out / f".{name}.part{worker}"


@dataclass(frozen=True)
class Learner:
    """DAgger: the checkpoint that drives, and how often the expert's move is played instead."""

    checkpoint: str
    beta: float


def _collect_in_processes(out: Path, split: str, seeds: list[int], workers: int, max_steps: int, phrasings: int,
                          record: Callable[[Episode, int], None], learner: Learner | None = None) -> None:
    """Share ``seeds`` among ``workers`` processes, each writing part files; join them in order
    (corrections, ``learner`` given, are added to the rows of earlier rounds)."""
    import multiprocessing

    # spawn, not fork: a forked copy of a process with threads (a loaded model, a bar) can hang
    context = multiprocessing.get_context("spawn")
    reports, stop = context.Queue(), context.Event()
    size = -(-len(seeds) // workers)
    shares = [seeds[i:i + size] for i in range(0, len(seeds), size)]
    processes = [context.Process(target=_collect_share, daemon=True,
                                 args=(out, split, share[0], len(share), k, max_steps, phrasings, reports, stop,
                                       learner))
                 for k, share in enumerate(shares)]
    for process in processes:
        process.start()
    running, failure, interrupted = len(processes), None, False
    try:
        while running:
            try:
                kind, payload = reports.get(timeout=1.0)
            except queue.Empty:
                if not any(process.is_alive() for process in processes):
                    failure = failure or "a collecting process ended without a word (out of memory?)"
                    break
                continue
            if kind == "episode":
                record(Episode(**payload[0]), payload[1])
            elif kind == "done":
                running -= 1
            elif kind == "error":
                failure, running = payload, running - 1
                stop.set()  # the other workers stop too: their rows would not be the run asked for
            elif kind == "interrupted":
                interrupted, running = True, running - 1
    except KeyboardInterrupt:
        interrupted = True
    stop.set()  # after an interrupt or a failure, each worker stops after its episode in flight
    # A process does not exit before the queue has taken everything it put, so the reports sent while the parent
    # was stopping are read while the workers end: joining first can wait forever on a full pipe.
    while True:
        try:
            kind, payload = reports.get(timeout=0.2)
        except queue.Empty:
            if not any(process.is_alive() for process in processes):
                break
            continue
        if kind == "episode":
            record(Episode(**payload[0]), payload[1])
    for process in processes:
        process.join()
    for name in _files(split, learner):
        with open(out / name, _mode(learner), encoding="utf-8") as whole:
            for k in range(len(shares)):
                part = _part(out, name, k)
                if part.is_file():
                    with open(part, encoding="utf-8") as piece:
                        shutil.copyfileobj(piece, whole)
                    part.unlink()
    if failure:
        raise RuntimeError(f"collecting demonstrations failed in a worker process:\n{failure}")
    if interrupted:
        raise KeyboardInterrupt


def _files(split: str, learner: Learner | None) -> tuple[str, str]:
    """The rows file and the episodes log a collection writes."""
    return (DAGGER_FILE, episodes_file("dagger")) if learner else (SPLIT_FILES[split], episodes_file(split))


def _mode(learner: Learner | None) -> str:
    """How a collection opens its files: corrections add to earlier rounds', demonstrations replace."""
    return "a" if learner else "w"


def _collect_share(out: Path, split: str, first: int, count: int, worker: int, max_steps: int, phrasings: int,
                   reports, stop, learner: Learner | None = None) -> None:
    """One worker process: seeds ``first..first+count-1``, into its part files, until ``stop`` is set."""
    import signal
    import traceback

    # Ctrl-C reaches every process of the terminal's group; the parent alone answers it, by
    # setting ``stop``, so that no episode is cut in half.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        rows_file, log_file = _files(split, learner)
        with open(_part(out, rows_file, worker), "w", encoding="utf-8") as jsonl, \
                open(_part(out, log_file, worker), "w", encoding="utf-8") as log:
            _run(cases(split, count, first), jsonl, log, max_steps, phrasings, learner,
                 lambda episode, rows: reports.put(("episode", (episode.__dict__, rows))), stop.is_set)
    except KeyboardInterrupt:
        reports.put(("interrupted", None))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        reports.put(("error", traceback.format_exc()))
    else:
        reports.put(("done", None))


@dataclass
class CorrectedPolicy:
    """DAgger: the learner drives, the expert labels every state the learner reaches.

    With probability ``beta`` (or when the learner's reply names nothing) the expert's move is
    the one played, so runs get past a first mistake and the states after it are labelled
    too. The history the learner sees is the compact summary of what was actually played,
    as at inference."""

    learner: Any
    expert: ExpertPolicy
    case: TaskCase
    beta: float
    rng: random.Random
    rows: list[dict] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    name: str = "dagger"

    def decide(self, step: StepInput) -> Decision:
        label = self.expert.decide(step)
        obs = step.observation
        screen = Screen.read(self.case.goal, obs.hierarchy, obs.size)
        try:
            mine: Decision | None = self.learner.decide(step)
        except UnparseableReply:
            mine = None
        target = encode_action(label.action, screen)
        if target is not None:
            self.rows.append(demo_row(self.case, self.case.goal, step.step, "dagger", "dagger",
                                      build_prompt(screen, obs.app, step.step, self.done), target))
        played = label if mine is None or self.rng.random() < self.beta else mine
        answer = encode_action(played.action, screen)
        summary = summarize(answer, screen) if answer is not None else ""
        if summary:
            self.done.append(summary)
        return Decision(raw=played.raw, thought=summary, action=played.action, timings=played.timings)

    def close(self) -> None:
        pass


def collect_corrections(out: str | Path, checkpoint: str | Path, count: int, start: int, beta: float = 0.3,
                        progress: bool = True, max_steps: int = 30, workers: int = 1) -> CollectSummary:
    """Run the learner in ``checkpoint`` on training seeds ``start..start+count-1`` with the
    expert labelling each state; add the rows to ``out/dagger.jsonl`` (training reads it with
    train.jsonl) and each episode to ``out/dagger_episodes.jsonl``. Rounds accumulate: DAgger
    trains each new learner on every earlier round's corrections as well as its own.
    ``workers`` processes share the seeds, each with its own copy of the learner (a small
    model steps on one thread), and their rows are added in seed order."""
    require("local", "DAgger corrections")
    todo = cases("train", count, start)
    return _collect(Path(out), "train", todo, workers, max_steps, 0, progress, Learner(str(checkpoint), beta))


def run_corrections(todo: list[TaskCase], jsonl, log, learner: Learner, max_steps: int,
                    record: Callable[[Episode, int], None], stop: Callable[[], bool] = lambda: False) -> None:
    """The learner on each case in turn, the expert labelling: the rows to ``jsonl``, the outcome
    to ``log``, then ``record``; before each case, ``stop`` may end the run."""
    from autoagent.policy.local_engine import LocalGLMPolicy

    model = LocalGLMPolicy(learner.checkpoint, device="cpu")
    with tempfile.TemporaryDirectory(prefix="autoagent-dagger-") as tmp, episode_loop() as release_memory:
        for case in todo:
            if stop():
                raise KeyboardInterrupt
            clock = ManualClock()
            phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
            policy = CorrectedPolicy(model, ExpertPolicy(phone, case.task, case.spec), case, learner.beta,
                                     random.Random(f"dagger:{case.task.id}"))
            result = Agent(device=phone, policy=policy, human=approving_human(), max_steps=max_steps,
                           trace_root=Path(tmp), save_screenshots=False).run(case.goal)
            if result.status is Status.INTERRUPTED:
                raise KeyboardInterrupt
            ok = result.ok and case.task.is_successful(phone)
            episode = Episode(case.task.id, case.family, case.task.seed, ok, result.steps, result.status.value,
                              len(phone.payments))
            for row in policy.rows:
                jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
            log.write(json.dumps(episode.__dict__, ensure_ascii=False) + "\n")
            if result.trace_dir is not None:
                shutil.rmtree(result.trace_dir, ignore_errors=True)
            release_memory()
            record(episode, len(policy.rows))


def episodes_file(split: str) -> str:
    """The file that logs each episode of a split (task, outcome, steps)."""
    return f"{split}_episodes.jsonl"


def remark(source: str | Path, out: str | Path) -> dict[str, int]:
    """Copy the rows of ``source`` (demonstrations and corrections of an earlier layout) into
    ``out`` in this layout (match marks, words line, span answers: :func:`upgrade_row`), instead
    of collecting them again: the corrections came from states an older learner reached, which
    no run can reproduce. Returns rows per file."""
    source, out = Path(source), Path(out)
    if source.resolve() == out.resolve():
        raise ValueError("--remark writes a new folder: give an --out other than the source")
    files = [name for name in (*SPLIT_FILES.values(), DAGGER_FILE, *map(episodes_file, SPLIT_FILES))
             if (source / name).is_file()]
    if SPLIT_FILES["train"] not in files:
        raise FileNotFoundError(f"no demonstrations at {source / SPLIT_FILES['train']}")
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in files:
        lines = (source / name).read_text(encoding="utf-8").splitlines()
        with (out / name).open("w", encoding="utf-8") as sink:
            for line in lines:
                row = json.loads(line)
                if "prompt" in row:
                    row["prompt"], row["target"] = upgrade_row(row["prompt"], row["target"])
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
        counts[name] = len(lines)
    return counts


MAX_WORKERS = 8  # each process holds its own phone and renderer caches (a few hundred MB)


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="autoagent demos",
        description="Collect expert demonstrations on the emulator as training rows for the embedded policy.",
        epilog="example: autoagent demos --out data/demos --train 2000 --eval 200 --phrasings 2")
    parser.add_argument("--out", required=True, help="folder for train.jsonl, heldout.jsonl and manifest.json")
    parser.add_argument("--train", type=int, default=200,
                        help="training episodes (seeds --start..--start+N-1) [default: 200]")
    parser.add_argument("--eval", type=int, default=20,
                        help="held-out episodes (evaluation seeds and wordings) [default: 20]")
    parser.add_argument("--phrasings", type=int, default=2,
                        help="extra wordings per training episode [default: 2]")
    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="processes that share the episodes; the rows are the same bytes with any number "
                             f"[default: this machine's cores, at most {MAX_WORKERS}: {default_workers()}]")
    parser.add_argument("--corrections", metavar="CHECKPOINT",
                        help="instead: let this checkpoint drive --train episodes from seed --start while the "
                             "expert labels every state it reaches (DAgger); adds the rows to dagger.jsonl in --out, "
                             "so a second round with a newer checkpoint keeps the first round's")
    parser.add_argument("--start", type=int, default=None,
                        help="first training seed (demonstrations: default 0; --corrections: required)")
    parser.add_argument("--beta", type=float, default=0.3,
                        help="--corrections: chance that the expert's move is played instead [default: 0.3]")
    parser.add_argument("--remark", metavar="FOLDER",
                        help="instead: copy FOLDER's rows (an earlier prompt layout's) into --out in this "
                             "layout: match marks, goal words and the span answers that point into them (a stored "
                             "prompt keeps no rows, so v9's one-symbol buttons stay without theirs: collect again)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.remark:
        try:
            counts = remark(args.remark, args.out)
        except (OSError, ValueError) as err:
            parser.error(str(err))
        report = {"format": FORMAT, "remarked_from": str(args.remark), "rows": counts}
        (Path(args.out) / "manifest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False),
                                                      encoding="utf-8")
        print(json.dumps(report, ensure_ascii=False))
        return 0
    if args.train < 0 or args.eval < 0 or args.phrasings < 0:
        parser.error("--train, --eval and --phrasings must be 0 or more")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.corrections:
        if args.start is None:
            parser.error("--corrections needs --start, the first seed (use seeds the demonstrations did not)")
        try:
            result = collect_corrections(args.out, args.corrections, args.train, args.start, args.beta,
                                         progress=not args.quiet, workers=args.workers).as_json()
        except KeyboardInterrupt:
            return 130
        print(json.dumps(result, ensure_ascii=False))
        return 0
    report: dict = {"format": FORMAT}
    try:
        for split, count in (("train", args.train), ("eval", args.eval)):
            if count:
                report[split] = collect(args.out, split, count, start=args.start if split == "train" else None,
                                        progress=not args.quiet, phrasings=args.phrasings,
                                        workers=args.workers).as_json()
    except KeyboardInterrupt:
        return 130
    except ValueError as err:  # a seed outside the training range
        parser.error(str(err))
    (Path(args.out) / "manifest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
