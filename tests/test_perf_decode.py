"""The step decoder (prefix KV reuse, static cache) gives exactly the tokens of greedy generate().

Real tiny Glm4vForConditionalGeneration on CPU; not a timing test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autoagent.perception.observation import Observation
from autoagent.policy.base import StepInput, Turn
from autoagent.policy.local_engine import LocalGLMPolicy
from autoagent.policy.tiny import build_tiny_glm


def screen(seed: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (2400, 1080, 3), dtype=np.uint8))


def task_steps(n: int) -> list[StepInput]:
    """Steps of one task: the history grows, the screenshot changes every step."""
    steps, history = [], ()
    for i in range(n):
        steps.append(StepInput(task="turn on wi-fi", step=i + 1, history=history,
                               observation=Observation(screen(i), app="com.android.settings")))
        history = history + (Turn(thought=f"step {i}", answer='do(action="Back")', feedback="ok"),)
    return steps


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_glm(tmp_path_factory.mktemp("tiny-glm"))


@pytest.mark.parametrize("static", [False, True], ids=["dynamic-cache", "static-cache"])
def test_fast_decode_equals_plain_generate(tiny_dir: Path, static: bool) -> None:
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=40, static_cache=static)
    assert engine.fast
    reused = []
    for step in task_steps(3):
        inputs = engine.inputs_for(step)
        plain, plain_timings = engine.generate_plain(inputs)
        fast, fast_timings = engine.generate_fast(inputs)
        assert fast == plain
        assert fast_timings["new_tokens"] == plain_timings["new_tokens"]
        reused.append(fast_timings["reused_tokens"])
    # The first step has nothing to reuse; later ones reuse the system prompt and history.
    assert reused[0] == 0 and reused[1] > 100 and reused[2] > reused[1]


def test_static_cache_keeps_its_prefix_when_a_prompt_outgrows_it(tiny_dir: Path, monkeypatch) -> None:
    """With small blocks every step needs a bigger buffer; the prefix moves into it."""
    from autoagent.policy import decode

    # Each step's prompt is one history turn (about 30 tokens) longer than the last, so an
    # 8-token block is outgrown at every step whatever the tokenizer's exact counts.
    monkeypatch.setattr(decode, "STATIC_BLOCK", 8)
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=40, static_cache=True)
    sizes, reused = [], []
    for step in task_steps(3):
        inputs = engine.inputs_for(step)
        fast, timings = engine.generate_fast(inputs)
        assert fast == engine.generate_plain(inputs)[0]
        sizes.append(engine.decoder._cache.layers[0].max_cache_len)
        reused.append(timings["reused_tokens"])
    assert sizes[0] < sizes[1] < sizes[2]  # each step grew the buffer
    assert reused[0] == 0 and reused[1] > 100 and reused[2] > reused[1]


def test_tokens_match_generate_one_by_one(tiny_dir: Path) -> None:
    """Compare raw token ids (not only the decoded text), with the prefix cache warm."""
    import torch

    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=30)
    steps = task_steps(2)
    engine.generate_fast(engine.inputs_for(steps[0]))
    batch = engine._batch(engine.inputs_for(steps[1]))
    with torch.inference_mode():
        reference = engine._model.generate(**batch, do_sample=False, max_new_tokens=30,
                                           eos_token_id=engine.stop_ids, pad_token_id=engine.pad_id)
    result = engine.decoder.run(batch, 30)
    assert result.reused > 0
    assert result.tokens == reference[0, batch["input_ids"].shape[1]:].tolist()


def test_a_changed_history_is_not_reused_past_the_change(tiny_dir: Path) -> None:
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=20)
    first, second = task_steps(2)
    before = engine.inputs_for(second)["input_ids"][0].tolist()
    engine.generate_fast(engine.inputs_for(second))
    other = StepInput(task="turn on wi-fi", step=2, observation=second.observation,
                      history=(Turn(thought="something else", answer='do(action="Home")'),))
    inputs = engine.inputs_for(other)
    fast, timings = engine.generate_fast(inputs)
    plain, _ = engine.generate_plain(inputs)
    assert fast == plain
    ids = inputs["input_ids"][0].tolist()
    differ = next(i for i, (a, b) in enumerate(zip(before, ids)) if a != b)
    # Reuse ends exactly where the prompts part (inside the earlier assistant turn).
    assert timings["reused_tokens"] == differ
    assert differ < ids.index(engine.image_token_id)


def test_generation_config_that_reshapes_scores_falls_back_to_generate(tiny_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_dir, folder)
    config = json.loads((folder / "generation_config.json").read_text())
    config["repetition_penalty"] = 1.2
    (folder / "generation_config.json").write_text(json.dumps(config))
    assert not LocalGLMPolicy(folder, max_new_tokens=4).fast


def test_an_unchanged_screen_is_encoded_once(tiny_dir: Path) -> None:
    """A re-ask shows the screen again (captured anew, the same pixels): the vision tower does not
    run again, the reply is generate()'s; a changed screen is encoded."""
    engine = LocalGLMPolicy(tiny_dir, max_new_tokens=20)
    encoded = []
    engine._model.model.visual.register_forward_hook(lambda module, args, output: encoded.append(1))
    first, second = task_steps(2)
    _, timings = engine.generate_fast(engine.inputs_for(first))
    assert len(encoded) == 1 and timings["vision_reused"] == 0.0
    reask = StepInput(task=first.task, step=2, observation=Observation(screen(0), app="com.android.settings"),
                      history=(Turn(thought="", answer="junk", feedback="Your reply had no valid action."),))
    inputs = engine.inputs_for(reask)
    reply, timings = engine.generate_fast(inputs)
    assert len(encoded) == 1 and timings["vision_reused"] == 1.0
    assert reply == engine.generate_plain(inputs)[0]
    assert len(encoded) == 2  # generate() encodes the screen itself
    inputs = engine.inputs_for(second)
    reply, timings = engine.generate_fast(inputs)
    assert len(encoded) == 3 and timings["vision_reused"] == 0.0
    assert reply == engine.generate_plain(inputs)[0]
