"""Tasks that need a little reasoning, several screens, or what the hierarchy leaves out."""

from __future__ import annotations

import functools
import re

from autoagent.actions import Action, DoubleTap, Type, Wait
from autoagent.perception.tree import UINode

from ..policy import Solver
from ..screen import Screen, Unsolvable

PAGER = re.compile(r"\d+|<|>|«|»|First|Last|Prev|Next", re.IGNORECASE)


def _ordinal(text: str) -> int:
    match = re.search(r"(\d+)(st|nd|rd|th)", text)
    if match is None:
        raise Unsolvable(f"no ordinal in {text!r}")
    return int(match.group(1))


def search_engine(s: Screen) -> Action | None:
    """Search for the name, then open the n-th result: three results per page."""
    name = s.quoted()[0]
    n = _ordinal(s.utterance.split("click the", 1)[-1])
    box = s.need(resource_id="search-text")
    if not s.memory.get("searched"):
        step = s.fill(box, name)
        if step is not None:
            return step
        s.memory["searched"] = True
        return s.tap(s.button("Search"))
    page = (n - 1) // 3 + 1
    pager = [x for x in s.nodes if x.clickable and PAGER.fullmatch(x.text) and x.bounds[1] > box.bounds[3]]
    results = [x for x in s.nodes if x.clickable and x.text and x not in pager and x.bounds[1] > box.bounds[3]
               and x.resource_id not in ("search", "search-text")]
    if s.memory.get("page", 1) != page:
        target = [x for x in pager if x.text == str(page)]
        if not target:
            raise Unsolvable(f"no page {page} in the pager")
        s.memory["page"] = page
        return s.tap(target[0])
    if len(results) < 3:
        raise Unsolvable(f"{len(results)} results shown, expected 3")
    results.sort(key=lambda x: x.bounds[1])
    return s.tap(results[(n - 1) % 3])


def phone_book(s: Screen) -> Action | None:
    """'Find Eadith in the contact book and click on their email.': page until the name shows."""
    match = re.search(r"Find (.+?) in the contact book and click on their (\w+)", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read {s.utterance!r}")
    person, prop = match.group(1), match.group(2)
    name = [x for x in s.texts() if x.text == person and x.resource_id != "query"]
    if not name:
        turns = s.memory.get("turns", 0)
        if turns > 12:
            raise Unsolvable(f"{person!r} is on no page")
        s.memory["turns"] = turns + 1
        return s.tap(next(x for x in s.nodes if x.clickable and x.text == ">"))
    label = {"phone": "Phone:", "email": "Email:", "address": "Address:"}[prop]
    key = next(x for x in s.texts() if x.text == label and x.bounds[1] > name[0].bounds[1])
    # Top-aligned: a long address wraps onto a second line.
    # On the label's line and reaching past it: a long address wraps, and its box then starts
    # at the line's left edge, under the label.
    value = [x for x in s.texts() if x.clickable and x.bounds[2] > key.bounds[2]
             and x.bounds[1] <= key.center[1] <= x.bounds[3]]
    return s.tap(value[0])


def guess_number(s: Screen) -> Action | None:
    """Bisect 0-9 on the page's 'higher'/'lower' feedback. A wrong guess stays in the field:
    a double tap selects it, so the next guess replaces it."""
    lo, hi = s.memory.setdefault("range", [0, 9])
    field = s.need(resource_id="tt")
    feedback = " ".join(x.text for x in s.texts() if x.resource_id != "query").lower()
    last = s.memory.get("guess")
    if last is not None and s.memory.get("phase") == "submitted":
        if "higher" in feedback:
            lo = last + 1
        elif "lower" in feedback:
            hi = last - 1
        s.memory["range"] = [lo, hi]
        s.memory["phase"] = "read"
    phase = s.memory.get("phase", "read")
    if phase == "read":
        if not field.focused:
            return s.tap(field)
        s.memory["phase"] = "select" if field.text else "type"
        if field.text:
            return DoubleTap(element=s.tap(field).element)
        phase = "type"
    if phase == "select":
        s.memory["phase"] = "type"
        phase = "type"
    if phase == "type":
        guess = (lo + hi) // 2
        s.memory["guess"] = guess
        s.memory["phase"] = "typed"
        return Type(text=str(guess))
    if phase == "typed":
        if field.text != str(s.memory["guess"]):
            raise Unsolvable(f"the field shows {field.text!r} after typing {s.memory['guess']}")
        s.memory["phase"] = "submitted"
        return s.tap(s.button("Submit"))
    return None


def grid_coordinate(s: Screen) -> Action | None:
    """'Click on the grid coordinate (1,-2).': the axis labels give each unit's position."""
    match = re.search(r"\((-?\d+),\s*(-?\d+)\)", s.utterance)
    if match is None:
        raise Unsolvable(f"no coordinate in {s.utterance!r}")
    x, y = int(match.group(1)), int(match.group(2))
    xs = {int(n.text): n.center[0] for n in s.nodes if n.resource_id.startswith("x-") and re.fullmatch(r"-?\d+", n.text)}
    ys = {int(n.text): n.center[1] for n in s.nodes if n.resource_id.startswith("y-") and re.fullmatch(r"-?\d+", n.text)}
    if len(xs) < 2 or len(ys) < 2:
        raise Unsolvable("the grid's axis labels are not in the hierarchy")
    return s.tap_at(_axis(xs, x), _axis(ys, y))


def _axis(ticks: dict[int, float], value: int) -> float:
    """The pixel of ``value`` on an axis known from its labelled ticks (a straight line)."""
    (a, pa), (b, pb) = min(ticks.items()), max(ticks.items())
    return pa + (value - a) * (pb - pa) / (b - a)


def use_spinner(s: Screen) -> Action | None:
    """'Select 5 with the spinner': the two unlabelled buttons beside the field step it up (top) and down."""
    target = int(re.search(r"Select (-?\d+)", s.utterance).group(1))  # type: ignore[union-attr]
    field = s.need(resource_id="spinner")
    value = int(field.text or 0)
    if value == target:
        return s.tap(s.button("Submit"))
    arrows = sorted((b for b in s.of_class("Button") if not b.text and not b.desc), key=lambda b: b.bounds[1])
    if len(arrows) != 2:
        raise Unsolvable("the spinner's arrows are not in the hierarchy")
    return s.tap(arrows[0] if value < target else arrows[1])


FOLDER_YELLOW = (255, 226, 158)  # the tree's folder icon; a file's icon is white and grey


def navigate_tree(s: Screen) -> Action | None:
    """Open folders until the name shows, then tap it. The hierarchy has each row and its name
    but not its icon nor its expander, so the screenshot tells a folder (a yellow icon left of
    the name) from a file; its expander is the box left of the icon."""
    name = s.quoted()[0]
    shown = [x for x in s.texts() if x.text == name and x.resource_id != "query"]
    if shown:
        return s.tap(shown[0])
    opened: list[str] = s.memory.setdefault("opened", [])
    for row in s.nodes:
        label = next((c for c in s.children(row) if c.text), None) if row.clickable else None
        if label is None or label.text in opened or not _has_folder_icon(s, label):
            continue
        opened.append(label.text)
        return s.tap_at((row.bounds[0] + label.bounds[0]) / 2, label.center[1])
    raise Unsolvable(f"{name!r} is in no folder")


def _has_folder_icon(s: Screen, label) -> bool:
    """Whether the icon at the left of ``label`` (a square as tall as the row) is a folder's."""
    left, top, _, bottom = label.bounds
    image = s.observation.screenshot.convert("RGB")
    for x in range(left, left + max(2, bottom - top)):
        for y in range(top, bottom):
            r, g, b = image.getpixel((x, y))
            if abs(r - FOLDER_YELLOW[0]) < 24 and abs(g - FOLDER_YELLOW[1]) < 32 and abs(b - FOLDER_YELLOW[2]) < 48:
                return True
    return False


def scroll_text(s: Screen) -> Action | None:
    """'Find the last word in the text area': read from the text area's text (a field's value
    is whole in the hierarchy)."""
    answer = s.need(resource_id="answer-input")
    area = next(e for e in s.of_class("EditText") if e.index != answer.index)
    step = s.fill(answer, area.text.split()[-1].strip(".,;:!?"))
    return step or s.tap(s.button("Submit"))


ICONS = ("reply", "retweet", "like", "more")
MENU_ITEMS = ("Share via DM", "Copy link to Tweet", "Embed Tweet", "Mute", "Block", "Report")


def social_media(s: Screen) -> Action | None:
    """'For the user @emile, click on the "Embed Tweet" button.' Tweets scroll in a 150 CSS px
    box. Reply, Retweet and Like are a tweet's icons (the hierarchy describes each); the rest are
    in the menu its "more" icon opens under it. Scroll the box until the user's tweet, and then
    what must be tapped, shows whole."""
    match = re.search(r"user (@\S+?),? click on the \"(.+?)\"", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read {s.utterance!r}")
    user, label = match.groups()
    area = s.need(resource_id="area")
    top, bottom = area.bounds[1], area.bounds[3]
    shown = lambda n: top <= n.bounds[1] and n.bounds[3] <= bottom and n.bounds[3] > n.bounds[1]  # noqa: E731
    if s.step > 22:
        raise Unsolvable(f"{label!r} for {user} never showed")
    tweet_user = next((n for n in s.nodes if n.text == user and shown(n)), None)
    if tweet_user is None:
        return _scroll_area(s, area, 0.5)  # further down the feed
    # The tweet's icons are the first four after its user name, in document order.
    # (A hovered icon is described "more hover": its CSS swaps the picture.)
    icons = [n for n in s.nodes if n.index > tweet_user.index and n.desc.split(" ")[0] in ICONS][:4]
    by_name = {n.desc.split(" ")[0]: n for n in icons}
    wanted = label.lower() if label.lower() in ("reply", "retweet", "like") else "more"
    icon = by_name.get(wanted)
    if icon is None or not shown(icon):
        return _scroll_area(s, area, 0.3)
    if wanted != "more":
        return s.tap(icon)
    # The open menu's items follow its icon (Mute and Block name the user after the label).
    following = s.nodes[icon.index + 1:]
    menu = [n for n in following[:12] if n.text.startswith(MENU_ITEMS)]
    item = next((n for n in menu if n.text.startswith(label)), None)
    if item is not None and shown(item):
        return s.tap(item)
    if menu:
        return _scroll_area(s, area, 0.3)  # the menu hangs below the tweet: bring it into the box
    if icon.bounds[1] > top + (bottom - top) * 0.5:
        return _scroll_area(s, area, 0.3)  # room below the icon for the menu to open into
    # The first tap can miss the icon while its hover image loads: tap until the menu shows.
    taps = s.memory["menu_taps"] = s.memory.get("menu_taps", 0) + 1
    if taps > 3:
        raise Unsolvable(f"the menu of {user}'s tweet never opened")
    return s.tap(icon)


def _scroll_area(s: Screen, area: UINode, fraction: float) -> Action:
    """Swipe up inside ``area`` by ``fraction`` of its height (its content moves up)."""
    x, (top, bottom) = area.bounds[0] + (area.bounds[2] - area.bounds[0]) * 0.1, (area.bounds[1], area.bounds[3])
    start = bottom - (bottom - top) * 0.1
    return s.drag((x, start), (x, start - (bottom - top) * fraction))


_LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


def tic_tac_toe(s: Screen) -> Action | None:
    """'Playing as 'X', win a game of tic-tac-toe.': the cells are the board's id-named nodes, a
    mark is the icon CSS draws in one (described "x" or "o"). A draw fails the task, so the move
    is the one most likely to win against the page's player (random 55% of the time, else it
    wins or blocks where it can)."""
    cells = [s.find(resource_id=f"ttt-{i}") for i in range(9)]
    if any(c is None for c in cells):
        raise Unsolvable("the board's cells are not in the hierarchy")
    board = tuple(c.desc.strip().lower() if c.desc.strip().lower() in ("x", "o") else "" for c in cells)  # type: ignore[union-attr]
    if board.count("x") > board.count("o"):
        return Wait(seconds=0.2)  # the page's move is still to come
    free = [i for i in range(9) if not board[i]]
    if not free:
        raise Unsolvable("the board is full")
    best = max(free, key=lambda i: (_x_wins(_marked(board, i, "x")), i == 4, i in (0, 2, 6, 8)))
    return s.tap(cells[best])  # type: ignore[arg-type]


_LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
RANDOM_MOVE_SHARE = 0.55  # tic-tac-toe.html's RANDOM_CHANCE


def _marked(board: tuple[str, ...], cell: int, mark: str) -> tuple[str, ...]:
    return board[:cell] + (mark,) + board[cell + 1:]


def _won(board: tuple[str, ...], mark: str) -> bool:
    return any(all(board[i] == mark for i in line) for line in _LINES)


def _completing(board: tuple[str, ...], mark: str) -> list[int]:
    """The free cells that would complete a line of ``mark``."""
    return [i for i in range(9) if not board[i] and _won(_marked(board, i, mark), mark)]


@functools.lru_cache(maxsize=None)
def _x_wins(board: tuple[str, ...]) -> float:
    """The chance that X wins from ``board``, X having just moved (O to move)."""
    if _won(board, "x"):
        return 1.0
    free = [i for i in range(9) if not board[i]]
    if not free:
        return 0.0

    def after_o(cell: int) -> float:
        mine = _marked(board, cell, "o")
        if _won(mine, "o"):
            return 0.0
        options = [i for i in range(9) if not mine[i]]
        return max((_x_wins(_marked(mine, i, "x")) for i in options), default=0.0)

    randomly = sum(after_o(i) for i in free) / len(free)
    smart = _completing(board, "o") or _completing(board, "x") or free
    wisely = sum(after_o(i) for i in smart) / len(smart)
    return RANDOM_MOVE_SHARE * randomly + (1 - RANDOM_MOVE_SHARE) * wisely


def click_scroll_list(s: Screen) -> Action | None:
    """'Select Kasie, Lorem from the scroll list and click Submit.': tap each wanted row of the
    list box (a tap toggles it), scrolling the list to reach rows below its edge, then Submit."""
    match = re.search(r"Select (.+) from the scroll list", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read {s.utterance!r}")
    wanted = [w.strip() for w in match.group(1).split(",") if w.strip()]
    box = next(iter(s.of_class("Spinner")), None)
    if box is None:
        raise Unsolvable("no list box in the hierarchy")
    rows = {n.text: n for n in s.children(box) if n.cls.endswith("CheckedTextView")}
    if wanted and not rows:
        raise Unsolvable("the list box shows no options")
    chosen: list[str] = s.memory.setdefault("chosen", [])  # rows tapped (a row scrolled away stays chosen)
    for label in wanted:
        row = rows.get(label)
        if row is not None and label not in chosen:
            chosen.append(label)
            if not row.checked:
                return s.tap(row)
    missing = [w for w in wanted if w not in chosen]
    if not missing:
        return s.tap(s.button("Submit"))
    # Down through the list first (a list box's height at a time), then back up for rows
    # above its top: the rows seen last time say which way is still unexplored.
    seen = s.memory.setdefault("seen", [])
    direction = s.memory.setdefault("direction", "down")
    if direction == "down" and seen == list(rows):
        s.memory["direction"] = direction = "up"  # the list did not move: its end
    s.memory["seen"] = list(rows)
    scrolls = s.memory["scrolls"] = s.memory.get("scrolls", 0) + 1
    if scrolls > 16:
        raise Unsolvable(f"{missing} never showed in the list")
    x, (top, bottom) = box.center[0], (box.bounds[1], box.bounds[3])
    edge = (bottom - top) * 0.05
    if direction == "down":
        return s.drag((x, bottom - edge), (x, top + edge))
    return s.drag((x, top + edge), (x, bottom - edge))


def click_collapsible(s: Screen) -> Action | None:
    """Expand the section (its text appears under the header), then Submit."""
    header = next(x for x in s.nodes if x.clickable and x.text.startswith("Section"))
    submit = s.button("Submit")
    # Below the header and in its column: the reward display's labels stand right of the task.
    between = [x for x in s.texts() if header.bounds[3] <= x.bounds[1] and x.bounds[3] <= submit.bounds[1]
               and x.bounds[0] < header.bounds[2]]
    if between:
        return s.tap(submit)
    if s.memory.get("opened", 0) >= 3:
        raise Unsolvable("the section's text never appeared")
    s.memory["opened"] = s.memory.get("opened", 0) + 1
    return s.tap(header) if s.memory["opened"] == 1 else Wait(seconds=0.3)


def form_sequence_2(s: Screen) -> Action | None:
    """'Check the 3rd radio button and enter the number "27" into the 3rd textbox.'"""
    match = re.search(r"(\d+)\w\w radio.*?\"(.+?)\" into the (\d+)\w\w textbox", s.utterance)
    if match is None:
        raise Unsolvable(f"cannot read {s.utterance!r}")
    radios = sorted(s.of_class("RadioButton"), key=lambda n: (n.bounds[1], n.bounds[0]))
    edits = sorted(s.of_class("EditText"), key=lambda n: (n.bounds[1], n.bounds[0]))
    radio = radios[int(match.group(1)) - 1]
    if not radio.checked:
        return s.tap(radio)
    step = s.fill(edits[int(match.group(3)) - 1], match.group(2))
    return step or s.tap(s.button("Submit"))


def generate_number(s: Screen) -> Action | None:
    """Press Generate until the number shown meets the instruction, then Submit."""
    shown = s.need(resource_id="display-number").text
    value = int(shown) if re.fullmatch(r"-?\d+", shown) else None
    text = s.utterance
    if value is not None:
        less = re.search(r"less than (-?\d+)", text)
        more = re.search(r"greater than (-?\d+)", text)
        ok = (value < int(less.group(1)) if less else value > int(more.group(1)) if more
              else value % 2 == 1 if "odd" in text else value % 2 == 0)
        if ok:
            return s.tap(s.button("Submit"))
    if s.step > 20:
        raise Unsolvable("no fitting number in 20 tries")
    return s.tap(s.button("Generate"))


def sign_agreement(s: Screen) -> Action | None:
    """Scroll the agreement to its end, enter the name (when asked), then press the button the
    instruction names."""
    quoted = s.quoted()
    if not quoted:  # 'Click the cancel button.'
        return s.tap(s.button("Cancel"))
    name = s.need(resource_id="name")
    if not name.enabled:
        # The form wakes up once the agreement has been scrolled to its end: swipe it up.
        area = max(s.of_class("EditText"), key=lambda n: n.bounds[3] - n.bounds[1])
        if s.step > 20:
            raise Unsolvable("the name field stayed disabled after scrolling the agreement")
        # As long a swipe as the screen allows (from the area's last rows to the screen's top
        # edge): a wheel scrolls as far as the swipe is long, a finger a little further (it
        # flings), and the agreement runs to 2,000 px.
        x, (top, bottom) = area.center[0], (area.bounds[1], area.bounds[3])
        return s.drag((x, bottom - max(2, (bottom - top) * 0.05)), (x, 1))
    step = s.fill(name, quoted[0])
    return step or s.tap(s.button(quoted[-1]))


def stock_market(s: Screen) -> Action | None:
    """'Buy TPZ stock when the price is less than $48.20.': wait, watching the price, then Buy."""
    limit = float(re.search(r"\$(\d+(?:\.\d+)?)", s.utterance).group(1))  # type: ignore[union-attr]
    price = float(s.need(resource_id="stock-price").text.lstrip("$"))
    if price < limit:
        return s.tap(s.button("Buy"))
    if s.step > 40:
        raise Unsolvable("the price never fell below the limit")
    return Wait(seconds=0.2)


def email_inbox_delete(s: Screen) -> Action | None:
    """'Find the email by Gerta and click the trash icon to delete it.'"""
    sender = re.search(r"email by (.+?) and", s.utterance).group(1)  # type: ignore[union-attr]
    trash = [n for n in s.nodes if n.clickable and re.search(r"trash|delete", f"{n.text} {n.desc} {n.resource_id}", re.I)]
    if trash:
        return s.tap(trash[0])
    rows = [n for n in s.nodes if n.clickable and s.children(n) and s.children(n)[0].text == sender]
    if rows and not s.memory.get("opened"):
        s.memory["opened"] = True
        return s.tap(rows[0])
    raise Unsolvable("the email's trash icon is not in the hierarchy")


SOLVERS: dict[str, Solver] = {
    "form-sequence-2": form_sequence_2,
    "generate-number": generate_number,
    "sign-agreement": sign_agreement,
    "stock-market": stock_market,
    "email-inbox-delete": email_inbox_delete,
    "search-engine": search_engine,
    "phone-book": phone_book,
    "guess-number": guess_number,
    "grid-coordinate": grid_coordinate,
    "use-spinner": use_spinner,
    "navigate-tree": navigate_tree,
    "scroll-text": scroll_text,
    "social-media": social_media,
    "tic-tac-toe": tic_tac_toe,
    "click-scroll-list": click_scroll_list,
    "click-collapsible": click_collapsible,
    "click-collapsible-nodelay": click_collapsible,
}
