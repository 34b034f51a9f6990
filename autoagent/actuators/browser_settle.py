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


class NetworkTracker:
    """Requests a browser context has sent and not yet seen finish."""

    def __init__(self) -> None:
        self._inflight: set[Any] = set()

    def attach(self, context: Any) -> None:
        context.on("request", self._started)
        context.on("requestfinished", self._ended)
        context.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        self._inflight.add(request)

    def _ended(self, request: Any) -> None:
        self._inflight.discard(request)

    def reset(self) -> None:
        self._inflight.clear()

    @property
    def inflight(self) -> int:
        return len(self._inflight)


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
