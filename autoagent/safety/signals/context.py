"""The screen's context: whether a control that does not say what it does may still commit.

A screen is a *risky context* when it shows

* an amount with a currency (¥59.00, $5, 12 元, RMB 100: :func:`amounts`) or an order total
  ("Total", "合计", "实付" beside a number);
* a card (a masked card "•••• 1234", 尾号 1234: payment; a card number field: personal data);
* a form with personal data in it (an ID number, a card number typed into its field);
* a message composer with text in it.

There, any commit-like control that is not known to be harmless (``harmless``) asks
(:func:`context`); an icon-only control (no text, no description, an id that says nothing) asks
too, and so does Enter beside one or in a composer with text (:func:`icon`, :func:`enter_risks`).
A control whose own words already classify it (Pay, Place order) is left to ``target``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict

from autoagent.perception.tree import UINode
from autoagent.safety import keywords as kw
from autoagent.safety.screen import CONTAINER_MAX_SHARE, Screen, is_edit, is_keyboard
from autoagent.safety.signals.controls import acts
from autoagent.safety.signals.harmless import commit_like, harmless, icon_only
from autoagent.safety.signals.look import Finding, Look, Touch, rid, summary, words_of
from autoagent.safety.signals.personal import filled_personal_field


class Amount(BaseModel):
    """A money amount shown on screen: its value, its currency (ISO code) and the text it was read from."""

    model_config = ConfigDict(frozen=True)

    value: Decimal
    currency: str
    text: str


class Risk(BaseModel):
    """Why a screen is a risky context: the kind of thing it shows and the class of step it makes a commit."""

    model_config = ConfigDict(frozen=True)

    kind: str  # amount, total, card, personal, composer
    category: str  # payment, personal_data, send
    detail: str


# -- amounts ------------------------------------------------------------------------------------

_CURRENCY_CODES = {"¥": "CNY", "￥": "CNY", "元": "CNY", "人民币": "CNY", "块": "CNY", "rmb": "CNY", "cny": "CNY", "yuan": "CNY",
                   "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
                   "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP",
                   "hk$": "HKD", "hkd": "HKD", "jpy": "JPY", "円": "JPY", "₩": "KRW", "krw": "KRW", "₹": "INR",
                   "inr": "INR"}
_NUMBER = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_BEFORE = r"us\$|hk\$|[¥￥$€£₩₹]|(?<![a-z])(?:rmb|cny|usd|eur|gbp|hkd|jpy|krw|inr)"
_AFTER = r"元|块|円|人民币|(?:rmb|cny|usd|eur|gbp|hkd|jpy|krw|inr|yuan|dollars?|euros?)(?![a-z])"
_MONEY = re.compile(rf"(?P<pre>{_BEFORE})\s?(?P<num>{_NUMBER})|(?P<num2>{_NUMBER})\s?(?P<post>{_AFTER})",
                    re.IGNORECASE)


def amounts(screen: Screen) -> list[Amount]:
    """Every money amount the screen shows (value and currency), in reading order.

    Read from texts and descriptions, fields included (an amount typed into a transfer), not
    from ids; the on-screen keyboard shows none. A bare "¥" is read as yuan.
    """
    return screen.memo("amounts", lambda: _amounts(screen))


def _amounts(screen: Screen) -> list[Amount]:
    return [a for node in screen.nodes if not is_keyboard(node) for text in (node.text, node.desc)
            for a in money_in(text)]


def money_in(text: str) -> list[Amount]:
    """The money amounts a text names, in order: ``¥59.00``, ``$5``, ``12 元``, ``RMB 100``."""
    found: list[Amount] = []
    for m in _MONEY.finditer(text):
        number = (m.group("num") or m.group("num2")).replace(",", "").replace("，", "")
        symbol = (m.group("pre") or m.group("post")).lower()
        try:
            value = Decimal(number)
        except InvalidOperation:
            continue
        found.append(Amount(value=value, currency=_CURRENCY_CODES.get(symbol, symbol.upper()), text=m.group(0)))
    return found


# -- what makes a context risky -------------------------------------------------------------------

_TOTAL = ("total", "subtotal", "grand total", "order total", "amount due", "to pay", "合计", "总计", "实付", "应付",
          "总价", "小计", "总额")
_MASKED_CARD = re.compile(r"(?:[•●*·∙xX]{2,}[\s-]?){1,3}\d{4}\b|尾号\s?\d{4}|ending in \d{4}", re.IGNORECASE)
_CARD_FIELDS = ("card number", "credit card", "debit card", "cvv", "cvc", "卡号", "银行卡", "信用卡")
_DIGITS = re.compile(r"\d")
# What names a field for writing a message.
_MESSAGE_FIELDS = ("message", "msg", "chat", "comment", "reply", "compose", "composer", "say something", "write",
                   "消息", "短信", "评论", "回复", "留言", "说点什么", "写点什么", "聊天")
_SEARCH_FIELDS = ("search", "find", "query", "filter", "url", "address bar", "搜索", "查找", "筛选", "网址")


def risks(screen: Screen) -> list[Risk]:
    """Why this screen is a risky context; empty when it is not one."""
    return screen.memo("risks", lambda: _risks(screen))


def _risks(screen: Screen) -> list[Risk]:
    out: list[Risk] = []
    if money := amounts(screen):
        out.append(Risk(kind="amount", category=kw.PAYMENT, detail=f"the screen shows {money[0].text!r}"))
    elif total := _order_total(screen):
        out.append(Risk(kind="total", category=kw.PAYMENT, detail=f"the screen shows an order total ({total!r})"))
    if card := _masked_card(screen):
        out.append(Risk(kind="card", category=kw.PAYMENT, detail=f"the screen shows a card ({card})"))
    if field := _card_field(screen):
        # A field for a card number takes the card itself: handing it over is personal data (what
        # it then pays is asked about where it pays: a Pay button, a payment page, the network).
        out.append(Risk(kind="card", category=kw.PERSONAL_DATA, detail=f"the screen asks for a card ({field})"))
    if personal := filled_personal_field(screen):
        out.append(Risk(kind="personal", category=kw.PERSONAL_DATA,
                        detail=f"a form holds personal data ({personal})"))
    if (field := composer(screen)) is not None:
        out.append(Risk(kind="composer", category=kw.SEND,
                        detail=f"a message composer holds text ({rid(field) or field.text[:30]!r})"))
    return out


def _order_total(screen: Screen) -> str | None:
    for node in screen.nodes:
        if is_edit(node) or is_keyboard(node):
            continue
        if _shows_total(node):
            return node.label[:40]
    return None


def _shows_total(node: UINode) -> bool:
    """A label naming an order total beside its number ("合计: 59.00", "Total 3 items ¥59")."""
    return bool(kw.find(node.label, _TOTAL)) and bool(_DIGITS.search(node.label))


def _masked_card(screen: Screen) -> str | None:
    """A card the screen shows: "•••• 4242", "尾号 1234", "ending in 1234"."""
    for node in screen.nodes:
        if not is_keyboard(node) and (m := _MASKED_CARD.search(node.text) or _MASKED_CARD.search(node.desc)):
            return repr(m.group(0))
    return None


def _card_field(screen: Screen) -> str | None:
    """A field for a card number, CVV or bank card."""
    for node in screen.nodes:
        if is_edit(node) and not is_keyboard(node) and (
                word := kw.find(" ".join((node.desc, rid(node), node.text)), _CARD_FIELDS)):
            return f"a {word!r} field"
    return None


def composer(screen: Screen) -> UINode | None:
    """A field for writing a message that holds text: named for messages, or beside a Send control.

    A field shows its hint as its text on many phones, so an empty composer may count too; the
    cost is a question about an icon or Enter in an empty chat, never a message sent unasked.
    """
    return screen.memo("composer", lambda: _composer(screen))


def _composer(screen: Screen) -> UINode | None:
    return next((n for n in screen.nodes if n.text.strip() and message_field(screen, n)), None)


def message_field(screen: Screen, node: UINode) -> bool:
    """A field for writing a message: named for messages, or on a row with a Send or icon-only control."""
    if not is_edit(node) or is_keyboard(node) or node.index in screen.passwords:
        return False
    words = " ".join((node.desc, rid(node)))
    if kw.find(words, _SEARCH_FIELDS):
        return False
    return bool(kw.find(words + " " + node.text, _MESSAGE_FIELDS)) or _beside_send(screen, node)


def _beside_send(screen: Screen, field: UINode) -> bool:
    """A control on the field's row that sends, or says nothing at all (a paper-plane icon)."""
    _, top, _, bottom = field.bounds
    for node in screen.nodes:
        if not node.clickable or node.index == field.index or is_edit(node) or is_keyboard(node):
            continue
        _, nt, _, nb = node.bounds
        if nt < bottom and nb > top and (icon_only(screen, node) or any(
                m.category == kw.SEND for m in kw.classify(words_of(node)))):
            return True
    return False


# -- signals --------------------------------------------------------------------------------------


def context(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """context: in a risky context, a commit-like control that no other signal explained and that
    is not known to be harmless asks.

    A plain "Continue" or "OK" on a form (a screen with fields to fill) submits the form: there it is
    read with the money in its own sheet or row ("Total ¥59 [Continue]"), while a total elsewhere on
    the page is what the next page will charge, and ask about (a shipping form under its order
    total). On a screen with nothing to fill, the money anywhere is what it commits. A card, a
    filled personal-data form or a composer with text counts wherever it is on screen.
    """
    if found or not commit_like(look.screen, touch):
        return []
    node = touch.target
    assert node is not None
    if icon_only(look.screen, node):
        return []  # the icon signal's
    if harmless(look.screen, node, touch.label, look.row_reach()) or not (screen_risks := risks(look.screen)):
        return []
    if kw.is_confirm(touch.label) and is_form(look.screen) and not money_beside(look, node):
        screen_risks = [r for r in screen_risks if r.kind not in _MONEY_KINDS]
    return [Finding(r.category, "context", f"{touch.label[:40]!r} may commit: {r.detail}", summary(node))
            for r in screen_risks]


_MONEY_KINDS = ("amount", "total")


def shows_money(node: UINode) -> bool:
    """A node that shows an amount with a currency, or an order total."""
    return bool(_MONEY.search(f"{node.text} {node.desc}")) or _shows_total(node)


def is_form(screen: Screen) -> bool:
    """A screen with fields to fill (name, address, a note), not counting search boxes."""
    return screen.memo("is_form", lambda: any(
        is_edit(n) and not is_keyboard(n) and not kw.find(" ".join((n.desc, rid(n))), _SEARCH_FIELDS)
        for n in screen.nodes))


def money_beside(look: Look, node: UINode) -> bool:
    """Whether an amount or a total sits in ``node``'s own sheet, dialog or bar, or on its row."""
    screen = look.screen
    for anc in screen.ancestors(node)[:4]:
        if screen.share(anc) > CONTAINER_MAX_SHARE:
            break
        if any(shows_money(n) for n in [anc, *screen.descendants(anc)]):
            return True
    reach = look.row_reach()
    left, top, right, bottom = node.bounds
    for other in screen.nodes:
        nl, nt, nr, nb = other.bounds
        if nt < bottom and nb > top and max(nl - right, left - nr, 0) <= reach and shows_money(other):
            return True
    return False


def icon(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """icon: an icon-only control (a send or confirm button with no words) in a risky context asks."""
    node = touch.target
    if found or node is None or not acts(touch) or not icon_only(look.screen, node):
        return []
    return [Finding(r.category, "icon", f"an icon-only control may commit: {r.detail}", summary(node))
            for r in risks(look.screen)]


def enter_risks(look: Look) -> list[Finding]:
    """What Enter may commit beyond the words on screen: in a composer with text it sends; in a risky
    context it submits what the screen shows (a coupon field whose Enter pays, a paper-plane icon
    that Enter presses). Enter in a search box searches."""
    screen = look.screen
    focused = screen.focused
    if focused is not None and is_edit(focused) and kw.find(" ".join((focused.desc, rid(focused))), _SEARCH_FIELDS):
        return []
    findings: list[Finding] = []
    if focused is not None and is_edit(focused):
        # Enter in a composer sends what it holds, or what this step types into it.
        field: UINode | None = focused
        typed = look.typing is not None and look.typing.text.strip() != ""
        sends = message_field(screen, focused) and (focused.text.strip() != "" or typed)
    else:
        field = composer(screen)
        sends = field is not None
    if sends:
        assert field is not None
        findings.append(Finding(kw.SEND, "composer", f"Enter in a message composer with text "
                                                     f"({rid(field) or 'a field'}) sends it", summary(field)))
    icon = next((n for n in screen.nodes if n.index not in screen.disabled and icon_only(screen, n)), None)
    for r in risks(screen):
        if sends and r.kind == "composer":
            continue
        if icon is not None:
            findings.append(Finding(r.category, "icon", f"Enter beside an icon-only control: {r.detail}",
                                    summary(icon)))
        else:
            findings.append(Finding(r.category, "context", f"Enter submits a screen where {r.detail}"))
    return findings
