"""One widget tree per frame: the picture, the hierarchy XML and hit-testing all read it.

Builders place widgets with absolute pixel bounds (a phone screen is small and fixed, so a
vertical cursor is all the layout engine the apps need).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator import theme

if TYPE_CHECKING:
    from emulator.apps.base import App

Bounds = tuple[int, int, int, int]
Handler = Callable[[], None]


@dataclass(eq=False)
class Node:
    bounds: Bounds
    cls: str = "android.widget.FrameLayout"
    text: str = ""
    rid: str = ""  # short id; the XML writes package:id/rid
    desc: str = ""
    package: str = ""
    clickable: bool = False
    long_clickable: bool = False
    scrollable: bool = False
    checkable: bool = False
    checked: bool = False
    focusable: bool = False
    focused: bool = False
    selected: bool = False
    password: bool = False
    enabled: bool = True
    children: list["Node"] = field(default_factory=list)
    # Drawing.
    bg: str | None = None
    fg: str = theme.TEXT
    border: str | None = None
    radius: int = 0
    size: int = 40
    bold: bool = False
    align: str = "left"  # left | center | right
    pad: int = 0
    wrap: bool = False
    icon: str | None = None  # a named glyph drawn by render.ICONS
    icon_color: str | None = None
    # Behaviour.
    on_tap: Handler | None = None
    on_long: Handler | None = None
    # For scroll containers: the key their offset is stored under, and how far they scroll.
    scroll_key: str | None = None
    scroll_max: int = 0
    # Blocks taps to windows below (dialogs, sheets).
    modal: bool = False

    def add(self, child: "Node") -> "Node":
        if not child.package:
            child.package = self.package
        self.children.append(child)
        return child

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def center(self) -> tuple[int, int]:
        left, top, right, bottom = self.bounds
        return (left + right) // 2, (top + bottom) // 2


def intersect(a: Bounds, b: Bounds) -> Bounds | None:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


@dataclass
class Field:
    """A text field on screen: where typed text goes and what Enter does."""

    rid: str
    get: Callable[[], str]
    set: Callable[[str], None]
    submit: Handler | None = None


class UI:
    """Builds one app window. ``y`` is the cursor; widgets go below it, full width by default."""

    MARGIN = 40

    def __init__(self, app: "App", area: Bounds) -> None:
        self.app = app
        self.area = area
        self.root = Node(area, package=app.package, bg=theme.BG)
        self._parents: list[Node] = [self.root]
        self._footers: list[Node] = []
        self.y = area[1]
        self.bottom = area[3]
        self.fields: dict[str, Field] = {}

    # -- placement -----------------------------------------------------------------------
    @property
    def parent(self) -> Node:
        return self._parents[-1]

    def put(self, node: Node, advance: bool = True) -> Node:
        self.parent.add(node)
        if advance:
            self.y = max(self.y, node.bounds[3])
        return node

    def gap(self, pixels: int = 24) -> None:
        self.y += pixels

    def box(self, height: int, left: int | None = None, right: int | None = None) -> Bounds:
        left = self.MARGIN if left is None else left
        right = self.area[2] - self.MARGIN if right is None else right
        return (left, self.y, right, self.y + height)

    @contextmanager
    def group(self, node: Node) -> Iterator[Node]:
        self.put(node, advance=False)
        self._parents.append(node)
        try:
            yield node
        finally:
            self._parents.pop()
        self.y = max(self.y, node.bounds[3])

    @contextmanager
    def footer(self, height: int, bg: str = theme.SURFACE) -> Iterator[Node]:
        """A bar pinned to the bottom of the window; scroll areas built afterwards stop above it."""
        self.bottom -= height
        node = Node((self.area[0], self.bottom, self.area[2], self.bottom + height),
                    package=self.app.package, bg=bg, border=theme.DIVIDER)
        saved = self.y
        self.y = self.bottom
        self._parents.append(node)
        try:
            yield node
        finally:
            self._parents.pop()
            self.y = saved
        self._footers.append(node)

    @contextmanager
    def scroll(self, key: str, rid: str = "", cls: str = "androidx.recyclerview.widget.RecyclerView",
               bg: str = theme.BG) -> Iterator[Node]:
        top = self.y
        viewport = (self.area[0], top, self.area[2], self.bottom)
        offset = self.app.scroll_offset(key)
        node = Node(viewport, cls=cls, rid=rid, package=self.app.package, scrollable=True,
                    scroll_key=key, bg=bg)
        self.parent.add(node)
        self._parents.append(node)
        self.y = top - offset
        try:
            yield node
        finally:
            self._parents.pop()
        content_height = self.y + offset - top + 40
        node.scroll_max = max(0, content_height - (viewport[3] - viewport[1]))
        if offset > node.scroll_max:
            # Content shrank (a filter, a removed line): keep the view inside it next frame.
            self.app.set_scroll(key, node.scroll_max)
        # Children fully outside the viewport are not on screen: not drawn, not dumped.
        node.children = [c for c in node.children if intersect(c.bounds, viewport)]
        node.scrollable = node.scroll_max > 0
        self.y = viewport[3]

    def finish(self) -> Node:
        self.root.children.extend(self._footers)
        return self.root

    # -- widgets -------------------------------------------------------------------------
    def text(self, text: str, size: int = 40, color: str = theme.TEXT, bold: bool = False,
             rid: str = "", height: int | None = None, align: str = "left", wrap: bool = False,
             left: int | None = None, right: int | None = None, desc: str = "") -> Node:
        if height is None:
            lines = 1
            if wrap:
                from emulator.render import wrap_lines
                width = (right or self.area[2] - self.MARGIN) - (self.MARGIN if left is None else left)
                lines = max(1, len(wrap_lines(text, size, bold, width)))
            height = int(size * 1.45) * lines + 8
        node = Node(self.box(height, left, right), cls="android.widget.TextView", text=text, size=size,
                    fg=color, bold=bold, rid=rid, align=align, wrap=wrap, desc=desc)
        return self.put(node)

    def button(self, text: str, on_tap: Handler | None, rid: str = "", style: str = "primary",
               height: int = 130, left: int | None = None, right: int | None = None,
               enabled: bool = True, desc: str = "", size: int = 42) -> Node:
        bg, fg, border = theme.BUTTON_STYLES[style]
        if not enabled:
            bg, fg, border = theme.DISABLED_BG, theme.DISABLED_TEXT, None
        node = Node(self.box(height, left, right), cls="android.widget.Button", text=text, rid=rid,
                    clickable=enabled, focusable=True, enabled=enabled, bg=bg, fg=fg, border=border,
                    radius=height // 2 if style != "text" else 0, size=size, bold=style == "primary",
                    align="center", on_tap=on_tap if enabled else None, desc=desc)
        return self.put(node)

    def edit(self, rid: str, value: str, set_value: Callable[[str], None], hint: str = "",
             submit: Handler | None = None, password: bool = False, height: int = 130,
             left: int | None = None, right: int | None = None, label: str = "") -> Node:
        if label:
            self.text(label, size=34, color=theme.TEXT_2, left=left, right=right)
        focused = self.app.focus == rid
        shown = ("•" * len(value)) if password else value
        node = Node(self.box(height, left, right), cls="android.widget.EditText", rid=rid,
                    text=shown or hint, clickable=True, focusable=True, focused=focused, password=password,
                    long_clickable=True, bg=theme.SURFACE, radius=20, pad=32, size=40,
                    border=theme.PRIMARY if focused else theme.BORDER,
                    fg=theme.TEXT if shown else theme.HINT, desc="" if shown else "",
                    on_tap=lambda: self.app.set_focus(rid))
        node.icon = "caret" if focused else None
        self.fields[rid] = Field(rid, lambda: value, set_value, submit)
        return self.put(node)

    def row(self, title: str, on_tap: Handler | None = None, subtitle: str = "", trailing: str = "",
            rid: str = "", height: int | None = None, chevron: bool = True, desc: str = "",
            image: str | None = None, image_color: str | None = None) -> Node:
        height = height or (170 if subtitle else 130)
        node = Node((0, self.y, self.area[2], self.y + height), cls="android.widget.LinearLayout",
                    rid=rid, clickable=on_tap is not None, on_tap=on_tap, bg=theme.SURFACE,
                    border=theme.DIVIDER, desc=desc, focusable=on_tap is not None)
        with self.group(node):
            x0 = self.MARGIN
            if image is not None:
                size = height - 40
                node.add(Node((x0, self.y + 20, x0 + size, self.y + 20 + size), cls="android.widget.ImageView",
                              icon="letter:" + image, bg=image_color or theme.PRIMARY, radius=18))
                x0 += size + 30
            right = self.area[2] - (100 if chevron and on_tap else self.MARGIN)
            if trailing:
                node.add(Node((right - 330, self.y, right, self.y + height), cls="android.widget.TextView",
                              text=trailing, size=38, fg=theme.TEXT_2, align="right"))
                right -= 340
            if subtitle:
                node.add(Node((x0, self.y + 18, right, self.y + 18 + 66), cls="android.widget.TextView",
                              text=title, size=42, fg=theme.TEXT))
                node.add(Node((x0, self.y + 90, right, self.y + 90 + 56), cls="android.widget.TextView",
                              text=subtitle, size=34, fg=theme.TEXT_2))
            else:
                node.add(Node((x0, self.y, right, self.y + height), cls="android.widget.TextView",
                              text=title, size=42, fg=theme.TEXT))
            if chevron and on_tap:
                node.add(Node((self.area[2] - 90, self.y, self.area[2] - 40, self.y + height),
                              cls="android.widget.ImageView", icon="chevron", icon_color=theme.HINT))
        return node

    def chips(self, options: list[tuple[str, str]], selected: str | None, on_select: Callable[[str], None],
              rid_prefix: str, height: int = 110, enabled: Callable[[str], bool] | None = None) -> None:
        """A wrapping row of choice chips; ``options`` are (value, label) pairs."""
        x = self.MARGIN
        y = self.y
        from emulator.render import text_width
        for value, label in options:
            width = int(text_width(label, 38)) + 80
            if x + width > self.area[2] - self.MARGIN:
                x = self.MARGIN
                y += height + 20
            ok = enabled(value) if enabled else True
            chosen = value == selected
            node = Node((x, y, x + width, y + height), cls="android.widget.CheckedTextView", text=label,
                        rid=f"{rid_prefix}{value}", clickable=ok, enabled=ok, checkable=True, checked=chosen,
                        selected=chosen, focusable=True, size=38, align="center", radius=height // 2,
                        bg=theme.PRIMARY_SOFT if chosen else theme.SURFACE,
                        border=theme.PRIMARY if chosen else theme.BORDER,
                        fg=theme.PRIMARY if chosen else (theme.TEXT if ok else theme.DISABLED_TEXT),
                        on_tap=(lambda v=value: on_select(v)) if ok else None)
            self.put(node, advance=False)
            x += width + 20
        self.y = y + height

    def switch(self, label: str, checked: bool, on_toggle: Handler, rid: str, subtitle: str = "") -> Node:
        height = 170 if subtitle else 140
        row = Node((0, self.y, self.area[2], self.y + height), cls="android.widget.LinearLayout",
                   bg=theme.SURFACE, border=theme.DIVIDER)
        with self.group(row):
            row.add(Node((self.MARGIN, self.y + (18 if subtitle else 0), 800,
                          self.y + (84 if subtitle else height)), cls="android.widget.TextView", text=label, size=42))
            if subtitle:
                row.add(Node((self.MARGIN, self.y + 92, 800, self.y + 150), cls="android.widget.TextView",
                             text=subtitle, size=34, fg=theme.TEXT_2))
            mid = self.y + height // 2
            row.add(Node((880, mid - 40, 1040, mid + 40), cls="android.widget.Switch", rid=rid,
                         text="ON" if checked else "OFF", checkable=True, checked=checked, clickable=True,
                         focusable=True, icon="switch", icon_color=theme.PRIMARY if checked else theme.HINT,
                         fg="#00000000", size=1, on_tap=on_toggle))
        return row

    def stepper(self, label: str, value: int, on_minus: Handler | None, on_plus: Handler | None,
                rid: str, height: int = 130) -> Node:
        row = Node((0, self.y, self.area[2], self.y + height), cls="android.widget.LinearLayout",
                   bg=theme.SURFACE, border=theme.DIVIDER)
        with self.group(row):
            row.add(Node((self.MARGIN, self.y, 600, self.y + height), cls="android.widget.TextView",
                         text=label, size=42))
            mid = self.y + height // 2
            for left, text, handler, suffix in ((640, "−", on_minus, "minus"), (900, "+", on_plus, "plus")):
                ok = handler is not None
                row.add(Node((left, mid - 50, left + 100, mid + 50), cls="android.widget.Button", text=text,
                             rid=f"{rid}_{suffix}", clickable=ok, enabled=ok, radius=50, size=48, align="center",
                             bg=theme.SURFACE, border=theme.BORDER if ok else theme.DIVIDER,
                             fg=theme.TEXT if ok else theme.DISABLED_TEXT, on_tap=handler,
                             desc="Decrease 减少" if suffix == "minus" else "Increase 增加"))
            row.add(Node((740, mid - 50, 900, mid + 50), cls="android.widget.TextView", text=str(value),
                         rid=f"{rid}_value", size=44, align="center", bold=True))
        return row

    def divider(self, label: str = "") -> None:
        self.gap(16)
        if label:
            self.text(label, size=34, color=theme.TEXT_2, bold=True)
        self.gap(8)
