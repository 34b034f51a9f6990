"""Intents as ``am start`` / ``am broadcast`` take them, and where this phone delivers them.

Parsing follows Android's Intent.parseCommandArgs (``-a -d -t -c -n -p -f`` and the typed
extras ``--es --ei --eia ...``); ``describe`` prints an intent the way Intent.toString does, so
``am`` answers with the same "Starting: Intent { ... }" lines a phone prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Flags am adds: FLAG_ACTIVITY_NEW_TASK on start, FLAG_RECEIVER_FOREGROUND on broadcast.
FLAG_ACTIVITY_NEW_TASK = 0x10000000
FLAG_RECEIVER_FOREGROUND = 0x00400000

ACTION_MAIN = "android.intent.action.MAIN"
ACTION_VIEW = "android.intent.action.VIEW"
CATEGORY_HOME = "android.intent.category.HOME"
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"

# Options of `am start` / `am broadcast` themselves (not of the intent): those taking a value.
_AM_OPTIONS_WITH_VALUE = {"--user", "-P", "--start-profiler", "--sampling", "-R", "--receiver-permission",
                          "--windowingMode", "--activityType", "--display", "--task", "--attach-agent",
                          "--attach-agent-bind", "--allow-background-activity-starts"}
_AM_FLAG_OPTIONS = {"-D", "-N", "-W", "-S", "--streaming", "--track-allocation", "--task-overlay",
                    "--lock-task", "--allow-background-activity-starts", "--async", "--no-window-animation"}

_EXTRA_KINDS = {"--es": "string", "-e": "string", "--esn": "null", "--ez": "bool", "--ei": "int", "--el": "long",
                "--ef": "float", "--eu": "uri", "--ecn": "component", "--eia": "int[]", "--eial": "int[]",
                "--ela": "long[]", "--elal": "long[]", "--efa": "float[]", "--efal": "float[]",
                "--esa": "string[]", "--esal": "string[]"}


class IntentError(ValueError):
    """Bad arguments: the Java exception am's parser throws (its class and message)."""

    def __init__(self, message: str, java_type: str = "java.lang.IllegalArgumentException"):
        super().__init__(message)
        self.java_type = java_type

    def describe(self, command: str) -> str:
        """What am prints for it, as a phone does."""
        return f"Exception occurred while executing '{command}':\n{self.java_type}: {self}\n"


@dataclass
class Intent:
    action: str = ""
    data: str = ""
    mime_type: str = ""
    categories: list[str] = field(default_factory=list)
    component: str = ""  # "pkg/.Cls" or "pkg/full.Cls"
    package: str = ""
    flags: int = 0
    extras: dict[str, object] = field(default_factory=dict)
    wait: bool = False  # -W: wait for the launch and report it
    stop_first: bool = False  # -S: force-stop the app before starting it

    def describe(self, flags: int | None = None) -> str:
        """``Intent { act=... cat=[...] dat=... typ=... flg=0x... pkg=... cmp=... (has extras) }``."""
        parts = []
        if self.action:
            parts.append(f"act={self.action}")
        if self.categories:
            parts.append(f"cat=[{','.join(self.categories)}]")
        if self.data:
            parts.append(f"dat={self.data}")
        if self.mime_type:
            parts.append(f"typ={self.mime_type}")
        shown_flags = self.flags if flags is None else flags
        if shown_flags:
            parts.append(f"flg=0x{shown_flags:x}")
        if self.package:
            parts.append(f"pkg={self.package}")
        if self.component:
            parts.append(f"cmp={short_component(self.component)}")
        if self.extras:
            parts.append("(has extras)")
        return "Intent { " + " ".join(parts) + " }"

    @property
    def target_package(self) -> str:
        return self.component.split("/", 1)[0] if self.component else self.package


def short_component(component: str) -> str:
    pkg, _, cls = component.partition("/")
    if cls.startswith(pkg + "."):
        cls = cls[len(pkg):]
    return f"{pkg}/{cls}"


def parse_intent(args: list[str]) -> Intent:
    """The intent (and am's own -W/-S) from ``am start``/``am broadcast`` arguments."""
    intent = Intent()
    it = iter(args)
    for arg in it:
        if arg in _EXTRA_KINDS:
            _extra(intent, _EXTRA_KINDS[arg], arg, it)
        elif arg in ("-a", "-d", "-t", "-c", "-n", "-p", "-f"):
            _field(intent, arg, _next(it, arg))
        elif arg in _AM_OPTIONS_WITH_VALUE:
            _next(it, arg)
        elif arg in _AM_FLAG_OPTIONS:
            intent.wait |= arg == "-W"
            intent.stop_first |= arg == "-S"
        elif arg.startswith("--activity-") or arg.startswith("--receiver-") or arg.startswith("--grant-") \
                or arg in ("--include-stopped-packages", "--exclude-stopped-packages", "--debug-log-resolution",
                           "--exclude-stopped-packages", "--selector"):
            continue  # launch and delivery flags: nothing here depends on them
        elif arg.startswith("-"):
            raise IntentError(f"Unknown option: {arg}")
        else:
            _positional(intent, arg)
    return intent


def _next(it, option: str) -> str:
    value = next(it, None)
    if value is None:
        raise IntentError(f"Argument expected after \"{option}\"")
    return value


def _field(intent: Intent, option: str, value: str) -> None:
    if option == "-a":
        intent.action = value
    elif option == "-d":
        intent.data = value
    elif option == "-t":
        intent.mime_type = value
    elif option == "-c":
        intent.categories.append(value)
    elif option == "-n":
        if "/" not in value:
            raise IntentError(f"Bad component name: {value}")
        pkg, _, cls = value.partition("/")
        intent.component = f"{pkg}/{pkg + cls if cls.startswith('.') else cls}"
    elif option == "-p":
        intent.package = value
    elif option == "-f":
        try:
            intent.flags = int(value, 0)
        except ValueError:
            raise IntentError(f"For input string: \"{value}\"", "java.lang.NumberFormatException") from None


def _positional(intent: Intent, arg: str) -> None:
    # As Intent.parseCommandArgs: a URI if it has a scheme, else a component, else a package.
    if ":" in arg:
        intent.data = arg
    elif "/" in arg:
        _field(intent, "-n", arg)
    else:
        intent.package = arg


def _extra(intent: Intent, kind: str, option: str, it) -> None:
    key = _next(it, option)
    if kind == "null":
        intent.extras[key] = None
        return
    value = _next(it, key)
    try:
        intent.extras[key] = _typed(kind, value)
    except ValueError:
        raise IntentError(f"For input string: \"{value}\"", "java.lang.NumberFormatException") from None


def _typed(kind: str, value: str) -> object:
    if kind in ("string", "uri", "component"):
        return value
    if kind == "bool":
        lowered = value.lower()
        if lowered in ("true", "t", "1"):
            return True
        if lowered in ("false", "f", "0"):
            return False
        raise ValueError(value)
    if kind in ("int", "long"):
        return int(value, 0)
    if kind == "float":
        return float(value)
    if kind in ("int[]", "long[]"):
        return [int(v, 0) for v in value.split(",")]
    if kind == "float[]":
        return [float(v) for v in value.split(",")]
    # String arrays split on commas not escaped with a backslash.
    return [part.replace("\\,", ",") for part in _split_unescaped(value)]


def _split_unescaped(value: str) -> list[str]:
    out, current, i = [], "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] == ",":
            current += "\\,"
            i += 2
            continue
        if value[i] == ",":
            out.append(current)
            current = ""
        else:
            current += value[i]
        i += 1
    out.append(current)
    return out


# -- where an activity intent goes on this phone ----------------------------------------------

# URI schemes the phone's apps handle besides their own (an app's own scheme is the last part
# of its package name: shop://, travel://, restaurant://, settings://, contacts://, messages://).
_SCHEMES = {"tel": "com.autoagent.contacts", "sms": "com.autoagent.messages", "smsto": "com.autoagent.messages",
            "mms": "com.autoagent.messages", "mmsto": "com.autoagent.messages"}


def resolve_activity(intent: Intent, apps: list[str], launcher: str) -> str | None:
    """The package of this phone's app that takes an activity intent, None when none does."""
    target = intent.target_package
    if target:
        return target if target in apps else None
    if CATEGORY_HOME in intent.categories:
        return launcher
    if intent.action.startswith("android.settings."):
        return "com.autoagent.settings" if "com.autoagent.settings" in apps else None
    if intent.data:
        scheme = intent.data.split(":", 1)[0].lower()
        by_scheme = {pkg.rsplit(".", 1)[-1]: pkg for pkg in apps if pkg != launcher}
        package = by_scheme.get(scheme) or _SCHEMES.get(scheme)
        return package if package in apps else None
    return None
