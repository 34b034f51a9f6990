"""A small Android shell: the commands adbutils and uiautomator2 run on a device.

Commands are parsed like ``sh`` does for the simple cases clients use (``;``, ``&&``,
``||``, ``$?``, ``NAME=value`` prefixes, quoting, pipes into ``grep``/``head``/``tail``/
``wc``/``cat``). Anything else answers the way a
device shell would: ``<name>: inaccessible or not found`` with exit status 127.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass
from typing import Callable, Iterator

from autoagent.device import DeviceError
from emulator.wire import framework
from emulator.wire.device_state import PROPS, DeviceState
from emulator.wire.dumpsys import focus, pid_of
from emulator.wire.shell_io import NO_STDIN, Stdin, reads_stdin
from emulator.wire.shell_io import ShellExit as _Exit

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


Command = Callable[[DeviceState, list[str], dict[str, str]], "str | bytes"]


def run(state: DeviceState, cmdline: str, stdin: Stdin = NO_STDIN) -> ShellResult:
    """Run a command line; the output has stdout and stderr merged, as adb's shell v1 does.

    ``stdin`` is the connection's input, for commands that read theirs (``pm install -S``)."""
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
        if any(isinstance(w, _Op) for w in words):
            text, code = _pipeline(state, words, code)
            out += text
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
        text, code = _one(state, words, env, stdin)
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
        elif tok == "|":
            words.append(_PIPE)  # a stage boundary inside this statement; run() splits the stages
        elif tok in ("&", ";;"):
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


# -- pipelines: `cmd | grep ... | head ...` ---------------------------------------------

class _Op(str):
    """An unquoted shell operator inside a statement's words (a quoted "|" stays a plain str)."""


_PIPE = _Op("|")


def _pipeline(state: DeviceState, words: list[str], last_code: int) -> tuple[bytes, int]:
    """Run ``a | b | c``: each stage reads the one before; the status is the last stage's.

    The first stage is any command; the later ones are the text filters clients pipe into
    (grep, head, tail, wc, cat). Output here has stderr merged into stdout (adb's shell v1),
    so what a stage prints on either goes down the pipe.
    """
    stages: list[list[str]] = [[]]
    for w in words:
        if isinstance(w, _Op):
            stages.append([])
        else:
            stages[-1].append(w.replace("$?", str(last_code)))
    if any(not stage for stage in stages):
        return b"/system/bin/sh: syntax error: unexpected '|'\n", 2
    data, code = b"", 0
    for i, stage in enumerate(stages):
        env, stage = _take_env(stage)
        name = stage[0].rsplit("/", 1)[-1] if stage else ""
        if i > 0 and name in _FILTERS:
            data, code = _FILTERS[name](state, stage[1:], data)
        elif stage:
            data, code = _one(state, stage, env)
    return data, code


def _filter_input(state: DeviceState, files: list[str], stdin: bytes) -> tuple[list[str], str]:
    """(lines with their newlines, errors): the named files, or the pipe when none are named."""
    if not files:
        return stdin.decode("utf-8", "surrogateescape").splitlines(keepends=True), ""
    text, errors = "", ""
    for path in files:
        entry = state.read_file(path)
        if entry is None:
            errors += f"{path}: No such file or directory\n"
        else:
            text += entry.data.decode("utf-8", "surrogateescape")
    return text.splitlines(keepends=True), errors


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _grep(state: DeviceState, args: list[str], stdin: bytes) -> tuple[bytes, int]:
    flags: set[str] = set()
    patterns: list[str] = []
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "-e":
            patterns.append(next(it, ""))
        elif arg.startswith("-") and len(arg) > 1 and not rest and set(arg[1:]) <= set("ivcEFqwxn"):
            flags |= set(arg[1:])
        else:
            rest.append(arg)
    if not patterns:
        if not rest:
            return b"usage: grep [-ivcEFqwxn] [-e PATTERN] PATTERN [FILE...]\n", 2
        patterns, rest = [rest[0]], rest[1:]
    try:
        regex = _grep_regex(patterns, flags)
    except re.error as err:
        return _encode(f"grep: bad regex: {err}\n"), 2
    lines, errors = _filter_input(state, rest, stdin)
    hits = [(n, line) for n, line in enumerate(lines, 1) if bool(regex.search(line.rstrip("\n"))) != ("v" in flags)]
    code = 0 if hits else 1
    if errors:
        code = 2
    if "q" in flags:
        return b"", code
    if "c" in flags:
        return _encode(errors + f"{len(hits)}\n"), code
    shown = "".join((f"{n}:" if "n" in flags else "") + (line if line.endswith("\n") else line + "\n")
                    for n, line in hits)
    return _encode(errors + shown), code


def _grep_regex(patterns: list[str], flags: set[str]) -> re.Pattern[str]:
    """toybox grep's patterns as one Python regex: -F literal, -E extended, else basic."""
    parts = []
    for pattern in patterns:
        if "F" in flags:
            part = re.escape(pattern)
        elif "E" in flags:
            part = pattern
        else:
            part = _basic_to_extended(pattern)
        if "w" in flags:
            part = rf"(?<!\w)(?:{part})(?!\w)"
        if "x" in flags:
            part = rf"^(?:{part})$"
        parts.append(f"(?:{part})")
    return re.compile("|".join(parts), re.IGNORECASE if "i" in flags else 0)


def _basic_to_extended(pattern: str) -> str:
    # In a basic regex + ? | ( ) { } are plain characters and their backslashed forms are operators.
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(nxt if nxt in "+?|(){}" else ch + nxt)
            i += 2
            continue
        out.append("\\" + ch if ch in "+?|(){}" else ch)
        i += 1
    return "".join(out)


def _line_count(args: list[str], default: int = 10) -> tuple[int | None, bool, list[str]]:
    """(count, from_start, files) from head/tail's -n N, -nN, -N and tail's +N."""
    count: int | None = default
    from_start = False
    files: list[str] = []
    it = iter(args)
    for arg in it:
        value = _count_option(arg, it)
        if value is None:
            files.append(arg)
            continue
        from_start = value.startswith("+")
        digits = value.lstrip("+-")
        count = int(digits) if digits.isdigit() else None
    return count, from_start, files


def _count_option(arg: str, rest: Iterator[str]) -> str | None:
    """The count an option spells ("-n 5", "-n5", "-5"), None for a file name."""
    if arg == "-n":
        return next(rest, "")
    if arg.startswith("-n"):
        return arg[2:]
    if arg.startswith("-"):
        return arg[1:]
    return None


def _head(state: DeviceState, args: list[str], stdin: bytes) -> tuple[bytes, int]:
    count, _, files = _line_count(args)
    if count is None:
        return _encode(f"head: bad count in '{' '.join(args)}'\n"), 1
    lines, errors = _filter_input(state, files, stdin)
    return _encode(errors + "".join(lines[:count])), 1 if errors else 0


def _tail(state: DeviceState, args: list[str], stdin: bytes) -> tuple[bytes, int]:
    count, from_start, files = _line_count(args)
    if count is None:
        return _encode(f"tail: bad count in '{' '.join(args)}'\n"), 1
    lines, errors = _filter_input(state, files, stdin)
    kept = lines[max(count - 1, 0):] if from_start else (lines[-count:] if count else [])
    return _encode(errors + "".join(kept)), 1 if errors else 0


def _wc(state: DeviceState, args: list[str], stdin: bytes) -> tuple[bytes, int]:
    flags = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1) or "lwc"
    files = [a for a in args if not a.startswith("-") or len(a) == 1]
    lines, errors = _filter_input(state, files, stdin)
    text = "".join(lines)
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(_encode(text))}
    shown = [str(counts[f]) for f in "lwc" if f in flags]
    return _encode(errors + " ".join(shown) + "\n"), 1 if errors else 0


def _cat_filter(state: DeviceState, args: list[str], stdin: bytes) -> tuple[bytes, int]:
    lines, errors = _filter_input(state, [a for a in args if a != "-"], stdin)
    return _encode(errors + "".join(lines)), 1 if errors else 0


_FILTERS: dict[str, Callable[[DeviceState, list[str], bytes], tuple[bytes, int]]] = {
    "grep": _grep,
    "head": _head,
    "tail": _tail,
    "wc": _wc,
    "cat": _cat_filter,
}


def _one(state: DeviceState, words: list[str], env: dict[str, str], stdin: Stdin = NO_STDIN) -> tuple[bytes, int]:
    name = words[0].rsplit("/", 1)[-1]
    if name in ("toybox", "busybox") and len(words) > 1:
        words = words[1:]
        name = words[0]
    handler = COMMANDS.get(name)
    if handler is None:
        return f"/system/bin/sh: {words[0]}: inaccessible or not found\n".encode(), 127
    try:
        if getattr(handler, "reads_stdin", False):
            out = handler(state, words[1:], env, stdin)
        else:
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


def _ps(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    pkg, _ = focus(state)
    rows = [("root", 1, 0, "init"), ("system", 540, 1, "system_server")]
    if pkg:
        rows.append(("u0_a80", pid_of(pkg), 540, pkg))
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


@reads_stdin
def _cat(state: DeviceState, args: list[str], env: dict[str, str], stdin: Stdin = NO_STDIN) -> bytes:
    out = b""
    if not args or args == ["-"]:
        return stdin.read()  # no file: copy the shell's input (`adb shell cat < file`)
    for path in args:
        entry = state.read_file(path)
        if entry is None:
            raise _Exit(f"cat: {path}: No such file or directory\n", 1)
        out += entry.data
    return out


def _false(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    raise _Exit("", 1)


def _mkdir(state: DeviceState, args: list[str], env: dict[str, str]) -> str:
    for path in (a for a in args if not a.startswith("-")):
        state.mkdir(path)
    return ""


COMMANDS: dict[str, Command] = {
    "getprop": _getprop,
    "ps": _ps,
    "md5sum": _md5sum,
    "md5": _md5sum,
    "ls": _ls,
    "test": _test,
    "rm": _rm,
    "cat": _cat,
    "echo": lambda s, a, e: " ".join(a) + "\n",
    "true": lambda s, a, e: "",
    "false": _false,
    "id": lambda s, a, e: "uid=2000(shell) gid=2000(shell) groups=2000(shell)\n",
    "whoami": lambda s, a, e: "shell\n",
    "mkdir": _mkdir,
    "chmod": lambda s, a, e: "",
}
# The framework's commands (am, pm, cmd, input, ime, settings, wm, dumpsys, screencap, ...).
COMMANDS.update(framework.COMMANDS)
