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
