"""Words as a recogniser writes them vs. as people write them: normalising, numbers, WER."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD_UNITS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
              "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
              "seventeenth", "eighteenth", "nineteenth"]
_ORD_TENS = ["", "", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth", "eightieth",
             "ninetieth"]

UNIT = {w: i for i, w in enumerate(_UNITS)}
TENS = {w: 10 * i for i, w in enumerate(_TENS) if w}
ORDINAL = {**{w: i for i, w in enumerate(_ORD_UNITS) if i}, **{w: 10 * i for i, w in enumerate(_ORD_TENS) if w}}
SCALE = {"hundred": 100, "thousand": 1000}


def tokens(text: str) -> list[str]:
    """Lower-case words; punctuation and hyphens split words, apostrophes inside a word stay.

    Digits and letters are split apart ("500g" -> "500 g") and ordinal suffixes dropped
    ("20th" -> "20"), so a written reference compares with what a recogniser spells out.
    """
    text = text.lower().replace("’", "'")
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", " ", text)
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text)


def numbers_to_digits(words: Sequence[str]) -> list[str]:
    """Replace each run of number words by its value: ["two", "adults"] -> ["2", "adults"],
    ["twenty", "second"] -> ["22"], ["nineteen", "hundred"] -> ["1900"]."""
    out: list[str] = []
    i = 0
    while i < len(words):
        value, used = _read_number(words, i)
        if used:
            out.append(str(value))
            i += used
        else:
            out.append(words[i])
            i += 1
    return out


def _read_number(words: Sequence[str], start: int) -> tuple[int, int]:
    total = current = 0
    i = start
    last = None  # kind of the previous word: unit, tens, scale
    while i < len(words):
        w = words[i]
        if w in ORDINAL:
            value = ORDINAL[w]
            if last == "tens" and value < 10:
                current += value
            elif last in (None, "scale"):
                current += value
            else:
                break
            i += 1
            break  # an ordinal ends a number
        if w in UNIT:
            if last in ("unit",):
                break
            if last == "tens" and UNIT[w] >= 10:
                break
            current += UNIT[w]
            last = "unit"
        elif w in TENS:
            if last in ("unit", "tens"):
                break
            current += TENS[w]
            last = "tens"
        elif w in SCALE and last in ("unit", "tens"):
            scale = SCALE[w]
            if scale == 100:
                current *= 100
            else:
                total += current * scale
                current = 0
            last = "scale"
        else:
            break
        i += 1
    if i == start:
        return 0, 0
    return total + current, i - start


def normalise(text: str) -> list[str]:
    """The words two transcripts are compared on: lower case, numbers as digits."""
    return numbers_to_digits(tokens(text))


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one utterance after normalising both sides."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def _corpus_rate(pairs: Iterable[tuple[str, str]], units: Callable[[str], list[str]]) -> float:
    """Errors over all reference units (not a mean of per-utterance rates)."""
    errors = total = 0
    for reference, hypothesis in pairs:
        ref = units(reference)
        errors += edit_distance(ref, units(hypothesis))
        total += len(ref)
    return errors / total if total else 0.0


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Errors over all reference words."""
    return _corpus_rate(pairs, normalise)


def characters(text: str) -> list[str]:
    """What Chinese is scored on: its characters, punctuation and spaces left out (digits kept)."""
    return [c for c in text if c.isalnum()]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of one utterance (for Chinese, where words are not spaced)."""
    ref = characters(reference)
    if not ref:
        return 0.0 if not characters(hypothesis) else 1.0
    return edit_distance(ref, characters(hypothesis)) / len(ref)


def corpus_cer(pairs: Iterable[tuple[str, str]]) -> float:
    """Errors over all reference characters."""
    return _corpus_rate(pairs, characters)
