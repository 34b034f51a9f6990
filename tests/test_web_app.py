"""The web front end in a real headless Chromium: a real HTTP server, the real emulator, the
real agent loop and guard. The policy is a script whose taps come from the phone's hierarchy
(no model runs offline), injected through make_app's policy_factory hook."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from autoagent.actions import Back, Finish, Launch, TakeOver, Tap, Type, Wait
from autoagent.geometry import to_relative
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.policy.base import StepInput
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.trace import read_trace
from autoagent.web.server import make_app

playwright_api = pytest.importorskip("playwright.sync_api")

TIMEOUT_MS = 20_000


def tap(rid: str | None = None, text: str | None = None):
    def at(observation):
        for n in parse_hierarchy(observation.hierarchy or ""):
            if (rid and n.resource_id.rsplit("/", 1)[-1] == rid) or (text and n.text == text):
                return Tap(element=to_relative(n.center, observation.size))
        raise AssertionError(f"nothing with id={rid!r} text={text!r} on screen")
    return at


class LiveScript(ScriptedPolicy):
    """ScriptedPolicy whose items may be functions of the screen the step sees."""

    def decide(self, step: StepInput):
        if self._cursor < len(self.script) and callable(self.script[self._cursor]):
            self.script[self._cursor] = self.script[self._cursor](step.observation)
        return super().decide(step)


BUY_EARBUDS = [
    Launch(app="Shop"), tap("search_box"), Type(text="耳机\n"), tap(text="Wireless Earbuds 无线耳机"),
    tap("colour_Black"), tap("buy_now_button"),
    tap("address_name"), Type(text="Li Na 李娜"), tap("address_phone"), Type(text="13800001111"),
    tap("address_line"), Type(text="上海市浦东新区 1 Century Ave"), Back(), tap("place_order_button"),
    tap("pay_button"), Finish(message="bought the earbuds"),
]


def policy_for(task: str, device, options: dict):
    if task.startswith("fail"):
        raise ValueError("this policy cannot do that")
    if task.startswith("wait"):
        return LiveScript([Wait(seconds=0.2)] * 200)
    if task.startswith("hand over"):
        # The model asks for a person, then reports the app it sees once they are done.
        return LiveScript([TakeOver(message="Open the Shop app for me"),
                           lambda observation: Finish(message=f"now in {observation.app}")])
    return LiveScript(list(BUY_EARBUDS))


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator:
    app = make_app(policy_factory=policy_for, traces=tmp_path_factory.mktemp("traces"), max_steps=40,
                   confirm_timeout=60)
    yield app
    app.close()


def open_page(browser, url: str, **context: object):
    """The web page in a fresh browser context, loaded far enough to use."""
    # bypass_csp: the page forbids eval, which wait_for_function needs; the page itself is unchanged.
    pg = browser.new_context(bypass_csp=True, **context).new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.goto(url)
    pg.wait_for_selector("#engine option", state="attached")
    return pg


@pytest.fixture
def page(browser, served):
    pg = open_page(browser, served.url, viewport={"width": 1400, "height": 1000})
    yield pg
    pg.context.close()
    run = served.app.run
    if run is not None and run.running:
        run.stop()
        # A run still alive would emit into the next test's page.
        assert run.join(10), f"{run.id} did not end within 10 s of Stop"


def start(pg, task: str) -> None:
    pg.fill("#task", task)
    pg.click("#start")
    # The page of an earlier run still shows its steps until this run's "started" event.
    pg.wait_for_function("document.querySelector('#status').textContent.startsWith('running')")
    pg.wait_for_selector("#steps li.step")


def wait_for_question(pg, served) -> None:
    """Wait for the page to show a question; on a timeout say where the run was."""
    try:
        pg.wait_for_selector("#pending:not(.hidden)")
    except playwright_api.TimeoutError:
        run = served.app.run
        recent = [{k: e.get(k) for k in ("seq", "type", "run", "step", "action", "outcome", "status")}
                  for e in served.app.events.since(0, 0)[-8:]]
        raise AssertionError(f"no question on the page; page status {pg.inner_text('#status')!r}, "
                             f"run {run.summary() if run else None}, last events {recent}") from None


def answer_until_payment(pg, served, approve_payment: bool) -> int:
    """Approve the steps that lead to the payment (Buy now); answer the payment question (Place order on
    the checkout page, whose yes also covers Pay on the sheet for the amount it shows)."""
    asked = 0
    while True:
        wait_for_question(pg, served)
        kind = pg.inner_text("#pending-kind")
        asked += 1
        assert "confirmation" in kind
        is_payment = "(payment)" in kind
        if is_payment:
            # The page tells the person what a yes covers before they give it.
            assert "covers the next payment steps" in pg.inner_text("#pending-message")
        pg.click("#approve" if (approve_payment or not is_payment) else "#deny")
        pg.wait_for_selector("#pending.hidden", state="attached")
        if is_payment:
            return asked
        assert asked < 6, "too many questions before the payment"


def parked_in_pause(run) -> bool:
    """Whether the run's thread is blocked in the pause gate (Control.checkpoint) while paused:
    from there only Resume or Stop moves it, so no step can land until then."""
    thread = next((t for t in threading.enumerate() if t.name == f"autoagent-run-{run.id}"), None)
    frame = sys._current_frames().get(thread.ident) if thread is not None else None
    while frame is not None:
        if frame.f_code.co_name == "checkpoint" and frame.f_code.co_filename.endswith("runs.py"):
            return run.control.paused
        frame = frame.f_back
    return False


def wait_until(predicate, timeout: float = TIMEOUT_MS / 1000) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.02)


def step_events(served, run) -> int:
    return sum(1 for e in served.app.events.since(0, 0) if e["type"] == "step" and e.get("run") == run.id)


def finished_status(pg) -> str:
    pg.wait_for_function("document.querySelector('#status').textContent.startsWith('finished')")
    return pg.inner_text("#status")


def test_approve_payment_pays_once(page, served):
    start(page, "Buy the black wireless earbuds")
    answer_until_payment(page, served, approve_payment=True)
    assert finished_status(page).startswith("finished: success")
    phone = served.app.phone
    assert len(phone.payments) == 1 and phone.payments[0].app == "com.autoagent.shop"
    orders = phone.app_state("shop").orders
    assert len(orders) == 1 and orders[0].lines[0].product_id == "earbuds"
    steps = page.locator("#steps li.step")
    assert steps.count() == len(BUY_EARBUDS)
    assert "pay_button" not in steps.last.inner_text()  # actions are shown as the model's text
    assert 'do(action="Tap"' in steps.nth(len(BUY_EARBUDS) - 2).inner_text()
    # The live screen replaces the placeholder once it has loaded.
    page.wait_for_selector("#screen", state="visible")
    assert not page.is_visible("#no-screen")
    # The live screen is the phone's: a PNG of its size.
    png = page.request.get(served.url.split("?")[0] + "api/screen.png")
    assert png.ok and png.headers["content-type"] == "image/png" and len(png.body()) > 1000


def buy_and_approve(page, served):
    start(page, "Buy the black wireless earbuds")
    answer_until_payment(page, served, approve_payment=True)
    assert finished_status(page).startswith("finished: success")
    return served.app.phone


def test_each_run_starts_on_a_fresh_phone(page, served):
    """Two purchases in a row each buy: the second does not find the first one's order page."""
    first = buy_and_approve(page, served)
    second = buy_and_approve(page, served)
    assert second is not first
    for phone in (first, second):
        assert len(phone.payments) == 1
        assert [o.lines[0].product_id for o in phone.app_state("shop").orders] == ["earbuds"]


def test_the_seed_is_chosen_on_the_page_and_a_run_may_continue_on_the_same_phone(page, served):
    assert page.input_value("#seed") == "0"  # the server's --seed
    page.fill("#seed", "7")
    start(page, "wait a moment")
    page.click("#stop")
    finished_status(page)
    phone = served.app.phone
    assert phone.seed == 7
    page.check("#same-phone")
    start(page, "wait again")
    page.click("#stop")
    finished_status(page)
    assert served.app.phone is phone
    page.uncheck("#same-phone")
    page.fill("#seed", "-5")
    assert page.eval_on_selector("#seed", "e => e.validity.valid") is False  # the form refuses it
    request = urllib.request.Request(served.url.split("?")[0] + "api/run",
                                     data=json.dumps({"task": "wait", "seed": -5}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400
    assert json.load(err.value) == {"error": "the seed must be a whole number, 0 or more (got -5)"}
    assert served.app.phone is phone  # nothing was started


def test_deny_payment_pays_nothing(page, served):
    start(page, "Buy the black wireless earbuds")
    answer_until_payment(page, served, approve_payment=False)
    status = finished_status(page)
    assert status.startswith("finished: needs_human — you declined the payment: "), status
    assert served.app.phone.payments == []
    assert page.locator("#steps li.step .outcome").last.inner_text() == "denied"


def test_take_over_resume_and_stop_keep_the_trace(page, served):
    start(page, "wait a moment")
    page.click("#takeover")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('paused')")
    run = served.app.run
    # Paused: the run's thread blocks before its next decision.
    # A step already past its decision may still land; after that nothing moves.
    first = page.locator("#steps li.step").count()
    wait_until(lambda: parked_in_pause(run))
    settled = step_events(served, run)
    assert settled <= first + 1
    page.wait_for_function(f"document.querySelectorAll('#steps li.step').length === {settled}")
    # Still parked, so the pause holds: nothing more reached the page or the event log.
    assert parked_in_pause(run) and run.running
    assert step_events(served, run) == settled == page.locator("#steps li.step").count()
    page.click("#resume")
    page.wait_for_function(f"document.querySelectorAll('#steps li.step').length > {settled}")
    page.click("#stop")
    assert finished_status(page).startswith("finished: interrupted")
    assert run.join(10)
    trace = read_trace(Path(run.trace_dir))
    assert trace.result is not None and trace.result.status == "interrupted"
    assert len(trace.steps) >= settled + 1


def test_second_run_is_refused_while_one_is_going(page, served):
    start(page, "wait again")
    request = urllib.request.Request(served.url.split("?")[0] + "api/run", data=json.dumps({"task": "x"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 409
    page.click("#stop")
    assert finished_status(page).startswith("finished: interrupted")


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="espeak-ng synthesises the spoken task")
def test_spoken_task_is_transcribed_for_confirmation(page, tmp_path):
    pytest.importorskip("faster_whisper", reason="the [voice] extra (faster-whisper) is not installed")
    clip = tmp_path / "task.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(clip), "Book a hotel in Shanghai for two adults"], check=True)
    page.set_input_files("#voice", str(clip))
    # The first transcription loads the Whisper model (145 MB) on a shared 2-core machine.
    page.wait_for_function("document.querySelector('#task').value.length > 0", timeout=300_000)
    assert page.input_value("#task") == "Book a hotel in Shanghai for 2 adults"
    assert "Heard:" in page.inner_text("#heard")
    assert page.locator("#steps li.step").count() == 0  # nothing runs until the person presses Start


def test_a_reconnecting_page_resumes_after_the_last_event_it_saw(served):
    """EventSource reconnects to its first URL (here since=0) and sends Last-Event-ID: the
    stream must resume after that id, not replay the earlier runs' questions."""
    served.app.events.emit("control", run="earlier", state="running")
    served.app.events.emit("control", run="earlier", state="stopping")
    last_seen = served.app.events.since(0, 0)[-2]["seq"]
    request = urllib.request.Request(served.url.split("?")[0] + "api/events?since=0",
                                     headers={"Last-Event-ID": str(last_seen)})
    with urllib.request.urlopen(request, timeout=10) as stream:
        first_id = next(line for line in stream if line.startswith(b"id: "))
    assert int(first_id[4:]) == last_seen + 1


def test_a_failed_run_shows_the_message_without_pythons_class_name(page, served):
    page.fill("#task", "fail at once")
    page.click("#start")
    # The page may still show an earlier run's end: wait for this one's.
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('finished: error')")
    assert page.inner_text("#status") == "finished: error — this policy cannot do that"


@pytest.fixture
def idle(browser, tmp_path):
    """A page on a server that has not run anything yet, on a phone-sized screen."""
    app = make_app(policy_factory=policy_for, traces=tmp_path)
    pg = open_page(browser, app.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield pg
    pg.context.close()
    app.close()


def test_the_idle_page_shows_a_placeholder_not_a_broken_image(idle):
    idle.wait_for_selector("#no-screen", state="visible")
    assert "No screen yet" in idle.inner_text("#no-screen")
    assert not idle.is_visible("#screen")  # the image that has nothing to show is not drawn broken


def test_the_pages_own_placeholder_task_runs_the_embedded_policy_by_default(browser, tmp_path):
    """No policy chosen on the page: its first engine, the embedded policy, reads the
    placeholder's request in plain words and buys up to the purchase question; a no there
    leaves the shop without an order."""
    pytest.importorskip("transformers")
    app = make_app(traces=tmp_path)
    pg = open_page(browser, app.url, viewport={"width": 1400, "height": 1000})
    try:
        assert pg.eval_on_selector("#engine", "e => e.value") == "local"
        start(pg, pg.get_attribute("#task", "placeholder"))
        pg.wait_for_selector("#pending:not(.hidden)")
        assert pg.inner_text("#pending-kind").endswith("(purchase)"), pg.inner_text("#pending-kind")
        pg.click("#deny")
        assert finished_status(pg).startswith("finished: needs_human"), finished_status(pg)
        assert app.app.run.policy_name == "local:embedded_model"
        assert app.app.phone.app_state("shop").orders == [] and app.app.phone.payments == []
    finally:
        pg.context.close()
        app.close()


def test_the_page_fits_a_390px_phone_screen(idle):
    widths = idle.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 390, widths  # no horizontal scroll
    for selector in ("#task", "#start", "#steps", "#no-screen", "#engine"):
        box = idle.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)


def test_a_page_open_across_a_server_restart_reloads_and_follows_the_new_server(browser, tmp_path):
    first = make_app(policy_factory=policy_for, traces=tmp_path / "1")
    port = first.server_address[1]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    try:
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT_MS)
        pg.goto(first.url)
        pg.wait_for_selector("#engine option", state="attached")
        pg.evaluate("window.beforeRestart = true")
        first.close()
        second = make_app(port=port, policy_factory=policy_for, traces=tmp_path / "2")
        try:
            # The stream reconnects to the new server, which the page notices: it reloads itself.
            pg.wait_for_function("window.beforeRestart === undefined")
            pg.wait_for_selector("#engine option", state="attached")
            # A run started from the page now shows up on it, with the new server's run.
            start(pg, "wait after the restart")
            assert "wait after the restart" in pg.inner_text("#status")
            pg.click("#stop")
            assert finished_status(pg).startswith("finished: interrupted")
            assert second.app.run is not None and second.app.run.join(10)
        finally:
            second.close()
    finally:
        context.close()


# -- a take-over on the live screen ------------------------------------------------------------

SHOP = "com.autoagent.shop"


def screen_point(pg, phone, node) -> tuple[float, float]:
    """Where the page's live screen shows the centre of the phone's ``node``."""
    left, top, width, height = pg.evaluate(
        "(() => { const i = document.querySelector('#screen'), r = i.getBoundingClientRect();"
        " return [r.left + i.clientLeft, r.top + i.clientTop, i.clientWidth, i.clientHeight]; })()")
    screen_w, screen_h = phone.screen_size()
    x, y = node.center
    return left + (x + 0.5) * width / screen_w, top + (y + 0.5) * height / screen_h


def wait_for_the_screen_to_be_yours(pg) -> None:
    pg.wait_for_function("document.querySelector('#status').textContent.startsWith('paused: the device is yours')")
    pg.wait_for_selector("#screen.yours:not(.hidden)")


def shop_icon(phone):
    icon = phone.find(resource_id="app_icon", desc="Shop 商城")
    assert icon is not None, "the home screen shows no Shop icon"
    return icon


def test_the_models_take_over_gives_the_person_the_screen_and_resume_continues_from_it(browser, served):
    """On a phone-sized page: the model asks for a take-over, a touch on the live screen opens the
    app under the finger on the emulator, and Resume lets the agent finish on the new screen."""
    pg = open_page(browser, served.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        pg.fill("#task", "hand over to me")
        pg.click("#start")  # the first step is the take-over: no step shows until it is done
        wait_for_the_screen_to_be_yours(pg)
        assert "Open the Shop app for me" in pg.inner_text("#pending-message")
        widths = pg.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] == 390, widths  # still no horizontal scroll
        for selector in ("#screen", "#type-text", "#type-send", "#resume", "#deny"):
            box = pg.locator(selector).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
        phone = served.app.phone
        assert phone.current_package() != SHOP
        pg.locator("#screen").scroll_into_view_if_needed()
        pg.touchscreen.tap(*screen_point(pg, phone, shop_icon(phone)))
        wait_until(lambda: phone.current_package() == SHOP)
        pg.click("#resume")
        assert finished_status(pg) == f"finished: success — now in {SHOP}"
        assert not pg.is_visible("#yours")
    finally:
        pg.context.close()


def test_the_persons_take_over_forwards_taps_drags_and_text_to_the_phone(page, served):
    start(page, "wait while I do it")
    page.click("#takeover")
    wait_for_the_screen_to_be_yours(page)
    run, phone = served.app.run, served.app.phone
    steps = step_events(served, run)
    page.mouse.click(*screen_point(page, phone, shop_icon(phone)))
    wait_until(lambda: phone.current_package() == SHOP)

    # A drag scrolls the list under it.
    products = phone.find(resource_id="product_list")
    x, y = products.center
    assert phone.scroll_position(x, y)[0] == 0
    (ax, ay), (_, by) = screen_point(page, phone, products), screen_point(page, phone, phone.find(
        resource_id="section_title"))
    page.mouse.move(ax, ay + 60)
    page.mouse.down()
    page.mouse.move(ax, ay - 20, steps=5)
    page.mouse.move(ax, by, steps=5)
    page.mouse.up()
    wait_until(lambda: phone.scroll_position(x, y)[0] > 0)

    # Text goes into the focused field.
    page.mouse.click(*screen_point(page, phone, phone.find(resource_id="search_box")))
    wait_until(lambda: phone.find(resource_id="search_input") is not None)
    page.fill("#type-text", "wireless earbuds")
    page.click("#type-send")
    wait_until(lambda: phone.find(resource_id="search_input").text == "wireless earbuds")
    page.wait_for_function("document.querySelector('#type-text').value === ''")  # sent: the box is ready again

    # Nothing the agent did in the meantime: the person had the device.
    assert step_events(served, run) == steps
    page.click("#resume")
    page.wait_for_selector("#yours.hidden", state="attached")
    # The agent goes on from the screen the person left.
    wait_until(lambda: step_events(served, run) > steps + 1)
    after = [e for e in served.app.events.since(0, 0) if e["type"] == "step" and e["run"] == run.id][steps:]
    assert after[0]["outcome"] == "taken_over" and after[1]["app"] == SHOP
    page.click("#stop")
    assert finished_status(page).startswith("finished: interrupted")


def test_input_on_the_live_screen_is_ignored_while_the_agent_drives(page, served):
    start(page, "wait without me")
    phone = served.app.phone
    home = phone.current_package()
    page.wait_for_selector("#screen:not(.hidden)")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/api/input" in request.url else None)
    point = screen_point(page, phone, shop_icon(phone))
    page.mouse.click(*point)
    page.mouse.move(point[0], point[1] + 100)
    page.mouse.down()
    page.mouse.move(point[0], point[1] - 100, steps=5)
    page.mouse.up()
    # The server refuses it too, whoever sends it.
    reply = page.request.post(served.url.split("?")[0] + "api/input", data={"kind": "tap", "x": 500, "y": 500})
    assert reply.status == 409
    assert reply.json() == {"error": "the agent is driving: press Take over and wait until the screen is yours"}
    page.wait_for_timeout(500)
    assert phone.current_package() == home
    assert not page.is_visible("#yours")
    assert sent == []  # the page sends nothing while the agent drives
    assert [e for e in phone.events if e.kind in ("tap", "swipe")] == []
    page.click("#stop")
    assert finished_status(page).startswith("finished: interrupted")


def test_a_phone_over_adb_is_driven_from_the_live_screen_and_the_screen_follows(browser, tmp_path, wire_server,
                                                                                no_adb_daemon):
    """The same take-over on a phone driven through uiautomator2 (the emulator behind the adb wire
    server): the live screen is the run's newest screenshot, so each input must renew it."""
    from autoagent.actuators.android import AndroidDevice

    def connect(spec: str):
        return AndroidDevice.connect(wire_server.serial, adb_host="127.0.0.1", adb_port=wire_server.adb_port)

    app = make_app(policy_factory=policy_for, device_factory=connect, traces=tmp_path)
    pg = open_page(browser, app.url, viewport={"width": 1400, "height": 1000})
    try:
        phone = wire_server.phone
        pg.select_option("#device", "android")
        pg.fill("#task", "hand over on the phone")
        pg.click("#start")
        wait_for_the_screen_to_be_yours(pg)
        with pg.expect_response("**/api/input") as reply:
            pg.mouse.click(*screen_point(pg, phone, shop_icon(phone)))
        assert reply.value.status == 200 and phone.current_package() == SHOP
        png = pg.request.get(app.url.split("?")[0] + "api/screen.png")
        shown = Image.open(io.BytesIO(png.body())).convert("RGB")
        assert shown.tobytes() == phone.screenshot().convert("RGB").tobytes()  # the shop, not the home screen
        pg.click("#resume")
        assert finished_status(pg) == f"finished: success — now in {SHOP}"
    finally:
        pg.context.close()
        app.close()


# -- pushed, not polled ------------------------------------------------------------------------


def requests_during(pg, seconds: float) -> list[str]:
    """The URLs the page asks for while it is left alone for ``seconds``."""
    sent: list[str] = []
    listener = lambda request: sent.append(request.url)  # noqa: E731
    pg.on("request", listener)
    pg.wait_for_timeout(seconds * 1000)
    pg.remove_listener("request", listener)
    return sent


def test_steps_reach_the_page_over_the_stream_without_a_request(page, served):
    """No polling: steps come over the one open event stream, and the page asks for the live screen
    only as often as the server announces a new one."""
    start(page, "wait and watch")  # a step every 0.2 s
    page.wait_for_timeout(1000)
    before = page.locator("#steps li.step").count()
    first = served.app.events.since(0, 0)[-1]["seq"]
    sent = requests_during(page, 3)
    announced = sum(1 for e in served.app.events.since(first, 0) if e["type"] == "screen")
    assert page.locator("#steps li.step").count() >= before + 2
    assert all("/api/screen.png" in url for url in sent), sent
    assert len(sent) <= announced + 1, (sent, announced)  # + the one announced just before the window
    page.click("#stop")
    assert finished_status(page).startswith("finished: interrupted")


def test_the_live_screen_is_loaded_when_it_changes_and_only_then(page, served):
    page.fill("#task", "hand over to me")
    page.click("#start")
    wait_for_the_screen_to_be_yours(page)
    phone = served.app.phone
    page.wait_for_timeout(2500)  # the start's screen has been announced (within a second) and loaded
    assert requests_during(page, 2.5) == []  # an unchanged screen is not asked for again
    shown = page.get_attribute("#screen", "src")
    phone.tap(*shop_icon(phone).center)  # the screen changes with no action from the page
    with page.expect_response("**/api/screen.png*") as loaded:
        pass
    assert loaded.value.ok and page.get_attribute("#screen", "src") != shown
    assert phone.current_package() == SHOP
    page.click("#resume")
    assert finished_status(page) == f"finished: success — now in {SHOP}"


def test_the_event_stream_announces_a_screen_change(served):
    """The stream itself, read as any client would: a change of the phone's screen while the run
    waits for the person comes as a ``screen`` event."""
    run = served.app.start({"task": "hand over to me"})
    try:
        wait_until(lambda: run.hands.held_by_person)
        phone = served.app.phone
        time.sleep(2.5)  # the watcher has seen the screen as the person got it
        seen = served.app.events.since(0, 0)[-1]["seq"]
        request = urllib.request.Request(served.url.split("?")[0] + f"api/events?since={seen}")
        with urllib.request.urlopen(request, timeout=10) as stream:
            kinds = (line for line in stream if line.startswith(b"event: "))
            assert next(kinds) == b"event: server\n"
            phone.tap(*shop_icon(phone).center)
            assert next(kinds) == b"event: screen\n"
    finally:
        run.stop()
        assert run.join(10)
