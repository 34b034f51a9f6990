"""What a solver sees: the agent's observation (its screen tree and screenshot), and the
actions it may answer with. Nothing here reads the page itself.

MiniWoB draws each task in a 160x210 CSS px box at the top left; the instruction is the
text node with id ``query`` (it is in the hierarchy, as any page's heading is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from autoagent.actions import Action, Swipe, Tap, Type
from autoagent.geometry import to_relative
from autoagent.perception.dom import find_node
from autoagent.perception.observation import Observation
from autoagent.perception.tree import UINode

QUERY_ID = "query"
TASK_WIDTH_CSS = 160
COVER_ID = "sync-task-cover"  # MiniWoB's "START" cover: shown once an episode has ended
# Nodes of MiniWoB's own reward display, drawn right of the task: not part of any task.
HUD_IDS = {"click-canvas", "reward-display", "reward-last", "reward-avg", "timer-countdown", "episode-id"}


class Unsolvable(RuntimeError):
    """What the solver needs is not in the observation (recorded as the episode's reason)."""


@dataclass
class Screen:
    observation: Observation
    memory: dict[str, Any] = field(default_factory=dict)  # a solver's notes across its episode's steps
    step: int = 1

    @property
    def size(self) -> tuple[int, int]:
        return self.observation.size

    @property
    def nodes(self) -> list[UINode]:
        """The task's nodes: the reward display beside the task is left out."""
        tree = self.observation.tree
        hud = {n.index for n in tree.nodes if n.resource_id in HUD_IDS}
        return [n for n in tree.nodes if n.index not in hud and n.parent not in hud and n.resource_id != COVER_ID]

    @property
    def ended(self) -> bool:
        """MiniWoB's cover is up: the episode is over (the page judged it)."""
        return any(n.resource_id == COVER_ID for n in self.observation.tree.nodes)

    @property
    def utterance(self) -> str:
        query = find_node(self.observation.tree.nodes, resource_id=QUERY_ID)
        if query is None:
            raise Unsolvable("no instruction (id=query) in the hierarchy")
        return query.text

    @property
    def css_px(self) -> float:
        """Screenshot pixels per CSS pixel of the task, from the instruction's box: MiniWoB draws
        every task 160 CSS px wide (a phone without <meta viewport> zooms it out)."""
        query = find_node(self.observation.tree.nodes, resource_id=QUERY_ID)
        return (query.bounds[2] - query.bounds[0]) / TASK_WIDTH_CSS if query else 1.0

    def quoted(self) -> list[str]:
        """The instruction's quoted values, in order."""
        return re.findall(r'"([^"]*)"', self.utterance)

    # ---- finding -------------------------------------------------------------------------

    def find(self, **criteria: str) -> UINode | None:
        return find_node(self.nodes, **criteria)

    def need(self, **criteria: str) -> UINode:
        node = self.find(**criteria)
        if node is None:
            raise Unsolvable(f"no node with {criteria} in the hierarchy")
        return node

    def of_class(self, name: str) -> list[UINode]:
        # By the last part of the class name: "Button" is not "RadioButton".
        return [n for n in self.nodes if n.cls.rsplit(".", 1)[-1] == name and _has_area(n)]

    def texts(self) -> list[UINode]:
        return [n for n in self.nodes if n.text and _has_area(n)]

    def button(self, label: str) -> UINode:
        """A clickable node whose text (or description) is ``label``, exactly, else ignoring case."""
        exact = [n for n in self.nodes if n.clickable and label in (n.text, n.desc) and _has_area(n)]
        loose = [n for n in self.nodes if n.clickable and label.casefold() in (n.text.casefold(), n.desc.casefold())
                 and _has_area(n)]
        if not exact and not loose:
            raise Unsolvable(f"no control labelled {label!r} in the hierarchy")
        return (exact or loose)[0]

    def tappable(self, node: UINode) -> bool:
        """The node or a node around it takes taps (a menu row's label sits inside the row)."""
        return node.clickable or any(a.clickable for a in self.observation.tree.ancestors(node))

    def children(self, node: UINode) -> list[UINode]:
        return self.observation.tree.children(node)

    def labelled(self, node: UINode) -> str:
        return self.observation.tree.subtree_text(node)

    def focused_edit(self) -> UINode | None:
        return next((n for n in self.of_class("EditText") if n.focused), None)

    # ---- answering -----------------------------------------------------------------------

    def tap(self, node: UINode) -> Tap:
        """A tap on ``node`` where nothing drawn later covers it (click-test-2's buttons overlap):
        its center when that is clear, else the clear point nearest to it."""
        return Tap(element=to_relative(self.clear_point(node), self.size))

    def clear_point(self, node: UINode) -> tuple[float, float]:
        tree = self.observation.tree
        above = [n for n in tree.nodes if n.index > node.index and n.clickable and not tree.is_within(n, node)
                 and _overlap(n.bounds, node.bounds)]
        if not above:
            return node.center
        left, top, right, bottom = node.bounds
        cx, cy = node.center
        points = [(left + (right - left) * (i + 0.5) / 8, top + (bottom - top) * (j + 0.5) / 8)
                  for i in range(8) for j in range(8)]
        clear = [p for p in points if not any(n.contains(*p) for n in above)]
        return min(clear, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2) if clear else node.center

    def tap_at(self, x: float, y: float) -> Tap:
        return Tap(element=to_relative((x, y), self.size))

    def drag(self, start: tuple[float, float], end: tuple[float, float]) -> Swipe:
        return Swipe(start=to_relative(start, self.size), end=to_relative(end, self.size))

    def fill(self, field_node: UINode, text: str, key: str | None = None) -> Action | None:
        """One step towards ``field_node`` holding ``text``: tap it, then type. None once it does.

        ``key`` names the field in memory, so that a field showing nothing (a date input before
        it is complete) is typed into once only.
        """
        key = key or f"typed@{field_node.bounds}"
        if field_node.text == text or self.memory.get(key):
            return None
        if not field_node.focused:
            return self.tap(field_node)
        if field_node.text:
            raise Unsolvable(f"the field already holds {field_node.text!r}, not {text!r}")
        self.memory[key] = True
        return Type(text=text)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _has_area(node: UINode) -> bool:
    left, top, right, bottom = node.bounds
    return right > left and bottom > top
