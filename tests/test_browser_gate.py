"""The request gate: every request of the device's browser context is judged before it reaches the
network, whoever sends it (a page, a popup's first script, a service worker) and whatever else
handles it first in Playwright; requests of other contexts on the same browser are not its business.

Real Chromium, the demo shop's real payment endpoint, judged by the shop's own state.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from autoagent.device import DeviceError
from autoagent.perception.request import OutgoingRequest
from autoagent.safety.human import NoHuman
from autoagent.safety.network import NetworkGuard

pytest.importorskip("playwright.sync_api")
from autoagent.actuators.browser import BrowserDevice  # noqa: E402
from tests.test_safety_network import PHONE, an_order, site  # noqa: E402,F401 (site is a fixture)


class NoPosts:
    """A judge that lets every GET go and refuses every POST, remembering what it was shown."""

    def __init__(self) -> None:
        self.seen: list[OutgoingRequest] = []

    def __call__(self, request: OutgoingRequest) -> bool:
        self.seen.append(request)
        return request.method != "POST"

    def posts(self) -> list[str]:
        return [r.url for r in self.seen if r.method == "POST"]


def press_go(browser, url: str, judge: NoPosts | None,
             before: Callable[[BrowserDevice], object] = lambda device: None) -> str:
    """Open ``url``, guard it with ``judge`` (if any), press its icon and let it settle; the
    heading the device's page ends on."""
    with BrowserDevice.attach(browser, url, **PHONE) as device:
        device.wait_until_settled(5)
        if judge is not None:
            device.guard_requests(judge)
        before(device)
        device.page.click("#go")
        device.page.wait_for_timeout(300)
        device.wait_until_settled(3)
        return device.page.inner_text("h1")


def test_a_payment_is_judged_even_when_playwright_continues_it_first(browser, site) -> None:
    """Playwright's own handling (here a route that continues everything, as its driver sometimes
    does by itself) comes before the gate and cannot let a request past it."""
    order = an_order(site)
    judge = NoPosts()
    press_go(browser, site.page(f"/net/icon-pay/{order}"), judge,
             lambda device: device.context.route("**/*", lambda route: route.continue_()))
    assert site.state.payments == [] and site.state.orders[order].status == "awaiting_payment"
    assert judge.posts() == [f"{site.url}/shop/pay/{order}"]


def test_a_window_the_page_writes_a_paying_script_into_is_judged(browser, site) -> None:
    """The page opens a blank window and writes the payment into it: nothing loads, nothing waits."""
    order = an_order(site)
    judge = NoPosts()
    press_go(browser, site.page(f"/net/popup-pay/{order}"), judge)
    assert site.state.payments == [] and judge.posts() == [f"{site.url}/shop/pay/{order}"]


class FailingOnPosts(NoPosts):
    """A judge that breaks (a front end gone, a bug) on the request that matters."""

    def __call__(self, request: OutgoingRequest) -> bool:
        if not super().__call__(request):
            raise ConnectionError("the judge went away")
        return True


def test_a_judge_that_fails_lets_nothing_through(browser, site) -> None:
    order = an_order(site)
    judge = FailingOnPosts()
    press_go(browser, site.page(f"/net/popup-pay/{order}"), judge)
    assert site.state.payments == [] and judge.posts() == [f"{site.url}/shop/pay/{order}"]


def test_the_blank_window_page_pays_when_nothing_guards_it(browser, site) -> None:
    """The page above really pays (so its test above can fail)."""
    order = an_order(site)
    heading = press_go(browser, site.page(f"/net/popup-pay/{order}"), None)
    assert len(site.state.payments) == 1 and heading == "Thank you"


def test_requests_of_another_context_are_not_judged(browser, site) -> None:
    """A second context on the same browser (another device, or the person's own tabs) is not the
    device's: its payment goes through and the device's judge never hears of it."""
    order = an_order(site)
    judge = NoPosts()
    other = browser.new_context()
    try:
        with BrowserDevice.attach(browser, site.page("/net/harmless"), **PHONE) as device:
            device.wait_until_settled(5)
            device.guard_requests(judge)
            tab = other.new_page()
            tab.goto(site.page(f"/net/icon-pay/{order}"))
            tab.click("#go")
            tab.wait_for_function("document.querySelector('h1').textContent === 'Thank you'")
    finally:
        other.close()
    assert len(site.state.payments) == 1 and judge.posts() == []
    assert not any(order in r.url for r in judge.seen)


def test_an_open_gate_holds_nothing_and_closing_it_again_covers_the_page_already_loaded(browser, site) -> None:
    order = an_order(site)
    judge = NoPosts()

    def take_over_and_back(device: BrowserDevice) -> None:
        device.guard_requests(None)  # a person takes over: nothing they send waits for the agent
        device.guard_requests(judge)

    press_go(browser, site.page(f"/net/icon-pay/{order}"), judge, take_over_and_back)
    assert site.state.payments == [] and judge.posts() == [f"{site.url}/shop/pay/{order}"]


def test_a_page_open_before_the_device_cannot_be_guarded_until_it_loads_again(browser, site) -> None:
    """Its document was loaded before the gate existed: guarding it would be a promise not kept."""
    order = an_order(site)
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.page(f"/net/icon-pay/{order}"))
    judge = NoPosts()
    with BrowserDevice(context, page=page) as device:
        with pytest.raises(DeviceError, match="open before the device"):
            device.guard_requests(judge)
        page.reload()
        device.guard_requests(judge)
        page.click("#go")
        device.wait_until_settled(3)
    assert site.state.payments == [] and judge.posts() == [f"{site.url}/shop/pay/{order}"]


SW_PAGE = b"""<!doctype html><h1>Offline shop</h1><script>
window.ready = false;
navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then(() => window.ready = true);
function pay() { navigator.serviceWorker.ready.then(reg => reg.active.postMessage('pay')); }
</script>"""
SW_SCRIPT = b"""self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('message', () => fetch('/pay', {method: 'POST', body: 'amount=12'}));"""


def test_a_service_workers_payment_is_judged(browser) -> None:
    paid: list[str] = []

    class Shop(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/sw.js":
                self._send(SW_SCRIPT, "text/javascript")
            else:
                self._send(SW_PAGE, "text/html")

        def do_POST(self) -> None:
            paid.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            self._send(b"paid", "text/plain")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    judge = NoPosts()
    try:
        with BrowserDevice.attach(browser, f"http://127.0.0.1:{server.server_address[1]}/", **PHONE) as device:
            device.page.wait_for_function("window.ready === true")
            device.guard_requests(judge)
            device.page.evaluate("pay()")
            device.page.wait_for_timeout(1000)
    finally:
        server.shutdown()
        server.server_close()
    assert paid == [] and judge.posts() == [f"http://127.0.0.1:{server.server_address[1]}/pay"]


class EchoSocketServer:
    """A WebSocket server on loopback (just enough of RFC 6455 for short text frames) that keeps
    what it receives and echoes it back."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        key = re.search(r"(?im)^sec-websocket-key:\s*(\S+)", head.decode("latin-1"))[1]
        accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        while True:
            header = conn.recv(2)
            if len(header) < 2 or header[0] & 0x0F == 0x8:  # gone, or a close frame
                conn.close()
                return
            size, mask = header[1] & 0x7F, conn.recv(4)
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(conn.recv(size)))
            self.received.append(payload.decode())
            conn.sendall(bytes([0x81, len(payload)]) + payload)

    def close(self) -> None:
        self._listener.close()


SOCKET_PAGE = """<!doctype html><h1>Ask the shop</h1><script>
window.heard = []; window.shut = null;
window.ws = new WebSocket('ws://127.0.0.1:{port}/live');
ws.onmessage = (e) => heard.push(e.data);
ws.onclose = (e) => shut = e.code;
</script>"""


def test_a_payment_sent_over_a_websocket_is_judged_and_a_chat_line_is_not_held(browser) -> None:
    sockets = EchoSocketServer()
    guard = NetworkGuard(human=NoHuman(), task="ask the shop when it opens")
    try:
        with BrowserDevice.attach(browser, None, **PHONE) as device:
            device.page.set_content(SOCKET_PAGE.replace("{port}", str(sockets.port)))
            device.page.wait_for_function("ws.readyState === 1")
            device.guard_requests(guard.judge)
            device.page.evaluate("ws.send('when do you open tomorrow?')")
            device.page.wait_for_function("heard.length === 1")
            device.page.evaluate("ws.send(JSON.stringify({action: 'pay', card: '4111 1111 1111 1111', amount: 99}))")
            device.page.wait_for_function("shut !== null")
            closed = device.page.evaluate("shut")
    finally:
        sockets.close()
    assert sockets.received == ["when do you open tomorrow?"] and closed == 1008
    (event,) = guard.events
    assert event.method == "WEBSOCKET" and event.decision.category == "payment" and not event.human.approved
