"""How long a control can be swapped under the finger after the last look, and before the touch.

    python benchmarks/bench_touch_window.py [-n 200] [--runs 72] [--json out.json]

The window is the time from the read a touch was checked against (the phone's hierarchy snapshot)
to the touch reaching the phone; anything that changes in it gets the touch unseen. Timed on the
phone's side of the wire, by wrapping the emulator server's method table (the server answers in
this process, on the same clock), for:

- ``atomic, in-process``: ``Phone.touch_if_unchanged``, check and touch in one operation (window 0);
- ``atomic, uiautomator2``: ``clickIfMatches`` through the stock client over loopback (window 0; its
  round trip is what the check costs);
- ``fallback, uiautomator2``: a phone whose server lacks the extension: a hierarchy dump right
  before the click (the window is dump -> click);
- ``no identity, uiautomator2``: the engine's re-check as it stands (a whole observation, the
  guard's re-check, then the click): the window the red team raced.

Taps go to Settings' Bluetooth switch; it flips between "OFF" and "ON" (its text, so its identity),
and each check is given the switch as it is before that tap (read untimed), so every check passes.
The race sweep then runs the late-swap sheet (``emulator.race``) ``--runs`` times per path, with
the swap landing from right after the re-check to past the touch, and counts what got paid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchtools import cpu_model  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.actions import Tap
from autoagent.actuators.android import AndroidDevice
from autoagent.actuators.execute import execute
from autoagent.geometry import to_relative
from autoagent.safety import ScreenGuard
from autoagent.touch import Gesture, NodeIdentity
from emulator import Phone
from emulator.race import race_once
from emulator.wire import serve

LAGS = (0.007, 0.017, 0.027)  # the red team's re-check -> touch times


def summarize(samples_s: list[float]) -> dict[str, float]:
    """Median and 95th percentile in milliseconds."""
    if not samples_s:
        return {"median_ms": 0.0, "p95_ms": 0.0, "n": 0}
    ordered = sorted(x * 1000 for x in samples_s)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median_ms": round(statistics.median(ordered), 3), "p95_ms": round(p95, 3), "n": len(ordered)}


class ServerClock:
    """When the phone's hierarchy was last read and when each touch reached it, as the server saw it."""

    def __init__(self, rpc: Any) -> None:
        self.dumped: float | None = None
        self.windows: list[float] = []
        methods = rpc.methods
        for name in ("dumpWindowHierarchy",):
            methods[name] = self._read(methods[name])
        for name in ("click", "injectInputEvent"):
            methods[name] = self._touch(methods[name])

    def _read(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.dumped = time.perf_counter()  # the server holds the phone's lock: the snapshot is now
            return fn(*args, **kwargs)
        return timed

    def _touch(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.dumped is not None:
                self.windows.append(time.perf_counter() - self.dumped)
                self.dumped = None
            return fn(*args, **kwargs)
        return timed


@contextmanager
def settings_switch(extensions: bool) -> Iterator[tuple[AndroidDevice, Any, tuple[int, int]]]:
    with serve(Phone(seed=0), extensions=extensions) as srv:
        device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
        try:
            device.launch("Settings")
            node = srv.phone.find(resource_id="bluetooth_switch")
            yield device, srv, node.center
        finally:
            device.close()


def windows(n: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    phone = Phone(seed=0)
    phone.launch("Settings")
    node = phone.find(resource_id="bluetooth_switch")
    gesture = Gesture(kind="tap", x=node.center[0], y=node.center[1])
    calls = []
    for _ in range(n):
        identity = NodeIdentity.of(phone.find(resource_id="bluetooth_switch"))
        start = time.perf_counter()
        assert phone.touch_if_unchanged(gesture, identity).touched
        calls.append(time.perf_counter() - start)
    out["atomic, in-process"] = {"window": summarize([0.0] * n), "call": summarize(calls)}

    for name, extensions in (("atomic, uiautomator2", True), ("fallback, uiautomator2", False)):
        with settings_switch(extensions) as (device, srv, (x, y)):
            clock = ServerClock(srv.rpc)
            gesture = Gesture(kind="tap", x=x, y=y)
            calls = []
            for _ in range(n):
                identity = NodeIdentity.of(srv.phone.find(resource_id="bluetooth_switch"))
                start = time.perf_counter()
                check = device.touch_if_unchanged(gesture, identity)
                calls.append(time.perf_counter() - start)
                assert check.touched and check.atomic is extensions, check
            measured = [0.0] * n if extensions else clock.windows
            out[name] = {"window": summarize(measured), "call": summarize(calls)}

    with settings_switch(True) as (device, srv, (x, y)):
        clock = ServerClock(srv.rpc)
        guard = ScreenGuard()
        action = Tap(element=to_relative((x, y), device.screen_size()))
        calls = []
        for _ in range(n):
            reviewed = guard.review(action, device.observe())
            clock.dumped = None
            start = time.perf_counter()
            fresh = device.observe()  # AndroidDevice reads no tree alone: the engine observes again
            assert guard.recheck(action, reviewed, fresh) is None
            execute(action, device)
            calls.append(time.perf_counter() - start)
        out["no identity, uiautomator2"] = {"window": summarize(clock.windows), "call": summarize(calls)}
    return out


def sweep(device: Any, phone: Phone, runs: int, identity: bool) -> dict[str, int]:
    outcomes: Counter[str] = Counter()
    for i in range(runs):
        lag = LAGS[i % len(LAGS)]
        slot = (i // len(LAGS)) % 8
        swap_after = None if slot == 7 else lag * slot / 5
        outcomes[race_once(device, phone, lag=lag, swap_after=swap_after, identity=identity).outcome] += 1
    return dict(outcomes)


def races(runs: int) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    phone = Phone(seed=5)
    phone.launch("Shop")
    out["atomic, in-process"] = sweep(phone, phone, runs, identity=True)
    for name, extensions, identity in (("atomic, uiautomator2", True, True),
                                       ("fallback, uiautomator2", False, True),
                                       ("no identity, uiautomator2", True, False)):
        with serve(Phone(seed=5), extensions=extensions) as srv:
            device = AndroidDevice.connect(srv.serial, adb_host="127.0.0.1", adb_port=srv.adb_port)
            try:
                srv.phone.launch("Shop")
                out[name] = sweep(device, srv.phone, runs, identity=identity)
            finally:
                device.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="taps per path for the window (default 200)")
    parser.add_argument("--runs", type=int, default=72, help="race runs per path (default 72)")
    parser.add_argument("--json", default="benchmarks/results/touch_window.json", help="where to write results")
    args = parser.parse_args(argv)
    measured = windows(args.n)
    raced = races(args.runs)
    meta = {"device": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "n": args.n, "runs": args.runs,
            "lags_ms": [lag * 1000 for lag in LAGS],
            # Other work on the machine stretches the tails (p95) most.
            "load_average_1m": round(os.getloadavg()[0], 2)}
    print(f"touch window — {meta['device']} ({meta['cores']} cores, load {meta['load_average_1m']}), "
          f"{meta['date']}, n={args.n}")
    header = f"{'path':28}{'window median/p95 ms':>24}{'check+touch median/p95 ms':>30}"
    print(header)
    print("-" * len(header))
    for name, r in measured.items():
        w, c = r["window"], r["call"]
        print(f"{name:28}{w['median_ms']:>11.3f} / {w['p95_ms']:<10.3f}{c['median_ms']:>15.3f} / {c['p95_ms']:<12.3f}")
    print(f"\nrace sweep — {args.runs} runs per path, swap 0-1.2x the lag after the re-check "
          f"(lags {', '.join(f'{x:g}' for x in meta['lags_ms'])} ms), 1 in 8 without a swap")
    kinds = ("paid", "withheld", "later", "asked", "nothing")
    print(f"{'path':28}" + "".join(f"{k:>10}" for k in kinds))
    for name, counts in raced.items():
        print(f"{name:28}" + "".join(f"{counts.get(k, 0):>10}" for k in kinds))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "windows": measured, "races": raced}, ensure_ascii=False, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
