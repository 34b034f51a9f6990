"""Words that mark an irreversible step, in English and Chinese, and how they are matched.

English keywords match whole words (so "paypal help" is not "pay", but "pay now" is);
Chinese keywords match as substrings (Chinese has no spaces between words). Resource ids
are split on ``_ - . / :`` and camelCase, so ``btn_pay`` and ``payButton`` both read "pay".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

PAYMENT = "payment"
PURCHASE = "purchase"
SEND = "send"
DELETE = "delete"
PERSONAL_DATA = "personal_data"
TAKEOVER = "takeover"
FLAGGED = "flagged"  # the model marked the step sensitive and nothing on screen says which class
UNREADABLE = "unreadable"  # the guard cannot read what the step acts on (no labels, no OCR)

CATEGORIES = (PAYMENT, PURCHASE, SEND, DELETE, PERSONAL_DATA, TAKEOVER, UNREADABLE, FLAGGED)

# What a control's own label or id says it does.
KEYWORDS: dict[str, tuple[str, ...]] = {
    PAYMENT: (
        "pay", "pay now", "payment", "confirm payment", "complete payment", "make payment", "pay with",
        "authorize payment", "transfer", "send money", "top up", "topup", "recharge",
        "settle bill", "settle the bill", "settle a bill", "settle up", "settle payment", "donate", "tip",
        "支付", "付款", "确认支付", "立即支付", "确认付款", "买单", "收银台", "转账", "汇款",
        "充值", "提现", "红包", "付钱", "扫码付", "结账", "结帐", "缴费", "付费", "打赏",
        "pay bill", "pay the bill", "make a donation", "donate now", "send a tip", "捐款", "捐赠", "赞赏",
    ),
    # Checking out starts an order; the money moves where the payment page asks to pay.
    PURCHASE: (
        "checkout", "check out", "结算", "去结算", "place order", "buy now", "buy", "purchase", "submit order",
        "order now", "book now", "reserve now",
        "confirm booking", "confirm order", "complete order", "complete purchase", "subscribe",
        "renew", "renew membership", "upgrade", "pre order", "preorder",
        "提交订单", "立即购买", "确认下单", "下单", "立即预订", "确认预订", "立即抢购", "购买", "订阅", "预订",
        "预定", "确认订单", "续费", "续订", "开通会员", "升级会员", "立即开通", "预购", "预售",
    ),
    SEND: ("send", "send message", "send reply", "reply", "post", "publish", "tweet", "发送", "发布", "发表", "转发",
           "回复"),
    DELETE: (
        "delete", "erase", "clear all", "clear data", "empty trash", "uninstall", "factory reset",
        "remove account", "delete account", "删除", "清空", "卸载", "注销", "永久删除", "移除",
    ),
    # Handing over identity or a card: verifying, linking, applying. "Verify" alone is left to
    # the screen's context: "Slide to verify" is a CAPTCHA, not a form.
    PERSONAL_DATA: (
        "verify now", "verify identity", "verify your identity", "verify account", "verify card", "link card",
        "link a card", "link bank", "link bank account", "link account", "bind card", "bind bank card",
        "add bank card", "submit application", "apply now",
        "实名认证", "实名", "认证", "绑定", "绑卡", "绑定银行卡", "立即验证", "身份验证", "验证身份", "提交申请",
    ),
}

# Ambiguous words that are sensitive only when they are the whole label ("Book", "Order").
EXACT_LABELS: dict[str, tuple[str, ...]] = {
    PURCHASE: ("book", "order", "reserve", "rent", "订", "买"),
    PAYMENT: ("settle",),
    SEND: ("reply all",),
}

# Brand names that contain a keyword without meaning it: 支付宝 (Alipay) is an app, not a payment.
_NOT_KEYWORDS = ("支付宝",)
# Words that make "check-out" a date (a hotel stay: check-in and check-out, nights, 离店).
_DATE_WORDS = re.compile(r"(?<![a-z])(?:check in|dates?|nights?)(?![a-z])|日期|入住|离店|退房")
# A count of replies ("1 reply", "3条回复") labels a thread; it is not a Reply button.
_REPLY_COUNT = re.compile(r"\d[\d,.]*\s*(?:k\s*)?(?:repl(?:y|ies)\b|条?回复)")
# A hint's heading ("Tip: swipe left", "Pro tip", "小贴士") is advice, not a tip for someone.
_TIP_HEADING = re.compile(r"(?<![a-z])(?:(?:pro|quick|top|travel|handy|useful) tips?|tips? ?[:：])")

# Text that makes the whole screen a payment page: every confirming control on it pays.
PAYMENT_PAGE_MARKERS = (
    "checkout", "check out", "payment", "payment method", "pay with", "order summary",
    "amount due", "total to pay", "card number", "cvv", "cvc", "billing address", "confirm payment",
    "cashier", "paysheet", "pay sheet",
    "收银台", "支付方式", "付款方式", "确认支付", "确认付款", "订单支付", "应付", "实付", "需支付", "待支付",
    "支付金额", "付款金额", "确认订单", "选择支付", "银行卡", "支付密码",
)

# Controls that back out rather than go ahead. A label that starts with one of these
# ("Cancel payment", "取消支付") is read as backing out.
NEGATIVE = (
    "cancel", "close", "back", "navigate up", "dismiss", "not now", "no", "no thanks", "later", "go back",
    "取消", "关闭", "返回", "暂不", "以后再说", "稍后", "不了", "放弃", "不用了",
)
NEGATIVE_EXACT = ("x", "×", "✕", "✖", "<", "‹", "←")

# Labels that say "go ahead" without saying with what; their meaning comes from the context.
GENERIC_CONFIRM = (
    "ok", "okay", "confirm", "continue", "next", "submit", "done", "proceed", "yes", "agree", "accept",
    "allow", "go", "finish", "apply", "save", "sign up", "register", "complete", "got it",
    "确定", "确认", "继续", "下一步", "提交", "完成", "同意", "好的", "好", "是", "允许", "保存", "注册", "申请",
    "立即", "去", "确认并继续",
)

# Fields for identity documents and financial numbers: a form holding one is submitted only
# with a yes. Routine contact details (name, phone, address, email) are not on the list: every
# delivery asks for them, and asking the user each time would teach them to say yes blindly.
PERSONAL_FIELDS = (
    "id number", "id card", "identity card", "national id", "passport", "card number", "credit card", "debit card",
    "cvv", "cvc", "ssn", "social security", "tax id", "date of birth", "bank account", "iban", "routing number",
    "driver license", "driver's license",
    "身份证", "护照", "银行卡", "卡号", "证件号", "出生日期", "社保", "税号", "驾驶证", "开户行",
)

# Screens only a person should handle: a CAPTCHA anywhere on screen hands control over.
CAPTCHA_MARKERS = (
    "captcha", "recaptcha", "i'm not a robot", "i am not a robot", "slide to verify", "verify you are human",
    "security check", "drag the slider", "滑块", "拖动滑块", "人机验证", "安全验证", "向右滑动", "请完成验证",
    "图形验证",
)
# Fields only a person should fill: passwords and one-time codes the model cannot know.
SECRET_FIELDS = (
    "password", "passcode", "passwd", "pwd", "pin", "otp", "verification code", "one-time code",
    "security code", "sms code", "密码", "验证码", "校验码", "动态码", "口令",
)

# Keys of an on-screen keyboard that press Enter.
ENTER_KEYS = ("enter", "return", "done", "go", "send", "search", "next", "submit", "key enter", "↵", "⏎", "⌤",
              "确定", "完成", "发送", "搜索", "前往", "下一步", "换行", "回车")

_WORD = re.compile(r"[a-z0-9']+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Match:
    category: str
    keyword: str


def normalise(text: str) -> str:
    """Lower case, ids split into words, brand names that only look like keywords removed."""
    if text[:1].islower() and " " not in text:
        text = _CAMEL.sub(" ", text)  # an id like "payButton"; a label like "PayPal" stays whole
    text = _TIP_HEADING.sub(" ", text.lower())  # before ":" goes: "Tip:" is a heading
    text = text.replace("_", " ").replace("-", " ").replace("/", " ").replace(":", " ").replace(".", " ")
    text = text.lower()
    for brand in _NOT_KEYWORDS:
        text = text.replace(brand, " ")
    return _REPLY_COUNT.sub(" ", text)


class _Table:
    """One keyword table compiled to two regexes: whole words for English, substrings for the rest."""

    def __init__(self, keywords: tuple[str, ...]) -> None:
        # Longest first, so the report names "pay now" rather than "pay".
        ascii_words = sorted((k for k in keywords if k.isascii()), key=len, reverse=True)
        others = sorted((k for k in keywords if not k.isascii()), key=len, reverse=True)
        self.words = (re.compile(r"(?<![a-z0-9'])(?:" + "|".join(map(re.escape, ascii_words)) + r")(?![a-z0-9'])")
                      if ascii_words else None)
        self.others = re.compile("|".join(map(re.escape, others))) if others else None

    def search(self, norm: str, joined: str) -> str | None:
        if self.words is not None and (m := self.words.search(joined)):
            return m.group(0)
        if self.others is not None and (m := self.others.search(norm)):
            return m.group(0)
        return None


_TABLES: dict[tuple[str, ...], _Table] = {}


def _table(keywords: tuple[str, ...]) -> _Table:
    table = _TABLES.get(keywords)
    if table is None:
        table = _TABLES[keywords] = _Table(keywords)
    return table


@lru_cache(maxsize=8192)
def _prepared(text: str) -> tuple[str, str]:
    """(normalised text, its English words joined by single spaces)."""
    norm = normalise(text)
    if "check out" in norm and _DATE_WORDS.search(norm):
        norm = norm.replace("check out", " ")  # a hotel's check-out date, not a till
    return norm, " ".join(_WORD.findall(norm))


def find(text: str, table: tuple[str, ...]) -> str | None:
    """A keyword of ``table`` that ``text`` contains, or None."""
    if not text:
        return None
    norm, joined = _prepared(text)
    return _table(table).search(norm, joined)


def classify(text: str) -> list[Match]:
    """Every irreversible class whose keywords ``text`` contains."""
    if not text or not text.strip():
        return []
    return list(_classify(text))


@lru_cache(maxsize=8192)
def _classify(text: str) -> tuple[Match, ...]:
    norm, joined = _prepared(text)
    stripped = joined if joined and not _CJK.search(norm) else norm.strip()
    found: list[Match] = []
    for category, keywords in KEYWORDS.items():
        if keyword := _table(keywords).search(norm, joined):
            found.append(Match(category, keyword))
    for category, labels in EXACT_LABELS.items():
        if stripped in labels and not any(c.category == category for c in found):
            found.append(Match(category, stripped))
    return tuple(found)


def classify_text(text: str) -> str | None:
    """The first irreversible class whose keyword appears in ``text``."""
    found = classify(text)
    return found[0].category if found else None


def is_negative(label: str) -> bool:
    """A control that backs out ("Cancel", "取消支付", "×")."""
    norm = normalise(label).strip()
    if not norm:
        return False
    if norm in NEGATIVE_EXACT:
        return True
    words = _WORD.findall(norm)
    for keyword in NEGATIVE:
        if not keyword.isascii():
            if norm.startswith(keyword):
                return True
        else:
            parts = keyword.split()
            if words[:len(parts)] == parts:
                return True
    return False


def is_confirm(label: str) -> bool:
    """A label that only says "go ahead" ("OK", "Continue", "确定", "Continue 继续"), unlike an empty one or a glyph."""
    parts = _halves(normalise(label).strip())
    return bool(parts) and all(part in GENERIC_CONFIRM for part in parts)


def is_generic(label: str) -> bool:
    """A label that says nothing about what the control does: empty, symbols, "OK", "确认", "Continue 继续"."""
    norm = normalise(label).strip()
    if not norm:
        return True
    words = _WORD.findall(norm)
    if not words and not _CJK.search(norm):
        return True  # "→", "✓", "…": an icon's glyph
    if len(norm) <= 2 and not _CJK.search(norm):
        return True
    parts = _halves(norm)
    return bool(parts) and all(part in GENERIC_CONFIRM for part in parts)


def _halves(norm: str) -> list[str]:
    """A label's English words and its Chinese, each joined: apps print both ("Continue 继续")."""
    english = " ".join(_WORD.findall(norm))
    chinese = "".join(_CJK.findall(norm))
    if not chinese:
        return [english] if english else []
    if not english:
        return [norm.strip()]
    return [english, chinese]
