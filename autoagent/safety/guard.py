"""The guard: classify every action before it runs, from what the agent itself can see.

The guard is a pipeline of named signals, each a small function over the typed screen tree
(:mod:`autoagent.safety.signals`). :class:`ScreenGuard` builds one look at the step, runs the
three lists below in order (:data:`SCREEN`, then :data:`TOUCH` at each point a gesture touches,
then :data:`STEP`) and decides in one place (``_decide``): the strictest verdict among the
findings wins, money first among equals. Every signal can only add a finding: text put on the
screen by a third party (a product description, a chat message) can add a question but never
remove one, and the model's own flag is one signal among several, since a model (or text
injected into the page) can leave it off.

The look (``look``) holds the two rules of touch: a *short swipe* (shorter than the touch slop)
is a tap where it starts, on whatever is under it, clickable or not; *keyboard* keys type, they
are not controls of the app. The signals, by name, function (in :mod:`autoagent.safety.signals`)
and what each reads:

On the whole screen (:data:`SCREEN`)
``black-screen`` ``page.black_screen``      a black (secure) screen: a human takes over.
``captcha``      ``page.captcha``           a CAPTCHA anywhere on screen: a human takes over.

At each point a gesture touches (:data:`TOUCH`)
``keyboard``     ``keys.keyboard``          the on-screen keyboard's Enter/Go/Send/Done/搜索/发送 key is Enter.
``target``       ``controls.target``        the control under the finger (target), every other node under it
                                            (overlap) and controls within touch slop (slop), by their words.
``secret``       ``personal.secret_touch``  a password or one-time-code field: a human fills it.
``stepper``      ``controls.stepper``       "−" beside a quantity of 1: the tap removes the line.
``container``    ``controls.container``     an unlabeled or generic control ("OK", an icon): the words of its
                                            row or sheet, and its neighbours (nearby).
``personal``     ``personal.personal_data`` a generic submit of a form with a field for personal data.
``page``         ``page.page``              on a payment page every confirming control pays.
``context``      ``context.context``        in a risky context (an amount, a total, a card, a filled
                                            personal-data form, a composer with text) a commit-like control
                                            not known to be harmless asks.
``icon``         ``context.icon``           an icon-only control (no text, no description) in a risky context.
``double-tap``   ``controls.double_tap``    a double tap on a buying or confirming control pays.
``drawn``        ``unreadable.drawn``       a tap on a canvas-drawn control on a screen that shows money, a card,
                                            or words of paying or buying.

For the step (:data:`STEP`)
``secret``       ``personal.secret_typing`` typing into a password field hands over, unless the task holds
                                            exactly the text typed.
``form``         ``keys.enter``             Enter (a ``Type`` with a newline) submits what the screen offers;
                                            in a composer with text it sends; in a risky context (outside a
                                            search box) it submits what the screen shows.
``flag``         ``model.flag``             the model's own sensitive flag.
``app``          ``unreadable.payment_app`` no hierarchy, in an app known to take payments: every touch asks.
``unreadable``   ``unreadable.unreadable``  nothing labelled under or near the touch, in a payment app or on a
                                            screen with no label at all.

Before any of them, ``ocr`` (``unreadable.read_with_ocr``) reads a screen that came without a
hierarchy from its screenshot. ``Launch`` of a URL is judged by ``url`` (``model.url``) alone.

A re-check right before acting (:meth:`ScreenGuard.recheck`) asks again when the risk got
stricter or different, or when a step the human approved now targets a different control.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autoagent.actions import Action, DoubleTap, Launch, LongPress, Swipe, TakeOver, Tap, Type
from autoagent.actuators.execute import pixel_points
from autoagent.perception.observation import Observation
from autoagent.safety import keywords as kw
from autoagent.safety.keywords import classify_text
from autoagent.safety.policy import GuardPolicy
from autoagent.safety.screen import Screen
from autoagent.safety.signals import context, controls, keys, model, page, personal, unreadable
from autoagent.safety.signals.look import Finding, Look, Touch, distinct, look_at, summary
from autoagent.safety.signals.model import looks_like_url, url
from autoagent.safety.signals.unreadable import read_with_ocr
from autoagent.safety.types import GuardDecision, Verdict

__all__ = ["ScreenGuard", "classify_text", "escalates", "looks_like_url"]

_RANK = {Verdict.ALLOW: 0, Verdict.CONFIRM: 1, Verdict.DENY: 2}
# Preferred class when several findings share the strictest verdict: money first.
_PRIORITY = (kw.PAYMENT, kw.PURCHASE, kw.DELETE, kw.SEND, kw.PERSONAL_DATA, kw.TAKEOVER, kw.UNREADABLE, kw.FLAGGED)

ScreenSignal = Callable[[Look], list[Finding]]
# A signal at one touch point; ``found`` holds what the signals before it found at that point
# (``context`` and ``icon`` speak only where nothing else did; ``double-tap`` reads what the control is).
TouchSignal = Callable[[Look, Touch, list[Finding]], list[Finding]]

# The signals, in the order they run: the index above names each.
SCREEN: tuple[ScreenSignal, ...] = (page.black_screen, page.captcha)
TOUCH: tuple[TouchSignal, ...] = (
    keys.keyboard,
    controls.target,
    personal.secret_touch,
    controls.stepper,
    controls.container,
    personal.personal_data,
    page.page,
    context.context,
    context.icon,
    controls.double_tap,
    unreadable.drawn,
)
STEP: tuple[ScreenSignal, ...] = (personal.secret_typing, keys.enter, model.flag, unreadable.payment_app,
                                  unreadable.unreadable)


def escalates(before: GuardDecision, after: GuardDecision) -> bool:
    """Whether a re-check of a changed screen must be put to the human again.

    A stricter verdict or a different risk always counts. So does, after a confirm, any
    change in what the step targets: the human said yes to the control they were shown
    ("Pay ¥59.00"), not to whatever is under the finger now ("Pay ¥5,900.00").
    """
    if _RANK[after.verdict] > _RANK[before.verdict]:
        return True
    if after.verdict is Verdict.ALLOW:
        return False
    if after.category != before.category:
        return True
    if before.verdict is Verdict.CONFIRM:
        return after.reason != before.reason or _targets(after) != _targets(before)
    return False


def _targets(decision: GuardDecision) -> object:
    return decision.evidence.get("targets")


@dataclass
class ScreenGuard:
    """Reads the target control and its screen; the module docstring is the index of its signals."""

    policy: GuardPolicy = field(default_factory=GuardPolicy)
    # The last screen read, so a review and a re-check of one observation parse it once.
    _last: tuple[Observation, Screen] | None = field(default=None, init=False, repr=False)

    # -- public API ----------------------------------------------------------------------
    def review(self, action: Action, observation: Observation, *, task: str = "") -> GuardDecision:
        """The verdict on ``action`` as seen on ``observation``. ``task`` is the user's own request:
        a password it holds may be typed (see the ``secret`` signal)."""
        if isinstance(action, TakeOver):
            return GuardDecision(verdict=Verdict.ALLOW, category=kw.TAKEOVER, reason="the model asked for a human",
                                 evidence={"action": action.kind, "message": action.message})
        if isinstance(action, Launch) and looks_like_url(action.app):
            found = url(action.app)
            evidence: dict[str, Any] = {"action": action.kind, "url": action.app}
            if not found:
                return GuardDecision(verdict=Verdict.ALLOW, reason=f"opening {action.app!r}: the URL names no "
                                     "payment, checkout or confirm step", evidence=evidence)
            return self._decide(found, evidence)
        if not isinstance(action, (Tap, DoubleTap, LongPress, Swipe, Type)):
            # Launch of an app, Back, Home, Wait: moving around is reversible.
            reason = f"{action.kind} does not touch the screen"
            if isinstance(action, Launch):
                reason = f"opening {action.app!r} is reversible"
            return GuardDecision(verdict=Verdict.ALLOW, reason=reason, evidence={"action": action.kind})
        look = self._look(action, observation, task)
        findings = self._findings(look)
        if findings:
            # The money the person is asked about: a yes is bound to it (autoagent.safety.consent).
            look.evidence["amounts"] = [{"value": str(a.value), "currency": a.currency, "text": a.text}
                                        for a in context.amounts(look.screen)[:12]]
        return self._decide(findings, look.evidence)

    def recheck(self, action: Action, before: GuardDecision, observation: Observation, *,
                task: str = "") -> GuardDecision | None:
        """Review ``action`` again on a fresh observation taken just before it runs.

        Returns the new decision when the screen changed in a way that matters (a stricter
        verdict or a different risk: a slow load put Pay under the finger; or, after a
        confirm, a different control under the finger), else None. See :func:`escalates`.
        """
        after = self.review(action, observation, task=task)
        return after if escalates(before, after) else None

    # -- the pipeline ------------------------------------------------------------------------
    def _look(self, action: Action, observation: Observation, task: str) -> Look:
        screen = self._screen(observation)
        evidence: dict[str, Any] = {"action": action.kind, "source": screen.source, "app": observation.app}
        if screen.parse_error:
            evidence["parse_error"] = screen.parse_error
        if screen.source == "none":
            read_with_ocr(screen, self.policy, evidence, pixel_points(action, screen.size))
        return look_at(action, screen, self.policy, app=observation.app, task=task, evidence=evidence)

    @staticmethod
    def _findings(look: Look) -> list[Finding]:
        """Every signal's findings, in the order of :data:`SCREEN`, :data:`TOUCH` and :data:`STEP`."""
        findings = [f for signal in SCREEN for f in signal(look)]
        hits: list[dict[str, Any]] = []
        for touch in look.touches:
            found: list[Finding] = []
            for signal in TOUCH:
                found += signal(look, touch, found)
            findings += found
            hits.append({"point": list(touch.point),
                         **(summary(touch.target) if touch.target is not None else {"class": None})})
        if look.touches:
            look.evidence["targets"] = hits
        return findings + [f for signal in STEP for f in signal(look)]

    def _screen(self, observation: Observation) -> Screen:
        # Holding the observation itself (not its id) means a new one can never be mistaken for it.
        if self._last is not None and self._last[0] is observation:
            return self._last[1]
        screen = Screen.of(observation)
        self._last = (observation, screen)
        return screen

    # -- the verdict -------------------------------------------------------------------------
    def _decide(self, findings: list[Finding], evidence: dict[str, Any]) -> GuardDecision:
        evidence["findings"] = [f.as_json() for f in distinct(findings)[:12]]
        if not findings:
            return GuardDecision(verdict=Verdict.ALLOW, reason="nothing sensitive under the finger or on the form",
                                 evidence=evidence)

        def key(f: Finding) -> tuple[int, int]:
            verdict = self.policy.verdict_for(f.category)
            order = _PRIORITY.index(f.category) if f.category in _PRIORITY else len(_PRIORITY)
            return (-_RANK[verdict], order)

        best = min(findings, key=key)
        verdict = self.policy.verdict_for(best.category)
        evidence["categories"] = sorted({f.category for f in findings})
        reason = f"{best.category}: {best.detail} [{best.source}]"
        others = len(findings) - 1
        if others:
            reason += f" (+{others} more signal{'s' if others > 1 else ''})"
        return GuardDecision(verdict=verdict, category=best.category, reason=reason, evidence=evidence)
