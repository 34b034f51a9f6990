"""uiautomator's JSON-RPC server (``POST /jsonrpc/0``, ``GET /ping``) over the phone.

Method names and argument orders are the ones uiautomator2's client sends. Errors are
JSON-RPC errors (never HTTP errors): the client treats an HTTP failure as a dead server
and restarts it, while an RPC error reaches the caller as an exception with our message.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import threading
import time
from typing import Any, Callable

from autoagent.device import DeviceError
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


class RpcError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class UiautomatorRpc:
    """The method table of one device's uiautomator server."""

    def __init__(self, state: DeviceState, screenshot_format: str = "png"):
        if screenshot_format not in ("png", "jpeg"):
            raise ValueError(f"screenshot_format must be 'png' or 'jpeg', not {screenshot_format!r}")
        self.state = state
        self.phone = state.phone
        self.screenshot_format = screenshot_format
        self._touch_down: tuple[int, int, float] | None = None
        self._touch_last: tuple[int, int] | None = None
        self._touch_lock = threading.Lock()
        self._shot_cache: tuple[tuple[Any, ...], str] | None = None
        self.methods: dict[str, Callable[..., Any]] = {
            name[4:]: getattr(self, name) for name in dir(self) if name.startswith("rpc_")
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

    def rpc_setOrientation(self, orientation: str) -> bool:
        if orientation not in ("n", "natural", 0):
            raise RpcError(DEVICE_ERROR, "this phone only has the natural orientation")
        return True

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

    # -- things this phone does not keep -------------------------------------------------
    def rpc_getLastToast(self) -> None:
        return None

    def rpc_clearLastToast(self) -> bool:
        return True

    def rpc_makeToast(self, text: str, duration_ms: Any = 1000) -> bool:
        return True

    def rpc_getLastTraversedText(self) -> None:
        return None

    def rpc_clearLastTraversedText(self) -> bool:
        return True

    # -- selectors (UiSelector over the current hierarchy) -------------------------------
    def _find(self, selector: Any) -> list[dict[str, Any]]:
        try:
            return selectors.find(self.phone.hierarchy_xml(), selector)
        except selectors.SelectorError as err:
            raise RpcError(INVALID_PARAMS, str(err)) from None

    def _one(self, selector: Any) -> dict[str, Any]:
        found = self._find(selector)
        if not found:
            raise RpcError(OBJECT_NOT_FOUND, f"uiautomator.UiObjectNotFoundException: {selectors.describe(selector)}")
        return found[0]

    def rpc_exist(self, selector: Any) -> bool:
        return bool(self._find(selector))

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

    def _focus(self, selector: Any) -> None:
        node = self._one(selector)
        if node.get("focused") != "true":
            left, top, right, bottom = selectors.bounds(node)
            self.phone.tap((left + right) // 2, (top + bottom) // 2)

    def rpc_setText(self, selector: Any, text: str) -> bool:
        self._focus(selector)
        self.phone.clear_text()
        if text:
            self.phone.input_text(text)
        return True

    def rpc_clearTextField(self, selector: Any) -> bool:
        self._focus(selector)
        self.phone.clear_text()
        return True
