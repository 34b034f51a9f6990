"""What one yes covers: the next steps of the same purchase, never more money, never another app.

Buying on a phone takes several confirming taps: Buy now, then Place order on the checkout page,
then Pay on the payment sheet. Asking at each of them teaches people to say yes without reading,
so a person's yes is remembered for the flow it was given in, under these rules:

* a yes to a **purchase** covers later purchase steps (Place order after Buy now, Confirm
  reservation after Reserve a table);
* a yes to a **payment** covers later payment steps while every amount the screen shows is
  one the person saw when they said yes, or less (same currency); a screen that shows no
  amount is not covered, and nor is a larger one;
* a yes covers only the ``reach`` steps after it, in the same app, and ends as soon as the
  agent leaves the flow (Back, Home, Launch);
* a send, a deletion, personal data, a take-over, an unreadable screen and the model's own
  flag are never covered: each message and each deletion is asked about.

The question a person answers says what a yes will cover (:func:`promise`), so nothing is
covered that they were not told about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from autoagent.safety.keywords import PAYMENT, PURCHASE
from autoagent.safety.types import Approval, GuardDecision

COVERABLE = (PURCHASE, PAYMENT)
REACH = 12  # steps after the yes: a booking form (party, time, name, phone) fits


@dataclass(frozen=True)
class Consent:
    """A yes the person gave, and what it may cover."""

    category: str
    app: str | None
    step: int
    ceilings: dict[str, Decimal]  # currency -> the largest amount on screen at the yes


def shown_amounts(decision: GuardDecision) -> dict[str, Decimal]:
    """The largest amount per currency the guard read on the screen it judged."""
    largest: dict[str, Decimal] = {}
    for item in decision.evidence.get("amounts", []) or []:
        try:
            value, currency = Decimal(str(item["value"])), str(item["currency"])
        except (KeyError, TypeError, InvalidOperation):
            continue
        largest[currency] = max(value, largest.get(currency, value))
    return largest


def promise(decision: GuardDecision, reach: int = REACH) -> str:
    """What a yes to ``decision`` will also cover, in words for the question; empty when nothing."""
    if decision.category == PURCHASE:
        return f"A yes also covers the next purchase steps of this order in this app (up to {reach} steps)."
    if decision.category == PAYMENT:
        shown = shown_amounts(decision)
        if shown:
            money = ", ".join(f"{value} {currency}" for currency, value in sorted(shown.items()))
            return (f"A yes also covers the next payment steps in this app for at most {money} "
                    f"(up to {reach} steps); a larger amount is asked about again.")
    return ""


@dataclass
class Consents:
    """The yeses given in one run, and whether one of them covers a new question."""

    reach: int = REACH
    _given: list[Consent] = field(default_factory=list)

    def remember(self, decision: GuardDecision, app: str | None, step: int) -> None:
        """Record a person's yes to ``decision`` at ``step``."""
        if decision.category in COVERABLE:
            self._given.append(Consent(decision.category, app, step, shown_amounts(decision)))

    def left_flow(self) -> None:
        """The agent went back, home or to another app: what was approved stays behind."""
        self._given.clear()

    def covering(self, decision: GuardDecision, app: str | None, step: int) -> Approval | None:
        """An approval standing for the person's earlier yes, when one covers ``decision``."""
        if decision.category not in COVERABLE:
            return None
        for consent in reversed(self._given):
            if consent.category != decision.category or consent.app != app:
                continue
            if not 0 < step - consent.step <= self.reach:
                continue
            if decision.category == PAYMENT and not _within(shown_amounts(decision), consent.ceilings):
                continue
            return Approval(approved=True, by="earlier yes",
                            note=f"covered by the yes to the {consent.category} at step {consent.step}")
        return None


def _within(shown: dict[str, Decimal], ceilings: dict[str, Decimal]) -> bool:
    """Every amount now on screen is one the person saw, or less, in the same currency."""
    if not shown:
        return False
    return all(currency in ceilings and value <= ceilings[currency] for currency, value in shown.items())
