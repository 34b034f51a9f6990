"""The local engine end to end on CPU with a tiny, real-architecture Glm4vForConditionalGeneration."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autoagent.actions import Back, Tap
from autoagent.grammar import UnparseableReply
from autoagent.perception.observation import Observation
from autoagent.policy.base import PolicyError, StepInput, Turn
from autoagent.policy.local_engine import LocalGLMPolicy
from autoagent.policy.openai_engine import OpenAIPolicy
from autoagent.policy.tiny import build_tiny_glm, teach_reply

TAGGED = '<think>Tap Wi-Fi.</think><answer>do(action="Tap", element=[500,300])</answer>'
UNTAGGED = 'do(action="Back")'
GARBAGE = "我不知道 junk"


def screenshot(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (2400, 1080, 3), dtype=np.uint8))


def step(task: str, seed: int = 0, history: tuple[Turn, ...] = (), app: str = "com.android.settings") -> StepInput:
    return StepInput(task=task, step=len(history) + 1, history=history,
                     observation=Observation(screenshot(seed), app=app))


# The taught screens differ in task, pixels and app: the app name sits right before the reply.
TAUGHT = {"open wifi": (1, "com.android.settings", TAGGED + " junk junk"),
          "go back": (2, "com.tencent.mm", UNTAGGED + " junk junk"),
          "say nothing": (3, "org.notes", GARBAGE + "<|endoftext|>")}


def taught_step(task: str) -> StepInput:
    seed, app, _ = TAUGHT[task]
    return step(task, seed, app=app)


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_glm(tmp_path_factory.mktemp("tiny-glm"))


@pytest.fixture(scope="session")
def engine(tiny_dir: Path) -> LocalGLMPolicy:
    return LocalGLMPolicy(tiny_dir, max_new_tokens=24)


@pytest.fixture(scope="session")
def taught_dir(tiny_dir: Path, engine: LocalGLMPolicy, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model set to answer three screens with known text, each followed by junk
    that only the stop criterion keeps out of the reply."""
    tokenizer = engine.tokenizer
    examples = []
    for task, (_, _, reply) in TAUGHT.items():
        ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
        examples.append((engine.inputs_for(taught_step(task)), ids))
    return teach_reply(tiny_dir, tmp_path_factory.mktemp("taught-glm"), examples)


@pytest.fixture(scope="session")
def taught(taught_dir: Path) -> LocalGLMPolicy:
    return LocalGLMPolicy(taught_dir, max_new_tokens=60)


def test_random_model_replies_on_a_full_size_screen(engine: LocalGLMPolicy) -> None:
    try:
        decision = engine.decide(step("open wifi", 7))
    except UnparseableReply as err:
        assert isinstance(err.raw, str) and err.reason
    else:
        assert decision.raw and decision.action is not None
    text, timings = engine.generate(engine.inputs_for(step("open wifi", 7)))
    assert 1 <= timings["new_tokens"] <= 24
    assert 0 < timings["ttft"] <= timings["model"]


def test_greedy_decoding_is_deterministic(engine: LocalGLMPolicy) -> None:
    inputs = engine.inputs_for(step("open wifi", 8))
    first, _ = engine.generate(inputs)
    second, _ = engine.generate(inputs)
    assert first == second


def test_inputs_match_the_processor_layout(engine: LocalGLMPolicy) -> None:
    inputs = engine.inputs_for(step("open wifi"))
    ids = inputs["input_ids"][0]
    grid = inputs["image_grid_thw"][0]
    image_id = engine.image_token_id
    count = int(grid.prod()) // 4
    assert int((ids == image_id).sum()) == count == int(inputs["mm_token_type_ids"].sum())
    assert inputs["pixel_values"].shape[0] == int(grid.prod())
    # The image run sits between <|begin_of_image|> and <|end_of_image|>.
    positions = (ids == image_id).nonzero().flatten()
    begin = engine.tokenizer.convert_tokens_to_ids("<|begin_of_image|>")
    end = engine.tokenizer.convert_tokens_to_ids("<|end_of_image|>")
    assert int(ids[positions[0] - 1]) == begin and int(ids[positions[-1] + 1]) == end
    assert int(positions[-1] - positions[0]) + 1 == count
    text = engine.tokenizer.decode(ids)
    assert text.startswith("[gMASK]<sop><|system|>\n") and text.endswith("<|assistant|>\n")
    assert "Task: open wifi" in text and '"current_app": "com.android.settings"' in text


def test_same_messages_as_the_served_engine(engine: LocalGLMPolicy) -> None:
    served = OpenAIPolicy(base_url="http://127.0.0.1:9/v1", model="m", max_pixels=engine._max_pixels)
    history = (Turn(thought="first", answer='do(action="Home")', feedback="ok"),)
    local_messages, _ = engine.messages_for(step("open wifi", history=history))
    served_messages = served.messages_for(step("open wifi", history=history))

    def without_images(messages: list[dict]) -> list[dict]:
        out = []
        for message in messages:
            content = message["content"]
            if isinstance(content, list):
                content = [p for p in content if p["type"] not in ("image", "image_url")]
            out.append({**message, "content": content})
        return out

    assert without_images(local_messages) == without_images(served_messages)


def test_stops_at_the_closing_answer_tag(taught: LocalGLMPolicy) -> None:
    decision = taught.decide(taught_step("open wifi"))
    assert decision.raw == TAGGED
    assert decision.action == Tap(element=[500, 300])
    assert decision.thought == "Tap Wi-Fi."


def test_stops_at_a_complete_call_without_tags(taught: LocalGLMPolicy) -> None:
    decision = taught.decide(taught_step("go back"))
    assert decision.action == Back()
    assert decision.raw == UNTAGGED
    assert "junk" not in decision.raw


def test_garbage_reply_is_unparseable(taught: LocalGLMPolicy) -> None:
    with pytest.raises(UnparseableReply) as caught:
        taught.decide(taught_step("say nothing"))
    assert caught.value.raw == GARBAGE  # stopped at EOS, which is not part of the text


def test_max_new_tokens_bounds_the_reply(tiny_dir: Path) -> None:
    short = LocalGLMPolicy(tiny_dir, max_new_tokens=3)
    _, timings = short.generate(short.inputs_for(step("open wifi", 4)))
    assert timings["new_tokens"] <= 3


def copy_without(source: Path, target: Path, *names: str) -> Path:
    shutil.copytree(source, target)
    for name in names:
        (target / name).unlink()
    return target


@pytest.mark.parametrize("missing", ["model.safetensors", "config.json", "tokenizer.json", "preprocessor_config.json"])
def test_missing_checkpoint_file_is_named(tiny_dir: Path, tmp_path: Path, missing: str) -> None:
    folder = copy_without(tiny_dir, tmp_path / "ckpt", missing)
    with pytest.raises(PolicyError, match=rf"{folder} is incomplete: missing {missing}"):
        LocalGLMPolicy(folder)


def test_missing_shard_is_named(tiny_dir: Path, tmp_path: Path) -> None:
    folder = copy_without(tiny_dir, tmp_path / "ckpt", "model.safetensors")
    index = {"metadata": {}, "weight_map": {"lm_head.weight": "model-00001-of-00002.safetensors"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(PolicyError, match="missing model-00001-of-00002.safetensors"):
        LocalGLMPolicy(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"model folder .*nowhere does not exist"):
        LocalGLMPolicy(tmp_path / "nowhere")


def test_chinese_prompt_reaches_the_model(engine: LocalGLMPolicy, tiny_dir: Path) -> None:
    zh = LocalGLMPolicy(tiny_dir, lang="zh", max_new_tokens=4)
    zh_engine_text = zh.tokenizer.decode(zh.inputs_for(step("打开设置"))["input_ids"][0])
    assert "任务：打开设置" in zh_engine_text and "今天是" in zh_engine_text
    assert date.today().strftime("%Y") in zh_engine_text


def test_damaged_weights_are_a_policy_error(tiny_dir: Path, tmp_path: Path) -> None:
    folder = copy_without(tiny_dir, tmp_path / "ckpt")
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(PolicyError, match=rf"cannot load the model in {folder}"):
        LocalGLMPolicy(folder)
