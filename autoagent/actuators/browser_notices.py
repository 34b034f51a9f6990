"""What the browser itself tells the person in front of it, outside the page: a finished
download, a dialog answered for the model (one on another tab, or one left unanswered too long).
A phone shows such things as a toast or a notification; here each is a Toast node in the
hierarchy (a window of its own, as uiautomator dumps a toast) and a dark band drawn over the
bottom of the screenshot, until the next action."""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from autoagent.perception.tree import TOAST_CLASS, ScreenTree, TreeBuilder

_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_PAD = 8


@functools.lru_cache(maxsize=16)  # a CJK font file is megabytes; a dialog's layout asks often
def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in _FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _band(size: tuple[int, int], count: int) -> list[tuple[int, int, int, int]]:
    """Where each of ``count`` notices sits: full-width lines stacked over the bottom edge."""
    width, height = size
    line = max(24, height // 24)
    top = height - line * count
    return [(0, top + i * line, width, top + (i + 1) * line) for i in range(count)]


def with_notices(tree: ScreenTree, notices: list[str], size: tuple[int, int], package: str) -> ScreenTree:
    """``tree`` with one more window holding each notice as a Toast node."""
    if not notices:
        return tree
    builder = TreeBuilder()
    for node in tree.nodes:
        builder.add(node.parent, sibling=node.sibling, cls=node.cls, text=node.text, desc=node.desc,
                    resource_id=node.resource_id, package=node.package, bounds=node.bounds,
                    clickable=node.clickable, focused=node.focused, enabled=node.enabled,
                    scrollable=node.scrollable, checked=node.checked, selected=node.selected,
                    checkable=node.checkable, focusable=node.focusable, long_clickable=node.long_clickable,
                    password=node.password)
    for text, bounds in zip(notices, _band(size, len(notices))):
        builder.add(None, cls=TOAST_CLASS, text=text, package=package, bounds=bounds)
    return builder.build()


def draw_notices(image: Image.Image, notices: list[str]) -> Image.Image:
    """A copy of ``image`` with the notices drawn where :func:`with_notices` places them."""
    if not notices:
        return image
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for text, (left, top, right, bottom) in zip(notices, _band(image.size, len(notices))):
        draw.rectangle((left, top, right, bottom), fill=(40, 40, 40))
        draw.text((left + _PAD, top + _PAD // 2), text, fill=(255, 255, 255), font=font(max(10, bottom - top - _PAD)))
    return out


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover
