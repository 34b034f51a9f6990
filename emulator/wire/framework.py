"""The Android framework's shell commands: am, pm, cmd, monkey, input, ime, settings, wm,
screencap and uiautomator dump, answering with Android 11's words and exit statuses.

Each command is ``(state, args, env) -> output`` and raises ShellExit to fail; those marked
``reads_stdin`` also get the command's standard input (``cmd package install -S SIZE`` streams
the APK through it, which is how ``adb install`` sends one).
"""

from __future__ import annotations

import base64
import binascii
import io
import struct

from emulator.wire import dumpsys as dump
from emulator.wire.apk import ApkError, Manifest, read_apk
from emulator.wire.device_state import ADB_KEYBOARD_PACKAGE, DEFAULT_IME, PROPS, DeviceState
from emulator.wire.intents import (
    FLAG_ACTIVITY_NEW_TASK,
    FLAG_RECEIVER_FOREGROUND,
    Intent,
    IntentError,
    parse_intent,
    resolve_activity,
    short_component,
)
from emulator.wire.keys import UnknownKeycode, key_effect, keycode
from emulator.wire.shell_io import NO_STDIN, ShellExit, Stdin, reads_stdin

LAUNCHER = "com.autoagent.launcher"


def _unknown(command: str) -> ShellExit:
    # Android's ShellCommand answers an unknown subcommand like this, exit status -1.
    return ShellExit(f"Unknown command: {command}\n", 255)


def _apps(state: DeviceState) -> list[str]:
    with state.phone.lock:
        return list(state.phone.packages())


def _all_packages(state: DeviceState) -> list[str]:
    """The phone's own apps (system apps) and the packages installed over adb."""
    return sorted(set(_apps(state)) | set(state.installed))


# -- pm ------------------------------------------------------------------------------------------

# pm install options that take a value (the rest are flags).
_INSTALL_VALUE_OPTIONS = {"-i", "-p", "--user", "--install-location", "-S", "--abi", "--originating-uri",
                          "--referrer", "--pkg", "--install-reason", "--force-uuid", "--staged-ready-timeout"}


@reads_stdin
def pm(state: DeviceState, args: list[str], env: dict[str, str], stdin: Stdin = NO_STDIN) -> str:
    sub, rest = (args[0], args[1:]) if args else ("", [])
    handlers = {"list": _pm_list, "path": _pm_path, "uninstall": _pm_uninstall, "clear": _pm_clear,
                "grant": _pm_permission, "revoke": _pm_permission, "dump": lambda s, a: dump.package(s, a)}
    if sub == "install":
        return _pm_install(state, rest, stdin)
    if sub in handlers:
        return handlers[sub](state, rest)
    if not sub:
        raise ShellExit("usage: pm path|list|install|uninstall|clear|grant|revoke|dump ...\n", 1)
    raise _unknown(sub)


def _pm_list(state: DeviceState, args: list[str]) -> str:
    if args[:1] != ["packages"]:
        raise ShellExit(f"Error: unknown list type '{args[0] if args else ''}'\n", 1)
    options = {a for a in args[1:] if a.startswith("-")}
    needle = next((a for a in args[1:] if not a.startswith("-")), "")
    third_party = set(state.installed)
    lines = []
    for pkg in _all_packages(state):
        if needle not in pkg or ("-3" in options and pkg not in third_party) or \
                ("-s" in options and pkg in third_party):
            continue
        path = f"/data/app/{pkg}/base.apk=" if "-f" in options else ""
        line = f"package:{path}{pkg}"
        if "-U" in options:
            line += " uid:10080"
        if "-i" in options:
            line += "  installer=null"
        lines.append(line + "\n")
    return "".join(lines)


def _pm_path(state: DeviceState, args: list[str]) -> str:
    if args and args[-1] in _all_packages(state):
        return f"package:/data/app/{args[-1]}/base.apk\n"
    raise ShellExit("", 1)


def _pm_clear(state: DeviceState, args: list[str]) -> str:
    if args and args[-1] in _all_packages(state):
        return "Success\n"
    raise ShellExit("Failed\n", 1)


def _pm_permission(state: DeviceState, args: list[str]) -> str:
    if len(args) < 2:
        raise ShellExit("Error: no package or permission specified\n", 1)
    if args[0] not in _all_packages(state):
        raise ShellExit(f"Exception occurred while executing:\n"
                        f"java.lang.IllegalArgumentException: Unknown package: {args[0]}\n", 255)
    return ""


def _pm_install(state: DeviceState, args: list[str], stdin: Stdin) -> str:
    options, paths = _install_options(args)
    session = state.next_install_session()
    device_path = f"/data/app/vmdl{session}.tmp/base.apk"
    if "-S" in options:
        size = options["-S"]
        if not size.isdigit():
            raise ShellExit(f"Error: invalid size: {size}\n", 1)
        data = stdin.read(int(size))
    elif paths and paths[0] != "-":
        entry = state.read_file(paths[0])
        if entry is None:
            raise ShellExit(f"Error: Unable to open file: {paths[0]}\nConsider using a file under /data/local/tmp/\n"
                            f"Error: Can't open file: {paths[0]}\n", 1)
        data = entry.data
    else:
        raise ShellExit("Error: must either specify a package size or an APK file\n", 1)
    try:
        manifest = read_apk(data, device_path)
    except ApkError as err:
        raise ShellExit(f"Failure [{err.code}: {err.message}]\n", 1) from None
    _check_replace(state, manifest, options)
    state.install_package(manifest, data)
    return "Success\n"


def _install_options(args: list[str]) -> tuple[dict[str, str], list[str]]:
    options: dict[str, str] = {}
    paths: list[str] = []
    it = iter(args)
    for arg in it:
        if arg in _INSTALL_VALUE_OPTIONS:
            options[arg] = next(it, "")
        elif arg.startswith("-") and arg != "-":
            options[arg] = ""
        else:
            paths.append(arg)
    return options, paths


def _check_replace(state: DeviceState, manifest: Manifest, options: dict[str, str]) -> None:
    pkg = manifest.package
    if pkg in _apps(state):
        # The phone's own apps are signed with its platform key; an APK cannot replace them.
        raise ShellExit(f"Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE: Package {pkg} signatures do not match "
                        "previously installed version; ignoring!]\n", 1)
    old = state.installed.get(pkg)
    if old is None:
        return
    if "-R" in options:
        raise ShellExit(f"Failure [INSTALL_FAILED_ALREADY_EXISTS: Attempt to re-install {pkg} without first "
                        "uninstalling.]\n", 1)
    if manifest.version_code < old.version_code and "-d" not in options:
        raise ShellExit(f"Failure [INSTALL_FAILED_VERSION_DOWNGRADE: Downgrade detected: Update version code "
                        f"{manifest.version_code} is older than current {old.version_code}]\n", 1)


def _pm_uninstall(state: DeviceState, args: list[str]) -> str:
    it = iter(args)
    names = []
    for arg in it:
        if arg in ("--user", "--versionCode"):
            next(it, None)
        elif not arg.startswith("-"):
            names.append(arg)
    if not names:
        raise ShellExit("Error: package name not specified\n", 1)
    if state.uninstall_package(names[0]):
        return "Success\n"
    # Unknown packages and the phone's own (system) apps fail alike on a phone.
    raise ShellExit("Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1)


# -- am and monkey ---------------------------------------------------------------------------------

def am(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    sub, rest = (args[0], args[1:]) if args else ("", [])
    if sub in ("start", "start-activity"):
        return _am_start(state, rest)
    if sub == "broadcast":
        return _am_broadcast(state, rest)
    if sub in ("force-stop", "kill"):
        names = [a for a in rest if not a.startswith("-") and not a.isdigit()]
        if not names:
            raise ShellExit(f"Error: no package specified for {sub}\n", 1)
        _force_stop(state, names[0], only_background=sub == "kill")
        return ""
    if sub == "get-current-user":
        return "0\n"
    if not sub:
        raise ShellExit("usage: am start|broadcast|force-stop|kill ...\n", 1)
    raise _unknown(sub)


def _force_stop(state: DeviceState, package: str, only_background: bool = False) -> None:
    with state.phone.lock:
        # `am kill` only takes processes that are safe to kill: not the one in front.
        if only_background and state.phone.current_package() == package:
            return
        state.phone.force_stop(package)


def _intent_for(verb: str, args: list[str]) -> Intent:
    """The intent of ``am VERB args``; bad arguments exit 255 with am's own usage text."""
    try:
        return parse_intent(args)
    except IntentError as err:
        raise ShellExit(err.describe(verb), 255) from None


def _am_start(state: DeviceState, args: list[str]) -> str:
    intent = _intent_for("start", args)
    starting = f"Starting: {intent.describe()}\n"
    package = resolve_activity(intent, _apps(state), LAUNCHER)
    if package is None:
        raise ShellExit(starting + _not_started(state, intent), 1)
    with state.phone.lock:
        phone = state.phone
        if intent.stop_first:
            phone.force_stop(package)
        cold = not getattr(phone.apps.get(package), "launched", True)
        phone.launch(package)
        activity = short_component(f"{package}/{phone.current_activity()}")
    if not intent.wait:
        return starting
    return (starting + f"Status: ok\nLaunchState: {'COLD' if cold else 'HOT'}\nActivity: {activity}\n"
            "TotalTime: 0\nWaitTime: 1\nComplete\n")


def _not_started(state: DeviceState, intent: Intent) -> str:
    target = intent.target_package
    if intent.component and target not in state.installed:
        return f"Error type 3\nError: Activity class {{{short_component(intent.component)}}} does not exist.\n"
    if target in state.installed:
        # Installed APKs are registered (pm, ime, dumpsys) but this phone has no runtime for their code.
        return f"Error: Activity not started, {target} cannot run on this phone\n"
    return f"Error: Activity not started, unable to resolve {intent.describe(intent.flags | FLAG_ACTIVITY_NEW_TASK)}\n"


def monkey(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    packages = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-p"]
    if not packages:
        raise ShellExit("usage: monkey [-p ALLOWED_PACKAGE [-p ALLOWED_PACKAGE] ...]\n"
                        "              [-c MAIN_CATEGORY [-c MAIN_CATEGORY] ...] COUNT\n", 1)
    echo = "".join(f"  bash arg: {a}\n" for a in args)
    launchable = [p for p in packages if p in _apps(state) and p != LAUNCHER]
    if not launchable:
        raise ShellExit(echo + "** No activities found to run, monkey aborted.\n", 252)
    with state.phone.lock:
        state.phone.launch(launchable[0])
    return echo + "Events injected: 1\n## Network stats: elapsed time=10ms (0ms mobile, 0ms wifi, 10ms not connected)\n"


# -- broadcasts: the ADB Keyboard ---------------------------------------------------------------

# What each ADB Keyboard action does; it acts only while it is the selected input method,
# because its receiver lives in the keyboard's service, which runs only then.
_EDITOR_ACTIONS = {"ADB_ACTION_SEARCH", "ADB_ACTION_GO", "ADB_ACTION_DONE", "ADB_ACTION_NEXT", "ADB_ACTION_SEND"}


def _am_broadcast(state: DeviceState, args: list[str]) -> str:
    intent = _intent_for("broadcast", args)
    out = f"Broadcasting: {intent.describe(intent.flags | FLAG_RECEIVER_FOREGROUND)}\n"
    if state.selected_input_method().split("/", 1)[0] == ADB_KEYBOARD_PACKAGE:
        _adb_keyboard(state, intent)
    return out + "Broadcast completed: result=0\n"


def _adb_keyboard(state: DeviceState, intent: Intent) -> None:
    phone = state.phone
    action, extras = intent.action, intent.extras
    with phone.lock:
        if action == "ADB_INPUT_TEXT" and isinstance(extras.get("msg"), str):
            phone.input_text(extras["msg"])
        elif action == "ADB_INPUT_B64" and isinstance(extras.get("msg"), str):
            text = _b64(extras["msg"])
            if text:
                phone.input_text(text)
        elif action == "ADB_INPUT_CHARS" and isinstance(extras.get("chars"), list):
            phone.input_text("".join(chr(c) for c in extras["chars"]))
        elif action == "ADB_INPUT_CODE" and isinstance(extras.get("code"), int):
            _press_code(state, extras["code"])
        elif action == "ADB_EDITOR_CODE" and isinstance(extras.get("code"), int) or action in _EDITOR_ACTIONS:
            phone.press_key("enter")  # the field's editor action: search, go, send, done
        elif action == "ADB_CLEAR_TEXT":
            phone.clear_text()


def _b64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""  # the keyboard's decoder throws; nothing is typed


def _press_code(state: DeviceState, code: int) -> None:
    key, text = key_effect(code)
    if key:
        state.phone.press_key(key)
    elif text:
        state.phone.input_text(text)


# -- input ---------------------------------------------------------------------------------------

_SOURCES = {"keyboard", "mouse", "joystick", "touchnavigation", "touchpad", "trackball", "stylus", "dpad",
            "gesture", "touchscreen", "gamepad", "rotaryencoder"}
# A swipe that stays put for this long is a long press (ViewConfiguration's long-press timeout).
LONG_PRESS_MS = 400


def input_(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args[:1] and args[0] in _SOURCES:
        args = args[1:]
    if args[:1] == ["-d"]:
        args = args[2:]  # the display: there is one
    if not args:
        raise ShellExit("Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]\n", 1)
    sub, rest = args[0], args[1:]
    try:
        if sub == "keyevent":
            return _keyevent(state, rest)
        if sub == "tap" and len(rest) == 2:
            x, y = (int(float(v)) for v in rest)
            with state.phone.lock:
                state.phone.tap(x, y)
            return ""
        if sub in ("swipe", "draganddrop") and len(rest) in (4, 5):
            return _swipe(state, rest)
        if sub == "text" and rest:
            # `input text` takes one argument; %s stands for a space in it.
            with state.phone.lock:
                state.phone.input_text(" ".join(rest).replace("%s", " "))
            return ""
    except ValueError:
        raise ShellExit(f"Error: bad number in 'input {' '.join(args)}'\n", 1) from None
    raise ShellExit(f"Error: Unknown command: {sub} {' '.join(rest)}\n".replace(" \n", "\n"), 1)


def _keyevent(state: DeviceState, args: list[str]) -> str:
    keys = [k for k in args if not k.startswith("--")]
    if not keys:
        raise ShellExit("Error: keyevent needs a key\n", 1)
    try:
        codes = [keycode(k) for k in keys]
    except UnknownKeycode as err:
        raise ShellExit(f"Error: Unknown keycode: {err}\n", 1) from None
    with state.phone.lock:
        for code in codes:
            _press_code(state, code)
    return ""


def _swipe(state: DeviceState, rest: list[str]) -> str:
    x1, y1, x2, y2 = (int(float(v)) for v in rest[:4])
    ms = int(float(rest[4])) if len(rest) == 5 else 300
    with state.phone.lock:
        if abs(x2 - x1) < 20 and abs(y2 - y1) < 20 and ms >= LONG_PRESS_MS:
            state.phone.long_press(x1, y1, ms / 1000)  # a press held in place
        else:
            state.phone.swipe(x1, y1, x2, y2, ms / 1000)
    return ""


# -- ime -------------------------------------------------------------------------------------------

def ime(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    sub, rest = (args[0], [a for a in args[1:] if a not in ("--user", "0", "-u")]) if args else ("", [])
    if sub == "list":
        return _ime_list(state, rest)
    if sub in ("enable", "disable") and rest:
        return _ime_enable(state, rest[-1], sub == "enable")
    if sub == "set" and rest:
        return _ime_set(state, rest[-1])
    if sub == "reset":
        for other in state.enabled_input_methods():
            if other != DEFAULT_IME:
                state.set_input_method_enabled(other, False)
        state.set_input_method_enabled(DEFAULT_IME, True)
        state.select_input_method(DEFAULT_IME)
        return f"Reset current and enabled IMEs for user #0\n  Selected: {DEFAULT_IME}\n   Enabled: {DEFAULT_IME}\n"
    if sub in ("enable", "disable", "set"):
        raise ShellExit(f"Error: no input method specified for {sub}\n", 1)
    if not sub:
        raise ShellExit("usage: ime list [-a] [-s] | enable ID | disable ID | set ID | reset\n", 1)
    raise _unknown(sub)


def _ime_list(state: DeviceState, flags: list[str]) -> str:
    every = "-a" in flags
    ids = state.input_methods() if every else state.enabled_input_methods()
    if "-s" in flags:
        return "".join(f"{i}\n" for i in ids)
    out = []
    for ime_id in ids:
        pkg, _, cls = ime_id.partition("/")
        full = pkg + cls if cls.startswith(".") else cls
        out.append(f"{ime_id}:\n  mId={ime_id} mSettingsActivityName=null mIsVrOnly=false "
                   f"mSupportsSwitchingToNextInputMethod=false\n  mIsDefaultResId=0x0\n  Service:\n"
                   f"    priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false\n"
                   f"    ServiceInfo:\n      name={full}\n      packageName={pkg}\n"
                   f"      enabled=true exported=true directBootAware=false\n"
                   f"      permission=android.permission.BIND_INPUT_METHOD\n")
    return "".join(out)


def _ime_enable(state: DeviceState, ime_id: str, enable: bool) -> str:
    if ime_id not in state.input_methods():
        verb = "enabled" if enable else "disabled"
        raise ShellExit(f"Unknown input method {ime_id} cannot be {verb} for user #0\n", 1)
    before = state.set_input_method_enabled(ime_id, enable)
    return f"Input method {ime_id}: {'already' if before == enable else 'now'} {'enabled' if enable else 'disabled'}\n"


def _ime_set(state: DeviceState, ime_id: str) -> str:
    # As on a phone, only an installed input method that is enabled can be selected.
    if ime_id not in state.enabled_input_methods():
        raise ShellExit(f"Unknown input method {ime_id} cannot be selected for user #0\n", 1)
    state.select_input_method(ime_id)
    return f"Input method {ime_id} selected for user #0\n"


# -- settings ---------------------------------------------------------------------------------------

_NAMESPACES = ("system", "secure", "global")
# Settings the Settings app shows: reading and writing them goes to the app's own state.
_LINKED = {
    "global airplane_mode_on": ("airplane_mode", lambda v: "1" if v else "0", lambda s: s == "1"),
    "global wifi_on": ("wifi", lambda v: "1" if v else "0", lambda s: s == "1"),
    "global bluetooth_on": ("bluetooth", lambda v: "1" if v else "0", lambda s: s == "1"),
    "secure ui_night_mode": ("dark_mode", lambda v: "2" if v else "1", lambda s: s == "2"),
    "system screen_brightness": ("brightness", lambda v: str(round(v * 255 / 100)),
                                 lambda s: max(0, min(100, round(int(s) * 100 / 255)))),
}


def settings(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args[:1] == ["--user"]:
        args = args[2:]
    sub = args[0] if args else ""
    if sub in ("get", "put", "delete", "list") and len(args) >= 2 and args[1] not in _NAMESPACES:
        raise ShellExit(f"Invalid namespace '{args[1]}'\n", 1)
    if sub == "get" and len(args) >= 3:
        return _setting_get(state, f"{args[1]} {args[2]}") + "\n"
    if sub == "put" and len(args) >= 4:
        _setting_put(state, f"{args[1]} {args[2]}", args[3])
        return ""
    if sub == "delete" and len(args) >= 3:
        removed = state.settings.pop(f"{args[1]} {args[2]}", None) is not None
        return f"Deleted {1 if removed else 0} rows\n"
    if sub == "list" and len(args) >= 2:
        keys = sorted({k for k in state.settings if k.startswith(args[1] + " ")} |
                      {k for k in _LINKED if k.startswith(args[1] + " ")})
        return "".join(f"{k.split(' ', 1)[1]}={_setting_get(state, k)}\n" for k in keys)
    raise ShellExit("usage:  settings [--user <USER_ID> | current] get namespace key\n"
                    "        settings [--user <USER_ID> | current] put namespace key value\n"
                    "        settings [--user <USER_ID> | current] delete namespace key\n"
                    "        settings [--user <USER_ID> | current] list namespace\n"
                    "\n'namespace' is one of {system, secure, global}, case-insensitive\n", 1)


def _settings_app(state: DeviceState):
    return state.phone.app_state("settings")


def _setting_get(state: DeviceState, key: str) -> str:
    if key in _LINKED:
        attr, show, _ = _LINKED[key]
        with state.phone.lock:
            return show(getattr(_settings_app(state), attr))
    return state.settings.get(key, "null")


def _setting_put(state: DeviceState, key: str, value: str) -> None:
    if key in _LINKED:
        attr, _, parse = _LINKED[key]
        try:
            parsed = parse(value)
        except ValueError:
            raise ShellExit(f"Error: bad value for {key.split(' ', 1)[1]}: {value}\n", 1) from None
        with state.phone.lock:
            setattr(_settings_app(state), attr, parsed)
            state.phone.invalidate()
        return
    state.settings[key] = value


# -- wm -----------------------------------------------------------------------------------------------

def wm(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args == ["size"]:
        w, h = _size(state)
        return f"Physical size: {w}x{h}\n"
    if args == ["density"]:
        return f"Physical density: {PROPS['ro.sf.lcd_density']}\n"
    if args[:1] in (["size"], ["density"]) and args[1:] == ["reset"]:
        return ""
    if args[:1] in (["size"], ["density"]):
        # Overriding would make the phone draw at another size; its screens are laid out for one.
        raise ShellExit(f"Error: this phone's display cannot be changed with 'wm {' '.join(args)}'\n", 1)
    if not args:
        raise ShellExit("usage: wm size|density [reset]\n", 1)
    raise _unknown(" ".join(args))


def _size(state: DeviceState) -> tuple[int, int]:
    with state.phone.lock:
        w, h = state.phone.screen_size()
    return int(w), int(h)


# -- screencap and uiautomator dump ------------------------------------------------------------------

_SCREENCAP_USAGE = ("usage: screencap [-hp] [-d display-id] [FILENAME]\n"
                    "   -h: this message\n"
                    "   -p: save the file as a png.\n"
                    f"   -d: specify the physical display ID to capture (default: {dump.PHYSICAL_DISPLAY_ID})\n"
                    "If FILENAME ends with .png it will be saved as a png.\n"
                    "If FILENAME is not given, the results will be printed to stdout.\n")


def screencap(state: DeviceState, args: list[str], env: dict[str, str]) -> bytes:
    png, display, files = _screencap_args(args)
    if display not in (None, "0", dump.PHYSICAL_DISPLAY_ID):
        raise ShellExit(f"Display Id '{display}' is not valid.\n", 1)
    target = files[0] if files else None
    png = png or (target is not None and target.endswith(".png"))
    with state.phone.lock:
        image = state.phone.screenshot()
    data = _encode_png(image) if png else _encode_raw(image)
    if target is None:
        return data
    parent = target.rsplit("/", 1)[0] or "/"
    if state.stat(parent) is None or state.read_file(parent) is not None:
        raise ShellExit(f"Error opening file: {target} (No such file or directory)\n", 1)
    state.write_file(target, data, 0o644)
    return b""


def _screencap_args(args: list[str]) -> tuple[bool, str | None, list[str]]:
    png, display, files = False, None, []
    it = iter(args)
    for arg in it:
        if arg == "-p":
            png = True
        elif arg == "-d":
            display = next(it, None)
            if display is None:
                raise ShellExit("screencap: option requires an argument -- d\n" + _SCREENCAP_USAGE, 1)
        elif arg.startswith("-"):
            raise ShellExit(f"screencap: invalid option -- {arg[1:2]}\n" + _SCREENCAP_USAGE, 1)
        else:
            files.append(arg)
    return png, display, files


def _encode_png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _encode_raw(image) -> bytes:
    # screencap's raw format: width, height, pixel format (1 = RGBA_8888), data space, pixels.
    rgba = image.convert("RGBA")
    return struct.pack("<IIII", rgba.width, rgba.height, 1, 0) + rgba.tobytes()


def uiautomator(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args[:1] != ["dump"]:
        raise ShellExit("Usage: uiautomator <subcommand> [options]\n\nAvailable subcommands:\n\n"
                        "help: displays help message\n\nruntest: executes UI automation tests\n\n"
                        "dump: creates an XML dump of current UI hierarchy\n\nevents: prints out accessibility events "
                        "until terminated\n", 1)
    files = [a for a in args[1:] if not a.startswith("--")]
    target = files[0] if files else "/sdcard/window_dump.xml"
    with state.phone.lock:
        xml = state.phone.hierarchy_xml()
    if target in ("/dev/tty", "/dev/stdout"):
        return xml + f"UI hierchary dumped to: {target}\n"
    parent = target.rsplit("/", 1)[0] or "/"
    if state.stat(parent) is None:
        raise ShellExit("ERROR: could not get idle state.\n", 1)
    state.write_file(target, xml.encode("utf-8"), 0o644)
    return f"UI hierchary dumped to: {target}\n"


# -- cmd: the same services by name --------------------------------------------------------------------

@reads_stdin
def cmd(state: DeviceState, args: list[str], env: dict[str, str], stdin: Stdin = NO_STDIN) -> str | bytes:
    if not args or args[0] == "-l":
        return "Currently running services:\n" + "".join(f"  {name}\n" for name in sorted(_SERVICES))
    service = _SERVICES.get(args[0])
    if service is None:
        raise ShellExit(f"cmd: Can't find service: {args[0]}\n", 20)
    if getattr(service, "reads_stdin", False):
        return service(state, args[1:], env, stdin)
    return service(state, args[1:], env)


_SERVICES = {"package": pm, "activity": am, "input_method": ime, "settings": settings, "window": wm,
             "input": input_}

COMMANDS = {"pm": pm, "am": am, "cmd": cmd, "monkey": monkey, "input": input_, "ime": ime,
            "settings": settings, "wm": wm, "screencap": screencap, "uiautomator": uiautomator,
            "dumpsys": dump.dumpsys}
