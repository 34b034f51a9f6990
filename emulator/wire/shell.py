"""A small Android shell: the commands adbutils and uiautomator2 run on a device.

Commands are parsed like ``sh`` does for the simple cases clients use (``;``, ``&&``,
``||``, ``$?``, ``NAME=value`` prefixes, quoting). Anything else answers the way a
device shell would: ``<name>: inaccessible or not found`` with exit status 127.
"""

from __future__ import annotations

import hashlib
import io
import re
import shlex
from dataclasses import dataclass
from typing import Callable

from autoagent.device import DeviceError
from emulator.wire.device_state import DEFAULT_IME, PROPS, DeviceState
from emulator.wire.keys import phone_key

UIAUTOMATOR_MAIN = "com.wetest.uia2.Main"
UIAUTOMATOR_STARTUP = (
    "[server] INFO: [UiAutomator2Server] Starting Server\n"
)


@dataclass
class ShellResult:
    output: bytes
    code: int
    # Set when the command keeps running (the uiautomator server): the port it serves.
    uiautomator_port: int | None = None


class _Exit(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.message = message
        self.code = code


Command = Callable[[DeviceState, list[str], dict[str, str]], "str | bytes"]


def run(state: DeviceState, cmdline: str) -> ShellResult:
    """Run a command line; the output has stdout and stderr merged, as adb's shell v1 does."""
    try:
        statements = _split(cmdline)
    except ValueError as err:
        return ShellResult(f"/system/bin/sh: syntax error: {err}\n".encode(), 2)
    out = bytearray()
    code = 0
    for connector, words in statements:
        if connector == "&&" and code != 0:
            continue
        if connector == "||" and code == 0:
            continue
        words = [w.replace("$?", str(code)) for w in words]
        env, words = _take_env(words)
        if not words:
            continue
        if _is_uiautomator(words):
            result = _uiautomator(state, words, env)
            out += result.output
            if result.uiautomator_port is not None:
                # The server runs in the foreground: what follows waits for it to exit.
                return ShellResult(bytes(out), result.code, result.uiautomator_port)
            code = result.code
            continue
        text, code = _one(state, words, env)
        out += text
    return ShellResult(bytes(out), code)


def _split(cmdline: str) -> list[tuple[str, list[str]]]:
    """[(connector, words)]: connector is the operator before the command (";" first)."""
    lex = shlex.shlex(cmdline, posix=True, punctuation_chars=";&|")
    lex.whitespace_split = True
    lex.commenters = ""
    statements: list[tuple[str, list[str]]] = []
    connector, words = ";", []
    for tok in lex:
        if tok in (";", "&&", "||"):
            statements.append((connector, words))
            connector, words = tok, []
        elif tok in ("|", "&", ";;"):
            raise ValueError(f"'{tok}' is not supported by this shell")
        else:
            words.append(tok)
    statements.append((connector, words))
    return [(c, w) for c, w in statements if w]


_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _take_env(words: list[str]) -> tuple[dict[str, str], list[str]]:
    env: dict[str, str] = {}
    i = 0
    while i < len(words) and _ENV.match(words[i]):
        key, _, value = words[i].partition("=")
        env[key] = value
        i += 1
    return env, words[i:]


def _one(state: DeviceState, words: list[str], env: dict[str, str]) -> tuple[bytes, int]:
    name = words[0].rsplit("/", 1)[-1]
    if name in ("toybox", "busybox") and len(words) > 1:
        words = words[1:]
        name = words[0]
    handler = COMMANDS.get(name)
    if handler is None:
        return f"/system/bin/sh: {words[0]}: inaccessible or not found\n".encode(), 127
    try:
        out = handler(state, words[1:], env)
        code = 0
    except _Exit as ex:
        out, code = ex.message, ex.code
    except DeviceError as err:
        out, code = f"Error: {err}\n", 1
    if isinstance(out, str):
        out = out.encode("utf-8")
    return out, code


# -- the uiautomator server process ------------------------------------------------------

def _is_uiautomator(words: list[str]) -> bool:
    return words[0].rsplit("/", 1)[-1] == "app_process" and UIAUTOMATOR_MAIN in words


def _uiautomator(state: DeviceState, words: list[str], env: dict[str, str]) -> ShellResult:
    classpath = env.get("CLASSPATH", "")
    jars = [p for p in classpath.split(":") if p]
    if not jars or any(state.read_file(p) is None for p in jars):
        msg = f"Error: Could not find or load main class {UIAUTOMATOR_MAIN}\n"
        return ShellResult(msg.encode(), 1)
    port = 9008
    if "-p" in words:
        i = words.index("-p")
        if i + 1 >= len(words) or not words[i + 1].isdigit():
            return ShellResult(b"Error: -p needs a port number\n", 2)
        port = int(words[i + 1])
    return ShellResult(UIAUTOMATOR_STARTUP.encode(), 0, uiautomator_port=port)


# -- commands ----------------------------------------------------------------------------

def _getprop(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    props = dict(PROPS, **{"ro.serialno": state.serial})
    if not args:
        return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items()))
    return props.get(args[0], args[1] if len(args) > 1 else "") + "\n"


def _size(state: DeviceState) -> tuple[int, int]:
    with state.phone.lock:
        return tuple(state.phone.screen_size())  # type: ignore[return-value]


def _wm(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args[:1] == ["size"]:
        w, h = _size(state)
        return f"Physical size: {w}x{h}\n"
    if args[:1] == ["density"]:
        return f"Physical density: {PROPS['ro.sf.lcd_density']}\n"
    raise _Exit(f"Error: unknown wm command '{' '.join(args)}'\n", 1)


def _current(state: DeviceState) -> tuple[str, str]:
    with state.phone.lock:
        return state.phone.current_package(), state.phone.current_activity()


def _dumpsys(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    what = args[0] if args else ""
    if what == "window":
        pkg, act = _current(state)
        return (
            "WINDOW MANAGER WINDOWS (dumpsys window windows)\n"
            f"  mCurrentFocus=Window{{1a2b3c4 u0 {pkg}/{act}}}\n"
            f"  mFocusedApp=ActivityRecord{{5d6e7f8 u0 {pkg}/{act} t1}}\n"
        )
    if what == "activity":
        pkg, act = _current(state)
        sub = args[1] if len(args) > 1 else "activities"
        if sub == "top":
            return f"TASK {pkg} id=1 userId=0\n  ACTIVITY {pkg}/{act} 5d6e7f8 pid={_pid(pkg)}\n"
        return f"  mResumedActivity: ActivityRecord{{5d6e7f8 u0 {pkg}/{act} t1}}\n"
    if what == "display":
        w, h = _size(state)
        return f"  mBaseDisplayInfo=DisplayInfo{{real {w} x {h}, rotation 0}}\n  orientation=0\n"
    if what == "package" and len(args) > 1:
        pkg = args[1]
        if pkg not in _packages(state):
            return f"Unable to find package: {pkg}\n"
        return (
            f"Packages:\n  Package [{pkg}] (1a2b3c):\n    versionCode=1 minSdk=21 targetSdk=30\n"
            "    versionName=1.0\n    pkgFlags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]\n"
            "    firstInstallTime=2024-01-01 00:00:00\n    lastUpdateTime=2024-01-01 00:00:00\n"
            "    signatures=PackageSignatures{1a2b3c version:2, signatures:[5d6e7f8], past signatures:[]}\n"
        )
    if what == "power":
        return "  mWakefulness=Awake\n  Display Power: state=ON\n  mHoldingDisplaySuspendBlocker=true\n"
    if what == "input_method":
        return f"  mCurMethodId={state.settings.get('secure default_input_method', DEFAULT_IME)}\n  mInputShown=false\n"
    if what == "battery":
        return "Current Battery Service state:\n  AC powered: true\n  USB powered: false\n  status: 2\n  level: 100\n  scale: 100\n  temperature: 250\n  technology: Li-ion\n"
    return f"Can't find service: {what}\n" if what else "Currently running services:\n"


def _pid(package: str) -> int:
    # Stable per package, so clients that compare pids across calls see the same process.
    return 1000 + int(hashlib.md5(package.encode()).hexdigest()[:4], 16) % 30000


def _packages(state: DeviceState) -> list[str]:
    with state.phone.lock:
        return list(state.phone.packages())


def _pm(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    sub = args[0] if args else ""
    if sub == "list" and args[1:2] == ["packages"]:
        rest = args[2:]
        show_path = "-f" in rest
        needle = next((a for a in rest if not a.startswith("-") and a != "None"), "")
        lines = []
        for pkg in sorted(_packages(state)):
            if needle in pkg:
                path = f"/data/app/{pkg}/base.apk=" if show_path else ""
                lines.append(f"package:{path}{pkg}\n")
        return "".join(lines)
    if sub == "path" and len(args) > 1:
        if args[1] in _packages(state):
            return f"package:/data/app/{args[1]}/base.apk\n"
        raise _Exit("", 1)
    if sub in ("clear", "grant", "revoke"):
        if len(args) > 1 and args[-1 if sub == "clear" else 1] in _packages(state):
            return "Success\n" if sub == "clear" else ""
        raise _Exit(f"Error: package not found\n", 1)
    if sub == "install":
        raise _Exit("Failure [INSTALL_FAILED_USER_RESTRICTED: this device does not install apks]\n", 1)
    if sub == "uninstall":
        raise _Exit("Failure [DELETE_FAILED_USER_RESTRICTED]\n", 1)
    raise _Exit(f"Error: unknown pm command '{sub}'\n", 1)


def _launch(state: DeviceState, package: str) -> bool:
    if package not in _packages(state):
        return False
    with state.phone.lock:
        state.phone.launch(package)
    return True


def _monkey(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if "-p" not in args or args.index("-p") + 1 >= len(args):
        raise _Exit("** Error: monkey needs -p <package>\n", 1)
    pkg = args[args.index("-p") + 1]
    if not _launch(state, pkg):
        raise _Exit(f"** No activities found to run, monkey aborted.\n", 252)
    return "  bash arg: -p\n  bash arg: " + pkg + "\nEvents injected: 1\n## Network stats: elapsed time=10ms\n"


def _am(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    sub = args[0] if args else ""
    if sub in ("start", "start-activity"):
        if "-n" in args and args.index("-n") + 1 < len(args):
            component = args[args.index("-n") + 1]
            pkg = component.split("/", 1)[0]
            if not _launch(state, pkg):
                raise _Exit(
                    f"Starting: Intent {{ cmp={component} }}\n"
                    f"Error type 3\nError: Activity class {{{component}}} does not exist.\n",
                    1,
                )
            return f"Starting: Intent {{ cmp={component} }}\n"
        raise _Exit("Error: this device only starts activities by component (-n)\n", 1)
    if sub == "force-stop" and len(args) > 1:
        pkg, _ = _current(state)
        if pkg == args[1]:
            with state.phone.lock:
                state.phone.home()
        return ""
    if sub == "broadcast":
        action = args[args.index("-a") + 1] if "-a" in args and args.index("-a") + 1 < len(args) else ""
        # No receiver here handles broadcasts; result=0 tells clients nobody answered.
        return f"Broadcasting: Intent {{ act={action} flg=0x400000 }}\nBroadcast completed: result=0\n"
    raise _Exit(f"Error: unknown am command '{sub}'\n", 1)


def _input(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if not args:
        raise _Exit("Usage: input [<source>] <command> [<arg>...]\n", 1)
    sub, rest = args[0], args[1:]
    phone = state.phone
    try:
        if sub == "keyevent":
            keys = [k for k in rest if not k.startswith("--")]
            if not keys:
                raise _Exit("Error: keyevent needs a key\n", 1)
            with phone.lock:
                for key in keys:
                    phone.press_key(phone_key(key))
            return ""
        if sub == "tap" and len(rest) == 2:
            x, y = (int(float(v)) for v in rest)
            with phone.lock:
                phone.tap(x, y)
            return ""
        if sub in ("swipe", "draganddrop") and len(rest) in (4, 5):
            x1, y1, x2, y2 = (int(float(v)) for v in rest[:4])
            ms = int(rest[4]) if len(rest) == 5 else 300
            with phone.lock:
                phone.swipe(x1, y1, x2, y2, ms / 1000)
            return ""
        if sub == "text" and rest:
            # `input text` spells spaces as %s because it takes one argument.
            text = " ".join(rest).replace("%s", " ")
            with phone.lock:
                phone.input_text(text)
            return ""
    except ValueError:
        raise _Exit(f"Error: bad number in 'input {' '.join(args)}'\n", 1) from None
    raise _Exit(f"Error: unknown command '{' '.join(args)}'\n", 1)


def _ps(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    pkg, _ = _current(state)
    rows = [("root", 1, 0, "init"), ("system", 540, 1, "system_server")]
    if pkg:
        rows.append(("u0_a80", _pid(pkg), 540, pkg))
    lines = ["USER           PID  PPID     VSZ    RSS WCHAN            ADDR S NAME"]
    for user, pid, ppid, name in rows:
        lines.append(f"{user:<10} {pid:>7} {ppid:>5} 1000000  20000 SyS_epoll_wait      0 S {name}")
    return "\n".join(lines) + "\n"


def _md5sum(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    out, missing = [], False
    for path in args:
        entry = state.read_file(path)
        if entry is None:
            out.append(f"md5sum: {path}: No such file or directory\n")
            missing = True
        else:
            out.append(f"{hashlib.md5(entry.data).hexdigest()}  {path}\n")
    if missing:
        raise _Exit("".join(out), 1)
    return "".join(out)


def _ls(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    paths = [a for a in args if not a.startswith("-")] or ["/data/local/tmp"]
    out, failed = [], False
    for path in paths:
        entries = state.listdir(path)
        if entries is not None:
            out.extend(name + "\n" for name, *_ in entries)
        elif state.stat(path) is not None:
            out.append(path + "\n")
        else:
            out.append(f"ls: {path}: No such file or directory\n")
            failed = True
    if failed:
        raise _Exit("".join(out), 1)
    return "".join(out)


def _test(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if len(args) == 2 and args[0] in ("-e", "-f", "-d"):
        st = state.stat(args[1])
        ok = st is not None and (
            args[0] == "-e" or (args[0] == "-d") == bool(st[0] & 0o040000)
        )
        if ok:
            return ""
    raise _Exit("", 1)


def _rm(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    force = any(a.startswith("-") and "f" in a for a in args)
    for path in (a for a in args if not a.startswith("-")):
        if not state.remove(path) and not force:
            raise _Exit(f"rm: {path}: No such file or directory\n", 1)
    return ""


def _cat(state: DeviceState, args: list[str], env: dict[str, str]) -> bytes:
    out = b""
    for path in args:
        entry = state.read_file(path)
        if entry is None:
            raise _Exit(f"cat: {path}: No such file or directory\n", 1)
        out += entry.data
    return out


def _settings(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if len(args) >= 3 and args[0] == "get":
        return state.settings.get(f"{args[1]} {args[2]}", "null") + "\n"
    if len(args) >= 4 and args[0] == "put":
        state.settings[f"{args[1]} {args[2]}"] = args[3]
        return ""
    raise _Exit("usage: settings [get|put] NAMESPACE KEY [VALUE]\n", 1)


def _ime(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args[:1] == ["list"]:
        return DEFAULT_IME + "\n"
    if args[:1] in (["enable"], ["set"], ["disable"]) and len(args) > 1:
        if args[1] != DEFAULT_IME:
            raise _Exit(f"Unknown input method {args[1]} cannot be selected for user #0\n", 1)
        return ""
    raise _Exit("usage: ime list|enable|set|disable ID\n", 1)


def _screencap(state: DeviceState, args: list[str], env: dict[str, str]) -> bytes:
    with state.phone.lock:
        image = state.phone.screenshot()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _uiautomator_dump(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    if args[:1] != ["dump"]:
        raise _Exit("Usage: uiautomator dump [FILE]\n", 1)
    target = args[1] if len(args) > 1 else "/sdcard/window_dump.xml"
    with state.phone.lock:
        xml = state.phone.hierarchy_xml()
    state.write_file(target, xml.encode("utf-8"), 0o644)
    return f"UI hierchary dumped to: {target}\n"


def _false(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    raise _Exit("", 1)


def _mkdir(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    for path in (a for a in args if not a.startswith("-")):
        state.mkdir(path)
    return ""


COMMANDS: dict[str, Command] = {
    "getprop": _getprop,
    "wm": _wm,
    "dumpsys": _dumpsys,
    "pm": _pm,
    "monkey": _monkey,
    "am": _am,
    "input": _input,
    "ps": _ps,
    "md5sum": _md5sum,
    "md5": _md5sum,
    "ls": _ls,
    "test": _test,
    "rm": _rm,
    "cat": _cat,
    "settings": _settings,
    "ime": _ime,
    "screencap": _screencap,
    "uiautomator": _uiautomator_dump,
    "echo": lambda s, a, e: " ".join(a) + "\n",
    "true": lambda s, a, e: "",
    "false": _false,
    "id": lambda s, a, e: "uid=2000(shell) gid=2000(shell) groups=2000(shell)\n",
    "whoami": lambda s, a, e: "shell\n",
    "mkdir": _mkdir,
    "chmod": lambda s, a, e: "",
}
