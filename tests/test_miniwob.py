"""MiniWoB++ in CI: a few tasks through the real agent loop on desktop and phone viewports,
each episode judged by the page's own reward (benchmarks/bench_miniwob.py runs them all)."""

from __future__ import annotations

import pytest

from benchmarks.miniwob.serve import MiniwobMissing, html_dir

try:
    html_dir()
except MiniwobMissing as missing:
    pytest.skip(f"{missing} (install.sh --dev installs it)", allow_module_level=True)

from autoagent.geometry import to_relative  # noqa: E402
from benchmarks.miniwob.episode import open_task, run_episode, start_episode, verdict  # noqa: E402
from benchmarks.miniwob.screen import Screen  # noqa: E402
from benchmarks.miniwob.serve import serve_miniwob, task_names  # noqa: E402
from benchmarks.miniwob.solvers import SOLVERS  # noqa: E402

# One of each kind: a tap by label, checkboxes read from their labels, typing, a <select>
# opened as a list, a table read by position.
TASKS = ["click-button", "click-checkboxes", "enter-text", "choose-list", "read-table"]
SEEDS = [0, 1]


@pytest.fixture(scope="module")
def base_url():
    with serve_miniwob() as url:
        yield url


def test_the_package_ships_the_tasks_the_solvers_name():
    assert set(SOLVERS) <= set(task_names())


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("task", TASKS)
def test_the_page_rewards_the_scripted_policy(browser, base_url, task, viewport):
    device = open_task(browser, base_url, task, mobile=viewport == "phone")
    try:
        for seed in SEEDS:
            result = run_episode(device, task, seed, SOLVERS[task], viewport, max_steps=12)
            assert result.success, result.model_dump(exclude={"timings"})
            assert result.raw_reward == 1.0 and result.done
            assert all(t.observe > 0 for t in result.timings)
    finally:
        device.close()


def test_a_wrong_answer_is_judged_a_failure_by_the_page(browser, base_url):
    """The harness reports the page's verdict, not the policy's opinion of itself."""

    def wrong(screen: Screen):
        buttons = [n for n in screen.of_class("Button") if n.text != screen.quoted()[0]]
        return screen.tap(buttons[0]) if buttons else None

    device = open_task(browser, base_url, "click-button", mobile=False)
    try:
        seed = next(s for s in range(20) if _has_a_wrong_button(device, s))
        result = run_episode(device, "click-button", seed, wrong, "desktop", max_steps=4)
        assert result.done and result.raw_reward == -1.0 and not result.success
        assert result.status == "success"  # the policy finished believing it was done
    finally:
        device.close()


def _has_a_wrong_button(device, seed: int) -> bool:
    start_episode(device, seed)
    screen = Screen(device.observe())
    wrong = any(n.text != screen.quoted()[0] for n in screen.of_class("Button"))
    device.page.evaluate("() => core.endEpisode(0)")
    assert verdict(device).done
    return wrong


def test_the_instruction_is_read_from_the_observation(browser, base_url):
    device = open_task(browser, base_url, "enter-text", mobile=True)
    try:
        start_episode(device, 3)
        screen = Screen(device.observe())
        assert screen.utterance.startswith("Enter \"") and len(screen.quoted()) == 1
        field = screen.of_class("EditText")[0]
        assert screen.tap(field).element == to_relative(field.center, screen.size)
    finally:
        device.close()
