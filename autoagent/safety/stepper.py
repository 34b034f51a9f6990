"""Quantity steppers: a "−" beside a quantity of 1 removes the line rather than lowering it.

Shops and food apps drop a cart line when its quantity reaches zero, usually without the
question their Remove button asks. So a decrement control is judged by the number shown
beside it, found from the screen's geometry rather than from any app's ids.
"""

from __future__ import annotations

import re

from autoagent.perception.tree import UINode
from autoagent.safety.screen import Screen

# What a decrement control shows: a minus glyph, or (icon buttons) a description that says so.
_MINUS_GLYPHS = frozenset(("−", "-", "–", "—", "－", "➖", "⊖", "减"))
_MINUS_WORDS = re.compile(r"^\s*(?:decrease|decrement|minus|reduce|减少|减)\b", re.IGNORECASE)
# A quantity as steppers print it: "1", "x1", "×1".
_QUANTITY = re.compile(r"^\s*[x×]?\s*(\d{1,4})\s*$", re.IGNORECASE)


def is_decrement(node: UINode) -> bool:
    """A control that lowers a quantity by one ("−", "-", "减", or described as "Decrease")."""
    text = node.text.strip()
    if text:
        return text in _MINUS_GLYPHS
    return bool(_MINUS_WORDS.match(node.desc))


def quantity_beside(screen: Screen, node: UINode, reach: float) -> tuple[UINode, int] | None:
    """The number shown on ``node``'s row within ``reach`` pixels of it, nearest first."""
    left, top, right, bottom = node.bounds
    best: tuple[float, UINode, int] | None = None
    for other in screen.nodes:
        if other.index == node.index or not (m := _QUANTITY.match(other.text or "")):
            continue
        ol, ot, orr, ob = other.bounds
        if not (ot < bottom and ob > top):
            continue  # a quantity belongs to its own row
        gap = max(ol - right, left - orr, 0)
        if gap <= reach and (best is None or gap < best[0]):
            best = (gap, other, int(m.group(1)))
    return (best[1], best[2]) if best is not None else None


def removes_line(screen: Screen, node: UINode, reach: float) -> tuple[UINode, int] | None:
    """The quantity a working decrement control would take to zero, or None.

    A disabled "−" does nothing, so it is not a delete; one beside a quantity of 1 (0 after
    the tap) removes what it counts. An icon that says nothing (no text, no description, an id
    that does not say "plus") on the left of a quantity of 1 is read as its "−": steppers put
    the decrement first.
    """
    if not (node.clickable and node.enabled):
        return None
    if is_decrement(node):
        found = quantity_beside(screen, node, reach)
    elif _unlabelled_icon(screen, node):
        found = quantity_beside(screen, node, reach)
        if found is not None and found[0].bounds[0] < node.bounds[2]:
            return None  # the quantity is on its left: this is the "+"
    else:
        return None
    if found is None or found[1] > 1:
        return None
    return found


_PLUS_IDS = re.compile(r"(?:^|[^a-z])(?:plus|add|inc|increase|increment|up)(?:$|[^a-z])", re.IGNORECASE)


def _unlabelled_icon(screen: Screen, node: UINode) -> bool:
    if any(n.label.strip() for n in [node, *screen.descendants(node)]):
        return False
    return not _PLUS_IDS.search(node.resource_id.rsplit("/", 1)[-1].replace("_", " "))
