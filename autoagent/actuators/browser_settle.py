"""When has a page settled? Nothing in flight, nothing pending, and the DOM unchanged between two looks.

Fixed sleeps are either too short (a slow page is still loading) or too long (every step
pays for the worst case). Instead we watch the page: the network is idle (requests are
counted through Playwright's request events), the page has no short timer pending and no
finite animation running (what it shows a moment after an action is part of the action's
result: suggestions after a debounce, a note fading in, a section an interval slides open),
and two consecutive cheap looks agree. A look covers the document, its text, scroll positions and pending ``aria-busy``
markers; text that only the page's background work changed between the looks (a clock's
tick) still agrees, or a clock would keep a slow machine's looks from ever matching.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

# Counts scroll events anywhere in the document (capture phase catches inner scrollers),
# so momentum scrolling inside a list shows up in the signature. Idempotent.
SCROLL_COUNTER_JS = """
(() => { if (window.__aaScrolls === undefined) { window.__aaScrolls = 0;
  window.addEventListener('scroll', () => { window.__aaScrolls++; }, {capture: true, passive: true}); } })();
"""

# A timer longer than this is a reminder or a poll's pause, not an action's result, and an
# animation with more than this left (or with no end: a spinner) is not waited for either.
SHORT_TIMER_MS = 2000
# Timers and animations hold settling at most this long after the action began (or the page
# did, or its tap or click came, or a key was last pressed): a page that keeps starting new ones
# cannot hold it for good.
ACTIVITY_HOLD_MS = 3000

# A request older than this no longer holds settling (a long poll, a stuck image): the
# page is judged by its signature from then on.
LONG_REQUEST_S = 2.0

# Tracks the page's pending short timers, and answers ``busy()``: how many timers and finite
# animations it still has running that an action may be waiting on. A timer is the page's own
# background work, never waited for, when it was pending as the action began (``begin()``), when
# a background timer's or an interval's callback set it (a clock, a ticker), or when it calls a
# function set before the action began from no input event's handler (a poll that asks the
# server and then sets itself again). A timer an input event's handler sets is the action's
# doing even for a function set before: a debounce reuses its function. An interval is
# background work too (a clock), except one that an input event's handler or the action's own
# timer set: that is an animation's frame loop (jQuery 1.x and 2.x animate a height on a 13 ms
# interval), waited for while it runs, for at most SHORT after it was set (a stopwatch the
# action started ticks on as background work). It also answers
# ``changes()``: how many DOM changes anything but a background callback has made, so that a
# clock's tick between two looks does not count as the page still changing. ``busy()`` also
# counts the fetch() and XMLHttpRequest calls made since the action began until their reply's
# headers come (for at most LONG): the browser reports a request to Playwright on a path of its
# own, so a look can come back before the request that a timer has just sent is in flight as
# NetworkTracker sees it, and settling would end with the request still to be judged (by the
# network guard, in a later phase of the run). Idempotent.
ACTIVITY_JS = """
(() => {
  if (window.__aaActivity) return;
  const SHORT = %(short)d, HOLD = %(hold)d, LONG = %(long)d;
  const INPUT = new Set(['keydown', 'keyup', 'keypress', 'beforeinput', 'input', 'change', 'compositionend',
    'click', 'dblclick', 'contextmenu', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'touchstart',
    'touchend', 'submit', 'focus', 'blur', 'focusin', 'focusout']);
  const setT = window.setTimeout, clearT = window.clearTimeout;
  const setI = window.setInterval, clearI = window.clearInterval;
  const pending = new Map();  // timer id -> {fn, background}
  const ticking = new Map();  // the action's interval id -> {until: when it becomes background work}
  const born = new WeakMap();  // function -> the action (generation) that first set a timer for it
  let generation = 0, since = performance.now(), background = false, acting = false, changes = 0;
  const observer = new MutationObserver(records => { changes += records.length; });
  observer.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
  const run = (inBackground, fn, self, args) => {
    const outer = background, own = inBackground && !outer;
    if (own) changes += observer.takeRecords().length;  // made before this callback: counted
    background = inBackground;
    try { return fn.apply(self, args); } finally {
      if (own) observer.takeRecords();  // the background callback's own changes (a clock's tick): dropped
      background = outer;
    }
  };
  const fromInput = () => { const e = window.event; return !!(e && e.isTrusted && INPUT.has(e.type)); };
  window.setTimeout = function (fn, ms, ...args) {
    if (typeof fn !== 'function' || (Number(ms) || 0) > SHORT) return setT.apply(window, arguments);
    if (!born.has(fn)) born.set(fn, generation);
    const timer = {fn, background: background || (born.get(fn) < generation && !fromInput())};
    const id = setT.call(window, function (...a) {
      pending.delete(id);
      const outer = acting;
      acting = !timer.background;
      try { return run(timer.background, fn, this, a); } finally { acting = outer; }
    }, ms, ...args);
    pending.set(id, timer);
    return id;
  };
  window.setInterval = function (fn, ...rest) {
    if (typeof fn !== 'function') return setI.apply(window, arguments);
    const timer = {until: !background && (acting || fromInput()) ? performance.now() + SHORT : 0};
    const id = setI.call(window, function (...a) {
      const mine = performance.now() < timer.until;
      if (!mine) ticking.delete(id);
      return run(!mine, fn, this, a);
    }, ...rest);
    if (timer.until) ticking.set(id, timer);
    return id;
  };
  // Either clears either kind of timer.
  const cleared = id => { pending.delete(id); ticking.delete(id); };
  window.clearTimeout = function (id) { cleared(id); return clearT.apply(window, arguments); };
  window.clearInterval = function (id) { cleared(id); return clearI.apply(window, arguments); };
  // The page's requests since the action began that have no reply's headers yet (see above).
  const requests = new Map();  // token -> when it was sent
  let tokens = 0;
  const sent = () => {
    const token = ++tokens;
    requests.set(token, performance.now());
    return () => { requests.delete(token); };
  };
  const fetchF = window.fetch;
  if (typeof fetchF === 'function') window.fetch = function () {
    const done = sent();
    try {
      return fetchF.apply(this, arguments).then(r => { done(); return r; }, e => { done(); throw e; });
    } catch (e) { done(); throw e; }
  };
  const xhr = window.XMLHttpRequest && window.XMLHttpRequest.prototype, sendX = xhr && xhr.send;
  if (typeof sendX === 'function') xhr.send = function () {
    const done = sent(), answered = () => { if (this.readyState >= 2) done(); };
    this.addEventListener('readystatechange', answered);
    this.addEventListener('loadend', done);
    try { return sendX.apply(this, arguments); } catch (e) { done(); throw e; } finally { answered(); }
  };
  for (const type of ['keydown', 'input'])
    window.addEventListener(type, () => { since = performance.now(); }, {capture: true, passive: true});
  // A busy machine can deliver a tap a second or more after begin(): the hold counts from when it came.
  for (const type of ['pointerdown', 'pointerup', 'click'])
    window.addEventListener(type, e => { if (e.isTrusted) since = performance.now(); }, {capture: true, passive: true});
  const begin = () => {
    generation++;
    since = performance.now();
    for (const timer of pending.values()) timer.background = true;
    for (const timer of ticking.values()) timer.until = 0;
    ticking.clear();
    requests.clear();  // in flight before the action: NetworkTracker does not wait for them either
  };
  const busy = () => {
    let n = 0;
    for (const at of requests.values()) if (performance.now() - at < LONG) n++;
    if (performance.now() - since > HOLD) return n;
    for (const timer of pending.values()) if (!timer.background) n++;
    const now = performance.now();
    for (const timer of ticking.values()) if (now < timer.until) n++;
    try {
      for (const a of document.getAnimations()) {
        if (a.playState !== 'running' || !a.effect || a.timeline !== document.timeline) continue;
        const t = a.effect.getComputedTiming();
        if ((t.endTime - (t.localTime || 0)) / Math.abs(a.playbackRate || 1) <= SHORT) n++;
      }
    } catch (e) {}
    return n;
  };
  const changed = () => (changes += observer.takeRecords().length);
  Object.defineProperty(window, '__aaActivity', {value: Object.freeze({begin, busy, changed})});
})();
""" % {"short": SHORT_TIMER_MS, "hold": ACTIVITY_HOLD_MS, "long": LONG_REQUEST_S * 1000}

# An action begins: the timers pending now are the page's, not the action's doing.
BEGIN_ACTIVITY_JS = "window.__aaActivity && window.__aaActivity.begin()"

LOOK_JS = """
() => {
  const b = document.body;
  const text = b ? b.innerText : "";
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  const activity = window.__aaActivity;
  return {loading: document.readyState === "loading", busy: activity ? activity.busy() : 0,
          changes: activity ? activity.changed() : null, content: [b ? b.innerHTML.length : 0, h],
          where: [location.href, performance.timeOrigin, Math.round(window.scrollX), Math.round(window.scrollY),
                  window.__aaScrolls || 0, !!document.querySelector('[aria-busy="true"]')]};
}
"""


class PageLook(NamedTuple):
    """One look at the page: which document it is and where it is scrolled (``where``), what it
    shows (``content``), how many DOM changes other than background work's it has had
    (``changes``; None where ``ACTIVITY_JS`` did not run), whether it is still loading, and how
    many short timers and finite animations it still has running."""

    where: tuple[Any, ...]
    content: tuple[Any, ...]
    changes: int | None
    loading: bool
    busy: int

    @classmethod
    def read(cls, raw: dict[str, Any]) -> PageLook:
        changes = raw["changes"]
        return cls(tuple(raw["where"]), tuple(raw["content"]), None if changes is None else int(changes),
                   bool(raw["loading"]), int(raw["busy"]))

    def unchanged_since(self, earlier: PageLook) -> bool:
        """The same document at the same place, showing the same, or changed only by background
        work (a clock, a ticker: not waited for, so not a sign that the page is still changing)."""
        return self.where == earlier.where and (
            self.content == earlier.content or (self.changes is not None and self.changes == earlier.changes))


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


def wait_settled(look: Callable[[], PageLook | None], inflight: Callable[[], int], pump: Callable[[float], None],
                 timeout: float, poll: float = 0.05) -> bool:
    """True once two consecutive looks show the same page, loaded, with nothing pending and no
    request in flight; False at ``timeout``.

    ``look`` returns None while the page cannot be read (mid-navigation). ``pump``
    waits a little while letting the browser deliver events.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    previous: PageLook | None = None
    while True:
        current = look() if inflight() == 0 else None
        if current is not None and previous is not None and not current.loading and current.busy == 0 \
                and current.unchanged_since(previous) and inflight() == 0:
            return True
        previous = current
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        pump(min(poll, left))
