"""Draw a widget tree with Pillow. Everything drawn comes from a node, so the XML dump and
the pixels cannot disagree."""

from __future__ import annotations

import math
import threading
from functools import lru_cache

from PIL import Image, ImageDraw

from emulator import theme
from emulator.fonts import font
from emulator.widgets import Node


@lru_cache(maxsize=8192)
def text_width(text: str, size: int, bold: bool = False) -> float:
    return font(size, bold).getlength(text)


@lru_cache(maxsize=2048)
def wrap_lines(text: str, size: int, bold: bool, width: int) -> tuple[str, ...]:
    """Greedy wrap that breaks between words for Latin text and anywhere for CJK."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            candidate = line + token
            if line and text_width(candidate, size, bold) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line)
    return tuple(lines)


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and not ch.isspace():
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        if tokens and ch.isspace():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    if word:
        tokens.append(word)
    return tokens


def _fit(text: str, size: int, bold: bool, width: int) -> str:
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text + "…"


@lru_cache(maxsize=4096)
def _sprite(text: str, size: int, bold: bool, anchor: str) -> tuple[Image.Image, int, int] | None:
    """A line of text as an alpha mask, rendered once: FreeType is the slowest part of a frame."""
    f = font(size, bold)
    left, top, right, bottom = f.getbbox(text, anchor=anchor)
    if right <= left or bottom <= top:
        return None
    mask = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=f, fill=255, anchor=anchor)
    return mask, left, top


def _rgb(color: str) -> str:
    return color[:7]


# -- display lists ------------------------------------------------------------------------------
# A frame is first turned into a display list: one op per primitive, in painting order, each with a
# key (everything that decides its pixels) and a bounding box (every pixel it may touch). The
# previous frame's list and pixels are kept, so a new frame repaints only where its list differs:
# a pixel whose ordered list of covering ops is unchanged keeps its colour. Ops draw with exactly
# the coordinates and canvases a from-scratch paint would use, so the pixels are the same.

Box = tuple[int, int, int, int]  # left, top, right, bottom; right and bottom exclusive

# Op kinds. Clippable kinds can repaint just part of themselves exactly; the others are repainted
# whole, and the repaint area grows to hold them.
_FILL, _OUTLINE_RECT, _ROUNDED, _LINE, _SCRIM, _TEXT, _ICON, _SURFACE = range(8)
_CLIPPABLE = frozenset((_FILL, _SCRIM, _SURFACE))
_OPAQUE = frozenset((_FILL, _SURFACE))  # paint every pixel of their box with no blending
# Icons are drawn around their node's centre with fixed sizes; this margin holds every stroke.
_ICON_MARGIN = 48


class _Op:
    __slots__ = ("args", "box", "key", "kind")

    def __init__(self, key: tuple, box: Box, kind: int, args: tuple) -> None:
        self.key = key
        self.box = box
        self.kind = kind
        self.args = args


class _Surface:
    """A canvas and the display list painted on it: the screen, or a scroll viewport's clip canvas."""

    __slots__ = ("fill", "image", "ops", "size", "subs")

    def __init__(self, size: tuple[int, int], fill: str) -> None:
        self.size = size
        self.fill = fill
        self.ops: list[_Op] = []
        self.subs: list[_Surface] = []  # referenced by _SURFACE ops, by index
        self.image: Image.Image | None = None


def _emit_node(surface: _Surface, node: Node, dx: int, dy: int, phase: float, backdrop: _Backdrop) -> None:
    ops = surface.ops
    left, top, right, bottom = node.bounds
    box = (left - dx, top - dy, right - dx - 1, bottom - dy - 1)
    full = (box[0], box[1], box[2] + 1, box[3] + 1)
    if node.scroll_key is not None:
        pass  # its background is covered by its own opaque clip canvas, pasted below
    elif node.bg and len(node.bg) == 9:
        # Translucent fill (dialog scrim): blend over what is already drawn.
        alpha = int(node.bg[7:9], 16)
        ops.append(_Op(("scrim", full, node.bg), full, _SCRIM, (_rgb(node.bg), alpha)))
        backdrop = None
    elif (node.bg or node.border) and not (node.bg == theme.BG and not node.border and dx == dy == 0
                                           and not node.radius):
        if node.radius:
            ops.append(_Op(("rr", box, node.radius, node.bg, node.border), full, _ROUNDED,
                           (box, node.radius, node.bg, node.border)))
            if node.bg:
                # Inside the straight-edged bands the fill is untouched by corners and outline (the
                # margins keep clear of the corner arcs' rasterisation).
                r, w = node.radius, (3 if node.border else 0) + 1
                x0, y0, x1, y1 = box
                bands = ((x0 + r + 2, y0 + w, x1 - r - 1, y1 - w + 1), (x0 + w, y0 + r + 2, x1 - w + 1, y1 - r - 1))
                backdrop = (len(ops), bands, node.bg)
        elif node.border and node.bg:
            ops.append(_Op(("f", box, node.bg), full, _FILL, (box, node.bg)))
            backdrop = (len(ops), (full,), node.bg)
            line = (box[0], box[3], box[2], box[3])
            ops.append(_Op(("l", line, node.border), (box[0] - 2, box[3] - 2, box[2] + 3, box[3] + 3), _LINE,
                           (line, node.border)))
        elif node.bg:
            ops.append(_Op(("f", box, node.bg), full, _FILL, (box, node.bg)))
            backdrop = (len(ops), (full,), node.bg)
        else:
            ops.append(_Op(("o", box, node.border), full, _OUTLINE_RECT, (box, node.border)))
    if node.icon:
        _emit_icon(surface, node, box, phase, backdrop)
    if node.text and node.size > 1:
        _emit_text_lines(surface, node, box, backdrop)
    if node.scroll_key is not None:
        # Scrolled content is drawn on its own canvas so it is clipped to the viewport.
        width, height = right - left, bottom - top
        sub = _Surface((width, height), node.bg or theme.BG)
        for child in node.children:
            _emit_node(sub, child, left, top, phase, _canvas_backdrop(sub))
        x, y = left - dx, top - dy
        ops.append(_Op(("s", x, y, width, height, sub.fill), (x, y, x + width, y + height), _SURFACE,
                       (len(surface.subs), x, y)))
        surface.subs.append(sub)
        return
    for child in node.children:
        _emit_node(surface, child, dx, dy, phase, backdrop)


# What lies under a node's content: (index of the first op after the fill, boxes the fill covers
# evenly, its colour); None when unknown (over a translucent scrim).
_Backdrop = tuple[int, tuple[Box, ...], str] | None
_EVERYWHERE = (-(1 << 30), -(1 << 30), 1 << 30, 1 << 30)


def _canvas_backdrop(surface: _Surface) -> _Backdrop:
    # The canvas colour lies under everything: every op since the first must be checked.
    return (0, (_EVERYWHERE,), surface.fill)


def _solid_under(surface: _Surface, box: Box, backdrop: _Backdrop) -> str | None:
    """The one colour under ``box`` before the next op is painted, when it is known to be even."""
    if backdrop is None:
        return None
    start, bands, color = backdrop
    if not any(b[0] <= box[0] and b[1] <= box[1] and box[2] <= b[2] and box[3] <= b[3] for b in bands):
        return None
    ops = surface.ops
    for i in range(start, len(ops)):
        if _touches(ops[i].box, box):
            return None
    return color


def _emit_text(surface: _Surface, xy: tuple[int, int], text: str, size: int, bold: bool, color: str,
               anchor: str, backdrop: _Backdrop) -> None:
    sprite = _sprite(text, size, bold, anchor)
    if sprite is None:
        return
    mask, left, top = sprite
    x, y = xy[0] + left, xy[1] + top
    box = (x, y, x + mask.width, y + mask.height)
    under = _solid_under(surface, box, backdrop)
    # Over an even colour the blended result is the same wherever it lands: paste a cached tile.
    tile = None if under is None else (text, size, bold, anchor, _rgb(color), under)
    surface.ops.append(_Op(("t", x, y, text, size, bold, anchor, color), box, _TEXT, (mask, _rgb(color), tile)))


@lru_cache(maxsize=1024)
def _tile(text: str, size: int, bold: bool, anchor: str, color: str, under: str) -> Image.Image:
    sprite = _sprite(text, size, bold, anchor)
    assert sprite is not None
    mask = sprite[0]
    tile = Image.new("RGB", mask.size, under)
    tile.paste(color, (0, 0) + mask.size, mask)
    return tile


def _emit_text_lines(surface: _Surface, node: Node, box: tuple[int, int, int, int], backdrop: _Backdrop) -> None:
    left, top, right, bottom = box
    pad = node.pad or (24 if node.align == "center" and node.cls == "android.widget.Button" else 0)
    width = right - left - 2 * pad
    if node.wrap:
        lines = wrap_lines(node.text, node.size, node.bold, width)
        line_height = int(node.size * 1.45)
        y = top + 4
        for line in lines:
            _emit_text(surface, (_anchor_x(node, left, right, pad), y + line_height // 2), line, node.size,
                       node.bold, node.fg, _anchor(node), backdrop)
            y += line_height
        return
    lines = node.text.split("\n")
    line_height = int(node.size * 1.35)
    y = (top + bottom) // 2 - (len(lines) - 1) * line_height // 2
    for line in lines:
        _emit_text(surface, (_anchor_x(node, left, right, pad), y), _fit(line, node.size, node.bold, width),
                   node.size, node.bold, node.fg, _anchor(node), backdrop)
        y += line_height


def _emit_icon(surface: _Surface, node: Node, box: tuple[int, int, int, int], phase: float,
               backdrop: _Backdrop) -> None:
    left, top, right, bottom = box
    name = node.icon or ""
    if name.startswith("letter:"):
        cx, cy = (left + right) // 2, (top + bottom) // 2
        _emit_text(surface, (cx, cy), name.split(":", 1)[1], max(20, (bottom - top) // 2), True, "#FFFFFF", "mm",
                   backdrop)
        return
    color = _rgb(node.icon_color or node.fg)
    reach = (left - _ICON_MARGIN, top - _ICON_MARGIN, right + 1 + _ICON_MARGIN, bottom + 1 + _ICON_MARGIN)
    key: tuple = ("i", name, box, color)
    if name == "caret":
        x = _caret_x(node, left)
        reach = _union(reach, (x - 4, (top + bottom) // 2 - 32, x + 5, (top + bottom) // 2 + 33))
        key += (x,)
    elif name == "switch":
        key += (node.checked,)
    elif name == "spinner":
        key += (phase,)
    elif name == "status":
        reach = _union(reach, (820, 10, 980, 90))
    surface.ops.append(_Op(key, reach, _ICON, (name, box, color, node, phase)))


def _caret_x(node: Node, left: int) -> int:
    return left + (node.pad or 0) + (int(text_width(node.text, node.size)) if node.fg != theme.HINT else 0) + 4


# -- painting ---------------------------------------------------------------------------------------
def _paint(surface: _Surface, image: Image.Image, draw: ImageDraw.ImageDraw, op: _Op, clip: Box | None) -> None:
    kind, args = op.kind, op.args
    if kind == _FILL:
        box, color = args
        if clip is not None:
            box = (max(box[0], clip[0]), max(box[1], clip[1]), min(box[2], clip[2] - 1), min(box[3], clip[3] - 1))
            if box[2] < box[0] or box[3] < box[1]:
                return
        draw.rectangle(box, fill=color)
    elif kind == _TEXT:
        mask, color, tile = args
        if tile is None:
            image.paste(color, op.box, mask)
        else:
            image.paste(_tile(*tile), op.box)
    elif kind == _ROUNDED:
        box, radius, bg, border = args
        draw.rounded_rectangle(box, radius=radius, fill=bg, outline=border, width=3 if border else 0)
    elif kind == _LINE:
        line, color = args
        draw.line(line, fill=color, width=2)
    elif kind == _SURFACE:
        index, x, y = args
        sub = surface.subs[index].image
        if clip is None:
            image.paste(sub, (x, y))
            return
        region = _intersect(op.box, clip)
        if region is not None:
            image.paste(sub.crop((region[0] - x, region[1] - y, region[2] - x, region[3] - y)), region[:2])
    elif kind == _SCRIM:
        color, alpha = args
        region = op.box if clip is None else _intersect(op.box, clip)
        if region is not None:
            image.paste(color, region, _mask((region[2] - region[0], region[3] - region[1]), alpha))
    elif kind == _OUTLINE_RECT:
        box, color = args
        draw.rectangle(box, fill=None, outline=color)
    else:
        _draw_icon(image, draw, *args)


@lru_cache(maxsize=32)
def _mask(size: tuple[int, int], alpha: int) -> Image.Image:
    return Image.new("L", size, alpha)


def _intersect(a: Box, b: Box) -> Box | None:
    left, top, right, bottom = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _area(b: Box) -> int:
    return (b[2] - b[0]) * (b[3] - b[1])


def _paint_all(surface: _Surface) -> None:
    assert surface.image is not None
    image = surface.image
    draw = ImageDraw.Draw(image)
    for op in surface.ops:
        _paint(surface, image, draw, op, None)


def _touches(b: Box, area: Box) -> bool:
    return b[0] < area[2] and area[0] < b[2] and b[1] < area[3] and area[1] < b[3]


def _grow(ops: list[_Op], area: Box, size: tuple[int, int]) -> Box | None:
    """Grow ``area`` until no op that cannot be clipped crosses its edge, so painting such an op in
    full changes no pixel outside it; None when it lies off the canvas."""
    grown = True
    while grown:
        grown = False
        for op in ops:
            b = op.box
            if op.kind in _CLIPPABLE or not _touches(b, area):
                continue
            if b[0] < area[0] or b[1] < area[1] or b[2] > area[2] or b[3] > area[3]:
                area = _union(area, b)
                grown = True
    return _intersect(area, (0, 0) + size)


def _paint_area(surface: _Surface, area: Box, filled: bool) -> None:
    """Repaint ``area`` (grown by _grow) from the display list, in place. ``filled``: it already
    holds the canvas colour (otherwise it may hold anything)."""
    assert surface.image is not None
    ops = surface.ops
    start = 0
    # An opaque op covering the whole area hides everything painted before it.
    cover: Box | None = None
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        b = op.box
        if op.kind in _OPAQUE and b[0] <= area[0] and b[1] <= area[1] and b[2] >= area[2] and b[3] >= area[3]:
            start, filled = i, True
            break
    image = surface.image
    draw = ImageDraw.Draw(image)
    if not filled:
        # Under the largest opaque op the canvas colour would be painted over: leave it out.
        best = 0
        for op in ops:
            if op.kind in _OPAQUE:
                inside = _intersect(op.box, area)
                if inside is not None and _area(inside) > best:
                    cover, best = inside, _area(inside)
        if cover is None or best * 4 < _area(area):
            cover = None
            image.paste(surface.fill, area)
        else:
            for b in _outside(cover, area):
                image.paste(surface.fill, b)
    for op in ops[start:]:
        if _touches(op.box, area):
            _paint(surface, image, draw, op, area)


def _matched(old: list[_Op], new: list[_Op]) -> tuple[int, int]:
    """Lengths of the common prefix and suffix of two display lists."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix].key == new[prefix].key:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix].key == new[-1 - suffix].key:
        suffix += 1
    return prefix, suffix


def _update(old: _Surface | None, new: _Surface, shared: bool = False) -> list[Box]:
    """Give ``new`` its pixels, reusing ``old``'s canvas where the lists agree; returns the changed areas.

    A ``shared`` canvas has been handed out and is never drawn on again: a changed frame is painted
    on a copy of it (or afresh), an unchanged one reuses it as it is.
    """
    width, height = new.size
    whole = (0, 0, width, height)
    if old is None or old.image is None or old.size != new.size:
        for sub in new.subs:
            _update(None, sub)
        new.image = Image.new("RGB", new.size, None)  # every pixel is painted below
        _paint_area(new, whole, filled=False)
        return [whole]
    new.image, old.image = old.image, None
    if old.fill != new.fill:
        prefix = suffix = 0
    else:
        prefix, suffix = _matched(old.ops, new.ops)
    damage: list[Box] = []
    # Clip canvases behind matching ops were painted from the same place: update them in place and
    # carry their changed areas up. The others are painted afresh (reusing a canvas of the same size).
    paired: set[int] = set()
    for i in list(range(prefix)) + list(range(len(new.ops) - suffix, len(new.ops))):
        op = new.ops[i]
        if op.kind != _SURFACE:
            continue
        j = i if i < prefix else len(old.ops) - (len(new.ops) - i)
        index, x, y = op.args
        old_index = old.ops[j].args[0]
        paired.add(index)
        for b in _update(old.subs[old_index], new.subs[index]):
            damage.append((b[0] + x, b[1] + y, b[2] + x, b[3] + y))
        old.subs[old_index] = _Surface(old.subs[old_index].size, "")  # its canvas now belongs to the new one
    spare = [s for s in old.subs if s.image is not None]
    for index, sub in enumerate(new.subs):
        if index in paired:
            continue
        reuse = next((s for s in spare if s.size == sub.size), None)
        if reuse is not None:
            spare.remove(reuse)
            sub.image, reuse.image = reuse.image, None
            sub.image.paste(sub.fill, (0, 0) + sub.size)
            for inner in sub.subs:
                _update(None, inner)
            _paint_all(sub)
        else:
            _update(None, sub)
    for op in old.ops[prefix:len(old.ops) - suffix]:
        damage.append(op.box)
    for op in new.ops[prefix:len(new.ops) - suffix]:
        damage.append(op.box)
    damage = [d for d in (_intersect(b, whole) for b in damage) if d is not None]
    if not damage:
        return []
    rects = [g for g in (_grow(new.ops, r, new.size) for r in _merge(damage)) if g is not None]
    bounds = rects[0]
    for r in rects[1:]:
        bounds = _union(bounds, r)
    if _area(bounds) * 2 > width * height:
        # Most of the canvas changed: repaint one area holding all changes.
        bounds = _grow(new.ops, bounds, new.size) or bounds
        if shared:
            # A fresh canvas already holds the background; copy over only what lies outside.
            previous = new.image
            new.image = Image.new("RGB", new.size, None)  # every pixel is copied or painted below
            for keep in _outside(bounds, whole):
                new.image.paste(previous.crop(keep), keep[:2])
            _paint_area(new, bounds, filled=False)
        else:
            _paint_area(new, bounds, filled=False)
        return damage
    if shared:
        new.image = new.image.copy()
    for r in rects:
        _paint_area(new, r, filled=False)
    return damage


def _outside(inner: Box, outer: Box) -> list[Box]:
    """``outer`` less ``inner`` (which lies within it), as up to four boxes."""
    x0, y0, x1, y1 = outer
    left, top, right, bottom = inner
    boxes = [(x0, y0, x1, top), (x0, bottom, x1, y1), (x0, top, left, bottom), (right, top, x1, bottom)]
    return [b for b in boxes if b[2] > b[0] and b[3] > b[1]]


def _merge(boxes: list[Box]) -> list[Box]:
    """Join overlapping boxes (and all of them when there are many) so no area is painted twice."""
    if len(boxes) > 12:
        out = boxes[0]
        for b in boxes[1:]:
            out = _union(out, b)
        return [out]
    merged: list[Box] = []
    for b in boxes:
        changed = True
        while changed:
            changed = False
            for i, m in enumerate(merged):
                if m[0] <= b[2] and b[0] <= m[2] and m[1] <= b[3] and b[1] <= m[3]:
                    b = _union(b, merged.pop(i))
                    changed = True
                    break
        merged.append(b)
    return merged


# Frames are large (10 MB) and short-lived; fresh memory costs a page fault per 4 KB when first
# written, which costs more than painting. Let Pillow keep freed blocks for the next frame.
if Image.core.get_blocks_max() < 8:
    Image.core.set_blocks_max(8)

# Recent frames (a few, as several phones may share one process), newest first.
_RECENT: list[_Surface] = []
_RECENT_MAX = 4
_LOCK = threading.Lock()


def render(windows: list[Node], size: tuple[int, int] = (theme.WIDTH, theme.HEIGHT),
           phase: float = 0.0) -> Image.Image:
    """The screen for ``windows``. The image may be shared with later calls that draw the same
    pixels, so treat it as read-only (copy it before drawing on it)."""
    frame = _Surface(size, theme.BG)
    for window in windows:
        _emit_node(frame, window, 0, 0, phase, _canvas_backdrop(frame))
    with _LOCK:
        # Start from the recent frame sharing most of this one's display list.
        best, best_score = None, -1
        for candidate in _RECENT:
            if candidate.size == size:
                score = sum(_matched(candidate.ops, frame.ops))
                if score > best_score:
                    best, best_score = candidate, score
        if best is not None and (best_score > 0 or len(_RECENT) >= _RECENT_MAX):
            _RECENT.remove(best)
        elif len(_RECENT) >= _RECENT_MAX:
            best = _RECENT.pop()
        else:
            best = None
        try:
            _update(best, frame, shared=True)
        except BaseException:
            frame.image = None
            raise
        _RECENT.insert(0, frame)
        del _RECENT[_RECENT_MAX:]
        assert frame.image is not None
        return frame.image


def clear_cache() -> None:
    """Forget recent frames, so the next one is painted from scratch (benchmarks use this)."""
    with _LOCK:
        _RECENT.clear()


def _anchor(node: Node) -> str:
    return {"left": "lm", "center": "mm", "right": "rm"}[node.align]


def _anchor_x(node: Node, left: int, right: int, pad: int) -> int:
    if node.align == "center":
        return (left + right) // 2
    if node.align == "right":
        return right - pad
    return left + pad


def _draw_icon(image: Image.Image, draw: ImageDraw.ImageDraw, name: str, box: tuple[int, int, int, int],
               color: str, node: Node, phase: float) -> None:
    left, top, right, bottom = box
    cx, cy = (left + right) // 2, (top + bottom) // 2
    if name == "back":
        draw.polygon([(cx + 22, cy - 26), (cx + 22, cy + 26), (cx - 24, cy)], outline=color, width=5)
    elif name == "home":
        draw.ellipse((cx - 26, cy - 26, cx + 26, cy + 26), outline=color, width=5)
    elif name == "recent":
        draw.rounded_rectangle((cx - 22, cy - 22, cx + 22, cy + 22), radius=6, outline=color, width=5)
    elif name == "arrow_left":
        draw.line((cx + 20, cy - 24, cx - 8, cy, cx + 20, cy + 24), fill=color, width=6, joint="curve")
        draw.line((cx - 8, cy, cx + 30, cy), fill=color, width=6)
    elif name == "chevron":
        draw.line((cx - 8, cy - 18, cx + 10, cy, cx - 8, cy + 18), fill=color, width=5)
    elif name == "close":
        r = min(right - left, bottom - top) // 4
        draw.line((cx - r, cy - r, cx + r, cy + r), fill=color, width=6)
        draw.line((cx - r, cy + r, cx + r, cy - r), fill=color, width=6)
    elif name == "search":
        draw.ellipse((left + 20, cy - 22, left + 60, cy + 18), outline=color, width=5)
        draw.line((left + 54, cy + 12, left + 72, cy + 30), fill=color, width=6)
    elif name == "caret":
        x = _caret_x(node, left)
        draw.line((x, cy - 28, x, cy + 28), fill=theme.PRIMARY, width=4)
    elif name == "switch":
        draw.rounded_rectangle((left, top + 10, right, bottom - 10), radius=(bottom - top - 20) // 2, fill=color)
        knob = right - 40 if node.checked else left + 40
        draw.ellipse((knob - 32, cy - 32, knob + 32, cy + 32), fill="#FFFFFF", outline=theme.BORDER, width=2)
    elif name == "spinner":
        r = min(right - left, bottom - top) // 2 - 6
        start = (phase * 360) % 360
        draw.arc((cx - r, cy - r, cx + r, cy + r), start, start + 270, fill=color, width=12)
    elif name == "check":
        draw.ellipse((left, top, right, bottom), fill=theme.SUCCESS)
        s = (right - left) // 4
        draw.line((cx - s, cy, cx - s // 3, cy + s * 2 // 3, cx + s, cy - s // 2), fill="#FFFFFF", width=10)
    elif name == "status":
        # Wi-Fi arcs and a battery, drawn at the right of the status bar.
        for i, r in enumerate((30, 20, 10)):
            draw.arc((860 - r, 50 - r, 860 + r, 50 + r), 225, 315, fill=color, width=5)
        draw.rectangle((900, 26, 960, 54), outline=color, width=4)
        draw.rectangle((906, 32, 944, 48), fill=color)
        draw.rectangle((962, 34, 968, 46), fill=color)
    elif name == "dot":
        draw.ellipse((left, top, right, bottom), fill=color)
    elif name == "star":
        pts = []
        r1, r2 = (right - left) // 2, (right - left) // 5
        for i in range(10):
            r = r1 if i % 2 == 0 else r2
            a = math.pi / 2 + i * math.pi / 5
            pts.append((cx + r * math.cos(a), cy - r * math.sin(a)))
        draw.polygon(pts, fill=color)
