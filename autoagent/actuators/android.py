"""An Android phone as an autoagent device, driven through uiautomator2 over adb.

This is the only module in autoagent that imports uiautomator2, and it does so lazily so
the rest of the package works without it. It speaks to whatever adb server it is pointed
at (a real one, or the emulator's wire server) and never starts an adb daemon itself:
if nothing listens, the caller gets :class:`DeviceLost` with a message saying so.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from PIL import Image

from autoagent.actuators.execute import replaces_text
from autoagent.device import DeviceError, DeviceLost, UnknownApp
from autoagent.perception.observation import Observation
from autoagent.perception.tree import ScreenTree
from autoagent.plugins import app_aliases
from autoagent.touch import Gesture, NodeIdentity, TouchCheck, check_touch

T = TypeVar("T")

DEFAULT_ADB_HOST = "127.0.0.1"
DEFAULT_ADB_PORT = 5037

# Human names for apps -> package candidates (first installed one wins). Names are matched
# case-insensitively; packages on the device whose last segment equals the name also match.
# Installed targets (autoagent.plugins) put their own apps' packages in front of these.
DEFAULT_APPS: dict[str, tuple[str, ...]] = {
    # system apps
    **{name: ("com.android.contacts",) for name in ("contacts", "联系人", "phonebook", "address book", "通讯录")},
    **{name: ("com.android.mms", "com.google.android.apps.messaging")
       for name in ("messages", "短信", "sms", "message", "信息", "消息")},
    **{name: ("com.android.settings",) for name in ("settings", "设置", "setting", "系统设置")},
    # common apps on real phones
    "微信": ("com.tencent.mm",), "wechat": ("com.tencent.mm",),
    "qq": ("com.tencent.mobileqq",),
    "淘宝": ("com.taobao.taobao",), "taobao": ("com.taobao.taobao",),
    "京东": ("com.jingdong.app.mall",), "jd": ("com.jingdong.app.mall",),
    "拼多多": ("com.xunmeng.pinduoduo",), "pinduoduo": ("com.xunmeng.pinduoduo",),
    "支付宝": ("com.eg.android.AlipayGphone",), "alipay": ("com.eg.android.AlipayGphone",),
    "美团": ("com.sankuai.meituan",), "meituan": ("com.sankuai.meituan",),
    "饿了么": ("me.ele",), "eleme": ("me.ele",),
    "携程": ("ctrip.android.view",), "ctrip": ("ctrip.android.view",),
    "12306": ("com.MobileTicket",),
    "高德地图": ("com.autonavi.minimap",), "amap": ("com.autonavi.minimap",),
    "百度地图": ("com.baidu.BaiduMap",),
    "抖音": ("com.ss.android.ugc.aweme",), "douyin": ("com.ss.android.ugc.aweme",),
    "小红书": ("com.xingin.xhs",), "xiaohongshu": ("com.xingin.xhs",),
    "哔哩哔哩": ("tv.danmaku.bili",), "bilibili": ("tv.danmaku.bili",),
    "微博": ("com.sina.weibo",), "weibo": ("com.sina.weibo",),
    "知乎": ("com.zhihu.android",), "zhihu": ("com.zhihu.android",),
    "chrome": ("com.android.chrome",), "浏览器": ("com.android.chrome", "com.android.browser"),
    "相机": ("com.android.camera", "com.android.camera2"), "camera": ("com.android.camera", "com.android.camera2"),
    "时钟": ("com.android.deskclock", "com.google.android.deskclock"),
    "clock": ("com.android.deskclock", "com.google.android.deskclock"),
    "计算器": ("com.android.calculator2", "com.google.android.calculator"),
    "calculator": ("com.android.calculator2", "com.google.android.calculator"),
}


QUIET_S = 0.15
# JSON-RPC's code for a method the server does not have: a phone's own uiautomator server
# answers autoagent's clickIfMatches with it.
METHOD_NOT_FOUND = -32601


def _adb_client_class() -> type:
    """An adbutils client that never spawns an adb daemon when the server is unreachable."""
    import adbutils
    from adbutils._adb import AdbConnection

    class _Connection(AdbConnection):
        # adbutils runs `adb start-server` when a connect fails; here a missing server is
        # the user's to start, so fail with the reason instead.
        def _safe_connect(self) -> socket.socket:
            return self._create_socket()

    class _Client(adbutils.AdbClient):
        def make_connection(self, timeout: float | None = None) -> AdbConnection:
            try:
                conn = _Connection(self.host, self.port)
            except adbutils.AdbError as err:
                raise DeviceLost(
                    f"no adb server answers at {self.host}:{self.port} ({err}); start one "
                    "(`adb start-server`, or `autoagent emulator serve`) or pass adb_host/adb_port"
                ) from None
            if timeout:
                conn.conn.settimeout(timeout)
            return conn

    return _Client


class AndroidDevice:
    """A phone reached through an adb server and the uiautomator2 server on the phone."""

    def __init__(self, u2_device: Any, serial: str, apps: Mapping[str, tuple[str, ...] | str] | None = None):
        self._d = u2_device
        self.serial = serial
        self.name = f"android:{serial}"
        self._apps: dict[str, tuple[str, ...]] = app_aliases(DEFAULT_APPS)
        for key, value in (apps or {}).items():
            self._apps[key.strip().lower()] = (value,) if isinstance(value, str) else tuple(value)
        self._size: tuple[int, int] | None = None
        self._closed = False
        # How long the screen must hold still to count as settled.
        self.quiet_s = QUIET_S
        # Whether the server checks and touches in one call (clickIfMatches); None: not asked yet.
        self.atomic_touch: bool | None = None

    # -- connecting -----------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        serial: str | None = None,
        adb_host: str | None = None,
        adb_port: int | None = None,
        apps: Mapping[str, tuple[str, ...] | str] | None = None,
    ) -> AndroidDevice:
        """Connect to ``serial`` (default: $ANDROID_SERIAL, else the only device attached).

        The adb server defaults to $ANDROID_ADB_SERVER_HOST/$ANDROID_ADB_SERVER_PORT, then
        127.0.0.1:5037. Raises DeviceLost when the server or the device cannot be reached.
        """
        try:
            import uiautomator2
        except ImportError as err:  # pragma: no cover - it is a dependency
            raise DeviceError(f"uiautomator2 is needed to drive Android phones: {err}") from None
        import adbutils

        host = adb_host or os.environ.get("ANDROID_ADB_SERVER_HOST") or DEFAULT_ADB_HOST
        port_text = adb_port if adb_port is not None else os.environ.get("ANDROID_ADB_SERVER_PORT", DEFAULT_ADB_PORT)
        try:
            port = int(port_text)
        except ValueError:
            raise DeviceError(f"adb port must be a number, got {port_text!r}") from None
        client = _adb_client_class()(host=host, port=port)
        try:
            serials = [info.serial for info in client.list() if info.state == "device"]
        except adbutils.AdbError as err:
            raise DeviceLost(f"adb server at {host}:{port} failed to list devices: {err}") from None
        serial = serial or os.environ.get("ANDROID_SERIAL") or None
        if serial is None:
            if len(serials) != 1:
                found = ", ".join(serials) or "none"
                raise DeviceLost(f"pick a device serial: adb server {host}:{port} has {len(serials)} "
                                 f"online ({found})")
            serial = serials[0]
        elif serial not in serials:
            raise DeviceLost(f"device {serial!r} is not online at adb server {host}:{port} "
                             f"(online: {', '.join(serials) or 'none'})")
        try:
            u2_device = uiautomator2.connect(client.device(serial))
        except (adbutils.AdbError, uiautomator2.DeviceError, OSError) as err:
            raise DeviceLost(f"cannot start uiautomator on {serial}: {err}") from None
        return cls(u2_device, serial, apps=apps)

    @property
    def u2(self) -> Any:
        """The underlying ``uiautomator2.Device`` for anything this class does not cover."""
        return self._d

    # -- error mapping --------------------------------------------------------------------
    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        if self._closed:
            raise DeviceLost(f"{self.name} was closed")
        import adbutils
        import uiautomator2

        try:
            yield
        except DeviceLost as err:
            # Raised by our adb client when the server stops answering.
            raise DeviceLost(f"lost {self.serial} during {what}: {err}") from None
        except DeviceError:
            raise
        except uiautomator2.RPCError as err:
            # The uiautomator server refused the call (bad point, unknown key...).
            raise DeviceError(f"{what} failed on {self.serial}: {_rpc_message(err)}") from None
        except (adbutils.AdbError, uiautomator2.DeviceError, OSError, EOFError) as err:
            raise DeviceLost(f"lost {self.serial} during {what}: {err}") from None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        with self._errors(what):
            return fn()
        raise AssertionError("unreachable")  # pragma: no cover

    # -- Device protocol ------------------------------------------------------------------
    def screen_size(self) -> tuple[int, int]:
        if self._size is None:
            w, h = self._call("window_size", self._d.window_size)
            self._size = (int(w), int(h))
        return self._size

    def _screenshot(self) -> Image.Image:
        """The screen as a decoded RGB image that owns its pixels.

        uiautomator2 hands back ``Image.open(BytesIO(...))``, which decodes on first access;
        the policy and the background trace writer read the same observation from two
        threads, and two threads decoding one lazy file race each other. Decoding here,
        once, makes the image an ordinary value.
        """
        shot = self._d.screenshot()
        shot.load()
        return shot if shot.mode == "RGB" else shot.convert("RGB")

    def observe(self) -> Observation:
        with self._errors("observe"):
            shot = self._screenshot()
            xml = self._d.dump_hierarchy()
            app = self._d.app_current().get("package")
        self._size = shot.size  # the screen may have rotated
        return Observation(screenshot=shot, hierarchy=xml, app=app)

    def _pixels(self, what: str, *coords: float) -> list[int]:
        # uiautomator2 reads values below 1 as fractions of the screen and asserts on
        # negatives; pixels here are always whole, non-negative device pixels.
        values = [int(c) for c in coords]
        if any(v < 0 for v in values):
            w, h = self.screen_size()
            raise DeviceError(f"{what} at {tuple(values)} is outside the {w}x{h} screen")
        return values

    def tap(self, x: int, y: int) -> None:
        px, py = self._pixels("tap", x, y)
        self._call("tap", lambda: self._d.jsonrpc.click(px, py))

    def double_tap(self, x: int, y: int) -> None:
        px, py = self._pixels("double tap", x, y)
        self._call("double tap", lambda: self._d.double_click(px, py))

    def long_press(self, x: int, y: int, seconds: float = 0.8) -> None:
        px, py = self._pixels("long press", x, y)
        self._call("long press", lambda: self._d.jsonrpc.click(px, py, int(seconds * 1000)))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, seconds: float = 0.3) -> None:
        a, b, c, e = self._pixels("swipe", x1, y1, x2, y2)
        # uiautomator moves one step per 5 ms; at least two steps make a swipe.
        steps = max(2, int(seconds * 200))
        self._call("swipe", lambda: self._d.jsonrpc.swipe(a, b, c, e, steps))

    def touch_if_unchanged(self, gesture: Gesture, expected: NodeIdentity | None) -> TouchCheck:
        """Touch only if the node under the finger is ``expected``.

        A server that has autoagent's ``clickIfMatches`` (the emulator's) checks and touches in
        one operation. A phone's own server does not (it says "method not found", once, and is
        not asked again): the hierarchy is read right before the touch is sent, which leaves
        the time from that read to the touch landing for the screen to change.
        """
        self._pixels(gesture.kind.replace("_", " "), gesture.x, gesture.y, *(gesture.to or ()))
        if self.atomic_touch is not False:
            import uiautomator2

            with self._errors(gesture.kind.replace("_", " ")):
                try:
                    answer = self._d.jsonrpc.clickIfMatches(gesture.model_dump(mode="json"),
                                                            expected.model_dump(mode="json") if expected else None)
                except uiautomator2.RPCError as err:
                    if _rpc_code(err) != METHOD_NOT_FOUND:
                        raise
                    self.atomic_touch = False
                else:
                    self.atomic_touch = True
                    return TouchCheck.model_validate(answer)
        with self._errors("read the screen before touching"):
            tree = ScreenTree.from_xml(self._d.dump_hierarchy())
        check = check_touch(tree, gesture.x, gesture.y, expected)
        if check.touched:
            self._send(gesture)
        return check

    def _send(self, gesture: Gesture) -> None:
        if gesture.kind == "tap":
            self.tap(gesture.x, gesture.y)
        elif gesture.kind == "double_tap":
            self.double_tap(gesture.x, gesture.y)
        elif gesture.kind == "long_press":
            self.long_press(gesture.x, gesture.y, gesture.seconds)
        else:
            x2, y2 = gesture.to or (gesture.x, gesture.y)
            self.swipe(gesture.x, gesture.y, x2, y2, gesture.seconds)

    def type_text(self, text: str) -> None:
        """Replace the focused field's text with ``text`` (AutoGLM's Type: the field is cleared
        first), in any script, via the clipboard; each newline is Enter. Newlines alone only press
        Enter (see :func:`replaces_text`)."""
        parts = text.split("\n")
        with self._errors("type"):
            if replaces_text(text):
                self._d.clear_text()
            for i, part in enumerate(parts):
                if part:
                    self._d.send_keys(part)
                if i < len(parts) - 1:
                    self._d.press("enter")

    def back(self) -> None:
        self._call("back", lambda: self._d.press("back"))

    def home(self) -> None:
        self._call("home", lambda: self._d.press("home"))

    def installed_packages(self) -> list[str]:
        return self._call("list packages", self._d.app_list)

    def resolve_app(self, app: str) -> str:
        """The package for an app name or package; UnknownApp if it is not installed."""
        wanted = app.strip()
        if not wanted:
            raise UnknownApp("launch needs an app name or package, got an empty string")
        installed = self.installed_packages()
        if wanted in installed:
            return wanted
        key = wanted.lower()
        for candidate in self._apps.get(key, ()):
            if candidate in installed:
                return candidate
        by_segment = [p for p in installed if p.rsplit(".", 1)[-1].lower() == key]
        if len(by_segment) == 1:
            return by_segment[0]
        known = sorted(name for name, pkgs in self._apps.items() if any(p in installed for p in pkgs))
        hint = f"known names on this phone: {', '.join(known)}" if known else "no known app names match this phone"
        raise UnknownApp(f"no app called {app!r} is installed on {self.serial}; {hint}; "
                         f"or give a package ({len(installed)} installed, e.g. {', '.join(installed[:5])})")

    def launch(self, app: str) -> None:
        package = self.resolve_app(app)
        with self._errors(f"launch {package}"):
            result = self._d.shell(["monkey", "-p", package, "-c", "android.intent.category.LAUNCHER", "1"])
        if result.exit_code != 0 or "No activities found" in result.output:
            raise UnknownApp(f"{package} is installed on {self.serial} but has no launcher activity")

    def wait_until_settled(self, timeout: float) -> bool:
        """True once consecutive samples (hierarchy + screenshot) stay equal for ``quiet_s``;
        False when ``timeout`` passes first."""
        return self._settle(timeout)[0]

    def settle(self, timeout: float) -> Observation:
        """Wait as :meth:`wait_until_settled` does; the last sample is the next observation, so
        the screen is not fetched again right after settling."""
        _, (xml, shot, _) = self._settle(timeout)
        with self._errors("observe"):
            app = self._d.app_current().get("package")
        self._size = shot.size
        return Observation(screenshot=shot, hierarchy=xml, app=app)

    def _settle(self, timeout: float) -> tuple[bool, tuple[str, Image.Image, str]]:
        # Two equal samples are not enough on their own: a spinner that moves eight times a
        # second looks still to two reads 30 ms apart.
        deadline = time.monotonic() + max(0.0, timeout)
        previous = self._sample()
        since = time.monotonic()
        while True:
            # Each sample is two round trips to the phone, which spaces the samples out.
            current = self._sample()
            now = time.monotonic()
            if (current[0], current[2]) != (previous[0], previous[2]):
                previous, since = current, now
            elif now - since >= self.quiet_s:
                return True, current
            if now >= deadline:
                return False, current

    def _sample(self) -> tuple[str, Image.Image, str]:
        """The hierarchy, the screenshot and the screenshot's digest."""
        with self._errors("settle"):
            xml = self._d.dump_hierarchy()
            shot = self._screenshot()
        return xml, shot, hashlib.sha1(shot.tobytes()).hexdigest()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            # Closes the shell that hosts the uiautomator server; no waiting for it to exit.
            self._d.stop_uiautomator(wait=False)
        except Exception:  # closing a phone that is already gone is not an error
            pass


def _rpc_code(err: BaseException) -> int | None:
    """The JSON-RPC error code uiautomator2 puts at the front of its message, if any."""
    text = str(err.args[0]) if err.args else ""
    code = text.removeprefix("Unknown RPC error: ").split(" ", 1)[0]
    return int(code) if code.lstrip("-").isdigit() else None


def _rpc_message(err: Exception) -> str:
    text = str(err.args[0]) if err.args else str(err)
    prefix = "Unknown RPC error: "
    if text.startswith(prefix):
        text = text[len(prefix):]
        code, _, rest = text.partition(" ")
        if code.lstrip("-").isdigit():
            text = rest
    return text
