"""What the network guard adds per request: a page's fetches and a page load, with and without it.

Runs headless Chromium against the demo site on loopback. Every request of a guarded context
is paused at the browser target, makes a round trip to this process (the request gate, see
autoagent/actuators/browser_gate.py) and is classified here; the numbers say what that costs.
Prints JSON (medians and 90th percentiles in milliseconds).

    python benchmarks/bench_network_guard.py [--rounds 200] [--out results.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time

from benchtools import summarize_ms  # noqa: E402 (a sibling module: the scripts run from this folder)
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_runtime import acquire_playwright, launch_chromium, release_playwright
from autoagent.safety.human import NoHuman
from autoagent.safety.network import NetworkGuard
from emulator.web import serve_demo_site

# Each fetch timed in the page itself, one after another: a GET (passes unremarked) and a
# harmless JSON POST (classified, then passed).
FETCHES_JS = """
async ([n, method]) => {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const init = method === 'POST' ? {method: 'POST', headers: {'Content-Type': 'application/json'},
                                      body: JSON.stringify({q: 'vacuum flask ' + i, page: 1})} : {};
    const r = await fetch(method === 'POST' ? '/net/api/search' : '/net/api/poll', init);
    await r.text();
    out.push(performance.now() - t);
  }
  return out;
}
"""


def measure(browser: object, url: str, rounds: int, guarded: bool) -> dict[str, object]:
    with BrowserDevice.attach(browser, url + "/shop", mobile=True) as dev:  # type: ignore[arg-type]
        dev.wait_until_settled(5)
        guard = NetworkGuard(human=NoHuman())
        if guarded:
            dev.guard_requests(guard.judge)
        results: dict[str, object] = {}
        for method in ("GET", "POST"):
            dev.page.evaluate(FETCHES_JS, [5, method])  # warm up
            results[f"fetch_{method}"] = summarize_ms(dev.page.evaluate(FETCHES_JS, [rounds, method]))
        loads = []
        for _ in range(max(5, rounds // 10)):
            started = time.perf_counter()
            dev.page.goto(url + "/shop", wait_until="load")
            loads.append((time.perf_counter() - started) * 1000)
        results["page_load_shop"] = summarize_ms(loads)
        if guarded:
            judged = guard.passed + len(guard.events)
            results["requests_judged"] = judged
            results["classify_ms_per_request"] = round(guard.judging_ms / max(1, judged), 4)
            results["held"] = len(guard.events)
        return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--out", help="write the JSON here too")
    args = parser.parse_args()
    pw = acquire_playwright()
    browser = launch_chromium(pw)
    try:
        with serve_demo_site() as site:
            report = {
                "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "python": sys.version.split()[0], "machine": platform.machine(), "rounds": args.rounds,
                "unguarded": measure(browser, site.url, args.rounds, guarded=False),
                "guarded": measure(browser, site.url, args.rounds, guarded=True),
            }
    finally:
        browser.close()
        release_playwright()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
