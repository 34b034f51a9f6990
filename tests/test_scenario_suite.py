"""The shipped suite through pytest (2 xdist workers), JUnit XML, the HTML report in Chromium,
selection (-k, --shard), and how failures and bad files are reported."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autoagent.actuators.browser_runtime import acquire_playwright, launch_chromium, release_playwright
from autoagent.scenarios.loader import discover

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "scenarios"
# The QA suite: the top-level files. scenarios/everyday/ measures the embedded policy (below).
SUITE_FILES = sorted(SUITE.glob("*.scenario.yaml"))
EVERYDAY = SUITE / "everyday"


def _run(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    report = tmp_path_factory.mktemp("report")
    run = _run("-m", "autoagent.scenarios", "test", *map(str, SUITE_FILES), "-n", "2", "--report", str(report), "-q")
    return run, report


def test_shipped_suite_passes_in_parallel_with_junit(suite_run) -> None:
    run, report = suite_run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    suite = ET.parse(report / "junit.xml").getroot()
    cases = suite.findall(".//testcase")
    expected = {f.name.split(".scenario.")[0] for f in discover(SUITE_FILES)}
    assert {c.get("name") for c in cases} == expected and len(expected) >= 8
    assert not suite.findall(".//failure") and not suite.findall(".//error")
    workers = {p.get("value") for p in suite.iter("property") if p.get("name") == "worker"}
    assert workers == {"gw0", "gw1"}  # both workers ran scenarios, each with its own devices


def test_html_report_opens_in_chromium_with_one_entry_per_scenario(suite_run) -> None:
    run, report = suite_run
    index = report / "index.html"
    assert index.is_file(), run.stdout[-2000:]
    n = len(discover(SUITE_FILES))
    pw = acquire_playwright()
    browser = launch_chromium(pw)
    try:
        page = browser.new_page()
        page.goto(index.as_uri())
        rows = page.locator("tr.scenario")
        assert rows.count() == n
        assert page.locator("tr.scenario.passed").count() == n
        assert f"{n}/{n} passed" in page.locator("h1").inner_text()
        page.locator("tr.scenario[data-id='shop_buy_tshirt'] a").click()
        page.wait_for_load_state()
        assert page.url.endswith("shop_buy_tshirt.html")
        assert "passed" in page.locator(".scenario-result h2").inner_text()
        assert page.locator(".step").count() >= 15  # one block per agent step, with its screenshot
        assert page.locator(".step img").count() >= 15 and page.locator(".step svg circle").count() >= 5
        page.locator("text=all scenarios").click()
        page.wait_for_load_state()
        assert page.url.endswith("index.html")
    finally:
        browser.close()
        release_playwright()


def test_k_and_shard_select(tmp_path: Path) -> None:
    def collected(*extra: str) -> set[str]:
        run = _run("-m", "pytest", *map(str, SUITE_FILES), "--collect-only", "-q", "-p", "no:cacheprovider", *extra)
        assert run.returncode == 0, run.stdout + run.stderr
        return {line.split("::")[-1] for line in run.stdout.splitlines() if "::" in line}

    everything = {f.name.split(".scenario.")[0] for f in discover(SUITE_FILES)}
    # An id, or a tag ("browser" is a tag of both web scenarios).
    assert collected("-k", "travel_book or browser") == {"travel_book_shanghai", "web_shop_checkout",
                                                          "web_hotel_search"}
    shards = [collected("--shard", f"{i}/2") for i in (1, 2)]
    assert shards[0] | shards[1] == everything and not shards[0] & shards[1] and all(shards)


def test_failures_and_bad_files_are_reported_clearly(tmp_path: Path) -> None:
    (tmp_path / "ok.scenario.yaml").write_text(
        "target: {emulator: {seed: 0}}\nsteps:\n  - launch: Settings\n  - tap: {id: wifi_switch}\n"
        "expect:\n  - state: {app: settings, of: wifi, where: {}, count: 1}\n  - element: {id: wifi_switch, text: 'OFF'}\n",
        encoding="utf-8")
    (tmp_path / "wrong.scenario.yaml").write_text(
        "target: {emulator: {seed: 0}}\nsteps:\n  - launch: Settings\n  - tap: No such button\n", encoding="utf-8")
    (tmp_path / "expects_more.scenario.yaml").write_text(
        "target: {emulator: {seed: 0, app: Shop}}\nsteps: [back]\nexpect:\n"
        "  - state: {app: shop, of: orders}\n  - screen_has: Payment successful\n", encoding="utf-8")
    (tmp_path / "broken.scenario.yaml").write_text(
        "target: {emulator: {seed: 0}}\nsteps:\n  - tap: OK\n  - swipe: sideways\n", encoding="utf-8")
    report = tmp_path / "report"
    run = _run("-m", "autoagent.scenarios", "test", str(tmp_path), "--report", str(report), "-q", cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "2 failed, 1 passed, 1 error" in out
    assert "broken.scenario.yaml:4: steps[1].swipe:" in out  # file, line and field
    assert "scenario step 2 of 2 (tap text='No such button'): nothing on screen matches" in out
    assert "expected at least one of orders of shop; found none" in out
    assert "expected 'Payment successful' on the final screen" in out
    index = (report / "index.html").read_text(encoding="utf-8")
    # The file that did not load is a failed scenario of the report as well.
    assert index.count("<tr class='scenario") == 4 and "1/4 passed" in index
    assert "<tr class='scenario failed' data-id='broken'>" in index and "the file did not load" in index
    page = (report / "wrong.html").read_text(encoding="utf-8")
    assert "Why it failed" in page and "No such button" in page


# 24 of 30 pass with the shipped checkpoint (README, "The embedded policy"); two less allow for float
# differences between CPUs, anything below is a regression. The files name no engine: on the
# emulator, goal steps run the embedded policy by default.
EVERYDAY_FLOOR = 22


def test_everyday_requests_run_by_the_embedded_policy(tmp_path: Path) -> None:
    """Thirty requests in everyday words, English and Chinese, judged by the apps' own state."""
    files = discover([EVERYDAY])
    assert len(files) == 30
    report = tmp_path / "report"
    run = _run("-m", "autoagent.scenarios", "test", str(EVERYDAY), "-n", "2", "--report", str(report), "-q",
               timeout=900)
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-2000:]
    cases = ET.parse(report / "junit.xml").getroot().findall(".//testcase")
    assert len(cases) == 30
    passed = [c.get("name") for c in cases if not c.findall("failure") and not c.findall("error")]
    assert len(passed) >= EVERYDAY_FLOOR, f"{len(passed)}/30 passed: {sorted(passed)}"


def test_a_bad_shard_is_one_line_and_nothing_runs(tmp_path: Path) -> None:
    run = _run("-m", "autoagent.scenarios", "test", str(SUITE_FILES[0]), "--shard", "3/2", "--report",
               str(tmp_path / "report"), cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr == "autoagent: error: --shard must look like 2/5 (the 2nd of 5 slices), got '3/2'\n"
    assert run.stdout == "" and not (tmp_path / "report").exists()  # no junit file claimed or written


def test_parallel_workers_print_no_plugin_warnings(tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    (tmp_path / "wifi.scenario.yaml").write_text(
        "target: {emulator: {seed: 0}}\nsteps:\n  - launch: Settings\n  - tap: {id: wifi_switch}\n", encoding="utf-8")
    run = _run("-m", "autoagent.scenarios", "test", str(tmp_path), "-n", "2", "-q", "--report",
               str(tmp_path / "report"), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "warning" not in (run.stdout + run.stderr).lower(), run.stdout + run.stderr


def test_report_step_numbers_agree_with_the_thoughts(tmp_path: Path) -> None:
    """A scenario step that scrolls first takes several of the run's steps: its thoughts name the
    scenario's numbering as such, never a "step N" other than the report's."""
    (tmp_path / "mug.scenario.yaml").write_text(
        'target: {emulator: {seed: 0}}\nsteps:\n  - launch: Shop\n  - tap: "Coffee Mug 马克杯"\n', encoding="utf-8")
    report = tmp_path / "report"
    run = _run("-m", "autoagent.scenarios", "test", str(tmp_path), "-q", "--report", str(report), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    page = (report / "mug.html").read_text(encoding="utf-8")
    import html
    import re

    shown = re.findall(r'<div class="outcome">Step (\d+): [^<]*</div>.*?<pre>([^<]*)</pre>', page)
    assert len(shown) >= 4  # launch, a scroll, the tap, done
    for number, thought in shown:
        said = re.match(r"step (\d+)", html.unescape(thought))
        assert said is None or said.group(1) == number, (number, thought)
    assert html.unescape(shown[2][1]) == "scenario step 2 of 2: tap text='Coffee Mug 马克杯'"
