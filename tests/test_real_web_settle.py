"""Settling on pages that never go quiet: a request that never ends (a stuck image, a long
poll) or a reply whose body is never read does not make every action wait the whole settle
timeout, while a page that is really still loading is still waited for."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from autoagent.actuators.browser import BrowserDevice
from autoagent.actuators.browser_settle import ACTIVITY_HOLD_MS, SHORT_TIMER_MS, PageLook
from autoagent.perception.dom import find_node
from emulator.web import DemoSite, serve_demo_site

VIEWPORTS = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])

NEVER_QUIET = """<!doctype html><meta name=viewport content='width=device-width'>
<img src='/api/hang?ms=20000' alt='stuck picture' width=40 height=40>
<button id=go style='width:200px;height:50px' onclick="document.getElementById('out').textContent = 'pressed'">Go</button>
<p id=out></p>
<script>
  fetch('/api/hang?ms=20000');  // a long poll
  fetch('/api/hang?ms=20000&headers=1');  // a reply whose body never comes (and is never read)
</script>
"""


@pytest.fixture
def site() -> Iterator[DemoSite]:
    with serve_demo_site(seed=0) as s:
        yield s


@VIEWPORTS
def test_a_request_that_never_ends_does_not_hold_every_action(browser: Browser, site: DemoSite,
                                                              mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        dev.page.route(site.url + "/lab", lambda route: route.fulfill(body=NEVER_QUIET, content_type="text/html"))
        dev.goto(site.url + "/lab")
        dev.wait_until_settled(5)
        for _ in range(2):
            go = find_node(dev.observe().tree.nodes, resource_id="go")
            dev.tap(*go.center)
            started = time.monotonic()
            assert dev.wait_until_settled(5)
            assert time.monotonic() - started < 1.5
            assert dev.page.evaluate("document.getElementById('out').textContent") == "pressed"


@VIEWPORTS
def test_a_request_the_action_started_is_still_waited_for(browser: Browser, site: DemoSite, mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert dev.wait_until_settled(5)
        dev.page.route(site.url + "/lab", lambda route: route.fulfill(body=NEVER_QUIET, content_type="text/html"))
        dev.goto(site.url + "/lab")
        dev.wait_until_settled(5)
        # The slow page's data comes 1.2 s after it loads: settling waits for it.
        dev.goto(site.url + "/slow?ms=1200")
        started = time.monotonic()
        assert dev.wait_until_settled(6)
        assert time.monotonic() - started > 1.0
        assert "数据加载完成" in dev.observe().hierarchy


# Suggestions that a debounced timer shows 600 ms after the last keystroke. Like common debounce
# helpers, every keystroke sets a timer for the same function.
SUGGESTIONS = """<!doctype html><meta name=viewport content='width=device-width'>
<input id=q style='width:300px;height:40px' autocomplete=off>
<ul id=list></ul>
<script>
  let timer, query = '';
  function suggest() {
    document.getElementById('list').innerHTML = ['phone', 'phone case'].map(s => `<li>${query} ${s}</li>`).join('');
  }
  document.getElementById('q').addEventListener('input', e => {
    query = e.target.value;
    clearTimeout(timer);
    timer = setTimeout(suggest, 600);
  });
</script>
"""

# A note that fades in over one second once the button is pressed.
FADE_IN = """<!doctype html><meta name=viewport content='width=device-width'>
<style>#note { opacity: 0; transition: opacity 1s linear } #note.shown { opacity: 1 }</style>
<button id=go style='width:200px;height:50px' onclick="document.getElementById('note').classList.add('shown')">Save</button>
<p id=note>Saved</p>
"""

# A page that is never still but has nothing left to show: a spinner that turns for ever and a
# clock that ticks every second.
SPINNER_AND_CLOCK = """<!doctype html><meta name=viewport content='width=device-width'>
<style>@keyframes turn { to { transform: rotate(360deg) } }
  #spin { width: 30px; height: 30px; border: 4px solid #888; border-top-color: transparent;
          border-radius: 50%; animation: turn 0.8s linear infinite }</style>
<div id=spin></div><p id=clock>0</p>
<button id=go style='width:200px;height:50px' onclick="document.getElementById('out').textContent = 'pressed'">Go</button>
<p id=out></p>
<script>
  let ticks = 0;
  setInterval(() => { document.getElementById('clock').textContent = ++ticks; }, 1000);
</script>
"""

# A stopwatch that shows hundredths of a second: its interval changes the text far more often
# than settling can look at the page (and any clock does, on a busy machine where one look takes
# a second), so no two looks match, yet the page has nothing left to show.
STOPWATCH = """<!doctype html><meta name=viewport content='width=device-width'>
<p id=watch>0.00</p>
<button id=go style='width:200px;height:50px' onclick="document.getElementById('out').textContent = 'pressed'">Go</button>
<p id=out></p>
<script>
  const start = performance.now();
  setInterval(() => {
    document.getElementById('watch').textContent = ((performance.now() - start) / 1000).toFixed(2);
  }, 10);
</script>
"""


# A collapsible section that slides open the way jQuery 1.x animates (an accordion): the click
# shows the section at height 0, then a 13 ms interval grows it over 400 ms. Until it ends, the
# section's text is cut off.
SLIDE_OPEN = """<!doctype html><meta name=viewport content='width=device-width'>
<h3 id=go style='width:200px;height:50px;margin:0;background:#07f;color:#fff'>Section #4</h3>
<div id=body style='display:none;overflow:hidden'>Lorem ipsum dolor sit amet</div>
<script>
  document.getElementById('go').addEventListener('click', () => {
    const body = document.getElementById('body');
    body.style.height = '0px';
    body.style.display = 'block';
    const full = body.scrollHeight, start = performance.now();
    const id = setInterval(() => {
      const t = Math.min(1, (performance.now() - start) / 400);
      body.style.height = full * t + 'px';
      if (t >= 1) { clearInterval(id); body.style.height = ''; }
    }, 13);
  });
</script>
"""

# A button that starts a stopwatch: an interval that ticks for as long as the page is open.
START_STOPWATCH = """<!doctype html><meta name=viewport content='width=device-width'>
<button id=go style='width:200px;height:50px' onclick="start()">Start</button>
<p id=watch>0.00</p>
<script>
  function start() {
    const began = performance.now();
    setInterval(() => {
      document.getElementById('watch').textContent = ((performance.now() - began) / 1000).toFixed(2);
    }, 10);
  }
</script>
"""


# Loops made of short timers that the page runs for as long as it is open: a ticker whose
# timer sets the next one (a new function each time), and a poll that asks the server and,
# once answered, sets a timer for the next ask.
TIMER_LOOPS = """<!doctype html><meta name=viewport content='width=device-width'>
<p id=ticker>0</p><p id=polls>0</p>
<button id=go style='width:200px;height:50px' onclick="document.getElementById('out').textContent = 'pressed'">Go</button>
<p id=out></p>
<script>
  let ticks = 0, polls = 0;
  function tick() { document.getElementById('ticker').textContent = ++ticks; setTimeout(() => tick(), 500); }
  function poll() {
    fetch('/api/slow-data?ms=30').then(r => r.json()).then(() => {
      document.getElementById('polls').textContent = ++polls;
      setTimeout(poll, 700);
    });
  }
  tick();
  poll();
</script>
"""


# A button that starts a loop of short timers that never ends, a new function each time.
ENDLESS_TIMERS = """<!doctype html><meta name=viewport content='width=device-width'>
<button id=go style='width:200px;height:50px' onclick="step()">Go</button>
<p id=out>0</p>
<script>
  let n = 0;
  function step() { document.getElementById('out').textContent = ++n; setTimeout(() => step(), 300); }
</script>
"""


def _open_lab(dev: BrowserDevice, site: DemoSite, page: str) -> None:
    dev.page.route(site.url + "/lab", lambda route: route.fulfill(body=page, content_type="text/html"))
    dev.goto(site.url + "/lab")


@VIEWPORTS
def test_suggestions_a_debounced_timer_shows_are_waited_for(browser: Browser, site: DemoSite, mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        _open_lab(dev, site, SUGGESTIONS)
        assert dev.wait_until_settled(5)
        dev.tap(*find_node(dev.observe().tree.nodes, resource_id="q").center)
        assert dev.wait_until_settled(5)
        for query in ("ip", "mac"):  # the second time, the page's function was set before
            dev.type_text(query)
            started = time.monotonic()
            assert dev.wait_until_settled(5)
            assert time.monotonic() - started > 0.3  # the timer's 600 ms, less the typing's own time
            assert dev.page.evaluate("[...document.querySelectorAll('#list li')].map(li => li.textContent)") == \
                [f"{query} phone", f"{query} phone case"]


def _seconds_to_settle_after_go(dev: BrowserDevice, site: DemoSite, page: str, limit: float) -> float:
    """Open ``page`` in the lab, tap its "go" button and return how long settling took after it."""
    _open_lab(dev, site, page)
    assert dev.wait_until_settled(5)
    dev.tap(*find_node(dev.observe().tree.nodes, resource_id="go").center)
    started = time.monotonic()
    assert dev.wait_until_settled(limit)
    return time.monotonic() - started


@VIEWPORTS
def test_a_fade_in_is_waited_for_until_it_ends(browser: Browser, site: DemoSite, mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert _seconds_to_settle_after_go(dev, site, FADE_IN, 5) > 0.8
        assert dev.page.evaluate("getComputedStyle(document.getElementById('note')).opacity") == "1"


@VIEWPORTS
def test_an_animation_an_interval_drives_is_waited_for_until_it_ends(browser: Browser, site: DemoSite,
                                                                     mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert _seconds_to_settle_after_go(dev, site, SLIDE_OPEN, 5) > 0.25
        assert dev.page.evaluate("document.getElementById('body').style.height") == ""  # the slide ended


@VIEWPORTS
def test_an_interval_an_action_starts_holds_settling_only_a_bounded_while(browser: Browser, site: DemoSite,
                                                                          mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        assert _seconds_to_settle_after_go(dev, site, START_STOPWATCH, 10) < SHORT_TIMER_MS / 1000 + 1.5
        assert dev.page.evaluate("document.getElementById('watch').textContent") != "0.00"


def _settles_within(dev: BrowserDevice, seconds: float) -> None:
    started = time.monotonic()
    assert dev.wait_until_settled(5)
    assert time.monotonic() - started < seconds


def _each_tap_settles_within(dev: BrowserDevice, seconds: float, taps: int) -> None:
    """Taps the lab page's button ``taps`` times; each settles in time and the page saw the press."""
    go = find_node(dev.observe().tree.nodes, resource_id="go")
    for _ in range(taps):
        dev.tap(*go.center)
        _settles_within(dev, seconds)
        assert dev.page.evaluate("document.getElementById('out').textContent") == "pressed"


@VIEWPORTS
@pytest.mark.parametrize("page", ["SPINNER_AND_CLOCK", "STOPWATCH"], ids=["spinner-and-clock", "stopwatch"])
def test_a_spinner_or_a_clock_that_changes_the_page_between_looks_does_not_hold_settling(
        browser: Browser, site: DemoSite, mobile: bool, page: str) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        _open_lab(dev, site, globals()[page])
        _settles_within(dev, 1.5)
        _each_tap_settles_within(dev, 1.5, taps=2)


@VIEWPORTS
def test_timer_loops_the_page_was_running_do_not_hold_an_action(browser: Browser, site: DemoSite,
                                                                mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        _open_lab(dev, site, TIMER_LOOPS)
        _settles_within(dev, 4.5)  # a new page's loops are its own: waited for a bounded while
        _each_tap_settles_within(dev, 1.5, taps=3)


@VIEWPORTS
def test_timers_an_action_keeps_setting_hold_settling_only_a_bounded_while(browser: Browser, site: DemoSite,
                                                                            mobile: bool) -> None:
    with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
        _open_lab(dev, site, ENDLESS_TIMERS)
        assert dev.wait_until_settled(5)
        dev.tap(*find_node(dev.observe().tree.nodes, resource_id="go").center)
        started = time.monotonic()
        assert dev.wait_until_settled(10)
        assert 2.0 < time.monotonic() - started < ACTIVITY_HOLD_MS / 1000 + 1.5


@VIEWPORTS
def test_a_page_left_while_it_loaded_does_not_hold_settling(browser: Browser, site: DemoSite, mobile: bool) -> None:
    # Chromium often never says that the left page's request ended: it must not count as in flight.
    for _ in range(4):
        with BrowserDevice.attach(browser, site.url + "/shop", mobile=mobile) as dev:
            dev.goto(site.url + "/hotel")
            started = time.monotonic()
            assert dev.wait_until_settled(5)
            assert time.monotonic() - started < 2.0


def test_only_background_changes_or_none_count_as_unchanged() -> None:
    where = ("http://127.0.0.1/lab", 1.5, 0, 0, 0, False)
    before = PageLook(where, (120, 7), 4, False, 0)
    assert PageLook(where, (121, 8), 4, False, 0).unchanged_since(before)  # a clock's tick
    assert not PageLook(where, (121, 8), 5, False, 0).unchanged_since(before)  # the page's own change
    assert PageLook(where, (120, 7), 9, False, 0).unchanged_since(before)  # changed and changed back
    assert not PageLook((*where[:4], 1, False), (120, 7), 4, False, 0).unchanged_since(before)  # scrolled
    # A page the activity script did not reach (opened before the device) is judged by what it shows.
    unknown = PageLook(where, (120, 7), None, False, 0)
    assert unknown.unchanged_since(unknown) and not PageLook(where, (121, 8), None, False, 0).unchanged_since(unknown)
