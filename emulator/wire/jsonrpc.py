"""uiautomator's JSON-RPC server (``POST /jsonrpc/0``, ``GET /ping``) over the phone.

Method names and argument orders are the ones uiautomator2's client sends. Errors are
JSON-RPC errors (never HTTP errors): the client treats an HTTP failure as a dead server
and restarts it, while an RPC error reaches the caller as an exception with our message.

Where this phone is not like every phone, it answers as a phone of its kind would:

- Orientation: every app is portrait-only, so ``setOrientation`` returns normally and the
  display stays at rotation 0, as on a phone whose foreground app is locked to portrait.
- Pinch: no app zooms; ``pinchIn``/``pinchOut`` reach the phone as a two-finger input and
  change nothing on screen, and return true as uiautomator does once the gesture is injected.
- Fling: lists have no momentum, so a fling moves a list as far as the finger went, like a
  slow scroll of the same length.
- Toasts: ``getLastToast`` reports the toast on screen (each shows for 2.5 s) until
  ``clearLastToast``; a toast that has already faded is not reported.

One method is an autoagent extension, not uiautomator's: ``clickIfMatches(gesture, expected)``
touches only if the node under the finger is the node the guard judged, checked and touched in
one operation on the phone (see :mod:`autoagent.touch`). A phone's own uiautomator server answers
it with JSON-RPC "method not found" (-32601), which is how a client tells the two apart.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import threading
import time
import uuid
from typing import Any, Callable

from autoagent.device import DeviceError
from autoagent.touch import Gesture, NodeIdentity
from emulator.wire import selectors
from emulator.wire.device_state import PROPS, DeviceState
from emulator.wire.keys import phone_key

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
DEVICE_ERROR = -32000
# uiautomator's own code for "no element matches the selector"
OBJECT_NOT_FOUND = -32002

# Android's touch slop and long-press timeout, used to tell taps from swipes and long presses.
TOUCH_SLOP_PX = 24
LONG_PRESS_S = 0.5
SWIPE_STEP_S = 0.005  # uiautomator throttles each swipe step to 5 ms
# UiScrollable's defaults: swipes start and end 10% inside the list, a fling is a 5-step swipe, and
# scrolling something into view gives up after 30 swipes.
SWIPE_DEAD_ZONE = 0.1
FLING_STEPS = 5
SCROLL_STEPS = 55
MAX_SEARCH_SWIPES = 30
# UiObject's pinch: each finger is 20 px from the centre at the near end of the gesture.
FINGER_TOUCH_HALF_WIDTH = 20
# autoagent's own methods; a server made to answer as a phone's stock uiautomator has none.
EXTENSIONS = frozenset({"clickIfMatches"})
# The server forgets a named UiObject (childByText & co.) a minute after handing it out.
UI_OBJECT_TTL_S = 60.0


class RpcError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class UiautomatorRpc:
    """The method table of one device's uiautomator server."""

    def __init__(self, state: DeviceState, screenshot_format: str = "png", extensions: bool = True):
        if screenshot_format not in ("png", "jpeg"):
            raise ValueError(f"screenshot_format must be 'png' or 'jpeg', not {screenshot_format!r}")
        self.state = state
        self.phone = state.phone
        self.screenshot_format = screenshot_format
        self._touch_down: tuple[int, int, float] | None = None
        self._touch_last: tuple[int, int] | None = None
        self._touch_lock = threading.Lock()
        self._shot_cache: tuple[tuple[Any, ...], str] | None = None
        # Named UiObjects: id -> (selector that finds it again, when it was named).
        self._objects: dict[str, tuple[dict[str, Any], float]] = {}
        # The toast getLastToast already reported before clearLastToast: (text, disappears at).
        self._cleared_toast: tuple[str, float] | None = None
        self.methods: dict[str, Callable[..., Any]] = {
            name[4:]: getattr(self, name) for name in dir(self)
            if name.startswith("rpc_") and (extensions or name[4:] not in EXTENSIONS)
        }

    # -- HTTP entry ----------------------------------------------------------------------
    def handle_http(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        route = path.split("?", 1)[0]
        if route == "/ping":
            return 200, "text/plain", b"pong"
        if route == "/version":
            return 200, "text/plain", b"0.4.1"
        if route.startswith("/jsonrpc/"):
            if method != "POST":
                return 405, "text/plain", b"use POST for JSON-RPC"
            return 200, "application/json", json.dumps(self.handle(body), ensure_ascii=False).encode("utf-8")
        return 404, "text/plain", f"no route {route}".encode()

    def handle(self, body: bytes) -> dict[str, Any]:
        req_id: Any = None
        try:
            try:
                request = json.loads(body)
            except (ValueError, UnicodeDecodeError) as err:
                raise RpcError(PARSE_ERROR, f"Parse error: {err}") from None
            if not isinstance(request, dict) or not isinstance(request.get("method"), str):
                raise RpcError(INVALID_REQUEST, "Invalid Request: need an object with a 'method' string")
            req_id = request.get("id")
            result = self.call(request["method"], request.get("params"))
            return {"jsonrpc": "2.0", "id": req_id, "result": result}
        except RpcError as err:
            return {"jsonrpc": "2.0", "id": req_id, "error": {"code": err.code, "message": err.message}}

    def call(self, name: str, params: Any) -> Any:
        fn = self.methods.get(name)
        if fn is None:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {name}")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if isinstance(params, list):
            args = params
        elif isinstance(params, dict):
            kwargs = params
        elif params is not None:
            raise RpcError(INVALID_PARAMS, "Invalid params: expected a list or an object")
        try:
            inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as err:
            raise RpcError(INVALID_PARAMS, f"Invalid params for {name}: {err}") from None
        try:
            with self.phone.lock:
                return fn(*args, **kwargs)
        except DeviceError as err:
            raise RpcError(DEVICE_ERROR, str(err)) from None
        except (TypeError, ValueError) as err:
            raise RpcError(INVALID_PARAMS, f"Invalid params for {name}: {err}") from None

    # -- helpers -------------------------------------------------------------------------
    def _size(self) -> tuple[int, int]:
        w, h = self.phone.screen_size()
        return int(w), int(h)

    def _point(self, x: Any, y: Any) -> tuple[int, int]:
        if isinstance(x, bool) or isinstance(y, bool) or not all(isinstance(v, (int, float)) for v in (x, y)):
            raise RpcError(INVALID_PARAMS, f"coordinates must be numbers, got ({x!r}, {y!r})")
        px, py = int(x), int(y)
        w, h = self._size()
        if not (0 <= px < w and 0 <= py < h):
            raise RpcError(DEVICE_ERROR, f"point ({px}, {py}) is outside the {w}x{h} screen")
        return px, py

    # -- device --------------------------------------------------------------------------
    def rpc_deviceInfo(self) -> dict[str, Any]:
        w, h = self._size()
        density = int(PROPS["ro.sf.lcd_density"]) / 160
        return {
            "currentPackageName": self.phone.current_package(),
            "displayWidth": w,
            "displayHeight": h,
            "displayRotation": 0,
            "displaySizeDpX": round(w / density),
            "displaySizeDpY": round(h / density),
            "productName": PROPS["ro.product.name"],
            "screenOn": True,
            "sdkInt": int(PROPS["ro.build.version.sdk"]),
            "naturalOrientation": True,
        }

    def rpc_dumpWindowHierarchy(self, compressed: bool = False, max_depth: int = 50, root_in_active: Any = None) -> str:
        return self.phone.hierarchy_xml()

    def rpc_takeScreenshot(self, scale: float = 1, quality: int = 80) -> str:
        image = self.phone.screenshot()
        if not isinstance(scale, (int, float)) or not 0 < scale <= 1:
            raise RpcError(INVALID_PARAMS, f"scale must be in (0, 1], got {scale!r}")
        if scale != 1:
            image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        # Encoding a full screen costs ~70 ms (PNG); agents and settle loops ask for the
        # same unchanged screen again and again, so the last encoding is kept.
        key = (image.mode, image.size, self.screenshot_format, int(quality), image.tobytes())
        if self._shot_cache is not None and self._shot_cache[0] == key:
            return self._shot_cache[1]
        buf = io.BytesIO()
        if self.screenshot_format == "jpeg":
            image.convert("RGB").save(buf, format="JPEG", quality=int(quality))
        else:
            # Lossless, so what the client decodes is exactly what the phone rendered.
            image.save(buf, format="PNG", compress_level=1)
        encoded = base64.b64encode(buf.getvalue()).decode("ascii")
        self._shot_cache = (key, encoded)
        return encoded

    def rpc_wakeUp(self) -> bool:
        return True

    def rpc_sleep(self) -> bool:
        return True

    def rpc_setOrientation(self, orientation: str) -> None:
        """Accepted, and the display stays at rotation 0.

        Every app on this phone is portrait-only, so the screen never turns: exactly what a phone
        reports when its foreground app is locked to portrait (setOrientation returns normally,
        ``displayRotation`` stays 0, ``d.orientation`` reads "natural"). Unknown names are ignored,
        as uiautomator ignores them.
        """
        if not isinstance(orientation, str):
            raise RpcError(INVALID_PARAMS, f"orientation must be a string, got {orientation!r}")
        return None

    def rpc_freezeRotation(self, freeze: bool = True) -> bool:
        return True

    # -- touch ---------------------------------------------------------------------------
    def rpc_click(self, x: Any, y: Any, duration_ms: Any = None) -> bool:
        px, py = self._point(x, y)
        if duration_ms:
            self.phone.long_press(px, py, float(duration_ms) / 1000)
        else:
            self.phone.tap(px, py)
        return True

    def rpc_clickIfMatches(self, gesture: Any, expected: Any = None) -> dict[str, Any]:
        """autoagent's extension: the gesture (``{"kind", "x", "y", "to", "seconds"}``) goes out
        only if the node under its point is ``expected`` (a NodeIdentity; null: no control was
        there). The answer says whether it touched and what was under the finger."""
        if not isinstance(gesture, dict) or not (expected is None or isinstance(expected, dict)):
            raise RpcError(INVALID_PARAMS, "clickIfMatches takes a gesture object and an expected node object or null")
        touch = Gesture.model_validate(gesture)
        self._point(touch.x, touch.y)
        if touch.to is not None:
            self._point(*touch.to)
        judged = NodeIdentity.model_validate(expected) if expected is not None else None
        return self.phone.touch_if_unchanged(touch, judged).model_dump(mode="json")

    def rpc_injectInputEvent(self, action: int, x: Any, y: Any, meta_state: int = 0) -> bool:
        """Raw touch events (ACTION_DOWN=0, UP=1, MOVE=2), turned into a gesture on UP."""
        px, py = self._point(x, y)
        with self._touch_lock:
            if action == 0:
                self._touch_down = (px, py, time.monotonic())
                self._touch_last = (px, py)
                return True
            if action == 2:
                if self._touch_down is None:
                    raise RpcError(DEVICE_ERROR, "ACTION_MOVE without a finger down")
                self._touch_last = (px, py)
                return True
            if action != 1:
                raise RpcError(INVALID_PARAMS, f"unknown touch action {action}")
            if self._touch_down is None:
                raise RpcError(DEVICE_ERROR, "ACTION_UP without a finger down")
            x0, y0, t0 = self._touch_down
            self._touch_down = self._touch_last = None
        held = time.monotonic() - t0
        if abs(px - x0) > TOUCH_SLOP_PX or abs(py - y0) > TOUCH_SLOP_PX:
            self.phone.swipe(x0, y0, px, py, max(held, 0.05))
        elif held >= LONG_PRESS_S:
            self.phone.long_press(x0, y0, held)
        else:
            self.phone.tap(x0, y0)
        return True

    def rpc_swipe(self, fx: Any, fy: Any, tx: Any, ty: Any, steps: int = 55) -> bool:
        x1, y1 = self._point(fx, fy)
        x2, y2 = self._point(tx, ty)
        self.phone.swipe(x1, y1, x2, y2, max(int(steps), 1) * SWIPE_STEP_S)
        return True

    def rpc_swipePoints(self, points: list, steps: int = 55) -> bool:
        if not isinstance(points, list) or len(points) < 4 or len(points) % 2:
            raise RpcError(INVALID_PARAMS, "points must be a flat list [x1, y1, x2, y2, ...]")
        pts = [self._point(points[i], points[i + 1]) for i in range(0, len(points), 2)]
        per_leg = max(int(steps), 1) * SWIPE_STEP_S
        for (x1, y1), (x2, y2) in zip(pts, pts[1:]):
            self.phone.swipe(x1, y1, x2, y2, per_leg)
        return True

    def rpc_drag(self, sx: Any, sy: Any, ex: Any, ey: Any, steps: int = 100) -> bool:
        return self.rpc_swipe(sx, sy, ex, ey, steps)

    def rpc_dragTo(self, selector: Any, target: Any, y_or_steps: Any = None, steps: Any = None) -> bool:
        """UiObject.dragTo: ``(selector, destSelector, steps)`` or ``(selector, x, y, steps)``;
        the finger goes from the object's centre to the destination's centre (or the point).

        On a phone the finger first rests for a long press; no app here has drag-and-drop or
        long-press handlers, so the drag acts on the screen exactly as the same swipe does.
        """
        x1, y1 = _center(self._one(selector))
        if isinstance(target, (dict, str)):
            x2, y2 = _center(self._one(target))
            steps = y_or_steps
        else:
            x2, y2 = self._point(target, y_or_steps)
        return self.rpc_swipe(x1, y1, x2, y2, 40 if steps is None else steps)

    def _pinch(self, selector: Any, percent: Any, closing: bool) -> bool:
        """UiObject.pinchIn/pinchOut: two fingers on the horizontal centre line of the object,
        between ``percent`` of its half width and 20 px from its centre."""
        left, top, right, bottom = selectors.bounds(self._one(selector))
        width = right - left
        if width <= FINGER_TOUCH_HALF_WIDTH * 2:
            raise RpcError(DEVICE_ERROR, "java.lang.IllegalStateException: Object width is too small for operation")
        share = min(max(int(percent), 0), 100) / 100
        wide, near = 2 * int(width / 2 * share), 2 * FINGER_TOUCH_HALF_WIDTH
        cx, cy = (left + right) // 2, (top + bottom) // 2
        self.phone.pinch(cx, cy, wide if closing else near, near if closing else wide)
        return True

    def rpc_pinchIn(self, selector: Any, percent: Any = 100, steps: Any = 50) -> bool:
        return self._pinch(selector, percent, closing=True)

    def rpc_pinchOut(self, selector: Any, percent: Any = 100, steps: Any = 50) -> bool:
        return self._pinch(selector, percent, closing=False)

    # -- keys and text -------------------------------------------------------------------
    def rpc_pressKey(self, key: str) -> bool:
        self.phone.press_key(phone_key(key))
        return True

    def rpc_pressKeyCode(self, code: int, meta: int = 0) -> bool:
        self.phone.press_key(phone_key(int(code)))
        return True

    def rpc_setClipboard(self, label: Any, text: str) -> None:
        if not isinstance(text, str):
            raise RpcError(INVALID_PARAMS, "clipboard text must be a string")
        self.state.clipboard = text

    def rpc_getClipboard(self) -> str | None:
        return self.state.clipboard

    def rpc_pasteClipboard(self) -> bool:
        if self.state.clipboard:
            self.phone.input_text(self.state.clipboard)
        return True

    def rpc_clearInputText(self) -> bool:
        self.phone.clear_text()
        return True

    # -- toasts --------------------------------------------------------------------------
    def rpc_getLastToast(self, cache_duration_ms: Any = None) -> str | None:
        """The text of the toast on screen, until clearLastToast; None when none is showing.

        A toast counts while it is on screen (the phone shows each for 2.5 s), whatever the
        cache duration asked for.
        """
        shown = self.phone.toast_showing()
        if shown is None or shown == self._cleared_toast:
            return None
        return shown[0]

    def rpc_clearLastToast(self) -> bool:
        self._cleared_toast = self.phone.toast_showing()
        return True

    def rpc_makeToast(self, text: str, duration_ms: Any = 1000) -> bool:
        if not isinstance(text, str):
            raise RpcError(INVALID_PARAMS, "toast text must be a string")
        # The phone shows every toast for 2.5 s, whatever duration is asked for.
        self.phone.toast(text)
        self.phone.invalidate()
        return True

    # -- things this phone does not keep -------------------------------------------------
    def rpc_getLastTraversedText(self) -> None:
        return None

    def rpc_clearLastTraversedText(self) -> bool:
        return True

    # -- selectors (UiSelector over the current hierarchy) -------------------------------
    def _selector(self, selector: Any) -> Any:
        """A selector dict; a string is the name of a UiObject handed out by childByText & co."""
        if not isinstance(selector, str):
            return selector
        now = time.monotonic()
        self._objects = {k: v for k, v in self._objects.items() if now - v[1] < UI_OBJECT_TTL_S}
        if selector not in self._objects:
            raise RpcError(OBJECT_NOT_FOUND, f"uiautomator.UiObjectNotFoundException: UiObject {selector} not found!")
        return self._objects[selector][0]

    def _name(self, selector: dict[str, Any]) -> str:
        key = str(uuid.uuid4())
        self._objects[key] = (selector, time.monotonic())
        return key

    def _find(self, selector: Any) -> list[Any]:
        try:
            return selectors.find(self.phone.hierarchy_xml(), self._selector(selector))
        except selectors.SelectorError as err:
            raise RpcError(INVALID_PARAMS, str(err)) from None

    def _one(self, selector: Any) -> Any:
        found = self._find(selector)
        if not found:
            raise RpcError(OBJECT_NOT_FOUND,
                           f"uiautomator.UiObjectNotFoundException: {selectors.describe(self._selector(selector))}")
        return found[0]

    def rpc_exist(self, selector: Any) -> bool:
        try:
            return bool(self._find(selector))
        except RpcError as err:
            if err.code == OBJECT_NOT_FOUND:
                return False  # an unknown or forgotten UiObject name does not exist
            raise

    def rpc_count(self, selector: Any) -> int:
        return len(self._find(selector))

    def rpc_objInfo(self, selector: Any) -> dict[str, Any]:
        return selectors.info(self._one(selector))

    def rpc_objInfoOfAllInstances(self, selector: Any) -> list[dict[str, Any]]:
        return [selectors.info(n) for n in self._find(selector)]

    def rpc_getText(self, selector: Any) -> str:
        return self._one(selector).get("text", "")

    def _wait(self, selector: Any, timeout_ms: Any, present: bool) -> bool:
        deadline = time.monotonic() + max(float(timeout_ms or 0), 0) / 1000
        while True:
            if bool(self._find(selector)) == present:
                return True
            if time.monotonic() >= deadline:
                return False
            # uiautomator polls too: release the phone to other requests for one 50 ms poll
            # interval, then look again; the whole wait is bounded by the caller's timeout.
            self.phone.lock.release()
            try:
                time.sleep(0.05)
            finally:
                self.phone.lock.acquire()

    def rpc_waitForExists(self, selector: Any, timeout_ms: Any = 0) -> bool:
        return self._wait(selector, timeout_ms, True)

    def rpc_waitUntilGone(self, selector: Any, timeout_ms: Any = 0) -> bool:
        return self._wait(selector, timeout_ms, False)

    def _set_text(self, selector: Any, text: str, click: bool) -> bool:
        """ACTION_SET_TEXT on the node: a text field of the app on screen gets the text without
        being tapped, so its tap handler (a search bar opening a search page) does not run.

        ``click`` is the focusing click setText makes first: it gives a field input focus, and on
        anything that is not a field it is a plain tap, after which the text goes nowhere, as
        ACTION_SET_TEXT on a non-editable view does nothing. clearTextField makes no click.
        """
        if not isinstance(text, str):
            raise RpcError(INVALID_PARAMS, f"text must be a string, got {text!r}")
        node = self._one(selector)
        package, _, rid = (node.get("resource-id") or "").partition(":id/")
        if package == self.phone.current_package() and rid and self.phone.set_field_text(rid, text, focus=click):
            return True
        if click:
            self.phone.tap(*_center(node))
        return True

    def rpc_setText(self, selector: Any, text: str) -> bool:
        return self._set_text(selector, text, click=True)

    def rpc_clearTextField(self, selector: Any) -> bool:
        return self._set_text(selector, "", click=False)

    # -- collections: childByText & co. (UiCollection / UiScrollable) -----------------------
    def _child_by(self, collection: Any, child: Any, match: dict[str, str], scroll: bool | None) -> str:
        """The n-th ``child`` of the collection that is, or contains, a node matching ``match``.

        A scrollable collection first scrolls that node into view (unless told not to), as
        UiScrollable.getChildByText/Description do; the UiObject handed back is found again by
        instance each time it is used, as on a phone.
        """
        base = self._selector(collection)
        if not isinstance(child, dict):
            raise RpcError(INVALID_PARAMS, "the child pattern must be a selector object")
        found = self._find(base)
        scrollable = bool(found) and found[0].get("scrollable") == "true"
        if scroll or (scroll is None and scrollable):
            self._scroll_into_view(base, match, True)
        rows = self._find(_chain(base, child))
        for i, row in enumerate(rows):
            if self._row_matches(row, match):
                return self._name(_chain(base, dict(child, instance=i)))
        raise RpcError(OBJECT_NOT_FOUND, f"uiautomator.UiObjectNotFoundException: for {_describe_match(match)}")

    @staticmethod
    def _row_matches(row: Any, match: dict[str, str]) -> bool:
        try:
            return selectors.find_in(row, match) != []
        except selectors.SelectorError as err:
            raise RpcError(INVALID_PARAMS, str(err)) from None

    def rpc_childByText(self, collection: Any, child: Any, text: str, allow_scroll_search: Any = None) -> str:
        return self._child_by(collection, child, {"text": str(text)},
                              None if allow_scroll_search is None else bool(allow_scroll_search))

    def rpc_childByDescription(self, collection: Any, child: Any, text: str, allow_scroll_search: Any = None) -> str:
        return self._child_by(collection, child, {"descriptionContains": str(text)},
                              None if allow_scroll_search is None else bool(allow_scroll_search))

    def rpc_childByInstance(self, collection: Any, child: Any, instance: int) -> str:
        if not isinstance(child, dict):
            raise RpcError(INVALID_PARAMS, "the child pattern must be a selector object")
        return self._name(_chain(self._selector(collection), dict(child, instance=int(instance))))

    def rpc_getChild(self, obj: str, selector: Any) -> str:
        return self._name(_chain(self._selector(obj), selector, "child"))

    def rpc_getFromParent(self, obj: str, selector: Any) -> str:
        return self._name(_chain(self._selector(obj), selector, "sibling"))

    def rpc_getUiObject(self, selector: Any) -> str:
        return self._name(self._selector(selector))

    def rpc_removeUiObject(self, obj: str) -> None:
        self._objects.pop(obj, None)

    def rpc_getUiObjects(self) -> list[str]:
        return list(self._objects)

    # -- UiScrollable ------------------------------------------------------------------------
    def _scroll(self, selector: Any, vertical: Any, steps: Any, forward: bool) -> bool:
        """One UiScrollable swipe across the list (10% in from its edges). True if the list moved
        and can still move further that way, as uiautomator reports it."""
        left, top, right, bottom = selectors.bounds(self._one(selector))
        if vertical is False:
            adjust = int((right - left) * SWIPE_DEAD_ZONE)
            y = (top + bottom) // 2
            start, end = (right - adjust, y), (left + adjust, y)
        else:
            adjust = int((bottom - top) * SWIPE_DEAD_ZONE)
            x = (left + right) // 2
            start, end = (x, bottom - adjust), (x, top + adjust)
        if not forward:
            start, end = end, start
        before = self.phone.scroll_position(*start)
        self.rpc_swipe(*start, *end, steps)
        after = self.phone.scroll_position(*start)
        if before is None or after is None or after[0] == before[0]:
            return False
        return after[0] < after[1] if forward else after[0] > 0

    def _scroll_to_edge(self, selector: Any, vertical: Any, max_swipes: Any, steps: Any, forward: bool) -> bool:
        for _ in range(max(int(max_swipes), 0)):
            if not self._scroll(selector, vertical, steps, forward):
                break
        return True

    def _scroll_into_view(self, selector: Any, target: Any, vertical: Any) -> bool:
        """UiScrollable.scrollIntoView: look, go back to the beginning, then swipe forward until
        the target is a visible descendant of the list or the list ends."""
        wanted = _chain(self._selector(selector), target)
        if self._find(wanted):
            return True
        self._scroll_to_edge(selector, vertical, MAX_SEARCH_SWIPES, SCROLL_STEPS, forward=False)
        if self._find(wanted):
            return True
        for _ in range(MAX_SEARCH_SWIPES):
            scrolled = self._scroll(selector, vertical, SCROLL_STEPS, forward=True)
            if self._find(wanted):
                return True
            if not scrolled:
                return False
        return False

    def rpc_scrollForward(self, selector: Any, vertical: Any = True, steps: Any = SCROLL_STEPS) -> bool:
        return self._scroll(selector, vertical, steps, forward=True)

    def rpc_scrollBackward(self, selector: Any, vertical: Any = True, steps: Any = SCROLL_STEPS) -> bool:
        return self._scroll(selector, vertical, steps, forward=False)

    def rpc_scrollToBeginning(self, selector: Any, vertical: Any = True, max_swipes: Any = 500,
                              steps: Any = SCROLL_STEPS) -> bool:
        return self._scroll_to_edge(selector, vertical, max_swipes, steps, forward=False)

    def rpc_scrollToEnd(self, selector: Any, vertical: Any = True, max_swipes: Any = 500,
                        steps: Any = SCROLL_STEPS) -> bool:
        return self._scroll_to_edge(selector, vertical, max_swipes, steps, forward=True)

    def rpc_scrollTo(self, selector: Any, target: Any, vertical: Any = True) -> bool:
        if not isinstance(target, dict):
            raise RpcError(INVALID_PARAMS, "the target must be a selector object")
        return self._scroll_into_view(selector, target, vertical)

    def rpc_flingForward(self, selector: Any, vertical: Any = True) -> bool:
        return self._scroll(selector, vertical, FLING_STEPS, forward=True)

    def rpc_flingBackward(self, selector: Any, vertical: Any = True) -> bool:
        return self._scroll(selector, vertical, FLING_STEPS, forward=False)

    def rpc_flingToBeginning(self, selector: Any, vertical: Any = True, max_swipes: Any = 500) -> bool:
        return self._scroll_to_edge(selector, vertical, max_swipes, FLING_STEPS, forward=False)

    def rpc_flingToEnd(self, selector: Any, vertical: Any = True, max_swipes: Any = 500) -> bool:
        return self._scroll_to_edge(selector, vertical, max_swipes, FLING_STEPS, forward=True)


def _center(node: Any) -> tuple[int, int]:
    left, top, right, bottom = selectors.bounds(node)
    return (left + right) // 2, (top + bottom) // 2


def _chain(base: Any, sub: Any, step: str = "child") -> dict[str, Any]:
    """``base`` with one more child (or sibling) step, leaving ``base`` itself untouched."""
    if not isinstance(base, dict) or not isinstance(sub, dict):
        raise RpcError(INVALID_PARAMS, "selectors must be objects")
    chained = dict(base)
    chained["childOrSibling"] = list(base.get("childOrSibling") or []) + [step]
    chained["childOrSiblingSelector"] = list(base.get("childOrSiblingSelector") or []) + [sub]
    return chained


def _describe_match(match: dict[str, str]) -> str:
    key, value = next(iter(match.items()))
    return f'{"text" if key == "text" else "description"}= "{value}"'
