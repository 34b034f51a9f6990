"""Reading a screenshot with tesseract, for screens that come without a hierarchy.

tesseract is called as a program (Debian: ``apt-get install tesseract-ocr tesseract-ocr-chi-sim``).
When it is missing (or reads nothing) the guard cannot read the screen, and it fails closed:
every touch in an app that takes payments is asked about, and so is every touch, and Enter,
on a screen where nothing at all can be read, in any app.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


class OcrUnavailable(RuntimeError):
    """tesseract (or one of the languages asked for) is not installed, or it failed."""


@dataclass(frozen=True)
class OcrLine:
    text: str
    bounds: tuple[int, int, int, int]  # left, top, right, bottom in screenshot pixels
    confidence: float


@lru_cache(maxsize=1)
def _binary() -> str | None:
    return shutil.which("tesseract")


@lru_cache(maxsize=8)
def available_languages() -> frozenset[str]:
    exe = _binary()
    if exe is None:
        return frozenset()
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    lines = (out.stdout + out.stderr).splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip() and " " not in line.strip())


def usable_languages(wanted: str) -> str | None:
    """The installed subset of ``wanted`` ("eng+chi_sim"), or None if none is installed."""
    have = available_languages()
    langs = [lang for lang in wanted.split("+") if lang in have]
    return "+".join(langs) if langs else None


def read_lines(image: Image.Image, languages: str = "eng+chi_sim", timeout: float = 15.0,
               min_confidence: float = 30.0, psm: int = 11) -> list[OcrLine]:
    """Text lines on ``image`` with their boxes. Raises OcrUnavailable when tesseract cannot run.

    ``psm`` is tesseract's page segmentation mode: 11 (sparse text) for a whole screen,
    6 (one block) for a strip cut around a point.
    """
    exe = _binary()
    if exe is None:
        raise OcrUnavailable("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    langs = usable_languages(languages)
    if langs is None:
        raise OcrUnavailable(f"none of the OCR languages {languages!r} is installed")
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", compress_level=1)
    try:
        proc = subprocess.run([exe, "stdin", "stdout", "-l", langs, "--psm", str(psm), "tsv"],
                              input=buf.getvalue(), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise OcrUnavailable(f"tesseract took longer than {timeout:g}s") from None
    except OSError as err:
        raise OcrUnavailable(f"tesseract could not run: {err}") from None
    if proc.returncode != 0:
        raise OcrUnavailable(f"tesseract failed: {proc.stderr.decode(errors='replace').strip()[:200]}")
    return _lines_from_tsv(proc.stdout.decode("utf-8", errors="replace"), min_confidence)


def _lines_from_tsv(tsv: str, min_confidence: float) -> list[OcrLine]:
    groups: dict[tuple[str, str, str], list[tuple[str, tuple[int, int, int, int], float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            conf = float(cols[10])
            left, top, width, height = (int(c) for c in cols[6:10])
        except ValueError:
            continue
        if not text or conf < min_confidence:
            continue
        groups.setdefault((cols[2], cols[3], cols[4]), []).append((text, (left, top, left + width, top + height), conf))
    lines = []
    for words in groups.values():
        text = _CJK_GAP.sub("", " ".join(w[0] for w in words))
        left = min(w[1][0] for w in words)
        top = min(w[1][1] for w in words)
        right = max(w[1][2] for w in words)
        bottom = max(w[1][3] for w in words)
        conf = sum(w[2] for w in words) / len(words)
        lines.append(OcrLine(text=text, bounds=(left, top, right, bottom), confidence=round(conf, 1)))
    return lines


def button_bands(image: Image.Image, max_bands: int = 4) -> list[tuple[int, int]]:
    """Horizontal bands (top, bottom) holding a wide coloured or dark block: likely buttons.

    tesseract's page layout tends to skip text on such blocks, so the guard reads each band
    on its own. Found on a thumbnail, in a few milliseconds.
    """
    import numpy as np

    width, height = image.size
    step = max(1, width // 135)
    small = np.asarray(image.convert("HSV").resize((max(1, width // step), max(1, height // step)),
                                                   Image.Resampling.NEAREST))
    sat, val = small[..., 1], small[..., 2]
    block = ((sat > 80) & (val > 60)) | (val < 50)
    rows = block.mean(axis=1) > 0.45
    bands: list[tuple[int, int]] = []
    start = None
    for i, on in enumerate([*rows.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            top, bottom = start * step, i * step
            if 40 <= bottom - top <= height // 6:  # button-high, not a whole dark page
                bands.append((max(0, top - 8), min(height, bottom + 8)))
            start = None
    # The lowest bands first: confirm buttons sit at the bottom.
    return sorted(bands, key=lambda b: -b[0])[:max_bands]
