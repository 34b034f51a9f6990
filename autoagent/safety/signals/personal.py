"""Personal data and secrets: identity and card fields, passwords and one-time codes.

* personal data  :func:`personal_data`: a generic submit ("Submit", "确定") of a form with a field
  for an ID number, a card, a bank account... (a filled form is also a risky context: see
  ``context``);
* secrets  :func:`secret_touch` and :func:`secret_typing`: a password or one-time-code field is
  for a person to fill, unless the user's task itself holds the text typed into it ("log in as
  li.na with password hunter2"): then typing exactly that text is allowed, and nothing else.
"""

from __future__ import annotations

import re

from autoagent.safety import keywords as kw
from autoagent.safety.screen import Screen, is_edit, is_keyboard
from autoagent.safety.signals.controls import acts
from autoagent.safety.signals.look import Finding, Look, Touch, is_secret_field, rid, summary, words_of

# A value in a field, as opposed to its hint: four digits or more (an ID, a card, a date of
# birth), or the dots a masked field shows.
_VALUE = re.compile(r"(?:\d[\s-]?){4,}|[•●*]{3,}")
# Where a secret stops in a task: spaces, quotes and the punctuation around a word or sentence.
_EDGE = r"""[\s"'“”‘’`,，。、;；:：.!?！？()（）\[\]【】]"""


def personal_field(screen: Screen) -> str | None:
    """A form field on screen meant for personal data (ID number, card, bank account...), if any."""
    return screen.memo("personal_field", lambda: _personal_field(screen, filled=False))


def filled_personal_field(screen: Screen) -> str | None:
    """A field for personal data that holds a value (an ID number typed in, a masked card), if any."""
    return screen.memo("filled_personal_field", lambda: _personal_field(screen, filled=True))


def _personal_field(screen: Screen, filled: bool) -> str | None:
    for node in screen.nodes:
        if is_keyboard(node) or not (is_edit(node) or screen.source == "ocr"):
            continue
        if filled and not _VALUE.search(node.text):
            continue
        if kind := kw.find(" ".join((node.desc, rid(node), node.text)), kw.PERSONAL_FIELDS):
            return f"{kind!r} field {rid(node) or node.label[:30]!r}"
    return None


def task_holds(task: str, text: str) -> bool:
    """Whether the user's ``task`` holds ``text`` exactly, as a whole word or phrase of it."""
    text = text.strip("\r\n")
    if not text.strip() or not task:
        return False
    return re.search(rf"(?:^|{_EDGE}){re.escape(text)}(?:$|{_EDGE})", task) is not None


def task_gives_secret(task: str) -> bool:
    """Whether the task hands over a password or code to type ("with password hunter2", "密码是...")."""
    return bool(task) and kw.find(task, kw.SECRET_FIELDS) is not None


# -- signals --------------------------------------------------------------------------------------


def personal_data(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """form: a generic submit on a screen with a field for personal data."""
    node = touch.target
    if not (acts(touch) and touch.is_tap and node is not None and node.clickable and kw.is_generic(touch.label)):
        return []
    field_kind = personal_field(look.screen)
    if not field_kind:
        return []
    return [Finding(kw.PERSONAL_DATA, "form", f"{touch.label[:40]!r} would submit a form holding personal data "
                                              f"({field_kind})", summary(node))]


def secret_touch(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """secret: a touch on a password or one-time-code field hands over, unless the task gives one to type."""
    if task_gives_secret(look.task):
        return []
    return [Finding(kw.TAKEOVER, source, "a password or one-time-code field: a human should fill it", summary(node))
            for node, source in touch.candidates if is_secret_field(look.screen, node)]


def secret_typing(look: Look) -> list[Finding]:
    """secret: typing into a password or one-time-code field hands over, unless the task holds that exact text."""
    typing, focused = look.typing, look.screen.focused
    if typing is None or focused is None:
        return []
    look.evidence["focused"] = summary(focused)
    if not (focused.index in look.screen.passwords or kw.find(words_of(focused), kw.SECRET_FIELDS)):
        return []
    if task_holds(look.task, typing.text):
        look.evidence["secret_from_task"] = True
        return []
    return [Finding(kw.TAKEOVER, "target", "typing into a password or one-time-code field: a human should type it"
                                           + (" (the task does not hold this text)" if look.task else ""),
                    summary(focused))]
