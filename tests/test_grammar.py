"""The AutoGLM action grammar: real-looking replies, malformed ones, and a fuzz test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autoagent.actions import (
    Back, DoubleTap, Finish, Home, Interact, Launch, LongPress, Note, RelativePoint, Swipe, Tap, TakeOver,
    Type, Wait,
)
from autoagent.grammar import UnparseableReply, format_action, format_reply, parse_reply

P = RelativePoint

REAL_REPLIES = [
    # (reply, expected action, expected thought)
    ('<think>我需要点击搜索框</think><answer>do(action="Tap", element=[540,120])</answer>',
     Tap(element=P(x=540, y=120)), "我需要点击搜索框"),
    ("<think>Open the shop app first.</think>\n<answer>do(action=\"Launch\", app=\"淘宝\")</answer>",
     Launch(app="淘宝"), "Open the shop app first."),
    # hosted APIs strip the tags
    ('The search box is at the top. do(action="Type", text="白色T恤")', Type(text="白色T恤"),
     "The search box is at the top."),
    # answer on its own line, no closing tag
    ("<think>Scroll down to see more results</think>\n<answer>\ndo(action=\"Swipe\", start=[500,800], end=[500,200])",
     Swipe(start=P(x=500, y=800), end=P(x=500, y=200)), "Scroll down to see more results"),
    # empty thinking
    ('<think></think><answer>do(action="Back")</answer>', Back(), ""),
    # GLM-4.1V box wrappers
    ('<think>done</think><answer><|begin_of_box|>finish(message="已为您下单")<|end_of_box|></answer>',
     Finish(message="已为您下单"), "done"),
    # Chinese quotes inside Type, unescaped
    ('<answer>do(action="Type", text="他说"你好"然后走了")</answer>', Type(text='他说"你好"然后走了'), ""),
    # sensitive tap with message
    ('<think>Pay now</think><answer>do(action="Tap", element=[500,900], message="重要操作：支付")</answer>',
     Tap(element=P(x=500, y=900), message="重要操作：支付"), "Pay now"),
    # trailing whitespace and stray </answer>
    ('do(action="Home")  </answer>\n\n', Home(), ""),
    ('<think>wait for page</think><answer>do(action="Wait", duration="2 seconds")</answer>', Wait(seconds=2.0),
     "wait for page"),
    ('do(action="Long Press", element=[100, 200])', LongPress(element=P(x=100, y=200)), ""),
    ('do(action="Double Tap", element=[100,200])', DoubleTap(element=P(x=100, y=200)), ""),
    ('do(action="Take_over", message="请完成登录验证")', TakeOver(message="请完成登录验证"), ""),
    ('do(action="Note", message="True")', Note(message="True"), ""),
    ('do(action="Interact")', Interact(message=""), ""),
    ('do(action="Type_Name", text="张三")', Type(text="张三"), ""),
    # extra prose before and after
    ('Sure! Here is my answer:\n<answer>do(action="Tap", element=[10,20])</answer>\nHope this helps.',
     Tap(element=P(x=10, y=20)), "Sure! Here is my answer:"),
    # finish with Chinese punctuation and quotes
    ('<think>任务完成</think><answer>finish(message="已完成，订单号为“A123”。")</answer>',
     Finish(message="已完成，订单号为“A123”。"), "任务完成"),
    # single quotes, floats, spaces
    ("do(action='Tap', element=[ 499.6 , 300.2 ])", Tap(element=P(x=500, y=300)), ""),
    # escaped quotes and newline in Type
    (r'do(action="Type", text="line \"one\"\n")', Type(text='line "one"\n'), ""),
    # 1000 is rounding slop for 999
    ('do(action="Tap", element=[1000,1000])', Tap(element=P(x=999, y=999)), ""),
    # prose that mentions a call before the real one: the last call wins when there are no tags
    ('I could do(action="Back") but better: do(action="Tap", element=[5,5])', Tap(element=P(x=5, y=5)),
     'I could do(action="Back") but better:'),
    # bare action name without quotes
    ("do(action=Back)", Back(), ""),
    # missing </think> before <answer>
    ('<think>tap it<answer>do(action="Tap", element=[1,2])</answer>', Tap(element=P(x=1, y=2)), "tap it"),
]


@pytest.mark.parametrize("reply,action,thought", REAL_REPLIES)
def test_real_replies_parse(reply: str, action, thought: str) -> None:
    parsed = parse_reply(reply)
    assert parsed.action == action
    assert parsed.thought == thought


MALFORMED = [
    "",
    "   \n ",
    "I think the task is done.",  # prose, no call: must NOT be treated as finished
    '<think>hmm</think><answer></answer>',
    'do(action="Fly", element=[1,2])',
    'do(action="Tap")',
    'do(action="Tap", element=[1])',
    'do(action="Tap", element=[5000, 20])',
    'do(action="Tap", element=[-3, 20])',
    'do(action="Swipe", start=[1,2])',
    'do(element=[1,2])',
    'do(action="Launch", app="")',
    'do(action="Tap", element=[1,2',
    # cut off: a call without its closing parenthesis is not an action
    'do(action="Type", text="White T-sh',
    '<think>Type it.</think><answer>do(action="Type", text="White T-shirt"',
    '<answer>do(action="Type", text="White T-sh</answer>',
    'finish(message="done',
    'do(action=Back',
    'do(action="Swipe", start=[1,2], end=[3,4]',
    # the cut call is the answer; an earlier whole one in the prose is not a stand-in for it
    'I could do(action="Back") but better: do(action="Tap", element=[5,5]',
]


@pytest.mark.parametrize("reply", MALFORMED)
def test_malformed_replies_raise_typed_error(reply: str) -> None:
    with pytest.raises(UnparseableReply) as info:
        parse_reply(reply)
    assert info.value.reason
    assert info.value.raw == reply


def test_never_evaluates_code(tmp_path) -> None:
    marker = tmp_path / "pwned"
    reply = f'do(action=__import__("pathlib").Path("{marker}").touch(), element=[1,2])'
    with pytest.raises(UnparseableReply):
        parse_reply(reply)
    assert not marker.exists()


ACTIONS = [
    Tap(element=P(x=0, y=999)), Tap(element=P(x=5, y=6), message="支付 ¥12"), DoubleTap(element=P(x=1, y=2)),
    LongPress(element=P(x=3, y=4)), Swipe(start=P(x=1, y=2), end=P(x=3, y=4)), Type(text='a "quoted" 文本\\n'),
    Launch(app="Shop"), Back(), Home(), Wait(seconds=2.5), TakeOver(message="login"), Note(message="price 12"),
    Interact(message="which size?"), Finish(message="done, 完成"),
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.kind)
def test_format_then_parse_round_trips(action) -> None:
    assert parse_reply(format_reply("thinking", action)).action == action
    assert parse_reply(format_action(action)).action == action


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.kind)
@pytest.mark.parametrize("tags", [True, False], ids=["tags", "bare"])
def test_no_cut_inside_a_call_parses(action, tags: bool) -> None:
    reply = format_reply("Look first.", action) if tags else "Look first. " + format_action(action)
    start = reply.index("do(") if "do(" in reply else reply.index("finish(")
    close = reply.rindex(")")
    for end in range(start, close):
        with pytest.raises(UnparseableReply):
            parse_reply(reply[:end])
    # Once the call is closed it is whole, with or without what follows it.
    assert parse_reply(reply[:close + 1]).action == action


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_no_input_crashes_the_parser(text: str) -> None:
    try:
        parse_reply(text)
    except UnparseableReply:
        pass


_fragments = st.sampled_from(['do(', 'finish(', 'action=', '"Tap"', '"Type"', 'element=', '[', ']', ',', ')',
                              '"', "'", 'text=', '<think>', '</think>', '<answer>', '</answer>', '5', '999',
                              '<|begin_of_box|>', '中文', '\\', '\n', ' '])


@settings(max_examples=400, deadline=None)
@given(st.lists(_fragments, max_size=30).map("".join))
def test_no_grammar_soup_crashes_the_parser(text: str) -> None:
    try:
        result = parse_reply(text)
    except UnparseableReply:
        return
    # Whatever parsed must format back into something that parses to the same action.
    assert parse_reply(format_action(result.action)).action == result.action


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_type_text_round_trips(thought: str, text: str) -> None:
    reply = format_reply(thought.replace("</think>", ""), Type(text=text))
    assert parse_reply(reply).action == Type(text=text)


def test_cli_parse_prints_json_and_fails_clearly() -> None:
    ok = subprocess.run([sys.executable, "-m", "autoagent", "parse"], input='do(action="Tap", element=[1,2])',
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["action"] == {"kind": "Tap", "element": {"x": 1, "y": 2}}
    bad = subprocess.run([sys.executable, "-m", "autoagent", "parse"], input="the task is complete",
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "cannot parse" in bad.stderr and "Traceback" not in bad.stderr
