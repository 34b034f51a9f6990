"""Latency of the emulator: screenshot, hierarchy dump and tap, in-process.

    python benchmarks/bench_emulator.py [-n 50] [--json out.json]

Each path is a column (``PATHS``); a transport such as adb/uiautomator2 adds its own column by
registering a function that returns {operation: [seconds, ...]}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from emulator import Phone

Samples = dict[str, list[float]]


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def in_process(n: int) -> Samples:
    phone = Phone(seed=0)
    phone.launch("Shop")
    phone.screenshot()
    switch_phone = Phone(seed=0)
    switch_phone.launch("Settings")
    target = switch_phone.find(resource_id="bluetooth_switch").center

    def render_fresh() -> None:
        phone.invalidate()  # force a full rebuild and redraw, as after any input
        phone.screenshot()

    def dump_fresh() -> None:
        phone.invalidate()
        phone.hierarchy_xml()

    return {
        "screenshot (render)": _timed(render_fresh, n),
        "screenshot (cached)": _timed(phone.screenshot, n),
        "hierarchy dump": _timed(dump_fresh, n),
        "tap + new frame": _timed(lambda: (switch_phone.tap(*target), switch_phone.screenshot()), n),
        "tap": _timed(lambda: switch_phone.tap(*target), n),
    }


PATHS: dict[str, Callable[[int], Samples]] = {"in-process": in_process}


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 3), "p90_ms": round(p90 * 1000, 3),
            "n": len(ordered)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="repetitions per operation (default 50)")
    parser.add_argument("--json", default="benchmarks/results/emulator.json", help="where to write results")
    parser.add_argument("--paths", default=",".join(PATHS), help=f"columns to run: {', '.join(PATHS)}")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in [p.strip() for p in args.paths.split(",") if p.strip()]:
        if name not in PATHS:
            parser.error(f"unknown path {name!r}; choose from {', '.join(PATHS)}")
        results[name] = {op: summarize(s) for op, s in PATHS[name](args.n).items()}
    meta = {"device": cpu_model(), "cores": __import__("os").cpu_count(), "python": platform.python_version(),
            "date": dt.datetime.now().isoformat(timespec="seconds"), "n": args.n}
    columns = list(results)
    operations = list(dict.fromkeys(op for col in results.values() for op in col))
    print(f"emulator latency — {meta['device']} ({meta['cores']} cores), {meta['date']}, n={args.n}")
    header = f"{'operation':24}" + "".join(f"{c + ' median/p90 ms':>32}" for c in columns)
    print(header)
    print("-" * len(header))
    for op in operations:
        cells = []
        for c in columns:
            r = results[c].get(op)
            cells.append(f"{r['median_ms']:>14.2f} / {r['p90_ms']:<14.2f}" if r else f"{'—':>32}")
        print(f"{op:24}" + "".join(f"{cell:>32}" for cell in cells))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
