"""One agent step on a dense page (2,000 controls on screen), per phase, in real Chromium.

    python benchmarks/bench_browser_dense.py [--steps 10]

Run it with PYTHONPATH set to another checkout to compare trees. Prints the median ms per
phase over the steps (each step taps one of the page's buttons through the whole engine).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.parse
from pathlib import Path

from autoagent.actions import Tap
from autoagent.actuators.browser import BrowserDevice
from autoagent.agent import Agent
from autoagent.geometry import to_relative
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.trace import read_trace

DENSE = ("<!doctype html><meta name=viewport content='width=device-width'><style>body{margin:0}"
         "button{position:absolute;width:24px;height:14px;font-size:8px;padding:0;border:0}</style>"
         "<p id=out style='position:fixed;bottom:0;right:0'></p>"
         + "".join(f"<button style='left:{(i % 50) * 25}px;top:{(i // 50) * 15}px' "
                   f"onclick=\"document.getElementById('out').textContent='{i}'\">{i}</button>" for i in range(2000)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    url = "data:text/html," + urllib.parse.quote(DENSE)
    with BrowserDevice.start(url, viewport=(1280, 800)) as dev:
        dev.wait_until_settled(5)
        obs = dev.observe()
        buttons = [n for n in obs.tree.nodes if n.clickable][:args.steps]
        taps = [Tap(element=to_relative(n.center, obs.size)) for n in buttons]
        with tempfile.TemporaryDirectory() as root:
            started = time.perf_counter()
            result = Agent(dev, ScriptedPolicy.of(taps), trace_root=Path(root), max_steps=args.steps + 1,
                           save_screenshots=False).run("tap the buttons")
            wall = time.perf_counter() - started
            steps = [s for s in read_trace(result.trace_dir).steps if s.action is not None and s.action.kind == "Tap"]
    print(f"dense page: {sum(1 for n in obs.tree.nodes if n.clickable)} clickable nodes, {len(steps)} taps, "
          f"{wall / max(1, len(steps)) * 1000:.0f} ms per step (wall)")
    for phase in ("capture", "guard", "recheck", "act", "settle", "total"):
        values = [s.timings[phase] for s in steps if phase in s.timings]
        if values:
            print(f"  {phase:8s} median {statistics.median(values):7.1f} ms")


if __name__ == "__main__":
    main()
