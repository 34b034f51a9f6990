"""bench_miniwob's --merge: a rerun replaces only its tasks' episodes, and the JSON goes on naming
every task whose episodes are not the full run's (earlier merges' included)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from benchmarks.miniwob.episode import EpisodeResult

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture()
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the script imports its sibling benchtools
    return importlib.import_module("bench_miniwob")


def episode(task: str, seed: int, success: bool) -> EpisodeResult:
    return EpisodeResult(task=task, seed=seed, viewport="phone", success=success, reward=1.0 if success else -1.0,
                         raw_reward=1.0 if success else -1.0, done=True, status="success", steps=2, seconds=1.0)


def test_a_merge_replaces_its_tasks_and_keeps_earlier_reruns(bench: ModuleType) -> None:
    full = [episode("a", s, True) for s in range(2)] + [episode("b", s, s == 0) for s in range(2)]
    old = {"date": "then", "device": {}, "viewports": ["phone"], "rerun": ["a"],
           **bench.summarize(full, ["a", "b"], ["phone"]),
           "episodes": [e.model_dump(exclude={"timings"}) for e in full]}
    rerun = [episode("b", s, True) for s in range(2)]
    new = {"date": "now", "device": {"cpu": "x"}, **bench.summarize(rerun, ["b"], ["phone"])}
    merged = bench.merge(old, new, rerun)
    assert merged["tasks"]["b"]["phone"]["passed"] == 2
    assert merged["tasks"]["a"]["phone"]["passed"] == 2
    assert merged["rerun"] == ["a", "b"]
    assert merged["date"] == "now" and merged["latency"] == old["latency"]  # the full run's
    assert len(merged["episodes"]) == 4
