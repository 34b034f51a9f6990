"""The screen as a typed tree: every uiautomator attribute of every node, read once.

Every target hands the agent one :class:`ScreenTree` per observation: the emulator builds it
from its widgets, the browser from its DOM snapshot, a phone parses uiautomator's XML with
:meth:`ScreenTree.from_xml`. The guard, the prompts and the replay all read that tree;
XML is only what goes over the wire and into traces (:meth:`ScreenTree.to_xml`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

Bounds = tuple[int, int, int, int]

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
# Characters XML 1.0 cannot hold at all: typed text may contain them, and one would make the
# whole dump unreadable (to the parser, the guard and the replay).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XML_HEADER = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
# A toast is drawn over the app but never takes touches: a tap on it lands on what lies beneath.
TOAST_CLASS = "android.widget.Toast"


def xml_attr(value: str) -> str:
    """An attribute value, quoted, with characters XML cannot carry dropped."""
    return quoteattr(_XML_ILLEGAL.sub("", value))


def _flag(value: bool) -> str:
    return "true" if value else "false"


def node_attributes(*, index: int, text: str, resource_id: str, cls: str, package: str, desc: str,
                    bounds: Bounds, checkable: bool = False, checked: bool = False,
                    clickable: bool = False, enabled: bool = True, focusable: bool = False,
                    focused: bool = False, scrollable: bool = False, long_clickable: bool = False,
                    password: bool = False, selected: bool = False) -> str:
    """The attributes of one ``<node>`` in uiautomator's window_dump format, in its order."""
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
    """One node of the screen: uiautomator's attributes plus its place in the tree."""

    index: int  # position in document order: the node's key in its ScreenTree
    depth: int
    path: str  # e.g. "0/2/1": child positions from the root
    cls: str
    text: str
    desc: str
    resource_id: str
    package: str
    bounds: Bounds  # left, top, right, bottom in pixels
    clickable: bool
    focused: bool
    enabled: bool
    parent: int | None
    scrollable: bool = False
    checked: bool = False
    selected: bool = False
    checkable: bool = False
    focusable: bool = False
    long_clickable: bool = False
    password: bool = False
    sibling: int = 0  # uiautomator's own ``index`` attribute: the position among its siblings
    children: tuple[int, ...] = ()
    # How far a scrollable node's own content is scrolled, in pixels (x, y), where the target
    # knows (a browser); uiautomator's dump does not say, so the XML does not carry it. A text
    # area scrolled shows other lines with the same node, text and bounds.
    scrolled: tuple[int, int] = (0, 0)

    @property
    def center(self) -> tuple[int, int]:
        left, top, right, bottom = self.bounds
        return (left + right) // 2, (top + bottom) // 2

    @property
    def label(self) -> str:
        return self.text or self.desc

    @property
    def takes_touches(self) -> bool:
        return self.cls != TOAST_CLASS

    def contains(self, x: float, y: float) -> bool:
        left, top, right, bottom = self.bounds
        return left <= x < right and top <= y < bottom

    def attributes(self) -> str:
        """This node's attributes as the XML writes them."""
        return node_attributes(
            index=self.sibling, text=self.text, resource_id=self.resource_id, cls=self.cls, package=self.package,
            desc=self.desc, bounds=self.bounds, checkable=self.checkable, checked=self.checked,
            clickable=self.clickable, enabled=self.enabled, focusable=self.focusable, focused=self.focused,
            scrollable=self.scrollable, long_clickable=self.long_clickable, password=self.password,
            selected=self.selected)


# -- questions over a list of nodes in document order (parents before children) --------------


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


# -- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenTree:
    """All nodes of one screen in document order; ``nodes[i].index == i``."""

    nodes: list[UINode]

    @classmethod
    def from_xml(cls, xml: str) -> ScreenTree:
        """The one parser of uiautomator XML. Raises ValueError on XML that is not a hierarchy."""
        try:
            root = ET.fromstring(xml)
        except ET.ParseError as err:
            raise ValueError(f"hierarchy is not valid XML: {err}") from None
        builder = TreeBuilder()

        def visit(elem: ET.Element, parent: int | None) -> None:
            for position, child in enumerate(c for c in elem if c.tag == "node"):
                a = child.attrib
                me = builder.add(
                    parent, sibling=_int(a.get("index"), position), cls=a.get("class", ""),
                    text=a.get("text", ""), desc=a.get("content-desc", ""), resource_id=a.get("resource-id", ""),
                    package=a.get("package", ""), bounds=_parse_bounds(a.get("bounds", "")),
                    clickable=a.get("clickable") == "true", focused=a.get("focused") == "true",
                    enabled=a.get("enabled", "true") == "true", scrollable=a.get("scrollable") == "true",
                    checked=a.get("checked") == "true", selected=a.get("selected") == "true",
                    checkable=a.get("checkable") == "true", focusable=a.get("focusable") == "true",
                    long_clickable=a.get("long-clickable") == "true", password=a.get("password") == "true")
                visit(child, me)

        if root.tag == "node":  # a bare node, not wrapped in <hierarchy>
            wrapper = ET.Element("hierarchy")
            wrapper.append(root)
            root = wrapper
        visit(root, None)
        return builder.build()

    def to_xml(self) -> str:
        """The one writer: uiautomator's window_dump format, one node a line."""
        out = [XML_HEADER, '<hierarchy rotation="0">']

        def emit(node: UINode) -> None:
            pad = "  " * (node.depth + 1)
            if not node.children:
                out.append(f"{pad}<node {node.attributes()} />")
                return
            out.append(f"{pad}<node {node.attributes()}>")
            for child in node.children:
                emit(self.nodes[child])
            out.append(f"{pad}</node>")

        for root in self.roots:
            emit(root)
        out.append("</hierarchy>")
        return "\n".join(out)

    @property
    def roots(self) -> list[UINode]:
        """The top-level nodes: one per window."""
        return [node for node in self.nodes if node.parent is None]

    @property
    def root(self) -> UINode | None:
        """The first window's root, None on an empty screen."""
        return self.nodes[0] if self.nodes else None

    def children(self, node: UINode) -> list[UINode]:
        return [self.nodes[i] for i in node.children]

    def ancestors(self, node: UINode) -> list[UINode]:
        """Parent first, root last."""
        out = []
        parent = node.parent
        while parent is not None:
            out.append(self.nodes[parent])
            parent = self.nodes[parent].parent
        return out

    def descendants(self, node: UINode) -> list[UINode]:
        """In document order."""
        out: list[UINode] = []
        stack = list(reversed(node.children))
        while stack:
            child = self.nodes[stack.pop()]
            out.append(child)
            stack.extend(reversed(child.children))
        return out

    def node_at(self, x: float, y: float, clickable_only: bool = False) -> UINode | None:
        return node_at(self.nodes, x, y, clickable_only)

    def is_within(self, inner: UINode, outer: UINode) -> bool:
        return is_within(self.nodes, inner, outer)

    def tap_reaches(self, node: UINode, size: tuple[int, int]) -> bool:
        return tap_reaches(node, self.nodes, size)

    def subtree_text(self, node: UINode) -> str:
        return subtree_text(self.nodes, node)


@dataclass
class TreeBuilder:
    """Collects nodes parent first, then freezes them into a :class:`ScreenTree`.

    Every source of a tree (XML, the emulator's widgets, a DOM snapshot, test stubs) goes
    through here, so depth, path and the child links are worked out one way only.
    """

    _rows: list[dict] = field(default_factory=list)
    _children: list[list[int]] = field(default_factory=list)
    _top: int = 0

    def add(self, parent: int | None, *, sibling: int | None = None, **attributes: object) -> int:
        """Append a node under ``parent`` (None: a new window); returns its index."""
        index = len(self._rows)
        if parent is None:
            position, depth, path = self._top, 0, str(self._top)
            self._top += 1
        else:
            position = len(self._children[parent])
            depth = self._rows[parent]["depth"] + 1
            path = f"{self._rows[parent]['path']}/{position}"
            self._children[parent].append(index)
        for key in _STRINGS:
            if key in attributes:
                # What the XML cannot carry is not on screen for anyone: every source agrees with a parse.
                attributes[key] = _XML_ILLEGAL.sub("", attributes[key])  # type: ignore[arg-type]
        self._rows.append({**_DEFAULTS, **attributes, "index": index, "depth": depth, "path": path, "parent": parent,
                           "sibling": position if sibling is None else sibling})
        self._children.append([])
        return index

    def build(self) -> ScreenTree:
        return ScreenTree([UINode(**row, children=tuple(kids)) for row, kids in zip(self._rows, self._children)])


# What a node is when a source does not say (uiautomator's own defaults).
_DEFAULTS: dict[str, object] = {"cls": "", "text": "", "desc": "", "resource_id": "", "package": "",
                                "bounds": (0, 0, 0, 0), "clickable": False, "focused": False, "enabled": True}

_STRINGS = ("cls", "text", "desc", "resource_id", "package")


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _parse_bounds(value: str) -> Bounds:
    m = _BOUNDS.fullmatch(value.strip()) if value else None
    if not m:
        return (0, 0, 0, 0)
    left, top, right, bottom = (int(g) for g in m.groups())
    return left, top, right, bottom
