"""How the embedded policy's pointers choose what to type: a goal value is typed once.

The last test runs the shipped checkpoint through the real agent loop on an emulator task
whose second field the pointers used to fill with part of the first field's value.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autoagent.actions import Type
from autoagent.policy.base import Turn
from autoagent.policy.compact import goal_span, goal_words
from autoagent.policy.pointers import PointerScores

GOAL = "Ok so remember Feng Jia, phone 13966882541, as a contact please"


def words(goal: str) -> list[str]:
    return goal_words(goal).split(" ")


def scores_favouring(goal: str, start: str, end: str) -> PointerScores:
    """Scores whose best span runs from word ``start`` to word ``end``; other words score lower
    the further they are from the goal's phone number."""
    ws = words(goal)
    number = ws.index("13966882541")
    starts = [-abs(i - number) * 0.1 for i in range(len(ws))]
    ends = list(starts)
    starts[ws.index(start)] = ends[ws.index(end)] = 5.0
    return PointerScores(elements=[0.0], starts=starts, ends=ends)


def test_spans_that_retype_a_typed_value_come_last() -> None:
    ws = words(GOAL)
    name = goal_span(GOAL, "Feng Jia")
    scores = scores_favouring(GOAL, "Jia", "Jia")
    assert scores.ranked_spans(3)[0] == (ws.index("Jia"), ws.index("Jia"))
    ranked = scores.ranked_spans(50, typed=(name,))
    assert ranked[0] == (ws.index("13966882541"), ws.index("13966882541"))
    overlapping = [i for i, (a, b) in enumerate(ranked) if a <= name[1] and name[0] <= b]
    fresh = [i for i, (a, b) in enumerate(ranked) if not (a <= name[1] and name[0] <= b)]
    assert overlapping and fresh and max(fresh) < min(overlapping)


def test_when_every_span_retypes_the_best_of_them_still_comes_first() -> None:
    goal = "type Feng Jia"
    scores = PointerScores(elements=[0.0], starts=[0.0, 1.0, 3.0], ends=[0.0, 1.0, 3.0])
    assert scores.ranked_spans(1, typed=((0, 2),)) == [(2, 2)]
    assert goal_span(goal, "Feng Jia") == (1, 2)


def test_a_spans_log_probability_is_its_starts_plus_its_ends_under_their_softmaxes() -> None:
    import math

    scores = PointerScores(elements=[0.0], starts=[0.0, math.log(3.0)], ends=[math.log(4.0), 0.0])
    assert math.isclose(scores.span_logprob((1, 1)), math.log(3 / 4) + math.log(1 / 5))
    assert math.isclose(scores.span_logprob((0, 0)), math.log(1 / 4) + math.log(4 / 5))


def test_typed_spans_come_from_the_runs_type_steps() -> None:
    from autoagent.policy.local_engine import typed_spans

    history = (Turn(thought='launch Contacts', answer='do(action="Launch", app="Contacts")'),
               Turn(thought='type "Feng Jia"', answer='do(action="Type", text="Feng Jia")'),
               Turn(thought="", answer="not an action", feedback="unparseable"),
               Turn(thought='type "hello"', answer='do(action="Type", text="hello")'))  # not in the goal
    assert typed_spans(GOAL, history) == (goal_span(GOAL, "Feng Jia"),)


def test_a_value_the_focused_field_still_shows_may_be_typed_over() -> None:
    """Typing replaces a field's text: correcting "Feng" to "Feng Jia" in the same field is
    no retyping, while the name's words in another field (the phone number's) still are."""
    from autoagent.policy.local_engine import typed_spans

    history = (Turn(thought='type "Feng"', answer='do(action="Type", text="Feng")'),)
    assert typed_spans(GOAL, history) == (goal_span(GOAL, "Feng"),)
    assert typed_spans(GOAL, history, retyping="Feng") == ()
    assert typed_spans(GOAL, history, retyping="") == (goal_span(GOAL, "Feng"),)


def test_the_shipped_policy_types_the_name_and_then_the_number(tmp_path: Path) -> None:
    """Real checkpoint, real agent loop, emulator phone: the second Type shares no word with the first."""
    pytest.importorskip("transformers")
    from autoagent.agent import Agent
    from autoagent.policy.local_engine import LocalGLMPolicy
    from autoagent.trace import read_trace
    from emulator.training.demos import ManualClock, approving_human
    from emulator.training.taskgen import cases

    from autoagent.policy.embedded import embedded_checkpoint

    case = next(c for c in cases("eval", 6) if "Feng Jia" in c.goal and "13966882541" in c.goal)
    clock = ManualClock()
    phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
    policy = LocalGLMPolicy(embedded_checkpoint(), device="cpu")
    policy.lang = case.lang
    result = Agent(device=phone, policy=policy, human=approving_human(), max_steps=6, trace_root=tmp_path,
                   save_screenshots=False).run(case.goal)
    typed = [s.action.text for s in read_trace(result.trace_dir).steps if isinstance(s.action, Type)]
    assert len(typed) >= 2, typed
    first, second = (set(re.findall(r"\w+", t.lower())) for t in typed[:2])
    assert not first & second, typed


@pytest.mark.parametrize("task_id", ["gen-eval-contact_add-1000029", "gen-eval-contact_add-1000036"])
def test_the_shipped_span_head_types_the_whole_name(task_id: str, tmp_path: Path) -> None:
    """"store lucas wang's number ..." and "记一下潘波（Pan Bo）的手机...": the model alone starts the
    name one word late ("wang", "Bo"); with the shipped span head, which reads the words after
    each word, the contact saved is the one asked for. Judged by the Contacts app's own state."""
    pytest.importorskip("transformers")
    from autoagent.agent import Agent
    from autoagent.policy.embedded import embedded_checkpoint
    from autoagent.policy.local_engine import LocalGLMPolicy
    from emulator.training.demos import ManualClock, approving_human
    from emulator.training.taskgen import cases

    case = next(c for c in cases("eval", 40) if c.task.id == task_id)
    outcomes = []
    for keep_head in (True, False):
        clock = ManualClock()
        phone = case.task.make_phone(clock=clock, sleep=clock.sleep)
        policy = LocalGLMPolicy(embedded_checkpoint(), device="cpu")
        assert policy._heads.span is not None
        if not keep_head:
            policy._heads.span = None
        policy.lang = case.lang
        Agent(device=phone, policy=policy, human=approving_human(), max_steps=12,
              trace_root=tmp_path / str(keep_head), save_screenshots=False).run(case.goal)
        outcomes.append(case.task.is_successful(phone))
    assert outcomes == [True, False]
