"""Fonts that draw both Chinese and English: Noto Sans CJK from Debian's fonts-noto-cjk."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

_DIRS = (
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/noto-cjk",
    "/usr/share/fonts/google-noto-cjk",
    "/usr/local/share/fonts",
)
# Face 2 of the collection is Simplified Chinese; its Latin glyphs are the same as the others'.
_SC_INDEX = 2


class FontMissing(RuntimeError):
    pass


def font_path(bold: bool = False) -> Path:
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    override = os.environ.get("AUTOAGENT_CJK_FONT_DIR")
    for folder in ((override,) if override else ()) + _DIRS:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    if bold:
        return font_path(False)
    raise FontMissing(
        f"the emulator needs the font {name} to draw Chinese and English text; "
        "install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) "
        "or set AUTOAGENT_CJK_FONT_DIR to a folder holding it"
    )


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), size, index=_SC_INDEX)
