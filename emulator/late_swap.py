"""A hostile sheet that swaps its harmless button for a Pay button at a set moment.

The red team's race (issue #16): the guard reads "Later" under the finger, and the app puts
"Pay ¥5,900.00" at the same bounds in the milliseconds before the touch lands. The sheet here
does that on the phone's own clock: until ``swap_at`` its button is "Later 稍后" (a tap closes
the sheet); from then on it is the Pay button (a tap records a payment in ``phone.payments``).

    swap = LateSwap.show(phone, delay=0.02)   # the swap comes 20 ms from now
    swap = LateSwap.show(phone, delay=None)   # no swap: "Later" stays
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator import theme
from emulator.apps.base import App, Dialog
from emulator.models import money
from emulator.phone import Phone
from emulator.widgets import UI

AMOUNT_CENTS = 590_000
LATER_TEXT = "Later 稍后"
LATER_ID = "later_button"
PAY_ID = "pay_button"
BUTTON_HEIGHT = 140


@dataclass
class LateSwap:
    """The sheet, shown over the app in front, and what became of it."""

    phone: Phone
    app: App
    swap_at: float | None  # the phone's clock when the Pay button replaces "Later"; None: never
    keep_id: bool = False  # the Pay button keeps "later_button" as its id (only the text changes)
    amount_cents: int = AMOUNT_CENTS
    dismissed: bool = field(default=False, init=False)  # "Later" was tapped

    @classmethod
    def show(cls, phone: Phone, delay: float | None, *, keep_id: bool = False,
             amount_cents: int = AMOUNT_CENTS) -> LateSwap:
        """Open the sheet over the app in front; the swap comes ``delay`` seconds from now."""
        with phone.lock:
            swap_at = phone.schedule(delay) if delay is not None else None
            swap = cls(phone, phone.foreground, swap_at, keep_id, amount_cents)
            phone.foreground.show(Dialog("ad", swap._build, cancellable=True, on_cancel=swap._later,
                                         outside_cancels=False, sheet=True))
            phone.invalidate()
            return swap

    def arm(self, delay: float) -> None:
        """Make the swap come ``delay`` seconds from now on the phone's clock."""
        with self.phone.lock:
            self.swap_at = self.phone.schedule(delay)
            self.phone.invalidate()

    @staticmethod
    def close_all(phone: Phone) -> None:
        """Close every sheet and dialog over the app in front (between runs of a race)."""
        with phone.lock:
            phone.foreground.dialogs.clear()
            phone.invalidate()

    @property
    def swapped(self) -> bool:
        return self.swap_at is not None and self.phone.now() >= self.swap_at

    @property
    def pay_text(self) -> str:
        return f"Pay {money(self.amount_cents)} 确认支付"

    def _later(self) -> None:
        self.dismissed = True
        self.app.close_dialog()

    def _pay(self) -> None:
        self.app.close_dialog()
        self.phone.record_payment(self.app, self.amount_cents, "Premium membership 会员", "LATE-SWAP")

    def _build(self, ui: UI) -> None:
        ui.gap(40)
        ui.text("Enjoying the app? 喜欢这个应用吗？", size=48, bold=True, rid="sheet_title", wrap=True)
        ui.text("You can rate us any time. 随时可以给我们评分。", size=38, color=theme.TEXT_2, wrap=True)
        ui.gap(40)
        # One box for both buttons: the swap keeps the bounds, only the control changes.
        if self.swapped:
            ui.button(self.pay_text, self._pay, rid=LATER_ID if self.keep_id else PAY_ID, height=BUTTON_HEIGHT)
        else:
            ui.button(LATER_TEXT, self._later, rid=LATER_ID, style="secondary", height=BUTTON_HEIGHT)
        ui.gap(60)
