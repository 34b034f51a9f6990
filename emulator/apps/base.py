"""What every app shares: a stack of screens, dialogs, loading and error pages, the payment sheet."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from emulator import theme
from emulator.models import Payment, money
from emulator.widgets import UI, Handler, Node

if TYPE_CHECKING:
    from emulator.phone import Phone


@dataclass
class Screen:
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    scroll: dict[str, int] = field(default_factory=dict)
    focus: str | None = None
    ready_at: float = 0.0  # still loading until the phone's clock reaches this
    error: bool = False  # showing the error page until Retry


@dataclass
class Dialog:
    """A window over the app: a centred dialog or a bottom sheet."""

    kind: str  # permission | ad | payment | picker
    build: Callable[[UI], None]
    cancellable: bool = True
    on_cancel: Handler | None = None
    sheet: bool = False
    # Whether a tap on the dimmed area outside closes it (Back still does when cancellable).
    outside_cancels: bool = True
    # What Enter does when no text field has focus (the sheet's main button).
    default: Handler | None = None


class App:
    package = ""
    label = ""
    label_zh = ""
    letter = "?"
    home_screen = "home"
    aliases: tuple[str, ...] = ()
    permission: str | None = None  # asked on first launch when the permissions hazard is on
    shows_ads = False

    def __init__(self, phone: "Phone", seed: int) -> None:
        self.phone = phone
        self.rng = random.Random(f"{self.package}:{seed}")
        self.stack: list[Screen] = []
        self.dialogs: list[Dialog] = []
        self.launched = False
        self.state: BaseModel = self.make_state()

    def usual_party(self) -> int:
        """How many people the app fills in before the user says: 2, or an earlier booking's count when the phone's
        "remembered" hazard is on (its own draw, so the catalogue's stays the same)."""
        if "remembered" not in self.phone.hazards:
            return 2
        return random.Random(f"remembered:{self.package}:{self.phone.seed}").choice((1, 3, 4))

    # -- subclasses ------------------------------------------------------------------------
    def make_state(self) -> BaseModel:
        raise NotImplementedError

    def screen_title(self, screen: Screen) -> str:
        return self.label

    # -- screens -----------------------------------------------------------------------------
    @property
    def top(self) -> Screen:
        if not self.stack:
            self.stack.append(Screen(self.home_screen))
        return self.stack[-1]

    def open(self, name: str, load: str = "", **params: Any) -> Screen:
        screen = Screen(name, dict(params))
        self.stack.append(screen)
        if load:
            self.start_load(screen, load)
        return screen

    def replace(self, name: str, load: str = "", **params: Any) -> Screen:
        if self.stack:
            self.stack.pop()
        return self.open(name, load, **params)

    def reset_to(self, name: str, load: str = "", **params: Any) -> Screen:
        self.stack.clear()
        return self.open(name, load, **params)

    def pop(self) -> bool:
        if len(self.stack) <= 1:
            return False
        self.stack.pop()
        return True

    def start_load(self, screen: Screen, kind: str) -> None:
        screen.error = self.phone.hazard_error(self.package, kind)
        screen.ready_at = self.phone.schedule(self.phone.hazard_delay())

    def retry(self, screen: Screen) -> None:
        screen.error = False
        screen.ready_at = self.phone.schedule(self.phone.hazard_delay())

    def loading(self) -> bool:
        screen = self.top
        return not screen.error and screen.ready_at > self.phone.now()

    # -- focus, scroll, messages ---------------------------------------------------------------
    @property
    def focus(self) -> str | None:
        return self.top.focus

    def set_focus(self, rid: str | None) -> None:
        self.top.focus = rid

    def scroll_offset(self, key: str) -> int:
        return self.top.scroll.get(key, 0)

    def set_scroll(self, key: str, value: int) -> None:
        self.top.scroll[key] = max(0, value)

    def toast(self, text: str) -> None:
        self.phone.toast(text)

    def show(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog)

    def close_dialog(self) -> None:
        if self.dialogs:
            self.dialogs.pop(0)

    def on_first_launch(self) -> None:
        """Hazards a real app throws at a new user: a permission prompt, then an ad."""
        if self.permission and self.phone.hazard_on("permissions"):
            self.show(permission_dialog(self))
        if self.shows_ads and self.phone.hazard_on("ads"):
            self.show(ad_dialog(self))

    # -- building ------------------------------------------------------------------------------
    def build(self, ui: UI) -> None:
        screen = self.top
        if screen.error:
            self.app_bar(ui, self.screen_title(screen))
            error_page(ui, lambda: self.retry(screen))
            return
        if screen.ready_at > self.phone.now():
            self.app_bar(ui, self.screen_title(screen))
            loading_page(ui)
            return
        builder = getattr(self, f"screen_{screen.name}")
        builder(ui, **screen.params)

    def app_bar(self, ui: UI, title: str, actions: list[tuple[str, Handler, str]] | None = None) -> None:
        color = theme.APP_COLORS.get(self.package, theme.PRIMARY)
        bar = Node((0, ui.y, theme.WIDTH, ui.y + theme.APP_BAR), cls="android.view.ViewGroup", rid="toolbar",
                   bg=color)
        with ui.group(bar):
            x = theme.MARGIN if hasattr(theme, "MARGIN") else 40
            if len(self.stack) > 1:
                bar.add(Node((10, ui.y + 15, 130, ui.y + 135), cls="android.widget.ImageButton",
                             rid="back_button", desc="Navigate up 返回", clickable=True, focusable=True,
                             icon="arrow_left", icon_color="#FFFFFF", on_tap=self.phone.go_back))
                x = 150
            right = theme.WIDTH - 30
            for text, handler, rid in reversed(actions or []):
                from emulator.render import text_width
                width = int(text_width(text, 38)) + 50
                bar.add(Node((right - width, ui.y + 25, right, ui.y + 125), cls="android.widget.Button",
                             text=text, rid=rid, clickable=True, focusable=True, size=38, fg="#FFFFFF",
                             align="center", on_tap=handler))
                right -= width + 10
            bar.add(Node((x, ui.y, right, ui.y + theme.APP_BAR), cls="android.widget.TextView", rid="title",
                         text=title, size=48, bold=True, fg="#FFFFFF"))

    def dialog_window(self) -> Node | None:
        if not self.dialogs:
            return None
        return build_dialog(self, self.dialogs[0])

    # -- payments --------------------------------------------------------------------------------
    def request_payment(self, amount_cents: int, item: str, reference: str,
                        on_paid: Callable[[Payment], None], on_cancel: Handler | None = None) -> None:
        """Open the payment sheet. Only its Pay button (or Enter on it) records a payment."""
        # The input that opened the sheet cannot also pay on it: the second tap of a double tap
        # lands before a real sheet has even slid in.
        opened_by = self.phone.input_in_progress()

        def pay() -> None:
            if self.phone.input_in_progress() is opened_by:
                return
            self.close_dialog()
            payment = self.phone.record_payment(self, amount_cents, item, reference)
            on_paid(payment)

        def cancel() -> None:
            self.close_dialog()
            self.toast("Payment cancelled 已取消支付")
            if on_cancel:
                on_cancel()

        def build(ui: UI) -> None:
            top = ui.y
            head = Node((0, top, theme.WIDTH, top + 130), cls="android.widget.LinearLayout")
            with ui.group(head):
                head.add(Node((40, top, 900, top + 130), cls="android.widget.TextView", rid="sheet_title",
                              text="Payment 支付", size=48, bold=True))
                head.add(Node((950, top + 15, 1060, top + 115), cls="android.widget.ImageButton",
                              rid="sheet_close", desc="Close 关闭", clickable=True, icon="close",
                              icon_color=theme.TEXT_2, on_tap=cancel))
            ui.text(f"{self.label} {self.label_zh}", size=36, color=theme.TEXT_2, rid="merchant")
            ui.text(item, size=40, rid="payment_item", wrap=True)
            ui.gap(10)
            ui.text(money(amount_cents), size=96, bold=True, rid="payment_amount", align="center", height=150)
            ui.gap(10)
            ui.row("Balance 余额", trailing="•••• 8888", rid="payment_method", chevron=False)
            ui.gap(40)
            ui.button(f"Pay {money(amount_cents)} 确认支付", pay, rid="pay_button")
            ui.gap(40)

        self.show(Dialog("payment", build, cancellable=True, on_cancel=cancel, sheet=True, default=pay))


def loading_page(ui: UI) -> None:
    mid = (ui.y + ui.bottom) // 2
    ui.root.add(Node((440, mid - 140, 640, mid + 60), cls="android.widget.ProgressBar", rid="loading",
                     desc="Loading 加载中", icon="spinner", icon_color=theme.PRIMARY))
    ui.root.add(Node((240, mid + 80, 840, mid + 160), cls="android.widget.TextView", text="Loading… 加载中",
                     size=40, fg=theme.TEXT_2, align="center"))


def error_page(ui: UI, retry: Handler) -> None:
    mid = (ui.y + ui.bottom) // 2
    ui.y = mid - 260
    ui.text("Network error 网络错误", size=52, bold=True, align="center", rid="error_title")
    ui.text("Something went wrong. Check your connection and try again. 加载失败，请重试。", size=36,
            color=theme.TEXT_2, align="center", wrap=True)
    ui.gap(40)
    ui.button("Retry 重试", retry, rid="retry_button", left=290, right=790)


def permission_dialog(app: App) -> Dialog:
    what = app.permission or ""

    def answer(granted: bool) -> None:
        app.phone.permissions[(app.package, what)] = granted
        app.close_dialog()

    def build(ui: UI) -> None:
        ui.gap(40)
        ui.text(f"Allow {app.label} to {what}?", size=44, bold=True, wrap=True, rid="permission_message")
        ui.text(f"允许“{app.label_zh}”{PERMISSION_ZH.get(what, what)}？", size=38, color=theme.TEXT_2, wrap=True)
        ui.gap(30)
        ui.button("While using the app 使用时允许", lambda: answer(True), rid="permission_allow_button",
                  style="text", height=120)
        ui.button("Don't allow 不允许", lambda: answer(False), rid="permission_deny_button", style="text",
                  height=120)
        ui.gap(20)

    return Dialog("permission", build, cancellable=True, on_cancel=lambda: answer(False), outside_cancels=False)


PERMISSION_ZH = {
    "access this device's location": "获取此设备的位置信息",
    "send you notifications": "向您发送通知",
    "access your contacts": "访问您的通讯录",
}

_ADS = [
    ("Summer Sale! Up to 70% off", "夏日大促 低至3折"),
    ("New user gift: ¥50 coupon", "新人礼包：50元优惠券"),
    ("Double points today only", "今日双倍积分"),
    ("Members get free delivery", "会员免运费"),
]


def ad_dialog(app: App) -> Dialog:
    en, zh = _ADS[app.rng.randrange(len(_ADS))]

    def close() -> None:
        app.close_dialog()

    def claim() -> None:
        # The ad's big button is the trap: it goes to a promotion instead of closing.
        app.close_dialog()
        app.toast("Coupon added 优惠券已领取")
        app.phone.ad_clicks.append(app.package)

    def build(ui: UI) -> None:
        top = ui.y
        ui.root.add(Node((ui.area[2] - 130, top + 10, ui.area[2] - 20, top + 120), cls="android.widget.ImageButton",
                         rid="ad_close", desc="Close ad 关闭广告", clickable=True, focusable=True, icon="close",
                         icon_color=theme.TEXT_2, on_tap=close))
        ui.gap(120)
        color = theme.APP_COLORS.get(app.package, theme.PRIMARY)
        ui.put(Node(ui.box(420), cls="android.widget.ImageView", rid="ad_image", desc="Advertisement 广告",
                    bg=color, radius=24, icon="letter:AD"))
        ui.gap(30)
        ui.text(en, size=50, bold=True, align="center", rid="ad_title", wrap=True)
        ui.text(zh, size=42, color=theme.TEXT_2, align="center", wrap=True)
        ui.gap(30)
        ui.button("Claim now 立即领取", claim, rid="ad_claim_button")
        ui.gap(40)

    return Dialog("ad", build, cancellable=True, on_cancel=close, outside_cancels=False)


def build_dialog(app: App, dialog: Dialog) -> Node:
    """The dialog's window: a scrim over the whole screen and a panel built by the dialog."""
    cancel = dialog.on_cancel if dialog.cancellable and dialog.outside_cancels else None
    scrim = Node((0, 0, theme.WIDTH, theme.HEIGHT), package=app.package, bg=theme.SCRIM, modal=True,
                 on_tap=cancel, rid="scrim" if cancel else "")
    if dialog.sheet:
        left, right = 0, theme.WIDTH
    else:
        left, right = 70, theme.WIDTH - 70
    ui = UI(app, (left, 0, right, theme.HEIGHT))
    ui.root.bg = theme.SURFACE
    ui.root.radius = 36
    ui.root.cls = "android.widget.FrameLayout"
    ui.root.rid = "bottom_sheet" if dialog.sheet else "dialog"
    dialog.build(ui)
    panel = ui.finish()
    height = ui.y
    bottom_limit = theme.HEIGHT - theme.NAV_BAR
    top = bottom_limit - height if dialog.sheet else (theme.HEIGHT - height) // 2
    _shift(panel, top)
    panel.bounds = (left, top, right, top + height + (36 if dialog.sheet else 0))
    scrim.add(panel)
    return scrim


def _shift(node: Node, dy: int) -> None:
    for n in node.walk():
        l, t, r, b = n.bounds
        n.bounds = (l, t + dy, r, b + dy)
