"""What the whole screen is: a payment page, a CAPTCHA, a screen hidden by FLAG_SECURE.

* page     :func:`page`: on a payment page (checkout, 收银台, a payment sheet) every confirming
           control pays;
* captcha  :func:`captcha`: a CAPTCHA anywhere on screen hands control to a human;
* black-screen  :func:`black_screen`: a black (secure) screen hides what is on it: a human takes over.
"""

from __future__ import annotations

from autoagent.safety import keywords as kw
from autoagent.safety.screen import Screen, is_edit
from autoagent.safety.signals.controls import acts
from autoagent.safety.signals.look import Finding, Look, Touch, rid, summary


def payment_page(screen: Screen) -> str | None:
    """The marker that makes this a payment page, read from titles, headings and ids.

    Labels of controls do not count ("Checkout" on a cart's button leads to the payment
    page, it is not one), and neither does what is typed into fields. On a screen read by
    OCR, where no node is known to be a control, every word counts.
    """
    return screen.memo("payment_page", lambda: _payment_page(screen))


def _payment_page(screen: Screen) -> str | None:
    if screen.source == "ocr":
        return kw.find(screen.all_text, kw.PAYMENT_PAGE_MARKERS)
    for node in screen.nodes:
        # A disabled control ("Checkout" before the basket holds anything) leads nowhere yet.
        if node.index in screen.in_control or node.index in screen.disabled or is_edit(node):
            continue
        for text in (rid(node), node.text, node.desc):
            if text and (found := kw.find(text, kw.PAYMENT_PAGE_MARKERS)):
                return f"{found!r} in {text[:60]!r}"
    return None


def page(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """page: on a payment page a tap clicks whatever it hits; a swipe only clicks where a button sits."""
    if touch.on_keyboard or (touch.target is not None and not acts(touch)):
        return []
    marker = payment_page(look.screen)
    if not marker:
        return []
    node = touch.target
    button = (node is not None and node.clickable and (node.cls.endswith("Button") or kw.is_generic(touch.label)))
    if not (touch.is_tap or button):
        return []
    return [Finding(kw.PAYMENT, "page", f"payment page ({marker}): every confirming control pays; the target reads "
                                        f"{touch.label[:60]!r}", summary(node) if node is not None else None)]


def captcha(look: Look) -> list[Finding]:
    """captcha: a CAPTCHA is for a person to solve."""
    if not look.screen.nodes:
        return []
    marker = kw.find(look.screen.all_text, kw.CAPTCHA_MARKERS)
    if not marker:
        return []
    return [Finding(kw.TAKEOVER, "screen", f"a CAPTCHA is on screen ({marker!r}): a human must solve it")]


def black_screen(look: Look) -> list[Finding]:
    """black-screen: a (nearly) black screenshot is a secure screen the guard cannot see."""
    if not look.screen.is_black(look.policy.black_screen_share):
        return []
    return [Finding(kw.TAKEOVER, "screen", "the screen is black: a secure screen hides it")]
