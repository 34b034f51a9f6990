"""Prefill ahead: the next prompt's system prompt, task and history are encoded while the device
acts, and the replies stay those of a step that encodes its whole prompt itself.

Real tiny Glm4vForConditionalGeneration on CPU, the built-in emulator phone; not a timing test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import torch

from autoagent.agent import Agent
from autoagent.policy.base import Decision, PreparesNext, StepInput, Turn
from autoagent.policy.local_engine import LocalGLMPolicy
from autoagent.policy.scripted import ScriptedPolicy
from autoagent.policy.tiny import build_tiny_glm, teach_reply
from autoagent.trace import StepRecord
from emulator import Phone
from tests.test_perf_decode import task_steps

TASK = "Open Settings, go home, then open Contacts"
SCRIPT = ['do(action="Launch", app="Settings")', 'do(action="Home")', 'do(action="Launch", app="Contacts")',
          'finish(message="Contacts is open")']


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_glm(tmp_path_factory.mktemp("tiny-glm"))


def held_keys(engine: LocalGLMPolicy) -> list:
    """The keys and values the decoder keeps for the next step, layer by layer."""
    held = len(engine.decoder._ids)
    return [t[:, :, :held] for layer in engine.decoder._cache.layers for t in (layer.keys, layer.values)]


def upcoming(step: StepInput) -> StepInput:
    """What the agent hands prepare_next for ``step``: the current screen still shown, the last
    turn's feedback not yet known."""
    last = replace(step.history[-1], feedback="")
    return replace(step, history=(*step.history[:-1], last))


@pytest.mark.parametrize("static", [False, True], ids=["dynamic-cache", "static-cache"])
def test_prefilled_prefix_is_reused_whole_and_changes_no_reply(tiny_dir: Path, static: bool) -> None:
    ahead = LocalGLMPolicy(tiny_dir, max_new_tokens=30, static_cache=static)
    plain = LocalGLMPolicy(tiny_dir, max_new_tokens=30, static_cache=static, prefill_ahead=False)
    assert ahead.prefill_ahead and isinstance(ahead, PreparesNext)
    steps = task_steps(4)
    for index, step in enumerate(steps):
        if index:
            # Prepared on the previous screen, as the agent does while the device acts.
            earlier = replace(upcoming(step), observation=steps[index - 1].observation)
            ahead.prepare_next(earlier)
            plain.prepare_next(earlier)
        inputs = ahead.inputs_for(step)
        reply, timings = ahead.generate_fast(inputs)
        reference, reference_timings = plain.generate_fast(inputs)
        assert reply == reference == ahead.generate_plain(inputs)[0]
        # Replies of a random model barely move with small errors; the cache itself must match.
        for mine, theirs in zip(held_keys(ahead), held_keys(plain), strict=True):
            assert mine.shape == theirs.shape and torch.allclose(mine, theirs, atol=1e-5)
        if index:
            prefix = inputs["input_ids"][0].tolist().index(ahead.image_token_id)
            # Everything before the screenshot came from the background prefill...
            assert timings["reused_tokens"] == prefix and timings["ahead"] > 0
            # ...where without it the step ran the last turn itself.
            assert reference_timings["reused_tokens"] < prefix and "ahead" not in reference_timings


def test_a_wrong_guess_is_only_a_cache_miss(tiny_dir: Path) -> None:
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=30)
    first, second = task_steps(2)
    engine.generate_fast(engine.inputs_for(first))
    guessed = replace(second, history=(Turn(thought="something else", answer='do(action="Home")'),))
    engine.prepare_next(guessed)
    inputs = engine.inputs_for(second)
    reply, timings = engine.generate_fast(inputs)
    assert reply == engine.generate_plain(inputs)[0]
    ids, wrong = inputs["input_ids"][0].tolist(), engine.prompt_prefix(guessed)
    differ = next(i for i, (a, b) in enumerate(zip(ids, wrong)) if a != b)
    assert timings["reused_tokens"] == differ < ids.index(engine.image_token_id)


def test_off_and_for_other_prompt_formats_nothing_runs_ahead(tiny_dir: Path) -> None:
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=10, prefill_ahead=False)
    first, second = task_steps(2)
    engine.prepare_next(upcoming(second))
    assert engine._ahead is None


@dataclass
class Recording:
    """The scripted replies, noting each step's input (the screens the taught model must answer)."""

    inner: ScriptedPolicy
    seen: list[StepInput] = field(default_factory=list)
    name: str = "recording"

    def decide(self, step: StepInput) -> Decision:
        self.seen.append(step)
        return self.inner.decide(step)

    def close(self) -> None:
        pass


def run_agent(policy, root: Path) -> list[StepRecord]:
    records: list[StepRecord] = []
    result = Agent(device=Phone(seed=0), policy=policy, trace_root=root, on_step=records.append).run(TASK)
    assert result.ok, result.message
    return records


@pytest.fixture(scope="module")
def taught(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[StepInput]]:
    """The tiny model set to play SCRIPT on the emulator; and the steps it will see."""
    recording = Recording(ScriptedPolicy.of(SCRIPT))
    run_agent(recording, tmp_path_factory.mktemp("script-traces"))
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=40)
    examples = [(engine.inputs_for(step), engine.tokenizer(reply + " junk", add_special_tokens=False)["input_ids"])
                for step, reply in zip(recording.seen, SCRIPT, strict=True)]
    return teach_reply(tiny_dir, tmp_path_factory.mktemp("taught"), examples), recording.seen


def test_agent_runs_the_same_with_and_without_prefill_ahead(taught, tmp_path: Path) -> None:
    folder, seen = taught
    ahead = LocalGLMPolicy(folder, max_new_tokens=40)
    with_ahead = run_agent(ahead, tmp_path / "ahead")
    without = run_agent(LocalGLMPolicy(folder, max_new_tokens=40, prefill_ahead=False), tmp_path / "plain")
    assert [r.raw for r in with_ahead] == [r.raw for r in without] == SCRIPT
    for index, (record, other) in enumerate(zip(with_ahead, without)):
        if not index:
            continue
        # The agent's hook had the whole prefix encoded before the step began.
        prefix = len(ahead.prompt_prefix(seen[index]))
        assert record.timings["model_reused_tokens"] == prefix
        assert record.timings["model_ahead"] > 0
        assert other.timings["model_reused_tokens"] < prefix
