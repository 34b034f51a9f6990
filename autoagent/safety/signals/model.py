"""What the model itself says about a step: its sensitive flag, and the URL it asks to open.

* flag  :func:`flag`: the model's own sensitive flag (``Tap(message=...)``) asks, classified by
        its words. A model (or text injected into the page) can leave the flag off, so it is
        one signal among several and can only add a question;
* url   :func:`url`: ``Launch`` of a URL is judged by the URL: one naming a checkout, payment
        or confirm step asks.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from autoagent.actions import Tap
from autoagent.safety import keywords as kw
from autoagent.safety.signals.look import Finding, Look

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


def url(address: str) -> list[Finding]:
    """url: what opening ``address`` does, judged by its host, path and query."""
    text = address
    for _ in range(2):  # %-encoded, sometimes twice
        text = unquote(text)
    lowered, shown = text.lower(), address[:120]
    findings: list[Finding] = []
    marker = kw.find(text, kw.PAYMENT_PAGE_MARKERS) or next((m for m in _URL_PAY_MARKERS if m in lowered), None)
    if marker:
        findings.append(Finding(kw.PAYMENT, "url", f"the URL names a payment step ({marker!r} in {shown!r})"))
    for match in kw.classify(text):
        if match.category in (kw.PAYMENT, kw.PURCHASE, kw.DELETE):
            findings.append(Finding(match.category, "url", f"{match.keyword!r} in the URL {shown!r}"))
    if not findings and (step := kw.find(text, _CONFIRM_STEP)):
        findings.append(Finding(kw.PURCHASE, "url", f"the URL names a confirm step ({step!r} in {shown!r})"))
    return findings


def flag(look: Look) -> list[Finding]:
    """flag: the model marked the tap sensitive."""
    action = look.action
    if not isinstance(action, Tap) or action.message is None:
        return []
    matches = kw.classify(action.message)
    category = matches[0].category if matches else kw.FLAGGED
    return [Finding(category, "flag", f"the model flagged the tap: {action.message!r}")]
