"""Prompt building, history budget, image sizing and reply completeness."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from autoagent.perception.observation import Observation
from autoagent.policy.base import StepInput, Turn
from autoagent.policy.images import encode_image, fit_image, image_tokens, target_size
from autoagent.policy.prompts import (
    PromptOptions,
    approx_tokens,
    build_messages,
    image_count,
    system_prompt,
)
from autoagent.policy.reply import reply_complete

IMAGE = {"type": "image"}
XML = """<?xml version='1.0' encoding='UTF-8'?><hierarchy rotation="0">
<node index="0" text="" class="android.widget.FrameLayout" clickable="false" bounds="[0,0][1080,2400]">
<node index="0" text="Wi-Fi" class="android.widget.TextView" clickable="true" bounds="[0,200][1080,400]" />
</node></hierarchy>"""


def step(history: tuple[Turn, ...] = (), xml: str | None = None, task: str = "Turn on Wi-Fi") -> StepInput:
    return StepInput(task=task, step=len(history) + 1, history=history,
                     observation=Observation(Image.new("RGB", (1080, 2400)), hierarchy=xml, app="Settings"))


def turns(n: int, size: int = 10) -> tuple[Turn, ...]:
    return tuple(Turn(thought=f"thought {i} " + "x" * size, answer=f'do(action="Tap", element=[{i},{i}])',
                      feedback=f"feedback {i}" if i % 2 else "") for i in range(n))


@pytest.mark.parametrize("lang,date_text,marker", [("en", "Monday, 02 March 2026", "Actions:"),
                                                   ("zh", "2026年03月02日 星期一", "可用操作")])
def test_system_prompt_has_date_actions_and_rules(lang: str, date_text: str, marker: str) -> None:
    text = system_prompt(lang, date(2026, 3, 2))
    assert date_text in text and marker in text
    for call in ('do(action="Launch"', 'do(action="Tap", element=[x,y])', 'do(action="Swipe"', 'do(action="Type"',
                 'do(action="Long Press"', 'do(action="Double Tap"', 'do(action="Back")', 'do(action="Home")',
                 'do(action="Wait"', 'do(action="Take_over"', 'do(action="Interact"', 'do(action="Note"',
                 "finish(message="):
        assert call in text
    assert "<think>" in text and "<answer>" in text and "[999,999]" in text


def test_unknown_language_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown prompt language 'fr'"):
        system_prompt("fr")


def test_first_step_layout() -> None:
    messages = build_messages(step(xml=XML), IMAGE, PromptOptions(today=date(2026, 1, 5)))
    assert [m["role"] for m in messages] == ["system", "user"]
    content = messages[1]["content"]
    assert content[0] == IMAGE and content[1]["type"] == "text"
    text = content[1]["text"]
    assert text.startswith("Task: Turn on Wi-Fi")
    assert '{"current_app": "Settings"}' in text
    # The compact hierarchy: the Wi-Fi row, centre in 0-999 space, marked clickable.
    assert "[500,125] TextView* Wi-Fi" in text


def test_ui_text_can_be_left_out() -> None:
    messages = build_messages(step(xml=XML), IMAGE, PromptOptions(ui_text=False))
    assert "TextView" not in messages[1]["content"][1]["text"]


def test_broken_hierarchy_does_not_break_the_step() -> None:
    messages = build_messages(step(xml="<not xml"), IMAGE)
    assert "current_app" in messages[1]["content"][1]["text"]


def test_history_keeps_thoughts_answers_and_feedback_with_one_image() -> None:
    messages = build_messages(step(turns(3)), IMAGE)
    roles = [m["role"] for m in messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"]
    assert messages[2]["content"].startswith("<think>thought 0") and messages[2]["content"].endswith(
        '<answer>do(action="Tap", element=[0,0])</answer>')
    # Feedback of turn 1 opens the user message after it.
    assert messages[5]["content"].startswith("feedback 1")
    assert image_count(messages) == 1 and messages[-1]["content"][0] == IMAGE
    assert all(isinstance(m["content"], str) for m in messages[:-1])


def test_budget_drops_oldest_turns_first() -> None:
    history = turns(40, size=400)
    full = build_messages(step(history), IMAGE, PromptOptions(max_context_tokens=10**9))
    tight = build_messages(step(history), IMAGE, PromptOptions(max_context_tokens=6000), image_cost=1500)
    assert len(full) == 2 + 2 * 40
    kept = [m["content"] for m in tight if m["role"] == "assistant"]
    assert 0 < len(kept) < 40
    # The newest turns survive, in order, and the task says how many were left out.
    assert kept[-1].startswith("<think>thought 39") and kept[0].startswith(f"<think>thought {40 - len(kept)} ")
    assert f"({40 - len(kept)} earlier steps are not shown.)" in tight[1]["content"]
    assert tight[1]["content"].startswith("Task: Turn on Wi-Fi")
    total = sum(approx_tokens(m["content"] if isinstance(m["content"], str) else m["content"][1]["text"])
                for m in tight) + 1500
    assert total <= 6000


def test_budget_too_small_for_any_history_keeps_task_and_screen() -> None:
    messages = build_messages(step(turns(5, size=2000)), IMAGE, PromptOptions(max_context_tokens=100))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "(5 earlier steps are not shown.)" in messages[1]["content"][1]["text"]


def test_chinese_labels() -> None:
    messages = build_messages(step(turns(1), task="打开无线网络"), IMAGE, PromptOptions(lang="zh"))
    assert messages[1]["content"].startswith("任务：打开无线网络")
    assert "今天是" in messages[0]["content"]


def test_approx_tokens_counts_cjk_per_character() -> None:
    assert approx_tokens("你好世界") == 4
    assert 3 <= approx_tokens("hello world!") <= 5


@settings(max_examples=60, deadline=None)
@given(st.integers(20, 4000), st.integers(20, 4000), st.integers(100_000, 12_000_000))
def test_target_size_matches_transformers(width: int, height: int, budget: int) -> None:
    from transformers.models.glm4v.image_processing_pil_glm4v import smart_resize

    if max(width, height) / min(width, height) > 200:
        return
    expected_h, expected_w = smart_resize(2, height, width, 2, 28, 112 * 112, budget)
    assert target_size(width, height, budget) == (expected_w, expected_h)


def test_fit_is_idempotent_and_within_budget() -> None:
    fitted = fit_image(Image.new("RGB", (1080, 2400)), 2_000_000)
    assert 2 * fitted.width * fitted.height <= 2_000_000
    assert fit_image(fitted, 2_000_000) is fitted
    assert image_tokens(*fitted.size) == fitted.width * fitted.height // 784


def test_served_images_leave_small_trims_to_the_server() -> None:
    phone = Image.new("RGB", (1080, 2400))
    # The model keeps 94% of a phone screen at the default budget: sent as captured.
    assert fit_image(phone) is phone
    # The local engine still hands its processor exactly the processor's pixels.
    assert fit_image(phone, exact=True).size == target_size(1080, 2400)
    # A tablet screen far over budget is shrunk before it is sent.
    tablet = Image.new("RGB", (2560, 3840))
    assert fit_image(tablet).size == target_size(2560, 3840)


def test_encodings() -> None:
    image = Image.new("RGB", (56, 56), (1, 2, 3))
    assert encode_image(image).startswith("data:image/jpeg;base64,")
    assert encode_image(image, "png").startswith("data:image/png;base64,")
    with pytest.raises(ValueError, match="unknown image format"):
        encode_image(image, "gif")


@pytest.mark.parametrize("text,complete", [
    ("", False),
    ("<think>I could do(action=\"Back\") here", False),
    ("<think>ok</think><answer>do(action=\"Tap\", element=[1,2]", False),
    ("<think>ok</think><answer>do(action=\"Tap\", element=[1,2])", True),
    ("<think>ok</think><answer>do(action=\"Type\", text=\"a (b\")", True),
    ("<think>ok</think><answer>do(action=\"Type\", text=\"a (b", False),
    ('do(action="Back")', True),
    ('finish(message="done")', True),
    ("<answer>garbage</answer>", True),
])
def test_reply_complete(text: str, complete: bool) -> None:
    assert reply_complete(text) is complete
