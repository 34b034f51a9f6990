"""When has a page settled? No requests in flight and the DOM unchanged between two looks.

Fixed sleeps are either too short (a slow page is still loading) or too long (every step
pays for the worst case). Instead we watch the page: the network is idle (requests are
counted through Playwright's request events) and two consecutive cheap page signatures
are equal. A signature covers the document, its text, scroll positions, pending
``aria-busy`` markers and running finite animations (transitions, smooth scrolls).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Counts scroll events anywhere in the document (capture phase catches inner scrollers),
# so momentum scrolling inside a list shows up in the signature. Idempotent.
SCROLL_COUNTER_JS = """
(() => { if (window.__aaScrolls === undefined) { window.__aaScrolls = 0;
  window.addEventListener('scroll', () => { window.__aaScrolls++; }, {capture: true, passive: true}); } })();
"""

SIGNATURE_JS = """
() => {
  const b = document.body;
  const text = b ? b.innerText : "";
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  let anims = 0;
  try {
    for (const a of document.getAnimations())
      if (a.playState === "running" && a.effect && a.effect.getTiming().iterations !== Infinity) anims++;
  } catch (e) {}
  return [document.readyState === "loading" ? "loading" : "ready", location.href,
          b ? b.innerHTML.length : 0, h, Math.round(window.scrollX), Math.round(window.scrollY),
          window.__aaScrolls || 0, !!document.querySelector('[aria-busy="true"]'), anims];
}
"""


# A request older than this no longer holds settling (a long poll, a stuck image): the
# page is judged by its signature from then on.
LONG_REQUEST_S = 2.0
# A reply whose headers came holds settling this long at most while its body arrives: a body
# that is never read (or never ends) would otherwise hold it for good.
BODY_GRACE_S = 0.5


class NetworkTracker:
    """Requests a browser context has sent and not yet seen finish, and which of them an
    action waits for.

    A page's own load (navigations) is always waited for. Any other request is waited for only
    when it began after the action did (:meth:`begin`: one that was in flight before is the
    page's background traffic), for at most ``LONG_REQUEST_S``, and for at most ``BODY_GRACE_S``
    after its reply's headers came.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: dict[Any, float] = {}
        self._answered: dict[Any, float] = {}
        self._since = float("-inf")

    def attach(self, context: Any) -> None:
        context.on("request", self._begun)
        context.on("response", self._responded)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)

    def _begun(self, request: Any) -> None:
        if _navigation(request):
            # The frame now loads this one: the page it was loading is left, and Chromium does not
            # always say that request ended (one left mid-load would hold settling for good).
            frame = _frame(request)
            for left in [r for r in self._started if _navigation(r) and _frame(r) is frame]:
                self._ended(left)
        self._started[request] = self._clock()

    def _responded(self, response: Any) -> None:
        request = response.request
        if request in self._started:
            self._answered[request] = self._clock()

    def _ended(self, request: Any) -> None:
        self._started.pop(request, None)
        self._answered.pop(request, None)

    def begin(self) -> None:
        """An action begins: what is in flight now is not its doing."""
        self._since = self._clock()

    def reset(self) -> None:
        self._started.clear()
        self._answered.clear()

    @property
    def inflight(self) -> int:
        """Requests that still hold settling (see the class)."""
        now = self._clock()
        count = 0
        for request, started in self._started.items():
            if _navigation(request):
                count += 1
            elif started >= self._since and now - started < LONG_REQUEST_S and \
                    now - self._answered.get(request, now) < BODY_GRACE_S:
                count += 1
        return count


def _navigation(request: Any) -> bool:
    try:
        return bool(request.is_navigation_request())
    except Exception:
        return False  # a request of a frame that is gone loads nothing anyone waits for


def _frame(request: Any) -> Any:
    try:
        return request.frame
    except Exception:
        return None  # a service worker's request belongs to no frame


def wait_settled(signature: Callable[[], Any], inflight: Callable[[], int], pump: Callable[[float], None],
                 timeout: float, poll: float = 0.05) -> bool:
    """True once two consecutive signatures match with no request in flight; False at ``timeout``.

    ``signature`` returns None while the page cannot be read (mid-navigation). ``pump``
    waits a little while letting the browser deliver events.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    previous: Any = None
    while True:
        sig = signature() if inflight() == 0 else None
        if sig is not None and sig[0] != "loading" and sig == previous and inflight() == 0:
            return True
        previous = sig
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        pump(min(poll, left))
