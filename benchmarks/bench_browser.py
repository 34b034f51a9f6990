"""Latency of the browser device: screenshot, DOM snapshot, observe and actions.

Runs headless Chromium against the demo site on loopback and prints JSON with the
median and 90th percentile in milliseconds, per viewport (desktop, phone).

    python benchmarks/bench_browser.py [--rounds 30] [--out results.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchtools import summarize_ms  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_runtime import (
    acquire_playwright,
    launch_chromium,
    release_playwright,
)
from autoagent.perception.dom import collect, find_node
from autoagent.perception.hierarchy import parse_hierarchy
from emulator.web import serve_demo_site


def _time(fn: Callable[[], object], rounds: int) -> dict[str, float]:
    fn()  # warm up
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return summarize_ms(samples)


def bench_viewport(browser: object, url: str, mobile: bool, rounds: int) -> dict[str, object]:
    results: dict[str, object] = {}
    with BrowserDevice.attach(browser, url + "/shop", mobile=mobile) as dev:  # type: ignore[arg-type]
        dev.wait_until_settled(5)
        results["screenshot"] = _time(dev.screenshot, rounds)
        results["snapshot_js"] = _time(lambda: collect(dev.page), rounds)
        results["hierarchy_xml"] = _time(dev.hierarchy, rounds)
        results["observe"] = _time(dev.observe, rounds)
        results["settle_idle"] = _time(lambda: dev.wait_until_settled(5), rounds)
        nodes = parse_hierarchy(dev.observe().hierarchy or "")
        results["nodes_in_dump"] = len(nodes)
        search = find_node(nodes, resource_id="search")
        assert search is not None
        x, y = search.center
        results["tap"] = _time(lambda: dev.tap(x, y), rounds)
        results["type_ascii_10"] = _time(lambda: dev.type_text("abcdefghij"), rounds)
        results["type_chinese_4"] = _time(lambda: dev.type_text("蓝牙耳机"), rounds)
        w, h = dev.screen_size()

        def swipe_and_back() -> None:
            dev.swipe(w // 2, int(h * 0.7), w // 2, int(h * 0.3))
            dev.swipe(w // 2, int(h * 0.3), w // 2, int(h * 0.7))

        results["swipe_pair"] = _time(swipe_and_back, max(5, rounds // 3))
        links = [n for n in nodes if n.text == "Hotels"]

        def navigate_and_settle() -> None:
            dev.goto(url + "/shop")
            dev.wait_until_settled(5)

        results["goto_and_settle"] = _time(navigate_and_settle, max(5, rounds // 3))

        def tap_link_and_settle() -> None:
            dev.tap(*links[0].center)
            dev.wait_until_settled(5)
            dev.back()
            dev.wait_until_settled(5)

        results["tap_link_back_settled"] = _time(tap_link_and_settle, max(5, rounds // 3))
        results["screen_size"] = list(dev.screen_size())
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/browser.json"),
                        help="where the JSON goes [default: benchmarks/results/browser.json]")
    args = parser.parse_args(argv)
    pw = acquire_playwright()
    started = time.perf_counter()
    browser = launch_chromium(pw)
    launch_ms = (time.perf_counter() - started) * 1000
    try:
        with serve_demo_site() as site:
            report = {
                "benchmark": "browser",
                "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "device": {"browser": f"Chromium {browser.version}", "headless": True,
                           "machine": platform.machine(), "system": platform.platform(),
                           "python": sys.version.split()[0], "cpus": __import__("os").cpu_count()},
                "rounds": args.rounds,
                "browser_launch_ms": round(launch_ms, 1),
                "desktop_1280x800": bench_viewport(browser, site.url, False, args.rounds),
                "phone_390x844_touch": bench_viewport(browser, site.url, True, args.rounds),
            }
    finally:
        browser.close()
        release_playwright()
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


def print_table(report: dict) -> None:
    desktop, phone = report["desktop_1280x800"], report["phone_390x844_touch"]
    device = report["device"]
    print(f"browser latency — {device['browser']} headless, {device['cpus']} CPUs, {report['date']}, "
          f"{report['rounds']} rounds, launch {report['browser_launch_ms']:.0f} ms")
    print(f"{'operation':28}{'desktop 1280x800 med/p90 ms':>30}{'phone 390x844 touch med/p90 ms':>34}")
    for name, row in desktop.items():
        if not isinstance(row, dict) or "median_ms" not in row:
            continue
        other = phone.get(name, {})
        print(f"{name:28}{row['median_ms']:>18.1f} / {row['p90_ms']:<9.1f}"
              f"{other.get('median_ms', float('nan')):>22.1f} / {other.get('p90_ms', float('nan')):<9.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
