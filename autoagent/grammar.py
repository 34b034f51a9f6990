"""AutoGLM-Phone's action text: parse a model reply into ``(thought, action)`` and back.

Replies look like ``<think>...</think><answer>do(action="Tap", element=[500,300])</answer>``
but real servers bend that shape: hosted APIs strip the tags, answers arrive on their own
line, GLM-4.1V wraps them in ``<|begin_of_box|>``, and free text inside ``Type`` or
``finish`` carries quotes of its own. This module is a small hand-written scanner so that
none of that ever reaches ``eval``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from pydantic import ValidationError

from autoagent.actions import (
    RELATIVE_MAX,
    Action,
    Back,
    DoubleTap,
    Finish,
    Home,
    Interact,
    Launch,
    LongPress,
    Note,
    Swipe,
    Tap,
    TakeOver,
    Type,
    Wait,
)


class UnparseableReply(ValueError):
    """A model reply that holds no valid action. The agent may re-ask; it never means 'done'."""

    def __init__(self, reason: str, raw: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class _Unclosed(UnparseableReply):
    """The text ended inside a call: the reply was cut off, so no part of it is an action."""


@dataclass(frozen=True)
class ParsedReply:
    thought: str
    action: Action
    answer: str  # the call text exactly as the model wrote it


_BOX_TOKENS = re.compile(r"<\|/?(?:begin|end)_of_box\|>")
_CALL_START = re.compile(r"\b(do|finish)\s*\(", re.IGNORECASE)
_THINK = re.compile(r"<think>(.*?)(?:</think>|(?=<answer>)|$)", re.DOTALL)
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
_KEY = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# A string value ends at its quote only where the next thing is another argument or the
# closing parenthesis; a quote anywhere else belongs to the text (Chinese replies do this).
_VALUE_END = re.compile(r"\s*(?:,\s*[A-Za-z_][A-Za-z0-9_]*\s*=|,?\s*\)|,?\s*$)")
_QUOTE_PAIRS = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
# The JSON escapes, which is what format_action writes and what models imitate.
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", '"': '"', "'": "'", "\\": "\\"}
_UNICODE_ESCAPE = re.compile(r"u([0-9a-fA-F]{4})")
# Coordinates a little past 999 are rounding slop; anything further is a wrong space.
_COORDINATE_SLACK = 1000


def parse_reply(raw: str) -> ParsedReply:
    """Parse one model reply. Raises :class:`UnparseableReply` when no action can be found."""
    if not isinstance(raw, str):
        raise UnparseableReply(f"expected text, got {type(raw).__name__}", str(raw))
    text = _BOX_TOKENS.sub("", raw).strip()
    if not text:
        raise UnparseableReply("the reply is empty", raw)

    thought, region = _split_thought(text)
    errors: list[str] = []
    starts = list(_CALL_START.finditer(region))
    if not starts:
        raise UnparseableReply("no do(...) or finish(...) call in the reply", raw)
    # Without tags, prose may mention a call before the real one: prefer the last that parses.
    ordered = starts if _ANSWER_OPEN.search(text) else list(reversed(starts))
    for match in ordered:
        try:
            action, call_text = _parse_call(region, match)
        except _Unclosed as err:
            if match is starts[-1]:
                # The reply ends inside its last call: it was cut off. An earlier call is
                # prose or a first draft, never a stand-in for the one that was cut.
                raise UnparseableReply(err.reason, raw) from None
            errors.append(err.reason)
            continue
        except UnparseableReply as err:
            errors.append(err.reason)
            continue
        if not thought and match.start() > 0 and not _ANSWER_OPEN.search(text):
            thought = region[: match.start()].strip()
        return ParsedReply(thought=thought, action=action, answer=call_text)
    raise UnparseableReply(errors[0], raw)


def _split_thought(text: str) -> tuple[str, str]:
    """Return (thought, the region where the action call lives)."""
    thought = ""
    rest = text
    think = _THINK.search(text)
    if think:
        thought = think.group(1).strip()
        rest = text[think.end():]
    answer_open = _ANSWER_OPEN.search(rest)
    if answer_open:
        if not think:
            thought = rest[: answer_open.start()].strip()
        rest = rest[answer_open.end():]
        close = _ANSWER_CLOSE.search(rest)
        if close:
            rest = rest[: close.start()]
    else:
        # A stray closing tag with no opening one: drop it.
        rest = _ANSWER_CLOSE.sub("", rest)
    return thought, rest


def _parse_call(text: str, match: re.Match[str]) -> tuple[Action, str]:
    func = match.group(1).lower()
    pos = match.end()
    args: dict[str, object] = {}
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            raise _Unclosed(f"the {func}(...) call is not closed with ')': the reply was cut off", text)
        if text[pos] == ")":
            break
        key_match = _KEY.match(text, pos)
        if not key_match:
            raise UnparseableReply(f"expected name=value at {text[pos:pos + 20]!r}", text)
        key = key_match.group(1)
        value, pos = _parse_value(text, key_match.end())
        args[key] = value
    call_text = text[match.start():pos + 1].strip()
    return _build_action(func, args, text), call_text


def _parse_value(text: str, pos: int) -> tuple[object, int]:
    if pos >= len(text):
        raise _Unclosed("a value is missing at the end of the reply: it was cut off", text)
    ch = text[pos]
    if ch in _QUOTE_PAIRS:
        return _parse_string(text, pos)
    if ch == "[":
        close = text.find("]", pos)
        if close < 0:
            raise _Unclosed("a coordinate list is not closed with ]: the reply was cut off", text)
        numbers = _NUMBER.findall(text[pos + 1:close])
        return [float(n) for n in numbers], close + 1
    number = _NUMBER.match(text, pos)
    if number:
        return float(number.group(0)), number.end()
    bare = re.match(r"[^,)]*", text[pos:])
    word = bare.group(0).strip() if bare else ""
    if not word:
        raise UnparseableReply(f"unexpected {ch!r} where a value should be", text)
    return word, pos + len(bare.group(0)) if bare else pos


def _parse_string(text: str, pos: int) -> tuple[str, int]:
    closer = _QUOTE_PAIRS[text[pos]]
    i = pos + 1
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            hex_escape = _UNICODE_ESCAPE.match(text, i + 1)
            if hex_escape:
                out.append(chr(int(hex_escape.group(1), 16)))
                i = hex_escape.end()
                continue
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == closer and _VALUE_END.match(text, i + 1):
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    # The string never closed: the reply was cut off mid-value, and typing or sending the
    # fragment would do something nobody asked for.
    raise _Unclosed("a quoted value is not closed: the reply was cut off", text)


def _point(args: dict[str, object], key: str, raw: str) -> list[int]:
    value = args.get(key)
    if not isinstance(value, list) or len(value) != 2:
        raise UnparseableReply(f"{key} must be [x, y], got {value!r}", raw)
    point = []
    for v in value:
        assert isinstance(v, float)
        if v < 0 or v > _COORDINATE_SLACK:
            raise UnparseableReply(f"{key} {value!r} is outside the 0-{RELATIVE_MAX} space", raw)
        point.append(min(RELATIVE_MAX, int(round(v))))
    return point


def _text(args: dict[str, object], key: str) -> str:
    value = args.get(key, "")
    if isinstance(value, float):
        return format(value, "g")
    return str(value)


def _seconds(value: object) -> float:
    if isinstance(value, float):
        return value
    found = _NUMBER.search(str(value or ""))
    return float(found.group(0)) if found else 1.0


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


def _build_action(func: str, args: dict[str, object], raw: str) -> Action:
    if func == "finish":
        return Finish(message=_text(args, "message"))
    name = _normalise(_text(args, "action"))
    if not name:
        raise UnparseableReply("do(...) has no action= argument", raw)
    try:
        if name == "tap":
            message = args.get("message")
            return Tap(element=_point(args, "element", raw), message=None if message is None else _text(args, "message"))
        if name == "doubletap":
            return DoubleTap(element=_point(args, "element", raw))
        if name == "longpress":
            return LongPress(element=_point(args, "element", raw))
        if name == "swipe":
            return Swipe(start=_point(args, "start", raw), end=_point(args, "end", raw))
        if name in ("type", "typename"):
            return Type(text=_text(args, "text"))
        if name == "launch":
            return Launch(app=_text(args, "app").strip())
        if name == "back":
            return Back()
        if name == "home":
            return Home()
        if name == "wait":
            return Wait(seconds=min(60.0, max(0.0, _seconds(args.get("duration", args.get("seconds"))))))
        if name == "takeover":
            return TakeOver(message=_text(args, "message"))
        if name == "note":
            return Note(message=_text(args, "message"))
        if name == "callapi":
            return Note(message=_text(args, "instruction"))
        if name == "interact":
            return Interact(message=_text(args, "message"))
        if name == "finish":
            return Finish(message=_text(args, "message"))
    except ValidationError as err:
        first = err.errors()[0]
        raise UnparseableReply(f"invalid {name} action: {first['msg']}", raw) from None
    raise UnparseableReply(f"unknown action {_text(args, 'action')!r}", raw)


# ---------------------------------------------------------------------------- formatting

_NAMES = {
    "Tap": "Tap",
    "DoubleTap": "Double Tap",
    "LongPress": "Long Press",
    "Swipe": "Swipe",
    "Type": "Type",
    "Launch": "Launch",
    "Back": "Back",
    "Home": "Home",
    "Wait": "Wait",
    "TakeOver": "Take_over",
    "Note": "Note",
    "Interact": "Interact",
}


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def format_action(action: Action) -> str:
    """Write an action the way AutoGLM-Phone writes it."""
    if isinstance(action, Finish):
        return f"finish(message={_quote(action.message)})"
    parts = [f"action={_quote(_NAMES[action.kind])}"]
    if isinstance(action, (Tap, DoubleTap, LongPress)):
        parts.append(f"element=[{action.element.x},{action.element.y}]")
        if isinstance(action, Tap) and action.message is not None:
            parts.append(f"message={_quote(action.message)}")
    elif isinstance(action, Swipe):
        parts.append(f"start=[{action.start.x},{action.start.y}]")
        parts.append(f"end=[{action.end.x},{action.end.y}]")
    elif isinstance(action, Type):
        parts.append(f"text={_quote(action.text)}")
    elif isinstance(action, Launch):
        parts.append(f"app={_quote(action.app)}")
    elif isinstance(action, Wait):
        parts.append(f"duration={_quote(format(action.seconds, 'g') + ' seconds')}")
    elif isinstance(action, (TakeOver, Note, Interact)) and action.message:
        parts.append(f"message={_quote(action.message)}")
    return f"do({', '.join(parts)})"


def format_reply(thought: str, action: Action) -> str:
    return f"<think>{thought}</think>\n<answer>{format_action(action)}</answer>"
