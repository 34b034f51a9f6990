"""The expert policy solves every emulator task through the real agent loop.

Runs use the real emulator, the real guard and a callback human; the phone's clock is a
manual one, so slow loads end when the phone sleeps instead of taking real seconds.
The judge is each task's own check (app state), plus the phone's payment and ad logs.
"""

from __future__ import annotations

import pytest

from autoagent.agent import Agent, Status
from autoagent.grammar import parse_reply
from autoagent.safety import CallbackHuman, NoHuman
from autoagent.safety.types import ConfirmationRequest
from autoagent.trace import read_trace
from emulator.training.demos import ManualClock
from emulator.training.taskgen import FAMILIES, generate
from emulator.expert import ExpertPolicy, spec_for
from emulator.phone import REMEMBERED, normalize_hazards
from emulator.tasks import TASKS, Task


class Approver:
    def __init__(self) -> None:
        self.asked: list[ConfirmationRequest] = []

    def __call__(self, request: ConfirmationRequest) -> bool:
        self.asked.append(request)
        return True


def run(task: Task, seed: int, hazards, goal: str, tmp_path, human=None, settle_timeout: float = 5.0, on_step=None):
    clock = ManualClock()
    phone = task.make_phone(seed=seed, hazards=hazards, clock=clock, sleep=clock.sleep)
    approver = Approver()
    human = human or CallbackHuman(on_confirm=approver)
    agent = Agent(device=phone, policy=ExpertPolicy(phone, task), human=human, max_steps=60, trace_root=tmp_path,
                  settle_timeout=settle_timeout, on_step=on_step(phone) if on_step else None)
    return agent.run(goal), phone, approver


def assert_clean(result, phone, approver) -> None:
    steps = read_trace(result.trace_dir).steps
    for record in steps:
        parse_reply(record.raw)  # every reply is valid AutoGLM text
        assert record.raw.startswith("<think>") and "</think><answer>" in record.raw
    assert phone.ad_clicks == [], "the expert tapped an ad's trap button"
    # Each payment came after a human's yes to a payment question.
    assert len(phone.payments) <= sum(1 for r in approver.asked if r.category == "payment")


@pytest.mark.parametrize("seed,hazards,lang", [(0, False, "en"), (1, True, "zh")], ids=["plain-en", "hazards-zh"])
@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_expert_completes_every_task(task: Task, seed: int, hazards: bool, lang: str, tmp_path) -> None:
    result, phone, approver = run(task, seed, hazards, task.goal_in(lang), tmp_path)
    assert result.status is Status.SUCCESS, result.message
    assert task.is_successful(phone)
    assert_clean(result, phone, approver)
    assert (len(phone.payments) == 1) == task.payment


@pytest.mark.parametrize("task", [t for t in TASKS if t.payment], ids=[t.id for t in TASKS if t.payment])
def test_without_a_human_payment_tasks_stop_before_paying(task: Task, tmp_path) -> None:
    result, phone, _ = run(task, 2, True, task.goal, tmp_path, human=NoHuman())
    assert result.status is Status.NEEDS_HUMAN
    assert phone.payments == []
    assert not task.is_successful(phone)


def test_slow_loads_are_waited_out_and_errors_retried(tmp_path) -> None:
    # With no settling after actions, the expert itself sees spinners and error pages.
    task = next(t for t in TASKS if t.id == "travel_book_shanghai")
    result, phone, approver = run(task, 3, {"slow", "errors"}, task.goal, tmp_path, settle_timeout=0.0)
    assert result.ok and task.is_successful(phone)
    answers = [s.answer for s in read_trace(result.trace_dir).steps]
    assert any(a.startswith('do(action="Wait"') for a in answers)
    thoughts = " ".join(s.thought for s in read_trace(result.trace_dir).steps)
    assert "Retry" in thoughts
    assert_clean(result, phone, approver)


def test_recovers_when_the_screen_changes_under_it(tmp_path) -> None:
    # Something else takes the phone to another app mid-task: the expert reads the new screen and goes back.
    task = next(t for t in TASKS if t.id == "shop_buy_two_hoodies")

    def interrupt(phone):
        def on_step(record) -> None:
            if record.step == 6:
                phone.launch("Settings")
            if record.step == 9:
                phone.back()
        return on_step

    result, phone, approver = run(task, 4, False, task.goal, tmp_path, on_step=interrupt)
    assert result.ok and task.is_successful(phone)
    answers = [s.answer for s in read_trace(result.trace_dir).steps]
    assert answers.count('do(action="Launch", app="Shop")') >= 2
    assert_clean(result, phone, approver)


def test_list_order_differs_by_seed_and_expert_scrolls(tmp_path) -> None:
    # Each seed lists the restaurants in another order; the one at the bottom is off screen.
    import datetime as dt

    from emulator import Phone
    from emulator.apps.restaurant_expert import TableReservation
    from emulator.expert import register_spec
    from emulator.tasks import reservation

    orders = [[p.id for p in Phone(seed=seed).app_state("restaurant").restaurants] for seed in range(3)]
    assert len({tuple(o) for o in orders}) > 1
    for seed in range(2):
        last = orders[seed][-1]
        day = dt.date(2025, 6, 13)
        task = Task(f"reserve_last_{seed}", "com.autoagent.restaurant", "Reserve a table for 3 at 18:30 on June 13.",
                    "预订6月13日18:30的3人餐位。", reservation(last, day, "18:30", 3), seed=seed)
        register_spec(task.id, TableReservation(last, day, "18:30", 3))
        result, phone, _ = run(task, seed, False, task.goal, tmp_path / str(seed))
        assert result.ok and task.is_successful(phone)
        answers = [s.answer for s in read_trace(result.trace_dir).steps]
        assert any(a.startswith('do(action="Swipe"') for a in answers)


@pytest.mark.parametrize("family", FAMILIES)
def test_expert_solves_generated_tasks(family: str, tmp_path) -> None:
    seed = 500 + FAMILIES.index(family)
    case = generate(seed, "train", family=family)
    assert spec_for(case.task) == case.spec
    result, phone, approver = run(case.task, case.task.seed, case.task.hazards, case.goal, tmp_path)
    assert result.ok, (case.goal, result.message)
    assert case.task.is_successful(phone)
    assert_clean(result, phone, approver)


@pytest.mark.parametrize("family,count", [("hotel", "adults"), ("reserve", "party")])
def test_a_remembered_count_above_the_goals_is_turned_down(family: str, count: str, tmp_path) -> None:
    hazards = normalize_hazards(True) | {REMEMBERED}

    def starts_above(case) -> bool:
        app = case.task.make_phone(hazards=hazards).apps[case.task.app]
        return app.usual_party() > getattr(case.spec, count)

    case = next(c for c in (generate(seed, "train", family=family) for seed in range(600, 1200)) if starts_above(c))
    result, phone, approver = run(case.task, case.task.seed, hazards, case.goal, tmp_path)
    assert result.ok, (case.goal, result.message)
    assert case.task.is_successful(phone)
    thoughts = [s.raw for s in read_trace(result.trace_dir).steps]
    assert any("I tap -." in t or "点减号" in t for t in thoughts), "the expert never pressed −"


def test_a_name_is_typed_as_the_goal_writes_it_even_beside_chinese_text(tmp_path) -> None:
    """An English goal with a Chinese message text: the recipient is typed as the goal names them
    ("zhang wei"), a copy of the goal's words, not the name's Chinese form."""
    from autoagent.actions import Type
    from emulator.apps.messages_expert import SendMessage

    case = generate(519, "train", family="message")  # no earlier conversation: the To: field is typed
    assert isinstance(case.spec, SendMessage) and not case.spec.via_contacts
    assert "zhang wei" in case.goal and "张伟" not in case.goal and "面试顺利" in case.goal
    result, phone, _ = run(case.task, case.task.seed, False, case.goal, tmp_path)
    assert result.ok and case.task.is_successful(phone)
    typed = [parse_reply(s.raw).action for s in read_trace(result.trace_dir).steps]
    texts = [a.text for a in typed if isinstance(a, Type)]
    assert [t.lower() for t in texts] == ["zhang wei", "面试顺利"]


@pytest.mark.parametrize("seed", [1000068, 1000070, 1000087, 1000110])
def test_the_shop_is_searched_for_the_product_as_the_goal_names_it(seed: int, tmp_path) -> None:
    """Searching for the name's last English word ("Umbrella" for 黑色雨伞, "500g" for 咖啡豆500克)
    was a label no goal's words could tell apart from a search for the name; the first two tasks
    were searched that way. The other two name the product in the plural ("yoga mats"), where
    the search box now gets the goal's plural (the shop's search finds the singular from it), so that
    what is typed is a span of the goal's words, which the embedded policy copies, and not a
    catalogue name it would have to write from memory."""
    from autoagent.actions import Type
    from autoagent.policy.compact import goal_span
    from emulator.training.demos import run_expert

    case = generate(seed, "eval")
    assert case.family in ("shop_buy", "shop_cart")
    result, phone, seen = run_expert(case, tmp_path)
    assert result.ok and case.task.is_successful(phone)
    searched = [item.action.text for item in seen if isinstance(item.action, Type)
                and item.hierarchy and 'id/search_input"' in item.hierarchy]
    assert searched and all(goal_span(case.goal, text) is not None for text in searched), (case.goal, searched)


def test_wrong_text_in_a_field_is_typed_over_in_one_step(tmp_path) -> None:
    """A field that holds the wrong text (as a learner leaves it) gets the whole value typed over
    it: Type replaces a field's text, so there is nothing to delete key by key, a step the
    embedded policy's screen cannot even name (its keyboard keys are left out)."""
    from autoagent.actions import Type
    from emulator.apps.contacts_expert import AddContact

    case = generate(500 + FAMILIES.index("contact_add"), "train", family="contact_add")
    assert isinstance(case.spec, AddContact)
    corrupted: list[int] = []

    def corrupt(phone):
        def on_step(record) -> None:
            action = parse_reply(record.raw).action
            if not corrupted and isinstance(action, Type) and action.text.lower() == case.spec.name.lower():
                assert phone.set_field_text("new_contact_name", "zz", focus=True)
                corrupted.append(record.step)
        return on_step

    result, phone, approver = run(case.task, case.task.seed, False, case.goal, tmp_path, on_step=corrupt)
    assert corrupted and result.ok and case.task.is_successful(phone)
    actions = [parse_reply(s.raw).action for s in read_trace(result.trace_dir).steps]
    after = actions[corrupted[0]]  # the step that follows the corruption
    assert isinstance(after, Type) and after.text.lower() == case.spec.name.lower()
    assert_clean(result, phone, approver)
