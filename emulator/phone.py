"""The virtual phone: windows, input dispatch, clock-driven loads, frame cache, payments log."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image
from pydantic import BaseModel

from autoagent.actuators.execute import replaces_text
from autoagent.device import DeviceError, UnknownApp
from autoagent.perception.observation import Observation
from autoagent.perception.tree import TOAST_CLASS, ScreenTree, UINode
from autoagent.touch import Gesture, NodeIdentity, TouchCheck, check_touch
from emulator import theme
from emulator.apps.base import App
from emulator.apps.launcher import LAUNCHER, Launcher
from emulator.models import InputEvent, Payment
from emulator.render import render
from emulator.widgets import UI, Field, Node
from emulator.xmldump import hit_test, screen_tree

HAZARDS = frozenset({"ads", "permissions", "slow", "errors"})  # what ``hazards=True`` turns on
# Travel and Restaurant fill in the party size of an earlier booking (1, 3 or 4) instead of 2, as apps that remember
# do. Named only, never part of ``True``: it changes which way a stepper must go, not how the screen misbehaves.
REMEMBERED = "remembered"
KNOWN_HAZARDS = HAZARDS | {REMEMBERED}
KEYS = ("back", "home", "enter", "delete", "recent")
SYSTEMUI = "com.android.systemui"
IME = "com.autoagent.ime"
TOAST_SECONDS = 2.5
KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _app_classes() -> list[type[App]]:
    from emulator.apps.contacts import Contacts
    from emulator.apps.messages import Messages
    from emulator.apps.restaurant import Restaurant
    from emulator.apps.settings import Settings
    from emulator.apps.shop import Shop
    from emulator.apps.travel import Travel
    return [Shop, Travel, Restaurant, Settings, Contacts, Messages]


def normalize_hazards(hazards: bool | set[str] | frozenset[str] | list[str] | tuple[str, ...]) -> frozenset[str]:
    if hazards is True:
        return HAZARDS
    if hazards is False or hazards is None:
        return frozenset()
    chosen = frozenset(hazards)
    unknown = chosen - KNOWN_HAZARDS
    if unknown:
        raise ValueError(f"unknown hazard(s) {sorted(unknown)}; choose from {sorted(KNOWN_HAZARDS)}")
    return chosen


@dataclass
class _Frame:
    key: tuple[Any, ...]
    windows: list[Node]
    fields: dict[str, Field]
    focused: Field | None
    dialog_default: Callable[[], None] | None
    phase: float
    image: Image.Image | None = None
    xml: str | None = None
    tree: ScreenTree | None = None


class Phone:
    """An in-process Android phone (1080x2400) that implements autoagent's Device protocol.

    See the package docstring for the full API.
    """

    name = "emulator"

    def __init__(self, seed: int = 0, hazards: bool | set[str] = False,
                 clock: Callable[[], float] = time.monotonic, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.hazards = normalize_hazards(hazards)
        self.clock = clock
        self._sleep = sleep
        self._hazard_rng = random.Random(f"hazards:{seed}")
        self._failed_once: set[tuple[str, str]] = set()
        self.payments: list[Payment] = []
        self.events: list[InputEvent] = []
        self.permissions: dict[tuple[str, str], bool] = {}
        self.ad_clicks: list[str] = []
        self.recents: list[str] = []
        self._timers: list[float] = []
        self._toast: tuple[str, float] | None = None
        self._version = 0
        self._frame_cache: _Frame | None = None
        self._event: InputEvent | None = None
        self.launcher = Launcher(self, seed)
        self.apps: dict[str, App] = {LAUNCHER: self.launcher}
        for cls in _app_classes():
            app = cls(self, seed)
            self.apps[app.package] = app
        self.foreground: App = self.launcher
        self.closed = False

    # ------------------------------------------------------------------ clock and hazards
    def now(self) -> float:
        return self.clock()

    def pause(self, seconds: float) -> None:
        """Let ``seconds`` pass on the phone's clock: loads finish and timers fire meanwhile."""
        self._sleep(max(0.0, seconds))
        with self.lock:
            self._tick()

    def schedule(self, delay: float) -> float:
        """Register a moment the screen will change by itself; returns it."""
        end = self.now() + delay
        if delay > 0:
            self._timers.append(end)
        return end

    def hazard_on(self, name: str) -> bool:
        return name in self.hazards

    def hazard_delay(self) -> float:
        if "slow" not in self.hazards:
            return 0.0
        return round(self._hazard_rng.uniform(1.0, 3.0), 2)

    def hazard_error(self, package: str, kind: str) -> bool:
        # The first load of each kind in each app fails once; Retry then works.
        if "errors" not in self.hazards or (package, kind) in self._failed_once:
            return False
        self._failed_once.add((package, kind))
        return True

    def _tick(self) -> None:
        now = self.now()
        due = [t for t in self._timers if t <= now]
        if due:
            self._timers = [t for t in self._timers if t > now]
            self._version += 1
        if self._toast and self._toast[1] <= now:
            self._toast = None
            self._version += 1

    def busy(self) -> bool:
        """True while the foreground app shows a loading spinner."""
        with self.lock:
            self._tick()
            return self.foreground.loading()

    def toast(self, text: str) -> None:
        self._toast = (text, self.now() + TOAST_SECONDS)

    # ------------------------------------------------------------------ frames
    def invalidate(self) -> None:
        """Drop the cached frame (call after changing app state directly)."""
        with self.lock:
            self._version += 1

    def _frame(self) -> _Frame:
        self._tick()
        app = self.foreground
        phase = 0.0
        if app.loading():
            # The spinner turns: eight positions a second.
            phase = int(self.now() * 8) / 8
        key = (self._version, phase)
        if self._frame_cache is not None and self._frame_cache.key == key:
            return self._frame_cache
        frame = self._build(key, phase)
        self._frame_cache = frame
        return frame

    def _build(self, key: tuple[Any, ...], phase: float) -> _Frame:
        app = self.foreground
        typing = app.focus is not None and not app.dialogs
        bottom = theme.HEIGHT - theme.NAV_BAR - (theme.KEYBOARD if typing else 0)
        ui = UI(app, (0, theme.STATUS_BAR, theme.WIDTH, bottom))
        app.build(ui)
        window = ui.finish()
        focused = ui.fields.get(app.focus or "")
        if app.focus and focused is None:
            # The focused field is gone from the screen (navigated away): drop the keyboard.
            app.set_focus(None)
            return self._build(key, phase)
        windows = [self._status_bar(), window]
        if focused is not None and typing:
            windows.append(self._keyboard(bottom))
        windows.append(self._nav_bar())
        dialog = app.dialog_window()
        default = app.dialogs[0].default if app.dialogs else None
        if dialog is not None:
            windows.append(dialog)
        if self._toast:
            windows.append(self._toast_window(self._toast[0]))
        return _Frame(key, windows, ui.fields, focused if typing else None, default, phase)

    def _status_bar(self) -> Node:
        bar = Node((0, 0, theme.WIDTH, theme.STATUS_BAR), package=SYSTEMUI, rid="status_bar", bg=theme.STATUS_BG)
        bar.add(Node((40, 0, 300, theme.STATUS_BAR), cls="android.widget.TextView", rid="clock", text="9:41",
                     size=36, fg="#FFFFFF"))
        bar.add(Node((820, 0, 1000, theme.STATUS_BAR), cls="android.widget.ImageView", rid="system_icons",
                     desc="Wi-Fi, battery 100%", icon="status", icon_color="#FFFFFF"))
        return bar

    def _nav_bar(self) -> Node:
        top = theme.HEIGHT - theme.NAV_BAR
        bar = Node((0, top, theme.WIDTH, theme.HEIGHT), package=SYSTEMUI, rid="navigation_bar", bg=theme.NAV_BG)
        for i, (rid, desc, icon, handler) in enumerate((
            ("back", "Back 返回", "back", self.go_back),
            ("home", "Home 主屏幕", "home", self.go_home),
            ("recent_apps", "Overview 最近使用", "recent", self.show_recents),
        )):
            left = 90 + i * 330
            bar.add(Node((left, top, left + 240, theme.HEIGHT), cls="android.widget.ImageView", rid=rid, desc=desc,
                         clickable=True, focusable=True, icon=icon, icon_color="#FFFFFF", on_tap=handler))
        return bar

    def _keyboard(self, top: int) -> Node:
        board = Node((0, top, theme.WIDTH, top + theme.KEYBOARD), package=IME, rid="keyboard", bg=theme.KEYBOARD_BG)
        key_h, gap = 150, 20
        y = top + 20
        for r, row in enumerate(KEY_ROWS):
            width = 98
            left = (theme.WIDTH - len(row) * (width + 8)) // 2
            if r == 2:
                left = 160
            for ch in row:
                board.add(self._key((left, y, left + width, y + key_h), ch, ch, lambda c=ch: self._type_into(c)))
                left += width + 8
            if r == 2:
                board.add(self._key((theme.WIDTH - 170, y, theme.WIDTH - 20, y + key_h), "⌫", "key_backspace",
                                    lambda: self._key_delete(), desc="Backspace 退格"))
            y += key_h + gap
        board.add(self._key((20, y, 240, y + key_h), "?123", "key_symbols", None))
        board.add(self._key((250, y, 770, y + key_h), "space 空格", "key_space", lambda: self._type_into(" ")))
        board.add(self._key((780, y, 1060, y + key_h), "Enter 确定", "key_enter", lambda: self._key_enter(),
                            bg=theme.PRIMARY, fg="#FFFFFF"))
        return board

    @staticmethod
    def _key(bounds: tuple[int, int, int, int], text: str, rid: str, handler: Callable[[], None] | None,
             desc: str = "", bg: str = theme.KEY_BG, fg: str = theme.TEXT) -> Node:
        return Node(bounds, cls="android.widget.Button", package=IME, text=text, rid=rid if len(rid) > 1 else f"key_{rid}",
                    desc=desc, clickable=handler is not None, enabled=handler is not None, bg=bg, fg=fg,
                    radius=16, size=44 if len(text) == 1 else 36, align="center", on_tap=handler)

    def _toast_window(self, text: str) -> Node:
        from emulator.render import text_width
        width = min(theme.WIDTH - 80, int(text_width(text, 38)) + 100)
        left = (theme.WIDTH - width) // 2
        top = theme.HEIGHT - theme.NAV_BAR - 300
        return Node((left, top, left + width, top + 110), cls=TOAST_CLASS, package=self.foreground.package,
                    text=text, rid="toast", bg=theme.TOAST_BG, fg="#FFFFFF", radius=55, size=38, align="center")

    # ------------------------------------------------------------------ Device protocol
    def screen_size(self) -> tuple[int, int]:
        return theme.WIDTH, theme.HEIGHT

    def observe(self) -> Observation:
        with self.lock:
            # The tree straight from the widgets: nothing on this path parses XML.
            return Observation(screenshot=self.screenshot(), tree=self.screen_tree(), app=self.current_package())

    def tap(self, x: int, y: int) -> None:
        with self.lock:
            self._check_point(x, y, "tap")
            self._dispatch(InputEvent(kind="tap", x=int(x), y=int(y)), lambda: self._tap(int(x), int(y)))

    def double_tap(self, x: int, y: int) -> None:
        with self.lock:
            self._check_point(x, y, "double-tap")
            event = InputEvent(kind="double_tap", x=int(x), y=int(y))
            self._dispatch(event, lambda: (self._tap(int(x), int(y)), self._tap(int(x), int(y))))

    def long_press(self, x: int, y: int, seconds: float = 0.8) -> None:
        with self.lock:
            self._check_point(x, y, "long-press")
            self._dispatch(InputEvent(kind="long_press", x=int(x), y=int(y)),
                           lambda: self._long_press(int(x), int(y)))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, seconds: float = 0.3) -> None:
        with self.lock:
            self._check_point(x1, y1, "swipe start")
            self._check_point(x2, y2, "swipe end")
            event = InputEvent(kind="swipe", x=int(x1), y=int(y1), detail=f"to {int(x2)},{int(y2)}")
            self._dispatch(event, lambda: self._swipe(int(x1), int(y1), int(x2), int(y2)))

    def type_text(self, text: str) -> None:
        """Replace the focused field's text with ``text`` (AutoGLM's Type); every newline presses
        Enter. Newlines alone only press Enter (see ``replaces_text``)."""
        with self.lock:
            if replaces_text(text):
                self.clear_text()
            parts = text.split("\n")
            for i, part in enumerate(parts):
                if part:
                    self.input_text(part)
                if i < len(parts) - 1:
                    self.press_key("enter")

    def back(self) -> None:
        self.press_key("back")

    def home(self) -> None:
        self.press_key("home")

    def launch(self, app: str) -> None:
        with self.lock:
            target = self.resolve_app(app)
            self._dispatch(InputEvent(kind="launch", detail=target.package), lambda: self.open_app(target))

    def wait_until_settled(self, timeout: float) -> bool:
        """Return True as soon as nothing is loading; sleep only until the known end of a load."""
        deadline = self.now() + max(0.0, timeout)
        while True:
            with self.lock:
                self._tick()
                if not self.foreground.loading():
                    return True
                now = self.now()
                pending = [t for t in self._timers if t > now]
            if now >= deadline:
                return False
            wake = min([deadline] + pending)
            self._sleep(max(0.0, wake - now))
            if self.now() <= now:
                # The injected clock did not move while we slept: waiting longer cannot help.
                return not self.busy()

    def close(self) -> None:
        with self.lock:
            self.closed = True

    def touch_if_unchanged(self, gesture: Gesture, expected: NodeIdentity | None) -> TouchCheck:
        """Touch only if the node under the finger is ``expected``, as one operation: the check
        and the touch read one frame under the phone's lock, with no clock tick between them,
        so a timer or a load that comes due cannot swap the control after the check."""
        with self.lock:
            x, y = gesture.x, gesture.y
            self._check_point(x, y, gesture.kind.replace("_", "-"))
            if gesture.to is not None:
                self._check_point(*gesture.to, "swipe end")
            frame = self._frame()  # the last tick before the touch
            check = check_touch(self._tree(frame), x, y, expected).model_copy(update={"atomic": True})
            if not check.touched:
                return check
            event, handler = self._gesture_input(gesture, frame)
            self._dispatch(event, handler, tick=False)
            return check

    def force_stop(self, package: str) -> bool:
        """Kill an app as ``am force-stop`` does: its screens, dialogs and focus are gone, so it
        starts on its first screen when launched again; what it saved (cart, orders, settings)
        stays. An app in front gives way to the launcher. False when no such app (or the launcher)."""
        with self.lock:
            app = self.apps.get(package)
            if app is None or app is self.launcher:
                return False
            if self.foreground is app:
                self.go_home()
            app.stack.clear()
            app.dialogs.clear()
            self._version += 1
            return True

    def _gesture_input(self, gesture: Gesture, frame: _Frame) -> tuple[InputEvent, Callable[[], object]]:
        """The input a checked gesture makes, landing on ``frame`` (the one it was checked on)."""
        x, y = gesture.x, gesture.y
        if gesture.kind == "tap":
            return InputEvent(kind="tap", x=x, y=y), lambda: self._tap(x, y, frame)
        if gesture.kind == "double_tap":
            # The second tap lands on whatever the first one brought up, as on a phone.
            return InputEvent(kind="double_tap", x=x, y=y), lambda: (self._tap(x, y, frame), self._tap(x, y))
        if gesture.kind == "long_press":
            return InputEvent(kind="long_press", x=x, y=y), lambda: self._long_press(x, y, frame)
        x2, y2 = gesture.to or (x, y)
        return (InputEvent(kind="swipe", x=x, y=y, detail=f"to {x2},{y2}"),
                lambda: self._swipe(x, y, x2, y2, frame))

    # ------------------------------------------------------------------ extras for the wire server
    def screenshot(self) -> Image.Image:
        with self.lock:
            frame = self._frame()
            if frame.image is None:
                frame.image = render(frame.windows, phase=frame.phase)
            # A copy, so a caller drawing on it cannot corrupt the cached frame.
            return frame.image.copy()

    def screen_tree(self) -> ScreenTree:
        """The current screen's nodes, as an observation carries them."""
        with self.lock:
            return self._tree(self._frame())

    @staticmethod
    def _tree(frame: _Frame) -> ScreenTree:
        if frame.tree is None:
            frame.tree = screen_tree(frame.windows)
        return frame.tree

    def hierarchy_xml(self) -> str:
        with self.lock:
            frame = self._frame()
            if frame.xml is None:
                frame.xml = self.screen_tree().to_xml()
            return frame.xml

    def current_package(self) -> str:
        with self.lock:
            return self.foreground.package

    def current_activity(self) -> str:
        with self.lock:
            app = self.foreground
            name = "".join(part.capitalize() for part in app.top.name.split("_"))
            return f"{app.package}.{name}Activity"

    def packages(self) -> list[str]:
        return list(self.apps)

    def press_key(self, name: str) -> None:
        with self.lock:
            key = name.strip().lower()
            if key not in KEYS:
                raise DeviceError(f"unknown key {name!r}; the emulator knows: {', '.join(KEYS)}")
            handler = {"back": self.go_back, "home": self.go_home, "enter": self._key_enter,
                       "delete": self._key_delete, "recent": self.show_recents}[key]
            self._dispatch(InputEvent(kind="key", key=key), handler)

    def clear_text(self) -> None:
        with self.lock:
            field_ = self._frame().focused
            if field_ is not None:
                self._dispatch(InputEvent(kind="key", key="clear"), lambda: field_.set(""))

    def input_text(self, text: str) -> None:
        """Append text to the focused field (no Enter). With no field focused it goes nowhere, as on a phone."""
        with self.lock:
            self._dispatch(InputEvent(kind="text", detail=text), lambda: self._type_into(text))

    def set_field_text(self, rid: str, text: str, focus: bool = True) -> bool:
        """Replace the text of the field ``rid`` on screen (and give it input focus if ``focus``).

        This is what an accessibility ACTION_SET_TEXT (uiautomator's setText) does: the text goes
        into that node, not to whatever had focus, and no tap handler runs, so a search bar that
        opens a search page when tapped keeps the text set on it. False if no such field is on screen.
        """
        with self.lock:
            field_ = self._frame().fields.get(rid)
            if field_ is None:
                return False

            def apply() -> None:
                if focus:
                    self.foreground.set_focus(rid)
                field_.set(text)

            self._dispatch(InputEvent(kind="text", detail=text), apply)
            return True

    def pinch(self, x: int, y: int, start_span: int, end_span: int) -> None:
        """A two-finger horizontal pinch centred on (x, y): the fingers start ``start_span`` pixels
        apart and end ``end_span`` apart (closer: pinch in; further: pinch out).

        No app on this phone zooms, so the gesture changes nothing on screen, as a pinch over a view
        without zoom does on any phone; it is still received and recorded as an input.
        """
        with self.lock:
            self._check_point(x, y, "pinch")
            detail = f"span {int(start_span)} to {int(end_span)}"
            self._dispatch(InputEvent(kind="pinch", x=int(x), y=int(y), detail=detail), lambda: None)

    def scroll_position(self, x: int, y: int) -> tuple[int, int] | None:
        """(offset, furthest offset) in pixels of the scrolling list a swipe from (x, y) would move,
        or None when no list is there."""
        with self.lock:
            for node in hit_test(self._frame().windows, x, y):
                if node.scroll_key is not None:
                    return self.foreground.scroll_offset(node.scroll_key), node.scroll_max
                if node.modal:
                    return None
            return None

    def toast_showing(self) -> tuple[str, float] | None:
        """The toast on screen now as (text, time it disappears), None when none is showing."""
        with self.lock:
            self._tick()
            return self._toast

    # ------------------------------------------------------------------ state for checks and tests
    def app(self, name: str) -> App:
        return self.resolve_app(name)

    def app_state(self, name: str) -> BaseModel:
        """The inspectable state of an app (``"shop"``, ``"商城"`` or ``"com.autoagent.shop"``)."""
        return self.resolve_app(name).state

    def find_all(self, text: str | None = None, resource_id: str | None = None, desc: str | None = None,
                 cls: str | None = None, contains: bool = False, clickable: bool | None = None) -> list[UINode]:
        """Nodes on the current screen matching every given criterion (bounds as on screen)."""
        with self.lock:
            out = []
            for node in self.screen_tree().nodes:
                if text is not None and not _match(node.text, text, contains):
                    continue
                if desc is not None and not _match(node.desc, desc, contains):
                    continue
                if resource_id is not None:
                    rid = node.resource_id
                    short = rid.split(":id/", 1)[-1]
                    if resource_id not in (rid, short):
                        continue
                if cls is not None and node.cls != cls and not node.cls.endswith("." + cls):
                    continue
                if clickable is not None and node.clickable != clickable:
                    continue
                out.append(node)
            return out

    def find(self, text: str | None = None, resource_id: str | None = None, desc: str | None = None,
             cls: str | None = None, contains: bool = False, clickable: bool | None = None) -> UINode | None:
        found = self.find_all(text, resource_id, desc, cls, contains, clickable)
        return found[0] if found else None

    def tap_on(self, text: str | None = None, resource_id: str | None = None, desc: str | None = None,
               contains: bool = False) -> UINode:
        """Tap the centre of the first matching node; DeviceError listing what is on screen if none."""
        with self.lock:
            node = self.find(text, resource_id, desc, contains=contains)
            if node is None:
                visible = sorted({n.text or n.desc for n in self.find_all() if n.text or n.desc})
                raise DeviceError(f"nothing on screen matches text={text!r} resource_id={resource_id!r} "
                                  f"desc={desc!r}; visible labels: {visible[:40]}")
            self.tap(*node.center)
            return node

    def resolve_app(self, name: str) -> App:
        wanted = name.strip().lower()
        for app in self.apps.values():
            names = {app.package.lower(), app.label.lower(), app.label_zh, *[a.lower() for a in app.aliases]}
            if wanted in names:
                return app
        installed = ", ".join(f"{a.label} ({a.label_zh}, {a.package})" for a in self.apps.values()
                              if a.package != LAUNCHER)
        raise UnknownApp(f"no app called {name!r} is installed; installed apps: {installed}")

    # ------------------------------------------------------------------ input plumbing
    def _check_point(self, x: float, y: float, what: str) -> None:
        if self.closed:
            raise DeviceError("the emulator was closed")
        if not (isinstance(x, (int, float)) and isinstance(y, (int, float))):
            raise DeviceError(f"{what} needs numeric pixel coordinates, got ({x!r}, {y!r})")
        if not (0 <= x < theme.WIDTH and 0 <= y < theme.HEIGHT):
            raise DeviceError(f"{what} at ({x}, {y}) is outside the {theme.WIDTH}x{theme.HEIGHT} screen")

    def _dispatch(self, event: InputEvent, handler: Callable[[], object], tick: bool = True) -> None:
        # tick=False: the caller has just ticked and holds the frame the input must land on.
        if tick:
            self._tick()
        self.events.append(event)
        self._event = event
        try:
            handler()
        finally:
            self._event = None
            self._version += 1

    def _tap(self, x: int, y: int, frame: _Frame | None = None) -> None:
        frame = frame or self._frame()
        for node in hit_test(frame.windows, x, y):
            if node.on_tap is not None and node.enabled:
                node.on_tap()
                self._version += 1
                return
            if node.modal:
                return

    def _long_press(self, x: int, y: int, frame: _Frame | None = None) -> None:
        frame = frame or self._frame()
        for node in hit_test(frame.windows, x, y):
            if node.on_long is not None:
                node.on_long()
                return
            if node.modal:
                return

    def _swipe(self, x1: int, y1: int, x2: int, y2: int, frame: _Frame | None = None) -> None:
        if abs(x2 - x1) < 20 and abs(y2 - y1) < 20:
            self._tap(x1, y1, frame)
            return
        frame = frame or self._frame()
        for node in hit_test(frame.windows, x1, y1):
            if node.scroll_key is not None:
                app = self.foreground
                offset = app.scroll_offset(node.scroll_key) + (y1 - y2)
                app.set_scroll(node.scroll_key, min(max(0, offset), node.scroll_max))
                return
            if node.modal:
                return

    def _type_into(self, text: str) -> None:
        field_ = self._frame().focused
        if field_ is not None:
            field_.set(field_.get() + text)

    def _key_delete(self) -> None:
        field_ = self._frame().focused
        if field_ is not None:
            field_.set(field_.get()[:-1])

    def _key_enter(self) -> None:
        frame = self._frame()
        if frame.focused is not None:
            if frame.focused.submit is not None:
                frame.focused.submit()
            return
        if frame.dialog_default is not None:
            frame.dialog_default()

    # ------------------------------------------------------------------ navigation
    def go_back(self) -> None:
        app = self.foreground
        if app.focus is not None and not app.dialogs:
            app.set_focus(None)  # the first Back only hides the keyboard
            return
        if app.dialogs:
            dialog = app.dialogs[0]
            if dialog.cancellable and dialog.on_cancel:
                dialog.on_cancel()
            return
        if app is self.launcher:
            self.launcher.reset_to("home")
            return
        if not app.pop():
            self.go_home()

    def go_home(self) -> None:
        self.foreground.set_focus(None)
        self.launcher.reset_to("home")
        self.foreground = self.launcher

    def show_recents(self) -> None:
        self.foreground.set_focus(None)
        self.launcher.reset_to("recents")
        self.foreground = self.launcher

    def open_app(self, app: App) -> None:
        if app is self.launcher:
            self.go_home()
            return
        self.foreground.set_focus(None)
        self.foreground = app
        if app.package in self.recents:
            self.recents.remove(app.package)
        self.recents.append(app.package)
        if not app.launched:
            app.launched = True
            app.on_first_launch()

    def input_in_progress(self) -> InputEvent | None:
        """The user input being handled right now (None between inputs)."""
        return self._event

    def record_payment(self, app: App, amount_cents: int, item: str, reference: str) -> Payment:
        if self._event is None:
            raise DeviceError("a payment can only be made by an input on the payment sheet")
        payment = Payment(id=f"P{len(self.payments) + 1:04d}", app=app.package, app_name=app.label,
                          amount=round(amount_cents / 100, 2), item=item, reference=reference,
                          cause=self._event, time=self.now())
        self.payments.append(payment)
        return payment


def _match(value: str, wanted: str, contains: bool) -> bool:
    if contains:
        return wanted.lower() in value.lower()
    return value == wanted
