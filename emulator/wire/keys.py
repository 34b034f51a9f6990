"""Android key names and codes, mapped to the phone's key names."""

from __future__ import annotations

# Android KeyEvent codes for the keys the phone has.
_CODES = {3: "home", 4: "back", 66: "enter", 67: "delete", 187: "recent"}

_ALIASES = {
    "home": "home",
    "back": "back",
    "enter": "enter",
    "delete": "delete",
    "del": "delete",
    "recent": "recent",
    "app_switch": "recent",
}


def phone_key(key: str | int) -> str:
    """The phone's name for an Android key given as a code (4), a name ("back") or
    a keycode constant ("KEYCODE_BACK"). Unknown keys come back lower-cased so the phone
    can refuse them with its own message."""
    if isinstance(key, int) or (isinstance(key, str) and key.strip().isdigit()):
        code = int(key)
        return _CODES.get(code, f"keycode {code}")
    name = key.strip().lower()
    if name.startswith("keycode_"):
        name = name[len("keycode_"):]
    return _ALIASES.get(name, name)


# -- `input keyevent` and the ADB Keyboard's key codes ------------------------------------

# Android KeyEvent codes by name (without the KEYCODE_ prefix). Keys the phone has no use
# for (volume, power, media) are accepted and change nothing, as on a phone that ignores them.
KEYCODES: dict[str, int] = {
    "UNKNOWN": 0, "SOFT_LEFT": 1, "SOFT_RIGHT": 2, "HOME": 3, "BACK": 4, "CALL": 5, "ENDCALL": 6,
    **{str(d): 7 + d for d in range(10)},
    "STAR": 17, "POUND": 18, "DPAD_UP": 19, "DPAD_DOWN": 20, "DPAD_LEFT": 21, "DPAD_RIGHT": 22,
    "DPAD_CENTER": 23, "VOLUME_UP": 24, "VOLUME_DOWN": 25, "POWER": 26, "CAMERA": 27, "CLEAR": 28,
    **{chr(ord("A") + i): 29 + i for i in range(26)},
    "COMMA": 55, "PERIOD": 56, "ALT_LEFT": 57, "ALT_RIGHT": 58, "SHIFT_LEFT": 59, "SHIFT_RIGHT": 60,
    "TAB": 61, "SPACE": 62, "SYM": 63, "EXPLORER": 64, "ENVELOPE": 65, "ENTER": 66, "DEL": 67,
    "GRAVE": 68, "MINUS": 69, "EQUALS": 70, "LEFT_BRACKET": 71, "RIGHT_BRACKET": 72, "BACKSLASH": 73,
    "SEMICOLON": 74, "APOSTROPHE": 75, "SLASH": 76, "AT": 77, "NUM": 78, "HEADSETHOOK": 79, "FOCUS": 80,
    "PLUS": 81, "MENU": 82, "NOTIFICATION": 83, "SEARCH": 84, "MEDIA_PLAY_PAUSE": 85, "MEDIA_STOP": 86,
    "MEDIA_NEXT": 87, "MEDIA_PREVIOUS": 88, "MEDIA_REWIND": 89, "MEDIA_FAST_FORWARD": 90, "MUTE": 91,
    "PAGE_UP": 92, "PAGE_DOWN": 93, "ESCAPE": 111, "FORWARD_DEL": 112, "CTRL_LEFT": 113, "CTRL_RIGHT": 114,
    "CAPS_LOCK": 115, "MOVE_HOME": 122, "MOVE_END": 123, "INSERT": 124, "NUMPAD_ENTER": 160,
    "VOLUME_MUTE": 164, "APP_SWITCH": 187, "BRIGHTNESS_DOWN": 220, "BRIGHTNESS_UP": 221, "SLEEP": 223,
    "WAKEUP": 224, "ALL_APPS": 284,
}

# Codes that do something on this phone: its own keys, and keys that type a character.
_PHONE_KEYS = {3: "home", 4: "back", 66: "enter", 160: "enter", 67: "delete", 187: "recent"}
_TYPED = {
    **{7 + d: str(d) for d in range(10)},
    **{29 + i: chr(ord("a") + i) for i in range(26)},
    17: "*", 18: "#", 55: ",", 56: ".", 62: " ", 68: "`", 69: "-", 70: "=", 71: "[", 72: "]", 73: "\\",
    74: ";", 75: "'", 76: "/", 77: "@", 81: "+",
}


class UnknownKeycode(ValueError):
    pass


def keycode(key: str | int) -> int:
    """An Android key code from a number ("4"), a name ("BACK") or a constant ("KEYCODE_BACK")."""
    if isinstance(key, int) or key.strip().lstrip("-").isdigit():
        return int(key)
    name = key.strip().upper()
    if name.startswith("KEYCODE_"):
        name = name[len("KEYCODE_"):]
    if name not in KEYCODES:
        raise UnknownKeycode(key)
    return KEYCODES[name]


def key_effect(code: int) -> tuple[str | None, str | None]:
    """(phone key, typed text) for a key code; (None, None) for a key this phone ignores."""
    if code in _PHONE_KEYS:
        return _PHONE_KEYS[code], None
    return None, _TYPED.get(code)
