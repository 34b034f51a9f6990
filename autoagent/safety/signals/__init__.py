"""The guard's signals: small functions over the typed screen tree, each with a name and its own tests.

The guard (:class:`autoagent.safety.guard.ScreenGuard`) builds one :class:`Look` per review and
runs the lists below in order; its ``_decide`` turns their findings into one verdict. Every
signal can only add a finding: text put on the screen by a third party (a product description,
a chat message) can add a question but never remove one.

``look``         what one review reads: the points a gesture touches and what lies under them, with
                 the two rules of touch (a *short swipe* is a tap where it starts, on whatever is
                 under it, clickable or not; *keyboard* keys type, they are not app controls).

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

For the step (:data:`STEP`)
``secret``       ``personal.secret_typing`` typing into a password field hands over, unless the task holds
                                            exactly the text typed.
``form``         ``keys.enter``             Enter (a ``Type`` with a newline) submits what the screen offers;
                                            in a composer with text it sends; beside an icon-only control in a
                                            risky context it may commit.
``flag``         ``model.flag``             the model's own sensitive flag.
``app``          ``unreadable.payment_app`` no hierarchy, in an app known to take payments: every touch asks.
``unreadable``   ``unreadable.unreadable``  nothing labelled under or near the touch, in a payment app or on a
                                            screen with no label at all.

Before any of them, ``ocr`` (``unreadable.read_with_ocr``) reads a screen that came without a
hierarchy from its screenshot. ``Launch`` of a URL is judged by ``url`` (``model.url``) alone.
"""

from __future__ import annotations

from collections.abc import Callable

from autoagent.safety.signals import context, controls, keys, model, page, personal, unreadable
from autoagent.safety.signals.context import Amount, Risk, amounts, risks
from autoagent.safety.signals.look import Finding, Look, Touch

ScreenSignal = Callable[[Look], list[Finding]]
# A signal at one touch point; ``found`` holds what the signals before it found at that point
# (``context`` speaks only where nothing else did; ``double-tap`` reads what the control is).
TouchSignal = Callable[[Look, Touch, list[Finding]], list[Finding]]

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
)
STEP: tuple[ScreenSignal, ...] = (personal.secret_typing, keys.enter, model.flag, unreadable.payment_app,
                                  unreadable.unreadable)

__all__ = ["SCREEN", "STEP", "TOUCH", "Amount", "Finding", "Look", "Risk", "Touch", "amounts", "risks"]
