"""Screens the guard cannot read from a hierarchy: OCR, and failing closed where nothing is read.

* ocr         :func:`read_with_ocr`: with no hierarchy, tesseract's reading of the screenshot
              becomes the screen's nodes, and every other signal reads those;
* app         :func:`payment_app`: with no hierarchy, any touch in an app known to take payments asks;
* unreadable  :func:`unreadable`: where nothing labelled lies under or near the touch point (a
              Flutter, canvas or WebView screen that exposes no text, broken XML, no OCR): in an
              app known to take payments, or on a screen with no label at all, the step asks;
* drawn       :func:`drawn`: a tap on a drawn surface (a web <canvas>, a SurfaceView) presses a
              control no node describes: on a screen that shows money or paying, it asks.
"""

from __future__ import annotations

from typing import Any

from autoagent.actuators.execute import pixel_points
from autoagent.perception.tree import TreeBuilder
from autoagent.safety import keywords as kw
from autoagent.safety.ocr import OcrLine, OcrUnavailable, button_bands, read_lines
from autoagent.safety.policy import GuardPolicy
from autoagent.safety.screen import CONTAINER_MAX_SHARE, Screen, is_drawn, is_edit, is_keyboard
from autoagent.safety.signals.context import risks
from autoagent.safety.signals.look import Finding, Look, Point, Touch, distance, own_label, slop, speaks, summary


def read_with_ocr(screen: Screen, policy: GuardPolicy, evidence: dict[str, Any], points: list[Point]) -> None:
    """Fill ``screen``'s nodes from the screenshot's text when there is no hierarchy.

    One pass reads the page; one more per touched point reads a band around it, because
    tesseract's page layout often drops light text on a coloured button (the Pay button).
    """
    if not policy.ocr:
        evidence["ocr"] = "disabled"
        return
    if screen.screenshot is None or screen.is_black(policy.black_screen_share):
        evidence["ocr"] = "skipped"
        return
    width, height = screen.size
    try:
        lines = read_lines(screen.screenshot, policy.ocr_languages, policy.ocr_timeout_s)
        if not points:
            # Enter: no point to look at, so read every button-like band of the screen.
            for top, bottom in button_bands(screen.screenshot):
                lines += _read_band(screen, policy, top, bottom)
        for x, y in dict.fromkeys(points):
            # A strip about one button high, read as one block; a thinner one if that finds nothing here.
            for band in (max(40, height // 24), max(24, height // 40)):
                found = _read_band(screen, policy, max(0, y - band), min(height, y + band))
                lines += found
                if any(line.bounds[0] - band <= x <= line.bounds[2] + band for line in found):
                    break
    except OcrUnavailable as err:
        evidence["ocr"] = f"unavailable: {err}"
        return
    builder = TreeBuilder()
    page = builder.add(None, cls="ocr.Screen", bounds=(0, 0, width, height))
    for line in lines:
        builder.add(page, cls="ocr.Line", text=line.text, bounds=line.bounds)
    screen.read_as(builder.build(), "ocr")
    evidence["source"] = "ocr"
    evidence["ocr"] = f"{len(lines)} lines read"


def _read_band(screen: Screen, policy: GuardPolicy, top: int, bottom: int) -> list[OcrLine]:
    """The text of one full-width strip of the screenshot, in screenshot coordinates."""
    assert screen.screenshot is not None
    strip = screen.screenshot.crop((0, top, screen.size[0], bottom))
    return [OcrLine(line.text, (line.bounds[0], line.bounds[1] + top, line.bounds[2], line.bounds[3] + top),
                    line.confidence)
            for line in read_lines(strip, policy.ocr_languages, policy.ocr_timeout_s, psm=6)]


def readable_at(look: Look, point: Point) -> bool:
    """Whether something labelled lies under or within touch slop of ``point``."""
    screen = look.screen
    x, y = point
    reach = slop(screen, look.policy)
    for node in screen.nodes:
        # A page, a list or a full-screen WebView says nothing about one spot on it.
        if screen.share(node) > CONTAINER_MAX_SHARE / 2:
            continue
        if not node.contains(x, y) and distance(node, x, y) > reach:
            continue
        if speaks(screen, node) or (node.clickable and own_label(screen, node)):
            return True
    return False


# -- signals --------------------------------------------------------------------------------------


def payment_app(look: Look) -> list[Finding]:
    """app: with no hierarchy to read, every touch in an app that takes payments asks."""
    if look.screen.source == "hierarchy" or not look.policy.is_payment_app(look.app):
        return []
    return [Finding(kw.PAYMENT, "app", f"no hierarchy to read in {look.app!r}, an app that takes payments: every "
                                       "touch is asked about")]


def unreadable(look: Look) -> list[Finding]:
    """unreadable: fail closed where the guard cannot read what a touch or Enter acts on.

    A Flutter, canvas or WebView screen may expose nodes without a single label, and broken
    XML or a missing OCR leaves none at all. In an app that takes payments a touch on an
    unreadable spot is asked about; on a screen with no label anywhere, in any app.
    """
    screen, action = look.screen, look.action
    is_payment_app = look.policy.is_payment_app(look.app)
    if is_payment_app and screen.source != "hierarchy":
        return []  # already asked about: every touch in such an app without a hierarchy
    if look.typing is not None:
        if not look.enter:
            return []
        if any(speaks(screen, n) for n in screen.nodes if not is_keyboard(n) and not is_edit(n)):
            return []
        what = "cannot read the screen: no labelled control for Enter to submit"
    else:
        blind = [p for p in dict.fromkeys(pixel_points(action, screen.size)) if not readable_at(look, p)]
        if not blind:
            return []
        what = f"cannot read the screen under the touch point {list(blind[0])}: nothing labelled under or near it"
    blank = not any(speaks(screen, n) for n in screen.nodes)
    look.evidence["unreadable"] = "screen" if blank else "point"
    if is_payment_app:
        return [Finding(kw.PAYMENT, "app", f"{what}, in {look.app!r}, an app that takes payments")]
    if blank:
        return [Finding(kw.UNREADABLE, "unreadable", f"{what}; no label on the whole screen ({screen.source})")]
    return []


_MONEY_CLASSES = (kw.PAYMENT, kw.PURCHASE)


def drawn(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """drawn: a tap on a drawn surface (a canvas) presses whatever is drawn there, which no node
    describes. On a screen that shows an amount, a total or a card, or words of paying or buying
    anywhere (a canvas-drawn "Pay" beside "Total ¥399"), it asks as a payment; elsewhere (a game,
    a chart) it does not. A labelled control laid over the surface is what the tap hits: the
    other signals judge it. ``found``: what the signals before it found at this point."""
    if not touch.is_tap or any(f.category == kw.PAYMENT for f in found):
        return []
    screen, (x, y) = look.screen, touch.point
    surface = next((n for n in reversed(screen.nodes) if is_drawn(n) and n.contains(x, y)), None)
    if surface is None:
        return []
    hit = touch.target
    if hit is not None and hit.index != surface.index and own_label(screen, hit) and \
            surface not in screen.descendants(hit):
        return []
    # What the drawn control does is unknown, so it is asked about as the strictest thing it may
    # be on such a screen: a payment (a yes to buying must not cover a drawn Pay).
    why = [r.detail for r in risks(screen) if r.category == kw.PAYMENT] or \
        [f"the screen says {m.keyword!r}" for m in _money_words(screen)]
    return [Finding(kw.PAYMENT, "drawn", f"a tap on a canvas-drawn control, which no node describes, "
                                         f"may pay: {why[0]}", summary(surface))] if why else []


def _money_words(screen: Screen) -> list[kw.Match]:
    """Words of paying or buying anywhere on screen (titles, labels, a canvas's fallback text)."""
    return screen.memo("money_words", lambda: [m for m in kw.classify(screen.all_text)
                                               if m.category in _MONEY_CLASSES])
