"""What the controls under the finger say: their own words, and the words around them.

* target/overlap/slop  :func:`target`: every node the finger may click (the control under
  it, every other control or small node under it, controls within touch slop), by its text,
  description, id and the labels inside it. An empty node laid over a Pay button does not
  hide it, and a near miss still hits;
* container/nearby  :func:`container`: for an unlabeled or generically labeled control
  ("OK", an icon), the labels of its row or sheet and of its neighbours (an ImageButton in a
  "Pay" row);
* stepper   :func:`stepper`: a decrement control ("−") beside a quantity of 1 removes the line;
* double-tap  :func:`double_tap`: a double tap on a buying or confirming control pays, since
  the second tap can land on the Pay button of the sheet the first one opened.
"""

from __future__ import annotations

from autoagent.actions import DoubleTap
from autoagent.perception.tree import UINode
from autoagent.safety import keywords as kw
from autoagent.safety.screen import CONTAINER_MAX_SHARE, CONTROL_MAX_SHARE, Screen, is_edit
from autoagent.safety.signals.look import Finding, Look, Touch, is_secret_field, own_label, rid, summary
from autoagent.safety.stepper import removes_line


def says(screen: Screen, node: UINode, source: str) -> list[Finding]:
    """What a control under (or near) the finger says about itself."""
    findings: list[Finding] = []
    node_summary = summary(node)
    if is_edit(node) or is_secret_field(screen, node):
        # What is typed into a field is not what the field does; a secret is the ``secret`` signal's.
        return findings
    texts = [node.text, node.desc]
    if node.clickable and screen.share(node) <= CONTAINER_MAX_SHARE / 2:
        # A button's words often sit on its children (a TextView inside a row). Not for a
        # clickable backdrop: what it holds is not what it does.
        texts += [c.label for c in screen.descendants(node) if c.label and not screen.inside_other_clickable(c, node)]
    label = " ".join(t for t in texts if t)
    if not kw.is_negative(own_label(screen, node)):
        for match in kw.classify(label):
            findings.append(Finding(match.category, source, f"{match.keyword!r} in {label[:80]!r}", node_summary))
    node_id = rid(node)
    if node_id and not negative_id(node_id):
        for match in kw.classify(node_id):
            if not any(f.category == match.category for f in findings):
                findings.append(Finding(match.category, source, f"{match.keyword!r} in the id {node_id!r}",
                                        node_summary))
    return findings


def negative_id(node_id: str) -> bool:
    """An id that names a backing-out control (``btn_cancel``, ``closePay``)."""
    return any(w in ("cancel", "close", "back", "dismiss") for w in kw.normalise(node_id).split())


def acts(touch: Touch) -> bool:
    """Whether the screen around the target can say what the touch does: a target of the app
    that neither backs out, nor is a field, nor chooses an option."""
    return touch.target is not None and not touch.on_keyboard and not touch.inert


# -- signals --------------------------------------------------------------------------------------


def target(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """target, overlap, slop: every node the finger may click, by its own words."""
    return [f for node, source in touch.candidates for f in says(look.screen, node, source)]


def stepper(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """stepper: a working "−" beside a quantity of 1 takes the line to zero, which removes it."""
    if not (acts(touch) and touch.is_tap):
        return []
    assert touch.target is not None
    found = removes_line(look.screen, touch.target, look.row_reach())
    if not found:
        return []
    quantity, value = found
    return [Finding(kw.DELETE, "stepper", f"{touch.label[:20]!r} beside the quantity {value}: taking it to zero "
                                          "removes the line", summary(quantity))]


def container(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """container, nearby: the labels around a control that does not say what it does."""
    if not (acts(touch) and touch.is_tap and kw.is_generic(touch.label)):
        return []
    assert touch.target is not None
    return around(look, touch.target)


def around(look: Look, node: UINode) -> list[Finding]:
    """What the row or sheet of ``node`` and its neighbours on the same row say."""
    screen = look.screen
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    holder = None
    for anc in screen.ancestors(node)[:4]:
        if screen.share(anc) > CONTAINER_MAX_SHARE:
            break
        labels = [n for n in screen.descendants(anc)
                  if n.label and n.index != node.index and not n.clickable
                  and n.index not in screen.disabled and not screen.inside_other_clickable(n, anc)]
        texts = [t for t in (anc.text, anc.desc, rid(anc)) if t] + [n.label for n in labels]
        if texts:
            holder = anc
            for text in texts:
                for match in kw.classify(text):
                    if (match.category, text) not in seen:
                        seen.add((match.category, text))
                        findings.append(Finding(match.category, "container",
                                                f"{match.keyword!r} in {text[:60]!r} next to an unlabeled "
                                                f"or generic control", summary(anc)))
            break
    # Neighbours on the same row, for flat hierarchies (a web page rendered flat).
    reach = look.row_reach()
    left, top, right, bottom = node.bounds
    for other in screen.nodes:
        if (not other.label or other.clickable or other.index == node.index or is_edit(other)
                or other.index in screen.disabled):
            continue
        if holder is not None and other.parent == holder.index:
            continue
        if screen.share(other) > CONTROL_MAX_SHARE or other.index in screen.in_control:
            continue
        nl, nt, nr, nb = other.bounds
        same_row = nt < bottom and nb > top
        gap = max(nl - right, left - nr, nt - bottom, top - nb, 0)
        if same_row and gap <= reach or gap <= reach / 3:
            for match in kw.classify(other.label):
                findings.append(Finding(match.category, "nearby",
                                        f"{match.keyword!r} in the label {other.label[:60]!r} beside an "
                                        f"unlabeled or generic control", summary(other)))
    return findings


def double_tap(look: Look, touch: Touch, found: list[Finding]) -> list[Finding]:
    """double-tap: a double tap on a buying or confirming control pays: the first tap may open
    a payment sheet and the second land on its Pay button. ``found``: the other signals' findings
    at this touch."""
    if not isinstance(look.action, DoubleTap) or any(f.category == kw.PAYMENT for f in found):
        return []
    buying = next((f for f in found if f.category == kw.PURCHASE), None)
    if buying is not None:
        detail = f"a double tap on a buying control ({buying.detail})"
    elif touch.label.strip() and kw.is_generic(touch.label) and not touch.inert:
        # A field (or a box, or Cancel) is no confirming control: its short text ("1") is what
        # it holds, and a double tap there selects a word.
        detail = f"a double tap on a confirming control ({touch.label[:40]!r})"
    else:
        return []
    return [Finding(kw.PAYMENT, "double-tap", detail + ": the second tap can land on the Pay button of the "
                                                    "sheet the first one opens",
                    summary(touch.target) if touch.target is not None else None)]
