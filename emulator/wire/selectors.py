"""uiautomator's UiSelector (the dict uiautomator2 sends) matched against hierarchy XML.

A selector may chain ``child`` and ``sibling`` selectors (``childOrSibling`` names the step,
``childOrSiblingSelector`` holds its selector), as UiSelector's ``childSelector`` and
``fromParent`` do: a child step looks among the descendants of what the chain matched so far, a
sibling step among the descendants of its parent. ``instance`` picks the n-th match of the step
it is set on, in document order, as uiautomator counts them.
"""

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
_BOOKKEEPING = {"mask", "childOrSibling", "childOrSiblingSelector", "instance"}
_STEPS = ("child", "sibling")


class SelectorError(ValueError):
    pass


def describe(selector: Any) -> str:
    """UiSelector's own spelling, with CHILD= and PARENT= for chained steps as Android prints them."""
    if not isinstance(selector, dict):
        return repr(selector)
    shown = [f"{k}={v}" for k, v in selector.items() if k not in ("mask", "childOrSibling", "childOrSiblingSelector")]
    steps = selector.get("childOrSibling") or []
    subs = selector.get("childOrSiblingSelector") or []
    if isinstance(steps, list) and isinstance(subs, list):
        for step, sub in zip(steps, subs):
            shown.append(("CHILD=" if step == "child" else "PARENT=") + describe(sub))
    return "UiSelector[" + ", ".join(shown) + "]"


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
        elif key == "index":
            # The node's position among its parent's children, as the dump's index attribute says.
            if attrs.get("index") != str(_int(want, key)):
                return False
        else:
            raise SelectorError(f"unsupported selector field '{key}'")
    return True


def _int(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).lstrip("-").isdigit():
        raise SelectorError(f"{key} must be an integer, got {value!r}")
    return int(value)


def parse(xml: str) -> ET.Element:
    try:
        return ET.fromstring(xml)
    except ET.ParseError as err:
        raise SelectorError(f"hierarchy is not valid XML: {err}") from None


def find(xml: str, selector: Any) -> list[ET.Element]:
    """The nodes that match, in document order (honours ``instance``, ``index`` and chains).

    Elements answer ``.get(attribute)`` like the attribute dicts of a dump, and ``len()`` is
    their number of child nodes.
    """
    return find_in(parse(xml), selector)


def find_in(root: ET.Element, selector: Any) -> list[ET.Element]:
    if not isinstance(selector, dict):
        raise SelectorError("selector must be an object")
    parents = {child: parent for parent in root.iter() for child in parent}
    order = {node: i for i, node in enumerate(root.iter("node"))}
    return _select(list(order), selector, parents, order)


def _select(pool: list[ET.Element], selector: dict[str, Any], parents: dict[ET.Element, ET.Element],
            order: dict[ET.Element, int]) -> list[ET.Element]:
    """Match one selector of a chain against ``pool``, then follow its own child/sibling steps."""
    found = _pick_instance([n for n in pool if _matches(n.attrib, selector)], selector)
    steps = selector.get("childOrSibling") or []
    subs = selector.get("childOrSiblingSelector") or []
    if not isinstance(steps, list) or not isinstance(subs, list) or len(steps) != len(subs):
        raise SelectorError("childOrSibling and childOrSiblingSelector must be lists of the same length")
    for step, sub in zip(steps, subs):
        if step not in _STEPS:
            raise SelectorError(f"unknown selector step {step!r}; expected 'child' or 'sibling'")
        if not isinstance(sub, dict):
            raise SelectorError(f"the {step} selector must be an object")
        # fromParent searches from the parent of each match; childSelector from the match itself.
        scopes = found if step == "child" else [parents[n] for n in found if n in parents]
        below = {d for scope in scopes for d in scope.iter("node") if d is not scope}
        found = _select(sorted(below, key=order.__getitem__), sub, parents, order)
    return found


def _pick_instance(found: list[ET.Element], selector: dict[str, Any]) -> list[ET.Element]:
    if "instance" not in selector:
        return found
    i = _int(selector["instance"], "instance")
    return found[i : i + 1] if i >= 0 else []


def bounds(attrs: ET.Element | dict[str, str]) -> tuple[int, int, int, int]:
    m = _BOUNDS.fullmatch(attrs.get("bounds", "").strip())
    if not m:
        return (0, 0, 0, 0)
    left, top, right, bottom = (int(g) for g in m.groups())
    return left, top, right, bottom


def info(attrs: ET.Element | dict[str, str]) -> dict[str, Any]:
    """The shape of uiautomator's ``objInfo`` result; ``childCount`` counts direct child nodes."""
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
        "childCount": len(attrs.findall("node")) if isinstance(attrs, ET.Element) else 0,
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
