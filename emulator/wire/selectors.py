"""uiautomator's UiSelector (the dict uiautomator2 sends) matched against hierarchy XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")

# selector key -> (node attribute, how to compare)
_TEXT_FIELDS = {
    "text": ("text", "eq"),
    "textContains": ("text", "contains"),
    "textMatches": ("text", "matches"),
    "textStartsWith": ("text", "startswith"),
    "className": ("class", "eq"),
    "classNameMatches": ("class", "matches"),
    "description": ("content-desc", "eq"),
    "descriptionContains": ("content-desc", "contains"),
    "descriptionMatches": ("content-desc", "matches"),
    "descriptionStartsWith": ("content-desc", "startswith"),
    "packageName": ("package", "eq"),
    "packageNameMatches": ("package", "matches"),
    "resourceId": ("resource-id", "eq"),
    "resourceIdMatches": ("resource-id", "matches"),
}
_BOOL_FIELDS = {
    "checkable": "checkable",
    "checked": "checked",
    "clickable": "clickable",
    "longClickable": "long-clickable",
    "scrollable": "scrollable",
    "enabled": "enabled",
    "focusable": "focusable",
    "focused": "focused",
    "selected": "selected",
}
_BOOKKEEPING = {"mask", "childOrSibling", "childOrSiblingSelector", "instance", "index"}


class SelectorError(ValueError):
    pass


def describe(selector: Any) -> str:
    if not isinstance(selector, dict):
        return repr(selector)
    shown = {k: v for k, v in selector.items() if k not in ("mask", "childOrSibling", "childOrSiblingSelector")}
    return "UiSelector[" + ", ".join(f"{k}={v}" for k, v in shown.items()) + "]"


def _matches(attrs: dict[str, str], selector: dict[str, Any]) -> bool:
    for key, want in selector.items():
        if key in _BOOKKEEPING:
            continue
        if key in _TEXT_FIELDS:
            attr, how = _TEXT_FIELDS[key]
            have = attrs.get(attr, "")
            want = str(want)
            if how == "eq" and have != want:
                return False
            if how == "contains" and want not in have:
                return False
            if how == "startswith" and not have.startswith(want):
                return False
            if how == "matches":
                try:
                    if not re.fullmatch(want, have, re.S):
                        return False
                except re.error as err:
                    raise SelectorError(f"bad pattern for {key}: {err}") from None
        elif key in _BOOL_FIELDS:
            if (attrs.get(_BOOL_FIELDS[key], "false") == "true") != bool(want):
                return False
        else:
            raise SelectorError(f"unsupported selector field '{key}'")
    return True


def find(xml: str, selector: Any) -> list[dict[str, str]]:
    """Attribute dicts of the nodes that match, in document order (honours ``instance``)."""
    if not isinstance(selector, dict):
        raise SelectorError("selector must be an object")
    if selector.get("childOrSibling"):
        raise SelectorError("child and sibling selectors are not supported")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as err:
        raise SelectorError(f"hierarchy is not valid XML: {err}") from None
    found = [dict(n.attrib) for n in root.iter("node") if _matches(n.attrib, selector)]
    if "instance" in selector:
        i = int(selector["instance"])
        return found[i : i + 1]
    return found


def bounds(attrs: dict[str, str]) -> tuple[int, int, int, int]:
    m = _BOUNDS.fullmatch(attrs.get("bounds", "").strip())
    if not m:
        return (0, 0, 0, 0)
    left, top, right, bottom = (int(g) for g in m.groups())
    return left, top, right, bottom


def info(attrs: dict[str, str]) -> dict[str, Any]:
    """The shape of uiautomator's ``objInfo`` result."""
    left, top, right, bottom = bounds(attrs)
    box = {"left": left, "top": top, "right": right, "bottom": bottom}

    def flag(name: str) -> bool:
        return attrs.get(name, "false") == "true"

    return {
        "bounds": box,
        "visibleBounds": dict(box),
        "text": attrs.get("text", ""),
        "contentDescription": attrs.get("content-desc", ""),
        "className": attrs.get("class", ""),
        "packageName": attrs.get("package", ""),
        "resourceName": attrs.get("resource-id", "") or None,
        "childCount": 0,
        "checkable": flag("checkable"),
        "checked": flag("checked"),
        "clickable": flag("clickable"),
        "enabled": attrs.get("enabled", "true") == "true",
        "focusable": flag("focusable"),
        "focused": flag("focused"),
        "longClickable": flag("long-clickable"),
        "scrollable": flag("scrollable"),
        "selected": flag("selected"),
    }
