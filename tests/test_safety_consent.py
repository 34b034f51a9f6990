"""What one yes covers (autoagent.safety.consent): the rules alone, then whole purchases on the
emulator judged by its payment log, and the question's words that tell the person about it."""

from __future__ import annotations

from pathlib import Path

from autoagent.actions import Back, Wait
from autoagent.agent import Agent, Status
from autoagent.perception.observation import Observation
from autoagent.safety import CallbackHuman, ConfirmationRequest, ScreenGuard
from autoagent.safety.consent import Consents, promise, shown_amounts
from autoagent.safety.types import GuardDecision, Verdict
from autoagent.trace import Outcome, read_trace
from emulator import Phone
from emulator.expert import ExpertPolicy
from emulator.tasks import TASKS
from tests.test_safety_emulator import LiveScript, route_to_sheet, tap

SHOP = "com.autoagent.shop"


def asked(category: str, *amounts: str, currency: str = "CNY") -> GuardDecision:
    return GuardDecision(verdict=Verdict.CONFIRM, category=category, reason=f"{category}: test",
                         evidence={"amounts": [{"value": a, "currency": currency, "text": f"¥{a}"} for a in amounts]})


# -- the rules -----------------------------------------------------------------------------------------------
def test_a_payment_yes_covers_the_same_amount_and_less_but_not_more() -> None:
    consents = Consents()
    consents.remember(asked("payment", "49.90", "7.00", "56.90"), SHOP, step=14)
    covered = consents.covering(asked("payment", "56.90"), SHOP, step=15)
    assert covered is not None and covered.approved and covered.by == "earlier yes" and "step 14" in covered.note
    assert consents.covering(asked("payment", "12.00"), SHOP, step=15) is not None
    assert consents.covering(asked("payment", "56.91"), SHOP, step=15) is None
    assert consents.covering(asked("payment", "56.90", "5900.00"), SHOP, step=15) is None


def test_a_payment_yes_does_not_cover_a_screen_without_an_amount_or_in_another_currency() -> None:
    consents = Consents()
    consents.remember(asked("payment", "56.90"), SHOP, step=3)
    assert consents.covering(asked("payment"), SHOP, step=4) is None
    assert consents.covering(asked("payment", "10.00", currency="USD"), SHOP, step=4) is None


def test_a_yes_without_an_amount_covers_no_payment() -> None:
    consents = Consents()
    consents.remember(asked("payment"), SHOP, step=3)
    assert consents.covering(asked("payment", "1.00"), SHOP, step=4) is None


def test_a_purchase_yes_covers_purchases_only() -> None:
    consents = Consents()
    consents.remember(asked("purchase", "82.00"), SHOP, step=3)
    assert consents.covering(asked("purchase"), SHOP, step=13) is not None
    assert consents.covering(asked("payment", "1.00"), SHOP, step=4) is None


def test_sends_deletions_and_personal_data_are_never_covered() -> None:
    consents = Consents()
    for category in ("send", "delete", "personal_data", "takeover", "unreadable", "flagged"):
        consents.remember(asked(category, "1.00"), SHOP, step=1)
        assert consents.covering(asked(category, "1.00"), SHOP, step=2) is None, category


def test_a_yes_ends_in_another_app_after_its_reach_and_when_the_agent_leaves_the_flow() -> None:
    consents = Consents(reach=3)
    consents.remember(asked("payment", "56.90"), SHOP, step=10)
    assert consents.covering(asked("payment", "56.90"), "com.autoagent.restaurant", step=11) is None
    assert consents.covering(asked("payment", "56.90"), SHOP, step=10) is None  # the same step is the yes itself
    assert consents.covering(asked("payment", "56.90"), SHOP, step=13) is not None
    assert consents.covering(asked("payment", "56.90"), SHOP, step=14) is None
    consents.left_flow()
    assert consents.covering(asked("payment", "56.90"), SHOP, step=11) is None


def test_the_question_says_what_a_yes_covers() -> None:
    text = promise(asked("payment", "49.90", "56.90"))
    assert "56.90 CNY" in text and "larger amount is asked about again" in text
    assert "purchase steps" in promise(asked("purchase"))
    assert promise(asked("send", "1.00")) == "" and promise(asked("payment")) == ""
    assert shown_amounts(asked("payment", "bad", "3.50")) == {"CNY": shown_amounts(asked("payment", "3.50"))["CNY"]}


# -- whole purchases on the emulator --------------------------------------------------------------------------
def expert_run(task_id: str, tmp_path: Path) -> tuple[Phone, list[ConfirmationRequest], object]:
    task = next(t for t in TASKS if t.id == task_id)
    phone = Phone(seed=0)
    questions: list[ConfirmationRequest] = []
    human = CallbackHuman(on_confirm=lambda req: questions.append(req) or True)
    result = Agent(device=phone, policy=ExpertPolicy(phone=phone, task=task), guard=ScreenGuard(), human=human,
                   trace_root=tmp_path, max_steps=40).run(task.goal)
    assert result.status is Status.SUCCESS and task.is_successful(phone), result
    return phone, questions, result


def test_a_shop_purchase_asks_once_to_buy_and_once_to_pay(tmp_path: Path) -> None:
    phone, questions, result = expert_run("shop_buy_white_tshirt_m", tmp_path)
    assert [q.category for q in questions] == ["purchase", "payment"]
    amount = f"{phone.payments[0].amount:.2f}"
    assert amount in questions[1].covers, questions[1].covers  # told what the yes covers, before giving it
    assert len(phone.payments) == 1
    covered = [s for s in read_trace(result.trace_dir).steps if s.human is not None and s.human.by == "earlier yes"]
    assert len(covered) == 1 and covered[0].outcome is Outcome.DONE and covered[0].guard.category == "payment"


def test_every_emulator_purchase_asks_at_most_once_to_buy_and_once_to_pay(tmp_path: Path) -> None:
    for task_id in ("shop_buy_two_hoodies", "travel_book_shanghai", "restaurant_reserve_sichuan",
                    "restaurant_order_dumplings"):
        phone, questions, _ = expert_run(task_id, tmp_path / task_id)
        categories = [q.category for q in questions]
        assert categories.count("purchase") <= 1 and categories.count("payment") <= 1, (task_id, categories)
        assert len(phone.payments) <= 1


def bigger_sheet(phone: Phone):
    """The app swaps its payment sheet for one asking a hundred times the amount; the model waits."""

    def swap(obs: Observation) -> Wait:
        shop = phone.app("shop")
        shop.close_dialog()
        shop.request_payment(2_649_000, "Wireless Earbuds x100", "SO-BIG", on_paid=lambda payment: None)
        phone.invalidate()
        return Wait(seconds=1.0)

    return swap


def test_a_larger_amount_after_the_yes_is_asked_about_again(tmp_path: Path) -> None:
    phone = Phone(seed=5)
    questions: list[ConfirmationRequest] = []
    # Yes to Place order (the first payment question); no to anything after it.
    human = CallbackHuman(on_confirm=lambda req: questions.append(req) or len(questions) < 3)
    route = route_to_sheet()
    script = LiveScript(route + [bigger_sheet(phone), tap("pay_button")])
    result = Agent(device=phone, policy=script, guard=ScreenGuard(), human=human,
                   trace_root=tmp_path, max_steps=len(route) + 4).run("buy black wireless earbuds")
    assert [q.category for q in questions] == ["purchase", "payment", "payment"], [q.reason for q in questions]
    assert "26490.00" in questions[-1].reason or "26,490.00" in questions[-1].reason, questions[-1].reason
    assert phone.payments == [] and result.status is Status.NEEDS_HUMAN


def test_going_back_ends_what_a_yes_covered(tmp_path: Path) -> None:
    phone = Phone(seed=5)
    questions: list[ConfirmationRequest] = []
    route = route_to_sheet()
    # Back closes the sheet; Place order again opens it again: the earlier yes no longer covers it.
    script = LiveScript(route + [Back(), tap("place_order_button"), tap("pay_button")])
    Agent(device=phone, policy=script, guard=ScreenGuard(),
          human=CallbackHuman(on_confirm=lambda req: questions.append(req) or True),
          trace_root=tmp_path, max_steps=len(route) + 5).run("buy black wireless earbuds")
    payment_steps = [q.step for q in questions if q.category == "payment"]
    assert payment_steps == [len(route), len(route) + 2], payment_steps
    assert len(phone.payments) == 1
