"""Typed text -> the value of a date or time ``<input>``.

Chromium draws ``<input type=date|time|datetime-local|month>`` as segments in the locale's
order (mm/dd/yyyy here, yyyy/mm/dd elsewhere) and its picker as a native popup outside the
DOM, so typed characters land in whichever segment has focus and an ISO date typed there comes
out as nonsense. A person (and a model) writes a date as they say it; this reads the common
ways, and the browser sets the field's value the way a picker does.
"""

from __future__ import annotations

import re
from datetime import date, time

DATE_TYPES = frozenset(("date", "time", "datetime-local", "month", "week"))

_MONTHS = {name: i + 1 for i, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec"))) for name in names}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_YMD = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*[日号]?")
_DMY_OR_MDY = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})")
_NAMED_MDY = re.compile(rf"({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})", re.IGNORECASE)
_NAMED_DMY = re.compile(rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\.?,?\s+(\d{{4}})", re.IGNORECASE)
_YM = re.compile(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?")
_NAMED_MY = re.compile(rf"({_MONTH})\.?,?\s+(\d{{4}})", re.IGNORECASE)
_WEEK = re.compile(r"(\d{4})\s*-?\s*W\s*(\d{1,2})", re.IGNORECASE)
# An hour is never the tail of a longer number: "0804PM" is 8:04 PM, not 4 PM. Four digits
# with AM or PM are the hour and minute as typed into a time field's segments.
_TIME = re.compile(r"(?:(上午|早上|下午|晚上)\s*)?(?<!\d)(\d{1,2})\s*(?:[:：]|点|时)\s*(\d{1,2})?\s*分?"
                   r"(?:\s*[:：]\s*(\d{1,2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
                   r"|(?<!\d)(\d{1,2}?)(\d\d)?\s*(am|pm|a\.m\.|p\.m\.)", re.IGNORECASE)


def _day(text: str) -> tuple[date, int] | None:
    """The first date written in ``text`` and where it ends."""
    for pattern, order in ((_YMD, "ymd"), (_NAMED_MDY, "Mdy"), (_NAMED_DMY, "dMy"), (_DMY_OR_MDY, "?")):
        m = pattern.search(text)
        if not m:
            continue
        a, b, c = m.groups()
        if order == "ymd":
            y, mo, d = int(a), int(b), int(c)
        elif order == "Mdy":
            y, mo, d = int(c), _MONTHS[a.lower()], int(b)
        elif order == "dMy":
            y, mo, d = int(c), _MONTHS[b.lower()], int(a)
        else:
            # 06/20/2025 is month first (the US order Chromium shows); 20/06/2025 can only be day first.
            first, second = int(a), int(b)
            mo, d = (second, first) if first > 12 >= second else (first, second)
            y = int(c)
        try:
            return date(y, mo, d), m.end()
        except ValueError:
            return None
    return None


def _clock(text: str) -> time | None:
    m = _TIME.search(text)
    if not m:
        return None
    half, hour, minute, second, suffix, bare_hour, bare_minute, bare_suffix = m.groups()
    if bare_hour is not None:
        hour, minute, suffix = bare_hour, bare_minute or "0", bare_suffix
    h, mi, s = int(hour), int(minute or 0), int(second or 0)
    pm = (suffix or "").lower().startswith("p") or half in ("下午", "晚上")
    am = (suffix or "").lower().startswith("a") or half in ("上午", "早上")
    if pm and h < 12:
        h += 12
    elif am and h == 12:
        h = 0
    try:
        return time(h, mi, s)
    except ValueError:
        return None


def _hhmm(t: time) -> str:
    return t.strftime("%H:%M:%S") if t.second else t.strftime("%H:%M")


def input_value(kind: str, text: str) -> str | None:
    """The value an ``<input type=kind>`` takes for ``text``; None where ``text`` is not read."""
    text = text.strip()
    if kind == "date":
        found = _day(text)
        return found[0].isoformat() if found else None
    if kind == "time":
        t = _clock(text)
        return _hhmm(t) if t else None
    if kind == "datetime-local":
        found = _day(text)
        if not found:
            return None
        t = _clock(text[found[1]:].lstrip("Tt ")) or time(0, 0)
        return f"{found[0].isoformat()}T{_hhmm(t)}"
    if kind == "month":
        if found := _day(text):
            return found[0].strftime("%Y-%m")
        if m := _YM.search(text):
            y, mo = int(m[1]), int(m[2])
            return f"{y:04d}-{mo:02d}" if 1 <= mo <= 12 else None
        if m := _NAMED_MY.search(text):
            return f"{int(m[2]):04d}-{_MONTHS[m[1].lower()]:02d}"
        return None
    if kind == "week":
        if m := _WEEK.search(text):
            return f"{int(m[1]):04d}-W{int(m[2]):02d}" if 1 <= int(m[2]) <= 53 else None
        if found := _day(text):
            year, week, _ = found[0].isocalendar()
            return f"{year:04d}-W{week:02d}"
        return None
    return None
