"""What the agent loop costs besides the model, over a whole emulator task.

    python benchmarks/bench_loop.py [--task shop_buy_white_tshirt_m] [--runs 3] [--no-baseline]

The task is first played by the emulator's expert and recorded; then the recorded replies
are replayed (:class:`ReplayPolicy`) so every run takes the same path. Per step it reports
capture, trace save, encode (the served engine's resize + JPEG, done on each screenshot
although the replay needs none), guard, act and settle, median and p90, and the whole
task's time for: our loop; our loop writing the trace synchronously (the old behaviour);
and the same loop on a device that sleeps a fixed 1 s after each action instead of waiting
until the screen settles, as many agents do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autoagent.engine as engine_module  # noqa: E402
from benchtools import cpu_model, record_expert, summarize_ms  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.agent import Agent  # noqa: E402
from autoagent.policy.base import Decision, StepInput  # noqa: E402
from autoagent.policy.images import DEFAULT_MAX_PIXELS, encode_image, fit_image  # noqa: E402
from autoagent.policy.reply_replay import ReplayPolicy  # noqa: E402
from autoagent.safety import CallbackHuman  # noqa: E402
from autoagent.trace import TraceWriter, read_trace  # noqa: E402
from emulator import tasks  # noqa: E402

PARTS = ("capture", "save", "encode", "guard", "recheck", "act", "settle", "overhead")
ACTIONS = ("tap", "double_tap", "long_press", "swipe", "type_text", "back", "home", "launch")


class FixedSleepDevice:
    """The baseline: after every action sleep ``delay`` seconds; never look at the screen."""

    def __init__(self, inner: Any, delay: float = 1.0) -> None:
        self._inner, self._delay = inner, delay
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in ACTIONS:
            return attr

        @functools.wraps(attr)
        def then_sleep(*args: Any, **kwargs: Any) -> Any:
            out = attr(*args, **kwargs)
            time.sleep(self._delay)  # the fixed wait being measured against
            return out
        return then_sleep

    def wait_until_settled(self, timeout: float) -> bool:
        return True


@dataclass
class EncodingReplay:
    """Replays the recorded replies, and prepares each screenshot as the served engine does."""

    inner: ReplayPolicy
    # A model's thinking time: work the loop hands to background threads (the trace writer)
    # happens during it, as it does behind a real model.
    think_s: float = 0.0
    name: str = "replay+encode"

    def decide(self, step: StepInput) -> Decision:
        t = time.perf_counter()
        encode_image(fit_image(step.observation.screenshot, DEFAULT_MAX_PIXELS), "jpeg")
        encode = (time.perf_counter() - t) * 1000
        if self.think_s:
            time.sleep(self.think_s)  # stands in for the model, and is not counted as overhead
        decision = self.inner.decide(step)
        return Decision(raw=decision.raw, thought=decision.thought, action=decision.action,
                        timings={**decision.timings, "encode": encode})

    def close(self) -> None:
        pass


def run_once(task_id: str, recording: Path, root: Path, baseline: bool, sync_trace: bool,
             think_s: float = 0.0) -> dict[str, Any]:
    task = tasks.get(task_id)
    phone = task.make_phone()
    device = FixedSleepDevice(phone) if baseline else phone
    policy = EncodingReplay(ReplayPolicy.from_trace(recording), think_s=think_s)
    original = engine_module.TraceWriter
    if sync_trace:
        engine_module.TraceWriter = type("SyncTraceWriter", (TraceWriter,), {  # type: ignore[misc]
            "create": classmethod(lambda cls, r, m, **kw: TraceWriter.create.__func__(cls, r, m, background=False,
                                                                                       **kw))})
    try:
        started = time.perf_counter()
        result = Agent(device=device, policy=policy, human=CallbackHuman(on_confirm=lambda r: True),
                       trace_root=root, max_steps=60).run(task.goal)
        wall = time.perf_counter() - started
    finally:
        engine_module.TraceWriter = original
    if not result.ok or not task.is_successful(phone):
        raise SystemExit(f"the replay failed: {result.status} {result.message}")
    steps = read_trace(result.trace_dir).steps
    rows = []
    for s in steps:
        t = dict(s.timings)
        t["encode"] = t.get("model_encode", 0.0)
        model_only = t.get("model", 0.0) - t["encode"]
        t["overhead"] = t.get("total", 0.0) - model_only
        rows.append(t)
    return {"wall_s": wall, "steps": len(steps), "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="shop_buy_white_tshirt_m")
    parser.add_argument("--runs", type=int, default=3, help="runs of our loop (the baseline runs once)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the 1 s-sleep baseline")
    parser.add_argument("--think-ms", type=float, default=300.0,
                        help="a model's time per step for the 'ours, thinking model' column [default: 300]")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/loop.json"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        recording = record_expert(tasks.get(args.task), root / "recorded")
        variants = {"ours": [run_once(args.task, recording, root / "ours", False, False) for _ in range(args.runs)],
                    "ours, sync trace": [run_once(args.task, recording, root / "sync", False, True)
                                         for _ in range(args.runs)],
                    f"ours, {args.think_ms:g} ms model": [
                        run_once(args.task, recording, root / "think", False, False, args.think_ms / 1000)
                        for _ in range(args.runs)]}
        if not args.no_baseline:
            variants["1 s sleep baseline"] = [run_once(args.task, recording, root / "base", True, False)]

    meta = {"device": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "date": dt.datetime.now().isoformat(timespec="seconds"), "task": args.task, "runs": args.runs}
    results: dict[str, Any] = {}
    for name, runs in variants.items():
        rows = [r for run in runs for r in run["rows"]]
        results[name] = {
            "steps": runs[0]["steps"],
            "task_s_median": round(statistics.median(run["wall_s"] for run in runs), 3),
            "parts": {p: summarize_ms([r[p] for r in rows if p in r]) for p in PARTS},
        }
    print(f"agent loop overhead — {meta['device']} ({meta['cores']} cores), {meta['date']}")
    print(f"task {args.task}: {results['ours']['steps']} steps, replayed policy, emulator in-process")
    names = list(results)
    print(f"{'per step (ms)':16}" + "".join(f"{n + ' med/p90':>30}" for n in names))
    for p in PARTS:
        cells = [f"{results[n]['parts'][p]['median_ms']:.2f} / {results[n]['parts'][p]['p90_ms']:.2f}" for n in names]
        print(f"{p:16}" + "".join(f"{c:>30}" for c in cells))
    print(f"{'whole task (s)':16}" + "".join(f"{results[n]['task_s_median']:>30.2f}" for n in names))
    print("overhead = step total minus the model's own time (encode counted as overhead)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
