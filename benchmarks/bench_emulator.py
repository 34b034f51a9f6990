"""Latency of the emulator: screenshot, hierarchy dump and tap, in-process.

    python benchmarks/bench_emulator.py [-n 50] [--json out.json]

Each path is a column (``PATHS``); a transport such as adb/uiautomator2 adds its own column by
registering a function that returns {operation: [seconds, ...]}. The uiautomator2 columns run the
stock client against the wire server over loopback sockets (PNG, and JPEG as real phones send).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

from benchtools import cpu_model, summarize_ms  # noqa: E402 (a sibling module: the scripts run from this folder)
from emulator import Phone
from emulator.render import clear_cache

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

    def render_cold() -> None:
        clear_cache()  # no earlier frame to repaint from: every pixel is painted
        phone.invalidate()
        phone.screenshot()

    # A shop on a results list, with a clock the benchmark moves so loading screens finish at once.
    now = [0.0]
    shop = Phone(seed=0, clock=lambda: now[0])
    shop.launch("Shop")
    shop.tap_on(resource_id="search_box")
    shop.type_text("shirt\n")
    now[0] += 60
    shop.screenshot()
    listing = shop.find(resource_id="results_list")
    assert listing is not None
    lx, ly = listing.center
    flip = [False]

    def navigate() -> None:
        # Results -> product page, then back: each sample is one whole new screen.
        flip[0] = not flip[0]
        if flip[0]:
            shop.tap_on(resource_id="product_name")
        else:
            shop.back()
        now[0] += 60
        shop.screenshot()

    def scroll() -> None:
        flip[0] = not flip[0]
        dy = 400 if flip[0] else -400
        shop.swipe(lx, ly + dy, lx, ly - dy)
        now[0] += 60
        shop.screenshot()

    samples = {
        "screenshot (render)": _timed(render_fresh, n),
        "screenshot (cold render)": _timed(render_cold, n),
        "screenshot (cached)": _timed(phone.screenshot, n),
        "hierarchy dump": _timed(dump_fresh, n),
        "tap + new frame": _timed(lambda: (switch_phone.tap(*target), switch_phone.screenshot()), n),
        "tap": _timed(lambda: switch_phone.tap(*target), n),
    }
    samples["shop: open product/back + frame"] = _timed(navigate, n)
    if flip[0]:
        shop.back()
    flip[0] = False
    samples["shop: scroll results + frame"] = _timed(scroll, n)
    return samples


def over_uiautomator2(n: int, screenshot_format: str = "png") -> Samples:
    """The same operations through the stock uiautomator2 client and the wire server (loopback)."""
    import adbutils
    import uiautomator2 as u2

    from autoagent.actuators.android import AndroidDevice
    from emulator.wire import serve

    with serve(Phone(seed=0), screenshot_format=screenshot_format) as srv, \
            serve(Phone(seed=0), screenshot_format=screenshot_format) as switch_srv:
        phone = srv.phone
        d = u2.connect(adbutils.AdbClient(host="127.0.0.1", port=srv.adb_port).device(srv.serial))
        d.app_start("com.autoagent.shop")
        switch = AndroidDevice.connect(switch_srv.serial, adb_host="127.0.0.1", adb_port=switch_srv.adb_port)
        switch.launch("Settings")
        target = switch_srv.phone.find(resource_id="bluetooth_switch").center

        def shot() -> None:
            d.screenshot().load()  # decoding is part of what a client pays

        def render_fresh() -> None:
            # Re-rendered but pixel-identical: the server's encoding cache still applies.
            phone.invalidate()
            shot()

        def dump_fresh() -> None:
            phone.invalidate()
            d.dump_hierarchy()

        try:
            return {
                "screenshot (render)": _timed(render_fresh, n),
                "screenshot (cached)": _timed(shot, n),
                "hierarchy dump": _timed(dump_fresh, n),
                # The switch flips on every tap, so each frame is new and is encoded afresh.
                "tap + new frame": _timed(lambda: (switch.tap(*target), switch.u2.screenshot().load()), n),
                "tap": _timed(lambda: switch.tap(*target), n),
                "observe (AndroidDevice)": _timed(switch.observe, n),
            }
        finally:
            switch.close()
            d.stop_uiautomator(wait=False)


PATHS: dict[str, Callable[[int], Samples]] = {
    "in-process": in_process,
    "uiautomator2": over_uiautomator2,
    "uiautomator2-jpeg": lambda n: over_uiautomator2(n, "jpeg"),
}


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
        results[name] = {op: summarize_ms([x * 1000 for x in s], 3) for op, s in PATHS[name](args.n).items()}
    meta = {"device": cpu_model(), "cores": __import__("os").cpu_count(), "python": platform.python_version(),
            "date": dt.datetime.now().isoformat(timespec="seconds"), "n": args.n}
    columns = list(results)
    operations = list(dict.fromkeys(op for col in results.values() for op in col))
    print(f"emulator latency — {meta['device']} ({meta['cores']} cores), {meta['date']}, n={args.n}")
    pad = max([24] + [len(op) + 2 for op in operations])
    header = f"{'operation':{pad}}" + "".join(f"{c + ' median/p90 ms':>32}" for c in columns)
    print(header)
    print("-" * len(header))
    for op in operations:
        cells = []
        for c in columns:
            r = results[c].get(op)
            cells.append(f"{r['median_ms']:>14.2f} / {r['p90_ms']:<14.2f}" if r else f"{'—':>32}")
        print(f"{op:{pad}}" + "".join(f"{cell:>32}" for cell in cells))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, ensure_ascii=False, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
