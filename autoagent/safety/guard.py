"""The guard: classify every action before it runs, from what the agent itself can see.

The model's own sensitive flag is one signal among several. The screen decides too,
because a model (or text injected into the page) can simply leave the flag off. Every
signal can only make a step *more* sensitive, so text placed on the screen by a third
party (a product description, a chat message) can add a question but never remove one.

Signals, for each point an action touches (a tap's point; a swipe's start and end; a swipe
shorter than the touch slop is a tap where it starts):

* target   the control under the finger: its text, description, id and the labels inside it;
* overlap  every other control or small node under the finger, not only the deepest one,
           so an empty node laid over a Pay button does not hide it;
* slop     controls within touch slop of the point (a near miss still hits);
* container/nearby  for an unlabeled or generically labeled control ("OK", an icon), the
           labels of its row or sheet and of its neighbours (an ImageButton in a "Pay" row);
* stepper  a decrement control ("−") beside a quantity of 1: the tap removes the line;
* page     on a payment page (checkout, 收银台, a payment sheet) every confirming control pays;
* flag     the model's own sensitive flag (``Tap(message=...)``);
* screen   a black (secure) screen, a CAPTCHA, a password or one-time-code field: a human
           takes over;
* ocr/app  with no hierarchy: tesseract's reading of the screenshot, and the rule that any
           touch in an app known to take payments is asked about;
* unreadable  where nothing labelled lies under or near the touch point (a Flutter, canvas
           or WebView screen that exposes no text, broken XML, no OCR): in an app known to
           take payments, or on a screen with no label at all, the touch is asked about;
* double-tap  a double tap on a buying or confirming control counts as a payment: the
           second tap can land on the Pay button of a sheet the first one opened;
* url      ``Launch`` of a URL is judged by the URL: one naming a checkout, payment or
           confirm step is asked about.

Enter (a ``Type`` whose text holds a newline) submits a form, so it is judged by the
controls and fields the screen offers; on a screen with no readable control it is asked about.

A re-check right before acting (:meth:`ScreenGuard.recheck`) asks again when the risk got
stricter or different, or when a step the human approved now targets a different control.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from autoagent.actions import (
    Action,
    DoubleTap,
    Launch,
    LongPress,
    Swipe,
    TakeOver,
    Tap,
    Type,
)
from autoagent.actuators.execute import pixel_points
from autoagent.perception.observation import Observation
from autoagent.perception.tree import TreeBuilder, UINode
from autoagent.safety import keywords as kw
from autoagent.safety.keywords import (
    FLAGGED,
    PAYMENT,
    PERSONAL_DATA,
    TAKEOVER,
    UNREADABLE,
    classify,
    classify_text,
    find,
    is_generic,
    is_negative,
)
from autoagent.safety.ocr import OcrLine, OcrUnavailable, button_bands, read_lines
from autoagent.safety.policy import GuardPolicy
from autoagent.safety.screen import Screen, is_checkable_class, is_edit, is_keyboard
from autoagent.safety.stepper import removes_line
from autoagent.safety.types import GuardDecision, Verdict

__all__ = ["ScreenGuard", "classify_text", "escalates", "looks_like_url"]

_RANK = {Verdict.ALLOW: 0, Verdict.CONFIRM: 1, Verdict.DENY: 2}
# A node bigger than this share of the screen is a page or a list, not a control.
_CONTROL_MAX_SHARE = 0.08
_CONTAINER_MAX_SHARE = 0.6
# Preferred class when several findings share the strictest verdict: money first.
_PRIORITY = (PAYMENT, kw.PURCHASE, kw.DELETE, kw.SEND, PERSONAL_DATA, TAKEOVER, UNREADABLE, FLAGGED)
# What a Launch may name that is a website rather than an app: a scheme, a path or port
# after a host, "www.", "localhost" or an IP address, or a host ending in a common TLD.
_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_HOST_WITH_PATH = re.compile(r"^(?:localhost|[\w-]+(?:\.[\w-]+)+)(?::\d+)?[/?#]", re.IGNORECASE)
_HOST_WITH_PORT = re.compile(r"^(?:localhost|[\w-]+(?:\.[\w-]+)*):\d+$", re.IGNORECASE)
_IP_OR_LOCAL = re.compile(r"^(?:localhost|\d{1,3}(?:\.\d{1,3}){3})$", re.IGNORECASE)
_TLDS = frozenset(("com", "net", "org", "io", "cn", "co", "app", "shop", "store", "me", "info", "biz", "dev",
                   "uk", "de", "jp", "hk", "tw", "us", "xyz", "top", "site", "online"))
# A URL naming a confirm step (".../order/confirm"), in addition to the payment markers.
_CONFIRM_STEP = ("confirm", "confirmation", "确认")
# Payment words that URLs run together with others (weixin://wxpay/bizpayurl, /cashier?...).
_URL_PAY_MARKERS = ("wxpay", "bizpayurl", "cashier", "checkout", "paysheet", "alipay.com/cashier")


def looks_like_url(app: str) -> bool:
    """Whether a Launch target names a website rather than an app or package."""
    text = app.strip()
    if not text or any(c.isspace() for c in text):
        return False
    if _URL_SCHEME.match(text) or _HOST_WITH_PATH.match(text) or _HOST_WITH_PORT.match(text):
        return True
    if _IP_OR_LOCAL.match(text) or text.lower().startswith("www."):
        return True
    # "pay.example.com" is a host; "com.example.pay" (reverse DNS) is a package.
    parts = text.lower().split(".")
    return len(parts) >= 2 and all(parts) and parts[-1] in _TLDS and parts[0] not in _TLDS


@dataclass(frozen=True)
class Finding:
    category: str
    source: str  # target, overlap, slop, container, nearby, stepper, page, form, flag, screen, ocr, app
    detail: str  # what was read, for the trace and the question to the human
    node: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"category": self.category, "source": self.source, "detail": self.detail}
        if self.node:
            out["node"] = self.node
        return out


def _summary(node: UINode) -> dict[str, Any]:
    return {"class": node.cls.rsplit(".", 1)[-1], "text": node.text[:80], "desc": node.desc[:80],
            "id": node.resource_id.rsplit("/", 1)[-1], "bounds": list(node.bounds),
            "clickable": node.clickable}


def _rid(node: UINode) -> str:
    return node.resource_id.rsplit("/", 1)[-1]


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
    """Reads the target control and its screen; see the module docstring for the signals."""

    policy: GuardPolicy = field(default_factory=GuardPolicy)
    # The last screen read, so a review and a re-check of one observation parse it once.
    _last: tuple[Observation, Screen] | None = field(default=None, init=False, repr=False)

    # -- public API ----------------------------------------------------------------------
    def review(self, action: Action, observation: Observation) -> GuardDecision:
        if isinstance(action, TakeOver):
            return GuardDecision(verdict=Verdict.ALLOW, category=TAKEOVER, reason="the model asked for a human",
                                 evidence={"action": action.kind, "message": action.message})
        if isinstance(action, Launch) and looks_like_url(action.app):
            found = self._url(action.app)
            if not found:
                return GuardDecision(verdict=Verdict.ALLOW, reason=f"opening {action.app!r}: the URL names no "
                                     "payment, checkout or confirm step", evidence={"action": action.kind,
                                                                                    "url": action.app})
            return self._decide(found, {"action": action.kind, "url": action.app})
        if not isinstance(action, (Tap, DoubleTap, LongPress, Swipe, Type)):
            # Launch of an app, Back, Home, Wait: moving around is reversible.
            reason = f"{action.kind} does not touch the screen"
            if isinstance(action, Launch):
                reason = f"opening {action.app!r} is reversible"
            return GuardDecision(verdict=Verdict.ALLOW, reason=reason, evidence={"action": action.kind})
        screen = self._screen(observation)
        evidence: dict[str, Any] = {"action": action.kind, "source": screen.source, "app": observation.app}
        if screen.parse_error:
            evidence["parse_error"] = screen.parse_error
        findings: list[Finding] = []

        if screen.is_black(self.policy.black_screen_share):
            findings.append(Finding(TAKEOVER, "screen", "the screen is black: a secure screen hides it"))

        if screen.source == "none":
            touched = pixel_points(action, screen.size)
            self._read_with_ocr(screen, evidence, touched)
        if screen.nodes:
            findings += self._captcha(screen)

        if isinstance(action, Type):
            findings += self._typing(action, screen, evidence)
        else:
            findings += self._pointer(action, screen, evidence)

        if isinstance(action, Tap) and action.message is not None:
            matches = classify(action.message)
            category = matches[0].category if matches else FLAGGED
            findings.append(Finding(category, "flag", f"the model flagged the tap: {action.message!r}"))

        if screen.source != "hierarchy" and self.policy.is_payment_app(observation.app):
            findings.append(Finding(PAYMENT, "app", f"no hierarchy to read in {observation.app!r}, an app that "
                                                    "takes payments: every touch is asked about"))
        findings += self._unreadable(action, screen, observation.app, evidence)
        return self._decide(findings, evidence)

    def recheck(self, action: Action, before: GuardDecision, observation: Observation) -> GuardDecision | None:
        """Review ``action`` again on a fresh observation taken just before it runs.

        Returns the new decision when the screen changed in a way that matters (a stricter
        verdict or a different risk: a slow load put Pay under the finger; or, after a
        confirm, a different control under the finger), else None. See :func:`escalates`.
        """
        after = self.review(action, observation)
        return after if escalates(before, after) else None

    # -- what the guard cannot read ---------------------------------------------------------
    def _unreadable(self, action: Action, screen: Screen, app: str | None,
                    evidence: dict[str, Any]) -> list[Finding]:
        """Fail closed where the guard cannot read what a touch or Enter acts on.

        A Flutter, canvas or WebView screen may expose nodes without a single label, and broken
        XML or a missing OCR leaves none at all. In an app that takes payments a touch on an
        unreadable spot is asked about; on a screen with no label anywhere, in any app.
        """
        payment_app = self.policy.is_payment_app(app)
        if payment_app and screen.source != "hierarchy":
            return []  # already asked about: every touch in such an app without a hierarchy
        if isinstance(action, Type):
            if "\n" not in action.text and "\r" not in action.text:
                return []
            if any(self._speaks(screen, n) for n in screen.nodes if not is_keyboard(n) and not is_edit(n)):
                return []
            what = "cannot read the screen: no labelled control for Enter to submit"
        else:
            blind = [p for p in dict.fromkeys(pixel_points(action, screen.size)) if not self._readable_at(screen, p)]
            if not blind:
                return []
            what = f"cannot read the screen under the touch point {list(blind[0])}: nothing labelled under or near it"
        blank = not any(self._speaks(screen, n) for n in screen.nodes)
        evidence["unreadable"] = "screen" if blank else "point"
        if payment_app:
            return [Finding(PAYMENT, "app", f"{what}, in {app!r}, an app that takes payments")]
        if blank:
            return [Finding(UNREADABLE, "unreadable", f"{what}; no label on the whole screen ({screen.source})")]
        return []

    @staticmethod
    def _speaks(screen: Screen, node: UINode) -> bool:
        """A node that says something: a text, a description, or the id of a control-sized node."""
        if node.text.strip() or node.desc.strip():
            return True
        return bool(node.resource_id) and screen.share(node) <= _CONTAINER_MAX_SHARE / 2

    def _slop(self, screen: Screen, reading: bool = True) -> float:
        """The touch slop in screen pixels. When reading what lies near a point on a screen read
        by OCR, twice that: OCR boxes hug the words, not the button around them."""
        return self.policy.touch_slop * screen.size[0] * (2 if reading and screen.source == "ocr" else 1)

    def _row_reach(self, screen: Screen) -> float:
        """How far along a row a label or a quantity still belongs to a control."""
        return self._slop(screen, reading=False) * 3

    def _readable_at(self, screen: Screen, point: tuple[int, int]) -> bool:
        """Whether something labelled lies under or within touch slop of ``point``."""
        x, y = point
        slop = self._slop(screen)
        for node in screen.nodes:
            # A page, a list or a full-screen WebView says nothing about one spot on it.
            if screen.share(node) > _CONTAINER_MAX_SHARE / 2:
                continue
            if not node.contains(x, y) and _distance(node, x, y) > slop:
                continue
            if self._speaks(screen, node) or (node.clickable and self._own_label(screen, node)):
                return True
        return False

    def _url(self, url: str) -> list[Finding]:
        """What opening a URL does, judged by the URL: its host, path and query."""
        text = url
        for _ in range(2):  # %-encoded, sometimes twice
            text = unquote(text)
        lowered, shown = text.lower(), url[:120]
        findings: list[Finding] = []
        marker = find(text, kw.PAYMENT_PAGE_MARKERS) or next((m for m in _URL_PAY_MARKERS if m in lowered), None)
        if marker:
            findings.append(Finding(PAYMENT, "url", f"the URL names a payment step ({marker!r} in {shown!r})"))
        for match in classify(text):
            if match.category in (PAYMENT, kw.PURCHASE, kw.DELETE):
                findings.append(Finding(match.category, "url", f"{match.keyword!r} in the URL {shown!r}"))
        if not findings and (step := find(text, _CONFIRM_STEP)):
            findings.append(Finding(kw.PURCHASE, "url", f"the URL names a confirm step ({step!r} in {shown!r})"))
        return findings

    # -- reading the screen ----------------------------------------------------------------
    def _screen(self, observation: Observation) -> Screen:
        # Holding the observation itself (not its id) means a new one can never be mistaken for it.
        if self._last is not None and self._last[0] is observation:
            return self._last[1]
        screen = Screen.of(observation)
        self._last = (observation, screen)
        return screen

    def _read_with_ocr(self, screen: Screen, evidence: dict[str, Any], points: list[tuple[int, int]]) -> None:
        """Fill ``screen.nodes`` from the screenshot's text when there is no hierarchy.

        One pass reads the page; one more per touched point reads a band around it, because
        tesseract's page layout often drops light text on a coloured button (the Pay button).
        """
        if not self.policy.ocr:
            evidence["ocr"] = "disabled"
            return
        if screen.screenshot is None or screen.is_black(self.policy.black_screen_share):
            evidence["ocr"] = "skipped"
            return
        width, height = screen.size
        langs, limit = self.policy.ocr_languages, self.policy.ocr_timeout_s
        try:
            lines = read_lines(screen.screenshot, langs, limit)
            if not points:
                # Enter: no point to look at, so read every button-like band of the screen.
                for top, bottom in button_bands(screen.screenshot):
                    lines += self._read_band(screen, top, bottom)
            for x, y in dict.fromkeys(points):
                # A strip about one button high, read as one block; a thinner one if that finds nothing here.
                for band in (max(40, height // 24), max(24, height // 40)):
                    found = self._read_band(screen, max(0, y - band), min(height, y + band))
                    lines += found
                    if any(l.bounds[0] - band <= x <= l.bounds[2] + band for l in found):
                        break
        except OcrUnavailable as err:
            evidence["ocr"] = f"unavailable: {err}"
            return
        builder = TreeBuilder()
        page = builder.add(None, cls="ocr.Screen", bounds=(0, 0, width, height))
        for line in lines:
            builder.add(page, cls="ocr.Line", text=line.text, bounds=line.bounds)
        screen.tree = builder.build()
        screen.source = "ocr"
        evidence["source"] = "ocr"
        evidence["ocr"] = f"{len(lines)} lines read"

    def _read_band(self, screen: Screen, top: int, bottom: int) -> list[OcrLine]:
        """The text of one full-width strip of the screenshot, in screenshot coordinates."""
        assert screen.screenshot is not None
        strip = screen.screenshot.crop((0, top, screen.size[0], bottom))
        return [OcrLine(line.text, (line.bounds[0], line.bounds[1] + top, line.bounds[2], line.bounds[3] + top),
                        line.confidence)
                for line in read_lines(strip, self.policy.ocr_languages, self.policy.ocr_timeout_s, psm=6)]

    def _captcha(self, screen: Screen) -> list[Finding]:
        marker = find(screen.all_text, kw.CAPTCHA_MARKERS)
        if marker:
            return [Finding(TAKEOVER, "screen", f"a CAPTCHA is on screen ({marker!r}): a human must solve it")]
        return []

    def _payment_page(self, screen: Screen) -> str | None:
        """The marker that makes this a payment page, read from titles, headings and ids.

        Labels of controls do not count ("Checkout" on a cart's button leads to the payment
        page, it is not one), and neither does what is typed into fields.
        """
        cached = getattr(screen, "_payment_marker", False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        in_control = self._in_control(screen)
        marker = None
        for node in screen.nodes:
            # A disabled control ("Checkout" before the basket holds anything) leads nowhere yet.
            if node.index in in_control or node.index in screen.disabled or is_edit(node):
                continue
            texts = [_rid(node), node.text, node.desc]
            for text in texts:
                if text and (found := find(text, kw.PAYMENT_PAGE_MARKERS)):
                    marker = f"{found!r} in {text[:60]!r}"
                    break
            if marker:
                break
        screen._payment_marker = marker  # type: ignore[attr-defined]
        return marker

    @staticmethod
    def _in_control(screen: Screen) -> set[int]:
        cached = getattr(screen, "_in_control", None)
        if cached is not None:
            return cached
        inside: set[int] = set()
        for node in screen.nodes:
            # A clickable backdrop (a sheet's scrim, a clickable page) is not a control.
            control = node.clickable and screen.share(node) <= _CONTAINER_MAX_SHARE / 2
            if control or (node.parent is not None and node.parent in inside):
                inside.add(node.index)
        screen._in_control = inside  # type: ignore[attr-defined]
        return inside

    # -- pointer actions -------------------------------------------------------------------
    def _pointer(self, action: Action, screen: Screen, evidence: dict[str, Any]) -> list[Finding]:
        # A button clicks only where a gesture goes down or comes up; a swipe's path between does not.
        points = pixel_points(action, screen.size)
        evidence["points"] = [list(p) for p in points]
        is_tap = not isinstance(action, Swipe)
        if not is_tap and math.dist(points[0], points[-1]) <= self._slop(screen, reading=False):
            # Android and Chromium deliver a touch that moves less than the touch slop as a
            # click where it went down, so it is judged as that tap.
            points, is_tap = points[:1], True
            evidence["swipe_as_tap"] = True
        findings: list[Finding] = []
        hits: list[dict[str, Any]] = []
        for point in dict.fromkeys(points):
            target, found = self._at_point(screen, point, is_tap=is_tap)
            hits.append({"point": list(point), **(_summary(target) if target is not None else {"class": None})})
            findings += found
            if isinstance(action, DoubleTap):
                findings += self._double_tap(screen, target, found)
        evidence["targets"] = hits
        return findings

    def _double_tap(self, screen: Screen, target: UINode | None, found: list[Finding]) -> list[Finding]:
        """A double tap on a buying or confirming control pays: the first tap may open a
        payment sheet and the second land on its Pay button."""
        if any(f.category == PAYMENT for f in found):
            return []
        label = self._own_label(screen, target) if target is not None else ""
        buying = next((f for f in found if f.category == kw.PURCHASE), None)
        if buying is not None:
            detail = f"a double tap on a buying control ({buying.detail})"
        elif label.strip() and is_generic(label) and not is_negative(label):
            detail = f"a double tap on a confirming control ({label[:40]!r})"
        else:
            return []
        return [Finding(PAYMENT, "double-tap", detail + ": the second tap can land on the Pay button of the "
                                                        "sheet the first one opens",
                        _summary(target) if target is not None else None)]

    def _at_point(self, screen: Screen, point: tuple[int, int], is_tap: bool) -> tuple[UINode | None, list[Finding]]:
        x, y = point
        ocr = screen.source == "ocr"
        slop = self._slop(screen)
        under = [n for n in screen.nodes if n.contains(x, y)]
        clickable_under = [n for n in under if n.clickable]
        target = max(clickable_under, key=lambda n: (n.depth, n.index)) if clickable_under else None
        if target is None:
            small = [n for n in under if screen.share(n) <= _CONTROL_MAX_SHARE]
            target = max(small, key=lambda n: (n.depth, n.index)) if small else None
        # A near miss on a disabled control clicks nothing.
        near = [n for n in screen.nodes if (n.clickable or (ocr and n.parent is not None))
                and n.index not in screen.disabled and not n.contains(x, y) and _distance(n, x, y) <= slop]

        findings: list[Finding] = []
        candidates: list[tuple[UINode, str]] = []
        for node in under:
            # A plain label under a tap may sit on a control the hierarchy does not mark
            # clickable; a swipe over a plain label clicks nothing.
            if node.clickable or (is_tap and screen.share(node) <= _CONTROL_MAX_SHARE):
                candidates.append((node, "target" if node is target else "overlap"))
        candidates += [(n, "slop") for n in near]
        keys = [n for n, _ in candidates if is_keyboard(n)]
        if keys:
            # The on-screen keyboard: letters are typing, its Enter key is Enter.
            if any(find(" ".join((k.text, k.desc, _rid(k))), kw.ENTER_KEYS) for k in keys if k.clickable) and is_tap:
                findings += [Finding(f.category, "enter-key", f.detail, f.node) for f in self._enter(screen)]
            candidates = [(n, s) for n, s in candidates if not is_keyboard(n)]
            if target is not None and is_keyboard(target):
                for node, source in candidates:
                    if source != "slop":
                        findings += self._control(screen, node, source)
                return target, findings
        for node, source in candidates:
            findings += self._control(screen, node, source)

        label = self._own_label(screen, target) if target is not None else ""
        if target is not None and (is_negative(label) or is_edit(target) or is_checkable_class(target)
                                   or target.index in screen.passwords):
            return target, findings
        if target is not None and is_tap and (found := removes_line(screen, target, self._row_reach(screen))):
            quantity, value = found
            findings.append(Finding(kw.DELETE, "stepper", f"{label[:20]!r} beside the quantity {value}: taking it "
                                                          "to zero removes the line", _summary(quantity)))
        if target is not None and is_tap and is_generic(label):
            findings += self._context(screen, target)
            if target.clickable and (field_kind := self._personal_field(screen)):
                findings.append(Finding(PERSONAL_DATA, "form", f"{label[:40]!r} would submit a form holding "
                                                               f"personal data ({field_kind})", _summary(target)))
        marker = find(screen.all_text, kw.PAYMENT_PAGE_MARKERS) if ocr else self._payment_page(screen)
        if marker:
            # A swipe only clicks where a button sits; a tap on a payment page clicks whatever it hits.
            button = target is not None and target.clickable and (target.cls.endswith("Button") or is_generic(label))
            if is_tap or button:
                findings.append(Finding(PAYMENT, "page", f"payment page ({marker}): every confirming control "
                                                         f"pays; the target reads {label[:60]!r}",
                                    _summary(target) if target is not None else None))
        return target, findings

    def _own_label(self, screen: Screen, node: UINode) -> str:
        if node.label:
            return node.label
        for child in screen.descendants(node):
            if child.label:
                return child.label
        return ""

    def _control(self, screen: Screen, node: UINode, source: str) -> list[Finding]:
        """What a control under (or near) the finger says about itself."""
        findings: list[Finding] = []
        summary = _summary(node)
        if node.index in screen.passwords or (is_edit(node) and find(" ".join((node.text, node.desc, _rid(node))),
                                                                      kw.SECRET_FIELDS)):
            findings.append(Finding(TAKEOVER, source, "a password or one-time-code field: a human should fill it",
                                    summary))
            return findings
        if is_edit(node):
            return findings  # what is typed into a field is not what the field does
        texts = [node.text, node.desc]
        if node.clickable and screen.share(node) <= _CONTAINER_MAX_SHARE / 2:
            # A button's words often sit on its children (a TextView inside a row). Not for a
            # clickable backdrop: what it holds is not what it does.
            texts += [c.label for c in screen.descendants(node)
                      if c.label and not screen.inside_other_clickable(c, node)]
        label = " ".join(t for t in texts if t)
        negative = is_negative(self._own_label(screen, node))
        if not negative:
            for match in classify(label):
                findings.append(Finding(match.category, source, f"{match.keyword!r} in {label[:80]!r}", summary))
        rid = _rid(node)
        if rid and not _negative_id(rid):
            for match in classify(rid):
                if not any(f.category == match.category for f in findings):
                    findings.append(Finding(match.category, source, f"{match.keyword!r} in the id {rid!r}", summary))
        return findings

    def _context(self, screen: Screen, target: UINode) -> list[Finding]:
        """Labels around a control that does not say what it does: its row or sheet, its neighbours."""
        findings: list[Finding] = []
        seen: set[str] = set()
        container = None
        for anc in screen.ancestors(target)[:4]:
            if screen.share(anc) > _CONTAINER_MAX_SHARE:
                break
            labels = [n for n in screen.descendants(anc)
                      if n.label and n.index != target.index and not n.clickable
                      and n.index not in screen.disabled and not screen.inside_other_clickable(n, anc)]
            texts = [t for t in (anc.text, anc.desc, _rid(anc)) if t] + [n.label for n in labels]
            if texts:
                container = anc
                for text in texts:
                    for match in classify(text):
                        if (match.category, text) not in seen:
                            seen.add((match.category, text))  # type: ignore[arg-type]
                            findings.append(Finding(match.category, "container",
                                                    f"{match.keyword!r} in {text[:60]!r} next to an unlabeled "
                                                    f"or generic control", _summary(anc)))
                break
        # Neighbours on the same row, for flat hierarchies (a web page rendered flat).
        reach = self._row_reach(screen)
        left, top, right, bottom = target.bounds
        for node in screen.nodes:
            if (not node.label or node.clickable or node.index == target.index or is_edit(node)
                    or node.index in screen.disabled):
                continue
            if container is not None and node.parent == container.index:
                continue
            if screen.share(node) > _CONTROL_MAX_SHARE or node.index in self._in_control(screen):
                continue
            nl, nt, nr, nb = node.bounds
            same_row = nt < bottom and nb > top
            gap = max(nl - right, left - nr, nt - bottom, top - nb, 0)
            if same_row and gap <= reach or gap <= reach / 3:
                for match in classify(node.label):
                    findings.append(Finding(match.category, "nearby",
                                            f"{match.keyword!r} in the label {node.label[:60]!r} beside an "
                                            f"unlabeled or generic control", _summary(node)))
        return findings

    # -- typing ----------------------------------------------------------------------------
    def _typing(self, action: Type, screen: Screen, evidence: dict[str, Any]) -> list[Finding]:
        findings: list[Finding] = []
        focused = screen.focused
        if focused is not None:
            evidence["focused"] = _summary(focused)
            secret = focused.index in screen.passwords or find(
                " ".join((focused.text, focused.desc, _rid(focused))), kw.SECRET_FIELDS)
            if secret:
                findings.append(Finding(TAKEOVER, "target", "typing into a password or one-time-code field: "
                                                            "a human should type it", _summary(focused)))
        enter = "\n" in action.text or "\r" in action.text
        evidence["enter"] = enter
        if enter:
            findings += self._enter(screen)
        return findings

    def _enter(self, screen: Screen) -> list[Finding]:
        """What Enter would submit, judged by what the screen offers to submit."""
        findings: list[Finding] = []
        if screen.source == "hierarchy" and (marker := self._payment_page(screen)):
            findings.append(Finding(PAYMENT, "page", f"Enter on a payment page ({marker})"))
        for node in screen.nodes:
            if is_keyboard(node):
                continue
            if screen.source == "ocr" or (node.clickable and not is_edit(node)):
                for finding in self._control(screen, node, "form"):
                    if finding.category != TAKEOVER:
                        findings.append(Finding(finding.category, "form",
                                                f"Enter would submit a form offering {finding.detail}", finding.node))
        if screen.source == "ocr" and (marker := find(screen.all_text, kw.PAYMENT_PAGE_MARKERS)):
            findings.append(Finding(PAYMENT, "ocr", f"Enter on a screen that reads {marker!r}"))
        if field_kind := self._personal_field(screen):
            findings.append(Finding(PERSONAL_DATA, "form", f"Enter would submit personal data ({field_kind})"))
        return findings

    def _personal_field(self, screen: Screen) -> str | None:
        """A form field on screen meant for personal data (ID number, phone, address...), if any."""
        cached = getattr(screen, "_personal", False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        found = None
        for node in screen.nodes:
            if is_keyboard(node) or not (is_edit(node) or screen.source == "ocr"):
                continue
            if kind := find(" ".join((node.desc, _rid(node), node.text)), kw.PERSONAL_FIELDS):
                found = f"{kind!r} field {_rid(node) or node.label[:30]!r}"
                break
        screen._personal = found  # type: ignore[attr-defined]
        return found

    # -- the verdict -------------------------------------------------------------------------
    def _decide(self, findings: list[Finding], evidence: dict[str, Any]) -> GuardDecision:
        evidence["findings"] = [f.as_json() for f in _dedupe(findings)[:12]]
        if not findings:
            return GuardDecision(verdict=Verdict.ALLOW, reason="nothing sensitive under the finger or on the form",
                                 evidence=evidence)

        def key(f: Finding) -> tuple[int, int]:
            verdict = self.policy.verdict_for(f.category)
            order = _PRIORITY.index(f.category) if f.category in _PRIORITY else len(_PRIORITY)
            return (-_RANK[verdict], order)

        best = min(findings, key=key)
        verdict = self.policy.verdict_for(best.category)
        categories = sorted({f.category for f in findings})
        evidence["categories"] = categories
        reason = f"{best.category}: {best.detail} [{best.source}]"
        others = len(findings) - 1
        if others:
            reason += f" (+{others} more signal{'s' if others > 1 else ''})"
        return GuardDecision(verdict=verdict, category=best.category, reason=reason, evidence=evidence)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        k = (f.category, f.source, f.detail)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


def _negative_id(rid: str) -> bool:
    words = kw.normalise(rid).split()
    return any(w in ("cancel", "close", "back", "dismiss") for w in words)


def _distance(node: UINode, x: float, y: float) -> float:
    left, top, right, bottom = node.bounds
    dx = max(left - x, 0, x - (right - 1))
    dy = max(top - y, 0, y - (bottom - 1))
    return math.hypot(dx, dy)

