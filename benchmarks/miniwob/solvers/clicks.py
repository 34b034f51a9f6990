"""Tasks won by tapping the right control."""

from __future__ import annotations

import re

from autoagent.actions import Action, Wait

from ..policy import Solver
from ..screen import Screen, Unsolvable


def click_button(s: Screen) -> Action | None:
    label = s.quoted()[0]
    return s.tap(s.button(label))


def click_test(s: Screen) -> Action | None:
    return s.tap(s.of_class("Button")[0])


def click_test_2(s: Screen) -> Action | None:
    """'Click button ONE.'"""
    label = re.search(r"button (\w+)", s.utterance)
    if label is None:
        raise Unsolvable(f"no button named in {s.utterance!r}")
    return s.tap(s.button(label.group(1)))


def click_button_sequence(s: Screen) -> Action | None:
    order = re.findall(r"button (\w+)", s.utterance)
    done = s.memory.setdefault("done", 0)
    if done >= len(order):
        return None
    s.memory["done"] = done + 1
    return s.tap(s.button(order[done]))


def _wanted_list(s: Screen) -> list[str]:
    """'Select A, B, C and click Submit.' -> [A, B, C] (an empty list for 'Select nothing')."""
    match = re.search(r"Select (.*?) and click Submit", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read the list in {s.utterance!r}")
    body = match.group(1)
    return [] if body.strip().lower() in ("nothing", "") else [w.strip() for w in body.split(",") if w.strip()]


def _checkbox_rows(s: Screen) -> dict[str, object]:
    """Each checkbox (or radio) with the label it sits in (its parent's text)."""
    rows: dict[str, object] = {}
    for box in s.of_class("CheckBox") + s.of_class("RadioButton"):
        parent = next((n for n in s.nodes if n.index == box.parent), None)
        label = parent.text if parent is not None and parent.text else ""
        rows[label] = box
    return rows


def click_checkboxes(s: Screen) -> Action | None:
    wanted = set(_wanted_list(s))
    rows = _checkbox_rows(s)
    missing = wanted - rows.keys()
    if missing:
        raise Unsolvable(f"no checkbox labelled {sorted(missing)}")
    for label, box in rows.items():
        if (label in wanted) != box.checked:  # type: ignore[attr-defined]
            return s.tap(box)  # type: ignore[arg-type]
    return s.tap(s.button("Submit"))


def click_option(s: Screen) -> Action | None:
    match = re.search(r"Select (.*?) and click Submit", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read the option in {s.utterance!r}")
    rows = _checkbox_rows(s)
    box = rows.get(match.group(1).strip())
    if box is None:
        raise Unsolvable(f"no option labelled {match.group(1)!r}")
    if not box.checked:  # type: ignore[attr-defined]
        return s.tap(box)  # type: ignore[arg-type]
    return s.tap(s.button("Submit"))


def click_link(s: Screen) -> Action | None:
    return s.tap(_link(s, s.quoted()[0]))


def _link(s: Screen, label: str):
    links = [n for n in s.nodes if n.clickable and n.text == label]
    if not links:
        raise Unsolvable(f"no tappable node with the text {label!r} (the link is not in the hierarchy)")
    return links[0]


def click_dialog(s: Screen) -> Action | None:
    """'Close the dialog box by clicking the "x".' jQuery UI's close button is labelled Close."""
    label = s.quoted()[0]
    return s.tap(s.button("Close" if label.lower() == "x" else label))


def click_tab(s: Screen) -> Action | None:
    match = re.search(r"Tab #(\d+)", s.utterance)
    if match is None:
        raise Unsolvable(f"no tab named in {s.utterance!r}")
    return s.tap(s.button(f"Tab #{match.group(1)}"))


def _search_sections(s: Screen, header_pattern: str, selected_marker: str) -> Action | None:
    """Open sections or tabs one after another until the link ``s.quoted()[0]`` shows."""
    target = s.quoted()[0]
    visible = [n for n in s.nodes if n.clickable and n.text == target]
    if visible:
        return s.tap(visible[0])
    tried: list[str] = s.memory.setdefault(selected_marker, [])
    headers = [n for n in s.nodes if n.clickable and re.fullmatch(header_pattern, n.text)]
    # A section slides open (script-driven, frame by frame) after the page looks settled: wait
    # until the headers stop moving, or a header tapped now is not where it was seen.
    layout = [n.bounds for n in headers]
    moved = s.memory.get("layout") not in (None, layout)
    s.memory["layout"] = layout
    if moved and s.memory.setdefault("waits", 0) < 10:
        s.memory["waits"] += 1
        return Wait(seconds=0.3)
    for header in headers:
        if header.text not in tried:
            tried.append(header.text)
            return s.tap(header)
    raise Unsolvable(f"the link {target!r} is in no section")


def click_collapsible_2(s: Screen) -> Action | None:
    return _search_sections(s, r"Section #\d+", "opened")


def click_tab_2(s: Screen) -> Action | None:
    return _search_sections(s, r"Tab #\d+", "tabs")


def click_widget(s: Screen) -> Action | None:
    """'Click on a "radio" widget.' Text fields and text areas are both EditText: a text area
    is the taller one (two rows), as it is on the screen: the hierarchy does not mark multi-line fields."""
    kind = s.quoted()[0]
    if kind in ("radio", "checkbox", "button"):
        cls = {"radio": "RadioButton", "checkbox": "CheckBox", "button": "Button"}[kind]
        candidates = s.of_class(cls)
    else:
        edits = s.of_class("EditText")
        # A one-line input is about 21 CSS px tall here, a two-row text area 26 or more.
        tall = [e for e in edits if e.bounds[3] - e.bounds[1] > 23.5 * s.css_px]
        candidates = tall if kind == "textarea" else [e for e in edits if e not in tall]
    if not candidates:
        raise Unsolvable(f"no {kind} widget in the hierarchy")
    return s.tap(candidates[0])


def focus_text(s: Screen) -> Action | None:
    edits = s.of_class("EditText")
    match = re.search(r"(\d+)(st|nd|rd|th)", s.utterance)
    index = int(match.group(1)) - 1 if match else 0
    edits.sort(key=lambda n: (n.bounds[1], n.bounds[0]))
    target = edits[index]
    return None if target.focused else s.tap(target)


def odd_or_even(s: Screen) -> Action | None:
    """Rows of Odd | number | Even: tap the right side of each row once, then Submit."""
    done: list[int] = s.memory.setdefault("rows", [])
    numbers = [n for n in s.texts() if re.fullmatch(r"-?\d+", n.text) and not n.clickable]
    for number in numbers:
        if number.index in done:
            continue
        done.append(number.index)
        row = [b for b in s.of_class("Button") if b.bounds[1] <= number.center[1] <= b.bounds[3]]
        label = "Even" if int(number.text) % 2 == 0 else "Odd"
        return s.tap(next(b for b in row if b.text == label))
    return s.tap(s.button("Submit"))


def click_menu(s: Screen) -> Action | None:
    """'Select A>B>C': open each level in turn, then choose the leaf."""
    path = s.utterance.removeprefix("Select ").split(">")
    level = s.memory.setdefault("level", 0)
    if level >= len(path):
        return None
    item = [n for n in s.nodes if n.text == path[level].strip() and n.clickable]
    if not item:
        if s.memory.get("waited", 0) < 3:
            s.memory["waited"] = s.memory.get("waited", 0) + 1
            return Wait(seconds=0.3)
        raise Unsolvable(f"menu item {path[level]!r} is not in the hierarchy")
    s.memory["level"] = level + 1
    return s.tap(item[-1])


SOLVERS: dict[str, Solver] = {
    "click-button": click_button,
    "unicode-test": click_button,
    "click-button-sequence": click_button_sequence,
    "click-test": click_test,
    "click-test-2": click_test_2,
    "click-test-transfer": click_test_2,
    "click-checkboxes": click_checkboxes,
    "click-checkboxes-large": click_checkboxes,
    "click-checkboxes-transfer": click_checkboxes,
    "click-option": click_option,
    "click-link": click_link,
    "click-dialog": click_dialog,
    "click-dialog-2": click_dialog,
    "click-tab": click_tab,
    "click-tab-2": click_tab_2,
    "click-tab-2-easy": click_tab_2,
    "click-tab-2-medium": click_tab_2,
    "click-tab-2-hard": click_tab_2,
    "click-collapsible-2": click_collapsible_2,
    "click-collapsible-2-nodelay": click_collapsible_2,
    "click-widget": click_widget,
    "focus-text": focus_text,
    "focus-text-2": focus_text,
    "odd-or-even": odd_or_even,
    "click-menu": click_menu,
}
