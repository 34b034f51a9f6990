"""A browser as an autoagent device, driven by Playwright's sync API.

Pixels here are screenshot pixels (device pixels: CSS pixels times the device scale
factor), the same pixels the hierarchy's bounds use. They become CSS pixels only at the
moment an input event is sent.

Three ways in:

* :meth:`BrowserDevice.start` starts a local Chromium (the system one by default);
* :meth:`BrowserDevice.connect` reaches a running browser, through its DevTools endpoint
  (``http://host:9222`` or ``ws://.../devtools/browser/...``) or a Playwright browser
  server (``ws://host:port/...``), so a team can point the agent at a browser farm;
* :meth:`BrowserDevice.attach` opens a fresh context on a ``Browser`` the caller already
  holds (tests share one browser per module this way).
"""

from __future__ import annotations

import io
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Dialog, Download, FileChooser, Frame, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from autoagent.actuators.browser_dialogs import OpenDialog, dialog_tree, draw_dialog, part_at
from autoagent.actuators.browser_gate import RequestGate
from autoagent.actuators.browser_interrupt import Interrupter
from autoagent.actuators.browser_notices import draw_notices, human_size, with_notices
from autoagent.actuators.browser_runtime import (
    Protocol,
    first_line,
    acquire_playwright,
    connect_browser,
    context_options,
    launch_chromium,
    release_playwright,
)
from autoagent.actuators.browser_dates import DATE_TYPES, input_value
from autoagent.actuators.browser_select import OPEN_SELECT_JS
from autoagent.actuators.browser_settle import (
    ACTIVITY_JS,
    BEGIN_ACTIVITY_JS,
    LOOK_JS,
    SCROLL_COUNTER_JS,
    NetworkTracker,
    PageLook,
    wait_settled,
)
from autoagent.actuators.browser_touch import TapSpacer, swipe_path
from autoagent.actuators.browser_typing import FOCUSED_KIND_JS, SELECT_ALL_JS, SET_VALUE_JS, TEXT_TYPES
from autoagent.actuators.execute import replaces_text
from autoagent.device import DeviceError, DeviceLost, UnknownApp
from autoagent.perception.dom import CLOSED_ROOTS_JS, MAX_FRAME_DEPTH, collect, dom_tree
from autoagent.perception.observation import Observation, Pointer
from autoagent.perception.tree import ScreenTree
from autoagent.perception.request import OutgoingRequest

T = TypeVar("T")

DESKTOP_VIEWPORT = (1280, 800)
WHEEL_START_TIMEOUT_MS = 500
SCREENSHOT_RETRY_S = 3.0
# Settling starts again after a person answered about a held request (their minutes are not
# the page's), at most this many times in one wait.
RESETTLES_AFTER_HELD = 3
PHONE_VIEWPORT = (390, 844)
# A page's dialog nobody answers for this long is answered Cancel (OK for an alert) at the next
# look or action: a person's minutes over a payment fit in it, a forgotten dialog does not stay.
DIALOG_TIMEOUT_S = 600.0

# Sites ``launch`` knows by name (the browser's "apps"). Callers add their own.
DEFAULT_SITES: dict[str, str] = {
    "baidu": "https://www.baidu.com", "百度": "https://www.baidu.com",
    "bing": "https://www.bing.com", "google": "https://www.google.com",
    "taobao": "https://www.taobao.com", "淘宝": "https://www.taobao.com",
    "jd": "https://www.jd.com", "京东": "https://www.jd.com",
    "ctrip": "https://www.ctrip.com", "携程": "https://www.ctrip.com",
    "bilibili": "https://www.bilibili.com", "哔哩哔哩": "https://www.bilibili.com",
    "github": "https://github.com", "wikipedia": "https://www.wikipedia.org",
}

_HOSTLIKE = re.compile(r"^(localhost|[\w-]+(\.[\w-]+)+)(:\d+)?(/.*)?$", re.IGNORECASE)


def _site_key(name: str) -> str:
    return name.strip().casefold()


class BrowserDevice:
    """One browser tab (it follows popups) behind the :class:`autoagent.device.Device` protocol."""

    name = "browser"

    def __init__(self, context: BrowserContext, *, start_url: str | None = None,
                 sites: Mapping[str, str] | None = None, mobile: bool = False,
                 nav_timeout: float = 30.0, swipe_mode: str = "wheel",
                 on_close: Callable[[], None] | None = None, page: Page | None = None,
                 hidpi_screenshots: bool = False, download_dir: str | Path | None = None,
                 dialog_timeout: float = DIALOG_TIMEOUT_S) -> None:
        self.context = context
        self.browser: Browser | None = context.browser
        self.start_url = start_url
        self.mobile = mobile
        self.nav_timeout = nav_timeout
        if swipe_mode not in ("wheel", "drag"):
            raise ValueError(f"swipe_mode must be 'wheel' or 'drag', got {swipe_mode!r}")
        self.swipe_mode = swipe_mode
        # False: screenshots in CSS pixels (fast). True: in device pixels
        # (sharper on a scaled phone viewport, several times slower).
        self.hidpi_screenshots = hidpi_screenshots
        self.sites = {_site_key(k): v for k, v in {**DEFAULT_SITES, **(sites or {})}.items()}
        self._named_sites = dict(sites or {})
        self._on_close = on_close
        self._lost: str | None = None
        self._closed = False
        self._size: tuple[int, int] | None = None
        self._cdp: dict[int, Any] = {}
        self.held_s = 0.0  # time requests spent waiting on the judge, people's answers included
        # Where downloads are saved (a temporary folder of its own unless given), and what the
        # browser has to tell the model until the next action (see browser_notices).
        self.download_dir = Path(download_dir) if download_dir is not None else None
        self.notices: list[str] = []
        self._downloads: list[Download] = []
        self._watched: list[Page] = []
        self.network = NetworkTracker()
        self._taps = TapSpacer()  # phone taps less than a double-tap window apart would merge
        # A page's alert, confirm or prompt waiting for the model's answer (see _on_dialog), and
        # the last screenshot, which the dialog is drawn over.
        self.dialog_timeout = dialog_timeout
        self._dialog: OpenDialog | None = None
        # When the dialog the last observation showed opened (its identity without holding it).
        self._shown_dialog: float | None = None
        self._interrupter = Interrupter()
        self._last_image: Image.Image | None = None
        self.network.attach(context)
        context.set_default_timeout(nav_timeout * 1000)
        context.add_init_script(SCROLL_COUNTER_JS)
        context.add_init_script(CLOSED_ROOTS_JS)
        context.add_init_script(ACTIVITY_JS)
        context.on("page", self._adopt)
        if self.browser is not None:
            self.browser.on("disconnected", self._on_disconnected)
        # start, attach and connect open a context of their own, so the init scripts above come
        # before any document. A context handed in with pages already open (a CDP browser's
        # default context) runs them from each page's next navigation on; until then closed shadow
        # roots are caught only from now on (roots attached earlier stay out of the hierarchy).
        for existing in context.pages:
            _remember_closed_roots(existing)
        self._gate, self._no_gate = _open_gate(context)
        # Documents loaded before the gate opened cannot be guarded (see guard_requests) until their
        # page navigates.
        self._ungated = list(context.pages)
        for existing in self._ungated:
            existing.on("framenavigated", self._navigated)
        self.page = page or (context.pages[-1] if context.pages else context.new_page())
        self._watch(self.page)
        if start_url:
            self._goto(start_url)

    # ---- opening -------------------------------------------------------------------------

    @classmethod
    def attach(cls, browser: Browser, start_url: str | None = None, *, viewport: tuple[int, int] | None = None,
               mobile: bool = False, scale: float | None = None, locale: str | None = None,
               on_close: Callable[[], None] | None = None, **kwargs: Any) -> BrowserDevice:
        """A device on a new, isolated context of ``browser``; closing it closes only that context."""
        viewport = viewport or (PHONE_VIEWPORT if mobile else DESKTOP_VIEWPORT)
        try:
            context = browser.new_context(**context_options(viewport, mobile, scale, browser.version, locale))
        except PlaywrightError as err:
            raise DeviceLost(f"could not open a browser context: {first_line(err)}") from None
        try:
            return cls(context, start_url=start_url, mobile=mobile, on_close=on_close, **kwargs)
        except BaseException:
            _quietly(context.close)
            raise

    @classmethod
    def start(cls, start_url: str | None = None, viewport: tuple[int, int] | None = None, mobile: bool = False,
               headless: bool = True, executable: str | Path | None = None, *, args: tuple[str, ...] = (),
               **kwargs: Any) -> BrowserDevice:
        """Start a local Chromium (the system one unless ``executable`` is given) and open ``start_url``."""
        return cls._open(lambda pw: launch_chromium(pw, headless=headless, executable=executable, args=args),
                         start_url, viewport, mobile, kwargs)

    @classmethod
    def connect(cls, endpoint: str, start_url: str | None = None, viewport: tuple[int, int] | None = None,
                mobile: bool = False, *, protocol: Protocol = "auto", timeout: float = 30.0,
                **kwargs: Any) -> BrowserDevice:
        """Use a running browser: a DevTools endpoint (CDP) or a Playwright browser server.

        The device works in its own new context, so it neither sees nor disturbs the
        tabs already open there; closing the device disconnects without closing the browser.
        """
        # For CDP, closing the device only disconnects: the remote browser keeps running.
        return cls._open(lambda pw: connect_browser(pw, endpoint, protocol, timeout), start_url, viewport, mobile,
                         kwargs)

    @classmethod
    def _open(cls, get_browser: Callable[[Any], Browser], start_url: str | None,
              viewport: tuple[int, int] | None, mobile: bool, options: dict[str, Any]) -> BrowserDevice:
        """Get a browser from the shared Playwright, and give it back if anything fails."""
        pw = acquire_playwright()
        try:
            browser = get_browser(pw)
        except BaseException:
            release_playwright()
            raise

        def shut() -> None:
            _quietly(browser.close)
            release_playwright()

        try:
            return cls.attach(browser, start_url, viewport=viewport, mobile=mobile, on_close=shut, **options)
        except BaseException:
            shut()
            raise

    # ---- life and death ------------------------------------------------------------------

    def _mark_lost(self, reason: str) -> None:
        if self._lost is None and not self._closed:
            self._lost = reason

    def _watch(self, page: Page) -> None:
        # The first page is both adopted (the context's "page" event) and watched on opening.
        if page in self._watched:
            return
        self._watched.append(page)
        page.on("crash", lambda _p: self._mark_lost("the page crashed (the browser tab died)"))
        page.on("close", self._page_closed)
        page.on("download", self._downloaded)
        page.on("dialog", self._on_dialog)
        page.on("filechooser", self._on_file_chooser)

    def _on_dialog(self, dialog: Dialog) -> None:
        """A page's alert, confirm or prompt: it waits for the model's answer.

        While it is open the page's renderer is stopped, so the Playwright call in progress (the
        touch that opened it, a look at the page) would wait for ever: the interrupter ends that
        call, and until the dialog is answered the screen is the dialog (browser_dialogs). Leaving
        a page (beforeunload) is what the action that navigated asked for: it is accepted. A
        dialog of a tab the model is not looking at gets the answer that does nothing
        irreversible (OK for an alert, Cancel for a question), and the model is told.
        """
        if dialog.type == "beforeunload":
            _quietly(dialog.accept)
            return
        if self._closed or dialog.page is not self.page or self._dialog is not None:
            try:
                dialog.accept() if dialog.type == "alert" else dialog.dismiss()
            except PlaywrightError:
                return  # the page went away with its dialog
            answer = "OK" if dialog.type == "alert" else "Cancel"
            self.notices.append(f"{OpenDialog.of(dialog, '').describe()} on another tab (answered {answer})")
            return
        self._dialog = OpenDialog.of(dialog, _origin(dialog.page.url))
        self._interrupter.interrupt(self.page)

    def _answer_dialog(self, accept: bool) -> None:
        """Answer the open dialog: OK (with the prompt's text) or Cancel."""
        pending, self._dialog = self._dialog, None  # a dialog the answer leads to is the next one
        if pending is None:
            return

        def answer() -> None:
            if not accept:
                pending.dialog.dismiss()
            elif pending.kind == "prompt":
                pending.dialog.accept(pending.text)
            else:
                pending.dialog.accept()

        self._interruptible("answering the page's dialog", answer)

    def _dialog_expired(self) -> bool:
        """Answer Cancel to a dialog open longer than ``dialog_timeout``; True when it did."""
        pending = self._dialog
        if pending is None or time.monotonic() - pending.opened < self.dialog_timeout:
            return False
        self._answer_dialog(False)
        answer = "OK" if pending.kind == "alert" else "Cancel"
        self.notices.append(f"{pending.describe()} had no answer for {self.dialog_timeout:.0f} s and was "
                            f"answered {answer}")
        return True

    def _dialog_takes(self, x: float | None = None, y: float | None = None) -> bool:
        """Whether an open dialog takes this touch (at ``x, y``) instead of the page: OK and Cancel
        answer it, its field is focused already, and the page behind it takes nothing. A dialog
        that timed out takes the action too: it was aimed at the dialog, not at what lies below."""
        pending = self._dialog
        if pending is None:
            return False
        if self._dialog_expired():
            self.notices.append("The action was not carried out: it was meant for that dialog")
            return True
        if pending.opened != self._shown_dialog:
            # The touch was aimed at the page: OK on a dialog nobody has seen (nor the guard judged)
            # must not be pressed by it.
            self.notices.append(f"{pending.describe()} opened before this action; it was not carried out")
            return True
        part = part_at(pending, self.screen_size(), x, y) if x is not None and y is not None else None
        if part in ("ok", "cancel"):
            self._answer_dialog(part == "ok")
        elif part is None:
            self.notices.append(f"{pending.describe()} is still open: nothing behind it can be touched "
                                f"until it is answered ({' or '.join(pending.buttons)})")
        return True

    def _interruptible(self, what: str, fn: Callable[[], T]) -> T | None:
        """``fn()``, or None when a dialog opened meanwhile (then ``self._dialog`` is set)."""
        with self._op(what):
            return self._interrupter.run(self.page, fn)[1]
        raise AssertionError("unreachable")  # pragma: no cover

    def _on_file_chooser(self, chooser: FileChooser) -> None:
        """A tap opened a file picker: which file of the person's to upload is theirs to choose,
        so the model is told to hand this step over (Take_over) rather than guess."""
        label = chooser.element.evaluate(
            "e => (e.labels && e.labels[0] && e.labels[0].innerText) || e.getAttribute('aria-label') || e.name || ''")
        what = f" for {' '.join(str(label).split())[:60]!r}" if label else ""
        self.notices.append(f"The page asks for a file to upload{what}. Choosing one of the user's files is for "
                            "the user: ask them to take over (Take_over) to pick it.")

    def _downloaded(self, download: Download) -> None:
        self._downloads.append(download)  # saved at the next look at the screen

    def _adopt(self, page: Page) -> None:
        # A popup or target=_blank link: the user would now be looking at the new tab.
        self._watch(page)
        self.page = page
        self._size = None

    def _page_closed(self, page: Page) -> None:
        if self._dialog is not None and self._dialog.dialog.page is page:
            self._dialog = None  # closed with its page
        if page is not self.page or self._closed:
            return
        remaining = [p for p in self.context.pages if not p.is_closed()]
        if remaining:
            self.page = remaining[-1]
            self._size = None
        else:
            self._mark_lost("the browser tab was closed")

    def _lost_reason(self, err: BaseException) -> str | None:
        if self._lost:
            return self._lost
        if self.browser is not None and not self.browser.is_connected():
            return "the browser disconnected (closed or crashed)"
        message = str(err).lower()
        if "crash" in message:
            return "the page crashed (the browser tab died)"
        if self.page.is_closed() or "has been closed" in message or "connection closed" in message \
                or "target closed" in message:
            return "the browser or its tab was closed"
        return None

    @contextmanager
    def _op(self, what: str) -> Iterator[None]:
        """Turn Playwright's errors into the device's: DeviceLost when the browser is gone."""
        if self._closed:
            raise DeviceLost("the browser device was closed")
        if self._lost:
            raise DeviceLost(self._lost)
        try:
            yield
        except PlaywrightTimeout as err:
            lost = self._lost_reason(err)
            if lost:
                raise DeviceLost(lost) from None
            raise DeviceError(f"{what} timed out: {first_line(err)}") from None
        except PlaywrightError as err:
            lost = self._lost_reason(err)
            if lost:
                self._lost = lost
                raise DeviceLost(lost) from None
            raise DeviceError(f"{what} failed: {first_line(err)}") from None

    def _run(self, what: str, fn: Callable[[], T]) -> T:
        with self._op(what):
            return fn()
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._dialog is not None:
            # The page hears Cancel, not the browser going away: nothing it asked about goes ahead.
            _quietly(self._dialog.dialog.dismiss)
            self._dialog = None
        if self.browser is not None:
            # Devices come and go on one shared browser: each takes its listener with it.
            _quietly(lambda: self.browser.remove_listener("disconnected", self._on_disconnected))
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.seal()
        _quietly(self.context.close)
        if gate is not None:
            gate.close()
        if self._on_close:
            self._on_close()

    def _on_disconnected(self, _browser: Browser) -> None:
        self._mark_lost("the browser disconnected (closed or crashed)")

    def __enter__(self) -> BrowserDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- seeing ----------------------------------------------------------------------------

    def _cdp_session(self) -> Any:
        key = id(self.page)
        if key not in self._cdp:
            self._cdp = {key: self.context.new_cdp_session(self.page)}
        return self._cdp[key]

    def _screenshot(self) -> Image.Image:
        # caret="initial": keep the text cursor, as a phone's screenshot would. Playwright's
        # own call (not a raw DevTools one) so a crashed tab fails fast instead of hanging.
        scale = "device" if self.hidpi_screenshots else "css"
        deadline = time.monotonic() + SCREENSHOT_RETRY_S
        while True:
            try:
                return _decode(self.page.screenshot(type="png", scale=scale, caret="initial"))
            except PlaywrightError as err:
                # Between a navigation's commit and the first paint there is no frame to
                # capture yet; that passes within a few frames.
                if "unable to capture" not in str(err).lower() or time.monotonic() > deadline:
                    raise
                self.page.wait_for_timeout(50)

    def screenshot(self) -> Image.Image:
        image = None if self._dialog is not None else self._interruptible("screenshot", self._screenshot)
        if image is None:  # a dialog is open: the page cannot be captured
            return self._dialog_observation().screenshot
        self._size = image.size
        self._last_image = image
        return image

    def screen_size(self) -> tuple[int, int]:
        """Screenshot size in pixels; known from the viewport, without taking one."""
        if self._size is None:
            if self.hidpi_screenshots and self._dialog is None:
                self.screenshot()
            if self._size is None:
                self._size = self._last_image.size if self._last_image is not None else self._viewport()
        assert self._size is not None
        return self._size

    def screen_tree(self) -> ScreenTree:
        """The page's nodes without a screenshot (the guard's re-check right before acting)."""
        size = self.screen_size()
        snapshot = None if self._dialog is not None else \
            self._interruptible("reading the page", lambda: collect(self.page))
        # A dialog that opened as the read finished is the screen now, even if the read got through.
        if snapshot is None or self._dialog is not None:
            return self._dialog_observation().tree
        app = self.app_of(snapshot.url)
        return with_notices(dom_tree(snapshot, size, package=app), self.notices, size, app)

    def observe(self) -> Observation:
        def both() -> tuple[Image.Image, Any, str]:
            image = self._screenshot()
            return image, collect(self.page), self.page.url

        self._save_downloads()
        if self._dialog is not None and not self._dialog_expired():
            return self._dialog_observation()
        got = self._interruptible("observing the page", both)
        if got is None or self._dialog is not None:  # a dialog opened while the page was being read
            return self._dialog_observation()
        image, snapshot, url = got
        self._size = image.size
        self._last_image = image
        app = self.app_of(url)
        tree = with_notices(dom_tree(snapshot, image.size, package=app), self.notices, image.size, app)
        return Observation(screenshot=draw_notices(image, self.notices), tree=tree, app=app,
                           pointer=self._pointer(image.size))

    def _dialog_observation(self) -> Observation:
        """The open dialog over the last screenshot (the page cannot be captured behind it)."""
        assert self._dialog is not None
        self._shown_dialog = self._dialog.opened
        size = self.screen_size()
        image = self._last_image if self._last_image is not None and self._last_image.size == size \
            else Image.new("RGB", size, "white")
        app = self.app_of(self.page.url)
        tree = with_notices(dialog_tree(self._dialog, size, app), self.notices, size, app)
        return Observation(screenshot=draw_notices(draw_dialog(image, self._dialog), self.notices), tree=tree,
                           app=app, pointer=self._pointer(size))

    def _pointer(self, size: tuple[int, int]) -> Pointer:
        # A phone viewport is touched by a finger, a desktop one clicked by a mouse; a CSS pixel of
        # the window is the density-independent pixel either way.
        return Pointer("finger" if self.mobile else "mouse", size[0] / self._viewport()[0])

    def app_of(self, url: str) -> str:
        """The "app" a URL belongs to: a named site it lives under, else its host."""
        for name, base in self._named_sites.items():
            if url.startswith(base.rstrip("/")):
                return name
        parts = urlsplit(url)
        return parts.hostname or parts.scheme or url

    @property
    def url(self) -> str:
        return self.page.url

    # ---- acting ----------------------------------------------------------------------------

    def _css(self, x: float, y: float) -> tuple[float, float]:
        """Screenshot pixels -> the page's CSS pixels, the space of mouse and touch input."""
        width, height = self.screen_size()
        vw, vh = self._layout_viewport()
        return x * vw / width, y * vh / height

    def _layout_viewport(self) -> tuple[float, float]:
        # innerWidth, not the configured viewport: a phone lays a page without <meta
        # name="viewport"> out 980 CSS px wide and zooms it out to fit. The hierarchy is scaled
        # by the same numbers (perception.dom), so a tap lands where the model saw the node.
        w, h = self._run("reading the viewport", lambda: self.page.evaluate("[innerWidth, innerHeight]"))
        return float(w), float(h)

    def _viewport(self) -> tuple[int, int]:
        """The window's size in CSS pixels: what a screenshot at CSS scale measures."""
        size = self.page.viewport_size
        if size:
            return size["width"], size["height"]
        w, h = self._run("reading the viewport", lambda: self.page.evaluate("[innerWidth, innerHeight]"))
        return int(w), int(h)

    def _touch_ready(self) -> None:
        # Raw DevTools calls never return from a crashed tab; a Playwright call first fails
        # fast there and delivers any pending crash event.
        self.page.evaluate("0")

    def _touch(self, kind: str, points: list[tuple[float, float]], at: float | None = None) -> None:
        """One touch event; ``at`` (seconds since the epoch) is when the finger was there, which
        Chromium's gesture detector measures the finger's speed by (default: when it arrives)."""
        event: dict[str, Any] = {"type": kind, "touchPoints": [{"x": x, "y": y, "id": 1} for x, y in points]}
        if at is not None:
            event["timestamp"] = at
        self._cdp_session().send("Input.dispatchTouchEvent", event)

    def _begin_action(self) -> None:
        """What the browser had to say (notices) was about the screen before this action, and
        the requests in flight and timers pending now are not its doing (settling does not wait
        for them)."""
        self.notices.clear()
        self.network.begin()
        if self._dialog is not None:
            return  # the page waits for the dialog's answer: it can be asked nothing now
        try:
            # A dialog that opens right now (a timer's alert) must not hold this call for ever.
            self._interrupter.run(self.page, lambda: self.page.evaluate(BEGIN_ACTIVITY_JS))
        except PlaywrightError:
            pass  # mid-navigation: the next document's timers are all its own; a lost browser shows in the action

    def pause(self, seconds: float) -> None:
        self._begin_action()
        self._interruptible("waiting", lambda: self.page.wait_for_timeout(max(0.0, seconds) * 1000))

    def tap(self, x: int, y: int) -> None:
        self._begin_action()
        if self._dialog_takes(x, y):
            return

        def act() -> None:
            cx, cy = self._css(x, y)
            if self.page.evaluate(OPEN_SELECT_JS, [cx, cy]):
                return  # a <select>: its options are now a list on the page (a list box's option: toggled)
            if self.mobile:
                self._single_tap(x, y, cx, cy)
            else:
                self.page.mouse.click(cx, cy)

        self._interruptible("tap", act)

    def _single_tap(self, x: int, y: int, cx: float, cy: float) -> None:
        """A touch tap that Chromium cannot merge with the previous one into a double tap."""
        dx, dy = self._viewport_px(x, y)
        wait = self._taps.wait_needed(dx, dy)
        if wait > 0:
            self.page.wait_for_timeout(wait * 1000)
        self.page.touchscreen.tap(cx, cy)
        self._taps.lifted(dx, dy)

    def _viewport_px(self, x: float, y: float) -> tuple[float, float]:
        """Screenshot pixels -> the window's pixels (what the gesture detector measures)."""
        width, height = self.screen_size()
        vw, vh = self._viewport()
        return x * vw / width, y * vh / height

    def double_tap(self, x: int, y: int) -> None:
        self._begin_action()
        if self._dialog_takes(x, y):  # the first of the two taps answers it
            return

        def act() -> None:
            cx, cy = self._css(x, y)
            if self.mobile:
                self._single_tap(x, y, cx, cy)  # the first tap must not merge with an earlier one
                self.page.touchscreen.tap(cx, cy)
                self._taps.lifted(*self._viewport_px(x, y))
            else:
                self.page.mouse.dblclick(cx, cy)

        self._interruptible("double tap", act)

    def long_press(self, x: int, y: int, seconds: float = 0.8) -> None:
        self._begin_action()
        if self._dialog_takes():  # a held finger clicks no button
            return
        hold = max(0.0, seconds) * 1000

        def act() -> None:
            cx, cy = self._css(x, y)
            if self.mobile:
                self._touch_ready()
                self._touch("touchStart", [(cx, cy)])
                self.page.wait_for_timeout(hold)  # the hold is the gesture itself
                self._touch("touchEnd", [])
                self._taps.lifted(*self._viewport_px(x, y))  # a quick tap here could still pair with it
            else:
                self.page.mouse.move(cx, cy)
                self.page.mouse.down()
                self.page.wait_for_timeout(hold)
                self.page.mouse.up()

        self._interruptible("long press", act)

    def swipe(self, x1: int, y1: int, x2: int, y2: int, seconds: float = 0.3) -> None:
        """A finger moving from (x1,y1) to (x2,y2): content follows it, so an upward swipe
        scrolls the page down, as on a phone."""
        self._begin_action()
        if self._dialog_takes():
            return
        steps = max(5, min(20, int(seconds * 30)))  # each touch event is a DevTools round trip
        self._interruptible("swipe", lambda: self._swipe(self._css(x1, y1), self._css(x2, y2), steps, seconds))

    def _swipe(self, a: tuple[float, float], b: tuple[float, float], steps: int, seconds: float) -> None:
        (ax, ay), (bx, by) = a, b
        if self.mobile:
            self._touch_ready()
            # The browser's clock is this machine's (a remote browser's is assumed in step with it):
            # each sample is stamped with when the finger is there and sent no earlier.
            seconds = max(0.0, seconds)
            down, began = time.time(), time.monotonic()
            self._touch("touchStart", [(ax, ay)], down)
            for at, x, y in swipe_path(a, b, steps, seconds):
                ahead = at - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)
                self._touch("touchMove", [(x, y)], down + at)
            self._touch("touchEnd", [], down + seconds)  # lifted while still moving: it flings
            self._taps.forget()  # a finger that moved is no tap: the next tap is on its own
        elif self.swipe_mode == "drag":
            self.page.mouse.move(ax, ay)
            self.page.mouse.down()
            self.page.mouse.move(bx, by, steps=steps)
            self.page.mouse.up()
        else:
            # The wheel scrolls whatever is under the pointer, like the finger would.
            before = self.page.evaluate("window.__aaScrolls || 0")
            self.page.mouse.move(ax, ay)
            self.page.mouse.wheel(ax - bx, ay - by)
            # The wheel scrolls asynchronously; without this a busy machine could look
            # "settled" before the scroll even began. Nothing scrollable: the bound ends it.
            try:
                self.page.wait_for_function("n => (window.__aaScrolls || 0) !== n", arg=before,
                                            timeout=WHEEL_START_TIMEOUT_MS)
            except PlaywrightTimeout:
                pass

    def type_text(self, text: str) -> None:
        """Replace the focused field's text with ``text`` (AutoGLM's Type), in any script (Chinese
        included); every newline presses Enter, and newlines alone only press Enter. A date or
        time input takes the date or time the text names ("2025-06-20", "06/20/2025",
        "2025年6月20日", "14:30"). While a prompt() is open, its field takes the text (one line:
        Enter does not answer it; OK does)."""
        self._begin_action()
        pending = self._dialog
        if pending is None:
            self._interruptible("typing", lambda: self._type(text))
        elif not self._dialog_expired():
            if pending.kind == "prompt":
                pending.text = "".join(text.splitlines())
            else:
                self.notices.append(f"{pending.describe()} has no field to type into: answer it "
                                    f"({' or '.join(pending.buttons)})")

    def _type(self, text: str) -> None:
        frame, kind = self._focused_field()
        lines = text.split("\n")
        if kind in DATE_TYPES and (value := input_value(kind, lines[0])) is not None:
            frame.evaluate(SET_VALUE_JS, value)
            lines[0] = ""
        elif kind in TEXT_TYPES and replaces_text(text):
            held = frame.evaluate(SELECT_ALL_JS)
            if held and not lines[0]:
                self.page.keyboard.press("Delete")  # an empty Type clears the field
        # Every newline is an Enter key, as on a phone; the text between is typed.
        for index, line in enumerate(lines):
            if index:
                self.page.keyboard.press("Enter")
            if line.isascii():
                self.page.keyboard.type(line)  # real key events, for pages that listen to keys
            elif line:
                self.page.keyboard.insert_text(line)  # what an IME commits

    def _focused_field(self) -> tuple[Any, str | None]:
        """The frame holding the focused element, and the kind of field it is (None: no field)."""
        frame = self.page.main_frame
        for _ in range(MAX_FRAME_DEPTH + 1):
            kind = frame.evaluate(FOCUSED_KIND_JS)
            if kind != "frame":
                return frame, kind
            inner = next((c for c in frame.child_frames if _has_focus(c)), None)
            if inner is None:
                return frame, None
            frame = inner
        return frame, None

    def back(self) -> None:
        self._begin_action()
        if self._dialog is not None:
            self._answer_dialog(False)  # back cancels a dialog, as on a phone
            return

        def act() -> None:
            response_or_none = self.page.go_back(wait_until="commit", timeout=self.nav_timeout * 1000)
            if response_or_none is None and self.page.evaluate("history.length") <= 1 \
                    and self.page.opener() is not None:
                # A popup with no history: back closes it, like Android's back on a fresh tab.
                self.page.close()

        self._interruptible("going back", act)

    def home(self) -> None:
        if not self.start_url:
            raise DeviceError("this browser device has no start page: pass start_url when opening it")
        self._goto(self.start_url)

    def resolve_site(self, app: str) -> str:
        """The URL ``launch`` would open for ``app``. Raises :class:`UnknownApp`."""
        name = app.strip()
        if "://" in name or name.startswith("about:"):
            return name
        known = self.sites.get(_site_key(name))
        if known:
            return known
        if _HOSTLIKE.match(name):
            scheme = "http" if name.startswith(("localhost", "127.")) else "https"
            return f"{scheme}://{name}"
        names = ", ".join(sorted(self._named_sites) or sorted(self.sites))
        raise UnknownApp(f"no site named {app!r} (known: {names}); pass a URL such as https://example.com")

    def launch(self, app: str) -> None:
        """Open a named site or a URL."""
        self._goto(self.resolve_site(app))

    def goto(self, url: str) -> None:
        self._goto(url)

    def _goto(self, url: str) -> None:
        self._begin_action()
        if self._dialog is not None:
            self._answer_dialog(False)  # going elsewhere leaves the question unanswered: Cancel

        def act() -> None:
            try:
                self.page.goto(url, wait_until="commit", timeout=self.nav_timeout * 1000)
            except PlaywrightError as err:
                # A URL that is a file: the browser downloads it and stays on its page, and the
                # model hears what came (a notice), instead of the run ending on an error.
                if "download is starting" not in str(err).lower():
                    raise
                if self._downloads:
                    return
                # The event is on its way (_downloaded keeps it). A loaded machine has been seen
                # to take over 5 s to report it, so it gets the navigation's own time, and a
                # browser that never reports it costs the model a notice, not the run.
                try:
                    self.page.wait_for_event("download", timeout=self.nav_timeout * 1000)
                except PlaywrightTimeout:
                    self.notices.append(f"A download of {url[:120]} started, but the browser did "
                                        f"not report it within {self.nav_timeout:g} s")

        self._interruptible(f"opening {url}", act)
        self._save_downloads()

    def _save_downloads(self) -> None:
        """Keep every finished download in ``download_dir`` and tell the model about it."""
        while self._downloads:
            download = self._downloads.pop(0)
            with self._op("downloading"):
                failure = download.failure()
                if failure:
                    self.notices.append(f"Download of {download.url[:120]} failed: {failure}")
                    continue
                if self.download_dir is None:
                    self.download_dir = Path(tempfile.mkdtemp(prefix="autoagent-downloads-"))
                self.download_dir.mkdir(parents=True, exist_ok=True)
                target = _free_name(self.download_dir, download.suggested_filename or "download")
                download.save_as(target)
            self.notices.append(f"Downloaded {target.name} ({human_size(target.stat().st_size)}) "
                                f"to {target}")

    # ---- guarding requests ------------------------------------------------------------------

    def guard_requests(self, judge: Callable[[OutgoingRequest], bool] | None) -> None:
        """Judge every request of the context (popups, workers and service workers included)
        with ``judge`` before it leaves; None lets them all go again.

        The judging happens at the browser target (see browser_gate), after Playwright's own
        handling, so no request reaches the network unjudged. Playwright's sync API hands a paused
        request over on this thread, inside whichever Playwright call is in progress (a settle's
        wait, an observation): that is where ``judge`` runs and may block while a person answers,
        from this thread (a terminal) or another (a web page's queue). Between calls, requests
        wait in the browser; with no judge they do not stop at all (a WebSocket's messages still
        pass through this thread, see browser_gate).
        """
        with self._op("guarding requests"):
            if judge is not None:
                if self._gate is None:
                    raise DeviceError(f"this browser's requests cannot be guarded: {self._no_gate}")
                if any(not p.is_closed() for p in self._ungated):
                    raise DeviceError("a page was open before the device and has not loaded a page since: its "
                                      "requests cannot be guarded (open pages through the device, or navigate)")
            if self._gate is not None:
                self._gate.guard(None if judge is None else lambda req: self._timed(judge, req))

    def _navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self._ungated = [p for p in self._ungated if p is not frame.page]

    def _timed(self, judge: Callable[[OutgoingRequest], bool], request: OutgoingRequest) -> bool:
        t = time.monotonic()
        try:
            return judge(request)
        finally:
            self.held_s += time.monotonic() - t

    # ---- waiting ---------------------------------------------------------------------------

    def _look(self) -> PageLook | None:
        try:
            return PageLook.read(self.page.evaluate(LOOK_JS))
        except PlaywrightError as err:
            if self._lost_reason(err):
                raise
            return None  # mid-navigation: the old document is gone, the new one not ready

    def wait_until_settled(self, timeout: float) -> bool:
        """Wait until no request is in flight, no short timer or finite animation is running, and
        the page is unchanged across two looks. An open dialog is a still screen: the page behind
        it does nothing until it is answered."""
        if self._dialog is not None:
            return True

        def settle() -> bool:
            for _ in range(RESETTLES_AFTER_HELD):
                held = self.held_s
                settled = wait_settled(self._look, lambda: self.network.inflight,
                                       lambda s: self.page.wait_for_timeout(s * 1000), timeout)
                # A request held for a person's answer (seconds) used up the page's time.
                if settled or self.held_s - held < 0.2 * timeout:
                    return settled
            return settled

        settled = self._interruptible("waiting for the page", settle)
        return True if self._dialog is not None else bool(settled)


def _origin(url: str) -> str:
    """Who a dialog says it comes from, as Chrome titles it ("example.com says")."""
    parts = urlsplit(url)
    return parts.netloc or "This page"


def _open_gate(context: BrowserContext) -> tuple[RequestGate | None, str]:
    """The context's request gate, or why there is none (then requests cannot be guarded)."""
    if context.browser is None:
        return None, "a persistent context has no browser session to intercept from"
    try:
        return RequestGate(context.browser, context), ""
    except PlaywrightError as err:
        return None, first_line(err)


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2)``... when a file of that name is already there."""
    name = Path(name).name or "download"  # a server's suggested name never leaves the folder
    target, stem, suffix = folder / name, Path(name).stem, Path(name).suffix
    n = 2
    while target.exists():
        target, n = folder / f"{stem} ({n}){suffix}", n + 1
    return target


def _remember_closed_roots(page: Page) -> None:
    """Catch the closed shadow roots a page already open attaches from now on."""
    for frame in page.frames:
        try:
            frame.evaluate(CLOSED_ROOTS_JS)
        except PlaywrightError:
            pass  # a frame navigating or going away: its next document gets the init script


def _has_focus(frame: Any) -> bool:
    try:
        return bool(frame.evaluate("document.hasFocus()"))
    except PlaywrightError:
        return False  # a frame going away holds no focus


def _decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB") if image.mode != "RGB" else image


def _quietly(fn: Callable[[], object]) -> None:
    try:
        fn()
    except Exception:
        pass  # closing something already gone
