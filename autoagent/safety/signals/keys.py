"""Enter, from a ``Type`` ending in a newline or from the on-screen keyboard's Enter key.

Enter submits a form, so it is judged by what the screen offers to submit:

* form      :func:`enter`: every control on screen, by its own words (a Pay button, a 发送 button),
            a payment page, a form field for personal data;
* keyboard  :func:`keyboard`: a tap on the keyboard's Enter, Go, Send, Done, 搜索 or 发送 key is that
            same Enter.

Enter with nothing readable to submit is the ``unreadable`` signal's; Enter beside an icon-only
control in a composer or a risky context is the ``icon`` signal's.
"""

from __future__ import annotations

from autoagent.safety import keywords as kw
from autoagent.safety.screen import is_edit, is_keyboard
from autoagent.safety.signals.context import enter_risks
from autoagent.safety.signals.controls import says
from autoagent.safety.signals.look import Finding, Look, Touch
from autoagent.safety.signals.page import payment_page
from autoagent.safety.signals.personal import personal_field


def submits(look: Look) -> list[Finding]:
    """What Enter would submit on this screen."""
    screen = look.screen
    findings: list[Finding] = []
    if screen.source == "hierarchy" and (marker := payment_page(screen)):
        findings.append(Finding(kw.PAYMENT, "page", f"Enter on a payment page ({marker})"))
    for node in screen.nodes:
        if is_keyboard(node):
            continue
        if screen.source == "ocr" or (node.clickable and not is_edit(node)):
            findings += [Finding(f.category, "form", f"Enter would submit a form offering {f.detail}", f.node)
                         for f in says(screen, node, "form")]
    if screen.source == "ocr" and (marker := payment_page(screen)):
        findings.append(Finding(kw.PAYMENT, "ocr", f"Enter on a screen that reads {marker!r}"))
    if field_kind := personal_field(screen):
        findings.append(Finding(kw.PERSONAL_DATA, "form", f"Enter would submit personal data ({field_kind})"))
    return findings + enter_risks(look)


def enter(look: Look) -> list[Finding]:
    """form: a ``Type`` whose text holds a newline presses Enter."""
    if look.typing is None:
        return []
    look.evidence["enter"] = look.enter
    return submits(look) if look.enter else []


def keyboard(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """keyboard: the on-screen keyboard's Enter key presses Enter."""
    if not touch.enter_key:
        return []
    return [Finding(f.category, "enter-key", f.detail, f.node) for f in submits(look)]
