"""The scenario YAML format: what it accepts, and errors that point at file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoagent.scenarios.loader import ScenarioError, discover, load_scenario, parse_scenario
from autoagent.scenarios.model import EngineSpec, GoalStep, KeyStep, SwipeStep, TapStep, TypeStep, WaitForStep
from autoagent.scenarios.plugin import parse_shard, shard_of

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios"


def _errors(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, Path("s/x.scenario.yaml"))
    return info.value


def test_shorthands_parse_to_steps() -> None:
    s = parse_scenario(
        "target: {emulator: {seed: 3, app: Shop}}\n"
        "steps:\n"
        "  - tap: Search\n"
        "  - tap: [500, 120]\n"
        "  - tap: {id: size_M, nth: 1}\n"
        "  - type: \"abc\\n\"\n"
        "  - swipe: up\n"
        "  - swipe: {from: [1, 2], to: [3, 4]}\n"
        "  - back\n"
        "  - wait_for: Done\n", Path("demo.scenario.yaml"))
    assert s.id == "demo"  # from the file name
    kinds = [type(step) for step in s.steps]
    assert kinds == [TapStep, TapStep, TapStep, TypeStep, SwipeStep, SwipeStep, KeyStep, WaitForStep]
    assert s.steps[0].tap.text == "Search" and s.steps[1].tap.point == (500, 120)
    assert s.steps[2].tap.id == "size_M" and s.steps[2].tap.nth == 1
    assert s.steps[3].type == "abc\n" and s.steps[5].swipe.start == (1, 2)
    assert s.steps[7].wait_for.contains == "Done"
    assert s.limits.max_steps == 60 and s.target.kind == "emulator"


def test_goal_shorthand_becomes_a_goal_step() -> None:
    s = parse_scenario("target: {emulator: {}}\ngoal: Turn on dark mode\nengine: {name: replay, trace: t}\n",
                       Path("g.scenario.yaml"))
    (step,) = s.all_steps()
    assert isinstance(step, GoalStep) and step.goal == "Turn on dark mode"


def test_unknown_field_in_a_step_names_its_line_and_path() -> None:
    err = _errors("target:\n  emulator: {seed: 1}\nsteps:\n  - tap: Search\n  - tap: {txt: Go}\n")
    (p,) = err.problems
    assert (p.line, p.field) == (5, "steps[1].tap.txt")
    assert "unknown field 'txt'" in p.message
    assert str(err).startswith("s/x.scenario.yaml:5: steps[1].tap.txt:")


def test_unknown_step_kind_lists_the_kinds() -> None:
    err = _errors("target: {emulator: {}}\nsteps:\n  - back\n\n  - click: OK\n")
    (p,) = err.problems
    assert (p.line, p.field) == (5, "steps[1]")
    assert "tap" in p.message and "wait_for" in p.message


def test_wrong_type_deep_in_an_expectation() -> None:
    err = _errors("target: {emulator: {}}\nsteps: [back]\nexpect:\n  - state:\n      of: orders\n"
                  "      count: many\n")
    (p,) = err.problems
    assert (p.line, p.field) == (6, "expect[0].state.count")
    assert "integer" in p.message


def test_several_problems_are_all_reported() -> None:
    err = _errors("target: {emulator: {seed: x}}\nsteps:\n  - tap: {}\n  - swipe: sideways\n")
    fields = {p.field: p.line for p in err.problems}
    assert fields["target.emulator.seed"] == 1
    assert fields["steps[0].tap"] == 3
    assert fields["steps[1].swipe"] == 4


def test_coherence_errors() -> None:
    assert "exactly one target" in str(_errors("target: {}\nsteps: [back]\n"))
    on_a_page = "target: {browser: {url: 'demo:/shop'}}\nsteps:\n  - goal: do it\n"
    assert "goal steps on a phone or a browser need a policy" in str(_errors(on_a_page))
    assert "either goal or steps" in str(_errors(
        "target: {emulator: {}}\ngoal: x\nsteps: [back]\nengine: {name: replay, trace: t}\n"))
    assert "does nothing" in str(_errors("target: {emulator: {}}\n"))
    assert "point is a fixed spot" in str(_errors("target: {emulator: {}}\nsteps:\n  - tap: {point: [1, 2], text: a}\n"))


def test_goal_steps_on_the_emulator_default_to_the_embedded_policy(tmp_path: Path) -> None:
    f = tmp_path / "wifi.scenario.yaml"
    f.write_text("target: {emulator: {}}\ngoal: turn off wifi\n", encoding="utf-8")
    scenario = load_scenario(f).scenario
    assert scenario.engine is None
    assert scenario.goal_engine() == EngineSpec(name="local")  # local without a folder: the embedded policy
    pinned = "target: {emulator: {}}\ngoal: turn off wifi\nengine: {name: openai, base_url: 'http://x/v1'}\n"
    f.write_text(pinned, encoding="utf-8")
    assert load_scenario(f).scenario.goal_engine().name == "openai"


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.scenario.yaml"
    f.write_text("target: {emulator: {}}\nsteps:\n  - tap: [1, 2\n  - back\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(f)
    assert info.value.problems[0].line >= 3 and "not valid YAML" in str(info.value)
    assert str(f) in str(info.value)


def test_shipped_suite_is_valid_and_covers_every_target() -> None:
    files = discover([SHIPPED])
    loaded = [load_scenario(f) for f in files]
    tags = {t for s in loaded for t in s.scenario.tags}
    assert {"shop", "travel", "restaurant", "browser", "replay"} <= tags
    assert {s.scenario.target.kind for s in loaded} == {"emulator", "browser"}
    assert len({s.id for s in loaded}) == len(loaded)


def test_shards_are_stable_and_cover_everything() -> None:
    ids = [f"scenario_{i}" for i in range(200)]
    slices = [{i for i in ids if shard_of(i, 3) == k} for k in (1, 2, 3)]
    assert set().union(*slices) == set(ids) and sum(map(len, slices)) == len(ids)
    assert all(len(s) > 40 for s in slices)  # roughly even
    # sha256-based: the same on every machine and every Python run (no hash randomisation),
    # so these values are fixed for good.
    assert shard_of("shop_buy_tshirt", 4) == 3
    assert [shard_of(f"x{i}", 5) for i in range(6)] == [3, 3, 5, 2, 1, 4]
    assert parse_shard("2/5") == (2, 5)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(pytest.UsageError):
            parse_shard(bad)
