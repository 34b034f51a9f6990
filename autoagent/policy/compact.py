"""The embedded policy's own prompt and answers: the model names the action, pointers name its target.

A small model copies poorly: asked for ``element=[863,64]`` it writes ``[500,64]``; asked for an
element's number it must find the line and then copy the number beside it, and it often copies
the wrong one. So here the model writes only the kind of action, and the target is *pointed
at*: every element line and every goal word ends in a position whose score says "this one"
(the logit of :data:`PICK`, or of :data:`PICK_END` for the last word of a span). That is the
pointer network's and extractive QA's trick: a dense, local decision per line instead of a
number to reproduce. The engine turns the reply and the pointers back into AutoGLM's action::

    goal: buy a white t-shirt in size m
    app: shop
    step: 3
    done: launch Shop | tap "Search 搜索"
    screen:
    ImageButton* Navigate up 返回
    EditText*^
    Button* Search 搜索
    words: buy a white t-shirt in size m

The replies are ``tap`` (the element pointed at), ``type`` (the goal words from the start
pointer to the end pointer), ``type "Wang Fang"`` (text that is not in the goal), ``swipe
down`` / ``swipe up`` (scroll the element pointed at; the ``screen:`` line stands for the whole
screen), ``launch Shop``, ``back``, ``home``, ``wait`` and ``finish``. Joined with their
pointers they become the full answers this module reads and writes: ``tap [3]``, ``type 2 3``,
``swipe [7] down``, element numbers counting the screen lines from 1 and goal words from 0.

The goal is written twice: plainly at the top, so that each element line is read knowing the
goal, and word by word at the end, so that each word is read knowing the screen (which field
is focused decides which words to type). Attention only looks back.

Screen lines: ``*`` clickable, ``^`` focused, ``#`` scrollable, ``+`` checked or selected,
``!`` disabled; ``~N`` says that N of the goal's words appear in the line's text (the
model still decides which element matters), with dates, times, weekdays and counts matched in
one spelling whichever way each side writes them (:func:`match_keys`). A calendar's day cell
shows only its day but describes its whole date: in a month the goal does not name, its day
alone is no match (v5; v4 marked June's 14 and July's alike). An English "a" or "an" in the goal
counts as one, as "一件" does, so a quantity stepper showing 1 is marked (v7, :func:`goal_keys`);
"x3", "3x" and "×3" in the goal count three, the "a" of a set phrase ("thanks a lot") nothing, and
"now" and "you" are no shared words ("I'll pay now" marked "Buy now") (v8). A rating or a price ("★ 4.3",
"¥44.00") is one number, not the words "4" and "3" that marked a restaurant as the goal's "3 guests" (v9). A button
that shows one symbol ("−", "+") also shows the labels beside it, so a stepper's buttons read "+ (Guests 人数 2)" and
carry the count's mark themselves (v10). A stepper in a row about people ("Adults 成人", "Guests 人数") also says
which way the goal's party lies from the count it shows: "+ (Guests 人数 2) up" when the goal is for more, "down"
when for fewer, "=" when the count is the goal's (v11, :func:`goal_party`); a small model copied the usual presses
instead of comparing two numbers. A clickable element
with no text of its own (a list row) shows the text inside it, since the row is what a tap must
point at and its line comes before its children's. The status bar, the navigation bar and the single-letter keys
of the on-screen keyboard are left out: the agent types with ``type``.

Nothing here depends on the date or on the device, so training prompts and inference prompts
are the same text for the same screen. :data:`FORMAT` names this layout in a checkpoint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autoagent.actions import Action, Back, Finish, Home, Launch, RelativePoint, Swipe, Tap, Type, Wait
from autoagent.geometry import to_pixels, to_relative
from autoagent.perception.tree import ScreenTree, UINode

FORMAT = "autoagent-compact-v11"
# The layouts a checkpoint may name, each read as it was trained: v9's lines lack a one-symbol
# button's row labels, v10's a people stepper's direction mark.
V9 = "autoagent-compact-v9"
V10 = "autoagent-compact-v10"
FORMATS = (V9, V10, FORMAT)
# The tokens whose logits score the pointers: an element or a span's first word, a span's last word.
PICK = "<|pick|>"
PICK_END = "<|pick_end|>"
POINTER_TOKENS = (PICK, PICK_END)
MAX_ELEMENTS = 90
MAX_LABEL = 48
HISTORY_TURNS = 4
# Apps the policy launches by name; Launch resolves them on the emulator and on phones.
APP_NAMES = ("Shop", "Travel", "Restaurant", "Contacts", "Messages", "Settings")
_APP_ALIASES = {"商城": "Shop", "旅行": "Travel", "餐厅": "Restaurant", "联系人": "Contacts", "短信": "Messages",
                "设置": "Settings"}

# A Latin word keeps its inner apostrophes, dots and hyphens ("don't", "t-shirt", "3.5"), but a
# possessive or "'s" contraction is a word of its own (v6): in "lucas wang's number" the name is
# the span "lucas wang", which a glued "wang's" left no way to copy.
_UNIT = re.compile(r"[A-Za-z0-9]+(?:(?!['’][sS]\b)['’.\-][A-Za-z0-9]+)*|['’][sS]\b|[\u3400-\u9fff]|\S")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
# Words too common to say anything about an element.
_STOPWORDS = frozenset("a an the in on at to of for and or my me it i is be app please with from by now you".split())
_SKIPPED_PACKAGES = ("com.android.systemui",)


class CompactError(ValueError):
    """An answer that does not name anything on this screen or in this goal."""


# ---------------------------------------------------------------------------- the goal


def goal_units(goal: str) -> list[tuple[int, int]]:
    """Character spans of the goal's words (a Latin word, a number or one CJK character)."""
    return [m.span() for m in _UNIT.finditer(goal)]


def goal_words(goal: str) -> str:
    """The goal word by word, one space between words: the line the span pointers read."""
    return " ".join(goal[a:b] for a, b in goal_units(goal))


def goal_span(goal: str, text: str) -> tuple[int, int] | None:
    """The first and last goal word that spell ``text`` (case aside), if the goal holds it."""
    if not text.strip():
        return None
    units = goal_units(goal)
    lowered, wanted = goal.lower(), text.lower()
    start = lowered.find(wanted)
    while start >= 0:
        span = _words_between(units, start, start + len(wanted))
        if span is not None:
            return span
        start = lowered.find(wanted, start + 1)
    return None


def _words_between(units: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """The first and last goal word of the characters ``start:end``, if both ends fall on word edges."""
    first = next((i for i, (a, _) in enumerate(units) if a == start), None)
    last = next((i for i, (_, b) in enumerate(units) if b == end), None)
    return None if first is None or last is None else (first, last)


def match_keys(text: str) -> set[str]:
    """What two texts must share to count as the same words: Latin words (a plural counts as
    its singular), CJK pairs, and dates, times, weekdays and counts in one spelling each.

    A date is ``month/day`` (plus its day alone, which is what a calendar's cell shows), a time
    ``hour:minute``, a weekday its first three letters and a count its digits, however the text
    wrote them: "Saturday, June 14" and "6月14日" both give ``sat``/``6/14``/``14``, as does the
    screen's "Sat 6/14". Their parts are not keys of their own: the month in "6/14" or the
    minutes in "17:00" would tie a date or a time to every other one sharing a number.
    """
    lowered = text.lower()
    keys: set[str] = set()

    def take(pattern: re.Pattern[str], key) -> None:
        nonlocal lowered
        for found in pattern.finditer(lowered):
            keys.update(key(found))
        lowered = pattern.sub(" ", lowered)

    take(_TIME, lambda m: {f"{int(m[1])}:{m[2]}"})
    take(_DECIMAL, lambda m: {m[0]})
    take(_DATE_NUMERIC, lambda m: _date_keys(int(m[1]), int(m[2])))
    take(_DATE_ZH, lambda m: _date_keys(int(m[1]), int(m[2])))
    take(_DATE_EN, lambda m: _date_keys(_MONTHS[m[1][:3]], int(m[2])))
    take(_WEEKDAY_EN, lambda m: {m[1][:3]})
    take(_WEEKDAY_ZH, lambda m: {_WEEKDAYS_ZH[m[1]]})
    take(_COUNT_ZH, lambda m: {str(_NUMERALS_ZH.get(m[1]) or m[1])})
    for word in _ASCII_WORD.findall(lowered):
        word = _NUMBER_WORDS.get(word, word)
        if word in _STOPWORDS:
            continue
        keys.add(word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word)
    for run in _CJK_RUN.findall(lowered):
        keys.update(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return keys


def goal_keys(goal: str) -> set[str]:
    """The goal's match keys. An English "a" or "an" also counts as one ("buy a white t-shirt"
    asks for one, as "买一件白色T恤" does), so a quantity stepper showing 1 is marked as the goal's
    count, except in a set phrase ("thanks a lot"); so does a Chinese request to buy that names no
    number ("我想买黑色的无线耳机": Chinese has no article to say "a"). "x3", "3x" and "×3" count
    three. Only the goal is read so, since a screen's "Add a note" counts nothing and a receipt's
    "x3" is a line."""
    keys = match_keys(goal)
    lowered = goal.lower()
    if _ONE_EN.search(lowered) or (_BUY_ZH.search(goal) and not any(key.isdigit() for key in keys)):
        keys.add("1")
    keys.update(found[1] or found[2] for found in _TIMES_COUNT.finditer(lowered))
    return keys


def goal_party(goal: str) -> int | None:
    """How many people the goal is for: its one small number once dates, times, prices and
    ratings are set aside ("table for 4 at 19:00 on June 14", "2位成人，2025年6月20日入住"); failing
    a digit, one number word ("for two") or one Chinese numeral before 位, 人 or 名 ("两位成人").
    None when the goal names no such number or several: a direction read from a wrong number
    would push the count the wrong way, and no mark leaves the model to read the goal itself."""
    lowered = goal.lower()
    for pattern in (_TIME, _DECIMAL, _DATE_NUMERIC, _DATE_ZH, _DATE_EN, _DAY_ZH):
        lowered = pattern.sub(" ", lowered)
    found = {int(number) for number in _SMALL_NUMBER.findall(lowered)} - {0}
    if not found:
        found = {int(_NUMBER_WORDS[word]) for word in _ASCII_WORD.findall(lowered) if word in _NUMBER_WORDS}
    if not found:
        found = {_NUMERALS_ZH[numeral] for numeral in _PEOPLE_ZH.findall(goal)}
    return found.pop() if len(found) == 1 else None


def direction_mark(shown: str, party: int | None) -> str:
    """`` up``, `` down`` or `` =`` after a people stepper's button: where the goal's party
    lies from the count the button's row shows (v11). Other lines get nothing."""
    stepper = _STEPPER_LINE.match(shown)
    if party is None or stepper is None or not _PEOPLE_ROW.search(stepper[1]):
        return ""
    count = int(stepper[2])
    return " up" if party > count else " down" if party < count else " ="


def _date_keys(month: int, day: int) -> set[str]:
    return {f"{month}/{day}", str(day)} if 1 <= month <= 12 and 1 <= day <= 31 else set()


_MONTHS = {name: number for number, name in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
# A rating or a price ("★ 4.3", "¥44.00") is one number: its digits alone would mark a restaurant
# as the goal's "3 guests" (v9).
_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
_DATE_NUMERIC = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
_DATE_ZH = re.compile(r"(?:\d{4}年)?(\d{1,2})月(\d{1,2})[日号]?")
_DATE_EN = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_WEEKDAY_EN = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rsday|urday)?\b")
_WEEKDAYS_ZH = {"一": "mon", "二": "tue", "三": "wed", "四": "thu", "五": "fri", "六": "sat", "日": "sun", "天": "sun"}
_WEEKDAY_ZH = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_NUMERALS_ZH = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# A Chinese count is a numeral before a measure word ("两件", "3份"); a bare 一 is too often
# part of a word ("一下") to mean one.
_COUNT_ZH = re.compile(r"([一两二三四五六七八九十]|\d+)(?=[件份位个间张杯碗人晚])")
# Not in a set phrase ("thanks a lot", "when you get a chance", "do me a favor"), where "a" counts nothing.
_ONE_EN = re.compile(r"\b(?:a|an)\b(?!\s+(?:lot|chance|favou?r|dear|moment|bit|sec|second|minute|while|hand)\b)")
_BUY_ZH = re.compile(r"(?:^|想|要|帮我|给我|替我|请|去)买|购买|下单")  # a request to buy, not a message saying "买牛奶"
# "x3", "3x" and "×3" ask for three, as a menu or a receipt writes a quantity.
_TIMES_COUNT = re.compile(r"(?<![a-z0-9])(?:[x×]\s?(\d{1,2})|(\d{1,2})\s?[x×])(?![a-z0-9])")
# A party is a handful of people: a larger number is a price, a year or a phone number's end.
_SMALL_NUMBER = re.compile(r"(?<![\d:/])(\d{1,2})(?![\d:/])")
_DAY_ZH = re.compile(r"\d{1,2}[日号]")  # a day whose month went before: "6月15日至16日"
_PEOPLE_ZH = re.compile(r"([一两二三四五六七八九十])(?=个?[位人名])")
# A one-symbol button's line as v10 shows it, "+ (Guests 人数 2)": its row's labels and the count.
_STEPPER_LINE = re.compile(r"^[−+\-] \((.*) (\d+)\)$")
_PEOPLE_ROW = re.compile(r"adult|guest|people|person|party|成人|人数|客人", re.I)
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10"}


# ---------------------------------------------------------------------------- the screen


def _is_keyboard_letter(node: UINode) -> bool:
    # An input method's one-character keys: the agent types with Type, so they are noise.
    return (".ime" in node.package or "inputmethod" in node.package) and len(node.label.strip()) <= 1


def _on_screen(node: UINode, size: tuple[int, int]) -> bool:
    left, top, right, bottom = node.bounds
    return right > max(0, left) and bottom > max(0, top) and left < size[0] and top < size[1]


def screen_elements(nodes: list[UINode], size: tuple[int, int],
                    layout: str = FORMAT) -> tuple[list[UINode], list[str]]:
    """The nodes the model sees, in document order (labelled, clickable or scrollable, on
    screen), and the text each line shows.

    A clickable element without text of its own shows the text inside it; a plain label that
    only repeats what an enclosing clickable element already shows is left out (the launcher's
    icon caption, a list row's name): the tap points at the clickable one either way, and the
    prompt stays short."""
    visible = [n for n in nodes if (n.label or n.clickable or n.scrollable) and _on_screen(n, size)
               and n.package not in _SKIPPED_PACKAGES and not _is_keyboard_letter(n)]
    kept: list[UINode] = []
    texts: list[str] = []
    for index, node in enumerate(visible):
        text = node.label
        if node.clickable and not text:
            text = " | ".join(later.label for later in visible[index + 1:index + 12]
                              if later.label and _inside(node, later))
        elif node.clickable and _is_symbol(text) and layout != V9:
            text = _with_row(node, text, visible[max(0, index - 6):index + 7])
        if not node.clickable and not node.scrollable and text and any(
                holder.clickable and _inside(holder, node) and text in held
                for holder, held in zip(kept[-12:], texts[-12:])):
            continue
        kept.append(node)
        texts.append(text)
        if len(kept) == MAX_ELEMENTS:
            break
    return kept, texts


def _is_symbol(text: str) -> bool:
    text = text.strip()
    return len(text) == 1 and not text.isalnum()


def _with_row(button: UINode, text: str, near: list[UINode]) -> str:
    """A one-symbol button ("−", "+") with the labels beside it in its row: a stepper's "+" then
    reads "+ (Guests 人数 2)", so its own line shows the count it changes and whether that count
    is the goal's (v10). Its row's value line comes after both buttons, and a line is scored
    before the lines below it are read."""
    beside = [other.label for other in near if other.parent == button.parent and other is not button
              and other.label and not other.clickable and not _is_symbol(other.label)]
    return f"{text} ({' '.join(beside)})" if beside else text


def _inside(outer: UINode, inner: UINode) -> bool:
    left, top, right, bottom = outer.bounds
    x0, y0, x1, y1 = inner.bounds
    return left <= x0 and top <= y0 and x1 <= right and y1 <= bottom


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def render_element(node: UINode, text: str, goal_keys: set[str], party: int | None = None) -> str:
    flags = "".join(("*" if node.clickable else "", "^" if node.focused else "", "#" if node.scrollable else "",
                     "+" if node.checked or node.selected else "", "!" if not node.enabled else ""))
    return element_line(node.cls.rsplit(".", 1)[-1] + flags, _clip(text), _keys_for_day(node, goal_keys), party)


_ISO_DATE = re.compile(r"(?<![\d-])\d{4}-(\d{1,2})-(\d{1,2})(?![\d-])")


def _keys_for_day(node: UINode, goal_keys: set[str]) -> set[str]:
    """The goal's keys a line may match. A calendar's day cell shows "14" and describes itself
    as "2025-06-14": its day is the goal's "July 14" only in July, so in another month the day
    alone is no match (June's 14 and July's would otherwise carry the same mark)."""
    if not (node.text and node.desc):
        return goal_keys
    days = {(int(m[1]), int(m[2])) for m in _ISO_DATE.finditer(node.desc)}
    if not days or any(f"{month}/{day}" in goal_keys for month, day in days):
        return goal_keys
    return goal_keys - {str(day) for _, day in days}


def element_line(head: str, shown: str, goal_keys: set[str], party: int | None = None) -> str:
    """One element's line: its class and flags, the text it shows, a people stepper's
    direction (:func:`direction_mark`; ``party`` None for none), its match mark."""
    return f"{head} {shown}{direction_mark(shown, party)}{match_mark(shown, goal_keys)}".rstrip()


def match_mark(shown: str, goal_keys: set[str]) -> str:
    """`` ~N`` when N of the goal's keys appear in what a line shows (counted on the shown text,
    so that a prompt's marks can be recomputed from the prompt alone; a day cell's goal keys
    come from :func:`_keys_for_day`, which reads its description)."""
    shared = len(match_keys(shown) & goal_keys) if shown else 0
    return f" ~{min(shared, 9)}" if shared else ""


@dataclass(frozen=True)
class Screen:
    """One observation as the compact policy sees it."""

    goal: str
    elements: list[UINode]
    texts: list[str]  # what each element's line shows
    size: tuple[int, int]
    layout: str = FORMAT  # the prompt layout its lines are rendered in

    @classmethod
    def read(cls, goal: str, hierarchy: str | None, size: tuple[int, int], layout: str = FORMAT) -> Screen:
        """The screen of a recorded hierarchy (training rows keep only the XML)."""
        return cls.of(goal, ScreenTree.from_xml(hierarchy) if hierarchy else None, size, layout)

    @classmethod
    def of(cls, goal: str, tree: ScreenTree | None, size: tuple[int, int], layout: str = FORMAT) -> Screen:
        """The screen of an observation's tree, as a checkpoint of ``layout`` reads it."""
        if layout not in FORMATS:
            raise CompactError(f"unknown prompt layout {layout!r}; this version knows {', '.join(FORMATS)}")
        elements, texts = screen_elements(tree.nodes if tree else [], size, layout)
        return cls(goal=goal, elements=elements, texts=texts, size=size, layout=layout)

    def element(self, number: int) -> UINode:
        if not 1 <= number <= len(self.elements):
            raise CompactError(f"element {number} is not on this screen (1-{len(self.elements)})")
        return self.elements[number - 1]


def render_screen(screen: Screen) -> list[str]:
    """The element lines of the prompt: what the model sees of the screen, one line an element."""
    keys, party = goal_keys(screen.goal), _party_for(screen.goal, screen.layout)
    return [render_element(node, text, keys, party) for node, text in zip(screen.elements, screen.texts)]


def _party_for(goal: str, layout: str) -> int | None:
    """The party size that people steppers' directions compare with: none before v11."""
    return None if layout in (V9, V10) else goal_party(goal)


def build_prompt(screen: Screen, app: str | None, step: int, done: list[str]) -> str:
    lines = [f"goal: {' '.join(screen.goal.split())}",
             f"app: {(app or 'unknown').rsplit('.', 1)[-1]}",
             f"step: {step}",
             f"done: {' | '.join(done[-HISTORY_TURNS:]) or '-'}",
             "screen:",
             *render_screen(screen),
             f"words: {goal_words(screen.goal)}"]
    return "\n".join(lines)


_MARK = re.compile(r" ~\d$")
# A stepper line as render_screen writes it: its head ("Button*"), the stepper itself, the direction word.
_DIRECTION = re.compile(r"^(\S+ " + _STEPPER_LINE.pattern.strip("^$") + r") (?:up|down|=)$")


def _unmarked(line: str) -> str:
    """An element line without its match mark and, on a stepper's line, its direction ("Sign up" keeps its word)."""
    return _DIRECTION.sub(r"\1", _MARK.sub("", line))


def _screen_header(lines: list[str]) -> int:
    """Where a prompt's element lines begin: after its ``screen:`` line (they end before the words line)."""
    try:
        return lines.index("screen:")
    except ValueError:
        raise CompactError("the prompt has no screen: line: not an autoagent-compact prompt") from None


def element_lines(prompt: str) -> list[str]:
    """A compact prompt's element lines as the model reads them, match marks included."""
    lines = prompt.split("\n")
    return lines[_screen_header(lines) + 1:-1]


def upgrade_row(prompt: str, target: str) -> tuple[str, str]:
    """A stored row (prompt and answer) of an earlier layout in this one: the match marks
    recomputed (:func:`remark_prompt`), the words line split as :func:`goal_words` splits it
    now, a span answer pointing at the same characters of the goal, and a quoted ``type`` whose
    text has become a span of the goal's words answered as that span, as
    :func:`encode_action` answers it today."""
    lines = remark_prompt(prompt).split("\n")
    goal = lines[0].removeprefix("goal: ")
    old_words = lines[-1].removeprefix("words: ").split(" ")
    lines[-1] = f"words: {goal_words(goal)}"
    pointed = split_answer(target)
    if pointed.span is not None:
        span = _words_between(goal_units(goal), *_old_span_chars(goal, old_words, pointed.span))
        if span is None:
            raise CompactError(f"the answer {target!r} points inside a goal word of this layout")
        target = join_answer(Pointed("type", span=span))
    elif pointed.reply.startswith('type "'):
        span = goal_span(goal, _unquote(pointed.reply.removeprefix("type ")))
        if span is not None:
            target = join_answer(Pointed("type", span=span))
    return "\n".join(lines), target


def _old_span_chars(goal: str, words: list[str], span: tuple[int, int]) -> tuple[int, int]:
    """Where the words ``span`` of a stored words line lie in the goal: each word is found after
    the one before it, as the layout that wrote the line cut them."""
    at, places = 0, []
    for word in words:
        at = goal.index(word, at)
        places.append((at, at + len(word)))
        at += len(word)
    return places[span[0]][0], places[span[1]][1]


def remark_prompt(prompt: str, layout: str = FORMAT) -> str:
    """A prompt of an earlier layout with its element lines' match marks and stepper directions
    recomputed for ``layout``: what differs between layouts that only changed how goal and
    screen words are matched. A prompt keeps no descriptions, so calendar days of months the
    goal does not name keep their v4 mark; rows of date pickers are best collected again
    (``autoagent demos``)."""
    lines = prompt.split("\n")
    header = _screen_header(lines)
    goal = lines[0].removeprefix("goal: ")
    keys, party = goal_keys(goal), _party_for(goal, layout)
    for number in range(header + 1, len(lines) - 1):
        head, _, shown = _unmarked(lines[number]).partition(" ")
        lines[number] = element_line(head, shown, keys, party)
    return "\n".join(lines)


@dataclass(frozen=True)
class PointerPlaces:
    """Where in a prompt's text the pointers are read (character offsets)."""

    elements: list[int]  # the newline ending "screen:" (element 0, the whole screen), then each element line's
    words: list[int]  # the last character of each goal word on the words line


def pointer_places(prompt: str) -> PointerPlaces:
    """The pointer positions of a prompt built by :func:`build_prompt`."""
    lines = prompt.split("\n")
    header = _screen_header(lines)
    if not lines[-1].startswith("words: "):
        raise CompactError("the prompt has no words line: not an autoagent-compact prompt")
    ends, at = [], 0
    for number, line in enumerate(lines[:-1]):
        at += len(line)
        if number >= header:
            ends.append(at)  # the newline after this line
        at += 1
    words, start = [], at + len("words: ")
    for part in lines[-1][len("words: "):].split(" "):
        if part:
            words.append(start + len(part) - 1)
        start += len(part) + 1
    return PointerPlaces(elements=ends, words=words)


# ---------------------------------------------------------------------------- answers


def _scroll_points(bounds: tuple[int, int, int, int], down: bool) -> tuple[tuple[int, int], tuple[int, int]]:
    # A drag over the middle half of the list: from 3/4 up to 1/4 reveals what is below.
    left, top, right, bottom = bounds
    x = (left + right) // 2
    high, low = top + (bottom - top) // 4, top + (bottom - top) * 3 // 4
    return ((x, low), (x, high)) if down else ((x, high), (x, low))


def _full_screen(size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    return (0, height // 5, width, height * 4 // 5)


def _app_name(app: str) -> str | None:
    wanted = app.strip()
    for name in APP_NAMES:
        if wanted.lower() == name.lower():
            return name
    return _APP_ALIASES.get(wanted)


def encode_action(action: Action, screen: Screen) -> str | None:
    """The answer that means ``action`` on this screen; None when the format cannot say it."""
    if isinstance(action, Tap):
        number = _element_at(screen, action.element)
        return None if number is None else f"tap [{number}]"
    if isinstance(action, Type):
        span = goal_span(screen.goal, action.text)
        if span is not None:
            return f"type {span[0]} {span[1]}"
        return f"type {_quote(action.text)}" if "\n" not in action.text else None
    if isinstance(action, Swipe):
        return _encode_swipe(action, screen)
    if isinstance(action, Launch):
        name = _app_name(action.app)
        return None if name is None else f"launch {name}"
    if isinstance(action, Back):
        return "back"
    if isinstance(action, Home):
        return "home"
    if isinstance(action, Wait):
        return "wait"
    if isinstance(action, Finish):
        return "finish"
    return None


def _element_at(screen: Screen, point: RelativePoint) -> int | None:
    # A toast takes no touches, and where a list's centre is also a row's centre the finger
    # hits the row: the smallest element is the one a tap means.
    touchable = [(number, node) for number, node in enumerate(screen.elements, 1) if node.takes_touches]
    centred = [(node_area(n), i) for i, n in touchable if to_relative(n.center, screen.size) == point]
    if centred:
        return min(centred)[1]
    # Not a centre: the smallest listed element under the point is what the finger hits.
    x, y = to_pixels(point, screen.size)
    under = [(node_area(n), i) for i, n in touchable if n.contains(x, y)]
    return min(under)[1] if under else None


def node_area(node: UINode) -> int:
    left, top, right, bottom = node.bounds
    return (right - left) * (bottom - top)


def _encode_swipe(action: Swipe, screen: Screen) -> str | None:
    down = action.end.y < action.start.y
    if action.start.x != action.end.x:
        return None  # the format scrolls lists; sideways swipes have no answer
    direction = "down" if down else "up"
    for number, node in enumerate(screen.elements, 1):
        start, end = _scroll_points(node.bounds, down)
        if (to_relative(start, screen.size), to_relative(end, screen.size)) == (action.start, action.end):
            return f"swipe [{number}] {direction}"
    start, end = _scroll_points(_full_screen(screen.size), down)
    if (to_relative(start, screen.size), to_relative(end, screen.size)) == (action.start, action.end):
        return f"swipe [0] {direction}"
    return None


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(text: str) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise CompactError(f"typed text must be quoted: {text!r}")
    return re.sub(r"\\(.)", r"\1", text[1:-1])


_ANSWER = re.compile(r"^(?P<verb>tap|type|swipe|launch|back|home|wait|finish)\b\s*(?P<rest>.*)$", re.S)


def decode_answer(answer: str, screen: Screen) -> Action:
    """The AutoGLM action an answer names on this screen; CompactError if it names nothing."""
    match = _ANSWER.match(answer.strip())
    if match is None:
        raise CompactError(f"not an answer: {answer.strip()[:60]!r}")
    verb, rest = match["verb"], match["rest"].strip()
    size = screen.size
    if verb == "tap":
        return Tap(element=to_relative(screen.element(_element_number(rest)).center, size))
    if verb == "type":
        if rest.startswith('"'):
            return Type(text=_unquote(rest))
        first, last = (_number(part) for part in _two(rest))
        units = goal_units(screen.goal)
        if not 0 <= first <= last < len(units):
            raise CompactError(f"goal words {first}-{last} do not exist (0-{len(units) - 1})")
        return Type(text=screen.goal[units[first][0]:units[last][1]])
    if verb == "swipe":
        target, direction = _two(rest)
        if direction not in ("up", "down"):
            raise CompactError(f"swipe direction must be up or down, not {direction!r}")
        number = _element_number(target)
        bounds = _full_screen(size) if number == 0 else screen.element(number).bounds
        start, end = _scroll_points(bounds, direction == "down")
        return Swipe(start=to_relative(start, size), end=to_relative(end, size))
    if verb == "launch":
        name = _app_name(rest)
        if name is None:
            raise CompactError(f"unknown app {rest!r}: one of {', '.join(APP_NAMES)}")
        return Launch(app=name)
    if rest:
        raise CompactError(f"{verb} takes nothing after it, got {rest[:30]!r}")
    return {"back": Back, "home": Home, "wait": lambda: Wait(seconds=2), "finish": lambda: Finish(message="Done.")}[verb]()


def _number(text: str) -> int:
    if not text.isdigit():
        raise CompactError(f"expected a number, got {text[:20]!r}")
    return int(text)


def _element_number(text: str) -> int:
    if not (text.startswith("[") and text.endswith("]")):
        raise CompactError(f"expected an element like [12], got {text[:20]!r}")
    return _number(text[1:-1])


def _two(text: str) -> tuple[str, str]:
    parts = text.split()
    if len(parts) != 2:
        raise CompactError(f"expected two values, got {text[:30]!r}")
    return parts[0], parts[1]


def summarize(answer: str, screen: Screen) -> str:
    """How an earlier step reads in ``done:``: what was tapped or typed, not where."""
    action = decode_answer(answer, screen)
    if isinstance(action, Tap):
        number = _element_number(answer.split()[1])
        screen.element(number)
        return f"tap {_quote(_clip(screen.texts[number - 1])[:24])}"
    if isinstance(action, Type):
        return f"type {_quote(action.text[:24])}"
    if isinstance(action, Swipe):
        return "swipe " + answer.split()[-1]
    return answer.strip()


# ---------------------------------------------------------------------------- replies and pointers


@dataclass(frozen=True)
class Pointed:
    """An answer as the model produces it: the reply it writes and what its pointers chose."""

    reply: str  # "tap", "type", "swipe down", 'type "text"', "launch Shop", "back"...
    element: int | None = None  # tap and swipe: 1.. the element lines, 0 the whole screen
    span: tuple[int, int] | None = None  # type: first and last goal word


def split_answer(answer: str) -> Pointed:
    """``tap [3]`` -> reply ``tap`` pointing at element 3; answers without a target stay whole."""
    parts = answer.strip().split()
    if not parts:
        raise CompactError("empty answer")
    verb = parts[0]
    if verb == "tap" and len(parts) == 2:
        return Pointed("tap", element=_element_number(parts[1]))
    if verb == "swipe" and len(parts) == 3:
        return Pointed(f"swipe {parts[2]}", element=_element_number(parts[1]))
    if verb == "type" and len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return Pointed("type", span=(int(parts[1]), int(parts[2])))
    return Pointed(answer.strip())


def join_answer(pointed: Pointed) -> str:
    """The full answer: the reply with its pointers written in (the inverse of split_answer)."""
    reply = pointed.reply.strip()
    if reply == "tap" and pointed.element is not None:
        return f"tap [{pointed.element}]"
    if reply in ("swipe down", "swipe up") and pointed.element is not None:
        return f"swipe [{pointed.element}] {reply.split()[1]}"
    if reply == "type" and pointed.span is not None:
        return f"type {pointed.span[0]} {pointed.span[1]}"
    return reply


ELEMENT_REPLIES = ("tap", "swipe down", "swipe up")


def needs_element(reply: str) -> bool:
    return reply.strip() in ELEMENT_REPLIES


def element_flags(prompt: str) -> list[str]:
    """Each pointer target's flags (``*`` clickable, ``#`` scrollable...), in pointer order:
    element 0, the whole screen, is scrollable and nothing else."""
    heads = (line.partition(" ")[0] for line in element_lines(prompt))
    return ["#", *(head[len(head.rstrip("*^#+!")):] for head in heads)]


def takes(reply: str, flags: str) -> bool:
    """Whether an element reply can act on an element with these flags: every tap of the
    demonstrations lands on a clickable element and every swipe on a scrollable one."""
    reply = reply.strip()
    if reply == "tap":
        return "*" in flags
    return needs_element(reply) and "#" in flags


def needs_span(reply: str) -> bool:
    return reply.strip() == "type"
