"""Every request one browser context sends, judged before it reaches the network.

The gate intercepts at the browser target (Chromium's DevTools ``Fetch`` domain on the browser
session), not through Playwright's ``context.route``. The difference matters for safety:

* Playwright's Chromium driver continues some paused requests by itself without calling any
  route (one whose frame it does not know yet, one without a network id, a redirect it already
  continued once), so a route-based guard misses payments: one sent from a blank window the page
  wrote a script into went through every time.
* The browser target pauses every request of every target from the moment ``Fetch.enable``
  returns: a popup's first request, a worker's, a service worker's. It pauses them after any
  page-level interception (Playwright's own routes included), and nothing but the gate lets a
  paused request go on.

The browser session sees all contexts of the browser. A request from another context (another
device on a shared browser, the person's own tabs on a browser reached over CDP) is let through
unjudged; a request whose context cannot be told (a same-process iframe, which is not a target of
its own, or a target the browser has not announced yet) is judged: judging one request too many
costs less than missing one.

WebSockets are out of the DevTools interception's reach (it sees neither the handshake nor the
frames), so every socket a page of the context opens goes through Playwright's WebSocket route,
and each message the page sends is judged as a request (``WEBSOCKET url`` with the message as its
body) before it is passed on; one judged no is dropped and the socket closed (1008, policy).

Paused requests and socket messages are handed over by Playwright's sync API only while the
device's thread is inside a Playwright call; between calls they wait.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, BrowserContext, WebSocketRoute
from playwright.sync_api import Error as PlaywrightError

from autoagent.perception.request import OutgoingRequest, outgoing_request

Judge = Callable[[OutgoingRequest], bool]

EVERYTHING = {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]}
# Matches no request, yet keeps the interception on: with no pattern at all the browser would stop
# intercepting documents loaded meanwhile, and closing the gate again would not reach them.
NOTHING = {"patterns": [{"urlPattern": "autoagent-open-gate:*", "requestStage": "Request"}]}


class RequestGate:
    """Holds each request of one context until a judge says yes; a no (or a judge that fails)
    fails it as blocked by the client, so the page sees a network error and the server nothing.

    Open it before the context loads its first document: the browser target intercepts only
    documents loaded while its interception is on. It stays on for the gate's whole life; an
    open gate (no judge) only narrows what it pauses to nothing, so a person's requests during
    a take-over never wait for this thread, and closing the gate again covers every document.
    """

    def __init__(self, browser: Browser, context: BrowserContext) -> None:
        self._context = context
        self._context_id: str | None = None
        self._judge: Judge | None = None
        # Each target's context, as the browser announces them: the judge must run before any other
        # Playwright call in the handler, which would let the agent's thread go on meanwhile.
        self._targets: dict[str, str] = {}
        self._session: Any = browser.new_browser_cdp_session()
        self._session.on("Fetch.requestPaused", self._on_paused)
        self._session.on("Target.targetCreated", self._on_target)
        self._session.on("Target.targetInfoChanged", self._on_target)
        self._session.on("Target.targetDestroyed", lambda event: self._targets.pop(event["targetId"], None))
        self._session.send("Target.setDiscoverTargets", {"discover": True})
        self._session.send("Fetch.enable", NOTHING)
        # Like the interception above, it reaches only documents loaded after it.
        context.route_web_socket(re.compile(".*"), self._on_socket)

    def guard(self, judge: Judge | None) -> None:
        """Judge every request of the context with ``judge`` from now on; None lets them all go."""
        if judge is not None and self._context_id is None:
            # Read now, while nothing is held: a page whose navigation the gate holds would not
            # answer until it is let go.
            self._context_id = _context_id(self._context)
        self._judge = judge
        self._session.send("Fetch.enable", NOTHING if judge is None else EVERYTHING)

    def seal(self) -> None:
        """Refuse, without asking, whatever a guarded context still sends: call it before closing
        the context, so that nothing held or sent on the way out leaves unjudged."""
        if self._judge is not None:
            self._judge = _refuse

    def close(self) -> None:
        """Stop for good; requests still paused go on, so close (or seal) the context first."""
        self._judge = None
        for step in (lambda: self._session.send("Fetch.disable"), self._session.detach):
            try:
                step()
            except PlaywrightError:
                pass  # the browser went away first: nothing is paused any more

    def _on_paused(self, event: dict[str, Any]) -> None:
        request_id = event["requestId"]
        allowed = not self._belongs(event.get("frameId")) or _allows(self._judge, lambda: paused_request(event))
        try:
            if allowed:
                self._session.send("Fetch.continueRequest", {"requestId": request_id})
            else:
                self._session.send("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})
        except PlaywrightError:
            pass  # the page or the browser went away while the judge decided

    def _on_socket(self, page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()  # what the server sends reaches the page unjudged
        page_side.on_message(lambda message: self._on_message(page_side, server_side, message))

    def _on_message(self, page_side: WebSocketRoute, server_side: WebSocketRoute, message: str | bytes) -> None:
        allowed = _allows(self._judge,
                          lambda: outgoing_request("WEBSOCKET", page_side.url, None, message, "websocket"))
        try:
            if allowed:
                server_side.send(message)
            else:
                page_side.close(code=1008, reason="blocked by the agent's network guard")
                server_side.close()
        except PlaywrightError:
            pass  # the page or the browser went away while the judge decided

    def _on_target(self, event: dict[str, Any]) -> None:
        info = event["targetInfo"]
        self._targets[info["targetId"]] = info.get("browserContextId", "")

    def _belongs(self, frame_id: str | None) -> bool:
        """Whether a request from this frame is the context's to judge. A main frame, a popup,
        an out-of-process frame or a worker is a target of its own; a same-process frame is not,
        nor is a target not announced yet: those are judged, as nothing says they are not ours."""
        context = self._targets.get(frame_id or "")
        return context is None or context == self._context_id


def _allows(judge: Judge | None, request: Callable[[], OutgoingRequest]) -> bool:
    """The judge's answer on a request read only when there is a judge. A judge that fails (or a
    request that cannot be read) holds nothing open: the request does not leave."""
    if judge is None:
        return True
    try:
        return bool(judge(request()))
    except Exception:
        return False


def _refuse(_request: OutgoingRequest) -> bool:
    return False


def paused_request(event: dict[str, Any]) -> OutgoingRequest:
    """A ``Fetch.requestPaused`` event's request, as the guard reads it."""
    request = event["request"]
    body: bytes | str | None = request.get("postData")
    if body is None and request.get("postDataEntries"):
        # Bodies with binary parts come only as base64 pieces.
        body = b"".join(base64.b64decode(part.get("bytes", "")) for part in request["postDataEntries"])
    url = request["url"] + request.get("urlFragment", "")
    kind = str(event.get("resourceType", "")).lower()
    return outgoing_request(request["method"], url, request.get("headers"), body, kind, kind == "document")


def _context_id(context: BrowserContext) -> str:
    """The DevTools id of ``context``, read from one of its pages (Playwright does not expose it)."""
    session = context.new_cdp_session(context.pages[0])
    try:
        return str(session.send("Target.getTargetInfo")["targetInfo"]["browserContextId"])
    finally:
        try:
            session.detach()
        except PlaywrightError:
            pass
