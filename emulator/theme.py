"""Colours and sizes of the emulator's look, in one place."""

from __future__ import annotations

WIDTH, HEIGHT = 1080, 2400
STATUS_BAR = 80
NAV_BAR = 130
APP_BAR = 150
KEYBOARD = 720

BG = "#F2F3F5"
SURFACE = "#FFFFFF"
TEXT = "#1F1F1F"
TEXT_2 = "#6B6F76"
HINT = "#9AA0A6"
BORDER = "#C9CDD2"
DIVIDER = "#E6E8EB"
PRIMARY = "#FF5000"
PRIMARY_SOFT = "#FFEDE3"
ON_PRIMARY = "#FFFFFF"
DISABLED_BG = "#E3E5E8"
DISABLED_TEXT = "#A9ADB3"
DANGER = "#D93025"
SUCCESS = "#188038"
SCRIM = "#00000099"
STATUS_BG = "#1F1F1F"
NAV_BG = "#000000"
KEYBOARD_BG = "#D5D8DD"
KEY_BG = "#FFFFFF"
TOAST_BG = "#323232"

# style -> (background, text, border)
BUTTON_STYLES = {
    "primary": (PRIMARY, ON_PRIMARY, None),
    "secondary": (SURFACE, PRIMARY, PRIMARY),
    "text": (None, PRIMARY, None),
    "danger": (SURFACE, DANGER, DANGER),
}

# Per-app accent colours (icons, app bars).
APP_COLORS = {
    "com.autoagent.shop": "#FF5000",
    "com.autoagent.travel": "#1A73E8",
    "com.autoagent.restaurant": "#E8A317",
    "com.autoagent.settings": "#5F6368",
    "com.autoagent.contacts": "#0F9D58",
    "com.autoagent.messages": "#7B1FA2",
}
MARGIN = 40
