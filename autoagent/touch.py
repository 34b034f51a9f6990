"""Dispatch-time identity: a touch goes out only onto the control the guard judged.

The guard judges the screen it was shown, and re-checks a fresh read right before acting;
a control swapped in after that read and before the touch lands still gets the touch. A
device that offers :class:`autoagent.device.TouchesIfUnchanged` reads the node under the
finger as late as it can (on the emulator, in the same operation as the touch) and sends
the touch only when that node is the one the guard judged.

Identity is what the guard's evidence records of a node (``targets`` in a decision's
evidence, one entry per touch point): short class name, short resource id, text and
description (first 80 characters), bounds, clickable. Two nodes that agree on all of these
are the same control as far as anything the agent reads can tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from autoagent.perception.tree import ScreenTree, UINode

if TYPE_CHECKING:  # only read as a value with .evidence; importing safety here would be circular
    from autoagent.safety.types import GuardDecision

# The guard's evidence keeps this much of a label; identity compares what it keeps.
LABEL_CHARS = 80

Bounds = tuple[int, int, int, int]


class NodeIdentity(BaseModel):
    """What makes a node the control it is, as the guard's evidence records it."""

    model_config = ConfigDict(frozen=True)

    cls: str  # the short class name: "Button", not "android.widget.Button"
    resource_id: str = ""  # the short id: "pay_button", not "com.x:id/pay_button"
    text: str = ""
    desc: str = ""
    bounds: Bounds
    clickable: bool = True

    @classmethod
    def of(cls, node: UINode) -> NodeIdentity:
        return cls(cls=node.cls.rsplit(".", 1)[-1], resource_id=node.resource_id.rsplit("/", 1)[-1],
                   text=node.text[:LABEL_CHARS], desc=node.desc[:LABEL_CHARS], bounds=tuple(node.bounds),
                   clickable=node.clickable)

    @classmethod
    def from_summary(cls, summary: Mapping[str, object]) -> NodeIdentity | None:
        """The identity in one ``targets`` entry of the guard's evidence; None where the guard
        found no control under the finger (``"class": None``)."""
        if summary.get("class") is None:
            return None
        bounds = summary.get("bounds")
        if not isinstance(bounds, (list, tuple)) or len(bounds) != 4:
            raise ValueError(f"a target without four bounds: {dict(summary)!r}")
        return cls(cls=str(summary["class"]), resource_id=str(summary.get("id") or ""),
                   text=str(summary.get("text") or ""), desc=str(summary.get("desc") or ""),
                   bounds=tuple(int(v) for v in bounds), clickable=bool(summary.get("clickable", True)))

    def describe(self) -> str:
        label = self.text or self.desc
        parts = [self.cls] + ([repr(label)] if label else []) + ([f"#{self.resource_id}"] if self.resource_id else [])
        return " ".join(parts) + f" at {list(self.bounds)}"


class ExpectedTouch(BaseModel):
    """Where a touch goes and the node the guard judged there (None: no control was there)."""

    model_config = ConfigDict(frozen=True)

    point: tuple[int, int]
    node: NodeIdentity | None


class Gesture(BaseModel):
    """A touch that clicks where it goes down: a tap, a double tap, a long press, or a swipe
    shorter than the touch slop (Android delivers that as a click where it went down)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["tap", "double_tap", "long_press", "swipe"]
    x: int
    y: int
    to: tuple[int, int] | None = None  # a swipe's end
    seconds: float = 0.0  # a long press's or a swipe's duration


class TouchCheck(BaseModel):
    """What a device found under the finger when it was about to touch, and whether it touched."""

    touched: bool
    found: NodeIdentity | None = None  # the node under the finger, as the check read it
    reason: str = ""  # why the touch was withheld
    atomic: bool = False  # the check and the touch were one operation on the device


def touch_target(tree: ScreenTree, x: float, y: float) -> UINode | None:
    """The control a touch at (x, y) reaches, chosen as the guard chooses its target: the
    deepest (then last) clickable node under the point; None when no clickable node is there."""
    under = [n for n in tree.nodes if n.clickable and n.contains(x, y)]
    return max(under, key=lambda n: (n.depth, n.index)) if under else None


def check_touch(tree: ScreenTree, x: float, y: float, expected: NodeIdentity | None) -> TouchCheck:
    """Whether a touch at (x, y) on ``tree`` would reach the node the guard judged.

    A judged clickable control must be the control the touch reaches. A judged label (the guard
    found no clickable node there) must still be under the point, and no clickable control may
    have come in over it; with nothing judged, nothing clickable may be there now.
    """
    target = touch_target(tree, x, y)
    found = NodeIdentity.of(target) if target is not None else None
    if expected is not None and not expected.clickable and target is None:
        label = next((n for n in tree.nodes if n.contains(x, y) and NodeIdentity.of(n) == expected), None)
        if label is not None:
            return TouchCheck(touched=True, found=expected)
        return TouchCheck(touched=False, reason=f"{expected.describe()} is no longer under the finger")
    if found == expected:
        return TouchCheck(touched=True, found=found)
    judged = expected.describe() if expected is not None else "no control"
    now = found.describe() if found is not None else "no control"
    return TouchCheck(touched=False, found=found,
                      reason=f"under the finger at ({int(x)}, {int(y)}) the guard judged {judged}; now it is {now}")


def expected_touch(decision: GuardDecision) -> ExpectedTouch | None:
    """The touch a guard decision was about, with the node it judged there; None when the
    decision judged no clicking touch on a hierarchy (keys, typing, a real swipe, a screen read
    by OCR or not at all), so there is no identity to hold the device to."""
    evidence = decision.evidence
    if evidence.get("source") != "hierarchy":
        return None
    action = evidence.get("action")
    if action == "Swipe" and not evidence.get("swipe_as_tap"):
        return None  # a real swipe clicks nothing where it starts or ends
    if action not in ("Tap", "DoubleTap", "LongPress", "Swipe"):
        return None
    targets = evidence.get("targets")
    if not isinstance(targets, list) or len(targets) != 1 or not isinstance(targets[0], Mapping):
        return None
    target = targets[0]
    point = target.get("point")
    if not isinstance(point, (list, tuple)) or len(point) != 2:
        return None
    return ExpectedTouch(point=(int(point[0]), int(point[1])), node=NodeIdentity.from_summary(target))
