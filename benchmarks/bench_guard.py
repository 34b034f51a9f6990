"""What the safety guard costs per step, next to what a screenshot costs.

Walks the emulator through real screens (shop search, product, checkout, payment sheet,
travel, restaurant, settings, messages), then for each screen times:

* ``screenshot``       phone.screenshot() of a screen painted from scratch, what a step to a new screen pays;
* ``screenshot_cached`` phone.screenshot() of an unchanged frame (a copy);
* ``guard``            ScreenGuard.review() of a tap on a fresh Observation (hierarchy parsed each time);
* ``guard_cold``       the same with the keyword caches emptied first (a never-seen screen);
* ``guard_enter``      review of Type("...\\n") (Enter scans the whole form);
* ``ocr``              (with --ocr) the no-hierarchy path: tesseract on the screenshot.

Prints a table and writes JSON (``--json PATH``, default: benchmarks/results/guard.json).

    python benchmarks/bench_guard.py --rounds 30
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchtools import cpu_model  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.actions import Tap, Type
from autoagent.geometry import to_relative
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.perception.observation import Observation
from autoagent.safety import (
    GuardPolicy,
    ScreenGuard,
    keywords,
)
from emulator import Phone
from emulator.render import clear_cache


def collect_screens(seed: int = 5) -> list[tuple[str, Phone, Observation]]:
    """Real screens, each with the phone left on it (for timing its screenshot)."""
    screens: list[tuple[str, Phone, Observation]] = []

    def keep(name: str, phone: Phone) -> None:
        screens.append((name, phone, phone.observe()))

    shop = Phone(seed=seed)
    shop.launch("Shop")
    keep("shop_home", shop)
    shop.tap_on(resource_id="search_box")
    keep("shop_search_keyboard", shop)
    shop.type_text("耳机\n")
    keep("shop_results", shop)
    shop.tap_on(text="Wireless Earbuds 无线耳机")
    keep("shop_product", shop)
    shop.tap_on(resource_id="colour_Black")
    shop.tap_on(resource_id="buy_now_button")
    for rid, text in (("address_name", "Li Na 李娜"), ("address_phone", "13800001111"),
                      ("address_line", "上海市浦东新区 1 Century Ave")):
        shop.tap_on(resource_id=rid)
        shop.type_text(text)
    shop.back()
    keep("shop_checkout", shop)
    shop.tap_on(resource_id="place_order_button")
    keep("shop_payment_sheet", shop)
    # A phone per screen from here, so each keeps its frame.
    for app in ("Travel", "Restaurant", "Settings", "Messages", "Contacts"):
        phone = Phone(seed=seed)
        phone.launch(app)
        keep(app.lower(), phone)
    return screens


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 3), "p90_ms": round(p90, 3),
            "mean_ms": round(statistics.fmean(ordered), 3), "n": len(ordered)}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="taps timed per screen and round trips (default 30)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--ocr", action="store_true", help="also time the OCR path (tesseract)")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/guard.json"),
                        help="where the JSON goes [default: benchmarks/results/guard.json]")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    screens = collect_screens(args.seed)
    rng = random.Random(args.seed)
    guard = ScreenGuard()
    samples: dict[str, list[float]] = {k: [] for k in ("screenshot", "screenshot_cached", "guard", "guard_cold",
                                                        "guard_enter", "parse_only")}
    per_screen: dict[str, dict[str, float]] = {}
    for name, phone, obs in screens:
        nodes = parse_hierarchy(obs.hierarchy or "")
        targets = [n.center for n in nodes if n.clickable] or [(540, 1200)]
        mine: list[float] = []
        for _ in range(args.rounds):
            x, y = rng.choice(targets)
            tap = Tap(element=to_relative((x, y), obs.size))
            # A fresh Observation per step, as the agent makes: the guard parses it again.
            fresh = Observation(screenshot=obs.screenshot, hierarchy=obs.hierarchy, app=obs.app)
            ms = timed(lambda tap=tap, fresh=fresh: guard.review(tap, fresh))
            samples["guard"].append(ms)
            mine.append(ms)
            keywords._classify.cache_clear()
            keywords._prepared.cache_clear()
            fresh = Observation(screenshot=obs.screenshot, hierarchy=obs.hierarchy, app=obs.app)
            samples["guard_cold"].append(timed(lambda tap=tap, fresh=fresh: guard.review(tap, fresh)))
            fresh = Observation(screenshot=obs.screenshot, hierarchy=obs.hierarchy, app=obs.app)
            samples["guard_enter"].append(timed(lambda fresh=fresh: guard.review(Type(text="ok\n"), fresh)))
            samples["parse_only"].append(timed(lambda obs=obs: parse_hierarchy(obs.hierarchy or "")))
        shots: list[float] = []
        for _ in range(max(3, args.rounds // 3)):
            phone.invalidate()
            clear_cache()  # a step's screen is new: paint it from scratch, as after a navigation
            shots.append(timed(phone.screenshot))
            samples["screenshot_cached"].append(timed(phone.screenshot))
        samples["screenshot"] += shots
        per_screen[name] = {"nodes": len(nodes), "guard_median_ms": round(statistics.median(mine), 3),
                            "screenshot_median_ms": round(statistics.median(shots), 3)}

    if args.ocr:
        blind = ScreenGuard(GuardPolicy(ocr=True))
        sheet = next(obs for name, _, obs in screens if name == "shop_payment_sheet")
        pay = next(n for n in parse_hierarchy(sheet.hierarchy or "") if n.resource_id.endswith("pay_button"))
        tap = Tap(element=to_relative(pay.center, sheet.size))
        samples["ocr"] = []
        for _ in range(3):
            no_xml = Observation(screenshot=sheet.screenshot, hierarchy=None, app="com.example.unknown")
            samples["ocr"].append(timed(lambda no_xml=no_xml: blind.review(tap, no_xml)))
        verdict = blind.review(tap, Observation(screenshot=sheet.screenshot, hierarchy=None, app="com.example.unknown"))
        print(f"OCR path on the payment sheet's Pay button: {verdict.verdict.value} ({verdict.reason[:90]})")

    results = {name: quantiles(values) for name, values in samples.items() if values}
    shot, guard_ms = results["screenshot"]["median_ms"], results["guard"]["median_ms"]
    report = {
        "benchmark": "guard_vs_screenshot",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "device": {"target": "emulator (in-process, 1080x2400)", "host": platform.node(),
                   "cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
                   "platform": platform.platform()},
        "rounds": args.rounds,
        "screens": len(screens),
        "results": results,
        "guard_share_of_screenshot": round(guard_ms / shot, 4) if shot else None,
        "per_screen": per_screen,
    }
    print(f"guard vs screenshot — {report['date']} — {report['device']['cpu']} ({report['device']['cores']} cores), "
          f"Python {report['device']['python']}, {len(screens)} emulator screens x {args.rounds} rounds")
    print(f"{'measure':<20}{'median ms':>12}{'p90 ms':>12}{'mean ms':>12}{'n':>8}")
    for name, q in results.items():
        print(f"{name:<20}{q['median_ms']:>12.3f}{q['p90_ms']:>12.3f}{q['mean_ms']:>12.3f}{q['n']:>8}")
    print(f"guard / screenshot (medians): {report['guard_share_of_screenshot']:.1%}")
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
        print(f"JSON written to {args.json}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
