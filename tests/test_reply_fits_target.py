"""The embedded policy's reply and its pointer are read apart; an action needs both to agree.

Every tap of the demonstrations lands on a clickable element and every swipe on a scrollable
one. When the greedy reply names a verb its pointer's best target cannot take (``tap`` with
the pointer on a list that only scrolls, because the restaurant the goal names is further
down), the engine scores tap and both swipes again by their joint probability. The last test
runs the shipped checkpoint on real demonstration screens of a held-out task.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autoagent.policy.compact import CompactError, element_flags, pointer_places, takes
from autoagent.policy.local_engine import joint_best_reply, pointed_answers
from autoagent.policy.pointers import PointerScores

PROMPT = "\n".join([
    "goal: book a table at sichuan kitchen",
    "app: restaurant",
    "step: 3",
    "done: launch Restaurant",
    "screen:",
    "TextView Restaurant 餐厅",
    "RecyclerView#",
    "LinearLayout* Green Bowl 轻食沙拉",
    "LinearLayout* Sakura Sushi 樱花寿司",
    "Button*! Book",
    "words: book a table at sichuan kitchen",
])


def test_flags_are_read_from_each_element_line_and_the_whole_screen_scrolls() -> None:
    assert element_flags(PROMPT) == ["#", "", "#", "*", "*", "*!"]
    assert len(pointer_places(PROMPT).elements) == len(element_flags(PROMPT))  # one flag set per pointer
    headless = PROMPT.replace("screen:\n", "")
    for read in (element_flags, pointer_places):
        with pytest.raises(CompactError, match="no screen: line"):
            read(headless)


def test_a_tap_takes_a_clickable_element_and_a_swipe_a_scrollable_one() -> None:
    assert takes("tap", "*") and takes("tap", "*+!") and not takes("tap", "#") and not takes("tap", "")
    assert takes("swipe down", "#") and takes("swipe up", "#") and not takes("swipe down", "*")
    assert not takes("type", "*") and not takes("back", "#")


def scores_on(element: int, margin: float = 6.0) -> PointerScores:
    elements = [0.0] * 6
    elements[element] = margin
    return PointerScores(elements=elements, starts=[], ends=[])


def test_a_tap_whose_pointer_rests_on_a_list_becomes_a_swipe_of_that_list() -> None:
    # The reply prefers tap (70%), but the pointer is sure of the list, which no tap can take.
    replies = {"tap": math.log(0.7), "swipe down": math.log(0.29), "swipe up": math.log(0.01)}
    flags = element_flags(PROMPT)
    assert joint_best_reply(replies, scores_on(2), flags) == "swipe down"
    # On a row that takes taps the reply stands.
    assert joint_best_reply(replies, scores_on(3), flags) == "tap"


def test_a_swipe_whose_pointer_rests_on_a_row_becomes_a_tap_of_that_row() -> None:
    replies = {"tap": math.log(0.2), "swipe down": math.log(0.79), "swipe up": math.log(0.01)}
    assert joint_best_reply(replies, scores_on(4), element_flags(PROMPT)) == "tap"


def test_no_target_takes_any_element_reply_leaves_the_choice_to_the_caller() -> None:
    flags = ["", "", ""]  # nothing clickable and not even the screen scrolls
    replies = {"tap": -0.1, "swipe down": -3.0, "swipe up": -4.0}
    assert joint_best_reply(replies, PointerScores(elements=[0.0, 1.0, 2.0], starts=[], ends=[]), flags) is None


def test_targets_that_cannot_take_the_reply_are_skipped_where_others_can() -> None:
    flags = element_flags(PROMPT)
    assert pointed_answers("tap", scores_on(2), flags=flags)[0] != "tap [2]"
    assert all(takes("tap", flags[int(a[5:-1])]) for a in pointed_answers("tap", scores_on(2), flags=flags))
    assert pointed_answers("tap", scores_on(2))[0] == "tap [2]"  # without flags: the pointer alone
    assert pointed_answers("swipe down", scores_on(2), flags=flags)[0] == "swipe [2] down"
    # A screen where nothing takes a tap: the pointer's own order, rather than no answer.
    small = PointerScores(elements=[0.0, 1.0, 5.0], starts=[], ends=[])
    assert pointed_answers("tap", small, flags=["#", "", "#"])[0] == "tap [2]"


def test_the_shipped_policy_scrolls_a_restaurant_list_that_hides_the_goals_restaurant(tmp_path: Path) -> None:
    """Real checkpoint, real emulator screens: on every step where the expert scrolls the list of
    a held-out restaurant task (the restaurant is below the fold), the policy's answer scrolls
    it too. Read apart, the greedy reply said ``tap`` on several of these screens."""
    pytest.importorskip("transformers")
    from autoagent.policy.embedded import embedded_checkpoint
    from autoagent.policy.local_engine import LocalGLMPolicy
    from emulator.training.demos import rows_for_goal, run_expert
    from emulator.training.taskgen import generate

    policy = LocalGLMPolicy(embedded_checkpoint(), device="cpu")
    scrolls = []
    for seed in (1000002, 1000025, 1000049, 1000132):
        case = generate(seed, "eval")
        _, _, seen = run_expert(case, tmp_path)
        rows = rows_for_goal(case, case.goal, seen, 0, policy.prompt_format["format"]) or []
        scrolls += [row for row in rows if row["target"].startswith("swipe")]
    assert len(scrolls) >= 4, [row["target"] for row in scrolls]
    answers = [policy.answer(row["prompt"]) for row in scrolls]
    assert answers == [row["target"] for row in scrolls]
