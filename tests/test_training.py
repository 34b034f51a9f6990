"""Demonstrations, task generation, from-scratch training and evaluation, end to end on CPU.

Everything is real: the expert on the emulator through the agent loop, a real
Glm4vForConditionalGeneration trained for a handful of steps, loaded back through the local
engine, and run on held-out tasks judged by the apps' own state.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from autoagent.perception.observation import Observation
from autoagent.policy.compact import (FORMAT, Screen, build_prompt, decode_answer, goal_words, pointer_places,
                                      split_answer, summarize)
from autoagent.policy.local_engine import POLICY_FILE
from autoagent.training.rows import read_rows
from autoagent.training.train import STATE_FILE, TrainConfig, lr_at, train
from emulator.training import demos, phrasing, taskgen
from emulator.training.evaluate import compare, evaluate, table, wilson_interval


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demos")
    assert demos.collect(out, "train", 3, progress=False, phrasings=2).success_rate == 1.0
    assert demos.collect(out, "eval", 2, progress=False).success_rate == 1.0
    return out


@pytest.fixture(scope="module")
def checkpoint(data, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("ckpt") / "policy"
    cfg = TrainConfig(data=str(data), out=str(out), size="tiny", steps=40, batch=8, lr=5e-3, warmup=3,
                      eval_every=20, eval_examples=16, log_every=5, save_every=20, compile=False)
    lines: list[str] = []
    return out, train(cfg, log=lines.append) | {"log": lines}


def test_task_generation_is_seeded_and_keeps_holdouts_apart() -> None:
    a, b = taskgen.generate(3, "train"), taskgen.generate(3, "train")
    assert (a.goal, a.spec, a.task.goal_zh) == (b.goal, b.spec, b.task.goal_zh)
    train = [taskgen.generate(seed, "train") for seed in range(400)]
    assert {c.family for c in train} == set(taskgen.FAMILIES)
    assert {c.lang for c in train} == {"en", "zh"}
    assert not any(c.heldout_template for c in train)
    held = [taskgen.generate(seed, "eval") for seed in taskgen.EVAL_SEEDS[:300]]
    assert 0.2 < sum(c.heldout_template for c in held) / len(held) < 0.8
    # Parameters and wordings vary far beyond the fixed tasks.
    assert len({c.spec for c in train}) > 330  # settings have 8 specs in all
    assert len({c.goal for c in train}) == len(train)
    with pytest.raises(ValueError, match="not a train seed"):
        taskgen.generate(taskgen.EVAL_SEEDS.start, "train")
    with pytest.raises(ValueError, match="not a eval seed"):
        taskgen.generate(0, "eval")


def test_a_cases_other_wordings_ask_for_what_it_asks_even_where_its_family_was_named() -> None:
    """Rephrasings replay a seed's draws; a case whose family the caller named used to skip the
    family draw, so its rephrasings asked for another hotel than the case did."""
    from autoagent.policy.compact import goal_party

    for seed in range(20):
        case = taskgen.generate(seed, "train", family="hotel")
        wanted = case.spec.adults  # type: ignore[attr-defined]
        assert goal_party(case.goal) == wanted
        assert [goal_party(goal) for goal in taskgen.rephrasings(case, 3)] == [wanted] * 3, case.goal


def test_training_wordings_never_use_a_held_out_core_opener_or_closer() -> None:
    goals = [taskgen.generate(seed, "train") for seed in range(300)]
    for case in goals:
        held_cores = phrasing.CORES[case.family][case.lang][-phrasing.HELDOUT_CORES:]
        assert case.template < len(phrasing.CORES[case.family][case.lang]) - phrasing.HELDOUT_CORES
        assert all(core.split("{")[0].lower() not in case.goal.lower() or core.split("{")[0] == ""
                   for core in held_cores if len(core.split("{")[0]) > 6)
        assert not case.goal.lower().startswith(phrasing.OPENERS[case.lang][-1].strip().lower())
        assert not case.goal.lower().rstrip(".。!！").endswith(phrasing.CLOSERS[case.lang][-1].strip(" ，").lower())
    # Training's own fillers: the wider pool, and now and then two openers in a row; evaluation
    # draws from the shared pool and the held-out opener only, never a stack.
    openers = {lang: [o.strip(" ,，:").lower() for o in phrasing.TRAIN_OPENERS[lang]] for lang in ("en", "zh")}
    assert sum(any(c.goal.lower().startswith(o) for o in openers[c.lang]) for c in goals) > 30
    pool = [o for o in phrasing.OPENERS["en"][:-1] + phrasing.TRAIN_OPENERS["en"] if o]
    rng = random.Random(0)
    drawn = [phrasing.draw_opener("en", rng, "train") for _ in range(400)]
    stacked = [o for o in drawn if o not in pool and o]
    assert 40 < len(stacked) < 120 and all(any(o == a + b for a in pool for b in pool) for o in stacked)
    evaluated = [phrasing.draw_opener("en", rng, "eval") for _ in range(300)]
    assert set(evaluated) <= set(phrasing.OPENERS["en"]) and phrasing.OPENERS["en"][-1] in evaluated
    # Speech-like goals: some have no punctuation and no capitals at all.
    assert any(c.goal == c.goal.lower() and not any(p in c.goal for p in ".,。，") for c in goals)


def test_shop_goals_name_products_in_several_orders_and_often_leave_the_app_out(tmp_path: Path) -> None:
    from emulator.training.demos import episode_rows, run_expert

    shop = [taskgen.generate(seed, "train", family) for seed in range(120) for family in ("shop_buy", "shop_cart")]
    english = [c.goal.lower() for c in shop if c.lang == "en"]
    # "a white t-shirt in size m", "..., size m", "... size m", "a t-shirt in white, size m"
    assert any(" in size " in g for g in english) and any(", size " in g for g in english)
    assert any(re.search(r"\b(?!in\b)[a-z]+ size \w", g) for g in english)  # "... size m", not "in size m"
    assert any(re.search(r" in (white|black|blue|grey|green|red), size ", g) for g in english)
    unnamed = [c for c in shop if not re.search(r"shop|商城", c.goal.lower())]
    assert len(unnamed) > len(shop) // 5  # people say "buy me ...", not "in the Shop app"
    # Whatever the order, the expert finds the product by the words the goal uses for it.
    for case in unnamed[:6] + [c for c in shop if " in white, size " in c.goal.lower()][:2]:
        result, phone, seen = run_expert(case, tmp_path)
        assert result.ok and case.task.is_successful(phone), case.goal
        typed = [r["target"] for r in episode_rows(case, seen, 0) or [] if r["target"].startswith("type")]
        assert typed and not typed[0].startswith('type "'), (case.goal, typed)  # the search copies the goal


def test_demonstration_rows_are_compact_prompts_with_pointer_answers(data: Path) -> None:
    rows = read_rows(data / "train.jsonl")
    held = read_rows(data / "heldout.jsonl")
    assert rows and held
    assert {r["seed"] for r in rows} == {0, 1, 2}
    assert all(r["seed"] in taskgen.EVAL_SEEDS for r in held)
    by_goal: dict[str, list[dict]] = {}
    for row in rows:
        by_goal.setdefault(row["goal"], []).append(row)
        assert row["prompt"].startswith(f"goal: {row['goal']}\napp: ")
        assert row["prompt"].endswith(f"\nwords: {goal_words(row['goal'])}")
        assert row["target"].split()[0] in ("tap", "type", "swipe", "launch", "back", "home", "wait", "finish")
    # Each episode appears under its own goal and under other wordings of it.
    assert len(by_goal) > 3
    for steps in by_goal.values():
        assert [r["step"] for r in steps] == list(range(1, len(steps) + 1))
        assert steps[-1]["target"] == "finish"
        assert "done: -" in steps[0]["prompt"]
    # Values in the goal are typed by pointing at the goal's words, not spelled out.
    typed = [r for r in rows if r["target"].startswith("type ") and not r["target"].startswith('type "')]
    assert typed
    for row in typed:
        screen = Screen(goal=row["goal"], elements=[], texts=[], size=(1080, 2400))
        assert decode_answer(row["target"], screen).text.lower() in row["goal"].lower()


def test_collection_is_deterministic(data: Path, tmp_path: Path) -> None:
    demos.collect(tmp_path, "train", 1, progress=False, phrasings=2)
    again = (tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()
    first = [line for line in (data / "train.jsonl").read_text(encoding="utf-8").splitlines()
             if json.loads(line)["seed"] == 0]
    assert again == first


def test_collection_in_several_processes_writes_the_same_bytes(data: Path, tmp_path: Path) -> None:
    summary = demos.collect(tmp_path, "train", 3, progress=False, phrasings=2, workers=2)
    assert [e.seed for e in summary.episodes] == [0, 1, 2] and summary.success_rate == 1.0
    for name in ("train.jsonl", demos.episodes_file("train")):
        assert (tmp_path / name).read_bytes() == (data / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl", "train_episodes.jsonl"]  # no parts left


def test_ctrl_c_stops_a_collection_in_several_processes_and_keeps_whole_episodes(tmp_path: Path) -> None:
    """The processes' part files are joined on the way out: every episode written is whole."""
    import signal
    import time

    out = tmp_path / "demos"
    run = subprocess.Popen([sys.executable, "-m", "autoagent", "demos", "--out", str(out), "--train", "400",
                            "--eval", "0", "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True,  # as from a terminal: a process that inherits SIGINT ignored keeps ignoring it
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
                p.stat().st_size for p in out.glob(".train.jsonl.part*") if p.is_file()):
            time.sleep(0.2)
        time.sleep(1.0)
        run.send_signal(signal.SIGINT)
        _, err = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 130, err
    kept = re.search(r"interrupted: kept (\d+) rows from (\d+) episodes", err)
    assert kept, err
    rows = read_rows(out / "train.jsonl")
    episodes = [json.loads(line) for line in (out / "train_episodes.jsonl").read_text().splitlines()]
    assert len(rows) == int(kept[1]) > 0 and len(episodes) == int(kept[2]) < 400
    assert {r["seed"] for r in rows} == {e["seed"] for e in episodes if e["ok"]}
    for seed in {r["seed"] for r in rows}:  # each episode's rows are all there: its last step finishes
        assert [r for r in rows if r["seed"] == seed and r["id"].endswith("#0")][-1]["target"].startswith("finish")
    assert not list(out.glob(".*part*"))


def test_training_learns_and_saves_a_resumable_checkpoint(checkpoint) -> None:
    folder, summary = checkpoint
    assert summary["last_loss"] < summary["first_loss"] / 2
    accuracies = [e["token_accuracy"] for e in summary["evals"]]
    assert accuracies[-1] > accuracies[0] or accuracies[-1] > 0.9
    assert any("examples/s" in line and "left" in line for line in summary["log"])
    for name in ("config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja",
                 "preprocessor_config.json", "generation_config.json", POLICY_FILE, STATE_FILE):
        assert (folder / name).is_file(), name
    assert json.loads((folder / POLICY_FILE).read_text())["format"] == FORMAT


def test_bf16_autocast_runs_only_where_the_cpu_has_amx(checkpoint, monkeypatch) -> None:
    """bf16 made training 36 times slower on an AVX2-only CPU and 1.6 times on AVX-512 BF16 without AMX."""
    import torch

    from autoagent.training import train as training

    _, summary = checkpoint
    assert summary["precision"] == ("bf16" if training.fast_bf16() else "fp32")
    assert any(f", {summary['precision']} on cpu, eager attention; " in line for line in summary["log"])
    for native, enabled in ((False, False), (True, True)):
        monkeypatch.setattr(training, "fast_bf16", lambda native=native: native)
        with training.autocast():
            assert torch.is_autocast_enabled("cpu") is enabled
            if enabled:
                assert torch.get_autocast_dtype("cpu") == torch.bfloat16


def test_resume_continues_from_the_saved_step(checkpoint, data: Path, tmp_path: Path) -> None:
    folder, summary = checkpoint
    copy = tmp_path / "policy"
    subprocess.run(["cp", "-r", str(folder), str(copy)], check=True)
    cfg = TrainConfig(data=str(data), out=str(copy), size="tiny", steps=44, batch=8, lr=5e-3, warmup=3,
                      eval_every=100, eval_examples=4, log_every=1, save_every=100, resume=True,
                      compile=False)
    lines: list[str] = []
    resumed = train(cfg, log=lines.append)
    assert lines[0] == f"resuming {copy} at step 40"
    assert resumed["steps"] == 44
    # A damaged policy file in the folder to resume is one line of error, before any weights load.
    (copy / POLICY_FILE).write_text('{"format": ', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--resume", "--data", str(data), "--out",
                          str(copy), "--steps", "48", "--size", "tiny", "--no-compile"], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 2 and f"{copy / POLICY_FILE} is damaged" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    (copy / POLICY_FILE).unlink()
    with pytest.raises(ValueError, match=re.escape(f"--resume {copy} is not a checkpoint written by autoagent train "
                                                   f"(no {POLICY_FILE})")):
        train(cfg, log=lines.append)


def test_every_reader_of_a_trained_checkpoint_names_a_folder_without_a_policy_file(data: Path, tmp_path: Path) -> None:
    """``train --init`` and ``train --heads --init`` refuse a model that autoagent did not train, in the same words."""
    from autoagent.training.goal_heads import train_goal_heads

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "config.json").write_text("{}", encoding="utf-8")
    expected = re.escape(f"--init {foreign} is not a checkpoint written by autoagent train (no {POLICY_FILE})")
    with pytest.raises(ValueError, match=expected):
        train(TrainConfig(data=str(data), out=str(tmp_path / "out"), init=str(foreign), size="tiny", steps=1,
                          compile=False), log=lambda line: None)
    with pytest.raises(ValueError, match=expected):
        train_goal_heads(foreign, data, tmp_path / "heads", log=lambda line: None, progress=False, compile=False)


def test_the_local_engine_builds_the_training_prompt_and_acts(checkpoint, data: Path) -> None:
    """Inference builds, from a live screen, exactly the prompt the row was trained on."""
    from autoagent.policy.local_engine import LocalGLMPolicy

    folder, _ = checkpoint
    policy = LocalGLMPolicy(folder, device="cpu")
    case = taskgen.generate(0, "train")
    phone = case.task.make_phone()
    observation = Observation(screenshot=phone.screenshot(), hierarchy=phone.hierarchy_xml(),
                              app=phone.current_package())
    row = next(r for r in read_rows(data / "train.jsonl") if r["id"] == f"{case.task.id}/0001#0")
    screen = Screen.of(case.goal, observation.tree, observation.size)
    assert build_prompt(screen, observation.app, 1, []) == row["prompt"]
    # Later steps carry the summaries of earlier answers, as the rows do.
    step2 = next(r for r in read_rows(data / "train.jsonl") if r["id"] == f"{case.task.id}/0002#0")
    summary = summarize(row["target"], screen)
    assert f"done: {summary}" in step2["prompt"]
    inputs, _ = policy.prompt_inputs(build_prompt(screen, observation.app, 2, [summary]))
    assert f"done: {summary}" in policy.tokenizer.decode(inputs["input_ids"][0])


def test_export_writes_the_checkpoint_as_it_ships(checkpoint, tmp_path: Path) -> None:
    from autoagent.policy.local_engine import LocalGLMPolicy

    folder, _ = checkpoint
    out = subprocess.run([sys.executable, "-m", "autoagent", "train", "--export", str(folder), "--out",
                          str(tmp_path / "ship")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    shipped = tmp_path / "ship"
    assert not (shipped / STATE_FILE).exists()
    assert (shipped / "model.safetensors").stat().st_size < 0.6 * (folder / "model.safetensors").stat().st_size
    assert json.loads((shipped / POLICY_FILE).read_text())["format"] == FORMAT
    LocalGLMPolicy(shipped, device="cpu")  # loads as a policy
    out = subprocess.run([sys.executable, "-m", "autoagent", "train", "--export", str(tmp_path), "--out",
                          str(tmp_path / "x")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "not a checkpoint" in out.stderr


def test_pointers_sit_on_each_element_line_and_each_goal_word(checkpoint, data: Path) -> None:
    """Every element line's pointer is the newline that ends it, every goal word's is its last
    token; the answers' targets become pointer labels in range."""
    from autoagent.policy.pointers import encode_prompt
    from autoagent.policy.local_engine import LocalGLMPolicy

    tokenizer = LocalGLMPolicy(checkpoint[0], device="cpu").tokenizer
    for row in read_rows(data / "train.jsonl")[:40]:
        prompt = row["prompt"]
        places = pointer_places(prompt)
        lines = prompt.split("\n")
        assert len(places.elements) == len(lines) - lines.index("screen:") - 1
        assert all(prompt[c] == "\n" for c in places.elements)
        words = lines[-1][len("words: "):].split(" ")
        assert [prompt[c] for c in places.words] == [w[-1] for w in words]
        encoded = encode_prompt(tokenizer, prompt)
        assert all(tokenizer.decode([encoded.ids[i]]) == "\n" for i in encoded.elements)
        assert [tokenizer.decode(encoded.ids[:i + 1]).endswith(w) for i, w in zip(encoded.words, words)] \
            == [True] * len(words)
        pointed = split_answer(row["target"])
        if pointed.element is not None:
            assert 0 <= pointed.element < len(encoded.elements)
        if pointed.span is not None:
            assert 0 <= pointed.span[0] <= pointed.span[1] < len(encoded.words)


def test_evaluation_runs_and_never_pays_unconfirmed(checkpoint, data: Path) -> None:
    folder, _ = checkpoint
    start = next(seed for seed in taskgen.EVAL_SEEDS if taskgen.generate(seed, "eval").task.payment)
    rows = read_rows(data / "heldout.jsonl")[:5]
    report = evaluate(folder, count=1, start=start, max_steps=3, rows=rows, progress=False)
    assert report["tasks"] == 1 and report["expert_success_rate"] == 1.0
    assert report["payment_tasks_checked"] == 1
    assert report["payments_without_confirmation"] == 0
    assert report["step_latency_ms"]["steps"] >= 1
    assert report["heldout_rows"]["rows"] == 5
    low, high = report["success_interval_95"]
    assert 0.0 <= low <= report["success_rate"] <= high <= 1.0 and high - low > 0.5  # one task says little


def test_success_comes_with_its_interval_and_checkpoints_compare_on_the_same_tasks() -> None:
    low, high = wilson_interval(156, 200)
    assert (round(low, 3), round(high, 3)) == (0.718, 0.832)
    assert wilson_interval(0, 10)[0] == 0.0 and round(wilson_interval(0, 10)[1], 3) == 0.278
    assert wilson_interval(10, 10)[1] == 1.0

    def report(solved: set[int], tasks: range) -> dict:
        cases = [{"task": f"t{i}", "ok": i in solved} for i in tasks]
        return {"cases": cases, "tasks": len(cases), "success_rate": len(solved & set(tasks)) / len(cases)}

    new, old = report({0, 1, 2, 3, 4, 5, 6, 7}, range(12)), report({0, 1, 8}, range(10))
    paired = compare(new, old)
    assert paired["tasks"] == 10  # t10 and t11 have no baseline
    assert paired["gained"] == ["t2", "t3", "t4", "t5", "t6", "t7"] and paired["lost"] == ["t8"]
    assert paired["p_value"] == round(2 * (1 + 7) / 2 ** 7, 4)  # 6 against 1: 0.125
    assert compare(old, old)["p_value"] == 1.0 and compare(old, old)["gained"] == []
    with pytest.raises(ValueError, match="none of these tasks"):
        compare(new, report(set(), range(20, 22)))
    shown = table({**new, "success_interval_95": [0.4, 0.9], "success_rate_heldout_wordings": None,
                   "success_rate_seen_wordings": None, "success_rate_en": None, "success_rate_zh": None,
                   "expert_success_rate": 1.0, "mean_steps_solved": 5, "expert_mean_steps_same_tasks": 5,
                   "loop_rate": 0.0, "payments_without_confirmation": 0, "payment_tasks_checked": 0,
                   "against_baseline": paired})
    assert "(95% interval 40.0%-90.0%)" in shown
    assert "same 10 tasks | 80.0% vs 30.0%: 6 solved only here, 1 only there (sign test p = 0.12)" in shown


def test_eval_refuses_a_baseline_that_is_not_a_report_before_running_anything(tmp_path: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text('{"success_rate": 0.8}', encoding="utf-8")
    for baseline, says in ((tmp_path / "missing.json", "No such file"), (notes, "it has no cases")):
        out = subprocess.run([sys.executable, "-m", "autoagent", "eval", "--baseline", str(baseline), "--tasks", "200"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 2 and says in out.stderr, out.stderr
        assert "eval [" not in out.stderr and "Loading weights" not in out.stderr  # nothing loaded or ran


def test_dagger_rounds_accumulate_expert_labels_of_the_learners_states(checkpoint, tmp_path: Path) -> None:
    """Corrections: the learner drives, the expert labels each state it reached, and a second
    round adds to the first instead of replacing it; training then reads both."""
    folder, _ = checkpoint
    first = demos.collect_corrections(tmp_path, folder, 1, 500, beta=0.0, progress=False, max_steps=4)
    rows = read_rows(tmp_path / "dagger.jsonl")
    assert first.rows == len(rows) >= 1
    assert all(r["source"] == "dagger" and r["split"] == "train" and r["seed"] == 500 for r in rows)
    assert all(split_answer(r["target"]) is not None for r in rows)
    assert rows[0]["prompt"].startswith("goal: ") and "\nscreen:\n" in rows[0]["prompt"]
    second = demos.collect_corrections(tmp_path, folder, 1, 501, beta=1.0, progress=False, max_steps=4)
    both = read_rows(tmp_path / "dagger.jsonl")
    assert len(both) == first.rows + second.rows
    assert both[:len(rows)] == rows and {r["seed"] for r in both[len(rows):]} == {501}


def dagger_lines(out: Path) -> list[str]:
    return (out / "dagger.jsonl").read_text(encoding="utf-8").splitlines()


def test_corrections_in_several_processes_add_the_rows_one_process_adds(checkpoint, tmp_path: Path) -> None:
    """``autoagent demos --corrections --workers 2`` shares the seeds between two learners and
    adds their rows in seed order, after the rows already there: the same bytes as one process."""
    folder, _ = checkpoint
    earlier = '{"id": "an earlier round"}\n'
    written = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        (out / "dagger.jsonl").write_text(earlier, encoding="utf-8")
        run = subprocess.run([sys.executable, "-m", "autoagent", "demos", "--out", str(out), "--corrections",
                              str(folder), "--train", "3", "--start", "700", "--workers", str(workers), "--quiet"],
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        summary = json.loads(run.stdout.strip().splitlines()[-1])
        assert summary["episodes"] == 3 and summary["rows"] == len(dagger_lines(out)) - 1
        written.append((out / "dagger.jsonl").read_text(encoding="utf-8"))
        logged = [json.loads(line) for line in (out / "dagger_episodes.jsonl").read_text().splitlines()]
        assert [e["seed"] for e in logged] == [700, 701, 702]
        assert not list(out.glob(".*part*"))
    assert written[0].startswith(earlier) and written[0].count("\n") > 3
    assert written[1] == written[0]
    seeds = [json.loads(line)["seed"] for line in written[0].splitlines()[1:]]
    assert seeds == sorted(seeds) and set(seeds) == {700, 701, 702}


def test_demos_cli_stops_cleanly_on_bad_input(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "autoagent", "demos", "--out", str(tmp_path), "--train", "-1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "must be 0 or more" in out.stderr
    out = subprocess.run([sys.executable, "-m", "autoagent", "train", "--data", str(tmp_path / "none"), "--out",
                          str(tmp_path / "c")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "autoagent demos" in out.stderr
    (tmp_path / "train.jsonl").write_text('{"kept": true}\n', encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "autoagent", "demos", "--out", str(tmp_path), "--train", "2",
                          "--start", str(taskgen.EVAL_SEEDS.start - 1)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "is not a train seed" in out.stderr
    assert (tmp_path / "train.jsonl").read_text(encoding="utf-8") == '{"kept": true}\n'  # nothing truncated


def test_training_on_a_gpu_that_is_not_there_is_a_clear_error(data: Path, tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    out = subprocess.run([sys.executable, "-m", "autoagent", "train", "--data", str(data), "--out",
                          str(tmp_path / "c"), "--device", "cuda"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "sees no CUDA GPU" in out.stderr
    assert not (tmp_path / "c").exists()


def test_training_refuses_rows_of_another_prompt_layout(data: Path, tmp_path: Path) -> None:
    """A checkpoint names one layout and reads only that at inference, so rows collected in
    another (v9's steppers show no row) would train a model on lines it never meets."""
    from autoagent.training.rows import check_layout

    old = tmp_path / "v9"
    shutil.copytree(data, old)
    (old / "manifest.json").write_text(json.dumps({"format": FORMAT}), encoding="utf-8")
    check_layout(old, FORMAT)  # today's rows pass
    (old / "manifest.json").write_text(json.dumps({"format": "autoagent-compact-v9"}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "autoagent", "train", "--data", str(old), "--out",
                          str(tmp_path / "c"), "--steps", "1"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "prompt layout 'autoagent-compact-v9'" in out.stderr
    assert "autoagent demos" in out.stderr and not (tmp_path / "c").exists()


def test_the_compiled_language_model_computes_what_the_eager_one_does(data: Path) -> None:
    """Training compiles the language model by default (``--compile``): its hidden states and
    gradients must be Hugging Face's eager ones, in float32, on padded rows of several lengths, and
    its weights keep their names so that the checkpoint it saves is the one inference loads."""
    import copy

    from torch._dynamo.utils import counters

    from autoagent.training.train import (SIZES, build_model, build_tokenizer, collate, compile_language_model,
                                          encode_rows)

    rows = read_rows(data / "train.jsonl")
    tokenizer = build_tokenizer([r["prompt"] + "\n" + r["target"] for r in rows], SIZES["tiny"].vocab)
    eager = build_model(tokenizer, SIZES["tiny"], seed=0).train()
    compiled = copy.deepcopy(eager)
    compile_language_model(compiled)
    chosen = sorted(rows[:40], key=lambda r: len(r["prompt"]))[::8]  # five rows, short to long
    input_ids, mask, *_ = collate(encode_rows(chosen, tokenizer), tokenizer.pad_token_id)
    graphs = counters["stats"]["unique_graphs"]
    assert_same_arithmetic(eager, compiled, input_ids, mask)
    assert counters["stats"]["unique_graphs"] > graphs  # the second pass went through the compiler
    assert list(compiled.state_dict()) == list(eager.state_dict())


def assert_same_arithmetic(reference, other, input_ids, mask) -> None:
    """The two models' hidden states and every layer's gradients agree in float32 on the real
    (unpadded) positions of a padded batch."""
    import torch

    from autoagent.training.train import SIZES, hidden_states

    real = mask.bool()
    assert not real.all()  # some rows are padded
    weights = torch.randn(*input_ids.shape, reference.config.text_config.hidden_size,
                          generator=torch.Generator().manual_seed(0))
    states = []
    for model in (reference, other):
        hidden = hidden_states(model.train(), input_ids, mask)
        (hidden[real] * weights[real]).sum().backward()
        states.append(hidden[real].detach())
    torch.testing.assert_close(states[1], states[0], rtol=1e-4, atol=1e-4)
    compared = 0
    for (name, a), b in zip(reference.named_parameters(), other.parameters()):
        if a.grad is not None and a.grad.abs().max() > 0:
            torch.testing.assert_close(b.grad, a.grad, rtol=1e-3, atol=1e-4 * float(a.grad.abs().max()), msg=name)
            compared += 1
    assert compared >= 4 * SIZES["tiny"].layers  # every layer's weights took part


def test_cpu_training_attends_with_plain_matmuls_and_the_checkpoint_loads_sdpa(checkpoint, data: Path) -> None:
    """On the CPU training runs attention as plain matmuls (faster there than the fused SDPA
    kernel); that must be the arithmetic SDPA does, forwards and backwards, on padded rows, and
    the checkpoint it saves must load with SDPA, as inference runs it."""
    import copy

    import torch
    from transformers import Glm4vForConditionalGeneration

    from autoagent.training.train import collate, encode_rows, load_tokenizer

    folder, summary = checkpoint
    assert summary["attention"] == "eager"
    tokenizer = load_tokenizer(folder)
    sdpa = Glm4vForConditionalGeneration.from_pretrained(folder, local_files_only=True, dtype=torch.float32)
    assert sdpa.config.text_config._attn_implementation == "sdpa"
    plain = copy.deepcopy(sdpa)
    plain.set_attn_implementation("eager")
    rows = sorted(read_rows(data / "train.jsonl")[:40], key=lambda r: len(r["prompt"]))[::8]
    input_ids, mask, *_ = collate(encode_rows(rows, tokenizer), tokenizer.pad_token_id)
    assert_same_arithmetic(sdpa, plain, input_ids, mask)


def test_rows_where_the_goal_decides_are_those_whose_screen_other_goals_answered_otherwise(data: Path,
                                                                                            tmp_path: Path) -> None:
    from autoagent.training.rows import goal_decided

    def row(goal: str, screen: str, target: str) -> dict:
        return {"prompt": f"goal: {goal}\napp: shop\nstep: 3\ndone: -\nscreen:\n{screen}\nwords: {goal}",
                "target": target}

    stepper = "TextView Quantity\nButton* −\nButton* +\nTextView 2"
    rows = [row("two mugs", stepper, "tap [2]"), row("one mug", stepper, "tap [1]"),
            row("two mugs", "Button* Buy now", "tap [1]"), row("three mugs", stepper, "tap [2]"),
            row("one mug", "Button* Buy now", "tap [1]")]
    assert goal_decided(rows) == [rows[0], rows[1], rows[3]]
    # The same goal and screen answered alike twice is no choice at all.
    assert goal_decided([rows[2], rows[4]]) == []

    run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--data", str(data), "--out",
                          str(tmp_path / "f"), "--fork-repeat", "0"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "--fork-repeat must be at least 1" in run.stderr, run.stderr
    assert not (tmp_path / "f").exists()


def test_batches_hold_every_item_once_and_pad_less_than_a_shuffle() -> None:
    """Training and the goal heads' fit draw their batches here: each item once per pass, batches
    in a seeded random order, and rows of similar length together, so a batch pads far less than
    one drawn at random, while each pool of batches still mixes the whole set's lengths."""
    from autoagent.training.train import batches

    rng = random.Random(3)
    lengths = [rng.randint(20, 480) for _ in range(1000)]
    drawn = batches(lengths, 16, random.Random(0), pool=8)
    assert sorted(i for batch in drawn for i in batch) == list(range(1000))
    assert all(1 <= len(batch) <= 16 for batch in drawn) and len(drawn) == -(-1000 // 16)
    assert drawn == batches(lengths, 16, random.Random(0), pool=8)  # seeded
    assert drawn != batches(lengths, 16, random.Random(1), pool=8)

    def padding(groups: list[list[int]]) -> int:
        return sum(max(lengths[i] for i in g) * len(g) - sum(lengths[i] for i in g) for g in groups)

    order = list(range(1000))
    random.Random(0).shuffle(order)
    shuffled = [order[k:k + 16] for k in range(0, 1000, 16)]
    assert padding(drawn) < padding(shuffled) / 3
    longest = [max(lengths[i] for i in batch) for batch in drawn]
    assert longest != sorted(longest) and longest != sorted(longest, reverse=True)  # not one sort of the whole set


def test_the_batched_pointer_loss_is_the_mean_of_each_answers_own() -> None:
    """One padded gather for the batch (a GPU would wait on a loop per example) must give each
    answer's cross-entropy, a span's two ends counting as one answer."""
    import torch

    from autoagent.training.train import Example, pointer_loss

    torch.manual_seed(0)
    hidden, vectors = torch.randn(4, 30, 8, requires_grad=True), torch.randn(2, 8)
    examples = [Example([0] * 30, 28, [2, 5, 9], [11, 12, 13, 14], 2, None),
                Example([0] * 30, 28, [3, 4, 6, 7, 8, 10], [15, 16], None, (0, 1)),
                Example([0] * 30, 28, [1], [17, 18, 19], None, None),
                Example([0] * 30, 28, [20, 21], [22, 23, 24, 25, 26], None, (2, 2))]
    ce = torch.nn.functional.cross_entropy
    own = [ce((hidden[0, [2, 5, 9]] @ vectors[0])[None], torch.tensor([2])),
           ce((hidden[1, [15, 16]] @ vectors.T).T, torch.tensor([0, 1])),
           ce((hidden[3, [22, 23, 24, 25, 26]] @ vectors.T).T, torch.tensor([2, 2]))]
    expected = torch.stack(own).mean()
    batched = pointer_loss(hidden, vectors, examples)
    assert batched.item() == pytest.approx(expected.item(), rel=1e-5)
    grad_batched, = torch.autograd.grad(batched, hidden)
    grad_expected, = torch.autograd.grad(expected, hidden)
    assert torch.allclose(grad_batched, grad_expected, atol=1e-6)
    assert pointer_loss(hidden, vectors, [examples[2]]).item() == 0


def test_the_prompts_own_loss_adds_to_the_reply_and_pointer_losses(checkpoint, data: Path) -> None:
    """``--prompt-loss`` adds a next-token loss on the prompt to what training minimises; the
    pointers' loss must stay in the total (it once fell out, and the pointers stayed at chance)."""
    import dataclasses

    import torch
    from transformers import Glm4vForConditionalGeneration

    from autoagent.policy.pointers import pointer_vectors
    from autoagent.training.train import batch_losses, encode_rows, load_tokenizer

    folder = checkpoint[0]
    tokenizer = load_tokenizer(folder)
    model = Glm4vForConditionalGeneration.from_pretrained(folder, local_files_only=True, dtype=torch.float32).eval()
    chunk = encode_rows(read_rows(data / "train.jsonl")[:6], tokenizer)
    base = TrainConfig(data=str(data), out=str(folder), compile=False)

    def losses(prompt_loss: float) -> tuple[float, float, float]:
        with torch.no_grad():
            cfg = dataclasses.replace(base, prompt_loss=prompt_loss)
            reply, pointing, total = batch_losses(model, chunk, tokenizer.pad_token_id,
                                                  pointer_vectors(model, tokenizer), cfg)
        return reply.item(), pointing.item(), total.item()

    reply, pointing, without = losses(0.0)
    assert pointing > 0.01 and without == pytest.approx(reply + base.pointer_loss * pointing, rel=1e-5)
    half = losses(0.5)[2]
    aux = 2 * (losses(1.0)[2] - half)  # the prompt's own loss, whatever else the total holds
    assert aux > 0.1
    assert half == pytest.approx(reply + base.pointer_loss * pointing + 0.5 * aux, rel=1e-4)


def test_tokenising_in_several_processes_gives_the_same_examples(checkpoint, data: Path) -> None:
    from autoagent.training.train import encode_rows, load_tokenizer

    folder, _ = checkpoint
    tokenizer = load_tokenizer(folder)
    rows = read_rows(data / "train.jsonl")
    assert len(rows) > 6
    assert encode_rows(rows, tokenizer, workers=3, chunk=5) == encode_rows(rows, tokenizer)


def test_a_time_budget_decays_the_learning_rate_like_a_step_budget() -> None:
    cfg = TrainConfig(data="d", out="o", steps=10_000, warmup=10, lr=1e-3, min_lr_ratio=0.05, minutes=30)
    assert lr_at(20, cfg) > 0.99e-3  # early by steps and by time
    assert lr_at(20, cfg, time_used=0.5) == pytest.approx(1e-3 * (0.05 + 0.95 * 0.5))
    assert lr_at(20, cfg, time_used=1.0) == pytest.approx(1e-3 * 0.05)  # the clock ran out first



@pytest.mark.skipif(not Path("/proc/self/statm").is_file(), reason="reads the resident size from /proc")
def test_collecting_episodes_keeps_the_resident_size_flat(tmp_path: Path) -> None:
    """Freed frame buffers go back to the system after each episode. Without that, once the
    render caches are full (about 25 episodes in), glibc's heap grew by 70-90 MB an episode
    (12 episodes: +770 MB) and a 2,000-episode collection reached 6.7 GB."""
    def resident_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 1e6

    demos.collect(tmp_path / "warm", "train", 26, start=500, progress=False, phrasings=0)
    before = resident_mb()
    summary = demos.collect(tmp_path / "more", "train", 12, start=526, progress=False, phrasings=0)
    assert len(summary.episodes) == 12
    assert resident_mb() - before < 400


def test_an_episode_loop_frees_earlier_episodes_phones(tmp_path: Path) -> None:
    """A phone is a web of reference cycles holding its rendered frames; left to the garbage
    collector's rare full passes, letting a model drive 160 episodes grew by up to 740 MB
    (114 MB with collections). After a loop's collection, every earlier episode's phone is gone
    (the renderer may keep the latest one)."""
    import weakref

    from emulator.training.memory import episode_loop
    from emulator.training.taskgen import generate

    phones = []
    with episode_loop(collect_every=5) as release_memory:
        for seed in range(500, 510):
            result, phone, seen = demos.run_expert(generate(seed, "train"), tmp_path)
            assert result.ok
            phones.append(weakref.ref(phone))
            del result, phone, seen
            release_memory()
    assert [ref() is None for ref in phones[:-1]] == [True] * (len(phones) - 1)


def test_a_batch_whose_gradient_is_not_finite_is_skipped_not_applied(data: Path, tmp_path: Path, monkeypatch) -> None:
    """One bad batch (seen in bf16 on a GPU) once turned every weight into NaN for the rest of a run."""
    import torch
    from transformers import Glm4vForConditionalGeneration

    from autoagent.training import train as training

    real, calls = training.pointer_loss, []

    def poisoned_on_the_third_call(*args):
        calls.append(1)
        loss = real(*args)
        return loss * float("nan") if len(calls) == 3 else loss

    monkeypatch.setattr(training, "pointer_loss", poisoned_on_the_third_call)
    cfg = TrainConfig(data=str(data), out=str(tmp_path / "p"), size="tiny", steps=6, batch=4, lr=5e-3, warmup=1,
                      eval_every=100, eval_examples=4, save_every=100, compile=False)
    summary = train(cfg, log=lambda line: None)
    assert summary["steps"] == 6 and summary["skipped_steps"] == 1
    model = Glm4vForConditionalGeneration.from_pretrained(tmp_path / "p", local_files_only=True)
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert summary["evals"][-1]["token_accuracy"] > 0


def test_the_span_head_reads_the_words_after_each_word() -> None:
    """A start that depends on the next word is out of reach of a left-to-right model; the
    head reads both ways. Untrained, it leaves the model's scores exactly as they were."""
    import torch

    from autoagent.policy.goal_heads import SpanHead
    from autoagent.policy.pointers import EncodedPrompt, score_pointers
    from autoagent.training.goal_heads import Read, exact_spans, fit, span_loss

    generator = torch.Generator().manual_seed(0)
    reads = []
    for _ in range(300):
        n = int(torch.randint(5, 12, (1,), generator=generator))
        words = torch.randn(n, 16, generator=generator)
        words[:, 0] = 0
        marked = int(torch.randint(2, n, (1,), generator=generator))
        # The span runs from two words before the marked one to it: reading left to right, the
        # best a start can do is to rise word by word and stop at the mark, one word late.
        words[marked, 0] = 3.0
        reads.append(Read(words=words, answer=(marked - 2, marked)))
    vectors = torch.zeros(2, 16)
    head = SpanHead(16, width=32)
    assert exact_spans(head, vectors, reads[200:]) < 0.3
    hidden, pointing = torch.randn(8, 16, generator=generator), torch.randn(2, 16, generator=generator)
    encoded = EncodedPrompt(ids=list(range(8)), elements=[0, 2], words=[3, 5, 7])
    assert score_pointers(hidden, pointing, encoded, head) == score_pointers(hidden, pointing, encoded)
    fit(head, lambda chunk: span_loss(head, vectors, chunk), reads[:200], lr=1e-2, seed=0, passes=25)
    assert exact_spans(head, vectors, reads[200:]) > 0.9
    fitted, plain = score_pointers(hidden, pointing, encoded, head), score_pointers(hidden, pointing, encoded)
    assert fitted.starts != plain.starts and fitted.elements == plain.elements


def test_foreign_words_around_training_goals_keep_a_span_head_off_the_goals_edges() -> None:
    """Every training span ends its goal, and held-out goals go on after it: fitted on the rows
    as they are, the head learns "the last two words"; with other goals' words inserted around
    half of them, it has to find the (weakly) marked words."""
    import random

    import torch

    from autoagent.policy.goal_heads import SpanHead
    from autoagent.training.goal_heads import Read, exact_spans, fit, foreign_words, span_loss, with_foreign_words

    generator = torch.Generator().manual_seed(0)

    def rows(count: int, tail: int) -> list[Read]:
        made = []
        for _ in range(count):
            n = int(torch.randint(4, 9, (1,), generator=generator))
            words = torch.randn(n + tail, 16, generator=generator)
            words[:, 0] = 0
            words[n - 2:n, 0] = 0.8
            made.append(Read(words=words, answer=(n - 2, n - 1)))
        return made

    train, held, pool = rows(300, 0), rows(100, 2), foreign_words(rows(100, 0))
    wrapped = with_foreign_words(train[:40], pool, random.Random(0), span=True)
    assert sum(w.words.shape[0] > r.words.shape[0] for w, r in zip(wrapped, train)) in range(10, 31)
    assert all(torch.equal(w.words[w.answer[0]:w.answer[1] + 1], r.words[r.answer[0]:r.answer[1] + 1])
               for w, r in zip(wrapped, train))
    vectors = torch.zeros(2, 16)
    found = []
    for wrap in (False, True):
        torch.manual_seed(0)
        head = SpanHead(16, width=32)
        draws = random.Random(0)

        def loss(chunk: list[Read]):
            return span_loss(head, vectors, with_foreign_words(chunk, pool, draws, span=True) if wrap else chunk)

        fit(head, loss, train, lr=1e-2, seed=0, passes=15)
        found.append(exact_spans(head, vectors, held))
    assert found[0] < 0.5 < 0.7 < found[1]


def test_the_launch_head_picks_the_app_a_word_anywhere_in_the_goal_names() -> None:
    """The app is named by one word somewhere in the goal, the model's own choice is no help:
    fitted, the head finds it; untrained, it adds exactly nothing to the model's choice."""
    import torch

    from autoagent.policy.compact import APP_NAMES
    from autoagent.policy.goal_heads import LaunchHead
    from autoagent.training.goal_heads import Read, exact_launches, fit, launch_loss

    generator = torch.Generator().manual_seed(0)
    reads = []
    for _ in range(400):
        n = int(torch.randint(3, 12, (1,), generator=generator))
        words = torch.randn(n, 16, generator=generator)
        words[:, :len(APP_NAMES)] = 0
        app = int(torch.randint(0, len(APP_NAMES), (1,), generator=generator))
        at = int(torch.randint(0, n, (1,), generator=generator))
        words[at, app] = 3.0
        reads.append(Read(words=words, answer=app, base=torch.zeros(len(APP_NAMES))))
    head = LaunchHead(16, width=32)
    assert not head(reads[0].words[None]).any()
    assert exact_launches(head, reads[300:]) < 0.4
    fit(head, lambda chunk: launch_loss(head, chunk), reads[:300], lr=1e-2, seed=0, passes=20)
    assert exact_launches(head, reads[300:]) > 0.9


def test_the_element_head_scores_a_line_by_the_lines_after_it_and_the_goal() -> None:
    """A stepper's "−" comes before the value it lowers: whether to press it depends on a later
    line and on the goal, which the model's left-to-right reading cannot join at that line."""
    import torch

    from autoagent.policy.goal_heads import ElementHead
    from autoagent.training.goal_heads import Read, exact_elements, element_loss, fit, with_hard_rows

    generator = torch.Generator().manual_seed(0)
    reads = []
    for _ in range(600):
        lines = torch.randn(3, 16, generator=generator) * 0.1
        lines[0, 0] = lines[1, 1] = 1.0  # line 0 is "−", line 1 is "+"; line 2 shows the value
        value, wanted = (int(torch.randint(1, 5, (1,), generator=generator)) for _ in range(2))
        lines[2, 2 + value] = 1.0
        words = torch.randn(4, 16, generator=generator) * 0.1
        words[int(torch.randint(0, 4, (1,), generator=generator)), 8 + wanted] = 1.0
        answer = 0 if wanted < value else 1 if wanted > value else 2  # equal: go on (here, line 2)
        reads.append(Read(words=words, answer=answer, base=torch.tensor([0.0, 1.0, 0.0]), lines=lines))
    head = ElementHead(16, width=32)
    assert not head(reads[0].lines[None], reads[0].words[None]).any()  # untrained, it changes nothing
    assert exact_elements(head, reads[500:]) < 0.6
    assert len(with_hard_rows(reads[:10], times=3)) == 10 + 2 * sum(r.answer != 1 for r in reads[:10])
    fit(head, lambda chunk: element_loss(head, chunk), reads[:500], lr=1e-2, seed=0, passes=25)
    assert exact_elements(head, reads[500:]) > 0.85


def test_heads_cli_fits_the_heads_alone_and_the_engine_uses_them(checkpoint, data: Path, tmp_path: Path) -> None:
    import torch

    from autoagent.policy.base import PolicyError
    from autoagent.policy.compact import APP_NAMES
    from autoagent.policy.goal_heads import ELEMENT_HEAD_FILE, LAUNCH_HEAD_FILE, SPAN_HEAD_FILE
    from autoagent.policy.local_engine import LocalGLMPolicy

    folder, _ = checkpoint
    out = tmp_path / "heads"
    run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--heads", "--init", str(folder),
                          "--data", str(data), "--out", str(out), "--no-compile"], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    for key in ("span_head", "launch_head", "element_head"):
        assert summary[key]["rows"] > 0 and summary[key]["heldout_rows"] > 0, summary
    assert "span head: held-out rows exactly right with the model alone" in run.stderr
    assert "span head pass 12/12" in run.stderr and "launch head pass 12/12" in run.stderr
    assert "element head pass 6/6" in run.stderr
    # The model's own files are untouched; the heads and their numbers sit beside them.
    assert (out / "model.safetensors").read_bytes() == (folder / "model.safetensors").read_bytes()
    assert all((out / name).is_file() for name in (SPAN_HEAD_FILE, LAUNCH_HEAD_FILE, ELEMENT_HEAD_FILE))
    assert not (folder / SPAN_HEAD_FILE).exists()
    assert json.loads((out / POLICY_FILE).read_text())["span_head"]["rows"] == summary["span_head"]["rows"]

    # No element passes: no element head, not even the one --init had, and its rows are not read.
    run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--heads", "--init", str(out),
                          "--data", str(data), "--out", str(tmp_path / "no-element"), "--no-compile",
                          "--element-passes", "0"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    plain = json.loads((tmp_path / "no-element" / POLICY_FILE).read_text())
    assert "element_head" not in plain and plain["span_head"]["rows"] == summary["span_head"]["rows"]
    assert not (tmp_path / "no-element" / ELEMENT_HEAD_FILE).exists()
    assert "0 taps and swipes to fit" in run.stderr and "element head" not in run.stderr
    assert LocalGLMPolicy(tmp_path / "no-element", device="cpu")._heads.element is None

    with_heads, without = LocalGLMPolicy(out, device="cpu"), LocalGLMPolicy(folder, device="cpu")
    row = next(r for r in read_rows(data / "heldout.jsonl") if r["target"].startswith("type "))
    inputs, encoded = with_heads.prompt_inputs(row["prompt"])
    assert with_heads.pointer_scores(inputs, encoded).starts != without.pointer_scores(inputs, encoded).starts
    assert with_heads.pointer_scores(inputs, encoded).elements != without.pointer_scores(inputs, encoded).elements
    with_heads._heads.element = None  # each head corrects its own scores only
    assert with_heads.pointer_scores(inputs, encoded).elements == without.pointer_scores(inputs, encoded).elements
    # A launch is chosen again among the apps; any other reply is left as it is.
    _, words = with_heads.read_prompt(inputs, encoded)
    assert with_heads.launch_reply("launch Shop", words, inputs).removeprefix("launch ") in APP_NAMES
    assert with_heads.launch_reply("tap", words, inputs) == "tap"
    with_heads._heads.launch.correct.bias.data = torch.tensor([0.0, 0.0, 0.0, 0.0, 1e4, 0.0])
    assert with_heads.launch_reply("launch Shop", words, inputs) == "launch Messages"
    assert without.launch_reply("launch Shop", words, inputs) == "launch Shop"

    # Shipping keeps them; a policy file that names a head whose weights are gone is a clear error.
    run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--export", str(out), "--out",
                          str(tmp_path / "ship")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert LocalGLMPolicy(tmp_path / "ship", device="cpu")._heads.launch is not None
    (tmp_path / "ship" / LAUNCH_HEAD_FILE).unlink()
    with pytest.raises(PolicyError, match="launch head"):
        LocalGLMPolicy(tmp_path / "ship", device="cpu")

    # Training the model further leaves the heads behind: they were fitted to the old weights.
    lines: list[str] = []
    cfg = TrainConfig(data=str(data), out=str(tmp_path / "again"), size="tiny", steps=2, batch=4, lr=1e-3,
                      warmup=1, eval_examples=0, init=str(out), compile=False)
    train(cfg, log=lines.append)
    assert any("goal heads" in line and "left behind" in line for line in lines)
    policy = json.loads((tmp_path / "again" / POLICY_FILE).read_text())
    assert "span_head" not in policy and "launch_head" not in policy
    assert not (tmp_path / "again" / SPAN_HEAD_FILE).exists()

    run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--heads", "--data", str(data),
                          "--out", str(tmp_path / "x")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "give it as --init" in run.stderr
    for extra in (["--heads", "--init", str(out), "--element-passes", "-1"], ["--element-passes", "3"]):
        run = subprocess.run([sys.executable, "-m", "autoagent", "train", "--data", str(data),
                              "--out", str(tmp_path / "y"), *extra], capture_output=True, text=True, timeout=300)
        assert run.returncode == 2 and "--element-passes is a number of passes" in run.stderr, extra
    # A damaged policy file in --init is one line of error, for the heads and for the model alike.
    damaged = tmp_path / "damaged"
    shutil.copytree(out, damaged)
    (damaged / POLICY_FILE).write_text('{"format": "autoagent-compact', encoding="utf-8")
    for mode in (["--heads"], ["--steps", "2"]):
        run = subprocess.run([sys.executable, "-m", "autoagent", "train", *mode, "--init", str(damaged), "--data",
                              str(data), "--out", str(tmp_path / "z"), "--no-compile"], capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 2 and f"{damaged / POLICY_FILE} is damaged" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
