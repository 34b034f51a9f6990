"""设置 Settings (com.autoagent.settings): switches, display, language, about."""

from __future__ import annotations

from pydantic import BaseModel

from emulator import theme
from emulator.apps.base import App, Screen
from emulator.widgets import UI

LANGUAGES = [("en", "English"), ("zh", "简体中文 Chinese")]
FONT_SIZES = [("small", "Small 小"), ("default", "Default 默认"), ("large", "Large 大")]


class SettingsState(BaseModel):
    wifi: bool = True
    bluetooth: bool = False
    airplane_mode: bool = False
    notifications: bool = True
    dark_mode: bool = False
    brightness: int = 60
    font_size: str = "default"
    language: str = "en"


class Settings(App):
    package = "com.autoagent.settings"
    label = "Settings"
    label_zh = "设置"
    letter = "设"
    aliases = ("setting", "系统设置")

    def make_state(self) -> SettingsState:
        return SettingsState()

    @property
    def settings(self) -> SettingsState:
        return self.state  # type: ignore[return-value]

    def screen_title(self, screen: Screen) -> str:
        return {"display": "Display 显示", "language": "Language 语言", "about": "About phone 关于手机"}.get(
            screen.name, "Settings 设置")

    def _toggle(self, attr: str):
        return lambda: setattr(self.settings, attr, not getattr(self.settings, attr))

    def screen_home(self, ui: UI) -> None:
        s = self.settings
        self.app_bar(ui, "Settings 设置")
        with ui.scroll("settings", rid="settings_list"):
            ui.divider("Network 网络")
            ui.switch("Wi-Fi 无线网络", s.wifi, self._toggle("wifi"), "wifi_switch",
                      subtitle="Connected to HomeNet 已连接" if s.wifi else "Off 已关闭")
            ui.switch("Bluetooth 蓝牙", s.bluetooth, self._toggle("bluetooth"), "bluetooth_switch")
            ui.switch("Airplane mode 飞行模式", s.airplane_mode, self._toggle("airplane_mode"), "airplane_switch")
            ui.divider("Device 设备")
            ui.switch("Notifications 通知", s.notifications, self._toggle("notifications"), "notifications_switch")
            ui.row("Display 显示", lambda: self.open("display"), subtitle="Brightness, dark mode 亮度、深色模式",
                   rid="display_row")
            ui.row("Language 语言", lambda: self.open("language"), subtitle=dict(LANGUAGES)[s.language],
                   rid="language_row")
            ui.row("About phone 关于手机", lambda: self.open("about"), rid="about_row")

    def screen_display(self, ui: UI) -> None:
        s = self.settings
        self.app_bar(ui, "Display 显示")
        ui.switch("Dark mode 深色模式", s.dark_mode, self._toggle("dark_mode"), "dark_mode_switch")
        ui.stepper("Brightness 亮度 %", s.brightness,
                   (lambda: setattr(s, "brightness", s.brightness - 10)) if s.brightness > 0 else None,
                   (lambda: setattr(s, "brightness", s.brightness + 10)) if s.brightness < 100 else None,
                   rid="brightness")
        ui.divider("Font size 字体大小")
        ui.chips(FONT_SIZES, s.font_size, lambda v: setattr(s, "font_size", v), "font_")

    def screen_language(self, ui: UI) -> None:
        s = self.settings
        self.app_bar(ui, "Language 语言")
        for code, name in LANGUAGES:
            ui.row(name, lambda c=code: setattr(s, "language", c), rid=f"language_{code}",
                   trailing="✓" if s.language == code else "", chevron=False)

    def screen_about(self, ui: UI) -> None:
        self.app_bar(ui, "About phone 关于手机")
        for title, value in (("Model 型号", "AutoAgent Virtual Phone"), ("Android version 安卓版本", "14"),
                             ("Screen 屏幕", "1080 x 2400"), ("Build 版本号", f"EMU.{self.phone.seed}")):
            ui.row(title, subtitle=value, chevron=False, rid="about_item")
        ui.gap(20)
        ui.text("Virtual device for testing 测试用虚拟设备", size=34, color=theme.TEXT_2, align="center")
