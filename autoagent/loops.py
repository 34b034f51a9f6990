"""Loops: the same action on a screen it does not change, or two actions undoing each other.

The most common way an agent fails is to keep doing something that changes nothing. The
engine hands every action that ran to a :class:`LoopWatch` with the screen it was decided
on. The first time a pattern shows, the watch returns a warning, which the engine puts in the
model's next prompt (the step's feedback) and on the step's record. If the next action
carries the pattern on, the run ends with :attr:`autoagent.trace.Status.LOOP`.

Two patterns count:

- **repeat**: the same action ``repeats`` times in a row on the same screen (a tap that does
  nothing, a swipe at the end of a list, a launch of an app that does not exist);
- **cycle**: ``A, B, A, B`` where A is always decided on one screen and B on another (open,
  back, open, back).

``Wait`` never counts: waiting on a screen that is still loading is what it is for.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from autoagent.perception.observation import Observation

# Thumbnail used when a screen has no tree to compare: small enough to hash in well under a
# millisecond, large enough that a dialog or a new page changes it.
_THUMB = (54, 120)


def screen_key(observation: Observation) -> str:
    """A digest that is equal for two observations of the same screen.

    Built from the tree's nodes where there is one (what the agent acts on; a blinking
    cursor or a clock's pixels do not make a screen new), scroll offsets included (a swipe that
    scrolls a text area changes no node's text or bounds, yet shows other lines), else from a
    thumbnail."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update((observation.app or "").encode())
    try:
        tree = observation.tree
    except ValueError:  # a broken dump: the pixels still tell screens apart
        tree = None
    if tree is not None and tree.nodes:
        for node in tree.nodes:
            digest.update(node.attributes().encode())
            if node.scrolled != (0, 0):
                digest.update(repr(node.scrolled).encode())
    else:
        digest.update(observation.screenshot.convert("L").resize(_THUMB).tobytes())
    return digest.hexdigest()


class Pattern(str, Enum):
    REPEAT = "repeat"
    CYCLE = "cycle"


@dataclass(frozen=True)
class Loop:
    """A pattern the watch saw; ``message`` is for the model (first time) or the person."""

    pattern: Pattern
    actions: tuple[str, ...]  # the answers that make it up, in AutoGLM text
    count: int  # how many steps it has lasted
    ends_run: bool  # False: the model is warned; True: it carried on after the warning

    @property
    def message(self) -> str:
        if self.pattern is Pattern.REPEAT:
            what = f"repeated {self.actions[0]} {self.count} times on a screen it does not change"
        else:
            what = f"alternated {' and '.join(self.actions)} for {self.count} steps, back and forth between two screens"
        if self.ends_run:
            return f"stopped: the agent {what}, and carried on after it was told"
        return (f"You have {what}. It is not working: do something different (another control, another "
                "way to the goal, scroll elsewhere, Back), or finish and say why the task cannot be done.")


@dataclass
class LoopWatch:
    """Sees each action that ran, with the screen it was decided on, in order."""

    repeats: int = 3  # the same action this many times on one screen is a loop
    _recent: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=8), init=False)
    _warned: Loop | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.repeats < 2:
            raise ValueError("a loop needs at least 2 repeats")

    def reset(self) -> None:
        self._recent.clear()
        self._warned = None

    def saw(self, screen: str, answer: str, *, waits: bool = False) -> Loop | None:
        """Record one action that ran (``answer``) on ``screen``; the loop it makes, if any.

        A loop is returned once as a warning; while the pattern goes on after it, every
        further step returns it with ``ends_run`` set. An action that breaks the pattern
        clears the warning."""
        if waits:
            return None
        self._recent.append((screen, answer))
        found = self._repeat() or self._cycle()
        if found is None:
            self._warned = None
            return None
        if self._warned is not None and self._warned.pattern is found.pattern:
            return Loop(found.pattern, found.actions, found.count, ends_run=True)
        self._warned = found
        return found

    def _repeat(self) -> Loop | None:
        last = self._recent[-1]
        run = 0
        for item in reversed(self._recent):
            if item != last:
                break
            run += 1
        if run < self.repeats:
            return None
        return Loop(Pattern.REPEAT, (last[1],), run, ends_run=False)

    def _cycle(self) -> Loop | None:
        if len(self._recent) < 4:
            return None
        a, b = self._recent[-2], self._recent[-1]
        if a == b or a[0] == b[0]:  # one screen is a repeat, not a cycle
            return None
        run = 0
        for i, item in enumerate(reversed(self._recent)):
            if item != (b if i % 2 == 0 else a):
                break
            run += 1
        if run < 4:
            return None
        return Loop(Pattern.CYCLE, (a[1], b[1]), run, ends_run=False)
