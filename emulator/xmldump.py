"""The widget tree as the agent sees it (a ScreenTree, written out as uiautomator XML), and hit-testing."""

from __future__ import annotations

from autoagent.perception.tree import TOAST_CLASS, ScreenTree, TreeBuilder
from emulator import theme
from emulator.widgets import Bounds, Node, intersect

SCREEN: Bounds = (0, 0, theme.WIDTH, theme.HEIGHT)


def screen_tree(windows: list[Node]) -> ScreenTree:
    """The windows as the agent sees them: nodes clipped to what shows, the hidden ones left out."""
    builder = TreeBuilder()
    for index, window in enumerate(windows):
        _add(builder, window, None, index, SCREEN)
    return builder.build()


def _add(builder: TreeBuilder, node: Node, parent: int | None, sibling: int, clip: Bounds) -> None:
    shown = intersect(node.bounds, clip)
    if shown is None:
        return
    me = builder.add(
        parent, sibling=sibling, text=node.text, resource_id=f"{node.package}:id/{node.rid}" if node.rid else "",
        cls=node.cls, package=node.package, desc=node.desc, bounds=shown, checkable=node.checkable,
        checked=node.checked, clickable=node.clickable, enabled=node.enabled, focusable=node.focusable,
        focused=node.focused, scrollable=node.scrollable, long_clickable=node.long_clickable,
        password=node.password, selected=node.selected)
    inner = shown if node.scroll_key is not None else clip
    for i, child in enumerate(node.children):
        _add(builder, child, me, i, inner)


def hit_test(windows: list[Node], x: int, y: int) -> list[Node]:
    """Nodes under the point, deepest and topmost first (what a finger would hit).

    A modal window (dialog, sheet) swallows every touch: windows below it never see one.
    """
    for window in reversed(windows):
        if window.cls == TOAST_CLASS:
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
