"""Frames, hierarchy-versus-pixels agreement, input errors, seeds, threads, gym and CLI."""

from __future__ import annotations

import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

import pytest

from autoagent.actions import Finish, Interact, Launch, Tap, TakeOver, Type
from autoagent.device import Device, DeviceError, UnknownApp
from autoagent.geometry import to_relative
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.safety.human import CallbackHuman
from emulator import Phone
from emulator.gym import EmulatorEnv
from emulator.tasks import get


def test_is_a_device_and_observes() -> None:
    phone = Phone()
    assert isinstance(phone, Device)
    assert phone.name == "emulator" and phone.screen_size() == (1080, 2400)
    obs = phone.observe()
    assert obs.screenshot.size == (1080, 2400) and obs.app == "com.autoagent.launcher"
    root = ET.fromstring(obs.hierarchy)
    assert root.tag == "hierarchy" and root.get("rotation") == "0"
    node = root.find(".//node")
    for attr in ("index", "text", "resource-id", "class", "package", "content-desc", "checkable", "checked",
                 "clickable", "enabled", "focusable", "focused", "scrollable", "long-clickable", "password",
                 "selected", "bounds"):
        assert attr in node.attrib, attr


def _colours(image, bounds, step=6):
    left, top, right, bottom = bounds
    return {image.getpixel((x, y)) for x in range(left + 2, right - 2, step) for y in range(top + 2, bottom - 2, step)}


def test_hierarchy_agrees_with_pixels() -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    phone.tap_on(resource_id="search_box")
    phone.type_text("shirt\n")
    phone.tap_on(resource_id="product_name")  # a product page: text, chips, a stepper and buttons
    image = phone.screenshot()
    nodes = parse_hierarchy(phone.hierarchy_xml())
    background = image.getpixel((5, 1000))
    checked = 0
    for node in nodes:
        left, top, right, bottom = node.bounds
        assert 0 <= left <= right <= 1080 and 0 <= top <= bottom <= 2400
        if node.text and node.cls.endswith("TextView") and bottom - top > 30 and right - left > 60:
            # Text drawn where the node says: more than one colour inside its box.
            assert len(_colours(image, node.bounds, step=3)) > 1, node.text
            checked += 1
    assert checked >= 5
    # A filled button differs from the page behind it.
    buttons = [n for n in nodes if n.cls.endswith("Button") and n.text]
    assert buttons
    for b in buttons:
        assert _colours(image, b.bounds) != {background}
    # Empty regions between widgets really are empty.
    toolbar = phone.find(resource_id="toolbar")
    assert image.getpixel((toolbar.bounds[2] - 5, toolbar.bounds[3] - 5)) == (255, 80, 0)


def test_every_clickable_node_reacts_where_it_is_drawn() -> None:
    phone = Phone(seed=0)
    phone.launch("Settings")
    switch = phone.find(resource_id="bluetooth_switch")
    before = phone.screenshot().crop(switch.bounds)
    phone.tap(*switch.center)
    assert phone.app_state("settings").bluetooth is True
    assert phone.screenshot().crop(switch.bounds).tobytes() != before.tobytes()
    # A tap just outside the switch's bounds (on the row's label) changes nothing.
    phone.tap(switch.bounds[0] - 300, switch.center[1])
    assert phone.app_state("settings").bluetooth is True


def test_frames_are_cached_until_something_changes() -> None:
    phone = Phone()
    phone.launch("Shop")
    first = phone.hierarchy_xml()
    frame = phone._frame()
    assert phone._frame() is frame and phone.hierarchy_xml() is first
    shot = phone.screenshot()
    shot.paste((0, 0, 0), (0, 0, 500, 500))  # a caller scribbling on its copy
    assert phone.screenshot().getpixel((10, 10)) != (0, 0, 0)
    phone.tap_on(resource_id="tab_cart")
    assert phone._frame() is not frame and phone.hierarchy_xml() != first


def test_bad_input_gives_clear_errors_and_phone_stays_usable() -> None:
    phone = Phone()
    with pytest.raises(DeviceError, match="outside the 1080x2400 screen"):
        phone.tap(1080, 10)
    with pytest.raises(DeviceError, match="outside"):
        phone.swipe(10, 10, 10, -5)
    with pytest.raises(UnknownApp, match=r"installed apps: Shop \(商城, com.autoagent.shop\)"):
        phone.launch("WeChat")
    with pytest.raises(DeviceError, match="unknown key 'volume_up'.*back, home, enter, delete, recent"):
        phone.press_key("volume_up")
    with pytest.raises(DeviceError, match="visible labels"):
        phone.tap_on(text="No such thing")
    phone.type_text("nobody is listening\n")  # no focused field: goes nowhere, as on a phone
    phone.launch("settings")
    assert phone.current_package() == "com.autoagent.settings"
    phone.press_key("recent")
    assert phone.find(resource_id="recent_app") is not None
    phone.tap_on(resource_id="recent_app")
    assert phone.current_package() == "com.autoagent.settings"


def test_keys_and_keyboard_taps_edit_the_focused_field() -> None:
    phone = Phone()
    phone.launch("Shop")
    phone.tap_on(resource_id="search_box")
    for key in "mug":
        phone.tap_on(resource_id=f"key_{key}")
    assert phone.find(resource_id="search_input").text == "mug"
    phone.press_key("delete")
    phone.tap_on(resource_id="key_space")
    assert phone.app_state("shop").query == "mu "
    phone.clear_text()
    phone.input_text("咖啡")
    phone.tap_on(resource_id="key_enter")
    assert phone.find(resource_id="product_name").text == "Coffee Beans 500g 咖啡豆500克"
    phone.back()
    phone.tap_on(resource_id="search_input")
    assert phone.find(resource_id="keyboard") is not None
    phone.back()  # first Back hides the keyboard
    assert phone.find(resource_id="keyboard") is None and phone.current_activity().endswith("SearchActivity")
    phone.back()
    phone.back()
    assert phone.current_package() == "com.autoagent.launcher"


def test_seeds_reproduce_and_differ() -> None:
    def listing(seed: int) -> list[tuple[str, str]]:
        phone = Phone(seed=seed)
        phone.launch("Shop")
        return [(p.name, p.price_cents) for p in phone.app_state("shop").catalogue]

    assert listing(7) == listing(7)
    assert [n for n, _ in listing(7)] != [n for n, _ in listing(8)]
    a, b = Phone(seed=7), Phone(seed=7)
    for phone in (a, b):
        phone.launch("Shop")
    assert a.hierarchy_xml() == b.hierarchy_xml()
    assert a.screenshot().tobytes() == b.screenshot().tobytes()
    c = Phone(seed=8)
    c.launch("Shop")
    assert c.hierarchy_xml() != a.hierarchy_xml()


def test_thread_safety_under_concurrent_use() -> None:
    phone = Phone()
    phone.launch("Settings")
    errors: list[BaseException] = []

    def hammer(i: int) -> None:
        try:
            for _ in range(15):
                if i % 2:
                    phone.tap_on(resource_id="bluetooth_switch")
                else:
                    ET.fromstring(phone.hierarchy_xml())
                    phone.screenshot()
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert phone.app_state("settings").bluetooth is False  # 30 toggles: back to off


def test_gym_env_needs_a_human_for_payments() -> None:
    task = get("shop_buy_black_earbuds")
    env = EmulatorEnv([task], max_steps=40)
    obs, info = env.reset(seed=0)
    assert info["task"] == task.id and obs.app == "com.autoagent.launcher"

    def rel(phone: Phone, **query):
        node = phone.find(**query)
        assert node is not None, query
        return to_relative(node.center, phone.screen_size()).as_list()

    def shop_until_buy_now(env: EmulatorEnv) -> tuple:
        env.step(Launch(app="Shop"))
        phone = env.phone
        env.step(Tap(element=rel(phone, resource_id="search_box")))
        env.step(Type(text="earbuds\n"))
        env.step(Tap(element=rel(phone, text="Wireless Earbuds 无线耳机")))
        env.step(Tap(element=rel(phone, resource_id="colour_Black")))
        return env.step(Tap(element=rel(phone, resource_id="buy_now_button")))

    obs, reward, terminated, truncated, info = shop_until_buy_now(env)
    # "Buy now 立即购买" is a purchase control: with nobody to approve, it is not pressed.
    assert terminated and info["outcome"] == "denied" and reward == 0.0
    assert info["reason"].startswith("purchase needs your confirmation")
    assert env.phone.current_activity().endswith("ProductActivity") and env.phone.payments == []

    approving = EmulatorEnv([task], human=CallbackHuman(on_confirm=lambda request: True))
    approving.reset(seed=0)
    phone = approving.phone
    *_, info = shop_until_buy_now(approving)
    assert info["outcome"] == "done" and phone.current_activity().endswith("CheckoutActivity")
    for rid, text in (("address_name", "Li"), ("address_phone", "1380000"), ("address_line", "1 Road")):
        approving.step(Tap(element=rel(phone, resource_id=rid)))
        approving.step(Type(text=text))
    approving.step(Tap(element=rel(phone, resource_id="place_order_button")))
    assert phone.payments == []
    _, reward, terminated, _, info = approving.step(Tap(element=rel(phone, resource_id="pay_button")))
    assert info["outcome"] == "done" and len(phone.payments) == 1 and info["success"]
    _, reward, terminated, _, info = approving.step(Finish(message="bought"))
    assert terminated and reward == 1.0


def test_gym_env_steps_as_an_agent_run_does() -> None:
    """The environment's steps are the agent's steps: a question or a take-over with nobody
    there ends the episode waiting for a person, and an unknown app is the model's error."""
    env = EmulatorEnv([get("shop_buy_black_earbuds")])
    env.reset(seed=0)
    *_, info = env.step(Launch(app="WeChat"))
    assert info["outcome"] == "error" and "WeChat" in info["reason"] and env.steps == 1
    _, _, terminated, _, info = env.step(Interact(message="Which colour?"))
    assert terminated and info["outcome"] == "needs_human" and "Which colour?" in info["reason"]
    env.reset(seed=0)
    _, _, terminated, _, info = env.step(TakeOver(message="log in"))
    assert terminated and info["outcome"] == "needs_human" and env.steps == 1
    answering = EmulatorEnv([get("shop_buy_black_earbuds")], human=CallbackHuman(on_confirm=lambda r: False,
                                                                                on_ask=lambda q: "black"))
    answering.reset(seed=0)
    _, _, terminated, _, info = answering.step(Interact(message="Which colour?"))
    assert not terminated and info["outcome"] == "answered"


def test_wait_lets_the_phones_own_time_pass() -> None:
    """Wait passes the whole duration on the phone's own clock (simulated here, so no real time
    goes by), though nothing on the screen is loading."""
    from autoagent.actions import Wait
    from autoagent.actuators.execute import execute
    from emulator.training.demos import ManualClock

    clock = ManualClock()
    phone = Phone(seed=1, hazards={"slow"}, clock=clock, sleep=clock.sleep)
    started = clock()
    execute(Wait(seconds=7.5), phone)
    assert clock() - started == pytest.approx(7.5)


def test_cli_help_and_screenshot(tmp_path) -> None:
    out = subprocess.run([sys.executable, "-m", "emulator", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "serve" in out.stdout
    target = tmp_path / "shot.png"
    out = subprocess.run([sys.executable, "-m", "emulator", "screenshot", "--app", "商城", "--out", str(target)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert target.stat().st_size > 10_000 and "com.autoagent.shop" in target.with_suffix(".xml").read_text()
    out = subprocess.run([sys.executable, "-m", "emulator", "screenshot", "--app", "WeChat"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "installed apps" in out.stderr and "Traceback" not in out.stderr


def test_record_payment_needs_an_input() -> None:
    phone = Phone(seed=0)
    phone.launch("Shop")
    with pytest.raises(DeviceError, match="payment sheet"):
        phone.record_payment(phone.foreground, 100, "x", "r")


def test_typed_control_characters_keep_the_hierarchy_readable() -> None:
    """Agents type arbitrary text; a character XML cannot carry must not break the dump."""
    phone = Phone(seed=0)
    phone.launch("Shop")
    phone.wait_until_settled(5)
    phone.tap_on(resource_id="search_box")
    phone.type_text("a\x08b")
    nodes = parse_hierarchy(phone.hierarchy_xml())
    assert any(n.text == "ab" for n in nodes)
