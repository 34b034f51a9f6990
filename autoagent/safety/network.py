"""The network guard: in a browser, side effects leave as requests, so what leaves is judged too.

The screen guard judges an action by what the screen shows before it runs. A page can hide
what a touch does (an icon-only Pay button, a handler attached in script) or do it later (a
timer that pays three seconds after a harmless click). The request that carries the side
effect cannot hide: its URL, form fields and body are what the server acts on.

Every request of the browser context goes through :meth:`NetworkGuard.judge` before it
leaves. A request that may change state (any method but GET/HEAD/OPTIONS, or a GET with a
query to a payment, purchase or delete endpoint) is classified by :func:`classify_request`:

* url      the words of the host and path, in English and Chinese (keywords.py, plus the
           words APIs use: ``/orders``, ``/messages``, ``/charges``);
* method   ``DELETE``;
* card     a 13-19 digit run (spaces or dashes between groups allowed) with a card
           network's prefix and a valid Luhn check digit;
* id_number / ssn  a Chinese resident ID (18 characters, valid date and check digit), a US
           social security number (``123-45-6789``);
* field    a form field named like an identity or card number (``id_number``, ``cvv``);
* amount   an amount with a currency (``¥199``, ``19.99 USD``, ``amount`` beside ``currency``);
* message  a message body (a field named ``message``, ``content``, ``comment``, 留言...);
* action   a field naming the act (``action=delete``, ``_method``, GraphQL ``operationName``).

A request with no finding goes. One with findings is held until the human answers, unless
the human already said yes on the screen *in this step* to the same kind of act: while a
step's action runs and settles, its approved category covers requests of that category (a
yes to a payment covers the card number it sends, and purchase and payment cover each
other), so a purchase asks at most once on the screen and never again on the wire. Outside
any step (a page timer after the step settled) nothing is covered.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from pydantic import BaseModel

from autoagent.perception.request import OutgoingRequest
from autoagent.safety.keywords import (
    DELETE,
    PAYMENT,
    PERSONAL_DATA,
    PERSONAL_FIELDS,
    PURCHASE,
    SEND,
    classify,
    find,
    normalise,
)
from autoagent.safety.signals.context import money_in
from autoagent.safety.signals.look import distinct
from autoagent.safety.types import Approval, ConfirmationRequest, GuardDecision, Human, Verdict

# Methods that only read. Anything else may change state on the server.
SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
# What a GET with a query may do that makes it worth judging (``/pay?to=...&amount=...``).
_GET_ACTS = frozenset((PAYMENT, PURCHASE, DELETE))
# Strictest first: the category a held request is asked about when it has several.
_PRIORITY = (PAYMENT, PURCHASE, DELETE, SEND, PERSONAL_DATA)
# Paying is buying: a yes to either covers the other in the same step.
_MONEY = frozenset((PAYMENT, PURCHASE))

# Words APIs use for the acts beyond the labels' keywords (whole words of the host and path,
# for requests that change state): plurals and nouns a button would not say.
_API_WORDS: dict[str, tuple[str, ...]] = {
    PAYMENT: ("payments", "charge", "charges", "transfers", "cashier", "wxpay", "alipay", "unionpay", "paysheet",
              "收银台"),
    PURCHASE: ("order", "orders", "purchases", "subscriptions", "订单"),
    SEND: ("message", "messages", "comment", "comments", "chat", "sms", "mail", "posts", "replies", "tweets",
           "留言", "评论", "消息"),
    DELETE: ("remove", "destroy"),
}
# Field names whose value is a message someone will read.
_MESSAGE_KEYS = ("message", "msg", "content", "body", "comment", "reply", "post", "tweet", "chat",
                 "留言", "评论", "内容", "消息", "正文")
# Field names whose value names the act itself.
_ACTION_KEYS = ("action", "op", "operation", "cmd", "command", "intent", "operation name", "mutation")
# Field names of an amount, worth reading as money when a currency field stands beside them.
_AMOUNT_KEYS = ("amount", "total", "sum", "price", "money", "fee", "金额", "总额", "价格")

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CARD_RUN = re.compile(r"(?<!\d)(?<!\d\.)\d(?:[ -]?\d){12,18}(?!\.?\d)")  # not part of a longer number
# Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, UnionPay, JCB,
# Diners, Maestro): a millisecond timestamp (17...) or an order number passes Luhn one time
# in ten, but starts with none of these.
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2(?:2[2-9]|[3-6]\d|7[01]|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)"
                          r"|35(?:2[89]|[3-8]\d)|5[06-9])")
_CN_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"
_SSN = re.compile(r"(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?"
_LETTERS = re.compile(r"[A-Za-z]{2}|[\u3400-\u9fff]")
_LONG_NUMBER = re.compile(r"\d[\d -]{4,}\d")


class RequestFinding(BaseModel):
    category: str  # payment, purchase, send, delete, personal_data
    source: str  # url, method, card, id_number, ssn, field, amount, message, action
    detail: str  # what was found, masked where it is a number someone could use


class NetworkEvent(BaseModel):
    """A request the guard did not simply let go: covered by this step's yes, or held and asked."""

    step: int  # the step in flight, or the last one when the request came between steps
    acting: bool  # sent while that step's action ran or settled
    method: str
    url: str  # without its query, which may carry what the findings mask
    resource_type: str = ""
    decision: GuardDecision  # allow: covered by the step's yes; confirm: held and asked
    human: Approval | None = None
    waited_ms: float = 0.0  # how long the request was held


# ---------------------------------------------------------------------------- numbers that matter

def luhn_ok(digits: str) -> bool:
    """Whether a digit string ends in a valid Luhn check digit (card numbers do)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Card numbers in ``text``: 13-19 digits (single spaces or dashes between them), a card
    network's prefix, a valid Luhn digit."""
    found = []
    for m in _CARD_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(0))
        if 13 <= len(digits) <= 19 and _CARD_PREFIX.match(digits) and len(set(digits)) > 1 and luhn_ok(digits):
            found.append(digits)
    return found


def cn_id_ok(number: str) -> bool:
    """Whether an 18-character Chinese resident ID number is well formed: a birth date that
    exists and the ISO 7064 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= date.today().year:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _CN_ID_WEIGHTS))
    return _CN_ID_CHECK[total % 11] == number[17].upper()


def id_numbers(text: str) -> list[str]:
    """Chinese resident ID numbers in ``text``."""
    return [m.group(0) for m in _CN_ID.finditer(text) if cn_id_ok(m.group(0))]


def ssns(text: str) -> list[str]:
    """US social security numbers written ``AAA-GG-SSSS`` (areas 000, 666 and 9xx, group 00 and
    serial 0000 are never issued)."""
    return [m.group(0) for m in _SSN.finditer(text)
            if m[1] not in ("000", "666") and not m[1].startswith("9") and m[2] != "00" and m[3] != "0000"]


def amounts(text: str) -> list[str]:
    """Amounts with a currency: ``¥199``, ``$19.99``, ``199元``, ``USD 20``."""
    return [amount.text.strip() for amount in money_in(text)]


def _masked(number: str) -> str:
    return f"•••• {number[-4:]}"


# ---------------------------------------------------------------------------- classifying

def changes_state(req: OutgoingRequest) -> bool:
    """Whether the request may change something on the server (and so is worth classifying)."""
    return req.method not in SAFE_METHODS or (req.method == "GET" and bool(urlsplit(req.url).query))


def _words(text: str) -> str:
    """A URL part or API name as words: ``sendMessage`` -> ``send message``."""
    return normalise(_CAMEL.sub(" ", text))


def _url_findings(req: OutgoingRequest, acts: frozenset[str] | None) -> list[RequestFinding]:
    parts = urlsplit(req.url)
    host = (parts.hostname or "").split(".")[:-1]  # "pay.example.com" says pay; the TLD says nothing
    words = " ".join(_words(p) for p in [*host, *parts.path.split("/")] if p)
    found = [(m.category, m.keyword) for m in classify(words)]
    for category, table in _API_WORDS.items() if acts is None else ():  # "GET /api/orders" lists them
        if (hit := find(words, table)) and all(c != category for c, _ in found):
            found.append((category, hit))
    return [RequestFinding(category=c, source="url", detail=f"the URL says {k!r}")
            for c, k in found if acts is None or c in acts]


def _value_findings(name: str, value: str) -> list[RequestFinding]:
    """What one value (of a field, or the whole unparsed body) gives away."""
    label = f"{name}: " if name else ""
    found = [RequestFinding(category=PERSONAL_DATA, source="card", detail=f"{label}card number {_masked(n)}")
             for n in card_numbers(value)]
    found += [RequestFinding(category=PERSONAL_DATA, source="id_number", detail=f"{label}ID number {_masked(n)}")
              for n in id_numbers(value)]
    found += [RequestFinding(category=PERSONAL_DATA, source="ssn", detail=f"{label}SSN {_masked(n)}")
              for n in ssns(value)]
    return found


def _field_findings(name: str, value: str, everything: bool) -> list[RequestFinding]:
    found = _value_findings(name, value)
    if not value.strip() or not any(c.isalnum() for c in value):
        return found  # an empty or masked field sends nothing
    key = _words(name)
    if hit := find(key, PERSONAL_FIELDS):
        if not found:
            found.append(RequestFinding(category=PERSONAL_DATA, source="field", detail=f"{name} ({hit})"))
    if not everything:
        return found
    found += [RequestFinding(category=PAYMENT, source="amount", detail=f"{name}: {a}") for a in amounts(value)]
    if find(key, _MESSAGE_KEYS) and _LETTERS.search(value):
        # Quoted for the person to recognise, with long numbers masked (the trace keeps it).
        shown = _LONG_NUMBER.sub("•••", value[:60])
        found.append(RequestFinding(category=SEND, source="message", detail=f"{name}: {shown!r}"))
    if find(key, _ACTION_KEYS) or name.lower() == "_method":
        acts = {m.category: m.keyword for m in classify(_words(value))}
        if value.strip().upper() == "DELETE":
            acts.setdefault(DELETE, "delete")
        found += [RequestFinding(category=c, source="action", detail=f"{name}={value[:40]!r} ({k})")
                  for c, k in acts.items()]
    return found


def classify_request(req: OutgoingRequest) -> list[RequestFinding]:
    """What an outgoing request would do that needs a person's yes; empty when nothing.

    A request that only reads (see :func:`changes_state`) has no findings. A GET with a
    query is judged by its path (payment, purchase or delete) and by the numbers it carries.
    """
    if not changes_state(req):
        return []
    everything = req.method not in SAFE_METHODS
    found = _url_findings(req, None if everything else _GET_ACTS)
    if req.method == "DELETE":
        found.append(RequestFinding(category=DELETE, source="method", detail="the DELETE method"))
    names = {_words(k).strip() for k, v in req.fields if v.strip()}
    for name, value in req.fields:
        found += _field_findings(name, value, everything)
        if everything and _words(name).strip() in _AMOUNT_KEYS and "currency" in names \
                and re.fullmatch(_NUMBER, value.strip()):
            found.append(RequestFinding(category=PAYMENT, source="amount", detail=f"{name}: {value} (with a currency)"))
    if everything and req.body and not req.fields:
        # A body no parser understood (text/plain, a custom format): its numbers still speak.
        found += _value_findings("", req.body)
        found += [RequestFinding(category=PAYMENT, source="amount", detail=a) for a in amounts(req.body)[:3]]
    return distinct(found)


def covered(finding: RequestFinding, approved: frozenset[str]) -> bool:
    """Whether a yes on the screen to ``approved`` covers ``finding``: the same category; paying
    and buying cover each other, and the card number the payment sends."""
    if finding.category in approved:
        return True
    return bool(approved & _MONEY) and (finding.category in _MONEY or finding.source == "card")


def request_line(req: OutgoingRequest) -> str:
    """``POST host/path`` (the query left out: it may carry what the findings mask)."""
    parts = urlsplit(req.url)
    return f"{req.method} {parts.netloc}{parts.path}" + ("?…" if parts.query else "")


# ---------------------------------------------------------------------------- the guard

@dataclass
class NetworkGuard:
    """Judges each outgoing request of a run, in the context of the step in flight.

    The engine calls :meth:`begin` when a step's action starts (with the categories the human
    approved for it) and :meth:`end` when the step has settled; the device calls
    :meth:`judge` for every request, on whatever thread it dispatches on. :meth:`judge` may
    block on the human; requests it lets through without a finding are only counted.
    """

    human: Human
    task: str = ""
    step: int = 0
    acting: bool = False
    approved: frozenset[str] = frozenset()
    events: list[NetworkEvent] = field(default_factory=list)  # not yet on a step's record
    passed: int = 0  # requests that went with no finding
    judging_ms: float = 0.0  # time spent classifying, people's answers not included

    def begin(self, step: int, approved: Iterable[str | None] = ()) -> None:
        self.step, self.acting = step, True
        self.approved = frozenset(c for c in approved if c)

    def end(self) -> None:
        self.acting, self.approved = False, frozenset()

    def decide(self, req: OutgoingRequest) -> GuardDecision | None:
        """None: let it go unremarked. ALLOW: covered by this step's yes. CONFIRM: hold and ask."""
        findings = classify_request(req)
        if not findings:
            return None
        evidence: dict[str, object] = {"findings": [f.model_dump() for f in findings]}
        open_ = [f for f in findings if not (self.acting and covered(f, self.approved))]
        if not open_:
            category = _first(findings)
            return GuardDecision(verdict=Verdict.ALLOW, category=category, evidence=evidence,
                                 reason=f"covered by your yes to this step's {', '.join(sorted(self.approved))}")
        category = _first(open_)
        details = "; ".join(f.detail for f in open_[:4])
        if not self.acting:
            when = f"sent by the page on its own after step {self.step} settled" if self.step else \
                "sent by the page before the agent acted"
        elif self.approved:
            when = f"step {self.step} was approved for {', '.join(sorted(self.approved))} only"
        else:
            when = f"sent while step {self.step} ran, which nobody was asked about"
        return GuardDecision(verdict=Verdict.CONFIRM, category=category, evidence=evidence,
                             reason=f"the page is sending a {category} request: {request_line(req)} "
                                    f"({details}); {when}")

    def judge(self, req: OutgoingRequest) -> bool:
        """Whether ``req`` may leave; asks the human when it is held. Never raises: a failure
        to ask is a no."""
        t = time.perf_counter()
        decision = self.decide(req)
        self.judging_ms += (time.perf_counter() - t) * 1000
        if decision is None:
            self.passed += 1
            return True
        event = NetworkEvent(step=self.step, acting=self.acting, method=req.method,
                             url=request_line(req).split(" ", 1)[1], resource_type=req.resource_type,
                             decision=decision)
        if decision.verdict is Verdict.ALLOW:
            self.events.append(event)
            return True
        t = time.perf_counter()
        answer = self._answer(req, decision)
        event.human, event.waited_ms = answer, round((time.perf_counter() - t) * 1000, 3)
        self.events.append(event)
        return answer.approved

    def _answer(self, req: OutgoingRequest, decision: GuardDecision) -> Approval:
        """The human's answer about a held request. Once they refused one, the run is stopping:
        what else the page tries meanwhile is refused without asking again."""
        earlier = self.refusal()
        if earlier is not None:
            return Approval(approved=False, by="network guard",
                            note=f"you refused {earlier.method} {earlier.url} just before")
        try:
            return self.human.confirm(ConfirmationRequest(
                task=self.task, step=self.step, category=decision.category, reason=decision.reason,
                action=request_line(req), app=urlsplit(req.url).hostname))
        except Exception as err:  # a broken channel must not let the request through
            return Approval(approved=False, by="error", note=f"asking failed: {err!r}"[:200], missing="no_one")

    def refusal(self) -> NetworkEvent | None:
        """The first held request the human refused, among those not yet recorded."""
        return next((e for e in self.events if e.human is not None and not e.human.approved), None)

    def take_events(self) -> list[NetworkEvent]:
        events, self.events = self.events, []
        return events


def _first(findings: list[RequestFinding]) -> str:
    categories = {f.category for f in findings}
    return next(c for c in _PRIORITY if c in categories)
