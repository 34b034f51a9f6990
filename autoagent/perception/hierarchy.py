"""uiautomator's hierarchy XML: parse it, find the element under a point, render it as text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
# Characters XML 1.0 cannot hold at all: typed text may contain them, and one would make the
# whole dump unreadable (to the parser, the guard and the replay).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_attr(value: str) -> str:
    """An attribute value, quoted, with characters XML cannot carry dropped."""
    return quoteattr(_XML_ILLEGAL.sub("", value))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def node_attributes(*, index: int, text: str, resource_id: str, cls: str, package: str, desc: str,
                    bounds: tuple[int, int, int, int], checkable: bool = False, checked: bool = False,
                    clickable: bool = False, enabled: bool = True, focusable: bool = False,
                    focused: bool = False, scrollable: bool = False, long_clickable: bool = False,
                    password: bool = False, selected: bool = False) -> str:
    """The attributes of one ``<node>`` in uiautomator's window_dump format, in its order.

    Every writer of hierarchies (the emulator, the browser's DOM snapshot) goes through here,
    so what :func:`parse_hierarchy` reads is written one way only.
    """
    left, top, right, bottom = bounds
    return (f"index=\"{index}\" text={xml_attr(text)} resource-id={xml_attr(resource_id)} "
            f"class={xml_attr(cls)} package={xml_attr(package)} content-desc={xml_attr(desc)} "
            f"checkable=\"{_flag(checkable)}\" checked=\"{_flag(checked)}\" clickable=\"{_flag(clickable)}\" "
            f"enabled=\"{_flag(enabled)}\" focusable=\"{_flag(focusable)}\" focused=\"{_flag(focused)}\" "
            f"scrollable=\"{_flag(scrollable)}\" long-clickable=\"{_flag(long_clickable)}\" "
            f"password=\"{_flag(password)}\" selected=\"{_flag(selected)}\" "
            f"bounds=\"[{left},{top}][{right},{bottom}]\"")


@dataclass(frozen=True)
class UINode:
    index: int  # position in document order, stable for one dump
    depth: int
    path: str  # e.g. "0/2/1": child positions from the root
    cls: str
    text: str
    desc: str
    resource_id: str
    package: str
    bounds: tuple[int, int, int, int]  # left, top, right, bottom in pixels
    clickable: bool
    focused: bool
    enabled: bool
    parent: int | None
    scrollable: bool = False
    checked: bool = False
    selected: bool = False

    @property
    def center(self) -> tuple[int, int]:
        left, top, right, bottom = self.bounds
        return (left + right) // 2, (top + bottom) // 2

    @property
    def label(self) -> str:
        return self.text or self.desc

    def contains(self, x: float, y: float) -> bool:
        left, top, right, bottom = self.bounds
        return left <= x < right and top <= y < bottom


def _parse_bounds(value: str) -> tuple[int, int, int, int]:
    m = _BOUNDS.fullmatch(value.strip()) if value else None
    if not m:
        return (0, 0, 0, 0)
    left, top, right, bottom = (int(g) for g in m.groups())
    return left, top, right, bottom


def parse_hierarchy(xml: str) -> list[UINode]:
    """All nodes in document order. Raises ValueError on XML that is not a hierarchy."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as err:
        raise ValueError(f"hierarchy is not valid XML: {err}") from None
    nodes: list[UINode] = []

    def visit(elem: ET.Element, depth: int, path: str, parent: int | None) -> None:
        my_index: int | None = parent
        if elem.tag == "node":
            a = elem.attrib
            my_index = len(nodes)
            nodes.append(
                UINode(
                    index=my_index,
                    depth=depth,
                    path=path,
                    cls=a.get("class", ""),
                    text=a.get("text", ""),
                    desc=a.get("content-desc", ""),
                    resource_id=a.get("resource-id", ""),
                    package=a.get("package", ""),
                    bounds=_parse_bounds(a.get("bounds", "")),
                    clickable=a.get("clickable") == "true",
                    focused=a.get("focused") == "true",
                    enabled=a.get("enabled", "true") == "true",
                    parent=parent,
                    scrollable=a.get("scrollable") == "true",
                    checked=a.get("checked") == "true",
                    selected=a.get("selected") == "true",
                )
            )
        child_nodes = [c for c in elem if c.tag == "node"]
        for i, child in enumerate(child_nodes):
            child_path = f"{path}/{i}" if path else str(i)
            visit(child, depth + (1 if elem.tag == "node" else 0), child_path, my_index)

    visit(root, 0, "", None)
    return nodes


def node_at(nodes: list[UINode], x: float, y: float, clickable_only: bool = False) -> UINode | None:
    """The deepest (last drawn) node under the point; what a finger would hit."""
    hit: UINode | None = None
    for node in nodes:
        if node.contains(x, y) and (node.clickable or not clickable_only):
            if hit is None or node.depth >= hit.depth:
                hit = node
    return hit


def is_within(nodes: list[UINode], inner: UINode, outer: UINode) -> bool:
    """True if ``inner`` is ``outer`` or lies inside it in the tree."""
    cur: int | None = inner.index
    while cur is not None:
        if cur == outer.index:
            return True
        cur = nodes[cur].parent
    return False


def tap_reaches(node: UINode, nodes: list[UINode], size: tuple[int, int]) -> bool:
    """A tap on the node's centre lands on it: on screen, not cut by an edge, not covered."""
    width, height = size
    left, top, right, bottom = node.bounds
    if left < 0 or top < 0 or right > width or bottom > height:
        return False
    hit = node_at(nodes, *node.center)
    return hit is not None and (is_within(nodes, hit, node) or is_within(nodes, node, hit))


def subtree_text(nodes: list[UINode], root: UINode) -> str:
    """Every label inside ``root`` (a button's text often sits on a child TextView)."""
    parts = [root.label]
    ancestors = {root.index}
    for node in nodes[root.index + 1:]:
        if node.parent in ancestors:
            ancestors.add(node.index)
            if node.label:
                parts.append(node.label)
        elif node.depth <= root.depth:
            break
    return " ".join(p for p in parts if p)


def render_compact(nodes: list[UINode], size: tuple[int, int]) -> str:
    """One line per labelled or clickable node, with its centre in 0-999 space.

    This is the text a policy can read next to the screenshot.
    """
    from autoagent.geometry import to_relative

    lines = []
    for node in nodes:
        if not (node.label or node.clickable):
            continue
        rel = to_relative(node.center, size)
        tag = node.cls.rsplit(".", 1)[-1]
        flags = "".join(("*" if node.clickable else "", "^" if node.focused else ""))
        label = node.label.replace("\n", " ")
        lines.append(f"[{rel.x},{rel.y}] {tag}{flags} {label}".rstrip())
    return "\n".join(lines)
