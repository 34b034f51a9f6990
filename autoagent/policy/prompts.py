"""What the GLM policy says to the model: system prompt, per-step turns, bounded history.

:func:`build_messages` is the single place a conversation is assembled. The served engine
and the local engine both call it, so one checkpoint sees the same text either way; they
differ only in how the screenshot part is carried (a data URL, or the image itself).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from autoagent.perception.hierarchy import render_compact
from autoagent.policy.base import StepInput, Turn

Message = dict[str, Any]

LANGS = ("zh", "en")

_WEEKDAYS_ZH = "一二三四五六日"

_ACTIONS = """\
do(action="Launch", app="{app}")
do(action="Tap", element=[x,y])
do(action="Tap", element=[x,y], message="{why}")
do(action="Type", text="{text}")
do(action="Swipe", start=[x1,y1], end=[x2,y2])
do(action="Long Press", element=[x,y])
do(action="Double Tap", element=[x,y])
do(action="Back")
do(action="Home")
do(action="Wait", duration="2 seconds")
do(action="Take_over", message="{why}")
do(action="Interact", message="{question}")
do(action="Note", message="{content}")
finish(message="{result}")"""

_SYSTEM_EN = """\
Today is {today}.
You operate an Android phone for the user. Each turn you get the task, the current screen \
(a screenshot, the foreground app, and sometimes a list of on-screen elements), and what \
you already did. You answer with exactly one next action.

Reply format:
<think>a short reasoning about what the screen shows and what to do next</think>
<answer>one action</answer>

Coordinates are relative: [0,0] is the top-left corner and [999,999] the bottom-right, \
whatever the screen's real size.

Actions:
{actions}

What they do:
- Launch: start an app by its name. Prefer it to hunting for an icon.
- Tap / Double Tap / Long Press: touch the point. Add message= to a Tap that pays, buys, \
sends money, deletes or publishes something; the user will be asked to confirm first.
- Type: enter text into the focused field (tap the field first). End the text with \\n to \
press Enter.
- Swipe: drag from start to end; swipe up to scroll down.
- Back / Home: the system keys.
- Wait: give a loading screen time.
- Take_over: hand control to the user for logins, captchas, passwords and payments.
- Interact: ask the user to choose when several options fit the task.
- Note: remember something on this screen for later steps.
- finish: end the task and say what happened, or why it cannot be done.

Rules:
1. Look at the screenshot before acting; if the last action had no effect, try another way.
2. If the wrong app is open, Launch the right one or go Back / Home.
3. Close pop-ups, ads and permission dialogs that block the task.
4. Scroll to find things that are not visible; if several swipes find nothing, say so.
5. Never pay, place an order, transfer money or enter a password yourself: use Take_over, \
or a Tap with message= so the user confirms.
6. Only finish when the task is really done (check the screen), or when it cannot be done.
7. Write the thinking briefly; the answer must be a single action in the grammar above."""

_SYSTEM_ZH = """\
今天是{today}。
你是替用户操作安卓手机的助手。每一轮你会收到任务、当前屏幕（截图、前台应用，有时还有屏幕元素列表）\
以及你已经做过的操作。你每次只回复下一步的一个操作。

回复格式：
<think>简短分析屏幕内容和下一步该做什么</think>
<answer>一个操作</answer>

坐标是相对坐标：左上角为[0,0]，右下角为[999,999]，与屏幕实际分辨率无关。

可用操作：
{actions}

操作说明：
- Launch：按应用名称启动应用，比在桌面上找图标更可靠。
- Tap / Double Tap / Long Press：点击、双击、长按该位置。涉及支付、购买、转账、删除或发布的点击\
要加上 message= 说明原因，系统会先请用户确认。
- Type：在已聚焦的输入框中输入文字（先点击输入框）。文字以 \\n 结尾表示按回车。
- Swipe：从起点滑动到终点；向上滑动可以查看下面的内容。
- Back / Home：系统返回键和主屏幕键。
- Wait：等待页面加载。
- Take_over：登录、验证码、密码和支付等步骤交给用户处理。
- Interact：有多个选项都符合任务时，请用户选择。
- Note：记下当前屏幕上后面步骤需要的信息。
- finish：结束任务，并说明结果，或说明为什么无法完成。

规则：
1. 先看截图再操作；如果上一步没有效果，换一种方法。
2. 如果当前不是需要的应用，用 Launch 打开正确的应用，或返回、回到主屏幕。
3. 关闭挡住任务的弹窗、广告和权限对话框。
4. 看不到目标时先滑动查找；多次滑动仍找不到就如实说明。
5. 不要自己付款、下单、转账或输入密码：使用 Take_over，或使用带 message= 的 Tap 让用户确认。
6. 只有在任务确实完成（以屏幕为准）或无法完成时才 finish。
7. 思考要简短；answer 里只能有一个符合上述格式的操作。"""

_LABELS = {
    "en": {"screen": "** Screen Info **", "elements": "On-screen elements ([x,y] centre, * clickable):",
           "earlier": "({n} earlier steps are not shown.)", "old_screen": "(screenshot no longer shown)",
           "task": "Task: "},
    "zh": {"screen": "** Screen Info **", "elements": "屏幕元素（[x,y] 为中心点，* 表示可点击）：",
           "earlier": "（前面 {n} 步未显示。）", "old_screen": "（截图已省略）",
           "task": "任务："},
}


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown prompt language {lang!r}: use one of {', '.join(LANGS)}")
    return lang


def date_line(today: date, lang: str) -> str:
    if lang == "zh":
        return f"{today.year}年{today.month:02d}月{today.day:02d}日 星期{_WEEKDAYS_ZH[today.weekday()]}"
    return today.strftime("%A, %d %B %Y")


def system_prompt(lang: str = "en", today: date | None = None) -> str:
    lang = _check_lang(lang)
    template = _SYSTEM_ZH if lang == "zh" else _SYSTEM_EN
    return template.format(today=date_line(today or date.today(), lang), actions=_ACTIONS)


def approx_tokens(text: str) -> int:
    """A cheap upper-leaning token estimate: CJK is about a token a character, other text
    about one per three characters."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E7F)
    return wide + (len(text) - wide + 2) // 3


def screen_text(step: StepInput, lang: str, ui_text: bool = True, max_elements: int = 80) -> str:
    """The text that accompanies the current screenshot."""
    labels = _LABELS[lang]
    info = json.dumps({"current_app": step.observation.app or "unknown"}, ensure_ascii=False)
    parts = [labels["screen"], info]
    if ui_text:
        try:
            tree = step.observation.tree
        except ValueError:  # a broken dump must not stop the step; the screenshot still speaks
            tree = None
        nodes = tree.nodes if tree else []
        lines = render_compact(nodes, step.observation.size).splitlines()[:max_elements] if nodes else []
        if lines:
            parts.append(labels["elements"] + "\n" + "\n".join(lines))
    return "\n\n".join(parts)


def assistant_text(turn: Turn) -> str:
    return f"<think>{turn.thought}</think><answer>{turn.answer}</answer>"


@dataclass(frozen=True)
class PromptOptions:
    lang: str = "en"
    today: date | None = None
    # Context the conversation may use, in approximate tokens, screenshot included.
    max_context_tokens: int = 20_000
    ui_text: bool = True


def build_messages(step: StepInput, image_part: Message, options: PromptOptions = PromptOptions(),
                   image_cost: int = 0) -> list[Message]:
    """The chat for one step: system, task, earlier turns (text only), current screen.

    ``image_part`` is the content part for the current screenshot (an OpenAI ``image_url``
    part, or ``{"type": "image"}`` for a local processor); ``image_cost`` is its size in
    tokens. Older screenshots are never sent. When the history does not fit the budget the
    oldest turns go first; the task and the current screen always stay.
    """
    lang = _check_lang(options.lang)
    labels = _LABELS[lang]
    system = system_prompt(lang, options.today)
    current = screen_text(step, lang, options.ui_text)
    history = list(step.history)

    # Turn i's feedback belongs in the user message after it.
    pairs: list[tuple[Message, str]] = []
    for turn in history:
        pairs.append(({"role": "assistant", "content": assistant_text(turn)}, turn.feedback))

    def user_head(dropped: int) -> str:
        head = labels["task"] + step.task
        if dropped:
            head += "\n\n" + labels["earlier"].format(n=dropped)
        return head

    fixed = approx_tokens(system) + approx_tokens(current) + approx_tokens(user_head(len(pairs))) + image_cost + 16
    costs = [approx_tokens(a["content"]) + approx_tokens(f) + approx_tokens(labels["old_screen"]) + 8
             for a, f in pairs]
    dropped = 0
    total = fixed + sum(costs)
    while dropped < len(pairs) and total > options.max_context_tokens:
        total -= costs[dropped]
        dropped += 1
    kept = pairs[dropped:]

    messages: list[Message] = [{"role": "system", "content": system}]
    if not kept:
        messages.append(_user(user_head(dropped) + "\n\n" + current, image_part))
        return messages
    messages.append({"role": "user", "content": user_head(dropped) + "\n\n" + labels["old_screen"]})
    for index, (assistant, feedback) in enumerate(kept):
        messages.append(assistant)
        last = index == len(kept) - 1
        text = "\n\n".join(p for p in (feedback, current if last else labels["old_screen"]) if p)
        messages.append(_user(text, image_part) if last else {"role": "user", "content": text})
    return messages


def _user(text: str, image_part: Message) -> Message:
    # Image first, then text: the order GLM-4.1V's examples and AutoGLM's client use.
    return {"role": "user", "content": [image_part, {"type": "text", "text": text}]}


def image_count(messages: list[Message]) -> int:
    count = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            count += sum(1 for part in content if part.get("type") in ("image", "image_url"))
    return count
