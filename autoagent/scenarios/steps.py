"""Explicit scenario steps as a Policy, so they run through the normal Agent loop.

Each decide() looks at the current screen and turns the next step into one action: a
selector is resolved in the current hierarchy and aimed at with geometry.to_relative, an
element below the fold is scrolled to first, ``wait_for`` polls the device until the text
shows, and goal steps hand the screen to a real policy until it finishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from autoagent.actions import Action, Back, Finish, Home, Launch, LongPress, Note, Swipe, Tap, Type
from autoagent.device import Device
from autoagent.geometry import to_relative
from autoagent.grammar import format_reply
from autoagent.perception.tree import UINode, tap_reaches
from autoagent.perception.observation import Observation
from autoagent.policy.base import Decision, Policy, PolicyError, StepInput
from autoagent.scenarios.model import (
    SWIPES, GoalStep, KeyStep, LaunchStep, LongPressStep, Selector, Step, SwipeStep, TapStep, TypeStep, WaitFor,
    WaitForStep,
)

MAX_SCROLLS = 12
# Between looks at a screen that has settled but does not show the awaited text yet.
POLL_INTERVAL = 0.05
SCROLL_UP = Swipe(start=SWIPES["up"][0], end=SWIPES["up"][1])


class StepFailed(PolicyError):
    """A scenario step could not be carried out; the message says which and why."""


def _short_id(resource_id: str) -> str:
    return resource_id.split(":id/", 1)[-1]


def node_matches(node: UINode, *, text: str | None = None, contains: str | None = None, id: str | None = None,
                 desc: str | None = None, cls: str | None = None) -> bool:
    if text is not None and node.text != text and node.desc != text:
        return False
    if contains is not None and contains.lower() not in f"{node.text}\n{node.desc}".lower():
        return False
    if id is not None and id not in (node.resource_id, _short_id(node.resource_id)):
        return False
    if desc is not None and node.desc != desc:
        return False
    if cls is not None and node.cls != cls and not node.cls.endswith("." + cls):
        return False
    left, top, right, bottom = node.bounds
    return right > left and bottom > top  # an invisible node cannot be seen or tapped


def find_nodes(nodes: list[UINode], **query: str | None) -> list[UINode]:
    return [n for n in nodes if node_matches(n, **query)]


def selector_query(sel: Selector | WaitFor) -> dict[str, str | None]:
    query: dict[str, str | None] = {"text": sel.text, "contains": sel.contains, "id": sel.id}
    if isinstance(sel, Selector):
        query.update(desc=sel.desc, cls=sel.cls)
    return query


def visible_labels(nodes: list[UINode], limit: int = 30) -> str:
    labels = list(dict.fromkeys(n.label for n in nodes if n.label))
    more = f" (+{len(labels) - limit} more)" if len(labels) > limit else ""
    return ", ".join(repr(l) for l in labels[:limit]) + more


def _has_text(nodes: list[UINode], wait: WaitFor) -> bool:
    return bool(find_nodes(nodes, **selector_query(wait)))


def _nodes(observation: Observation) -> list[UINode]:
    tree = observation.tree
    if tree is None:
        raise StepFailed("the device gave no view hierarchy, so steps by text or id cannot be found; "
                         "use point: [x, y]")
    return tree.nodes


@dataclass
class StepPolicy:
    """Plays scenario steps; ``goal_policy`` builds the policy for goal steps on first use."""

    steps: list[Step]
    device: Device
    goal_policy: Callable[[], Policy] | None = None
    deadline: float | None = None  # time.monotonic() value
    name: str = "scenario"
    log: list[str] = field(default_factory=list)  # one line per finished step, for reports
    _i: int = field(default=0, init=False)
    _scrolls: int = field(default=0, init=False)
    _last_scrolled: str | None = field(default=None, init=False)
    _goal: Policy | None = field(default=None, init=False)
    _goal_turns: int = field(default=0, init=False)

    @property
    def current(self) -> int:
        """1-based index of the step being played (len+1 once done)."""
        return self._i + 1

    def _label(self) -> str:
        # The scenario's own numbering, named as such: one scenario step may take several of the
        # run's steps (scrolling to a target, waiting, a goal), which the report numbers.
        return f"scenario step {self._i + 1} of {len(self.steps)}"

    def _fail(self, why: str) -> StepFailed:
        step = self.steps[self._i]
        return StepFailed(f"{self._label()} ({describe_step(step)}): {why}")

    def _decide(self, thought: str, action: Action) -> Decision:
        return Decision(raw=format_reply(thought, action), thought=thought, action=action)

    def _advance(self, note: str) -> None:
        self.log.append(f"{self._label()}: {note}")
        self._i += 1
        self._scrolls = 0
        self._last_scrolled = None

    def decide(self, step: StepInput) -> Decision:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise StepFailed("the scenario ran out of time" + (f" at {self._label()}" if self._i < len(self.steps)
                                                                else ""))
        observation = step.observation
        while self._i < len(self.steps):
            current = self.steps[self._i]
            if isinstance(current, WaitForStep):
                waited = self._wait_for(current.wait_for, observation)
                if waited is not None:
                    # The screen changed while waiting: let the agent look (and record) again.
                    return self._decide(waited, Note(message=waited))
                continue
            if isinstance(current, GoalStep):
                decision = self._goal_decision(current, step, observation)
                if decision is None:
                    continue
                return decision
            return self._explicit(current, observation)
        self._close_goal()
        done = f"all {len(self.steps)} scenario steps done"
        return self._decide(done, Finish(message=done))

    # -- explicit steps ------------------------------------------------------------------
    def _explicit(self, current: Step, observation: Observation) -> Decision:
        what = describe_step(current)
        if isinstance(current, (TapStep, LongPressStep)):
            sel = current.tap if isinstance(current, TapStep) else current.long_press
            if sel.point is not None:
                point = sel.point
            else:
                resolved = self._resolve(sel, observation)
                if isinstance(resolved, Swipe):
                    return self._decide(f"{self._label()}: scrolling to find {sel.describe()}", resolved)
                point = resolved
            action: Action = (Tap(element=point) if isinstance(current, TapStep) else LongPress(element=point))
        elif isinstance(current, TypeStep):
            action = Type(text=current.type)
        elif isinstance(current, SwipeStep):
            start, end = (SWIPES[current.swipe] if isinstance(current.swipe, str)
                          else (current.swipe.start, current.swipe.end))
            action = Swipe(start=start, end=end)
        elif isinstance(current, LaunchStep):
            action = Launch(app=current.launch)
        elif isinstance(current, KeyStep):
            action = Back() if current.key == "back" else Home()
        else:  # pragma: no cover - the model admits no other step
            raise TypeError(f"unknown step {current!r}")
        thought = f"{self._label()}: {what}"
        self._advance(what)
        return self._decide(thought, action)

    def _resolve(self, sel: Selector, observation: Observation) -> tuple[int, int] | Swipe:
        nodes = _nodes(observation)
        matches = find_nodes(nodes, **selector_query(sel))
        node = matches[sel.nth] if len(matches) > sel.nth else None
        if node is not None and tap_reaches(node, nodes, observation.size):
            rel = to_relative(node.center, observation.size)
            return rel.x, rel.y
        if not sel.scroll:
            raise self._fail(("it is covered or off screen" if node is not None else "nothing on screen matches")
                             + f"; visible: {visible_labels(nodes)}")
        signature = observation.hierarchy
        if self._scrolls >= MAX_SCROLLS or (self._last_scrolled is not None and signature == self._last_scrolled):
            where = "after scrolling to the end" if self._scrolls else ""
            raise self._fail(f"nothing on screen matches {where}; visible: {visible_labels(nodes)}".replace("  ", " "))
        self._scrolls += 1
        self._last_scrolled = signature
        return SCROLL_UP

    def _wait_for(self, wait: WaitFor, observation: Observation) -> str | None:
        """Poll the device until the wait is satisfied; None if it already was on this screen."""
        started = time.monotonic()
        deadline = started + wait.timeout
        polled = False
        while True:
            nodes = _nodes(observation)
            if _has_text(nodes, wait) != wait.gone:
                what = describe_step(WaitForStep(wait_for=wait))
                self._advance(what)
                return f"{what}: after {time.monotonic() - started:.2f}s" if polled else None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                state = "still there" if wait.gone else "never appeared"
                raise self._fail(f"{state} within {wait.timeout:g}s; visible: {visible_labels(nodes)}")
            # A screen still loading is waited out by the device; a settled one is looked at again shortly.
            if self.device.wait_until_settled(timeout=min(remaining, 1.0)):
                time.sleep(min(POLL_INTERVAL, max(0.0, remaining)))
            observation = self.device.observe()
            polled = True

    # -- goal steps ----------------------------------------------------------------------
    def _goal_decision(self, current: GoalStep, step: StepInput, observation: Observation) -> Decision | None:
        if self._goal is None:
            if self.goal_policy is None:
                raise self._fail("goal steps need a policy (engine: in the scenario)")
            self._goal = self.goal_policy()
            self._goal_turns = 0
        if self._goal_turns >= current.max_steps:
            raise self._fail(f"the policy did not finish the goal within {current.max_steps} steps")
        self._goal_turns += 1
        decision = self._goal.decide(StepInput(task=current.goal, step=self._goal_turns, observation=observation,
                                               history=step.history))
        if isinstance(decision.action, Finish):
            self._advance(f"goal reached in {self._goal_turns - 1} actions: {decision.action.message}".rstrip(": "))
            self._close_goal()
            return None
        return decision

    def _close_goal(self) -> None:
        if self._goal is not None:
            self._goal.close()
            self._goal = None

    def close(self) -> None:
        self._close_goal()


def describe_step(step: Step) -> str:
    if isinstance(step, TapStep):
        return f"tap {step.tap.describe()}"
    if isinstance(step, LongPressStep):
        return f"long_press {step.long_press.describe()}"
    if isinstance(step, TypeStep):
        return f"type {step.type!r}"
    if isinstance(step, SwipeStep):
        return f"swipe {step.swipe if isinstance(step.swipe, str) else [step.swipe.start, step.swipe.end]}"
    if isinstance(step, LaunchStep):
        return f"launch {step.launch!r}"
    if isinstance(step, KeyStep):
        return step.key
    if isinstance(step, WaitForStep):
        w = step.wait_for
        what = " ".join(f"{k}={v!r}" for k, v in (("text", w.text), ("contains", w.contains), ("id", w.id)) if v)
        return f"wait_for {what}{' gone' if w.gone else ''}"
    if isinstance(step, GoalStep):
        return f"goal {step.goal!r}"
    return repr(step)
