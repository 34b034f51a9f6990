"""Records a task checker reads: payments and the input that caused them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class InputEvent(BaseModel):
    """One user input as the phone received it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["tap", "double_tap", "long_press", "swipe", "key", "text", "launch", "pinch"]
    x: int | None = None
    y: int | None = None
    key: str | None = None  # for keys: back, home, enter, delete, recent
    detail: str = ""  # typed text, launched app, swipe end point, pinch spans

    def describe(self) -> str:
        if self.kind in ("tap", "double_tap", "long_press"):
            return f"{self.kind} at {self.x},{self.y}"
        if self.kind == "key":
            return f"{self.key} key"
        return f"{self.kind} {self.detail}".strip()


class Payment(BaseModel):
    """A completed payment: only the payment sheet's Pay button (or Enter on it) makes one."""

    model_config = ConfigDict(frozen=True)

    id: str
    app: str  # package
    app_name: str
    amount: float
    currency: str = "CNY"
    item: str
    reference: str  # order / booking number the payment settled
    cause: InputEvent
    time: float  # the phone's clock when it happened


def money(cents: int) -> str:
    return f"¥{cents / 100:.2f}"
