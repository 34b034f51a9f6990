"""A page's open alert, confirm or prompt, as the model sees it: a dialog sheet over the page.

While the dialog is open the page can be neither captured nor read, so the observation is the
last screenshot with the sheet drawn over it (pillow), and the hierarchy is the sheet alone, laid
out as Android lays out an AlertDialog (title, message, an EditText for a prompt, Cancel and OK;
Android's resource ids). A tap on OK or Cancel answers the dialog; Type fills a prompt's field.
The guard reads the sheet like any screen: OK under "Pay ¥399?" is a payment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageDraw
from playwright.sync_api import Dialog

from autoagent.actuators.browser_notices import font
from autoagent.perception.tree import ScreenTree, TreeBuilder

Part = Literal["ok", "cancel", "field"]
Box = tuple[int, int, int, int]

MAX_MESSAGE = 500  # characters of a page's message shown; the rest is cut with an ellipsis
MAX_LINES = 8


@dataclass
class OpenDialog:
    """A dialog waiting for its answer; ``text`` is what its prompt field holds."""

    dialog: Dialog
    kind: str  # alert, confirm or prompt
    message: str
    origin: str
    text: str = ""
    opened: float = field(default_factory=time.monotonic)

    @classmethod
    def of(cls, dialog: Dialog, origin: str) -> OpenDialog:
        message = dialog.message.strip()
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE - 1] + "…"
        return cls(dialog, dialog.type, message, origin, text=dialog.default_value if dialog.type == "prompt" else "")

    @property
    def buttons(self) -> tuple[str, ...]:
        return ("OK",) if self.kind == "alert" else ("Cancel", "OK")

    def describe(self) -> str:
        """One line for notices: the page's ``confirm("...")``."""
        return f"The page's {self.kind}() \"{' '.join(self.message.split())[:200]}\""


@dataclass(frozen=True)
class _Layout:
    line: int
    sheet: Box
    title: Box
    message: Box
    lines: list[str]
    field: Box | None
    buttons: dict[str, Box]


def _wrap(text: str, width: float, size: int) -> list[str]:
    """``text`` in lines no wider than ``width`` at font ``size`` (any script: by character)."""
    face = font(size)
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for char in paragraph:
            if current and face.getlength(current + char) > width:
                cut = current.rfind(" ")
                if cut > 0 and char != " ":  # break at a space where the line has one
                    lines.append(current[:cut])
                    current = current[cut + 1:]
                else:
                    lines.append(current)
                    current = ""
            current += char
        lines.append(current)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES - 1] + [lines[MAX_LINES - 1].rstrip() + " …"]
    return lines


def layout(open_dialog: OpenDialog, size: tuple[int, int]) -> _Layout:
    """Where each part of the sheet sits on a screen of ``size`` pixels."""
    width, height = size
    line = max(18, min(width, height) // 20)
    pad = line // 2
    sheet_w = min(width - 2 * line, 16 * line)
    left = (width - sheet_w) // 2
    lines = _wrap(open_dialog.message, sheet_w - 2 * pad, _text_size(line))
    field_h = int(line * 1.6) if open_dialog.kind == "prompt" else 0
    button_h = int(line * 1.8)
    sheet_h = pad + line + pad + len(lines) * line + pad + (field_h + pad if field_h else 0) + button_h + pad
    top = max(0, (height - sheet_h) // 2)
    right = left + sheet_w
    title = (left + pad, top + pad, right - pad, top + pad + line)
    message = (left + pad, title[3] + pad, right - pad, title[3] + pad + len(lines) * line)
    y = message[3] + pad
    field_box = None
    if field_h:
        field_box = (left + pad, y, right - pad, y + field_h)
        y += field_h + pad
    buttons: dict[str, Box] = {}
    x = right - pad
    for name in reversed(open_dialog.buttons):
        button_w = 4 * line
        buttons[name] = (x - button_w, y, x, y + button_h)
        x -= button_w + pad
    return _Layout(line, (left, top, right, y + button_h + pad), title, message, lines, field_box, buttons)


def _text_size(line: int) -> int:
    return max(10, int(line * 0.62))


def part_at(open_dialog: OpenDialog, size: tuple[int, int], x: float, y: float) -> Part | None:
    """Which part of the sheet a touch at ``(x, y)`` lands on: a button, the prompt's field, or
    nothing that answers (the rest of the sheet, or the page behind it)."""
    where = layout(open_dialog, size)

    def inside(box: Box) -> bool:
        return box[0] <= x < box[2] and box[1] <= y < box[3]

    for name, box in where.buttons.items():
        if inside(box):
            return "ok" if name == "OK" else "cancel"
    if where.field is not None and inside(where.field):
        return "field"
    return None


def dialog_tree(open_dialog: OpenDialog, size: tuple[int, int], package: str) -> ScreenTree:
    """The sheet as a window of its own: the page behind it takes no touch."""
    where = layout(open_dialog, size)
    b = TreeBuilder()
    sheet = b.add(None, cls="android.widget.FrameLayout", resource_id="android:id/parentPanel",
                  package=package, bounds=where.sheet)
    b.add(sheet, cls="android.widget.TextView", resource_id="android:id/alertTitle", package=package,
          text=f"{open_dialog.origin} says", bounds=where.title)
    b.add(sheet, cls="android.widget.TextView", resource_id="android:id/message", package=package,
          text=open_dialog.message, bounds=where.message)
    if where.field is not None:
        b.add(sheet, cls="android.widget.EditText", resource_id="android:id/edit", package=package,
              text=open_dialog.text, bounds=where.field, clickable=True, focusable=True, focused=True)
    for name, box in sorted(where.buttons.items(), key=lambda item: item[1][0]):
        b.add(sheet, cls="android.widget.Button", resource_id="android:id/button1" if name == "OK"
              else "android:id/button2", package=package, text=name, bounds=box, clickable=True, focusable=True)
    return b.build()


def draw_dialog(image: Image.Image, open_dialog: OpenDialog) -> Image.Image:
    """A copy of ``image``, dimmed, with the sheet drawn where :func:`dialog_tree` places it."""
    where = layout(open_dialog, image.size)
    out = Image.blend(image.convert("RGB"), Image.new("RGB", image.size, (0, 0, 0)), 0.45)
    draw = ImageDraw.Draw(out)
    radius = where.line // 3
    draw.rounded_rectangle(where.sheet, radius=radius, fill=(255, 255, 255))
    size = _text_size(where.line)
    face = font(size)
    draw.text((where.title[0], where.title[1]), f"{open_dialog.origin} says", fill=(32, 33, 36), font=font(size + 2))
    for i, text in enumerate(where.lines):
        draw.text((where.message[0], where.message[1] + i * where.line), text, fill=(60, 64, 67), font=face)
    if where.field is not None:
        draw.rectangle(where.field, outline=(26, 115, 232), width=max(1, where.line // 12))
        inset = where.line // 4
        draw.text((where.field[0] + inset, where.field[1] + inset), open_dialog.text, fill=(32, 33, 36), font=face)
    for name, box in where.buttons.items():
        if name == "OK":
            draw.rounded_rectangle(box, radius=radius, fill=(26, 115, 232))
        else:
            draw.rounded_rectangle(box, radius=radius, outline=(218, 220, 224), width=max(1, where.line // 12))
        colour = (255, 255, 255) if name == "OK" else (26, 115, 232)
        tw = face.getlength(name)
        draw.text(((box[0] + box[2] - tw) / 2, (box[1] + box[3] - size) / 2 - 2), name, fill=colour, font=face)
    return out
