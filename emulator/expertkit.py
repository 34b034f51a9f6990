"""What every app's expert strategy shares: the screen it reads, the owner's details it fills
in, and the moves it is made of (tap, scroll to find, fill a field, step a counter, press).

A strategy (one per app, beside the app: ``emulator/apps/*_expert.py``) is plain functions of
a :class:`Moves` (the expert playing) and a :class:`Screen`; :mod:`emulator.expert` picks the
strategy for the task and handles what any app may show (dialogs, spinners, error pages).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autoagent.actions import Action, Back, RelativePoint, Swipe, Tap, Type
from autoagent.geometry import to_relative
from autoagent.perception.hierarchy import parse_hierarchy
from autoagent.perception.tree import UINode
from autoagent.perception.observation import Observation
from autoagent.policy.base import PolicyError
from emulator.phone import Phone

# A node with less than this much on screen (pixels) is not worth aiming at.
MIN_VISIBLE = 40


def short_id(node: UINode) -> str:
    return node.resource_id.split(":id/", 1)[-1]


class Screen:
    """The nodes of one observation, with the look-ups the expert needs."""

    def __init__(self, observation: Observation) -> None:
        if not observation.hierarchy:
            raise PolicyError("the expert needs the screen's hierarchy, and this observation has none")
        self.size = observation.size
        self.xml = observation.hierarchy
        self.nodes = [n for n in parse_hierarchy(observation.hierarchy) if visible(n)]

    def id(self, rid: str) -> UINode | None:
        return next((n for n in self.nodes if short_id(n) == rid), None)

    def ids(self, rid: str) -> list[UINode]:
        return [n for n in self.nodes if short_id(n) == rid]

    def text(self, text: str, rid: str | None = None, contains: bool = False) -> UINode | None:
        for n in self.nodes:
            if rid is not None and short_id(n) != rid:
                continue
            if n.text == text or (contains and text.lower() in n.text.lower()):
                return n
        return None

    def row(self, rid: str, label: str) -> UINode | None:
        """The control ``rid`` whose own text or a child's text is ``label`` (list rows keep
        their title on a child)."""
        for n in self.nodes:
            if short_id(n) == rid and (n.text == label or any(
                    m.parent == n.index and m.text == label for m in self.nodes)):
                return n
        return None

    def point(self, node: UINode) -> RelativePoint:
        return to_relative(node.center, self.size)

    @property
    def keyboard(self) -> bool:
        return self.id("keyboard") is not None


def visible(node: UINode) -> bool:
    left, top, right, bottom = node.bounds
    return right - left >= MIN_VISIBLE and bottom - top >= MIN_VISIBLE


class Say:
    """A thought in the goal's language."""

    def __init__(self, zh: bool) -> None:
        self.zh = zh

    def __call__(self, en: str, zh: str) -> str:
        return zh if self.zh else en


@dataclass(frozen=True)
class Profile:
    """The details the expert fills into forms (the owner of the virtual phone)."""

    name: str = "Wang Fang 王芳"
    phone: str = "13800138000"
    address: str = "1 Century Avenue, Shanghai 上海市浦东新区世纪大道1号"


PROFILE = Profile()


class Moves:
    """The moves strategies are made of; :class:`emulator.expert.ExpertPolicy` plays them."""

    phone: Phone
    spec: Any
    profile: Profile
    say: Say
    goal: str  # the words of the step being decided
    # Scroll direction per list (+1: reveal what is below), flipped when a swipe moved nothing.
    _dirs: dict[tuple[str, str, str], int]
    _last_swipe: tuple[tuple[str, str, str], str] | None

    def as_goal_writes(self, en: str, zh: str, plural: bool = False) -> str:
        """A name as the goal writes it (English first when it holds both), else in the goal's
        language: a goal in English with a Chinese message text still names "zhang wei", and the
        text to type is then a copy of the goal's words, not a translation. With ``plural``, a
        name the goal writes in the plural ("two coffee mugs") comes back as the goal writes it,
        so that what is typed is the goal's own words, the span a model copies."""
        goal = self.goal.lower()
        if en.lower() in goal:
            if plural:
                found = re.search(re.escape(en.lower()) + r"(?:e?s)\b", goal)
                if found:
                    return self.goal[found.start():found.end()]
            return en
        if zh in goal:
            return zh
        return self.say(en, zh)

    def tap(self, s: Screen, node: UINode, message: str | None = None) -> Tap:
        return Tap(element=s.point(node), message=message)

    def seek(self, s: Screen, container: str, why: tuple[str, str], down: bool = True) -> tuple[str, Action]:
        """Scroll a list to look for something not on screen yet; turn around at the end."""
        node = s.id(container)
        if node is None:
            return self.say("I cannot see the list I need, so I go back.", "找不到需要的列表，先返回。"), Back()
        app = self.phone.foreground
        key = (app.package, app.top.name, container)
        direction = self._dirs.get(key, 1 if down else -1)
        if self._last_swipe is not None and self._last_swipe == (key, s.xml):
            direction = -direction  # the last swipe moved nothing: this end of the list is reached
        self._dirs[key] = direction
        left, top, right, bottom = node.bounds
        x = (left + right) // 2
        high, low = top + (bottom - top) // 4, top + (bottom - top) * 3 // 4
        start, end = ((x, low), (x, high)) if direction > 0 else ((x, high), (x, low))
        self._last_swipe = (key, s.xml)
        en, zh = why
        return (self.say(f"{en} is not visible; I scroll {'down' if direction > 0 else 'up'}.",
                         f"{zh}不在屏幕上，{'向下' if direction > 0 else '向上'}滑动查找。"),
                Swipe(start=to_relative(start, s.size), end=to_relative(end, s.size)))

    def fill(self, s: Screen, rid: str, current: str, wanted: str, what: tuple[str, str],
             container: str | None = None) -> tuple[str, Action] | None:
        """One step towards a text field holding ``wanted``; None once it does. Case aside, as
        the tasks' checks: text copied from a lower-case goal ("dong kai") is the right text."""
        if current.lower() == wanted.lower():
            return None
        say = self.say
        node = s.id(rid)
        en, zh = what
        if node is None:
            if container is not None and self.phone.foreground.focus == rid:
                return self.seek(s, container, (f"The {en} field", f"{zh}输入框"))
            if s.keyboard:
                return say("The keyboard hides the form; I close it.", "键盘挡住了表单，先收起键盘。"), Back()
            if container is None:
                return say(f"I cannot find the {en} field; I go back.", f"找不到{zh}输入框，返回。"), Back()
            return self.seek(s, container, (f"The {en} field", f"{zh}输入框"))
        if not node.focused:
            return say(f"I tap the {en} field.", f"点击{zh}输入框。"), self.tap(s, node)
        # Type replaces the field's text (AutoGLM's meaning), so wrong text needs no deleting:
        # typing the whole value over it is one step a model can learn to take.
        if current:
            return say(f"The {en} field holds the wrong text; I type the {en} over it.",
                       f"{zh}内容不对，重新输入。"), Type(text=wanted)
        return say(f"I type the {en}.", f"输入{zh}。"), Type(text=wanted)

    def stepper(self, s: Screen, rid: str, value: int, wanted: int, what: tuple[str, str],
                container: str | None) -> tuple[str, Action] | None:
        if value == wanted:
            return None
        en, zh = what
        button = s.id(f"{rid}_{'plus' if value < wanted else 'minus'}")
        if button is None:
            if container is None:
                return self.say("I go back.", "返回。"), Back()
            return self.seek(s, container, (f"The {en} control", f"{zh}调节按钮"))
        if value < wanted:
            return self.say(f"{en} is {value}, I need {wanted}; I tap +.", f"{zh}现在是{value}，需要{wanted}，点加号。"), \
                self.tap(s, button)
        return self.say(f"{en} is {value}, I need {wanted}; I tap -.", f"{zh}现在是{value}，需要{wanted}，点减号。"), \
            self.tap(s, button)

    def press(self, s: Screen, rid: str, what: tuple[str, str], container: str | None = None,
              message: tuple[str, str] | None = None) -> tuple[str, Action]:
        node = s.id(rid)
        en, zh = what
        if node is None:
            if s.keyboard:
                return self.say("The keyboard is in the way; I close it.", "键盘挡住了，先收起键盘。"), Back()
            if container is not None:
                return self.seek(s, container, (en, zh))
            return self.say(f"I cannot see {en}; I go back.", f"看不到{zh}，返回。"), Back()
        return self.say(f"I tap {en}.", f"点击{zh}。"), self.tap(s, node, self.say(*message) if message else None)

    def home_tab(self, s: Screen, rid: str = "tab_home") -> tuple[str, Action]:
        tab = s.id(rid)
        if tab is not None:
            return self.say("This page is not what I need; I go to the home tab.", "这个页面不对，回到首页。"), \
                self.tap(s, tab)
        return self.say("This page is not what I need; I go back.", "这个页面不对，返回。"), Back()


@dataclass(frozen=True)
class Strategy:
    """How the expert plays one kind of task in one app."""

    spec: type  # the task spec it plays
    step: Callable[[Moves, Screen, Any], tuple[str, Action]]  # (the expert, the screen, the foreground app)
    summary: Callable[[Moves], str]  # the Finish message once the task is done
    app: Callable[[Moves], str]  # the package the task needs now
    pays: Callable[[Any], bool] = lambda spec: False  # whether the spec ends on a payment sheet
