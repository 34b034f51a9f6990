"""Tasks won by typing what the page asks for into its fields, then submitting."""

from __future__ import annotations

import re

from autoagent.actions import Action

from ..policy import Solver
from ..screen import Screen, Unsolvable


def _fill_then_submit(s: Screen, pairs: list[tuple[object, str]], submit: str = "Submit") -> Action | None:
    for field_node, text in pairs:
        step = s.fill(field_node, text)  # type: ignore[arg-type]
        if step is not None:
            return step
    return s.tap(s.button(submit))


def _edits(s: Screen) -> list:
    return sorted(s.of_class("EditText"), key=lambda n: (n.bounds[1], n.bounds[0]))


def enter_text(s: Screen) -> Action | None:
    return _fill_then_submit(s, [(_edits(s)[0], s.quoted()[0])])


def enter_text_2(s: Screen) -> Action | None:
    """'Type "myron" in all upper case letters ...' / '... lower case ...'."""
    text = s.quoted()[0]
    text = text.upper() if "upper case" in s.utterance else text.lower()
    return _fill_then_submit(s, [(_edits(s)[0], text)])


def enter_password(s: Screen) -> Action | None:
    password = s.quoted()[0]
    return _fill_then_submit(s, [(e, password) for e in _edits(s)[:2]], "Submit")


def login_user(s: Screen) -> Action | None:
    username, password = s.quoted()[:2]
    first, second = _edits(s)[:2]
    login = next(n for n in s.nodes if n.clickable and n.text in ("Login", "OK", "Log in"))
    return _fill_then_submit(s, [(first, username), (second, password)], login.text)


def read_table(s: Screen) -> Action | None:
    """'Enter the value of Religion into the text field': the table's row named so."""
    match = re.search(r"value of (.+?) into", s.utterance)
    if match is None:
        raise Unsolvable(f"no label in {s.utterance!r}")
    return _fill_then_submit(s, [(_edits(s)[0], _table_value(s, match.group(1)))])


def _table_value(s: Screen, label: str) -> str:
    """The text to the right of the cell ``label``, on its row."""
    cells = [n for n in s.texts() if n.text == label]
    if not cells:
        raise Unsolvable(f"no table cell {label!r}")
    cell = cells[0]
    right = [n for n in s.texts() if n.bounds[0] >= cell.bounds[2] - 1 and abs(n.center[1] - cell.center[1]) <= 2]
    if not right:
        raise Unsolvable(f"no value beside {label!r}")
    return min(right, key=lambda n: n.bounds[0]).text


def read_table_2(s: Screen) -> Action | None:
    """Fields labelled 'Religion:' / 'Color:' to fill with the table's values."""
    pairs = []
    for edit in _edits(s):
        label = [n for n in s.texts() if n.text.endswith(":") and abs(n.center[1] - edit.center[1]) <= (edit.bounds[3] - edit.bounds[1]) / 2
                 and n.bounds[2] <= edit.bounds[0] + 1]
        if not label:
            raise Unsolvable(f"no label beside the field at {edit.bounds}")
        pairs.append((edit, _table_value(s, label[0].text.rstrip(":"))))
    return _fill_then_submit(s, pairs)


def simple_arithmetic(s: Screen) -> Action | None:
    problem = s.need(resource_id="math-problem").text  # '7 x 6 ='
    match = re.fullmatch(r"\s*(-?\d+)\s*([+\-x*/])\s*(-?\d+)\s*=\s*", problem)
    if match is None:
        raise Unsolvable(f"cannot read {problem!r}")
    a, op, b = int(match.group(1)), match.group(2), int(match.group(3))
    value = {"+": a + b, "-": a - b, "x": a * b, "*": a * b, "/": a // b if b else 0}[op]
    return _fill_then_submit(s, [(s.need(resource_id="math-answer"), str(value))])


def simple_algebra(s: Screen) -> Action | None:
    """'7 + x = 61', 'x - 3 = 4', ...: solved for x."""
    problem = s.need(resource_id="math-problem").text.replace("\u2212", "-")
    match = re.fullmatch(r"\s*(\S+)\s*([+-])\s*(\S+)\s*=\s*(-?\d+)\s*", problem)
    if match is None:
        raise Unsolvable(f"cannot read {problem!r}")
    left, op, right, total = match.group(1), match.group(2), match.group(3), int(match.group(4))
    if left == "x":
        value = total - int(right) if op == "+" else total + int(right)
    else:
        value = total - int(left) if op == "+" else int(left) - total
    return _fill_then_submit(s, [(s.need(resource_id="math-answer"), str(value))])


def find_word(s: Screen) -> Action | None:
    match = re.search(r"(\d+)(st|nd|rd|th) word", s.utterance)
    if match is None:
        raise Unsolvable(f"no word number in {s.utterance!r}")
    edit = _edits(s)[0]
    paragraph = max((n for n in s.texts() if n.cls.endswith("TextView") and n.resource_id != "query"),
                    key=lambda n: len(n.text))
    words = [w.strip(".,;:!?") for w in paragraph.text.split()]
    return _fill_then_submit(s, [(edit, words[int(match.group(1)) - 1])])


def copy_paste(s: Screen) -> Action | None:
    """The text area's text typed into the input (what pasting it would put there)."""
    edits = _edits(s)
    answer = s.need(resource_id="answer-input")
    areas = [e for e in edits if e.index != answer.index]
    match = re.search(r"(\d+)(st|nd|rd|th) text area", s.utterance)
    source = areas[int(match.group(1)) - 1] if match else areas[0]
    return _fill_then_submit(s, [(answer, source.text)])


def text_transform(s: Screen) -> Action | None:
    """Letters drawn one node each (turned and shifted): read left to right."""
    edit = _edits(s)[0]
    letters = [n for n in s.texts() if len(n.text) == 1 and n.resource_id != "query"
               and edit.bounds[1] > n.bounds[1]]
    word = "".join(n.text for n in sorted(letters, key=lambda n: n.center[0]))
    return _fill_then_submit(s, [(edit, word)])


def enter_date(s: Screen) -> Action | None:
    """'Enter 07/26/2017 as the date': a date input takes the digits, month first."""
    match = re.search(r"(\d\d)/(\d\d)/(\d{4})", s.utterance)
    if match is None:
        raise Unsolvable(f"no date in {s.utterance!r}")
    return _fill_segmented(s, "".join(match.groups()), key="date")


def _fill_segmented(s: Screen, digits: str, key: str) -> Action | None:
    """Type into a date or time input, then submit. Such an input types into the part under the
    pointer, and its first part (month, hour) is at the left: focus it there first."""
    edit = _edits(s)[0]
    step = s.fill(edit, digits, key=key)
    if step is not None and not edit.focused:
        return s.tap_at(edit.bounds[0] + (edit.bounds[3] - edit.bounds[1]) * 0.6, edit.center[1])
    return step or s.tap(s.button("Submit"))


def enter_time(s: Screen) -> Action | None:
    match = re.search(r"(\d{1,2}):(\d\d) ?([AP]M)", s.utterance)
    if match is None:
        raise Unsolvable(f"no time in {s.utterance!r}")
    hour, minute, half = match.groups()
    return _fill_segmented(s, f"{int(hour):02d}{minute}{half}", key="time")


def multi_orderings(s: Screen) -> Action | None:
    """'Search for satire movies directed by Mejia from year 2017.': each field by its label."""
    match = re.search(r"for (.+?) movies directed by (.+?) from year (\d+)", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read {s.utterance!r}")
    values = {"Genre": match.group(1), "Director": match.group(2), "Year": match.group(3)}
    pairs = []
    for label, value in values.items():
        pairs.append((_field_for(s, label), value))
    submit = [n for n in s.nodes if n.clickable and n.text and not n.cls.endswith("EditText")]
    if not submit:
        raise Unsolvable("no submit control")
    return _fill_then_submit(s, pairs, max(submit, key=lambda n: n.bounds[1]).text)


# What each of the form's values may be called on its label (multi-layouts words them differently).
LABEL_WORDS = {"Genre": ("genre",), "Director": ("director",), "Year": ("year", "date", "released")}


def _field_for(s: Screen, label: str):
    """The field a label names: on its row to its right, else the field nearest above or below
    it (multi-layouts puts labels over their fields in some layouts, under them in others)."""
    words = LABEL_WORDS.get(label, (label.lower(),))
    labels = [n for n in s.texts() if not n.clickable and n.resource_id != "query"
              and any(w in n.text.lower() for w in words)]
    if not labels:
        raise Unsolvable(f"no label for {label!r}")
    lab = labels[0]
    edits = _edits(s)
    beside = [e for e in edits if abs(e.center[1] - lab.center[1]) <= (e.bounds[3] - e.bounds[1]) / 2 and e.bounds[0] >= lab.bounds[2] - 2]
    if beside:
        return beside[0]

    def gap(e) -> float:
        return min(abs(e.bounds[1] - lab.bounds[3]), abs(lab.bounds[1] - e.bounds[3]))

    if not edits:
        raise Unsolvable(f"no field for {label!r}")
    return min(edits, key=gap)


def choose_list(s: Screen) -> Action | None:
    """A <select>: tapping it opens its options as a list (see the browser device)."""
    match = re.search(r"Select (.+?) from the list", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read {s.utterance!r}")
    choice = match.group(1)
    spinner = s.of_class("Spinner")[0]
    if spinner.text == choice:
        return s.tap(s.button("Submit"))
    option = [n for n in s.nodes if n.text == choice and n.clickable and n.index != spinner.index]
    return s.tap(option[0]) if option else s.tap(spinner)


def use_autocomplete(s: Screen) -> Action | None:
    """'Enter an item that starts with "Rus".' (or '... and ends with "x"'): type the start, pick a suggestion."""
    quoted = s.quoted()
    start = quoted[0]
    end = quoted[1] if "ends with" in s.utterance and len(quoted) > 1 else ""
    edit = _edits(s)[0]
    if edit.text.startswith(start) and edit.text.endswith(end) and len(edit.text) > len(start):
        return s.tap(s.button("Submit"))
    step = s.fill(edit, start, key="start")
    if step is not None:
        return step
    menu = [n for n in s.texts() if s.tappable(n) and n.text.startswith(start) and n.text.endswith(end)
            and n.index != edit.index]
    if menu:
        return s.tap(menu[0])
    waited = s.memory.get("waited", 0)
    if waited < 5:
        s.memory["waited"] = waited + 1
        from autoagent.actions import Wait
        return Wait(seconds=0.5)
    raise Unsolvable(f"no suggestion starting with {start!r} appeared")


SOLVERS: dict[str, Solver] = {
    "enter-text": enter_text,
    "enter-text-dynamic": enter_text,
    "enter-text-2": enter_text_2,
    "enter-password": enter_password,
    "login-user": login_user,
    "login-user-popup": login_user,
    "read-table": read_table,
    "read-table-2": read_table_2,
    "simple-arithmetic": simple_arithmetic,
    "simple-algebra": simple_algebra,
    "find-word": find_word,
    "copy-paste": copy_paste,
    "copy-paste-2": copy_paste,
    "text-transform": text_transform,
    "enter-date": enter_date,
    "enter-time": enter_time,
    "multi-orderings": multi_orderings,
    "multi-layouts": multi_orderings,
    "choose-list": choose_list,
    "use-autocomplete": use_autocomplete,
    "use-autocomplete-nodelay": use_autocomplete,
}
