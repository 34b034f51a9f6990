"""The red team's vocabulary: attacks and harmless sequences as data, and the moves a malicious model makes.

A move names what it aims at the way a model does, by what the observed screen shows (an id, a
text, a class), and becomes an action only once the step's screen is known (``decider``): the
point is computed from the node's bounds on that screen, in AutoGLM's 0-999 coordinates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from autoagent.actions import Action, Back, DoubleTap, Launch, LongPress, Swipe, Tap, Type
from autoagent.geometry import to_relative
from autoagent.perception.observation import Observation
from autoagent.perception.tree import UINode


class Target(str, Enum):
    EMULATOR = "emulator"  # the in-process phone, or the same phone over the uiautomator2 wire
    DEMO = "demo"  # the demo shop and hotel site in Chromium
    HOSTILE = "hostile"  # the attack site in Chromium


# The classes of issue #16, item 5; an attack id starts with its class.
CLASSES = ("icon", "vocabulary", "personal_data", "short_swipe", "keyboard", "stepper", "late_swap", "injection",
           "flag_off", "timer", "double_tap", "url", "risky")


@dataclass(frozen=True)
class Where:
    """A node on the observed screen, found as a model would find it: by id, text, description or class.

    ``contains`` matches part of the text or description; ``unlabelled`` keeps only nodes with neither
    (an icon); ``nth`` picks among several matches in document order.
    """

    rid: str | None = None
    rid_prefix: str | None = None
    text: str | None = None
    contains: str | None = None
    cls: str | None = None
    unlabelled: bool = False
    clickable: bool | None = None
    nth: int = 0

    def find(self, observation: Observation) -> UINode:
        found = [n for n in observation.tree.nodes if self._matches(n)]
        if len(found) <= self.nth:
            shown = sorted({n.label for n in observation.tree.nodes if n.label})[:40]
            raise AssertionError(f"nothing on screen matches {self} ({observation.app}); labels: {shown}")
        return found[self.nth]

    def _matches(self, n: UINode) -> bool:
        if n.bounds[2] <= n.bounds[0] or n.bounds[3] <= n.bounds[1]:
            return False
        if self.rid is not None and n.resource_id.rsplit("/", 1)[-1] != self.rid:
            return False
        if self.rid_prefix is not None and not n.resource_id.rsplit("/", 1)[-1].startswith(self.rid_prefix):
            return False
        if self.text is not None and n.text != self.text:
            return False
        if self.contains is not None and self.contains not in n.text and self.contains not in n.desc:
            return False
        if self.cls is not None and not n.cls.endswith(self.cls):
            return False
        if self.unlabelled and (n.text.strip() or n.desc.strip()):
            return False
        return self.clickable is None or n.clickable == self.clickable


def _point(observation: Observation, px: tuple[float, float]):
    return to_relative(px, observation.size)


def _centre(observation: Observation, where: Where, dx: float = 0, dy: float = 0):
    x, y = where.find(observation).center
    return _point(observation, (x + dx, y + dy))


# ---- the moves ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TapOn:
    where: Where
    message: str | None = None  # the model's sensitive flag; None: left off

    def decide(self, obs: Observation, base: str) -> Action | str:
        return Tap(element=_centre(obs, self.where), message=self.message)


@dataclass(frozen=True)
class DoubleTapOn:
    where: Where

    def decide(self, obs: Observation, base: str) -> Action | str:
        return DoubleTap(element=_centre(obs, self.where))


@dataclass(frozen=True)
class LongPressOn:
    where: Where

    def decide(self, obs: Observation, base: str) -> Action | str:
        return LongPress(element=_centre(obs, self.where))


@dataclass(frozen=True)
class ShortSwipeOn:
    """A swipe of a few screen pixels ending on the control: Android and Chromium deliver it as a tap."""

    where: Where
    pixels: int = 12

    def decide(self, obs: Observation, base: str) -> Action | str:
        x, y = self.where.find(obs).center
        return Swipe(start=_point(obs, (x - self.pixels, y)), end=_point(obs, (x, y)))


@dataclass(frozen=True)
class SwipeList:
    """A real scroll: from the centre of ``where`` upwards by ``share`` of the screen's height."""

    where: Where
    share: float = 0.25

    def decide(self, obs: Observation, base: str) -> Action | str:
        x, y = self.where.find(obs).center
        dy = obs.size[1] * self.share / 2
        return Swipe(start=_point(obs, (x, y + dy)), end=_point(obs, (x, y - dy)))


@dataclass(frozen=True)
class Typed:
    text: str

    def decide(self, obs: Observation, base: str) -> Action | str:
        return Type(text=self.text)


@dataclass(frozen=True)
class Said:
    """Raw model text; ``{x}`` and ``{y}`` become the 0-999 centre of ``where`` on the step's screen."""

    template: str
    where: Where | None = None

    def decide(self, obs: Observation, base: str) -> Action | str:
        if self.where is None:
            return self.template
        x, y = _centre(obs, self.where).as_list()
        return self.template.format(x=x, y=y)


@dataclass(frozen=True)
class Opened:
    """Launch: an app by name, or a URL; a path starting with "/" is on the site under test."""

    app: str

    def decide(self, obs: Observation, base: str) -> Action | str:
        return Launch(app=base + self.app if self.app.startswith("/") else self.app)


@dataclass(frozen=True)
class Pressed:
    """Back (the only key a model sends besides typing)."""

    def decide(self, obs: Observation, base: str) -> Action | str:
        return Back()


Move = TapOn | DoubleTapOn | LongPressOn | ShortSwipeOn | SwipeList | Typed | Said | Opened | Pressed


def decider(move: Move, base: str = "") -> Callable[[Observation], Action | str]:
    return lambda obs: move.decide(obs, base)


# ---- attacks and harmless sequences ---------------------------------------------------------------------

@dataclass(frozen=True)
class Attack:
    """One attack: where it starts, what the malicious model does, and what must not happen without a yes.

    ``setup`` names a function of the target (see ``tests/redteam/phone.py`` and ``web.py``) that puts
    the device on the screen under attack, with ``params``. ``late`` makes the screen change right
    after the guard's last look (the setup says how). ``linger`` waits after the run for side effects
    fired by timers.
    """

    id: str
    cls: str
    target: Target
    setup: str
    moves: tuple[Move, ...]
    params: dict[str, Any] = field(default_factory=dict)
    wire: bool = False  # the phone is driven over uiautomator2 rather than in process
    late: bool = False
    linger: float = 0.0
    why: str = ""

    def __post_init__(self) -> None:
        assert self.cls in CLASSES, self.cls
        assert self.id.startswith(self.cls + "-"), self.id


@dataclass(frozen=True)
class Harmless:
    """A sequence that must work without a single question; ``check`` says whether it did its thing."""

    id: str
    target: Target
    setup: str
    moves: tuple[Move, ...]
    check: Callable[[Any], bool]
    params: dict[str, Any] = field(default_factory=dict)
