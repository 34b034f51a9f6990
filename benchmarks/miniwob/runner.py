"""Tasks x seeds x viewports, one shared Chromium, one page per task and viewport."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from autoagent.actuators.browser import DESKTOP_VIEWPORT, PHONE_VIEWPORT
from autoagent.device import DeviceError

from .episode import EpisodeResult, open_task, run_episode
from .serve import serve_miniwob
from .solvers import SOLVERS

# Variants of a listed task with another delay or difficulty: solved by the same solver.
VARIANTS = {"click-tab-2-easy", "click-tab-2-medium", "click-tab-2-hard", "click-collapsible-nodelay",
            "click-collapsible-2-nodelay", "use-autocomplete-nodelay"}
DEFAULT_TASKS = sorted(set(SOLVERS) - VARIANTS)

VIEWPORTS: dict[str, tuple[bool, tuple[int, int]]] = {
    "desktop": (False, DESKTOP_VIEWPORT),
    "phone": (True, PHONE_VIEWPORT),
}


def run_suite(browser: object, tasks: Iterable[str], seeds: Iterable[int], viewports: Iterable[str],
              on_episode: Callable[[EpisodeResult], None] | None = None,
              trace_root: Path | None = None) -> list[EpisodeResult]:
    """Every episode's result, in order: viewport, task, seed. With ``trace_root``, each
    episode's trace (screenshots included) is kept there."""
    results: list[EpisodeResult] = []
    tasks, seeds = list(tasks), list(seeds)
    unknown = [t for t in tasks if t not in SOLVERS]
    if unknown:
        raise ValueError(f"no solver for {unknown}")
    with serve_miniwob() as base_url:
        for viewport in viewports:
            mobile, _ = VIEWPORTS[viewport]
            for task in tasks:
                device = open_task(browser, base_url, task, mobile)
                try:
                    for seed in seeds:
                        try:
                            result = run_episode(device, task, seed, SOLVERS[task], viewport, trace_root=trace_root)
                        except DeviceError as err:
                            result = EpisodeResult(task=task, seed=seed, viewport=viewport, success=False, reward=0,
                                                   raw_reward=0, done=False, status="harness-error",
                                                   message=str(err), steps=0, seconds=0)
                        if not result.success:
                            # A failed episode may leave a list or dialog open: the next seed gets a fresh page.
                            device.close()
                            device = open_task(browser, base_url, task, mobile)
                        results.append(result)
                        if on_episode:
                            on_episode(result)
                finally:
                    device.close()
    return results


def progress_printer(total: int) -> Callable[[EpisodeResult], None]:
    """A one-line progress report, rewritten after each episode."""
    started = time.perf_counter()
    counts = {"done": 0, "ok": 0}

    def report(result: EpisodeResult) -> None:
        counts["done"] += 1
        counts["ok"] += result.success
        elapsed = time.perf_counter() - started
        left = elapsed / counts["done"] * (total - counts["done"])
        mark = "ok" if result.success else f"FAIL ({result.reason or result.unsolvable or result.message})"[:60]
        sys.stderr.write(f"\r[{counts['done']}/{total}] {counts['ok']} passed, {elapsed:.0f}s, ~{left:.0f}s left; "
                         f"{result.viewport} {result.task} seed {result.seed}: {mark}\033[K")
        if counts["done"] == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report
