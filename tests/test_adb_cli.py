"""Debian's real `adb` binary drives the served emulator: every command AutoGLM-family clients
and ordinary scripts send, judged by the emulator phone's own state.

The adb client runs as a subprocess with ANDROID_ADB_SERVER_PORT pointing at the wire server,
so it talks to the emulator as it would to a running adb server (smart sockets, shell v2,
sync, streamed install). The `no_adb_daemon` guard fails a test if adb started its own
server instead.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.apkbuild import Node, app_manifest, build_apk
from emulator.wire.device_state import ADB_KEYBOARD_IME, DEFAULT_IME
from emulator.wire.dumpsys import PHYSICAL_DISPLAY_ID

ADB = shutil.which("adb")
pytestmark = [
    pytest.mark.skipif(ADB is None, reason="Debian's adb is not installed (bash install.sh --dev installs it)"),
    pytest.mark.usefixtures("no_adb_daemon"),
]

SERIAL = "emulator-5554"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHOP = "com.autoagent.shop"
SETTINGS = "com.autoagent.settings"
NOTEBOOK = "Notebook 笔记本"  # the first product on the Shop's home screen (seed 0)
# What Open-AutoGLM and adbutils look for in `dumpsys window`.
CURRENT_FOCUS = re.compile(r"mCurrentFocus=Window\{\S+ u0 (?P<package>[^\s/]+)/(?P<activity>[^\s}]+)\}")
FOCUSED_APP = re.compile(r"mFocusedApp=ActivityRecord\{\S+ u0 (?P<package>[^\s/]+)/(?P<activity>\S+) t\d+\}")


class Adb:
    """The adb binary, pointed at one wire server."""

    def __init__(self, port: int):
        self.env = {**os.environ, "ANDROID_ADB_SERVER_PORT": str(port)}
        self.env.pop("ANDROID_SERIAL", None)

    def __call__(self, *args: str, serial: str | None = SERIAL, timeout: float = 60) -> subprocess.CompletedProcess:
        prefix = [ADB, "-s", serial] if serial else [ADB]
        return subprocess.run(prefix + list(args), capture_output=True, timeout=timeout, env=self.env,
                              stdin=subprocess.DEVNULL)

    def shell(self, *args: str) -> subprocess.CompletedProcess:
        return self("shell", *args)

    def ok(self, *args: str) -> str:
        """Run a shell command that must succeed; its stdout as text."""
        out = self.shell(*args)
        assert out.returncode == 0, (args, out.returncode, out.stdout, out.stderr)
        return out.stdout.decode()


@pytest.fixture()
def adb(wire_server) -> Adb:
    return Adb(wire_server.adb_port)


@pytest.fixture()
def phone(wire_server):
    return wire_server.phone


def tap_node(adb: Adb, phone, **find) -> None:
    node = phone.find(**find)
    assert node is not None, f"nothing on screen matches {find}"
    x, y = node.center
    adb.ok("input", "tap", str(x), str(y))


def adb_keyboard_apk() -> bytes:
    """The ADB Keyboard APK autoglm-gui ships (a real, signed build), else an equivalent one."""
    spec = importlib.util.find_spec("AutoGLM_GUI")
    if spec and spec.submodule_search_locations:
        bundled = Path(list(spec.submodule_search_locations)[0]) / "resources" / "apks" / "ADBKeyboard.apk"
        if bundled.exists():
            return bundled.read_bytes()
    service = Node("service", {"name": ".AdbIME", "permission": "android.permission.BIND_INPUT_METHOD"},
                   [Node("intent-filter", children=[Node("action", {"name": "android.view.InputMethod"})])])
    return build_apk(Node("manifest", {"package": "com.android.adbkeyboard", "versionCode": 2},
                          [Node("application", children=[service])]))


# -- host services -----------------------------------------------------------------------------------

def test_devices_and_state(adb, wire_server):
    listed = adb("devices", "-l", serial=None)
    assert listed.returncode == 0
    lines = listed.stdout.decode().splitlines()
    assert lines[0] == "List of devices attached"
    assert re.match(rf"{SERIAL}\s+device product:\S+ model:EmulatorPhone device:\S+ transport_id:1", lines[1])
    assert adb("get-state").stdout.decode().strip() == "device"
    assert adb("wait-for-device", timeout=10).returncode == 0
    missing = adb("shell", "echo", "hi", serial="emulator-9999")
    assert missing.returncode != 0 and b"device 'emulator-9999' not found" in missing.stderr


# -- install / uninstall -------------------------------------------------------------------------------

def test_install_registers_the_package_from_its_manifest(adb, wire_server, tmp_path):
    state = wire_server.device
    apk = tmp_path / "hello.apk"
    apk.write_bytes(build_apk(app_manifest("com.example.hello", version_code=3, version_name="3.1")))
    out = adb("install", str(apk))
    assert out.returncode == 0 and out.stdout.decode().splitlines()[-1] == "Success", out
    assert state.installed["com.example.hello"].version_name == "3.1"
    assert state.installed["com.example.hello"].launcher_activity() == "com.example.hello/.MainActivity"
    assert adb.ok("pm", "list", "packages", "-3") == "package:com.example.hello\n"
    assert "package:com.example.hello" in adb.ok("pm", "list", "packages").split()
    assert adb.ok("pm", "path", "com.example.hello") == "package:/data/app/com.example.hello/base.apk\n"
    assert "versionName=3.1" in adb.ok("dumpsys", "package", "com.example.hello")
    # pm path's file is the APK itself.
    pulled = tmp_path / "base.apk"
    assert adb("pull", "/data/app/com.example.hello/base.apk", str(pulled)).returncode == 0
    assert pulled.read_bytes() == apk.read_bytes()

    older = tmp_path / "older.apk"
    older.write_bytes(build_apk(app_manifest("com.example.hello", version_code=1)))
    down = adb("install", str(older))
    assert down.returncode == 1 and b"INSTALL_FAILED_VERSION_DOWNGRADE" in down.stderr
    assert state.installed["com.example.hello"].version_code == 3
    assert adb("install", "-r", "-d", str(older)).returncode == 0
    assert state.installed["com.example.hello"].version_code == 1

    gone = adb("uninstall", "com.example.hello")
    assert gone.returncode == 0 and gone.stdout.decode().strip() == "Success"
    assert "com.example.hello" not in state.installed
    assert adb.ok("pm", "list", "packages", "-3") == ""
    again = adb("uninstall", "com.example.hello")
    assert again.returncode == 1 and b"Failure [DELETE_FAILED_INTERNAL_ERROR]" in again.stdout + again.stderr


def test_install_refuses_what_a_phone_refuses(adb, wire_server, tmp_path):
    state = wire_server.device
    not_zip = tmp_path / "broken.apk"
    not_zip.write_bytes(b"this is not a zip file")
    out = adb("install", str(not_zip))
    assert out.returncode == 1
    assert re.search(rb"Failure \[INSTALL_PARSE_FAILED_NOT_APK: Failed to parse /data/app/vmdl\d+\.tmp/base\.apk",
                     out.stderr), out.stderr
    text_manifest = tmp_path / "text.apk"
    text_manifest.write_bytes(build_apk(b'<manifest package="com.example.text"/>'))
    assert b"INSTALL_PARSE_FAILED_MANIFEST_MALFORMED" in adb("install", str(text_manifest)).stderr
    system = tmp_path / "shop.apk"
    system.write_bytes(build_apk(app_manifest(SHOP)))
    assert b"INSTALL_FAILED_UPDATE_INCOMPATIBLE" in adb("install", str(system)).stderr
    assert state.installed == {}
    # The phone's own apps are system apps: uninstalling one fails and it stays.
    assert adb("uninstall", SHOP).returncode == 1
    assert SHOP in wire_server.phone.packages()


# -- the ADB Keyboard ------------------------------------------------------------------------------

def _broadcast(adb: Adb, *args: str) -> str:
    out = adb.ok("am", "broadcast", *args)
    assert out.endswith("Broadcast completed: result=0\n"), out
    return out


def test_adb_keyboard_types_only_while_selected(adb, wire_server, phone, tmp_path):
    state = wire_server.device
    assert ADB_KEYBOARD_IME not in adb.ok("ime", "list", "-a")  # not preinstalled
    apk = tmp_path / "ADBKeyboard.apk"
    apk.write_bytes(adb_keyboard_apk())
    assert adb("install", "-r", str(apk)).returncode == 0
    assert ADB_KEYBOARD_IME in adb.ok("ime", "list", "-a")
    assert adb.ok("ime", "list", "-s").split() == [DEFAULT_IME]  # installed, not yet enabled

    adb.ok("monkey", "-p", SHOP, "-c", "android.intent.category.LAUNCHER", "1")
    tap_node(adb, phone, resource_id="search_box")  # opens the search page, its field focused
    shop = phone.app_state("shop")
    _broadcast(adb, "-a", "ADB_INPUT_TEXT", "--es", "msg", "ignored")
    assert shop.query == ""  # the keyboard's receiver is not running: nothing typed

    assert adb.ok("ime", "enable", ADB_KEYBOARD_IME) == f"Input method {ADB_KEYBOARD_IME}: now enabled\n"
    assert adb.ok("ime", "enable", ADB_KEYBOARD_IME) == f"Input method {ADB_KEYBOARD_IME}: already enabled\n"
    assert adb.ok("ime", "set", ADB_KEYBOARD_IME) == f"Input method {ADB_KEYBOARD_IME} selected for user #0\n"
    assert adb.ok("settings", "get", "secure", "default_input_method").strip() == ADB_KEYBOARD_IME
    assert ADB_KEYBOARD_IME in adb.ok("settings", "get", "secure", "enabled_input_methods")
    assert adb.ok("ime", "list", "-s").split() == [DEFAULT_IME, ADB_KEYBOARD_IME]

    out = _broadcast(adb, "-a", "ADB_INPUT_TEXT", "--es", "msg", "'White T'")
    assert out.startswith("Broadcasting: Intent { act=ADB_INPUT_TEXT flg=0x400000 (has extras) }\n")
    assert shop.query == "White T"
    _broadcast(adb, "-a", "ADB_INPUT_B64", "--es", "msg", base64.b64encode("-shirt 白色".encode()).decode())
    assert shop.query == "White T-shirt 白色"
    _broadcast(adb, "-a", "ADB_INPUT_CODE", "--ei", "code", "67")
    _broadcast(adb, "-a", "ADB_INPUT_CODE", "--ei", "code", "67")
    _broadcast(adb, "-a", "ADB_INPUT_CHARS", "--eia", "chars", "33,65")
    assert shop.query == "White T-shirt !A"
    _broadcast(adb, "-a", "ADB_CLEAR_TEXT")
    assert shop.query == ""
    _broadcast(adb, "-a", "ADB_INPUT_TEXT", "--es", "msg", "mug")
    _broadcast(adb, "-a", "ADB_EDITOR_CODE", "--ei", "code", "3")  # IME_ACTION_SEARCH
    assert phone.app(SHOP).top.name == "results" and shop.searches[-1] == "mug"

    adb.ok("ime", "set", DEFAULT_IME)
    adb.ok("input", "keyevent", "KEYCODE_BACK")
    tap_node(adb, phone, resource_id="search_input")
    _broadcast(adb, "-a", "ADB_INPUT_TEXT", "--es", "msg", "more")
    assert shop.query == "mug"  # switched away: the broadcast goes nowhere again

    assert adb("uninstall", "com.android.adbkeyboard").returncode == 0
    assert state.input_methods() == [DEFAULT_IME] and adb.ok("ime", "list", "-s").split() == [DEFAULT_IME]
    unknown = adb.shell("ime", "set", ADB_KEYBOARD_IME)
    assert unknown.returncode != 0
    assert f"Unknown input method {ADB_KEYBOARD_IME} cannot be selected for user #0" in unknown.stdout.decode()


# -- screens: screencap, pull, exec-out, uiautomator dump ------------------------------------------------

def _pixels(png: bytes) -> bytes:
    return Image.open(io.BytesIO(png)).convert("RGB").tobytes()


def test_screencap_to_a_file_then_pull(adb, phone, tmp_path):
    adb.ok("am", "start", "-n", f"{SETTINGS}/.MainActivity")
    assert adb.ok("screencap", "-p", "/sdcard/tmp.png") == ""
    local = tmp_path / "tmp.png"
    assert adb("pull", "/sdcard/tmp.png", str(local)).returncode == 0
    assert local.read_bytes().startswith(PNG_SIGNATURE)
    assert _pixels(local.read_bytes()) == phone.screenshot().convert("RGB").tobytes()
    # A name ending in .png is a PNG even without -p; without either it is screencap's raw format.
    adb.ok("screencap", "/sdcard/shot.png")
    adb.ok("screencap", "/sdcard/shot.raw")
    assert pulled_bytes(adb, "/sdcard/shot.png", tmp_path).startswith(PNG_SIGNATURE)
    raw = pulled_bytes(adb, "/sdcard/shot.raw", tmp_path)
    assert raw[:8] == (1080).to_bytes(4, "little") + (2400).to_bytes(4, "little")
    assert len(raw) == 16 + 1080 * 2400 * 4
    missing_dir = adb.shell("screencap", "-p", "/nope/x.png")
    assert missing_dir.returncode == 1
    assert b"Error opening file: /nope/x.png (No such file or directory)" in missing_dir.stdout


def pulled_bytes(adb: Adb, remote: str, tmp_path: Path) -> bytes:
    local = tmp_path / Path(remote).name
    assert adb("pull", remote, str(local)).returncode == 0
    return local.read_bytes()


def test_exec_out_and_display_ids(adb, phone):
    adb.ok("monkey", "-p", SHOP, "-c", "android.intent.category.LAUNCHER", "1")
    out = adb("exec-out", "screencap", "-p")
    assert out.returncode == 0 and out.stdout.startswith(PNG_SIGNATURE)
    assert _pixels(out.stdout) == phone.screenshot().convert("RGB").tobytes()
    # autoglm-gui and adbutils pick the physical display id from SurfaceFlinger, then pass -d.
    ids = adb.ok("dumpsys", "SurfaceFlinger", "--display-id")
    assert re.match(rf"Display {PHYSICAL_DISPLAY_ID} \(HWC display 0\)", ids)
    with_id = adb("exec-out", "screencap", "-d", PHYSICAL_DISPLAY_ID, "-p")
    assert _pixels(with_id.stdout) == _pixels(out.stdout)
    bad = adb.shell("screencap", "-d", "7", "-p")
    assert bad.returncode == 1 and b"Display Id '7' is not valid." in bad.stdout


def test_a_thousand_screenshots_none_empty(adb):
    """`adb shell screencap -p` in a loop: every one a whole PNG (a reset connection used to
    lose the output now and then, with exit status 0)."""
    sizes = set()
    for i in range(1000):
        out = adb.shell("screencap", "-p")
        assert out.returncode == 0 and out.stdout.startswith(PNG_SIGNATURE), (i, out.returncode, len(out.stdout))
        assert out.stdout.endswith(b"IEND\xaeB`\x82"), i  # not cut short either
        sizes.add(len(out.stdout))
    assert len(sizes) == 1  # the screen did not change, so neither did the picture


def test_uiautomator_dump_then_cat(adb, phone):
    adb.ok("am", "start", "-n", f"{SETTINGS}/.MainActivity")
    assert adb.ok("uiautomator", "dump", "/sdcard/ui.xml") == "UI hierchary dumped to: /sdcard/ui.xml\n"
    assert adb.ok("cat", "/sdcard/ui.xml") == phone.hierarchy_xml()
    assert adb.ok("uiautomator", "dump") == "UI hierchary dumped to: /sdcard/window_dump.xml\n"
    assert adb.ok("cat", "/sdcard/window_dump.xml") == phone.hierarchy_xml()
    tty = adb.ok("uiautomator", "dump", "/dev/tty")
    assert tty == phone.hierarchy_xml() + "UI hierchary dumped to: /dev/tty\n"
    missing = adb.shell("cat", "/sdcard/none.xml")
    assert missing.returncode == 1 and b"cat: /sdcard/none.xml: No such file or directory" in missing.stdout


def test_push_pull_round_trip(adb, wire_server, tmp_path):
    payload = os.urandom(300_000)
    local = tmp_path / "blob.bin"
    local.write_bytes(payload)
    assert adb("push", str(local), "/data/local/tmp/").returncode == 0
    assert wire_server.device.read_file("/data/local/tmp/blob.bin").data == payload
    assert adb.ok("md5sum", "/data/local/tmp/blob.bin").split()[0] == hashlib.md5(payload).hexdigest()
    back = tmp_path / "back.bin"
    assert adb("pull", "/data/local/tmp/blob.bin", str(back)).returncode == 0
    assert back.read_bytes() == payload
    missing = adb("pull", "/data/local/tmp/none", str(tmp_path / "none"))
    assert missing.returncode == 1 and b"remote object '/data/local/tmp/none' does not exist" in (
        missing.stdout + missing.stderr)


# -- input ------------------------------------------------------------------------------------------------

def test_input_tap_swipe_text_keyevent(adb, phone):
    adb.ok("monkey", "-p", SETTINGS, "-c", "android.intent.category.LAUNCHER", "1")
    settings = phone.app_state("settings")
    before = settings.bluetooth
    tap_node(adb, phone, resource_id="bluetooth_switch")
    assert settings.bluetooth is not before

    adb.ok("monkey", "-p", SHOP, "-c", "android.intent.category.LAUNCHER", "1")
    listing = phone.find(resource_id="product_list")
    x, y = listing.center
    adb.ok("input", "swipe", str(x), str(y + 400), str(x), str(y - 400), "300")
    assert phone.app(SHOP).scroll_offset("home_list") > 0
    # A swipe that does not move, held long enough, is a long press.
    adb.ok("input", "swipe", str(x), str(y), str(x), str(y), "1000")
    assert phone.events[-1].kind == "long_press"

    tap_node(adb, phone, resource_id="search_box")
    adb.ok("input", "text", "white%st")
    adb.ok("input", "keyevent", "KEYCODE_S", "KEYCODE_H", "73")  # 73 is KEYCODE_BACKSLASH
    assert phone.app_state("shop").query == "white tsh\\"
    adb.ok("input", "keyevent", "67")  # DEL
    adb.ok("input", "keyevent", "KEYCODE_ENTER")
    assert phone.app(SHOP).top.name == "results"
    adb.ok("input", "keyevent", "KEYCODE_WAKEUP")  # a key this phone has no use for: accepted, ignored
    adb.ok("input", "keyevent", "BACK")
    assert phone.app(SHOP).top.name == "search"
    adb.ok("input", "keyevent", "3")
    assert phone.current_package() == "com.autoagent.launcher"


# -- am, monkey, force-stop ------------------------------------------------------------------------------

def test_am_start_by_component_and_by_view_intent(adb, phone):
    out = adb.ok("am", "start", "-n", f"{SHOP}/.MainActivity")
    assert out == f"Starting: Intent {{ cmp={SHOP}/.MainActivity }}\n" and phone.current_package() == SHOP
    adb.ok("input", "keyevent", "HOME")
    out = adb.ok("am", "start", "-a", "android.intent.action.VIEW", "-d", "settings://display")
    assert out == "Starting: Intent { act=android.intent.action.VIEW dat=settings://display }\n"
    assert phone.current_package() == SETTINGS
    adb.ok("am", "start", "-a", "android.intent.action.VIEW", "-d", "tel:13800138000")
    assert phone.current_package() == "com.autoagent.contacts"
    adb.ok("am", "start", "-a", "android.settings.WIFI_SETTINGS")
    assert phone.current_package() == SETTINGS
    adb.ok("am", "start", "-a", "android.intent.action.MAIN", "-c", "android.intent.category.HOME")
    assert phone.current_package() == "com.autoagent.launcher"
    waited = adb.ok("am", "start", "-W", "-n", f"{SHOP}/.MainActivity")
    assert "Status: ok" in waited and f"Activity: {SHOP}/.HomeActivity" in waited and waited.endswith("Complete\n")

    web = adb.shell("am", "start", "-a", "android.intent.action.VIEW", "-d", "https://example.com/a")
    assert web.returncode == 1 and b"Error: Activity not started, unable to resolve Intent { " \
        b"act=android.intent.action.VIEW dat=https://example.com/a flg=0x10000000 }" in web.stdout
    bad = adb.shell("am", "start", "-n", "no.such.app/.Main")
    assert bad.returncode == 1
    assert b"Error type 3\nError: Activity class {no.such.app/.Main} does not exist." in bad.stdout
    assert phone.current_package() == SHOP


def test_monkey_launches_and_refuses_unknown_packages(adb, phone):
    out = adb.ok("monkey", "-p", SETTINGS, "-c", "android.intent.category.LAUNCHER", "1")
    assert "Events injected: 1" in out and phone.current_package() == SETTINGS
    missing = adb.shell("monkey", "-p", "no.such.app", "-c", "android.intent.category.LAUNCHER", "1")
    assert missing.returncode != 0 and b"** No activities found to run, monkey aborted." in missing.stdout
    assert phone.current_package() == SETTINGS


def test_force_stop_kills_the_flow_but_keeps_saved_data(adb, phone):
    adb.ok("monkey", "-p", SHOP, "-c", "android.intent.category.LAUNCHER", "1")
    tap_node(adb, phone, resource_id="product_name", text=NOTEBOOK)
    tap_node(adb, phone, resource_id="add_to_cart_button")
    tap_node(adb, phone, resource_id="buy_now_button")
    assert phone.app(SHOP).top.name == "checkout"
    assert adb.ok("am", "force-stop", SHOP) == ""
    assert phone.current_package() == "com.autoagent.launcher"
    adb.ok("monkey", "-p", SHOP, "-c", "android.intent.category.LAUNCHER", "1")
    assert phone.current_package() == SHOP and phone.app(SHOP).top.name == "home"  # starts over
    assert [(line.product_id, line.qty) for line in phone.app_state("shop").cart] == [("notebook", 1)]
    # Launching without a force-stop resumes where the app was.
    tap_node(adb, phone, resource_id="product_name", text=NOTEBOOK)
    adb.ok("input", "keyevent", "HOME")
    adb.ok("am", "start", "-n", f"{SHOP}/.MainActivity")
    assert phone.app(SHOP).top.name == "product"
    adb.ok("am", "kill", SHOP)  # only background processes are killed
    assert phone.app(SHOP).top.name == "product"


# -- dumpsys, wm, settings, ime --------------------------------------------------------------------------

def test_dumpsys_names_the_app_in_front(adb, phone):
    adb.ok("monkey", "-p", SHOP, "-c", "android.intent.category.LAUNCHER", "1")
    tap_node(adb, phone, resource_id="product_name", text=NOTEBOOK)
    window = adb.ok("dumpsys", "window")
    focus = CURRENT_FOCUS.search(window)
    assert focus and (focus["package"], focus["activity"]) == (SHOP, phone.current_activity())
    app = FOCUSED_APP.search(window)
    assert app and (app["package"], app["activity"]) == (SHOP, ".ProductActivity")
    assert CURRENT_FOCUS.search(adb.ok("dumpsys", "window", "windows"))
    grepped = adb.ok("dumpsys window | grep mCurrentFocus")
    assert grepped and all("mCurrentFocus=Window{" in line for line in grepped.splitlines())
    activities = adb.ok("dumpsys", "activity", "activities")
    assert f"mResumedActivity: ActivityRecord{{" in activities and f"u0 {SHOP}/.ProductActivity t" in activities
    top = adb.ok("dumpsys", "activity", "top")
    assert re.search(rf"ACTIVITY {SHOP}/\.ProductActivity \w+ pid=\d+", top)
    display = adb.ok("dumpsys", "display")
    assert "real 1080 x 2400" in display and "orientation=0" in display and "state ON" in display
    assert "mInputShown=false" in adb.ok("dumpsys", "input_method")
    adb.ok("input", "keyevent", "BACK")
    tap_node(adb, phone, resource_id="search_box")
    assert "mInputShown=true" in adb.ok("dumpsys", "input_method")


def test_wm_settings_and_ime(adb, phone):
    assert adb.ok("wm", "size") == "Physical size: 1080x2400\n"
    assert adb.ok("wm", "density") == "Physical density: 440\n"
    assert adb.ok("settings", "get", "secure", "default_input_method") == DEFAULT_IME + "\n"
    assert adb.ok("settings", "get", "system", "no_such_key") == "null\n"
    assert adb.ok("settings", "get", "global", "airplane_mode_on") == "0\n"
    adb.ok("settings", "put", "global", "airplane_mode_on", "1")
    assert phone.app_state("settings").airplane_mode is True  # the Settings app shows the same switch
    adb.ok("settings", "put", "system", "my_key", "42")
    assert adb.ok("settings", "get", "system", "my_key") == "42\n"
    bad = adb.shell("settings", "get", "nowhere", "key")
    assert bad.returncode == 1 and b"Invalid namespace 'nowhere'" in bad.stdout
    assert adb.ok("ime", "list", "-s") == DEFAULT_IME + "\n"
    assert f"mId={DEFAULT_IME}" in adb.ok("ime", "list")


# -- the shell itself ----------------------------------------------------------------------------------

def test_pipes_and_command_lists(adb):
    assert adb.ok("pm list packages | grep shop") == f"package:{SHOP}\n"
    assert adb.ok("getprop | grep ro.product.model | head -n 1") == "[ro.product.model]: [EmulatorPhone]\n"
    assert adb.ok("dumpsys window | grep -c mFocusedApp").strip().isdigit()
    assert adb.shell("dumpsys window | grep no-such-line").returncode == 1
    assert adb.ok("echo a && false || echo b") == "a\nb\n"


def test_bad_input_gets_android_errors(adb, phone):
    cases = [
        (("frobnicate",), 127, "/system/bin/sh: frobnicate: inaccessible or not found"),
        (("am", "frob"), 255, "Unknown command: frob"),
        (("cmd", "nosuchservice"), 20, "cmd: Can't find service: nosuchservice"),
        (("input", "tap", "x", "y"), 1, "Error: bad number"),
        (("input", "keyevent", "KEYCODE_NOPE"), 1, "Error: Unknown keycode: KEYCODE_NOPE"),
        (("input", "tap", "5000", "5000"), 1, "outside the 1080x2400 screen"),
        (("screencap", "-x"), 1, "usage: screencap [-hp] [-d display-id] [FILENAME]"),
        (("am", "start", "-a"), 255, "Exception occurred while executing 'start':\n"
                                     'java.lang.IllegalArgumentException: Argument expected after "-a"'),
        (("am", "broadcast", "-a", "X", "--ei", "code", "abc"), 255,
         'java.lang.NumberFormatException: For input string: "abc"'),
        (("pm", "install"), 1, "Error: must either specify a package size or an APK file"),
        (("ime", "enable", "com.example/.Nope"), 1, "Unknown input method com.example/.Nope cannot be enabled"),
    ]
    for args, code, text in cases:
        out = adb.shell(*args)
        assert out.returncode == code, (args, out.returncode, out.stdout)
        assert text in out.stdout.decode(), (args, out.stdout)
    adb.ok("input", "keyevent", "HOME")  # still usable after all that
    assert phone.current_package() == "com.autoagent.launcher"
