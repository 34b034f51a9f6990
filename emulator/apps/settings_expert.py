"""The expert's strategy in Settings: a switch on the main list, or a choice on the Display
or Language page."""

from __future__ import annotations

from dataclasses import dataclass

from autoagent.actions import Action, Back
from emulator.apps.settings import Settings
from emulator.expertkit import Moves, Screen, Strategy


@dataclass(frozen=True)
class SettingChange:
    attr: str  # wifi, bluetooth, airplane_mode, notifications, dark_mode, language, font_size
    value: object


def step(ex: Moves, s: Screen, app) -> tuple[str, Action]:
    spec = ex.spec
    assert isinstance(spec, SettingChange)
    screen = app.top
    page = {"dark_mode": "display", "font_size": "display", "language": "language"}.get(spec.attr, "home")
    if screen.name != page:
        if screen.name != "home":
            return ex.say("This settings page is not the one I need; I go back.", "不是需要的设置页面，返回。"), Back()
        row = {"display": ("display_row", ("Display", "显示")), "language": ("language_row", ("Language", "语言"))}
        rid, what = row[page]
        return ex.press(s, rid, what, "settings_list")
    if spec.attr == "language":
        return ex.press(s, f"language_{spec.value}", ("the language", "语言"))
    if spec.attr == "font_size":
        return ex.press(s, f"font_{spec.value}", ("the font size", "字体大小"))
    switch = {"wifi": "wifi_switch", "bluetooth": "bluetooth_switch", "airplane_mode": "airplane_switch",
              "notifications": "notifications_switch", "dark_mode": "dark_mode_switch"}[spec.attr]
    names = {"wifi": ("Wi-Fi", "无线网络"), "bluetooth": ("Bluetooth", "蓝牙"),
             "airplane_mode": ("Airplane mode", "飞行模式"), "notifications": ("Notifications", "通知"),
             "dark_mode": ("Dark mode", "深色模式")}[spec.attr]
    node = s.id(switch)
    if node is None:
        return ex.seek(s, "settings_list", names)
    on = bool(spec.value)
    return ex.say(f"I switch {names[0]} {'on' if on else 'off'}.", f"{'打开' if on else '关闭'}{names[1]}。"), \
        ex.tap(s, node)


def summary(ex: Moves) -> str:
    return ex.say("The setting is changed.", "设置已修改。")


STRATEGIES = (Strategy(SettingChange, step, summary, app=lambda ex: Settings.package),)
