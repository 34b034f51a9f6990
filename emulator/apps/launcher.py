"""The home screen: a grid of app icons, and the recent-apps list."""

from __future__ import annotations

from pydantic import BaseModel

from emulator import theme
from emulator.apps.base import App
from emulator.widgets import UI, Node

LAUNCHER = "com.autoagent.launcher"


class LauncherState(BaseModel):
    pass


class Launcher(App):
    package = LAUNCHER
    label = "Launcher"
    label_zh = "桌面"

    def make_state(self) -> BaseModel:
        return LauncherState()

    def screen_home(self, ui: UI) -> None:
        ui.root.bg = "#2D4A6B"
        ui.root.rid = "workspace"
        ui.gap(60)
        ui.text("Wednesday, June 11 6月11日 星期三", size=40, color="#FFFFFF", rid="date")
        ui.gap(60)
        apps = [a for a in self.phone.apps.values() if a.package != LAUNCHER]
        cell_w, cell_h = 270, 330
        for i, app in enumerate(apps):
            col, row = i % 4, i // 4
            left, top = col * cell_w, ui.y + row * cell_h
            name = f"{app.label} {app.label_zh}"
            icon = Node((left, top, left + cell_w, top + cell_h), cls="android.widget.TextView", text="",
                        desc=name, rid="app_icon", clickable=True, focusable=True, long_clickable=True,
                        on_tap=lambda a=app: self.phone.open_app(a))
            icon.add(Node((left + 65, top + 20, left + 205, top + 160), cls="android.widget.ImageView",
                          bg=theme.APP_COLORS.get(app.package, theme.PRIMARY), radius=36,
                          icon="letter:" + app.letter))
            icon.add(Node((left + 5, top + 175, left + cell_w - 5, top + 225), cls="android.widget.TextView",
                          text=app.label, rid="app_label", size=34, fg="#FFFFFF", align="center"))
            icon.add(Node((left + 5, top + 228, left + cell_w - 5, top + 278), cls="android.widget.TextView",
                          text=app.label_zh, size=32, fg="#E0E6EE", align="center"))
            ui.put(icon, advance=False)

    def screen_recents(self, ui: UI) -> None:
        ui.root.bg = "#3C4043"
        ui.gap(40)
        ui.text("Recent apps 最近使用", size=44, color="#FFFFFF", bold=True)
        ui.gap(20)
        recents = [p for p in reversed(self.phone.recents) if p in self.phone.apps]
        if not recents:
            ui.text("No recent apps 没有最近使用的应用", size=40, color="#FFFFFF", align="center", height=300)
        for package in recents:
            app = self.phone.apps[package]
            ui.row(f"{app.label} {app.label_zh}", lambda a=app: self.phone.open_app(a),
                   subtitle=app.screen_title(app.top), rid="recent_app", image=app.letter,
                   image_color=theme.APP_COLORS.get(app.package))
            ui.gap(20)
