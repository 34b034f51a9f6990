"""Widgets several apps share: tab bars, product-style cards, bottom action bars."""

from __future__ import annotations

import re

from emulator import theme
from emulator.widgets import UI, Handler, Node


def normalize(text: str) -> str:
    return re.sub(r"[\s\-_·,.'’]+", "", text.lower())


# Words a shop's search skips: "an umbrella" finds the Umbrella, as on any real shop.
_ARTICLES = frozenset({"a", "an", "the", "some"})


def matches(query: str, *haystack: str, shop: bool = False) -> bool:
    """Every word of the query appears in the item's names (English or Chinese, any case).

    With ``shop`` the query is read as a shop's search reads it: an English plural also finds its
    singular ("coffee mugs" finds "Coffee Mug", "wool scarves" finds "Wool Scarf") and articles
    are skipped ("an umbrella" finds "Umbrella")."""
    hay = normalize(" ".join(haystack))
    words = [normalize(w) for w in query.split() if not (shop and w.lower() in _ARTICLES)]
    return bool(words) and all(any(form in hay for form in (_word_forms(w) if shop else (w,)))
                               for w in words if w)


def _word_forms(word: str) -> tuple[str, ...]:
    """The word, then the singulars it may be the plural of (a guess per English spelling rule;
    a wrong guess only widens a search, never hides the exact word)."""
    if len(word) < 4 or not word.endswith("s") or word.endswith("ss"):
        return (word,)
    forms = [word, word[:-1]]
    if word.endswith("es"):
        forms.append(word[:-2])
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith("ves"):
        forms += [word[:-3] + "f", word[:-3] + "fe"]
    return tuple(forms)


def card(ui: UI, title: str, lines: list[str], on_tap: Handler | None, rid: str, letter: str, color: str,
         height: int = 300, trailing: str = "", title_rid: str = "", trailing_rid: str = "", desc: str = "") -> Node:
    node = Node((0, ui.y, theme.WIDTH, ui.y + height), cls="android.widget.LinearLayout", rid=rid,
                clickable=on_tap is not None, focusable=on_tap is not None, on_tap=on_tap, bg=theme.SURFACE,
                border=theme.DIVIDER, desc=desc)
    with ui.group(node):
        top = ui.y
        size = height - 60
        node.add(Node((40, top + 30, 40 + size, top + 30 + size), cls="android.widget.ImageView", bg=color,
                      radius=20, icon="letter:" + letter))
        x = 40 + size + 36
        node.add(Node((x, top + 26, theme.WIDTH - 40, top + 26 + 70), cls="android.widget.TextView",
                      text=title, rid=title_rid, size=42, bold=True))
        y = top + 104
        for line in lines:
            node.add(Node((x, y, theme.WIDTH - 40, y + 56), cls="android.widget.TextView", text=line, size=34,
                          fg=theme.TEXT_2))
            y += 58
        if trailing:
            node.add(Node((x, top + height - 86, theme.WIDTH - 40, top + height - 20),
                          cls="android.widget.TextView", text=trailing, rid=trailing_rid, size=44, bold=True,
                          fg=theme.PRIMARY))
    ui.gap(16)
    return node


def tab_bar(ui: UI, tabs: list[tuple[str, str, Handler]], current: str) -> None:
    """Bottom navigation tabs: (rid, label, handler)."""
    with ui.footer(150) as bar:
        width = theme.WIDTH // len(tabs)
        for i, (rid, label, handler) in enumerate(tabs):
            chosen = rid == current
            bar.add(Node((i * width, bar.bounds[1], (i + 1) * width, bar.bounds[3]), cls="android.widget.TextView",
                         text=label, rid=rid, clickable=True, focusable=True, selected=chosen, size=36,
                         bold=chosen, align="center", fg=theme.PRIMARY if chosen else theme.TEXT_2, on_tap=handler))


def action_bar(ui: UI, summary: str, button: str, on_tap: Handler, rid: str, summary_rid: str = "",
               enabled: bool = True) -> None:
    """A footer with a total on the left and the main button on the right."""
    with ui.footer(170) as bar:
        top = bar.bounds[1]
        bar.add(Node((40, top, 500, top + 170), cls="android.widget.TextView", text=summary, rid=summary_rid,
                      size=44, bold=True, fg=theme.PRIMARY))
        style = theme.BUTTON_STYLES["primary"]
        bar.add(Node((510, top + 25, 1040, top + 145), cls="android.widget.Button", text=button, rid=rid,
                      clickable=enabled, enabled=enabled, focusable=True, bg=style[0] if enabled else theme.DISABLED_BG,
                      fg=style[1] if enabled else theme.DISABLED_TEXT, radius=60, size=40, bold=True,
                      align="center", on_tap=on_tap if enabled else None))


def two_buttons(ui: UI, left: tuple[str, Handler, str], right: tuple[str, Handler, str]) -> None:
    with ui.footer(170) as bar:
        top = bar.bounds[1]
        for (text, handler, rid), (x0, x1), style in ((left, (40, 530), "secondary"), (right, (550, 1040), "primary")):
            bg, fg, border = theme.BUTTON_STYLES[style]
            bar.add(Node((x0, top + 25, x1, top + 145), cls="android.widget.Button", text=text, rid=rid,
                          clickable=True, focusable=True, bg=bg, fg=fg, border=border, radius=60, size=40,
                          bold=style == "primary", align="center", on_tap=handler))


def success_block(ui: UI, title: str, subtitle: str, amount: str) -> None:
    ui.gap(80)
    ui.put(Node((440, ui.y, 640, ui.y + 200), cls="android.widget.ImageView", rid="success_icon",
                desc="Success 成功", icon="check"))
    ui.gap(30)
    ui.text(title, size=52, bold=True, align="center", rid="success_title")
    ui.text(subtitle, size=40, color=theme.TEXT_2, align="center", rid="reference")
    ui.text(amount, size=56, bold=True, align="center", color=theme.PRIMARY, rid="amount")
    ui.gap(60)
