"""Verified replay on the emulator: recorded on one seed, replayed on another; clear failures.

The trace is recorded here through the real recorder (a human's commands from a script),
then replayed with no model through the Agent loop.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from autoagent.actions import Finish, Swipe, Tap
from autoagent.agent import Agent, Status
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import NoHuman, ScreenGuard
from autoagent.scenarios.recorder import CommandError, PromptPolicy, parse_command
from autoagent.trace import read_trace
from autoagent.verified_replay import (
    VerifiedReplayPolicy, compare_screens, hierarchy_similarity, image_similarity, recorded_steps, replay,
)
from emulator import Phone

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ('launch Shop\ntap "Phone Case 手机壳"\nnot-a-command\ntap "Black 黑色"\n'
            'tap "Add to cart 加入购物车"\ndone a black phone case is in the cart\n')


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trace recorded on seed 0 by typed commands (one bad line is refused and re-asked)."""
    root = tmp_path_factory.mktemp("rec")
    phone = Phone(seed=0)
    out = io.StringIO()
    policy = PromptPolicy(phone, stdin=io.StringIO(COMMANDS), out=out)
    result = Agent(phone, policy, ScreenGuard(), NoHuman(), trace_root=root).run("Add a black phone case to the cart")
    assert result.ok, result.message
    assert "unknown command" in out.getvalue()
    assert [l.product_id for l in phone.app_state("shop").cart] == ["phone-case"]
    return result.trace_dir


def _cart(phone: Phone) -> list[tuple[str, str | None]]:
    return [(l.product_id, l.colour) for l in phone.app_state("shop").cart]


def test_recording_holds_actions_screens_and_hierarchies(recorded: Path) -> None:
    steps = recorded_steps(recorded)
    assert [type(s.action).__name__ for s in steps] == ["Launch", "Tap", "Tap", "Tap", "Finish"]
    assert all(s.screenshot.is_file() and s.hierarchy.is_file() for s in steps)


def test_replay_on_a_seed_with_another_list_order_refinds_the_element(recorded: Path, tmp_path: Path) -> None:
    recorded_tap = read_trace(recorded).steps[1].action.element
    phone = Phone(seed=7)  # the phone case is below the fold here
    result = replay(phone, recorded, artifacts_dir=tmp_path)
    assert result.status is Status.SUCCESS, result.message
    assert _cart(phone) == [("phone-case", "Black")]
    # The replay scrolled and tapped the element where it now is, not the recorded point.
    replayed = [s for s in read_trace(result.trace_dir).steps if isinstance(s.action, Tap)]
    assert any(isinstance(s.action, Swipe) for s in read_trace(result.trace_dir).steps)
    assert replayed[0].action.element != recorded_tap
    assert not list(tmp_path.glob("mismatch-*.png"))


def test_replay_where_the_target_is_gone_fails_with_a_picture(recorded: Path, tmp_path: Path) -> None:
    phone = Phone(seed=1)
    shop = phone.app_state("shop")
    shop.catalogue[:] = [p for p in shop.catalogue if p.id != "phone-case"]
    phone.invalidate()
    result = replay(phone, recorded, artifacts_dir=tmp_path)
    assert result.status is Status.ERROR
    assert "text='Phone Case 手机壳'" in result.message and "is not on the screen" in result.message
    (picture,) = tmp_path.glob("mismatch-step*.png")
    assert str(picture) in result.message
    with Image.open(picture) as img:
        assert img.width > 0.8 * img.height  # two phone screens side by side (one is 0.45 as wide as tall)
    assert _cart(phone) == [] and phone.payments == []


def test_replay_on_another_screen_fails_before_acting(recorded: Path, tmp_path: Path) -> None:
    phone = Phone(seed=0)
    phone.launch("Settings")  # the recording starts on the launcher
    phone.tap_on(resource_id="wifi_switch")
    wifi_before = phone.app_state("settings").wifi
    result = replay(phone, recorded, artifacts_dir=tmp_path)
    assert result.status is Status.ERROR and "not the recorded one" in result.message
    assert list(tmp_path.glob("mismatch-step0001.png"))
    assert phone.app_state("settings").wifi == wifi_before and phone.current_package() == "com.autoagent.settings"


def test_mismatch_can_fall_back_to_a_live_policy(recorded: Path, tmp_path: Path) -> None:
    phone = Phone(seed=0)
    phone.launch("Settings")
    live = ScriptedPolicy.of([Finish(message="live policy took over")])
    policy = VerifiedReplayPolicy.from_trace(recorded, artifacts_dir=tmp_path, fallback=live)
    result = Agent(phone, policy, ScreenGuard(), NoHuman(), trace_root=tmp_path).run("x")
    assert result.ok and result.message == "live policy took over"
    assert "handed over to scripted" in policy.log[0]


def test_screen_similarity_ignores_order_but_not_content() -> None:
    a, b = Phone(seed=0), Phone(seed=1)
    a.launch("Shop")
    b.launch("Shop")
    oa, ob = a.observe(), b.observe()
    assert hierarchy_similarity(oa.hierarchy, oa.hierarchy) == 1.0
    same_screen = compare_screens(oa.hierarchy, oa.screenshot, ob)
    assert same_screen.ok and same_screen.hierarchy > 0.7
    a.tap_on(resource_id="search_box")
    other = compare_screens(ob.hierarchy, ob.screenshot, a.observe())
    assert not other.ok and other.hierarchy < 0.3
    assert image_similarity(oa.screenshot, oa.screenshot) == 1.0
    assert image_similarity(oa.screenshot, Image.new("RGB", oa.size, "black")) < 0.3


def test_recorder_commands() -> None:
    assert parse_command('tap "Search 搜索"').tap.text == "Search 搜索"
    assert parse_command("tap id=search_box").tap.id == "search_box"
    assert parse_command("tap 500,300").tap.point == (500, 300)
    assert parse_command("type 白色T恤\\n").type == "白色T恤\n"
    assert parse_command("swipe up").swipe == "up"
    assert parse_command("back").key == "back"
    assert parse_command("done all good") == "done:all good"
    for bad in ("tap", "swipe sideways", "fly away", "type", "back now"):
        with pytest.raises(CommandError):
            parse_command(bad)


def test_record_command_and_replay_fixture(tmp_path: Path) -> None:
    """`autoagent record --script` writes a trace; a test using @pytest.mark.replay replays it,
    and the same test fails with the picture's path once the target is gone."""
    script = tmp_path / "cmds.txt"
    script.write_text(COMMANDS, encoding="utf-8")
    rec = subprocess.run([sys.executable, "-m", "autoagent.scenarios", "record", "Phone case to cart",
                          "--seed", "0", "--script", str(script), "--traces", str(tmp_path / "traces")],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert rec.returncode == 0, rec.stderr
    trace = Path(rec.stdout.split("trace: ", 1)[1].strip())
    assert json.loads((trace / "result.json").read_text())["status"] == "success"

    test_file = tmp_path / "test_uses_replay.py"
    test_file.write_text(
        "import pytest\nfrom emulator import Phone\n\n"
        f"@pytest.mark.replay({str(trace)!r})\n"
        "def test_other_seed(replay_trace):\n"
        "    phone = Phone(seed=1)\n"
        "    replay_trace(phone)\n"
        "    assert phone.app_state('shop').cart[0].product_id == 'phone-case'\n\n"
        f"@pytest.mark.replay({str(trace)!r})\n"
        "def test_gone(replay_trace):\n"
        "    phone = Phone(seed=1)\n"
        "    shop = phone.app_state('shop')\n"
        "    shop.catalogue[:] = [p for p in shop.catalogue if p.id != 'phone-case']\n"
        "    phone.invalidate()\n"
        "    replay_trace(phone)\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "autoagent.scenarios.plugin", "-p", "no:cacheprovider",
                          "-q", str(test_file), "--rootdir", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout
    assert "test_gone" in run.stdout and "is not on the screen" in run.stdout
    picture = run.stdout.split("expected vs actual: ", 1)[1].split(")", 1)[0]
    assert Path(picture).is_file() and picture.endswith(".png")


def test_the_recorder_refuses_what_it_cannot_replay(tmp_path: Path) -> None:
    """An unknown app, a tap off the 0-999 grid and a label two elements share are refused with
    one line each, and nothing is recorded until the command says exactly what it means."""
    from tests.stubs import Button, StubDevice

    for bad in ("tap 1200,300", "tap -5,10"):
        with pytest.raises(CommandError, match=r"outside 0-999"):
            parse_command(bad)
    phone = Phone(seed=0)
    out = io.StringIO()
    policy = PromptPolicy(phone, stdin=io.StringIO("launch Shopz\nlaunch Shop\ndone\n"), out=out)
    result = Agent(phone, policy, ScreenGuard(), NoHuman(), trace_root=tmp_path / "a").run("open the shop")
    assert "  no app called 'Shopz' is installed; installed apps: Shop (商城, com.autoagent.shop)" in out.getvalue()
    assert [s.answer for s in read_trace(result.trace_dir).steps][:1] == ['do(action="Launch", app="Shop")']

    twice = StubDevice(buttons=[Button("Search 搜索", (40, 200, 540, 320)), Button("Search 搜索", (560, 200, 1040, 320))])
    out = io.StringIO()
    policy = PromptPolicy(twice, stdin=io.StringIO('tap "Search 搜索"\ntap 740,108\ndone\n'), out=out)
    result = Agent(twice, policy, ScreenGuard(), NoHuman(), trace_root=tmp_path / "b").run("search")
    assert "  2 elements match text='Search 搜索'; say which: tap 268,108" in out.getvalue(), out.getvalue()
    assert [s.answer for s in read_trace(result.trace_dir).steps][0] == 'do(action="Tap", element=[740,108])'
