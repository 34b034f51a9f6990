"""What the guard reads off one observation: nodes, their families, password fields, a black screen.

The nodes come from the observation's tree, built once per observation, so a review and a
re-check of the same screen, and the policy's prompt, all read one set of nodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from PIL import Image

from autoagent.perception.observation import Observation, Pointer
from autoagent.perception.tree import ScreenTree, UINode

_SECURE_DOTS = re.compile(r"^[•●*·∙]+$")
# A node bigger than this share of the screen is a page or a list, not a control.
CONTROL_MAX_SHARE = 0.08
# A node bigger than this share is a backdrop (a sheet's scrim, a page), not a container of one control.
CONTAINER_MAX_SHARE = 0.6
_T = TypeVar("_T")
EDIT_CLASSES = ("EditText", "AutoCompleteTextView", "SearchView")


def _area(bounds: tuple[int, int, int, int]) -> int:
    left, top, right, bottom = bounds
    return max(0, right - left) * max(0, bottom - top)


def is_edit(node: UINode) -> bool:
    return node.cls.endswith(EDIT_CLASSES)


# Input methods: their keys type, they do not act (a "Delete" key is backspace).
_IME_PACKAGES = ("com.baidu.input", "com.touchtype.swiftkey", "com.samsung.android.honeyboard",
                 "com.sohu.inputmethod.sogou", "com.iflytek.inputmethod")


def is_keyboard(node: UINode) -> bool:
    package = node.package.lower()
    return ("inputmethod" in package or package.endswith(".ime") or package.startswith(_IME_PACKAGES))


def is_drawn(node: UINode) -> bool:
    """A surface the app draws on itself (a web page's canvas, a game, a map): the hierarchy holds
    none of the controls drawn on it."""
    return node.cls.endswith("SurfaceView")


def is_checkable_class(node: UINode) -> bool:
    return node.cls.endswith(("CheckBox", "RadioButton", "Switch", "CheckedTextView", "ToggleButton"))


@dataclass
class Screen:
    """One observation as the guard sees it."""

    size: tuple[int, int]
    tree: ScreenTree = field(default_factory=lambda: ScreenTree([]))
    screenshot: Image.Image | None = None
    app: str | None = None
    source: str = "hierarchy"  # hierarchy | ocr | none
    pointer: Pointer | None = None  # what touches it (None: a phone's finger, density unknown)
    parse_error: str | None = None
    # Facts the signals derive from the whole screen, worked out once per screen (see ``memo``).
    _memo: dict[str, object] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def of(cls, observation: Observation) -> Screen:
        common = {"size": observation.size, "screenshot": observation.screenshot, "app": observation.app,
                  "pointer": observation.pointer}
        try:
            tree = observation.tree
        except ValueError as err:
            return cls(**common, source="none", parse_error=str(err))
        if tree is None:
            return cls(**common, source="none")
        return cls(**common, tree=tree)

    @property
    def nodes(self) -> list[UINode]:
        return self.tree.nodes

    # -- geometry ------------------------------------------------------------------------
    @property
    def area(self) -> int:
        return max(1, self.size[0] * self.size[1])

    def share(self, node: UINode) -> float:
        """The node's area as a share of the screen."""
        return _area(node.bounds) / self.area

    def children(self, node: UINode) -> list[UINode]:
        return self.tree.children(node)

    def ancestors(self, node: UINode) -> list[UINode]:
        return self.tree.ancestors(node)

    def descendants(self, node: UINode) -> list[UINode]:
        return self.tree.descendants(node)

    def inside_other_clickable(self, node: UINode, container: UINode) -> bool:
        """Whether ``node`` belongs to some clickable control below ``container``."""
        for anc in self.ancestors(node):
            if anc.index == container.index:
                return False
            if anc.clickable:
                return True
        return False

    # -- derived facts --------------------------------------------------------------------
    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """``compute()``, worked out once per screen: a review and its re-check of one
        observation, and every touch point of a swipe, share what the screen says."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]

    def read_as(self, tree: ScreenTree, source: str) -> None:
        """Replace the nodes (OCR's reading of a screen without a hierarchy); what was derived goes."""
        self.tree, self.source = tree, source
        self._memo.clear()
        for name in ("passwords", "disabled", "focused", "all_text", "in_control"):
            self.__dict__.pop(name, None)

    @cached_property
    def in_control(self) -> frozenset[int]:
        """Indices of controls (clickable, control-sized) and of everything inside them."""
        inside: set[int] = set()
        for node in self.nodes:  # parents come before their children
            # A clickable backdrop (a sheet's scrim, a clickable page) is not a control.
            control = node.clickable and self.share(node) <= CONTAINER_MAX_SHARE / 2
            if control or (node.parent is not None and node.parent in inside):
                inside.add(node.index)
        return frozenset(inside)

    @cached_property
    def passwords(self) -> frozenset[int]:
        """Indices of password fields: flagged as one, or a field showing only dots."""
        return frozenset(node.index for node in self.nodes
                         if node.password or (is_edit(node) and node.text and _SECURE_DOTS.match(node.text)))

    @cached_property
    def disabled(self) -> frozenset[int]:
        """Indices of disabled nodes and of everything inside them: they act on nothing."""
        out: set[int] = set()
        for node in self.nodes:  # parents come before their children
            if not node.enabled or (node.parent is not None and node.parent in out):
                out.add(node.index)
        return frozenset(out)

    @cached_property
    def focused(self) -> UINode | None:
        for node in reversed(self.nodes):
            if node.focused and is_edit(node):
                return node
        for node in reversed(self.nodes):
            if node.focused:
                return node
        return None

    @cached_property
    def all_text(self) -> str:
        """Every label and id on screen, one per line: what page-level markers are read from."""
        parts = []
        for node in self.nodes:
            for value in (node.text, node.desc, node.resource_id.rsplit("/", 1)[-1]):
                if value:
                    parts.append(value)
        return "\n".join(parts)

    def is_black(self, share: float) -> bool:
        """A screen that is (nearly) all black: FLAG_SECURE hides it from screenshots."""
        if self.screenshot is None:
            return False
        return black_share(self.screenshot) >= share


def black_share(image: Image.Image) -> float:
    """Share of pixels darker than 12/255, sampled on a 64-pixel-wide grid (well under a millisecond)."""
    width, height = image.size
    step = max(1, width // 64)
    small = image.resize((max(1, width // step), max(1, height // step)), Image.Resampling.NEAREST)
    histogram = small.convert("L").histogram()
    total = sum(histogram) or 1
    return sum(histogram[:12]) / total
