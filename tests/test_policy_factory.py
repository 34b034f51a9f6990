"""Trace replay and the make_policy factory."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from autoagent.actions import Back, Finish, Tap
from autoagent.grammar import UnparseableReply
from autoagent.perception.observation import Observation
from autoagent.policy import make_policy
from autoagent.policy.base import PolicyError, StepInput
from autoagent.policy.openai_engine import OpenAIPolicy
from autoagent.policy.reply_replay import ReplayPolicy
from autoagent.trace import StepRecord, TraceMeta, TraceWriter

REPLIES = ['<think>a</think><answer>do(action="Tap", element=[1,2])</answer>', "no action here", "",
           'do(action="Back")', 'finish(message="done")']


def step() -> StepInput:
    return StepInput(task="t", step=1, observation=Observation(Image.new("RGB", (10, 20))))


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    writer = TraceWriter.create(tmp_path, TraceMeta(task="t", device="d", policy="p"))
    for i, raw in enumerate(REPLIES, 1):
        # Step 3 stands for a policy error: no reply was recorded.
        writer.append(StepRecord(step=i, raw=raw, outcome="error" if not raw else "done"))
    writer.close()
    return writer.path


def test_replay_returns_recorded_replies_in_order(trace: Path) -> None:
    policy = ReplayPolicy.from_trace(trace)
    assert policy.remaining == 4
    assert policy.decide(step()).action == Tap(element=[1, 2])
    with pytest.raises(UnparseableReply) as caught:
        policy.decide(step())
    assert caught.value.raw == "no action here"
    assert policy.decide(step()).action == Back()
    last = policy.decide(step())
    assert last.action == Finish(message="done") and last.raw == 'finish(message="done")'
    with pytest.raises(PolicyError, match="ran out after 4 replies"):
        policy.decide(step())


def test_replay_of_empty_or_missing_trace(tmp_path: Path) -> None:
    writer = TraceWriter.create(tmp_path, TraceMeta(task="t", device="d", policy="p"))
    writer.close()
    with pytest.raises(PolicyError, match="holds no model replies"):
        ReplayPolicy.from_trace(writer.path)
    with pytest.raises(ValueError, match="is not a trace"):
        ReplayPolicy.from_trace(tmp_path / "missing")


def test_factory_builds_each_engine(trace: Path) -> None:
    served = make_policy("openai", base_url="http://127.0.0.1:8000/v1", api_key="k", lang="zh",
                         max_pixels=1_000_000, max_tokens=50)
    assert isinstance(served, OpenAIPolicy)
    assert (served.model, served.lang, served.max_pixels, served.max_tokens) == ("autoglm-phone-9b", "zh", 1_000_000, 50)
    assert isinstance(make_policy("replay", trace=trace), ReplayPolicy)


@pytest.mark.parametrize("engine,kwargs,message", [
    ("gpt", {}, "unknown engine 'gpt'"),
    ("openai", {}, "engine 'openai' needs base_url"),
    ("replay", {}, "engine 'replay' needs trace"),
    ("openai", {"base_url": "http://h/v1", "model_path": "/m"}, "model_path is an option of engine 'local'"),
    ("local", {"model_path": "/m", "base_url": "http://h/v1"}, "base_url is an option of engine 'openai'"),
    ("local", {"model_path": "/m", "model": "x"}, "engine 'local' takes model_path"),
    ("replay", {"trace": "/t", "api_key": "k"}, "api_key is an option of engine 'openai'"),
    ("openai", {"base_url": "http://h/v1", "lang": "fr"}, "unknown language 'fr'"),
    ("openai", {"base_url": "http://h/v1", "max_pixels": 100}, "max_pixels 100 is too small"),
    ("openai", {"base_url": "h:8000"}, "base_url must look like"),
])
def test_factory_rejects_bad_combinations(engine: str, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_policy(engine, **kwargs)


def test_factory_local_without_a_folder_loads_the_embedded_policy() -> None:
    from autoagent.policy.embedded import EMBEDDED_DIR
    from autoagent.policy.local_engine import LocalGLMPolicy

    policy = make_policy("local")
    assert isinstance(policy, LocalGLMPolicy)
    assert policy.model_path == EMBEDDED_DIR and policy.prompt_format is not None


def test_factory_local_with_missing_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(PolicyError, match=rf"{tmp_path} is incomplete: missing tokenizer.json"):
        make_policy("local", model_path=tmp_path)
