"""Poorly described controls: a contenteditable region is a text field (Type replaces its
text); a file input is a button whose tap tells the model that choosing the file is the user's
to do (a take-over); a closed shadow root's controls are read, touched and judged like any
others; a canvas is one node that says it is drawn, a tap inside it reaches the canvas at that
point, and a tap on a canvas-drawn control on a page about paying waits for a person's yes."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from autoagent.actions import Tap, Type
from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_notices import TOAST_CLASS
from autoagent.actuators.execute import execute
from autoagent.agent import Agent, Result, Status
from autoagent.geometry import to_relative
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.safety import CallbackHuman, ConfirmationRequest, ScreenGuard, Verdict
from autoagent.trace import Outcome, read_trace
from autoagent.perception.dom import find_node
from tests.pages import serve_pages

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

CONTROLS = """<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<style>div,label{display:block;width:300px;min-height:40px;margin:8px}</style>
<div id=review contenteditable aria-label='Your review'>Great <b>mug</b></div>
<label for=cv>Résumé</label><input id=cv type=file>
"""


@VIEWPORTS
def test_contenteditable_is_a_field_and_a_file_input_asks_for_a_take_over(browser: Browser, mobile: bool) -> None:
    with BrowserDevice.attach(browser, "data:text/html," + urllib.parse.quote(CONTROLS), mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        nodes = dev.observe().tree.nodes
        review = find_node(nodes, resource_id="review")
        assert review is not None and review.cls == "android.widget.EditText" and review.clickable
        assert review.text == "Great mug" and not any(n.text == "mug" for n in nodes)
        dev.tap(*review.center)
        execute(Type(text="Sturdy, 5 stars"), dev)
        assert dev.page.evaluate("document.getElementById('review').innerText") == "Sturdy, 5 stars"
        assert find_node(dev.observe().tree.nodes, resource_id="review").focused
        upload = find_node(nodes, resource_id="cv")
        assert upload is not None and upload.cls == "android.widget.Button" and upload.text == "Choose file"
        assert upload.desc == "Résumé"
        dev.tap(*upload.center)
        assert dev.wait_until_settled(5)
        (toast,) = [n.text for n in dev.observe().tree.nodes if n.cls == TOAST_CLASS]
        assert "file to upload for 'Résumé'" in toast and "Take_over" in toast


# A widget that hides its parts in a closed shadow root, as hosted payment widgets do: the page
# keeps no reference to the root, so only the device's init script can reach it.
CLOSED_SHADOW = """<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<title>Your basket</title><style>body{margin:0}</style>
<p style='margin:20px'>Basket: 1 item</p>
<pay-widget id=widget style='display:block;margin:20px'></pay-widget>
<script>
customElements.define('pay-widget', class extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({mode: 'closed'});
    root.innerHTML = `<style>button,input{display:block;box-sizing:border-box;width:200px;height:44px;margin:10px 0}</style>
      <input id=coupon aria-label='Coupon code' value='SPRING'>
      <button id=pay>Pay ¥399</button>`;
    root.getElementById('pay').onclick = () =>
      fetch('/pay', {method: 'POST', body: 'amount=399'}).then(() => document.title = 'paid');
  }
});
</script>
"""


@VIEWPORTS
def test_a_closed_shadow_root_is_read_and_touched_like_an_open_one(browser: Browser, mobile: bool) -> None:
    with serve_pages({"/basket": CLOSED_SHADOW, "/pay": "ok"}) as base, \
            BrowserDevice.attach(browser, f"{base}/basket", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        assert dev.page.evaluate("document.getElementById('widget').shadowRoot") is None  # really closed
        tree = dev.observe().tree
        pay = find_node(tree.nodes, text="Pay ¥399")
        coupon = find_node(tree.nodes, desc="Coupon code")
        assert pay is not None and pay.cls == "android.widget.Button" and pay.clickable
        assert coupon is not None and coupon.text == "SPRING"
        scale = dev.screen_size()[0] / dev.page.viewport_size["width"]
        box = dev.page.evaluate("""() => { const r = document.getElementById('widget').getBoundingClientRect();
                                          return [r.left, r.top]; }""")
        # The field's top margin collapses through the widget's: the button lies a field and a gap below its top.
        assert pay.bounds == tuple(round(v * scale) for v in (box[0], box[1] + 54, box[0] + 200, box[1] + 98))
        # Type replaces the text of a field inside the closed root, as it does elsewhere.
        dev.tap(*coupon.center)
        execute(Type(text="AUTUMN"), dev)
        coupon = find_node(dev.observe().tree.nodes, desc="Coupon code")
        assert coupon is not None and coupon.text == "AUTUMN" and coupon.focused
        dev.tap(*pay.center)
        assert dev.wait_until_settled(5)
        assert dev.page.title() == "paid"


def refused_tap(dev: BrowserDevice, point: tuple[int, int], tmp_path: Path,
                asked: list[ConfirmationRequest]) -> Result:
    """One tap at ``point`` through the agent loop, with a person who says no to every question."""
    script = ScriptedPolicy.of([Tap(element=to_relative(point, dev.screen_size()))])
    human = CallbackHuman(on_confirm=lambda request: bool(asked.append(request)))
    result = Agent(dev, script, human=human, trace_root=tmp_path).run("finish my order")
    assert dev.wait_until_settled(2)
    return result


def assert_asked_before_the_tap(result: Result, asked: list[ConfirmationRequest], posted: list[str]) -> None:
    """The screen guard asked about step 1 and the no held: no tap, so no request even reached
    the network guard, and nothing was paid."""
    assert result.status is Status.NEEDS_HUMAN and posted == []
    (request,) = asked
    assert request.category == "payment" and request.step == 1
    (step,) = read_trace(result.trace_dir).steps
    assert step.outcome is Outcome.DENIED and step.guard.verdict is Verdict.CONFIRM and step.network == []


def test_a_page_open_before_the_device_took_it_has_its_later_closed_roots_read(browser: Browser) -> None:
    """A page the device did not open (a CDP browser's tab) ran no init script: closed roots its
    scripts attach once the device holds it are read all the same."""
    late = CLOSED_SHADOW.replace("<pay-widget id=widget style='display:block;margin:20px'></pay-widget>", "")
    with serve_pages({"/basket": late}) as base:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{base}/basket")
        with BrowserDevice(context, page=page) as dev:
            page.evaluate("document.body.append(document.createElement('pay-widget'))")
            assert dev.wait_until_settled(5)
            assert find_node(dev.observe().tree.nodes, text="Pay ¥399") is not None


@VIEWPORTS
def test_the_guard_asks_before_pay_inside_a_closed_shadow_root(browser: Browser, tmp_path: Path,
                                                                 mobile: bool) -> None:
    posted: list[str] = []
    asked: list[ConfirmationRequest] = []
    with serve_pages({"/basket": CLOSED_SHADOW, "/pay": "ok"}, posted) as base, \
            BrowserDevice.attach(browser, f"{base}/basket", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        pay = find_node(dev.observe().tree.nodes, text="Pay ¥399")
        assert pay is not None
        result = refused_tap(dev, pay.center, tmp_path, asked)
    assert_asked_before_the_tap(result, asked, posted)
    assert "Pay ¥399" in asked[0].reason + str(read_trace(result.trace_dir).steps[0].guard.evidence["targets"])


# Two controls drawn on a canvas, told apart only by where a tap lands; its fallback content
# names them, as a screen reader would read them.
def drawn_page(heading: str, left: str, right: str, fallback: bool) -> str:
    inner = f"<button>{left}</button><button>{right}</button>" if fallback else ""
    label = " aria-label='Colour picker' role=application" if fallback else ""
    return f"""<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>
<style>body{{margin:0}} canvas{{display:block;margin:30px 20px;width:300px;height:150px}}</style>
<h1 style='margin:20px;font-size:20px'>{heading}</h1>
<canvas id=board width=600 height=300{label}>{inner}</canvas>
<script>
const board = document.getElementById('board'), g = board.getContext('2d');
g.font = '48px sans-serif';
g.fillStyle = '#ccc'; g.fillRect(20, 60, 260, 180); g.fillStyle = '#2a2'; g.fillRect(320, 60, 260, 180);
g.fillStyle = '#000'; g.fillText({left!r}, 60, 170); g.fillStyle = '#fff'; g.fillText({right!r}, 380, 170);
window.pressed = [];
board.addEventListener('click', (e) => {{
  const r = board.getBoundingClientRect(), x = (e.clientX - r.left) * board.width / r.width;
  const y = (e.clientY - r.top) * board.height / r.height;
  if (y < 60 || y > 240) return;
  if (x >= 20 && x <= 280) pressed.push({left!r});
  if (x >= 320 && x <= 580) {{
    pressed.push({right!r});
    if ({right!r} === 'Pay') fetch('/pay', {{method: 'POST', body: 'amount=399'}});
  }}
}});
</script>
"""


def drawn_point(canvas_bounds: tuple[int, int, int, int], right: bool) -> tuple[int, int]:
    """The centre of a drawn control: the canvas is 600 units wide, its controls 260 wide, 60-240 high."""
    left, top, width, height = canvas_bounds[0], canvas_bounds[1], canvas_bounds[2] - canvas_bounds[0], \
        canvas_bounds[3] - canvas_bounds[1]
    return round(left + width * (450 if right else 150) / 600), round(top + height * 150 / 300)


@VIEWPORTS
def test_a_canvas_is_one_drawn_node_and_a_tap_reaches_it_where_it_lands(browser: Browser, mobile: bool) -> None:
    page = drawn_page("Pick a colour", "Red", "Blue", fallback=True)
    with serve_pages({"/game": page}) as base, BrowserDevice.attach(browser, f"{base}/game", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        obs = dev.observe()
        board = find_node(obs.tree.nodes, resource_id="board")
        assert board is not None and board.cls == "android.view.SurfaceView"
        assert board.desc == ("Colour picker (application, drawn on a canvas: its controls are seen only in "
                              "the screenshot)")
        assert board.text == "Red | Blue" and not any(n.text == "Red" for n in obs.tree.nodes)
        scale = dev.screen_size()[0] / dev.page.viewport_size["width"]
        top = dev.page.evaluate("document.getElementById('board').getBoundingClientRect().top")
        assert board.bounds == tuple(round(v * scale) for v in (20, top, 320, top + 150))
        # Nothing on the page speaks of money: a tap into the canvas is the model's to make.
        for right in (True, False):
            point = drawn_point(board.bounds, right)
            assert ScreenGuard().review(Tap(element=to_relative(point, obs.size)), obs).verdict is Verdict.ALLOW
            dev.tap(*point)
        assert dev.page.evaluate("window.pressed") == ["Blue", "Red"]


@VIEWPORTS
@pytest.mark.parametrize("heading", ["Total ¥399", "Buy your tickets"])
def test_a_tap_on_a_canvas_drawn_pay_button_waits_for_a_yes(browser: Browser, tmp_path: Path, mobile: bool,
                                                           heading: str) -> None:
    """The canvas says nothing (no fallback, no label): the page's amount, or its words of buying,
    make a tap into it a question, and a person's no means no payment."""
    posted: list[str] = []
    asked: list[ConfirmationRequest] = []
    page = drawn_page(heading, "Cancel", "Pay", fallback=False)
    with serve_pages({"/order": page, "/pay": "ok"}, posted) as base, \
            BrowserDevice.attach(browser, f"{base}/order", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        board = find_node(dev.observe().tree.nodes, resource_id="board")
        assert board is not None
        result = refused_tap(dev, drawn_point(board.bounds, right=True), tmp_path, asked)
        assert dev.page.evaluate("window.pressed") == []
    assert_asked_before_the_tap(result, asked, posted)
    (finding,) = [f for f in read_trace(result.trace_dir).steps[0].guard.evidence["findings"] if f["source"] == "drawn"]
    assert "canvas-drawn" in finding["detail"]
