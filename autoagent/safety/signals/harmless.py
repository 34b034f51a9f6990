"""Which controls may commit: harmless ones, icon-only ones, and what counts as commit-like.

Harmless (:func:`harmless`) means navigation (a list row or card, a tab, a link by its id or its
words: Details, Search, Proceed to shipping, 查看), choosing an option (radio, checkbox, spinner,
chips), quantity up ("+") or down while it stays above zero, a text field, Back/Cancel/Close. An
icon-only control (:func:`icon_only`) says nothing about itself: no text, no description, an id
without meaning (``btn_1``). These are read only in a risky context (see ``context``).
"""

from __future__ import annotations

import re

from autoagent.perception.tree import UINode
from autoagent.safety import keywords as kw
from autoagent.safety.screen import CONTROL_MAX_SHARE, Screen, is_checkable_class, is_edit
from autoagent.safety.signals.controls import acts, negative_id
from autoagent.safety.signals.look import Touch, rid
from autoagent.safety.stepper import is_decrement, quantity_beside

# Words of controls that move around or choose, never commit. Matched like keywords (whole
# English words, Chinese substrings), and only for a control that no keyword classifies.
NAVIGATION = (
    "details", "detail", "view", "view all", "see all", "see more", "show more", "more", "learn more", "read more",
    "browse", "search", "filter", "sort", "help", "info", "reviews", "share", "edit", "change", "modify",
    "select", "choose", "pick", "add to cart", "add to basket", "add to bag", "add to wishlist", "add to favourites",
    "add to favorites", "favourite", "favorite", "save for later", "copy", "expand", "collapse", "home", "menu",
    "order food", "view cart", "go to cart", "cart", "while using the app", "only this time", "don't allow",
    "do not allow", "deny", "attach", "emoji", "sticker", "voice", "camera", "photo", "gallery",
    "详情", "查看", "更多", "全部", "搜索", "筛选", "排序", "帮助", "分享", "编辑", "修改", "选择", "加入购物车", "加购",
    "收藏", "复制", "展开", "收起", "首页", "菜单", "点餐", "购物车", "使用时允许", "仅本次允许", "仅在使用中允许",
    "不允许", "拒绝", "附件", "表情", "语音", "相机", "拍照", "相册", "图片",
)
# Ids of tabs, menus and links (``tab_cart``, ``nav-shop``, ``menu_orders``, ``breadcrumb``).
_NAVIGATION_IDS = frozenset(("tab", "tabs", "nav", "navbar", "navigation", "menu", "link", "breadcrumb"))
# "Proceed to shipping", "Go to cart", "前往购物车": a label that names where it leads. One that
# names paying ("Proceed to payment") has been classified before this is read.
_GOES_TO = re.compile(r"^\s*(?:(?:proceed|continue|go|move|back|return|skip|jump) to\b|前往)", re.IGNORECASE)
_PLUS_GLYPHS = frozenset(("+", "＋", "➕", "⊕", "加"))
_PLUS_WORDS = re.compile(r"^\s*(?:increase|increment|add one|plus|more|增加|加一)\b", re.IGNORECASE)
# Classes that choose or move rather than act: tabs, spinners, chips, sliders.
_CHOOSER_CLASSES = ("Spinner", "Chip", "Tab", "TabView", "SeekBar", "RatingBar", "RadioGroup", "NumberPicker")


def icon_only(screen: Screen, node: UINode) -> bool:
    """A control that says nothing about itself: no text, no description, and an id that names no
    class of risk, no backing out and no navigation (``iv_a``, ``btn_1``, ``ok``)."""
    if not node.clickable or is_edit(node) or screen.share(node) > CONTROL_MAX_SHARE:
        return False
    if any(c.label.strip() for c in [node, *screen.descendants(node)]):
        return False
    words = kw.normalise(rid(node)).strip()
    if not words or kw.is_generic(words):
        return True
    return not (kw.classify(words) or negative_id(words) or kw.find(words, NAVIGATION)
                or set(words.split()) & _NAVIGATION_IDS)


def harmless(screen: Screen, node: UINode, label: str, reach: float) -> str | None:
    """Why touching ``node`` cannot commit anything, or None when it might."""
    if is_edit(node):
        return "a text field"
    if kw.is_negative(label) or (not label.strip() and negative_id(rid(node))):
        return "it backs out"
    if node.checkable or is_checkable_class(node) or node.cls.endswith(_CHOOSER_CLASSES):
        return "it chooses an option"
    text = label.strip()
    if text in _PLUS_GLYPHS or (not node.text.strip() and _PLUS_WORDS.match(node.desc)):
        return "it raises a quantity"
    if is_decrement(node) and (found := quantity_beside(screen, node, reach)) and found[1] > 1:
        return "it lowers a quantity that stays above zero"
    if _is_row(screen, node):
        return "a list row or card: it opens what it shows"
    id_words = kw.normalise(rid(node))
    if set(id_words.split()) & _NAVIGATION_IDS:
        return "its id names a tab, a menu or a link"
    if _GOES_TO.match(text):
        return "it goes to another page"
    # An icon's id may say where it goes ("iv_cart", "btn_search") when nothing else does.
    words = text or id_words
    if words and not kw.is_generic(words) and kw.find(words, NAVIGATION):
        return "its words name navigation or a choice"
    return None


def _is_row(screen: Screen, node: UINode) -> bool:
    """A list row or a card (a product, a hotel, a contact): a clickable layout with several labels,
    none of which says "go ahead" (a layout reading "Continue ¥59" is a button)."""
    if node.cls.endswith(("Button", "ImageButton")) or not node.clickable:
        return False
    labels = [c.label for c in screen.descendants(node) if c.label.strip()]
    if any(kw.is_confirm(text) for text in labels):
        return False
    if screen.share(node) > CONTROL_MAX_SHARE or len(labels) >= 2:
        return True
    # A row cut off by the list's edge may show one label; other items with its id and class say it is a row.
    return bool(labels) and bool(node.resource_id) and any(
        other.index != node.index and other.resource_id == node.resource_id and other.cls == node.cls
        for other in screen.nodes)


def commit_like(screen: Screen, touch: Touch) -> bool:
    """A control that may go ahead with something: clickable, or a button or "OK" the hierarchy does
    not mark clickable (a web handler attached with addEventListener)."""
    node = touch.target
    if node is None or not acts(touch) or node.index in screen.disabled:
        return False
    if node.clickable:
        return True
    return touch.is_tap and (node.cls.endswith(("Button", "ImageButton"))
                             or (touch.label.strip() != "" and kw.is_generic(touch.label)))
