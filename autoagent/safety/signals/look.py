"""What one review reads before any signal runs: the step, its screen and the points it touches.

A :class:`Look` is built once per review. Its :class:`Touch` list says, for each point a
gesture touches, which control is under the finger and which nodes it may also hit; the
signals only read it. Two rules of touch live here because every signal depends on them:

* short swipe  a swipe shorter than the touch slop is a tap where it starts (Android and
  Chromium click on it), against every node under it, clickable or not;
* keyboard     keys of the on-screen keyboard type; they are not controls of the app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from autoagent.actions import Action, Swipe, Type
from autoagent.actuators.execute import pixel_points
from autoagent.perception.tree import UINode
from autoagent.safety import keywords as kw
from autoagent.safety.policy import GuardPolicy
from autoagent.safety.screen import (
    CONTAINER_MAX_SHARE,
    CONTROL_MAX_SHARE,
    Screen,
    is_checkable_class,
    is_edit,
    is_keyboard,
)

Point = tuple[int, int]


@dataclass(frozen=True)
class Finding:
    """One signal's reason to ask: what class of risk, which signal saw it, and what it read."""

    category: str
    source: str  # the signal's name: target, overlap, slop, container, nearby, stepper, page, form, ...
    detail: str  # what was read, for the trace and the question to the human
    node: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"category": self.category, "source": self.source, "detail": self.detail}
        if self.node:
            out["node"] = self.node
        return out


@dataclass(frozen=True)
class Touch:
    """One point a gesture touches, and what lies under and near it."""

    point: Point
    is_tap: bool  # a tap clicks what it lands on; a swipe's ends click only buttons
    target: UINode | None  # the control under the finger (the deepest clickable, else the deepest small node)
    # Every node the finger may click, with how: "target", "overlap" (under it too) or "slop" (a near miss).
    candidates: tuple[tuple[UINode, str], ...]
    enter_key: bool = False  # the finger presses the on-screen keyboard's Enter (Go, Send, Done, 搜索...) key
    on_keyboard: bool = False  # the target is a key of the on-screen keyboard
    label: str = ""  # the target's own label (its text or description, else its first labelled child's)
    # The target backs out, is a field, or chooses an option (Cancel, an EditText, a checkbox, a password):
    # the screen around it says nothing about what it does.
    inert: bool = False


@dataclass
class Look:
    """One review's inputs: the action, the screen it acts on, the guard's policy and the user's task."""

    action: Action
    screen: Screen
    policy: GuardPolicy
    app: str | None = None
    task: str = ""
    touches: list[Touch] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def typing(self) -> Type | None:
        return self.action if isinstance(self.action, Type) else None

    @property
    def enter(self) -> bool:
        """Whether the step presses Enter: a ``Type`` whose text holds a newline."""
        return self.typing is not None and ("\n" in self.typing.text or "\r" in self.typing.text)

    def row_reach(self) -> float:
        return row_reach(self.screen, self.policy)


# -- geometry and node helpers shared by the signals ------------------------------------------


# The width in dp of the phone that ``GuardPolicy.touch_slop`` is a fraction of: phones are
# 360-430 dp wide, so on a phone of unknown density its width stands for its size.
PHONE_WIDTH_DP = 411


def fingertip(screen: Screen, policy: GuardPolicy) -> float:
    """How far from a control a fingertip may still touch it, in screen pixels."""
    px_per_dp = screen.pointer.px_per_dp if screen.pointer else screen.size[0] / PHONE_WIDTH_DP
    return policy.touch_slop * PHONE_WIDTH_DP * px_per_dp


def slop(screen: Screen, policy: GuardPolicy, reading: bool = True) -> float:
    """How far from a control a touch may still click it, in screen pixels: a fingertip, or a
    few pixels for a mouse. When reading what lies near a point on a screen read by OCR, twice
    that: OCR boxes hug the words, not the button around them."""
    pointer = screen.pointer
    reach = policy.mouse_slop_dp * pointer.px_per_dp if pointer and pointer.kind == "mouse" \
        else fingertip(screen, policy)
    return reach * (2 if reading and screen.source == "ocr" else 1)


def row_reach(screen: Screen, policy: GuardPolicy) -> float:
    """How far along a row a label or a quantity still belongs to a control: a matter of layout
    (a fraction of the screen's width), not of what touches it."""
    return policy.touch_slop * screen.size[0] * 3


def distance(node: UINode, x: float, y: float) -> float:
    left, top, right, bottom = node.bounds
    dx = max(left - x, 0, x - (right - 1))
    dy = max(top - y, 0, y - (bottom - 1))
    return math.hypot(dx, dy)


def rid(node: UINode) -> str:
    return node.resource_id.rsplit("/", 1)[-1]


def summary(node: UINode) -> dict[str, Any]:
    """A node as the trace records it."""
    return {"class": node.cls.rsplit(".", 1)[-1], "text": node.text[:80], "desc": node.desc[:80],
            "id": rid(node), "bounds": list(node.bounds), "clickable": node.clickable}


def own_label(screen: Screen, node: UINode) -> str:
    """The node's text or description, else the first label inside it."""
    if node.label:
        return node.label
    for child in screen.descendants(node):
        if child.label:
            return child.label
    return ""


def speaks(screen: Screen, node: UINode) -> bool:
    """A node that says something: a text, a description, or the id of a control-sized node."""
    if node.text.strip() or node.desc.strip():
        return True
    return bool(node.resource_id) and screen.share(node) <= CONTAINER_MAX_SHARE / 2


def is_secret_field(screen: Screen, node: UINode) -> bool:
    """A password or one-time-code field: flagged as a password, showing only dots, or named so."""
    return node.index in screen.passwords or (is_edit(node) and bool(kw.find(words_of(node), kw.SECRET_FIELDS)))


def words_of(node: UINode) -> str:
    """A node's text, description and id in one string, as keyword tables are matched against."""
    return " ".join((node.text, node.desc, rid(node)))


# -- building the look --------------------------------------------------------------------------


def look_at(action: Action, screen: Screen, policy: GuardPolicy, *, app: str | None = None, task: str = "",
            evidence: dict[str, Any] | None = None) -> Look:
    """The look one review takes at ``action`` on ``screen``: the points it touches worked out."""
    look = Look(action=action, screen=screen, policy=policy, app=app, task=task, evidence=evidence or {})
    look.touches = touches(look)
    return look



def touches(look: Look) -> list[Touch]:
    """The points ``look.action`` touches, each with what lies under and near it.

    A button clicks only where a gesture goes down or comes up; a swipe's path between does not.
    """
    screen = look.screen
    points = pixel_points(look.action, screen.size)
    if not points:
        return []
    look.evidence["points"] = [list(p) for p in points]
    is_tap = not isinstance(look.action, Swipe)
    # A mouse drag that ends on the control it began on clicks it too: fingertip-sized, either way.
    if not is_tap and math.dist(points[0], points[-1]) <= fingertip(screen, look.policy):
        # Android and Chromium deliver a touch that moves less than the touch slop as a
        # click where it went down, so it is judged as that tap.
        points, is_tap = points[:1], True
        look.evidence["swipe_as_tap"] = True
    return [touch_at(screen, look.policy, point, is_tap) for point in dict.fromkeys(points)]


def touch_at(screen: Screen, policy: GuardPolicy, point: Point, is_tap: bool) -> Touch:
    """What a finger at ``point`` may click."""
    x, y = point
    ocr = screen.source == "ocr"
    reach = slop(screen, policy)
    under = [n for n in screen.nodes if n.contains(x, y)]
    clickable_under = [n for n in under if n.clickable]
    target = max(clickable_under, key=lambda n: (n.depth, n.index)) if clickable_under else None
    if target is None:
        small = [n for n in under if screen.share(n) <= CONTROL_MAX_SHARE]
        target = max(small, key=lambda n: (n.depth, n.index)) if small else None
    # A near miss on a disabled control clicks nothing.
    near = [n for n in screen.nodes if (n.clickable or (ocr and n.parent is not None))
            and n.index not in screen.disabled and not n.contains(x, y) and distance(n, x, y) <= reach]
    candidates: list[tuple[UINode, str]] = []
    for node in under:
        # A plain label under a tap may sit on a control the hierarchy does not mark clickable
        # (a web handler attached with addEventListener); a swipe over a plain label clicks nothing.
        if node.clickable or (is_tap and screen.share(node) <= CONTROL_MAX_SHARE):
            candidates.append((node, "target" if node is target else "overlap"))
    candidates += [(n, "slop") for n in near]

    keys = [n for n, _ in candidates if is_keyboard(n)]
    enter_key = is_tap and any(find_enter_key(k) for k in keys if k.clickable)
    candidates = [(n, s) for n, s in candidates if not is_keyboard(n)]
    on_keyboard = target is not None and is_keyboard(target)
    if on_keyboard:
        # A key's neighbours on the keyboard are keys too; only what lies under the finger counts.
        candidates = [(n, s) for n, s in candidates if s != "slop"]
    label = own_label(screen, target) if target is not None else ""
    inert = target is not None and (kw.is_negative(label) or is_edit(target) or is_checkable_class(target)
                                    or target.index in screen.passwords)
    return Touch(point=point, is_tap=is_tap, target=target, candidates=tuple(candidates), enter_key=enter_key,
                 on_keyboard=on_keyboard, label=label, inert=inert)


def find_enter_key(key: UINode) -> bool:
    """A key of the on-screen keyboard that presses Enter (Enter, Go, Send, Done, 搜索, 发送...)."""
    return bool(kw.find(words_of(key), kw.ENTER_KEYS))


class _Said(Protocol):
    category: str
    source: str
    detail: str


_F = TypeVar("_F", bound=_Said)


def distinct(findings: Iterable[_F]) -> list[_F]:
    """Each finding once (by category, source and detail), in the order found: the screen's and the
    network's findings alike."""
    seen: set[tuple[str, str, str]] = set()
    out: list[_F] = []
    for f in findings:
        key = (f.category, f.source, f.detail)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
