"""Draw a widget tree with Pillow. Everything drawn comes from a node, so the XML dump and
the pixels cannot disagree."""

from __future__ import annotations

import math
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


def _text(image: Image.Image, xy: tuple[int, int], text: str, size: int, bold: bool, color: str,
          anchor: str) -> None:
    sprite = _sprite(text, size, bold, anchor)
    if sprite is None:
        return
    mask, left, top = sprite
    image.paste(_rgb(color), (xy[0] + left, xy[1] + top, xy[0] + left + mask.width, xy[1] + top + mask.height), mask)


def _rgb(color: str) -> str:
    return color[:7]


@lru_cache(maxsize=4)
def _mask(size: tuple[int, int], alpha: int) -> Image.Image:
    return Image.new("L", size, alpha)


def render(windows: list[Node], size: tuple[int, int] = (theme.WIDTH, theme.HEIGHT),
           phase: float = 0.0) -> Image.Image:
    image = Image.new("RGB", size, theme.BG)
    for window in windows:
        _draw_node(image, ImageDraw.Draw(image), window, 0, 0, phase)
    return image


def _draw_node(image: Image.Image, draw: ImageDraw.ImageDraw, node: Node, dx: int, dy: int, phase: float) -> None:
    left, top, right, bottom = node.bounds
    box = (left - dx, top - dy, right - dx - 1, bottom - dy - 1)
    if node.bg and len(node.bg) == 9:
        # Translucent fill (dialog scrim): blend over what is already drawn.
        alpha = int(node.bg[7:9], 16)
        region = (box[0], box[1], box[2] + 1, box[3] + 1)
        image.paste(_rgb(node.bg), region, _mask((region[2] - region[0], region[3] - region[1]), alpha))
    elif (node.bg or node.border) and not (node.bg == theme.BG and not node.border and dx == dy == 0
                                           and node.scroll_key is None and not node.radius):
        if node.radius:
            draw.rounded_rectangle(box, radius=node.radius, fill=node.bg, outline=node.border,
                                   width=3 if node.border else 0)
        elif node.border and node.bg:
            draw.rectangle(box, fill=node.bg)
            draw.line((box[0], box[3], box[2], box[3]), fill=node.border, width=2)
        else:
            draw.rectangle(box, fill=node.bg, outline=node.border)
    if node.icon:
        _draw_icon(image, draw, node, box, phase)
    if node.text and node.size > 1:
        _draw_text(image, node, box)
    if node.scroll_key is not None:
        # Scrolled content is drawn on its own canvas so it is clipped to the viewport.
        width, height = right - left, bottom - top
        canvas = Image.new("RGB", (width, height), node.bg or theme.BG)
        canvas_draw = ImageDraw.Draw(canvas)
        for child in node.children:
            _draw_node(canvas, canvas_draw, child, left, top, phase)
        image.paste(canvas, (left - dx, top - dy))
        return
    for child in node.children:
        _draw_node(image, draw, child, dx, dy, phase)


def _draw_text(image: Image.Image, node: Node, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    pad = node.pad or (24 if node.align == "center" and node.cls == "android.widget.Button" else 0)
    width = right - left - 2 * pad
    if node.wrap:
        lines = wrap_lines(node.text, node.size, node.bold, width)
        line_height = int(node.size * 1.45)
        y = top + 4
        for line in lines:
            _text(image, (_anchor_x(node, left, right, pad), y + line_height // 2), line, node.size, node.bold,
                  node.fg, _anchor(node))
            y += line_height
        return
    lines = node.text.split("\n")
    line_height = int(node.size * 1.35)
    y = (top + bottom) // 2 - (len(lines) - 1) * line_height // 2
    for line in lines:
        _text(image, (_anchor_x(node, left, right, pad), y), _fit(line, node.size, node.bold, width), node.size,
              node.bold, node.fg, _anchor(node))
        y += line_height


def _anchor(node: Node) -> str:
    return {"left": "lm", "center": "mm", "right": "rm"}[node.align]


def _anchor_x(node: Node, left: int, right: int, pad: int) -> int:
    if node.align == "center":
        return (left + right) // 2
    if node.align == "right":
        return right - pad
    return left + pad


def _draw_icon(image: Image.Image, draw: ImageDraw.ImageDraw, node: Node, box: tuple[int, int, int, int], phase: float) -> None:
    left, top, right, bottom = box
    cx, cy = (left + right) // 2, (top + bottom) // 2
    color = _rgb(node.icon_color or node.fg)
    name = node.icon or ""
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
        x = left + (node.pad or 0) + (int(text_width(node.text, node.size)) if node.fg != theme.HINT else 0) + 4
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
    elif name.startswith("letter:"):
        letter = name.split(":", 1)[1]
        _text(image, (cx, cy), letter, max(20, (bottom - top) // 2), True, "#FFFFFF", "mm")
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
