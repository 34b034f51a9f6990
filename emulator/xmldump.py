"""The widget tree as uiautomator's window_dump XML."""

from __future__ import annotations


from autoagent.perception.hierarchy import node_attributes
from emulator import theme
from emulator.widgets import Bounds, Node, intersect

SCREEN: Bounds = (0, 0, theme.WIDTH, theme.HEIGHT)


def hierarchy_xml(windows: list[Node]) -> str:
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>", '<hierarchy rotation="0">']
    for index, window in enumerate(windows):
        _emit(window, index, SCREEN, out, 1)
    out.append("</hierarchy>")
    return "\n".join(out)


def _emit(node: Node, index: int, clip: Bounds, out: list[str], depth: int) -> None:
    shown = intersect(node.bounds, clip)
    if shown is None:
        return
    rid = f"{node.package}:id/{node.rid}" if node.rid else ""
    attrs = node_attributes(
        index=index, text=node.text, resource_id=rid, cls=node.cls, package=node.package, desc=node.desc,
        bounds=shown, checkable=node.checkable, checked=node.checked, clickable=node.clickable,
        enabled=node.enabled, focusable=node.focusable, focused=node.focused, scrollable=node.scrollable,
        long_clickable=node.long_clickable, password=node.password, selected=node.selected)
    pad = "  " * depth
    if not node.children:
        out.append(f"{pad}<node {attrs} />")
        return
    out.append(f"{pad}<node {attrs}>")
    inner = shown if node.scroll_key is not None else clip
    for i, child in enumerate(node.children):
        _emit(child, i, inner, out, depth + 1)
    out.append(f"{pad}</node>")


def hit_test(windows: list[Node], x: int, y: int) -> list[Node]:
    """Nodes under the point, deepest and topmost first (what a finger would hit).

    A modal window (dialog, sheet) swallows every touch: windows below it never see one.
    """
    for window in reversed(windows):
        if window.cls == "android.widget.Toast":
            continue  # toasts never take touches
        path = _path_at(window, x, y, SCREEN)
        if path:
            return list(reversed(path))
        if window.modal:
            return []
    return []


def _path_at(node: Node, x: int, y: int, clip: Bounds) -> list[Node]:
    shown = intersect(node.bounds, clip)
    if shown is None or not (shown[0] <= x < shown[2] and shown[1] <= y < shown[3]):
        return []
    inner = shown if node.scroll_key is not None else clip
    for child in reversed(node.children):
        sub = _path_at(child, x, y, inner)
        if sub:
            return [node] + sub
    return [node]
